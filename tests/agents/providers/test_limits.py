"""The provider limiter: bounded concurrency, a rate bucket, shared through a real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agents.providers.base import GenerationRequest, ProviderUnavailableError
from agents.providers.limits import LimitedProvider, ProviderLimiter
from agents.providers.scripted import ScriptedProvider
from agents.schemas import TechnicalAnalysis
from cream.resilience.token_bucket import TokenBucket
from tests.agents.providers.samples import TECHNICAL, RecordedSleeps, request_for
from tests.servers import RedisServer, free_port


class GatedProvider:
    """Answers only when the test opens the gate, so calls pile up in flight."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.inner = ScriptedProvider(lambda _request: TECHNICAL)
        self.in_flight = 0
        self.max_in_flight = 0
        self.started = 0

    @property
    def name(self) -> str:
        return "gated"

    async def generate(self, request: GenerationRequest[Any]) -> Any:
        self.started += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            return await self.inner.generate(request)
        finally:
            self.in_flight -= 1


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_limiter_bounds_calls_in_flight() -> None:
    gated = GatedProvider()
    limited = LimitedProvider(gated, ProviderLimiter(3, requests_per_minute=6000, burst=100))
    tasks = [
        asyncio.create_task(limited.generate(request_for(TechnicalAnalysis))) for _ in range(10)
    ]
    await _settle()
    assert gated.started == 3
    assert limited.limiter.in_flight == 3
    gated.gate.set()
    results = await asyncio.gather(*tasks)
    assert all(result.output == TECHNICAL for result in results)
    assert gated.max_in_flight == 3
    assert limited.limiter.max_in_flight == 3
    assert limited.limiter.in_flight == 0
    assert limited.name == "gated"


async def test_a_failed_call_gives_its_slot_back() -> None:
    failing = ScriptedProvider(lambda _request: ProviderUnavailableError("down"))
    limited = LimitedProvider(failing, ProviderLimiter(1, requests_per_minute=6000))
    for _ in range(3):
        with pytest.raises(ProviderUnavailableError):
            await limited.generate(request_for(TechnicalAnalysis))
    assert limited.limiter.in_flight == 0
    assert failing.calls == 3


async def test_rate_bucket_makes_calls_beyond_the_burst_wait() -> None:
    now = [0.0]
    sleeps = RecordedSleeps()

    async def sleep(seconds: float) -> None:
        await sleeps(seconds)
        now[0] += seconds

    bucket = TokenBucket(60, 2, monotonic=lambda: now[0], sleep=sleep)
    limiter = ProviderLimiter(10, 60, bucket=bucket)
    provider = LimitedProvider(ScriptedProvider(lambda _request: TECHNICAL), limiter)
    for _ in range(3):
        await provider.generate(request_for(TechnicalAnalysis))
    # 60 per minute: two from the burst at once, the third one second later.
    assert sleeps.waits == [pytest.approx(1.0)]


class WaitedError(Exception):
    """Raised by the test's sleep: the bucket asked to wait."""


async def _refuse_to_wait(seconds: float) -> None:
    raise WaitedError(seconds)


@pytest.mark.integration
async def test_redis_bucket_is_shared_between_limiters(redis_server: RedisServer) -> None:
    key = f"shared-{free_port()}"
    first = ProviderLimiter(
        5, 1, burst=2, redis_url=redis_server.url, key=key, sleep=_refuse_to_wait
    )
    second = ProviderLimiter(
        5, 1, burst=2, redis_url=redis_server.url, key=key, sleep=_refuse_to_wait
    )
    other = ProviderLimiter(
        5, 1, burst=2, redis_url=redis_server.url, key=f"{key}-other", sleep=_refuse_to_wait
    )
    try:
        async with first:
            pass
        async with first:
            pass
        # The burst of two is spent by the first limiter; the second (another process) waits.
        with pytest.raises(WaitedError) as caught:
            async with second:
                pass
        assert 50 <= caught.value.args[0] <= 60
        assert second.in_flight == 0
        async with other:
            pass
    finally:
        for limiter in (first, second, other):
            await limiter.aclose()


@pytest.mark.integration
async def test_unreachable_redis_refuses_the_call() -> None:
    limiter = ProviderLimiter(2, 60, redis_url=f"redis://127.0.0.1:{free_port()}/0", key="down")
    provider = ScriptedProvider(lambda _request: TECHNICAL)
    try:
        with pytest.raises(ProviderUnavailableError, match="shared rate limit"):
            await LimitedProvider(provider, limiter).generate(request_for(TechnicalAnalysis))
    finally:
        await limiter.aclose()
    assert provider.calls == 0
    assert limiter.in_flight == 0
