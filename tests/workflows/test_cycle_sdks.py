"""Whole cycles through the real google-genai and anthropic SDKs, against local fakes that
speak each API's wire format: every agent's structured output travels over HTTP, and so do
the tool calls agents make (answered from the cycle's data and the engine's option chains)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from agents.providers.registry import build_provider
from agents.providers.scripted import ScriptedProvider
from agents.roles import build_request
from agents.schemas import OUTPUT_SCHEMAS
from agents.tools import ToolData
from cream.config.schema import AgentsSettings
from cream.market.feed import DataUnavailable
from cream.storage.agent_outputs import AgentOutputRepository
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from tests.agents.builders import AS_OF, analyst_inputs_for, context_for, portfolio_for
from tests.fakes import anthropic_api, gemini_generate
from tests.fakes.http_server import Reply
from tests.workflows.harness import CycleHarness
from workflows.trading_cycle.budget import BudgetLimits, CycleBudget
from workflows.trading_cycle.calls import (
    AgentCaller,
    AgentFailure,
    EngineOptionChains,
    ResolvedAgent,
)
from workflows.trading_cycle.contract import CycleRequest

SYMBOL = "NVDA"
ANSWERS: dict[str, dict[str, Any]] = {
    "Technical Analyst": {
        "symbol": SYMBOL,
        "setup": "NO_SETUP",
        "trend": "NEUTRAL",
        "key_levels": {"support": [250.0], "resistance": [300.0]},
        "invalidation_long": 250.0,
        "invalidation_short": 300.0,
        "momentum": "flat",
        "volatility": "normal",
        "summary": "no setup",
        "confidence": 0.5,
    },
    "News Analyst": {
        "symbol": SYMBOL,
        "sentiment": 0.0,
        "stance": "NEUTRAL",
        "event_impacts": [],
        "data_available": False,
        "summary": "news is unavailable: FMP_API_KEY is not set",
        "confidence": 0.1,
    },
    "Fundamentals Analyst": {
        "symbol": SYMBOL,
        "valuation": "UNKNOWN",
        "stance": "NEUTRAL",
        "macro_context": "unavailable",
        "catalysts": [],
        "risks": [],
        "data_available": False,
        "summary": "fundamentals are unavailable",
        "confidence": 0.1,
    },
    "Bullish Researcher": {
        "symbol": SYMBOL,
        "stance": "BULLISH",
        "conviction": 0.5,
        "thesis": "balanced",
        "supporting_evidence": [],
        "counter_arguments": [],
        "memory_references": [],
    },
    "Bearish Researcher": {
        "symbol": SYMBOL,
        "stance": "BEARISH",
        "conviction": 0.5,
        "thesis": "balanced",
        "supporting_evidence": [],
        "counter_arguments": [],
        "memory_references": [],
    },
    "Head Trader": {
        "decisions": [
            {
                "symbol": SYMBOL,
                "action": "HOLD",
                "direction": "FLAT",
                "quantity": 0,
                "order_type": "MARKET",
                "strategy_family": "TREND_FOLLOWING",
                "time_horizon": "SWING",
                "rationale": "conviction delta 0.0: no edge",
                "bullish_factors": [],
                "bearish_factors": [],
                "memory_references": [],
                "confidence": 0.5,
            }
        ],
        "summary": "hold",
    },
    "Risk Manager": {
        "verdicts": [
            {
                "symbol": SYMBOL,
                "verdict": "APPROVE",
                "violations": [],
                "required_changes": [],
                "notes": "",
            }
        ],
        "summary": "ok",
    },
}
ANSWERS["Critic"] = ANSWERS["Risk Manager"]
ANSWERS_BY_AGENT = {
    agent: OUTPUT_SCHEMAS[agent].model_validate(ANSWERS[role])
    for agent, role in (
        ("technical_analyst", "Technical Analyst"),
        ("news_analyst", "News Analyst"),
        ("critic", "Critic"),
    )
}


def answer_for(system: str) -> dict[str, Any]:
    role = next(r for r in ANSWERS if f"You are the {r}" in system)
    return ANSWERS[role]


def check(result: Any, calls: int, tool_rounds: int = 0) -> None:
    assert result.status == "completed", result.error
    (decision,) = result.decisions
    assert (decision["symbol"], decision["action"], decision["status"]) == (
        SYMBOL,
        "HOLD",
        "approved",
    )
    assert calls == 3 + 2 + 1 + 2 + tool_rounds
    assert result.usage["tokens_in"] > 0 and result.usage["cost_usd"] != "0"


async def run_through(
    harness: CycleHarness,
    name: str,
    fake: Any,
    settings_update: dict[str, Any],
    tool_rounds: int = 0,
) -> Any:
    """One cycle with every agent on provider `name`, whose SDK talks to `fake`."""
    with fake:
        settings = harness.settings.model_copy(update={**settings_update})
        provider = build_provider(name, settings)
        runner = harness.runner(settings=settings, providers=lambda _name: provider)
        try:
            result = await runner.run(CycleRequest(symbols=(SYMBOL,), provider=name))
        finally:
            await provider.aclose()  # type: ignore[attr-defined]
    check(result, len(fake.calls), tool_rounds)
    json.dumps(result.as_dict())
    return result


async def test_a_cycle_through_the_google_genai_sdk(harness: CycleHarness) -> None:
    fake = gemini_generate.GeminiGenerateFake(
        lambda call: gemini_generate.success(answer_for(call.system))
    )
    update = {"google_api_key": gemini_generate.API_KEY, "gemini_base_url": fake.url}
    await run_through(harness, "gemini", fake, update)
    assert {c.model for c in fake.calls} == {"gemini-3-pro-preview", "gemini-3-flash-preview"}
    assert all(
        c.generation_config.get("responseMimeType") == "application/json" for c in fake.calls
    )


async def test_a_cycle_through_the_anthropic_sdk(harness: CycleHarness) -> None:
    fake = anthropic_api.AnthropicFake(
        lambda call: anthropic_api.tool_use(call, answer_for(call.system))
    )
    update = {"anthropic_api_key": anthropic_api.API_KEY, "anthropic_base_url": fake.url}
    await run_through(harness, "anthropic", fake, update)
    assert {c.model for c in fake.calls} == {"claude-opus-4-5", "claude-haiku-4-5"}
    # Agents with tools choose (auto) between their tools and the output tool; the critic,
    # which has none, is forced to the output tool at once.
    for c in fake.calls:
        offered = {t["name"] for t in c.tools if not t["name"].startswith("submit_")}
        expected = "auto" if offered else "tool"
        assert c.tool_choice is not None and c.tool_choice["type"] == expected


def _tooled_gemini(call: gemini_generate.GeminiCall) -> Reply:
    """The technical analyst recomputes RSI and the trader reads the option chain and the
    portfolio before answering; everyone else answers at once."""
    first = call.declarations and not call.function_responses
    if first and "You are the Technical Analyst" in call.system:
        return gemini_generate.function_call(RSI)
    if first and "You are the Head Trader" in call.system:
        return gemini_generate.function_call(CHAIN, ("portfolio_state", {}))
    return gemini_generate.success(answer_for(call.system))


RSI = ("recalc_indicator", {"symbol": SYMBOL, "indicator": "rsi", "period": 7})
CHAIN = ("option_chain", {"underlying": SYMBOL, "max_contracts": 4})


def _responses(fake: Any, role: str) -> list[dict[str, Any]]:
    (call,) = [c for c in fake.calls if f"You are the {role}" in c.system and c.function_responses]
    return list(call.function_responses)


async def _tooled_cycle(harness: CycleHarness) -> tuple[Any, Any]:
    fake = gemini_generate.GeminiGenerateFake(_tooled_gemini)
    update = {"google_api_key": gemini_generate.API_KEY, "gemini_base_url": fake.url}
    result = await run_through(harness, "gemini", fake, update, tool_rounds=2)
    return result, fake


async def test_agents_call_their_tools_through_the_google_genai_sdk(
    harness: CycleHarness,
) -> None:
    result, fake = await _tooled_cycle(harness)
    # The analyst's RSI is recomputed over the snapshot's bars the cycle observed.
    (rsi,) = _responses(fake, "Technical Analyst")
    values = rsi["response"]["values"]
    assert len(values) == 5 and all(0 <= v <= 100 for v in values)
    # The trader's chain comes from the engine over gRPC; its portfolio is the cycle's.
    chain, portfolio = _responses(fake, "Head Trader")
    contracts = chain["response"]["contracts"]
    assert chain["response"]["underlying"] == SYMBOL and len(contracts) == 4
    assert all(c["contract"]["occSymbol"].startswith(SYMBOL) for c in contracts)
    assert float(portfolio["response"]["equity"]) > 0
    assert [d["action"] for d in result.decisions] == ["HOLD"]


async def test_the_persisted_agent_output_shows_its_tool_calls(harness: CycleHarness) -> None:
    result, _fake = await _tooled_cycle(harness)
    outputs = await AgentOutputRepository(harness.db, "PAPER").for_cycle(result.cycle_id)
    by_agent = {o.agent: o for o in outputs}
    (call,) = by_agent["technical_analyst"].output["_meta"]["tool_calls"]
    assert (call["name"], call["arguments"], call["ok"]) == (*RSI, True)
    trader = by_agent["trader"].output["_meta"]["tool_calls"]
    assert [c["name"] for c in trader] == ["option_chain", "portfolio_state"]
    assert by_agent["critic"].output["_meta"].get("tool_calls", []) == []


async def test_engine_option_chains_answer_from_the_engine_and_keep_its_error_codes(
    harness: CycleHarness,
) -> None:
    chains = EngineOptionChains(md_grpc.MarketDataServiceStub(harness.channel))
    chain = await chains.option_chain(SYMBOL, harness.clock.now())
    assert chain.underlying == SYMBOL and chain.options
    assert float(chain.underlying_quote.last) > 0
    with pytest.raises(DataUnavailable) as caught:
        await chains.option_chain("ZZZZ", harness.clock.now())
    assert caught.value.code == "UNKNOWN_SYMBOL"


def _caller(provider: ScriptedProvider, source: Any) -> AgentCaller:
    settings = AgentsSettings()
    agents = {
        name: ResolvedAgent("scripted", getattr(settings, name))
        for name in ("technical_analyst", "news_analyst", "critic")
    }
    return AgentCaller(
        {"scripted": provider},
        agents,
        CycleBudget(BudgetLimits()),
        build_request,
        tool_data=source,
    )


async def test_the_caller_loads_the_tool_data_once_and_offers_each_role_its_tools() -> None:
    context = context_for(SYMBOL, "flat")
    loads: list[int] = []

    async def source() -> ToolData:
        loads.append(1)
        await asyncio.sleep(0)  # concurrent callers arrive while the load is in flight
        return ToolData(AS_OF, {SYMBOL: context}, portfolio_for([context]))

    provider = ScriptedProvider(lambda request: ANSWERS_BY_AGENT[request.agent])
    caller = _caller(provider, source)
    inputs = analyst_inputs_for(context, "technical_analyst")
    records = await asyncio.gather(
        caller.call("technical_analyst", inputs, symbol=SYMBOL),
        caller.call(
            "news_analyst", inputs.model_copy(update={"agent": "news_analyst"}), symbol=SYMBOL
        ),
    )
    assert loads == [1]
    offered = {r.agent: r.tools for r in provider.requests}
    assert offered == {
        "technical_analyst": ("get_quotes", "recalc_indicator", "memory_query"),
        "news_analyst": ("news_search", "memory_query"),
    }
    assert all(record["tool_calls"] == [] for _output, record in records)


async def test_tool_data_that_cannot_load_fails_the_agent_closed() -> None:
    async def source() -> ToolData:
        raise LookupError("the cycle's state has no contexts yet")

    context = context_for(SYMBOL, "flat")
    provider = ScriptedProvider(lambda request: ANSWERS_BY_AGENT[request.agent])
    caller = _caller(provider, source)
    with pytest.raises(AgentFailure) as caught:
        await caller.call(
            "technical_analyst", analyst_inputs_for(context, "technical_analyst"), symbol=SYMBOL
        )
    assert caught.value.code == "TOOL_DATA_UNAVAILABLE"
    assert "no contexts yet" in caught.value.message
    assert provider.calls == 0
