"""The Gemini provider through the real google-genai SDK against a fake generateContent API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from agents.providers.base import (
    MalformedOutputError,
    ProviderAuthError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from agents.providers.gemini import GeminiProvider
from agents.providers.pricing import UnknownModelPriceError
from agents.providers.prompting import FEEDBACK_FOOTER, FEEDBACK_HEADER
from agents.providers.retry import RetryPolicy
from agents.providers.structured import generate_structured
from agents.schemas import TechnicalAnalysis, TradingPlan
from tests.agents.providers.samples import SAMPLES, TECHNICAL, RecordedSleeps, request_for
from tests.fakes.gemini_generate import (
    API_KEY,
    GeminiGenerateFake,
    error,
    success,
)
from tests.fakes.http_server import Reply

REFERENCE = Path(
    "/work/shared/data/reference/FirebaseExtended-vertexai-sdk-test-data/mock-responses/googleai"
)


@pytest.fixture
def fake() -> Iterator[GeminiGenerateFake]:
    with GeminiGenerateFake(lambda _call: success(TECHNICAL.model_dump())) as server:
        yield server


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


@pytest.fixture
async def provider(
    fake: GeminiGenerateFake, sleeps: RecordedSleeps
) -> AsyncIterator[GeminiProvider]:
    gemini = GeminiProvider(
        API_KEY, base_url=fake.url, retry=RetryPolicy(max_attempts=3), sleep=sleeps
    )
    yield gemini
    await gemini.aclose()


@pytest.mark.parametrize("schema", list(SAMPLES), ids=lambda schema: schema.__name__)
async def test_each_schema_round_trips_through_native_structured_output(
    fake: GeminiGenerateFake, provider: GeminiProvider, schema: type[BaseModel]
) -> None:
    sample = SAMPLES[schema]
    fake.responder = lambda _call: success(sample.model_dump(mode="json"))
    generation = await provider.generate(request_for(schema))
    assert generation.output == sample
    assert generation.provider == "gemini"
    config = fake.calls[0].generation_config
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["title"] == schema.__name__
    assert config["responseJsonSchema"]["required"] == schema.model_json_schema()["required"]


async def test_system_instruction_prompt_and_model_reach_the_api(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    request = request_for(TechnicalAnalysis, model="gemini-3-flash-preview", temperature=0.4)
    generation = await provider.generate(request)
    call = fake.calls[0]
    assert call.model == "gemini-3-flash-preview"
    assert call.system == request.system
    assert call.user == request.prompt
    assert call.generation_config["temperature"] == 0.4
    assert FEEDBACK_HEADER not in call.user
    assert generation.prompt_hash == request.prompt_hash()
    assert json.loads(generation.raw) == TECHNICAL.model_dump(mode="json")


async def test_usage_counts_thinking_as_output_and_costs_at_list_price(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: success(
        TECHNICAL.model_dump(), prompt_tokens=1000, output_tokens=300, thoughts_tokens=200
    )
    usage = (await provider.generate(request_for(TechnicalAnalysis))).usage
    assert (usage.input_tokens, usage.output_tokens) == (1000, 500)
    # gemini-3-pro-preview: $2 in, $12 out per million tokens.
    assert usage.cost_usd == Decimal("0.008")
    assert usage.latency_ms >= 0


async def test_malformed_json_is_a_malformed_output_error_with_usage(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: success('{"symbol": "AAPL", "setup": ', output_tokens=7)
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert caught.value.code == "MALFORMED_OUTPUT"
    assert caught.value.raw == '{"symbol": "AAPL", "setup": '
    assert caught.value.errors and "JSON" in caught.value.errors[0]
    assert caught.value.usage.output_tokens == 7


async def test_out_of_range_values_fail_validation_not_silently_clamped(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    bad = TECHNICAL.model_dump() | {"confidence": 1.7}
    fake.responder = lambda _call: success(bad)
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert any(error.startswith("confidence:") for error in caught.value.errors)


async def test_malformed_answer_is_repaired_with_the_errors_fed_back(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.script(
        [
            success({"decisions": "none"}, output_tokens=5),
            success(SAMPLES[TradingPlan].model_dump()),
        ]
    )
    generation = await generate_structured(provider, request_for(TradingPlan))
    assert generation.output == SAMPLES[TradingPlan]
    assert generation.attempts == 2
    assert generation.usage.output_tokens == 5 + 40
    repair = fake.calls[1].user
    assert repair.startswith(request_for(TradingPlan).prompt)
    assert FEEDBACK_HEADER in repair and FEEDBACK_FOOTER in repair
    assert "decisions: Input should be a valid array" in repair
    assert "summary: Field required" in repair


async def test_three_malformed_answers_fail_closed(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: success("not json at all", output_tokens=3)
    with pytest.raises(MalformedOutputError) as caught:
        await generate_structured(provider, request_for(TechnicalAnalysis))
    assert len(fake.calls) == 3
    assert caught.value.usage.output_tokens == 9
    assert "after 3 attempts" in caught.value.message


async def test_429_waits_for_retry_after_then_succeeds(
    fake: GeminiGenerateFake, provider: GeminiProvider, sleeps: RecordedSleeps
) -> None:
    fake.script(
        [
            error(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED", retry_after="3"),
            success(TECHNICAL.model_dump()),
        ]
    )
    generation = await provider.generate(request_for(TechnicalAnalysis))
    assert generation.output == TECHNICAL
    assert sleeps.waits == [3.0]
    assert len(fake.calls) == 2


async def test_429_retry_delay_in_the_error_body_is_honoured(
    fake: GeminiGenerateFake, provider: GeminiProvider, sleeps: RecordedSleeps
) -> None:
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
    fake.script(
        [
            error(429, "Quota exceeded", "RESOURCE_EXHAUSTED", details=[retry_info]),
            success(TECHNICAL.model_dump()),
        ]
    )
    await provider.generate(request_for(TechnicalAnalysis))
    assert sleeps.waits == [7.0]


async def test_rate_limit_that_outlasts_the_timeout_gives_up_without_waiting(
    fake: GeminiGenerateFake, provider: GeminiProvider, sleeps: RecordedSleeps
) -> None:
    fake.responder = lambda _call: error(429, "slow down", "RESOURCE_EXHAUSTED", retry_after="60")
    with pytest.raises(ProviderRateLimitedError) as caught:
        await provider.generate(request_for(TechnicalAnalysis, timeout_s=5.0))
    assert sleeps.waits == []
    assert "past the 5 s timeout" in caught.value.message


async def test_server_errors_are_retried_then_unavailable(
    fake: GeminiGenerateFake, provider: GeminiProvider, sleeps: RecordedSleeps
) -> None:
    fake.responder = lambda _call: error(503, "The model is overloaded", "UNAVAILABLE")
    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert len(fake.calls) == 3
    assert len(sleeps.waits) == 2
    assert "503" in caught.value.message and "after 3 attempts" in caught.value.message


async def test_repeated_429_is_rate_limited(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: error(429, "slow down", "RESOURCE_EXHAUSTED", retry_after="0")
    with pytest.raises(ProviderRateLimitedError):
        await provider.generate(request_for(TechnicalAnalysis))
    assert len(fake.calls) == 3


async def test_slow_answer_is_a_timeout(fake: GeminiGenerateFake, provider: GeminiProvider) -> None:
    fake.responder = lambda _call: Reply(200, {}, delay_seconds=3.0)
    with pytest.raises(ProviderTimeoutError):
        await provider.generate(request_for(TechnicalAnalysis, timeout_s=0.3))


async def test_wrong_key_is_an_auth_error(fake: GeminiGenerateFake) -> None:
    gemini = GeminiProvider("wrong-key", base_url=fake.url)
    try:
        with pytest.raises(ProviderAuthError) as caught:
            await gemini.generate(request_for(TechnicalAnalysis))
    finally:
        await gemini.aclose()
    assert "GOOGLE_API_KEY" in caught.value.message
    assert fake.calls == []


async def test_forbidden_is_an_auth_error(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: error(403, "Permission denied", "PERMISSION_DENIED")
    with pytest.raises(ProviderAuthError):
        await provider.generate(request_for(TechnicalAnalysis))
    assert len(fake.calls) == 1


async def test_truncated_answer_is_malformed(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: success(TECHNICAL.model_dump(), finish_reason="MAX_TOKENS")
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert "MAX_TOKENS" in caught.value.errors[0]


async def test_unpriced_model_is_refused_before_any_request(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    with pytest.raises(UnknownModelPriceError):
        await provider.generate(request_for(TechnicalAnalysis, model="gemini-0-mystery"))
    assert fake.server.requests == []


def _reference(name: str) -> Reply:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference data absent: {path}")
    body = json.loads(path.read_text())
    status = int(body["error"]["code"]) if "error" in body else 200
    return Reply(status, body)


async def test_recorded_prose_reply_is_not_accepted_as_structured_output(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    reply = _reference("unary-success-basic-reply-short.json")
    fake.responder = lambda _call: reply
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert "Mountain View" in caught.value.raw
    assert (caught.value.usage.input_tokens, caught.value.usage.output_tokens) == (7, 22)


async def test_recorded_safety_stop_is_malformed(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    reply = _reference("unary-failure-finish-reason-safety.json")
    fake.responder = lambda _call: reply
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert "SAFETY" in caught.value.errors[0]


async def test_recorded_invalid_key_answer_is_an_auth_error(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    reply = _reference("unary-failure-api-key.json")
    fake.responder = lambda _call: reply
    with pytest.raises(ProviderAuthError):
        await provider.generate(request_for(TechnicalAnalysis))
