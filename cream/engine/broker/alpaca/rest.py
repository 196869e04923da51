"""Alpaca's REST API through alpaca-py, off the event loop, behind a rate limit and a breaker.

alpaca-py is synchronous (requests), so every call runs in a worker thread. Its built-in
retry (sleep and re-send on 429/504) is switched off: this module owns the policy. Reads are
retried on 429 (after ``Retry-After``), 5xx and timeouts; writes are never re-sent here — the
adapter resolves an ambiguous write by looking the order up by ``client_order_id``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cream.engine.broker.alpaca.errors import (
    AlpacaNotFoundError,
    AlpacaRejectedError,
    AlpacaUnavailableError,
)
from cream.engine.broker.alpaca.sdk import APIError, TradingClient
from cream.engine.errors import UnavailableError
from cream.resilience.circuit_breaker import CircuitBreaker, CircuitOpenError
from cream.resilience.token_bucket import RateLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")


class AlpacaRateLimitedError(AlpacaUnavailableError):
    """Alpaca answered 429; ``retry_after`` seconds is how long it asked us to wait."""

    code = "ALPACA_RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, retry_after=f"{retry_after:g}")
        self.retry_after = retry_after


class _TimedTradingClient(TradingClient):
    """alpaca-py's client with a socket timeout on every request and no automatic retries."""

    def __init__(self, timeout_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._timeout_seconds = timeout_seconds
        # An empty list never matches a status, so alpaca-py never sleeps and re-sends itself.
        self._retry_codes = []

    def _one_request(self, method: str, url: str, opts: dict[Any, Any], retry: int) -> Any:
        return super()._one_request(method, url, {**opts, "timeout": self._timeout_seconds}, retry)


def _retry_after(exc: APIError, default: float) -> float:
    response = exc.response
    header = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(header)) if header is not None else default
    except ValueError:
        return default


def _api_detail(exc: APIError) -> tuple[str, str]:
    """Alpaca's error ``code`` and ``message`` (its body is ``{"code": ..., "message": ...}``)."""
    try:
        body = json.loads(str(exc))
    except ValueError:
        return "", str(exc)[:300]
    if not isinstance(body, dict):
        return "", str(body)[:300]
    return str(body.get("code", "")), str(body.get("message", ""))


class AlpacaRest:
    """The trading REST API of one Alpaca account.

    Args:
        key: API key id.
        secret: API secret.
        base_url: Trading API base URL (``ALPACA_BASE_URL``; a local fake in tests).
        paper: Whether this is a paper account (alpaca-py's default URL choice).
        limiter: The token bucket shared by everything using this key.
        breaker: Opens after repeated failures.
        timeout_seconds: Socket timeout of one request.
        read_attempts: Tries for idempotent reads.
        max_retry_after: Longest ``Retry-After`` honoured inside one call.
    """

    def __init__(
        self,
        key: str,
        secret: str,
        *,
        base_url: str,
        paper: bool,
        limiter: RateLimiter,
        breaker: CircuitBreaker,
        timeout_seconds: float = 10.0,
        read_attempts: int = 3,
        max_retry_after: float = 30.0,
        backoff_seconds: float = 0.2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = _TimedTradingClient(
            timeout_seconds,
            api_key=key,
            secret_key=secret,
            paper=paper,
            raw_data=True,
            url_override=base_url.rstrip("/"),
        )
        self.limiter = limiter
        self.breaker = breaker
        self._read_attempts = read_attempts
        self._max_retry_after = max_retry_after
        self._backoff = backoff_seconds
        self._sleep = sleep

    async def read(self, label: str, call: Callable[[TradingClient], T]) -> T:
        """An idempotent call, retried on 429 (honouring Retry-After), 5xx and timeouts."""
        for attempt in range(1, self._read_attempts + 1):
            try:
                return await self._once(label, call)
            except AlpacaRateLimitedError as exc:
                if attempt == self._read_attempts or exc.retry_after > self._max_retry_after:
                    raise
                await self._sleep(exc.retry_after)
            except AlpacaUnavailableError:
                if attempt == self._read_attempts or self.breaker.state != "closed":
                    raise
                await self._sleep(self._backoff * 2 ** (attempt - 1) * (1 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    async def write(self, label: str, call: Callable[[TradingClient], T]) -> T:
        """A call that must not be re-sent blindly (order submission, replace)."""
        return await self._once(label, call)

    async def _once(self, label: str, call: Callable[[TradingClient], T]) -> T:
        try:
            self.breaker.before_call()
        except CircuitOpenError as exc:
            raise AlpacaUnavailableError(exc.message, code=exc.code, request=label) from exc
        try:
            await self.limiter.acquire()
        except UnavailableError as exc:
            raise AlpacaUnavailableError(exc.message, code=exc.code, request=label) from exc
        try:
            result = await asyncio.to_thread(call, self.client)
        except APIError as exc:
            raise self._translate(label, exc) from exc
        except OSError as exc:  # requests' timeouts and connection errors are OSErrors
            self.breaker.record_failure()
            raise AlpacaUnavailableError(
                f"{label}: Alpaca did not answer ({type(exc).__name__}: {exc})", request=label
            ) from exc
        self.breaker.record_success()
        return result

    def _translate(self, label: str, exc: APIError) -> Exception:
        status = exc.status_code or 0
        code, message = _api_detail(exc)
        if status == 429:
            wait = _retry_after(exc, 1.0)
            return AlpacaRateLimitedError(
                f"{label}: Alpaca rate limit hit; retry after {wait:g} s", retry_after=wait
            )
        if status >= 500 or status == 0:
            self.breaker.record_failure()
            return AlpacaUnavailableError(
                f"{label}: Alpaca answered {status}: {message}", request=label, status=str(status)
            )
        self.breaker.record_success()
        if status == 404:
            return AlpacaNotFoundError(f"{label}: not found at Alpaca: {message}", request=label)
        return AlpacaRejectedError(
            f"{label}: Alpaca refused ({status} {code}): {message}",
            request=label,
            status=str(status),
            alpaca_code=code,
        )
