"""Tool-offering requests: the hash, refused requests, roles' tools, replay and offline providers.

Replay keeps the tool calls of a recorded answer for the audit and runs no tool; `rules` and
`scripted` answer a request with tools exactly as without.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agents.providers.base import GenerationRequest, ToolCall
from agents.providers.gemini import GeminiProvider
from agents.providers.replay import ReplayProvider
from agents.providers.retry import RetryPolicy
from agents.providers.scripted import ScriptedProvider
from agents.providers.toolloop import Deadline, PendingCall, run_calls
from agents.roles import ROLES, build_request, with_tools
from agents.rules import RulesProvider
from agents.schemas import TechnicalAnalysis
from cream.config.schema import AGENT_NAMES, AgentsSettings
from tests.agents.builders import analyst_inputs_for, context_for
from tests.agents.providers.samples import TECHNICAL, request_for
from tests.agents.providers.tool_samples import ANALYST_TOOLS, tool_data, tool_request
from tests.fakes.gemini_generate import API_KEY, GeminiGenerateFake, function_call, success

RSI = ("recalc_indicator", {"symbol": "AAPL", "indicator": "rsi", "period": 7})


def test_the_hash_of_a_request_without_tools_is_what_it_was_before_tools() -> None:
    request = request_for(TechnicalAnalysis)
    material = json.dumps(
        [request.agent, request.model, request.system, request.prompt, "TechnicalAnalysis"],
        separators=(",", ":"),
    )
    assert request.prompt_hash() == hashlib.sha256(material.encode()).hexdigest()


def test_the_offered_tools_and_their_bound_change_the_hash() -> None:
    plain = request_for(TechnicalAnalysis).prompt_hash()
    with_all = tool_request().prompt_hash()
    with_one = tool_request(tools=("get_quotes",)).prompt_hash()
    fewer_rounds = tool_request(max_tool_rounds=1).prompt_hash()
    assert len({plain, with_all, with_one, fewer_rounds}) == 4
    # The data the tools read is the cycle's, not part of what the model is asked.
    assert tool_request(tool_data=tool_data()).prompt_hash() == with_all


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tool_data": None}, "no tool data"),
        ({"tools": ("get_quotes", "fly_to_the_moon")}, "unknown tools"),
        ({"tools": ("get_quotes", "get_quotes")}, "listed twice"),
        ({"max_tool_rounds": -1}, "max_tool_rounds"),
    ],
)
def test_a_request_whose_tools_cannot_run_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tool_request(**changes)


def test_roles_offer_their_own_tools_only_when_given_the_data() -> None:
    settings = AgentsSettings()
    context = context_for("AAPL", "flat")
    inputs = analyst_inputs_for(context, "technical_analyst")
    bare = build_request("technical_analyst", settings.technical_analyst, inputs)
    assert bare.tools == () and bare.tool_data is None
    data = tool_data()
    offered = build_request("technical_analyst", settings.technical_analyst, inputs, tool_data=data)
    assert offered.tools == ROLES["technical_analyst"].tools == ANALYST_TOOLS
    assert offered.tool_data is data
    assert offered.prompt == bare.prompt
    for name in AGENT_NAMES:
        request = GenerationRequest(
            agent=name, model="m", system="", prompt="", schema=TechnicalAnalysis, inputs=inputs
        )
        assert with_tools(request, data).tools == ROLES[name].tools
    critic = GenerationRequest(
        agent="critic", model="m", system="", prompt="", schema=TechnicalAnalysis, inputs=inputs
    )
    assert with_tools(critic, data) is critic


def test_a_tool_call_record_round_trips_through_json() -> None:
    call = ToolCall("recalc_indicator", {"symbol": "AAPL"}, False, "NO_BARS", "none", 3, 2, 1)
    assert ToolCall.from_json(json.loads(json.dumps(call.as_json()))) == call


async def test_replay_keeps_the_recorded_tool_calls_and_runs_no_tool(tmp_path: Path) -> None:
    request = tool_request()
    with GeminiGenerateFake(lambda _call: success({})) as fake:
        fake.script([function_call(RSI), success(TECHNICAL.model_dump(mode="json"))])
        gemini = GeminiProvider(API_KEY, base_url=fake.url, retry=RetryPolicy(max_attempts=1))
        try:
            recorded = await ReplayProvider(tmp_path, "record", gemini).generate(request)
        finally:
            await gemini.aclose()
    cassette = json.loads(ReplayProvider(tmp_path).path_for(request).read_text())
    assert cassette["tools"] == list(ANALYST_TOOLS)
    assert [c["name"] for c in cassette["tool_calls"]] == ["recalc_indicator"]
    # The fake server is stopped: the replay answers from the cassette alone.
    replayed = await ReplayProvider(tmp_path).generate(request)
    assert replayed.output == recorded.output == TECHNICAL
    assert replayed.tool_calls == recorded.tool_calls
    assert replayed.tool_calls[0].ok and replayed.tool_calls[0].arguments == RSI[1]


async def test_rules_and_scripted_providers_answer_alike_with_or_without_tools() -> None:
    context = context_for("AAPL", "bullish")
    inputs = analyst_inputs_for(context, "technical_analyst")
    settings = AgentsSettings().technical_analyst
    bare = build_request("technical_analyst", settings, inputs)
    offered = build_request("technical_analyst", settings, inputs, tool_data=tool_data())
    rules = RulesProvider()
    assert (await rules.generate(offered)).output == (await rules.generate(bare)).output
    scripted = ScriptedProvider(lambda _request: TECHNICAL)
    generation = await scripted.generate(offered)
    assert generation.output == TECHNICAL and generation.tool_calls == ()


class CrashingChains:
    """An option-chain source with a bug."""

    async def option_chain(self, underlying: str, as_of: datetime, **_bounds: Any) -> Any:
        raise RuntimeError("boom")


async def test_a_crashing_tool_is_answered_tool_failed_and_the_others_still_run() -> None:
    data = dataclasses.replace(tool_data(), feed=CrashingChains())
    request = tool_request(tools=("option_chain", "get_quotes"), tool_data=data)
    calls = [
        PendingCall("option_chain", {"underlying": "AAPL"}, "a"),
        PendingCall("get_quotes", {"symbols": ["AAPL"]}, "b"),
    ]
    crashed, quoted = await run_calls(request, calls, 1, Deadline(5.0))
    assert crashed.result == {
        "error": {"code": "TOOL_FAILED", "message": "option_chain failed: RuntimeError"}
    }
    assert crashed.is_error and crashed.record.error_code == "TOOL_FAILED"
    assert not quoted.is_error and quoted.result["quotes"]["AAPL"]["last"] > 0
