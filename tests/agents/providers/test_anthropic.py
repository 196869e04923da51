"""The Anthropic provider through the real anthropic SDK against a fake Messages API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from agents.providers.anthropic_provider import AnthropicProvider, tool_name
from agents.providers.base import (
    MalformedOutputError,
    ProviderAuthError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from agents.providers.prompting import FEEDBACK_FOOTER, FEEDBACK_HEADER
from agents.providers.retry import RetryPolicy
from agents.providers.structured import generate_structured
from agents.schemas import Approval, TechnicalAnalysis
from tests.agents.providers.samples import SAMPLES, TECHNICAL, RecordedSleeps, request_for
from tests.fakes.anthropic_api import (
    API_KEY,
    AnthropicCall,
    AnthropicFake,
    error,
    message,
    tool_use,
)
from tests.fakes.http_server import Reply

# claude-sonnet-4-5 is deprecated by the SDK (end of life 2026-11-30); see the last test.
MODEL = "claude-haiku-4-5"


def answer_with(tool_input: Any, **usage: Any) -> Any:
    return lambda call: tool_use(call, tool_input, **usage)


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    with AnthropicFake(answer_with(TECHNICAL.model_dump(mode="json"))) as server:
        yield server


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


@pytest.fixture
async def provider(fake: AnthropicFake, sleeps: RecordedSleeps) -> AsyncIterator[AnthropicProvider]:
    claude = AnthropicProvider(
        API_KEY, base_url=fake.url, retry=RetryPolicy(max_attempts=3), sleep=sleeps
    )
    yield claude
    await claude.aclose()


@pytest.mark.parametrize("schema", list(SAMPLES), ids=lambda schema: schema.__name__)
async def test_each_schema_round_trips_through_a_forced_tool_call(
    fake: AnthropicFake, provider: AnthropicProvider, schema: type[BaseModel]
) -> None:
    sample = SAMPLES[schema]
    fake.responder = answer_with(sample.model_dump(mode="json"))
    generation = await provider.generate(request_for(schema, model=MODEL))
    assert generation.output == sample
    assert generation.provider == "anthropic"
    call = fake.calls[0]
    assert call.tool_choice == {"type": "tool", "name": tool_name(schema)}
    assert [tool["name"] for tool in call.tools] == [tool_name(schema)]
    assert call.tools[0]["input_schema"] == schema.model_json_schema()


async def test_system_prompt_and_model_reach_the_api(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    request = request_for(TechnicalAnalysis, model="claude-opus-4-1")
    generation = await provider.generate(request)
    call = fake.calls[0]
    assert call.model == "claude-opus-4-1"
    assert call.system == request.system
    assert call.user == request.prompt
    assert call.body["max_tokens"] > 0
    assert json.loads(generation.raw) == TECHNICAL.model_dump(mode="json")


async def test_usage_and_cost_come_from_the_response(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.responder = answer_with(
        TECHNICAL.model_dump(mode="json"), input_tokens=2000, output_tokens=400
    )
    usage = (await provider.generate(request_for(TechnicalAnalysis, model=MODEL))).usage
    assert (usage.input_tokens, usage.output_tokens) == (2000, 400)
    # claude-haiku-4-5: $1 in, $5 out per million tokens.
    assert usage.cost_usd == Decimal("0.004")


async def test_answer_without_the_tool_call_is_malformed(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.responder = lambda call: message(call, [{"type": "text", "text": "I think AAPL is fine."}])
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis, model=MODEL))
    assert "did not call the tool" in caught.value.errors[0]
    assert caught.value.raw == "I think AAPL is fine."
    assert caught.value.usage.input_tokens == 150


async def test_invalid_tool_input_is_repaired_with_the_errors_fed_back(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    approval = SAMPLES[Approval]
    invalid = approval.model_dump(mode="json") | {
        "verdicts": [{"symbol": "AAPL", "verdict": "MAYBE"}]
    }
    fake.script([answer_with(invalid), answer_with(approval.model_dump(mode="json"))])
    generation = await generate_structured(provider, request_for(Approval, model=MODEL))
    assert generation.output == approval
    assert generation.attempts == 2
    assert generation.usage.input_tokens == 300
    repair = fake.calls[1].user
    assert FEEDBACK_HEADER in repair and FEEDBACK_FOOTER in repair
    assert "verdicts.0.verdict: Input should be 'APPROVE' or 'REJECT'" in repair


async def test_three_invalid_answers_fail_closed(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.responder = answer_with({"symbol": "not a symbol"})
    with pytest.raises(MalformedOutputError):
        await generate_structured(provider, request_for(TechnicalAnalysis, model=MODEL))
    assert len(fake.calls) == 3


async def test_429_waits_for_retry_after_then_succeeds(
    fake: AnthropicFake, provider: AnthropicProvider, sleeps: RecordedSleeps
) -> None:
    fake.script(
        [
            lambda _call: error(
                429, "Number of requests has exceeded your rate limit", retry_after="2"
            ),
            answer_with(TECHNICAL.model_dump(mode="json")),
        ]
    )
    generation = await provider.generate(request_for(TechnicalAnalysis, model=MODEL))
    assert generation.output == TECHNICAL
    assert sleeps.waits == [2.0]


async def test_overloaded_is_retried_then_unavailable(
    fake: AnthropicFake, provider: AnthropicProvider, sleeps: RecordedSleeps
) -> None:
    fake.responder = lambda _call: error(529, "Overloaded")
    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.generate(request_for(TechnicalAnalysis, model=MODEL))
    assert len(fake.calls) == 3
    assert len(sleeps.waits) == 2
    assert "529" in caught.value.message


async def test_repeated_429_is_rate_limited(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.responder = lambda _call: error(429, "rate limited", retry_after="0")
    with pytest.raises(ProviderRateLimitedError):
        await provider.generate(request_for(TechnicalAnalysis, model=MODEL))
    assert len(fake.calls) == 3


async def test_slow_answer_is_a_timeout(fake: AnthropicFake, provider: AnthropicProvider) -> None:
    def slow(call: AnthropicCall) -> Reply:
        reply = tool_use(call, TECHNICAL.model_dump(mode="json"))
        return Reply(reply.status, reply.body, reply.headers, delay_seconds=3.0)

    fake.responder = slow
    with pytest.raises(ProviderTimeoutError):
        await provider.generate(request_for(TechnicalAnalysis, model=MODEL, timeout_s=0.3))


async def test_wrong_key_is_an_auth_error_and_not_retried(fake: AnthropicFake) -> None:
    claude = AnthropicProvider("wrong-key", base_url=fake.url)
    try:
        with pytest.raises(ProviderAuthError) as caught:
            await claude.generate(request_for(TechnicalAnalysis, model=MODEL))
    finally:
        await claude.aclose()
    assert "ANTHROPIC_API_KEY" in caught.value.message
    assert len(fake.server.requests) == 1


async def test_truncated_tool_call_is_malformed(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.responder = answer_with({"symbol": "AAPL"}, stop_reason="max_tokens")
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis, model=MODEL))
    assert "max_tokens" in caught.value.errors[0]


async def test_a_model_the_sdk_deprecates_is_called_and_the_deprecation_surfaces(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    with pytest.warns(DeprecationWarning, match="claude-sonnet-4-5"):
        generation = await provider.generate(
            request_for(TechnicalAnalysis, model="claude-sonnet-4-5")
        )
    assert generation.output == TECHNICAL
