"""Token buckets (in-process and shared through a real Redis), the breaker and the throttle."""

from __future__ import annotations

import uuid

import pytest

from cream.resilience.circuit_breaker import BreakerState, CircuitBreaker, CircuitOpenError
from cream.resilience.throttle import SubmitThrottle
from cream.resilience.token_bucket import (
    RateLimiterUnavailableError,
    RedisTokenBucket,
    TokenBucket,
)
from tests.servers import free_port


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_bucket_spends_its_burst_then_refills_at_the_rate():
    tick = Ticker()
    bucket = TokenBucket(60, 3, monotonic=tick)
    assert [await bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await bucket.try_acquire() == pytest.approx(1.0)
    tick.now += 1.0
    assert await bucket.try_acquire() == 0.0


async def test_acquire_sleeps_exactly_the_missing_time():
    tick = Ticker()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        tick.now += seconds

    bucket = TokenBucket(120, 1, monotonic=tick, sleep=sleep)
    await bucket.acquire()
    await bucket.acquire()
    assert slept == [pytest.approx(0.5)]


@pytest.mark.integration
async def test_redis_bucket_is_shared_between_processes(redis_server):
    key = f"test:bucket:{uuid.uuid4().hex}"
    first = RedisTokenBucket(redis_server.url, key, 6, 2)
    second = RedisTokenBucket(redis_server.url, key, 6, 2)
    try:
        assert await first.try_acquire() == 0.0
        assert await second.try_acquire() == 0.0
        # The burst of 2 is spent across both clients: the next token is ~10 s away for both.
        assert 9.0 < await first.try_acquire() <= 10.0
        assert 9.0 < await second.try_acquire() <= 10.0
    finally:
        await first.close()
        await second.close()


async def test_unreachable_redis_bucket_fails_closed():
    bucket = RedisTokenBucket(f"redis://127.0.0.1:{free_port()}/0", "k", 60, 1, timeout_seconds=0.5)
    try:
        with pytest.raises(RateLimiterUnavailableError):
            await bucket.try_acquire()
    finally:
        await bucket.close()


def test_breaker_opens_after_five_failures_in_the_window_and_probes_half_open():
    tick = Ticker()
    breaker = CircuitBreaker("svc", monotonic=tick, open_seconds=30)
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    tick.now += 30
    breaker.before_call()  # the one half-open probe
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_breaker_forgets_failures_older_than_the_window():
    tick = Ticker()
    breaker = CircuitBreaker("svc", monotonic=tick)
    for _ in range(4):
        breaker.record_failure()
    tick.now += 61
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_failed_probe_reopens_the_breaker():
    tick = Ticker()
    breaker = CircuitBreaker("svc", failure_threshold=1, open_seconds=10, monotonic=tick)
    breaker.record_failure()
    tick.now += 10
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_throttle_refuses_beyond_its_window_and_recovers():
    tick = Ticker()
    throttle = SubmitThrottle(2, 1.0, monotonic=tick)
    assert [throttle.admit(), throttle.admit(), throttle.admit()] == [True, True, False]
    tick.now += 1.0
    assert throttle.admit()
