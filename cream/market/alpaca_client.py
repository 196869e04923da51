"""alpaca-py's market-data clients behind the shared rate limit, with retries on 429 and 5xx.

alpaca-py is synchronous (requests) and pages through results itself, so the gate sits at
the HTTP request: every request first takes a token from the shared `Limiter` (200 requests a
minute per key is Alpaca's budget), then runs. A 429 is retried after its Retry-After, a 5xx
or a dropped connection after an exponential backoff with jitter; when the attempts run out
the call fails with `AlpacaDataError`, a `DataUnavailable` with a stable code (RATE_LIMITED,
FEED_DOWN, AUTH_FAILED, BAD_REQUEST), so feeds report "unavailable" rather than guess. The
SDK's own fixed-wait retry is switched off so the two never stack.

Calls run in a worker thread (`AlpacaDataClients.run`); the limiter is async, so the thread
hands each acquisition back to the event loop that issued the call.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import requests
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from cream.market.alpaca_sdk import (
    APIError,
    OptionHistoricalDataClient,
    StockHistoricalDataClient,
)
from cream.market.replay import DataUnavailable

T = TypeVar("T")

AUTH_FAILED = "AUTH_FAILED"
RATE_LIMITED = "RATE_LIMITED"
FEED_DOWN = "FEED_DOWN"
BAD_REQUEST = "BAD_REQUEST"
RATE_LIMITER_UNAVAILABLE = "RATE_LIMITER_UNAVAILABLE"

# The event loop that issued the current call; copied into the worker thread by to_thread.
_LOOP: contextvars.ContextVar[asyncio.AbstractEventLoop] = contextvars.ContextVar("alpaca_loop")


class Limiter(Protocol):
    """A rate limit shared by every caller of one API key (e.g. `cream.resilience`'s bucket)."""

    async def acquire(self) -> None:
        """Wait until one more request may be sent."""
        ...


class AlpacaDataError(DataUnavailable):
    """Alpaca's market data could not be had; `code` is stable, `status` the last HTTP status."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before retrying a 429, a 5xx or a dropped connection.

    Attributes:
        attempts: total tries per request, the first included.
        base_delay: seconds before the first retry of a 5xx; doubles per retry.
        max_delay: cap on any single wait, Retry-After included.
        timeout: seconds to wait for a response before counting the try as dropped.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 10.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter for the `retry`-th retry (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * float(2**retry))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class _Gate:
    """Rate limit, retry and error translation around one HTTP request (runs in a thread)."""

    def __init__(
        self, limiter: Limiter, policy: RetryPolicy, sleep: Callable[[float], None], seed: int
    ) -> None:
        self._limiter = limiter
        self._policy = policy
        self._sleep = sleep
        self._rng = random.Random(seed)

    def _acquire(self) -> None:
        loop = _LOOP.get(None)
        if loop is None:
            raise RuntimeError("Alpaca data calls must go through AlpacaDataClients.run")
        try:
            asyncio.run_coroutine_threadsafe(self._limiter.acquire(), loop).result()
        except Exception as exc:  # any limiter failure: never send unlimited
            raise AlpacaDataError(
                getattr(exc, "code", None) or RATE_LIMITER_UNAVAILABLE,
                f"the Alpaca data rate limit could not be taken, so nothing was sent: {exc}",
            ) from exc

    def call(self, send: Callable[[], T], what: str) -> T:
        last: AlpacaDataError | None = None
        for attempt in range(self._policy.attempts):
            if attempt:
                assert last is not None
                self._sleep(self._wait(last, attempt - 1))
            self._acquire()
            try:
                return send()
            except APIError as exc:
                last = _translate(exc, what)
            except requests.RequestException as exc:
                last = AlpacaDataError(
                    FEED_DOWN, f"Alpaca market data did not answer {what}: {type(exc).__name__}"
                )
            if last.code not in (RATE_LIMITED, FEED_DOWN):
                raise last
        assert last is not None
        raise AlpacaDataError(
            last.code,
            f"{last.message} (gave up after {self._policy.attempts} attempts)",
            last.status,
        )

    def _wait(self, error: AlpacaDataError, retry: int) -> float:
        if isinstance(error, _RateLimitedError) and error.retry_after is not None:
            return min(error.retry_after, self._policy.max_delay)
        return self._policy.backoff(retry, self._rng)


class _RateLimitedError(AlpacaDataError):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(RATE_LIMITED, message, 429)
        self.retry_after = retry_after


def _translate(exc: APIError, what: str) -> AlpacaDataError:
    status = exc.status_code
    response = exc.response
    body = (response.text if response is not None else str(exc))[:200]
    if status == 429:
        header = response.headers.get("Retry-After") if response is not None else None
        return _RateLimitedError(
            f"Alpaca rate-limited {what} (429)", retry_after_seconds(header, time.time())
        )
    if status in (401, 403):
        return AlpacaDataError(
            AUTH_FAILED,
            f"Alpaca refused the API key for {what} ({status}: {body}); check ALPACA_KEY and "
            "ALPACA_SECRET and that the key's data subscription covers this feed",
            status,
        )
    if status is not None and status >= 500:
        return AlpacaDataError(FEED_DOWN, f"Alpaca failed {what} ({status}: {body})", status)
    return AlpacaDataError(BAD_REQUEST, f"Alpaca rejected {what} ({status}: {body})", status)


class _TimeoutAdapter(HTTPAdapter):
    """requests has no default timeout and alpaca-py sets none: never wait forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        return super().send(
            request,
            stream=stream,
            timeout=self._timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=dict(proxies) if proxies is not None else None,
        )


class _GatedStockClient(StockHistoricalDataClient):
    def __init__(self, gate: _Gate, timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _prepare(self, timeout)
        self._gate = gate

    def get(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        parent = super().get
        return self._gate.call(lambda: parent(path, data, **kwargs), f"GET /v2{path}")


class _GatedOptionClient(OptionHistoricalDataClient):
    def __init__(self, gate: _Gate, timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _prepare(self, timeout)
        self._gate = gate

    def get(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        parent = super().get
        return self._gate.call(lambda: parent(path, data, **kwargs), f"GET /v1beta1{path}")


def _prepare(
    client: StockHistoricalDataClient | OptionHistoricalDataClient, timeout: float
) -> None:
    # alpaca-py retries 429/504 itself after a fixed 3 s, ignoring Retry-After; the gate does it.
    client._retry = 0  # RESTClient's knob; no public setter
    adapter = _TimeoutAdapter(timeout)
    client._session.mount("http://", adapter)  # the SDK's own session
    client._session.mount("https://", adapter)


class AlpacaDataClients:
    """The stock and option data clients of one API key, sharing one limiter and retry policy.

    Args:
        api_key: ALPACA_KEY.
        secret_key: ALPACA_SECRET.
        limiter: the key's shared rate limit; every HTTP request takes one token.
        base_url: market-data base URL (``https://data.alpaca.markets`` when None).
        policy: retry policy.
        sleep: how to wait between retries (blocking; runs in the worker thread).
        seed: seed of the backoff jitter.
    """

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        limiter: Limiter,
        *,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int = 0,
    ) -> None:
        if not api_key or not secret_key:
            raise AlpacaDataError(
                AUTH_FAILED, "the Alpaca data feed needs both ALPACA_KEY and ALPACA_SECRET"
            )
        self.policy = policy or RetryPolicy()
        gate = _Gate(limiter, self.policy, sleep, seed)
        url = base_url.rstrip("/") if base_url else None
        self.stock = _GatedStockClient(
            gate, self.policy.timeout, api_key=api_key, secret_key=secret_key, url_override=url
        )
        self.option = _GatedOptionClient(
            gate, self.policy.timeout, api_key=api_key, secret_key=secret_key, url_override=url
        )

    async def run(self, call: Callable[[], T]) -> T:
        """Run a blocking alpaca-py call in a worker thread, rate-limited on this event loop."""
        token = _LOOP.set(asyncio.get_running_loop())
        try:
            return await asyncio.to_thread(call)
        finally:
            _LOOP.reset(token)
