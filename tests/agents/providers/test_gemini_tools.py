"""Gemini function calling through the real google-genai SDK against the fake generateContent.

The provider runs the loop: declarations from the tools' pydantic schemas, `functionCall`
parts answered by `functionResponse` parts (the model turn sent back with its thought
signature), at most `max_tool_rounds` rounds, then the structured answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.providers.base import MalformedOutputError, ProviderError
from agents.providers.gemini import GeminiProvider
from agents.providers.limits import LimitedProvider, ProviderLimiter
from agents.providers.pricing import call_cost
from agents.providers.retry import RetryPolicy
from agents.providers.structured import generate_structured
from agents.tools import TOOLS, call_tool
from tests.agents.providers.samples import TECHNICAL
from tests.agents.providers.tool_samples import ANALYST_TOOLS, tool_data, tool_request
from tests.fakes.gemini_generate import (
    API_KEY,
    GeminiCall,
    GeminiGenerateFake,
    declared_schema,
    error,
    function_call,
    signature_bytes,
    success,
)
from tests.fakes.http_server import Reply

RECORDED = Path(
    "/work/shared/data/reference/FirebaseExtended-vertexai-sdk-test-data/mock-responses/"
    "googleai/unary-success-thinking-function-call-thought-summary-signature.json"
)
ANSWER = TECHNICAL.model_dump(mode="json")
RSI = ("recalc_indicator", {"symbol": "AAPL", "indicator": "rsi", "period": 7, "last": 3})


@pytest.fixture
def fake() -> Iterator[GeminiGenerateFake]:
    with GeminiGenerateFake(lambda _call: success(ANSWER)) as server:
        yield server


@pytest.fixture
async def provider(fake: GeminiGenerateFake) -> AsyncIterator[GeminiProvider]:
    gemini = GeminiProvider(API_KEY, base_url=fake.url, retry=RetryPolicy(max_attempts=1))
    yield gemini
    await gemini.aclose()


def _parts(content: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [part[kind] for part in content.get("parts", []) if kind in part]


def _texts(call: GeminiCall) -> str:
    return "\n".join(p.get("text", "") for c in call.contents for p in c.get("parts", []))


async def test_one_tool_round_then_the_answer(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.script([function_call(RSI), success(ANSWER)])
    generation = await provider.generate(tool_request())
    assert generation.output == TECHNICAL
    first, second = fake.calls
    # The model's turn goes back as it came, with the thought signature the fake issued.
    user, model, answers = second.contents
    assert user == first.contents[0]
    assert model["role"] == "model"
    (called,) = [p for p in model["parts"] if "functionCall" in p]
    assert called["functionCall"] == {"name": RSI[0], "args": RSI[1]}
    issued = {signature_bytes(s) for s in fake.signatures}
    assert signature_bytes(called["thoughtSignature"]) in issued
    # The tool ran over the cycle's data and its answer is the functionResponse.
    assert answers["role"] == "user"
    (response,) = _parts(answers, "functionResponse")
    assert response["name"] == "recalc_indicator"
    assert response["response"] == await call_tool(RSI[0], tool_data(), RSI[1])
    assert len(response["response"]["values"]) == 3
    (record,) = generation.tool_calls
    assert (record.name, dict(record.arguments), record.ok, record.round) == (*RSI, True, 1)


async def test_the_declarations_are_the_tools_pydantic_schemas_with_json_mode(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    await provider.generate(tool_request())
    (call,) = fake.calls
    assert [d["name"] for d in call.declarations] == list(ANALYST_TOOLS)
    for declaration in call.declarations:
        tool = TOOLS[declaration["name"]]
        assert declared_schema(declaration) == tool.args.model_json_schema()
        assert declaration["description"] == tool.description
    assert call.body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    # Gemini 3 takes tools and JSON mode together, so the first answer may be the final one.
    assert call.generation_config["responseMimeType"] == "application/json"
    assert call.generation_config["responseJsonSchema"]["title"] == "TechnicalAnalysis"


async def test_a_request_without_tools_declares_none(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    generation = await provider.generate(tool_request(tools=(), tool_data=None))
    (call,) = fake.calls
    assert "tools" not in call.body and "toolConfig" not in call.body
    assert generation.tool_calls == ()


async def test_two_calls_in_one_turn_are_answered_in_order_in_one_turn(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    quotes = ("get_quotes", {"symbols": ["AAPL"]})
    memory = ("memory_query", {"symbol": "AAPL", "limit": 3})
    fake.script([function_call(quotes, memory), success(ANSWER)])
    generation = await provider.generate(tool_request())
    answers = fake.calls[1].contents[-1]
    responses = _parts(answers, "functionResponse")
    assert [r["name"] for r in responses] == ["get_quotes", "memory_query"]
    assert responses[0]["response"]["quotes"]["AAPL"]["ask"] > 0
    assert responses[1]["response"] == {"symbol": "AAPL", "cases": []}
    assert [(c.name, c.round) for c in generation.tool_calls] == [
        ("get_quotes", 1),
        ("memory_query", 1),
    ]


async def test_a_tool_error_goes_back_to_the_model_which_recovers(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    wrong = ("recalc_indicator", {"symbol": "MSFT", "indicator": "atr"})
    fake.script([function_call(wrong), function_call(RSI), success(ANSWER)])
    generation = await provider.generate(tool_request())
    (refused,) = _parts(fake.calls[1].contents[-1], "functionResponse")
    assert refused["response"]["error"]["code"] == "UNKNOWN_SYMBOL"
    assert "AAPL" in refused["response"]["error"]["message"]
    (answered,) = _parts(fake.calls[2].contents[-1], "functionResponse")
    assert "values" in answered["response"]
    assert generation.output == TECHNICAL
    assert [(c.ok, c.error_code, c.round) for c in generation.tool_calls] == [
        (False, "UNKNOWN_SYMBOL", 1),
        (True, None, 2),
    ]


async def test_unknown_unoffered_and_malformed_calls_are_answered_with_errors(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    calls = (
        ("get_weather", {"city": "Paris"}),
        ("option_chain", {"underlying": "AAPL"}),  # a real tool, not the analyst's
        ("recalc_indicator", {"symbol": "AAPL"}),  # no indicator
    )
    fake.script([function_call(*calls), success(ANSWER)])
    generation = await provider.generate(tool_request())
    responses = _parts(fake.calls[1].contents[-1], "functionResponse")
    codes = [r["response"]["error"]["code"] for r in responses]
    assert codes == ["UNKNOWN_TOOL", "UNKNOWN_TOOL", "INVALID_ARGUMENTS"]
    assert "recalc_indicator" in responses[0]["response"]["error"]["message"]
    assert generation.output == TECHNICAL
    assert [c.error_code for c in generation.tool_calls] == codes


def _calls_tools_while_offered(call: GeminiCall) -> Reply:
    return function_call(RSI) if call.declarations else success(ANSWER)


async def test_after_the_round_bound_the_answer_is_asked_for_without_tools(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = _calls_tools_while_offered
    generation = await provider.generate(tool_request(max_tool_rounds=2))
    assert generation.output == TECHNICAL
    assert len(fake.calls) == 3
    final = fake.calls[-1]
    assert "tools" not in final.body
    assert final.generation_config["responseMimeType"] == "application/json"
    # Without declared tools the history travels as text, ending with the instruction.
    assert not any(
        "functionCall" in p or "functionResponse" in p for c in final.contents for p in c["parts"]
    )
    assert "[you called recalc_indicator with" in _texts(final)
    assert "[recalc_indicator answered" in _texts(final)
    assert final.contents[-1]["parts"][-1]["text"].startswith("You have used all 2 tool rounds")
    assert [c.round for c in generation.tool_calls] == [1, 2]


async def test_a_model_that_calls_tools_past_the_bound_fails_with_tool_loop_exceeded(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.responder = lambda _call: function_call(RSI, prompt_tokens=100, output_tokens=10)
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(tool_request(max_tool_rounds=1))
    assert caught.value.errors[0].startswith("TOOL_LOOP_EXCEEDED: called recalc_indicator")
    assert len(fake.calls) == 2
    assert caught.value.usage.input_tokens == 200
    assert [c.round for c in caught.value.tool_calls] == [1]


async def test_usage_and_cost_sum_over_every_round(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.script(
        [
            function_call(RSI, prompt_tokens=1000, output_tokens=50, thoughts_tokens=100),
            function_call(RSI, prompt_tokens=1500, output_tokens=60, thoughts_tokens=0),
            success(ANSWER, prompt_tokens=2000, output_tokens=300),
        ]
    )
    usage = (await provider.generate(tool_request())).usage
    assert (usage.input_tokens, usage.output_tokens) == (4500, 510)
    expected = (
        call_cost("gemini-3-pro-preview", 1000, 150)
        + call_cost("gemini-3-pro-preview", 1500, 60)
        + call_cost("gemini-3-pro-preview", 2000, 300)
    )
    assert usage.cost_usd == expected


async def test_a_failure_after_a_tool_round_keeps_its_usage_and_tool_calls(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    fake.script(
        [function_call(RSI, prompt_tokens=700), error(400, "bad request", "INVALID_ARGUMENT")]
    )
    with pytest.raises(ProviderError) as caught:
        await provider.generate(tool_request())
    assert caught.value.code == "PROVIDER_ERROR"
    assert caught.value.usage.input_tokens == 700
    assert [c.name for c in caught.value.tool_calls] == ["recalc_indicator"]


async def test_gemini_2_runs_tool_rounds_in_text_mode_then_asks_for_json(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    # The fake refuses tools with JSON mode on Gemini 2.x, as the real service does.
    fake.script(
        [
            function_call(RSI, model_version="gemini-2.5-flash"),
            success("RSI(7) is high; the trend is up.", model_version="gemini-2.5-flash"),
            success(ANSWER, model_version="gemini-2.5-flash"),
        ]
    )
    generation = await provider.generate(tool_request(model="gemini-2.5-flash"))
    assert generation.output == TECHNICAL
    rounds, final = fake.calls[:2], fake.calls[2]
    for call in rounds:
        assert call.declarations and "responseMimeType" not in call.generation_config
    assert not final.declarations
    assert final.generation_config["responseMimeType"] == "application/json"
    texts = [c["parts"][0]["text"] for c in final.contents if c["role"] == "model"]
    assert texts[-1] == "RSI(7) is high; the trend is up."
    assert final.contents[-1]["parts"][-1]["text"].startswith("Answer now with the final")
    assert len(generation.tool_calls) == 1


async def test_repair_runs_the_tool_loop_again_and_keeps_every_tool_call(
    fake: GeminiGenerateFake, provider: GeminiProvider
) -> None:
    bad = ANSWER | {"confidence": 1.7}
    fake.script([function_call(RSI), success(bad), function_call(RSI), success(ANSWER)])
    generation = await generate_structured(provider, tool_request())
    assert generation.attempts == 2
    assert [(c.attempt, c.round) for c in generation.tool_calls] == [(1, 1), (2, 1)]
    assert "confidence" in fake.calls[2].user  # the repair's first round carries the feedback


@pytest.fixture
def recorded() -> dict[str, Any]:
    if not RECORDED.exists():
        pytest.skip(f"reference data not present: {RECORDED}")
    body: dict[str, Any] = json.loads(RECORDED.read_text())
    return body


async def test_the_recorded_function_call_goes_back_with_its_signature(
    recorded: dict[str, Any],
) -> None:
    part = recorded["candidates"][0]["content"]["parts"][1]
    replies = [Reply(200, recorded), success("Done."), success(ANSWER)]
    with GeminiGenerateFake(lambda _call: replies.pop(0)) as fake:
        gemini = GeminiProvider(API_KEY, base_url=fake.url, retry=RetryPolicy(max_attempts=1))
        try:
            generation = await gemini.generate(tool_request(model="gemini-2.5-pro"))
        finally:
            await gemini.aclose()
    model_turn = fake.calls[1].contents[1]
    sent = next(p for p in model_turn["parts"] if "functionCall" in p)
    # The same bytes (the SDK re-encodes them URL-safe, which proto3 JSON accepts).
    assert signature_bytes(sent["thoughtSignature"]) == signature_bytes(part["thoughtSignature"])
    assert sent["functionCall"]["name"] == "now"
    (response,) = _parts(fake.calls[1].contents[2], "functionResponse")
    assert response["response"]["error"]["code"] == "UNKNOWN_TOOL"
    assert generation.output == TECHNICAL
    # Thinking tokens of the recorded round are billed as output.
    assert generation.usage.output_tokens >= 8 + 501


class CountingBucket:
    """A rate bucket that never waits and counts the tokens taken."""

    def __init__(self) -> None:
        self.taken = 0

    async def try_acquire(self, cost: int = 1) -> float:
        self.taken += cost
        return 0.0

    async def acquire(self, cost: int = 1) -> None:
        self.taken += cost


async def test_each_request_of_a_tool_loop_takes_a_rate_token(fake: GeminiGenerateFake) -> None:
    bucket = CountingBucket()
    limiter = ProviderLimiter(2, requests_per_minute=60, bucket=bucket)
    gemini = GeminiProvider(API_KEY, base_url=fake.url, pace=limiter.token)
    limited = LimitedProvider(gemini, limiter)
    fake.script([function_call(RSI), function_call(RSI), success(ANSWER)])
    try:
        await limited.generate(tool_request())
    finally:
        await limited.aclose()
    assert len(fake.calls) == bucket.taken == 3
