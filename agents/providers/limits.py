"""Per-provider limits: how many calls run at once, and how many start per minute.

`ProviderLimiter` is an async context manager that holds one concurrency slot (in-process
semaphore) and takes one token from a rate bucket for each call. The bucket is in-process by
default; with a Redis URL it is shared by every process through a Lua token bucket keyed per
provider (`cream.resilience.token_bucket`), so several workers together stay under the
provider's quota. If Redis cannot be reached the call is refused rather than made unlimited.
`LimitedProvider` wraps any provider so each `generate` runs inside its limiter; a provider
that makes several requests per `generate` (a tool loop) takes one more token per extra
request through `ProviderLimiter.token`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Final, TypeVar

from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    Provider,
    ProviderUnavailableError,
)
from agents.providers.retry import Sleep
from cream.resilience.token_bucket import (
    RateLimiter,
    RateLimiterUnavailableError,
    RedisTokenBucket,
    TokenBucket,
)

T = TypeVar("T", bound=BaseModel)

REDIS_KEY_PREFIX: Final = "cream:ratelimit:llm:"


class ProviderLimiter:
    """At most `max_concurrent` calls in flight and `requests_per_minute` started per minute.

    Args:
        max_concurrent: Calls allowed in flight at once in this process.
        requests_per_minute: Calls started per minute (shared by all processes with Redis).
        burst: Calls that may start at once after a quiet period (default `max_concurrent`).
        redis_url: Share the rate bucket through this Redis (`REDIS_URL`); in-process if None.
        key: The provider the limits belong to (names the Redis bucket).
        bucket: A ready rate bucket (tests); overrides `redis_url`.
        sleep: How the bucket waits for a token (tests record the waits).
    """

    def __init__(
        self,
        max_concurrent: int,
        requests_per_minute: float,
        *,
        burst: int | None = None,
        redis_url: str | None = None,
        key: str = "default",
        bucket: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be >= 1, got {max_concurrent}")
        capacity = burst if burst is not None else max_concurrent
        self.max_concurrent = max_concurrent
        self.key = key
        self._slots = asyncio.Semaphore(max_concurrent)
        self._redis: RedisTokenBucket | None = None
        if bucket is None and redis_url is not None:
            self._redis = RedisTokenBucket(
                redis_url, f"{REDIS_KEY_PREFIX}{key}", requests_per_minute, capacity, sleep=sleep
            )
            bucket = self._redis
        self._bucket: RateLimiter = bucket or TokenBucket(
            requests_per_minute, capacity, sleep=sleep
        )
        self.in_flight = 0
        self.max_in_flight = 0

    async def __aenter__(self) -> ProviderLimiter:
        await self._slots.acquire()
        try:
            await self._bucket.acquire()
        except RateLimiterUnavailableError as exc:
            self._slots.release()
            raise ProviderUnavailableError(
                f"the shared rate limit of {self.key!r} cannot be checked, so the call is not "
                f"made: {exc}"
            ) from exc
        except BaseException:
            self._slots.release()
            raise
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return self

    async def token(self) -> None:
        """One more rate token for a call that already holds a slot (a tool loop's next round).

        Raises:
            ProviderUnavailableError: The shared bucket cannot be checked.
        """
        try:
            await self._bucket.acquire()
        except RateLimiterUnavailableError as exc:
            raise ProviderUnavailableError(
                f"the shared rate limit of {self.key!r} cannot be checked, so the call is not "
                f"made: {exc}"
            ) from exc

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.in_flight -= 1
        self._slots.release()

    async def aclose(self) -> None:
        """Closes the Redis connection when the bucket is shared."""
        if self._redis is not None:
            await self._redis.close()


class LimitedProvider:
    """A provider whose calls run inside a `ProviderLimiter`."""

    def __init__(self, provider: Provider, limiter: ProviderLimiter) -> None:
        self.inner = provider
        self.limiter = limiter

    @property
    def name(self) -> str:
        """The wrapped provider's name."""
        return self.inner.name

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """The wrapped provider's answer, once a slot and a rate token are free."""
        async with self.limiter:
            return await self.inner.generate(request)

    async def aclose(self) -> None:
        """Closes the wrapped provider's client (if it has one) and the limiter."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()
        await self.limiter.aclose()
