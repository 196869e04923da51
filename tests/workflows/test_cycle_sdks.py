"""Whole cycles through the real google-genai and anthropic SDKs, against local fakes that
speak each API's wire format: every agent's structured output travels over HTTP."""

from __future__ import annotations

import json
from typing import Any

from agents.providers.registry import build_provider
from tests.fakes import anthropic_api, gemini_generate
from tests.workflows.harness import CycleHarness
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


def answer_for(system: str) -> dict[str, Any]:
    role = next(r for r in ANSWERS if f"You are the {r}" in system)
    return ANSWERS[role]


def check(result: Any, calls: int) -> None:
    assert result.status == "completed", result.error
    (decision,) = result.decisions
    assert (decision["symbol"], decision["action"], decision["status"]) == (
        SYMBOL,
        "HOLD",
        "approved",
    )
    assert calls == 3 + 2 + 1 + 2
    assert result.usage["tokens_in"] > 0 and result.usage["cost_usd"] != "0"


async def run_through(
    harness: CycleHarness, name: str, fake: Any, settings_update: dict[str, Any]
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
    check(result, len(fake.calls))
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
