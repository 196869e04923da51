"""`JsonHttp`: one source's GETs of JSON over a shared `httpx.AsyncClient`, failing typed.

- 429 raises `RateLimitedError` with the server's Retry-After (seconds or an HTTP date);
  until that moment passes, further calls fail fast without a request, so a rate limit is
  honoured rather than hammered. Nothing is retried here: the caller decides.
- `min_interval_seconds` spaces requests (SEC EDGAR asks for at most 10 per second).
- A timeout, a connection failure, another error status and a body that is not JSON each
  raise their own `ContextError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx

from cream.context.errors import (
    MalformedPayloadError,
    RateLimitedError,
    SourceHttpError,
    SourceTimeoutError,
    SourceUnreachableError,
)

DEFAULT_RETRY_AFTER_SECONDS: Final = 60.0
_SNIPPET: Final = 200


class JsonHttp:
    """GETs JSON from one source.

    Args:
        client: The shared async client (its transport can be replaced in tests).
        source: Source name used in errors.
        base_url: Prefix of every path (no trailing slash needed).
        headers: Sent with every request (API keys, the User-Agent EDGAR requires).
        params: Query parameters sent with every request (FMP's `apikey`).
        timeout_seconds: Upper bound of one request.
        min_interval_seconds: Least time between the starts of two requests.
        monotonic: The clock for rate limiting (injected in tests).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        source: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout_seconds: float = 10.0,
        min_interval_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.source = source
        self._base = base_url.rstrip("/")
        self._headers = dict(headers or {})
        self._params = dict(params or {})
        self._timeout = timeout_seconds
        self._interval = min_interval_seconds
        self._monotonic = monotonic
        self._blocked_until = 0.0
        self._last_start = -float("inf")
        self._lock = asyncio.Lock()

    async def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GETs `base_url + path` and returns the decoded JSON body.

        Raises:
            RateLimitedError: 429 now, or a previous 429's Retry-After has not passed.
            SourceTimeoutError: No complete answer within the timeout.
            SourceUnreachableError: The connection failed.
            SourceHttpError: Any other non-2xx status.
            MalformedPayloadError: The body is not JSON.
        """
        remaining = self._blocked_until - self._monotonic()
        if remaining > 0:
            raise RateLimitedError(self.source, round(remaining, 3))
        await self._space()
        url = f"{self._base}/{path.lstrip('/')}"
        query = {**self._params, **{k: str(v) for k, v in (params or {}).items()}}
        try:
            response = await self._client.get(
                url, params=query, headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise SourceTimeoutError(
                self.source, f"no answer from {self._base} within {self._timeout:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise SourceUnreachableError(
                self.source, f"cannot reach {self._base}: {type(exc).__name__}: {exc}"
            ) from exc
        if response.status_code == 429:
            wait = _retry_after(response.headers.get("retry-after"))
            self._blocked_until = self._monotonic() + wait
            raise RateLimitedError(self.source, wait)
        if not response.is_success:
            raise SourceHttpError(
                self.source,
                response.status_code,
                f"{self._base}{response.url.path} answered {response.status_code}: "
                f"{response.text[:_SNIPPET]!r}"
                + (
                    " (check the API key or User-Agent)"
                    if response.status_code in (401, 403)
                    else ""
                ),
            )
        try:
            return response.json()
        except ValueError as exc:
            shown = response.text[:_SNIPPET]
            raise MalformedPayloadError(
                self.source, f"{self._base}{response.url.path} did not return JSON: {shown!r}"
            ) from exc

    async def _space(self) -> None:
        if self._interval <= 0:
            return
        async with self._lock:
            wait = self._last_start + self._interval - self._monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_start = self._monotonic()


def _retry_after(header: str | None) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not header:
        return DEFAULT_RETRY_AFTER_SECONDS
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(0.0, when.timestamp() - time.time())
