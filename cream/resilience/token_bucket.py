"""Token buckets: an in-process one, and one shared by every process through Redis.

Both answer the same two calls: ``try_acquire(cost)`` returns how many seconds to wait before
``cost`` tokens are available (0 when they were taken now), and ``acquire(cost)`` waits until
they are taken. The Redis bucket keeps its state in one hash and updates it atomically in a
Lua script using the Redis server's clock, so processes on different machines agree.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cream.engine.errors import UnavailableError


class RateLimiter(Protocol):
    """Anything that hands out tokens at a rate."""

    async def try_acquire(self, cost: int = 1) -> float:
        """Take ``cost`` tokens now (returns 0.0) or say how long to wait (seconds, > 0)."""
        ...

    async def acquire(self, cost: int = 1) -> None:
        """Wait until ``cost`` tokens are taken."""
        ...


class RateLimiterUnavailableError(UnavailableError):
    """The shared bucket (Redis) cannot be reached: callers must not proceed unlimited."""

    code = "RATE_LIMITER_UNAVAILABLE"


def _check(rate_per_minute: float, burst: int, cost: int) -> None:
    if rate_per_minute <= 0 or burst < 1:
        raise ValueError(
            f"a bucket needs rate_per_minute > 0 and burst >= 1, got {rate_per_minute}, {burst}"
        )
    if not 1 <= cost <= burst:
        raise ValueError(f"cost {cost} must be between 1 and the burst {burst}")


async def _wait_loop(
    try_acquire: Callable[[int], Awaitable[float]],
    sleep: Callable[[float], Awaitable[None]],
    cost: int,
) -> None:
    while (wait := await try_acquire(cost)) > 0:
        await sleep(wait)


class TokenBucket:
    """An in-process token bucket: ``rate_per_minute`` tokens per minute, at most ``burst`` saved.

    Args:
        rate_per_minute: Refill rate.
        burst: Capacity; the bucket starts full.
        monotonic: Time source in seconds (injected by tests).
        sleep: How to wait (injected by tests).
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        _check(rate_per_minute, burst, 1)
        self.rate_per_second = rate_per_minute / 60.0
        self.burst = burst
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = monotonic()
        self._lock = asyncio.Lock()

    @property
    def tokens(self) -> float:
        """Tokens available now (after refill)."""
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._monotonic()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate_per_second)
        self._stamp = now

    async def try_acquire(self, cost: int = 1) -> float:
        """Take ``cost`` tokens now (0.0) or return the seconds until they will be there."""
        _check(self.rate_per_second * 60, self.burst, cost)
        async with self._lock:
            self._refill()
            if self._tokens >= cost:
                self._tokens -= cost
                return 0.0
            return (cost - self._tokens) / self.rate_per_second

    async def acquire(self, cost: int = 1) -> None:
        """Wait until ``cost`` tokens are taken."""
        await _wait_loop(self.try_acquire, self._sleep, cost)


# KEYS[1] = bucket hash; ARGV = rate per ms, burst, cost. Returns the wait in ms (0 = taken).
_LUA: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens = burst
  stamp = now
end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return wait
"""


class RedisTokenBucket:
    """A token bucket shared through Redis by every process that uses the same ``key``.

    Args:
        redis_url: ``redis://`` URL (``REDIS_URL``).
        key: The bucket's Redis key, e.g. ``ratelimit:alpaca:<key id hash>``.
        rate_per_minute: Refill rate shared by all processes.
        burst: Capacity.
        timeout_seconds: Upper bound of one Redis call.
    """

    def __init__(
        self,
        redis_url: str,
        key: str,
        rate_per_minute: float,
        burst: int,
        *,
        timeout_seconds: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        _check(rate_per_minute, burst, 1)
        self.key = key
        self.rate_per_minute = rate_per_minute
        self.burst = burst
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._client: Any = aioredis.from_url(
            redis_url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._script: Any = self._client.register_script(_LUA)

    async def try_acquire(self, cost: int = 1) -> float:
        """Take ``cost`` tokens now (0.0) or return the seconds until they will be there.

        Raises:
            RateLimiterUnavailableError: Redis did not answer; the caller must not go ahead.
        """
        _check(self.rate_per_minute, self.burst, cost)
        rate_per_ms = self.rate_per_minute / 60_000.0
        try:
            async with asyncio.timeout(self._timeout):
                wait_ms = await self._script(
                    keys=[self.key], args=[repr(rate_per_ms), self.burst, cost]
                )
        except (RedisError, OSError, TimeoutError) as exc:
            raise RateLimiterUnavailableError(
                f"the shared rate limit '{self.key}' is unreachable ({exc}); check REDIS_URL",
                key=self.key,
            ) from exc
        return int(wait_ms) / 1000.0

    async def acquire(self, cost: int = 1) -> None:
        """Wait until ``cost`` tokens are taken."""
        await _wait_loop(self.try_acquire, self._sleep, cost)

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._client.aclose()
