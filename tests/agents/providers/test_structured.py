"""The repair loop and the scripted provider: feedback, attempts, usage, fail closed."""

from __future__ import annotations

from typing import Any

import pytest

from agents.providers.base import (
    GenerationRequest,
    MalformedOutputError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from agents.providers.prompting import FEEDBACK_HEADER, user_message
from agents.providers.scripted import ScriptedProvider
from agents.providers.structured import generate_structured
from agents.providers.tokens import count_tokens
from agents.schemas import ResearchThesis, TechnicalAnalysis
from tests.agents.providers.samples import TECHNICAL, THESIS, request_for


def answers(*script: Any) -> Any:
    pending = list(script)
    return lambda _request: pending.pop(0)


async def test_first_valid_answer_takes_one_attempt() -> None:
    provider = ScriptedProvider(lambda _request: TECHNICAL)
    generation = await generate_structured(provider, request_for(TechnicalAnalysis))
    assert (generation.output, generation.attempts, generation.errors) == (TECHNICAL, 1, ())
    assert provider.calls == 1


async def test_repairs_feed_every_earlier_error_back_and_sum_usage() -> None:
    provider = ScriptedProvider(answers("{", '{"symbol": "AAPL"}', TECHNICAL))
    generation = await generate_structured(provider, request_for(TechnicalAnalysis))
    assert generation.output == TECHNICAL
    assert generation.attempts == 3
    first, second, third = provider.requests
    assert first.feedback == ()
    assert len(second.feedback) == 1 and "JSON" in second.feedback[0]
    assert second.feedback[0] in third.feedback and "setup: Field required" in third.feedback
    assert FEEDBACK_HEADER in user_message(third)
    assert generation.errors == third.feedback
    expected_input = sum(
        count_tokens(request.system) + count_tokens(user_message(request))
        for request in provider.requests
    )
    assert generation.usage.input_tokens == expected_input


async def test_still_invalid_after_two_repairs_raises_with_all_usage() -> None:
    provider = ScriptedProvider(lambda _request: "[]")
    with pytest.raises(MalformedOutputError) as caught:
        await generate_structured(provider, request_for(TechnicalAnalysis))
    assert provider.calls == 3
    assert caught.value.usage.output_tokens == 3 * count_tokens("[]")
    assert caught.value.code == "MALFORMED_OUTPUT"


async def test_max_repairs_zero_fails_on_the_first_invalid_answer() -> None:
    provider = ScriptedProvider(lambda _request: "{}")
    with pytest.raises(MalformedOutputError):
        await generate_structured(provider, request_for(TechnicalAnalysis), max_repairs=0)
    assert provider.calls == 1


async def test_other_failures_are_not_repaired_and_carry_earlier_usage() -> None:
    provider = ScriptedProvider(answers("{", ProviderUnavailableError("down")))
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate_structured(provider, request_for(TechnicalAnalysis))
    assert provider.calls == 2
    assert caught.value.usage.output_tokens == count_tokens("{")


async def test_a_model_of_the_wrong_schema_is_malformed() -> None:
    provider = ScriptedProvider(lambda _request: THESIS)
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(request_for(TechnicalAnalysis))
    assert "ResearchThesis" in caught.value.message


async def test_scripted_delay_past_the_timeout_is_a_timeout() -> None:
    provider = ScriptedProvider(lambda _request: TECHNICAL, delay_s=5.0)
    with pytest.raises(ProviderTimeoutError):
        await provider.generate(request_for(TechnicalAnalysis, timeout_s=0.05))


async def test_scripted_answers_see_the_request() -> None:
    def by_agent(request: GenerationRequest[Any]) -> Any:
        return THESIS if request.schema is ResearchThesis else TECHNICAL

    provider = ScriptedProvider(by_agent, name="bench")
    thesis = await provider.generate(request_for(ResearchThesis, agent="bullish_researcher"))
    assert thesis.output == THESIS and thesis.provider == "bench"
    assert thesis.usage.cost_usd == 0
