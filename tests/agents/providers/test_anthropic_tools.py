"""Anthropic tool use through the real anthropic SDK against the fake Messages API.

The agent's tools are offered beside the output tool with `tool_choice` auto; `tool_use`
blocks are answered by `tool_result` blocks with the same ids; a call of the output tool is
the answer; after `max_tool_rounds` rounds, or a turn in prose, the output tool is forced.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from agents.providers.anthropic_provider import AnthropicProvider
from agents.providers.base import MalformedOutputError
from agents.providers.pricing import call_cost
from agents.providers.retry import RetryPolicy
from agents.schemas import TechnicalAnalysis
from agents.tools import TOOLS, call_tool
from tests.agents.providers.samples import TECHNICAL
from tests.agents.providers.tool_samples import ANALYST_TOOLS, tool_data, tool_request
from tests.fakes.anthropic_api import (
    API_KEY,
    AnthropicCall,
    AnthropicFake,
    message,
    tool_calls,
    tool_use,
)
from tests.fakes.http_server import Reply

MODEL = "claude-haiku-4-5"
SUBMIT = "submit_TechnicalAnalysis"
ANSWER = TECHNICAL.model_dump(mode="json")
RSI = ("recalc_indicator", {"symbol": "AAPL", "indicator": "rsi", "period": 7, "last": 3})


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    with AnthropicFake(lambda call: tool_use(call, ANSWER)) as server:
        yield server


@pytest.fixture
async def provider(fake: AnthropicFake) -> AsyncIterator[AnthropicProvider]:
    claude = AnthropicProvider(API_KEY, base_url=fake.url, retry=RetryPolicy(max_attempts=1))
    yield claude
    await claude.aclose()


def _answer(call: AnthropicCall) -> Reply:
    return tool_use(call, ANSWER)


def _uses(*calls: tuple[str, dict[str, Any]]) -> Any:
    return lambda call: tool_calls(call, *calls)


def _results(call: AnthropicCall) -> list[tuple[dict[str, Any], bool]]:
    return [(json.loads(b["content"]), b.get("is_error", False)) for b in call.tool_results]


async def test_one_tool_round_then_the_answer_through_the_output_tool(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.script([_uses(RSI), _answer])
    generation = await provider.generate(tool_request(MODEL))
    assert generation.output == TECHNICAL
    first, second = fake.calls
    assert first.tool_choice == second.tool_choice == {"type": "auto"}
    user, assistant, results = second.messages
    assert user == first.messages[0]
    # The assistant turn goes back as it came; the result answers its tool_use id.
    (used,) = [b for b in assistant["content"] if b["type"] == "tool_use"]
    assert (used["name"], used["input"]) == RSI
    (block,) = results["content"]
    assert block["type"] == "tool_result" and block["tool_use_id"] == used["id"]
    assert "is_error" not in block
    assert json.loads(block["content"]) == await call_tool(RSI[0], tool_data(), RSI[1])
    (record,) = generation.tool_calls
    assert (record.name, dict(record.arguments), record.ok, record.round) == (*RSI, True, 1)


async def test_the_tools_are_the_pydantic_schemas_beside_the_output_tool(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    await provider.generate(tool_request(MODEL))
    (call,) = fake.calls
    assert [t["name"] for t in call.tools] == [*ANALYST_TOOLS, SUBMIT]
    for tool in call.tools[:-1]:
        assert tool["input_schema"] == TOOLS[tool["name"]].args.model_json_schema()
        assert tool["description"] == TOOLS[tool["name"]].description
    assert call.tools[-1]["input_schema"] == TechnicalAnalysis.model_json_schema()


async def test_a_request_without_tools_forces_the_output_tool_at_once(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    generation = await provider.generate(tool_request(MODEL, tools=(), tool_data=None))
    (call,) = fake.calls
    assert [t["name"] for t in call.tools] == [SUBMIT]
    assert call.tool_choice == {"type": "tool", "name": SUBMIT}
    assert generation.tool_calls == ()


async def test_two_tools_in_one_turn_are_answered_in_order_in_one_message(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    quotes = ("get_quotes", {"symbols": ["AAPL"]})
    memory = ("memory_query", {"symbol": "AAPL"})
    fake.script([_uses(quotes, memory), _answer])
    generation = await provider.generate(tool_request(MODEL))
    asked = [b["id"] for b in fake.calls[1].messages[1]["content"] if b["type"] == "tool_use"]
    assert [b["tool_use_id"] for b in fake.calls[1].tool_results] == asked
    (got_quotes, _), (got_memory, _) = _results(fake.calls[1])
    assert got_quotes["quotes"]["AAPL"]["bid"] > 0
    assert got_memory == {"symbol": "AAPL", "cases": []}
    assert [c.name for c in generation.tool_calls] == ["get_quotes", "memory_query"]


async def test_a_tool_error_is_an_error_result_and_the_model_recovers(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    wrong = ("recalc_indicator", {"symbol": "MSFT", "indicator": "sma"})
    fake.script([_uses(wrong), _uses(RSI), _answer])
    generation = await provider.generate(tool_request(MODEL))
    ((refused, is_error),) = _results(fake.calls[1])
    assert is_error and refused["error"]["code"] == "UNKNOWN_SYMBOL"
    ((answered, is_error),) = _results(fake.calls[2])
    assert not is_error and "values" in answered
    assert generation.output == TECHNICAL
    assert [(c.error_code, c.round) for c in generation.tool_calls] == [
        ("UNKNOWN_SYMBOL", 1),
        (None, 2),
    ]


async def test_an_unknown_tool_name_is_answered_with_an_error(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.script([_uses(("get_weather", {"city": "Paris"})), _answer])
    generation = await provider.generate(tool_request(MODEL))
    ((refused, is_error),) = _results(fake.calls[1])
    assert is_error and refused["error"]["code"] == "UNKNOWN_TOOL"
    assert generation.tool_calls[0].error_code == "UNKNOWN_TOOL"


def _calls_tools_unless_forced(call: AnthropicCall) -> Reply:
    if (call.tool_choice or {}).get("type") == "tool":
        return tool_use(call, ANSWER)
    return tool_calls(call, RSI)


async def test_after_the_round_bound_the_output_tool_is_forced(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.responder = _calls_tools_unless_forced
    generation = await provider.generate(tool_request(MODEL, max_tool_rounds=2))
    assert generation.output == TECHNICAL
    assert [c.tool_choice for c in fake.calls] == [
        {"type": "auto"},
        {"type": "auto"},
        {"type": "tool", "name": SUBMIT},
    ]
    last = fake.calls[-1].messages[-1]["content"]
    assert last[-1]["type"] == "text"
    assert last[-1]["text"].startswith("You have used all 2 tool rounds")
    assert [c.round for c in generation.tool_calls] == [1, 2]


async def test_a_turn_in_prose_gets_the_output_tool_forced(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    prose = [{"type": "text", "text": "The trend is up; RSI is high."}]
    fake.script([lambda call: message(call, prose), _answer])
    generation = await provider.generate(tool_request(MODEL))
    assert generation.output == TECHNICAL
    second = fake.calls[1]
    assert second.tool_choice == {"type": "tool", "name": SUBMIT}
    assert second.messages[1] == {"role": "assistant", "content": prose}
    assert second.messages[2]["content"].startswith("Answer now with the final")


async def test_usage_and_cost_sum_over_every_round(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.script(
        [
            lambda call: tool_calls(call, RSI, input_tokens=1000, output_tokens=80),
            lambda call: tool_use(call, ANSWER, input_tokens=1400, output_tokens=300),
        ]
    )
    usage = (await provider.generate(tool_request(MODEL))).usage
    assert (usage.input_tokens, usage.output_tokens) == (2400, 380)
    assert usage.cost_usd == call_cost(MODEL, 1000, 80) + call_cost(MODEL, 1400, 300)


async def test_a_forced_answer_without_the_output_tool_is_malformed_with_everything_spent(
    fake: AnthropicFake, provider: AnthropicProvider
) -> None:
    fake.script(
        [
            lambda call: tool_calls(call, RSI, input_tokens=500),
            lambda call: message(call, [{"type": "text", "text": "no"}], input_tokens=600),
        ]
    )
    with pytest.raises(MalformedOutputError) as caught:
        await provider.generate(tool_request(MODEL, max_tool_rounds=1))
    assert "did not call the tool submit_TechnicalAnalysis" in caught.value.errors[0]
    assert caught.value.usage.input_tokens == 1100
    assert [c.name for c in caught.value.tool_calls] == ["recalc_indicator"]
