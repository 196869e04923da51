"""Roles: requests carry the agent's settings and schema; prompts stay small per symbol."""

from __future__ import annotations

import json

import pytest

from agents.inputs import AnalystInputs, ResearchInputs
from agents.prompts import PromptVersionError
from agents.roles import ROLES, UnknownRoleError, build_request, role
from agents.roles.render import CLOSES_IN_PROMPT
from agents.schemas import OUTPUT_SCHEMAS
from cream.config.schema import AGENT_NAMES, AgentsSettings
from tests.agents.builders import approval_inputs_for, context_for, trader_inputs_for

# Characters per symbol a prompt may take (≈ 4 characters per token).
MAX_ANALYST_CHARS = 5_000
MAX_TRADER_CHARS_PER_SYMBOL = 9_000
MAX_APPROVAL_CHARS_PER_SYMBOL = 6_000


def test_eight_roles_with_schemas_tools_and_prompts() -> None:
    assert tuple(ROLES) == AGENT_NAMES
    for name, found in ROLES.items():
        assert found.schema is OUTPUT_SCHEMAS[name]
        system = found.system("v1")
        assert "never invent" in system.lower()
    assert "delta" in ROLES["trader"].system("v1") and "1.5" in ROLES["trader"].system("v1")
    assert "unavailable" in ROLES["news_analyst"].system("v1")
    assert ROLES["critic"].tools == ()
    assert "portfolio_state" in ROLES["risk_manager"].tools


def test_build_request_uses_the_agents_settings() -> None:
    settings = AgentsSettings()
    context = context_for("AAPL", "flat")
    inputs = AnalystInputs(agent="technical_analyst", context=context)
    request = build_request("technical_analyst", settings.technical_analyst, inputs, ("fix x",))
    assert request.model == settings.technical_analyst.model
    assert request.schema is OUTPUT_SCHEMAS["technical_analyst"]
    assert request.timeout_s == settings.technical_analyst.timeout_ms / 1000
    assert request.feedback == ("fix x",)
    assert request.inputs is inputs
    again = build_request(ROLES["technical_analyst"], settings.technical_analyst, inputs)
    assert again.prompt_hash() == request.prompt_hash()


def test_unknown_agent_and_prompt_version_fail() -> None:
    settings = AgentsSettings().critic
    with pytest.raises(UnknownRoleError):
        role("oracle")
    inputs = AnalystInputs(agent="x", context=context_for("AAPL", "flat"))
    with pytest.raises(PromptVersionError) as caught:
        build_request("critic", settings.model_copy(update={"prompt_version": "v9"}), inputs)
    assert caught.value.code == "UNKNOWN_PROMPT_VERSION"


def test_analyst_prompt_keeps_the_last_closes_only() -> None:
    context = context_for("AAPL", "bullish", news_items=[f"headline {i} " * 40 for i in range(30)])
    prompt = ROLES["technical_analyst"].render(AnalystInputs(agent="t", context=context))
    body = json.loads(prompt)
    bars = body["symbol"]["bars"]
    assert bars["count"] == len(context.bars.close)  # type: ignore[union-attr]
    assert len(bars[f"last_{CLOSES_IN_PROMPT}_closes"]) == CLOSES_IN_PROMPT
    assert bars[f"last_{CLOSES_IN_PROMPT}_closes"][-1] == context.bars.close[-1]  # type: ignore[union-attr]
    assert body["symbol"]["indicators"]["rsi"] == pytest.approx(context.indicators.rsi, abs=1e-4)  # type: ignore[union-attr]
    assert len(prompt) < MAX_ANALYST_CHARS


def test_prompts_stay_small_per_symbol() -> None:
    symbols = ["AAPL", "MSFT", "SPY", "NVDA"]
    contexts = [context_for(s, "bullish", news_items=["x beats"] * 20) for s in symbols]
    trader_inputs = trader_inputs_for(contexts)
    brief = trader_inputs.briefs[0]
    research = ResearchInputs(
        agent="bullish_researcher",
        context=brief.context,
        technical=brief.technical,
        sentiment=brief.sentiment,
        fundamentals=brief.fundamentals,
    )
    assert len(ROLES["bullish_researcher"].render(research)) < MAX_ANALYST_CHARS + 3_000
    trader_prompt = ROLES["trader"].render(trader_inputs)
    assert len(trader_prompt) / len(symbols) < MAX_TRADER_CHARS_PER_SYMBOL
    approval = ROLES["risk_manager"].render(approval_inputs_for(trader_inputs))
    assert len(approval) / len(symbols) < MAX_APPROVAL_CHARS_PER_SYMBOL
    assert json.loads(approval)["risk_limits"]["min_reward_risk"] == "1.5"


def test_rendering_is_deterministic() -> None:
    inputs = trader_inputs_for([context_for("AAPL", "flat")])
    assert ROLES["trader"].render(inputs) == ROLES["trader"].render(inputs.model_copy())


def test_a_context_rendered_again_gives_the_same_prompt_as_a_fresh_copy() -> None:
    import gc
    import importlib

    # `agents.roles.render` the module (the package also exports a `render` function).
    render_module = importlib.import_module("agents.roles.render")

    context = context_for("MSFT", "bullish")
    inputs = AnalystInputs(agent="technical_analyst", context=context)
    first = ROLES["technical_analyst"].render(inputs)
    again = ROLES["technical_analyst"].render(inputs)
    fresh = ROLES["technical_analyst"].render(
        AnalystInputs(agent="technical_analyst", context=context.model_copy(deep=True))
    )
    assert first == again == fresh
    # The uncached path: rounding the whole body at once gives the same text.
    body = {"task": "analyse", "symbol": render_module.compact_context(context)}
    assert render_module.to_json(body) == first
    key = id(context)
    assert key in render_module._COMPACT
    del inputs, context
    gc.collect()
    assert key not in render_module._COMPACT, "a context's cached form lives only as long as it"
