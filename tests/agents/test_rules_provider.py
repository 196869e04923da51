"""The `rules` provider: every role answers its schema, deterministically, from real data."""

from __future__ import annotations

import pytest

from agents.inputs import AgentInputs, ContextView, MemoryCaseView
from agents.providers.base import GenerationRequest, ProviderError
from agents.rules import RulesProvider
from agents.rules.errors import InsufficientDataError, RulesInputError
from agents.rules.news import score_text
from agents.schemas import (
    OUTPUT_SCHEMAS,
    FundamentalsAnalysis,
    ResearchThesis,
    SentimentAnalysis,
    TechnicalAnalysis,
    TradingPlan,
)
from agents.validation import validate_plan
from tests.agents.builders import (
    Trend,
    analyst_inputs_for,
    approval_inputs_for,
    context_for,
    trader_inputs_for,
)

TRENDS: tuple[Trend, ...] = ("bullish", "bearish", "flat")


def _request(agent: str, inputs: AgentInputs) -> GenerationRequest:  # type: ignore[type-arg]
    return GenerationRequest(
        agent=agent,
        model="rules-v1",
        system="",
        prompt="",
        schema=OUTPUT_SCHEMAS[agent],
        inputs=inputs,
    )


async def _all_roles(trend: Trend) -> dict[str, object]:
    provider = RulesProvider()
    context = context_for("AAPL", trend, news_items=["Apple beats estimates, record iPhone sales"])
    outputs: dict[str, object] = {}
    for agent in ("technical_analyst", "news_analyst", "fundamentals_analyst"):
        got = await provider.generate(_request(agent, analyst_inputs_for(context, agent)))
        outputs[agent] = got.output
    trader_inputs = trader_inputs_for([context])
    brief = trader_inputs.briefs[0]
    for agent in ("bullish_researcher", "bearish_researcher"):
        from agents.inputs import ResearchInputs

        inputs = ResearchInputs(
            agent=agent,
            context=context,
            technical=brief.technical,
            sentiment=brief.sentiment,
            fundamentals=brief.fundamentals,
        )
        outputs[agent] = (await provider.generate(_request(agent, inputs))).output
    plan = (await provider.generate(_request("trader", trader_inputs))).output
    outputs["trader"] = plan
    assert isinstance(plan, TradingPlan)
    for agent in ("risk_manager", "critic"):
        inputs_ = approval_inputs_for(trader_inputs, plan, agent)
        outputs[agent] = (await provider.generate(_request(agent, inputs_))).output
    return outputs


@pytest.mark.parametrize("trend", TRENDS)
async def test_every_role_answers_its_schema(trend: Trend) -> None:
    outputs = await _all_roles(trend)
    for agent, output in outputs.items():
        schema = OUTPUT_SCHEMAS[agent]
        assert isinstance(output, schema)
        # Round-trips through the schema's own validation (what an LLM answer must pass).
        assert schema.model_validate_json(output.model_dump_json()) == output


async def test_bullish_context_buys_and_bearish_context_shorts() -> None:
    bull = await _all_roles("bullish")
    bear = await _all_roles("bearish")
    flat = await _all_roles("flat")
    assert isinstance(bull["technical_analyst"], TechnicalAnalysis)
    assert bull["technical_analyst"].trend == "BULLISH"
    assert isinstance(bear["technical_analyst"], TechnicalAnalysis)
    assert bear["technical_analyst"].trend == "BEARISH"
    assert isinstance(bull["trader"], TradingPlan) and isinstance(bear["trader"], TradingPlan)
    assert isinstance(flat["trader"], TradingPlan)
    assert bull["trader"].decisions[0].action == "BUY"
    assert bear["trader"].decisions[0].action == "SELL"
    assert flat["trader"].decisions[0].action == "HOLD"
    for outputs in (bull, bear):
        for agent in ("risk_manager", "critic"):
            assert all(v.verdict == "APPROVE" for v in outputs[agent].verdicts)  # type: ignore[attr-defined]


@pytest.mark.parametrize("symbol", ["AAPL", "MSFT", "SPY", "NVDA", "TSLA", "JPM"])
def test_researchers_lean_with_the_trend(symbol: str) -> None:
    bull_brief = trader_inputs_for([context_for(symbol, "bullish")]).briefs[0]
    bear_brief = trader_inputs_for([context_for(symbol, "bearish")]).briefs[0]
    assert bull_brief.technical.trend != "BEARISH"
    assert bull_brief.bull.conviction > bull_brief.bear.conviction
    assert bear_brief.technical.trend != "BULLISH"
    assert bear_brief.bear.conviction > bear_brief.bull.conviction


def test_invalidation_levels_bracket_the_price() -> None:
    for trend in TRENDS:
        brief = trader_inputs_for([context_for("MSFT", trend)]).briefs[0]
        price = brief.context.quote.last if brief.context.quote else 0.0
        assert brief.technical.invalidation_long < price < brief.technical.invalidation_short


async def test_same_inputs_give_identical_outputs() -> None:
    first = await _all_roles("bullish")
    second = await _all_roles("bullish")
    assert {k: v.model_dump_json() for k, v in first.items()} == {  # type: ignore[attr-defined]
        k: v.model_dump_json()  # type: ignore[attr-defined]
        for k, v in second.items()
    }


async def test_unavailable_news_says_so_and_is_neutral() -> None:
    context = context_for("AAPL", "bullish")
    got = await RulesProvider().generate(
        _request("news_analyst", analyst_inputs_for(context, "news_analyst"))
    )
    out = got.output
    assert isinstance(out, SentimentAnalysis)
    assert out.data_available is False
    assert out.stance == "NEUTRAL" and out.sentiment == 0.0
    assert out.confidence <= 0.1
    assert "unavailable" in out.summary and "FMP_API_KEY is not set" in out.summary


def test_news_lexicon_scores_direction_and_negation() -> None:
    assert score_text("Shares surge after earnings beat")[0] > 0
    assert score_text("Stock plunges on downgrade and lawsuit")[0] < 0
    assert score_text("Company did not beat expectations")[0] < 0
    assert score_text("The meeting is on Tuesday") == (0.0, 0)


async def test_news_sentiment_follows_headlines() -> None:
    provider = RulesProvider()
    bad = context_for("AAPL", "flat", news_items=["Apple shares plunge after earnings miss"])
    got = await provider.generate(_request("news_analyst", analyst_inputs_for(bad, "news")))
    assert isinstance(got.output, SentimentAnalysis)
    assert got.output.stance == "BEARISH" and got.output.data_available
    assert got.output.event_impacts[0].impact == "BEARISH"


def test_fundamentals_flags_earnings_inside_the_horizon() -> None:
    from agents.rules import fundamentals

    context = context_for(
        "AAPL",
        "flat",
        fundamentals_view=ContextView(
            source="fundamentals",
            available=True,
            items=["earnings 2024-06-18 eps est 1.5 actual None", "P/E 12.5"],
        ),
        markets=ContextView(
            source="prediction_markets",
            available=True,
            items=["Will the US enter a recession in 2024?: yes 95%"],
        ),
    )
    out = fundamentals.analyse(context)
    assert isinstance(out, FundamentalsAnalysis)
    assert out.data_available and out.valuation == "UNDERVALUED"
    assert any("2024-06-18" in risk for risk in out.risks)
    assert out.stance == "BEARISH"  # a 95 % recession market outweighs a cheap P/E


def test_fundamentals_without_sources_is_unknown() -> None:
    from agents.rules import fundamentals

    out = fundamentals.analyse(context_for("AAPL", "flat"))
    assert out.valuation == "UNKNOWN" and out.data_available is False
    assert "unavailable" in out.summary


def test_memory_of_losing_longs_lowers_bull_conviction() -> None:
    cases = [
        MemoryCaseView(
            case_id=f"case-{i}",
            symbol="AAPL",
            action="BUY",
            direction="LONG",
            regime="BULL_TREND",
            similarity=0.9,
            realized_return=-0.05,
            rationale="bought the breakout",
        )
        for i in range(3)
    ]
    plain = trader_inputs_for([context_for("AAPL", "bullish")]).briefs[0]
    burned = trader_inputs_for([context_for("AAPL", "bullish", memory=cases)]).briefs[0]
    assert burned.bull.conviction < plain.bull.conviction
    assert burned.bull.memory_references[0].startswith("case-0")


async def test_usage_is_free_and_hash_is_the_requests() -> None:
    context = context_for("AAPL", "flat")
    request = _request("technical_analyst", analyst_inputs_for(context, "technical_analyst"))
    got = await RulesProvider().generate(request)
    assert got.provider == "rules"
    assert got.usage.input_tokens == 0 and got.usage.output_tokens == 0
    assert got.usage.cost_usd == 0
    assert got.prompt_hash == request.prompt_hash()
    assert TechnicalAnalysis.model_validate_json(got.raw) == got.output


async def test_wrong_schema_or_agent_or_inputs_fail_closed() -> None:
    context = context_for("AAPL", "flat")
    inputs = analyst_inputs_for(context, "technical_analyst")
    provider = RulesProvider()
    wrong_schema = GenerationRequest(
        agent="technical_analyst",
        model="m",
        system="",
        prompt="",
        schema=ResearchThesis,
        inputs=inputs,
    )
    with pytest.raises(RulesInputError):
        await provider.generate(wrong_schema)
    with pytest.raises(RulesInputError):
        await provider.generate(_request("trader", inputs))
    unknown = GenerationRequest(
        agent="oracle", model="m", system="", prompt="", schema=TradingPlan, inputs=inputs
    )
    with pytest.raises(ProviderError) as caught:
        await provider.generate(unknown)
    assert caught.value.code == "RULES_BAD_INPUT"


async def test_symbol_without_any_price_fails_closed() -> None:
    context = context_for("AAPL", "flat").model_copy(
        update={"quote": None, "bars": None, "gaps": ["quote: NO_DATA", "bars: NO_DATA"]}
    )
    with pytest.raises(InsufficientDataError) as caught:
        await RulesProvider().generate(
            _request("technical_analyst", analyst_inputs_for(context, "technical_analyst"))
        )
    assert caught.value.code == "RULES_INSUFFICIENT_DATA"


async def test_risk_manager_fails_closed_without_risk_limits() -> None:
    trader_inputs = trader_inputs_for([context_for("AAPL", "bullish")])
    inputs = approval_inputs_for(trader_inputs).model_copy(update={"risk_limits": {}})
    with pytest.raises(RulesInputError):
        await RulesProvider().generate(_request("risk_manager", inputs))


def test_rules_plan_for_many_symbols_passes_validation() -> None:
    contexts = [
        context_for(s, t) for s in ("AAPL", "MSFT", "SPY", "NVDA", "JPM") for t in ("bullish",)
    ]
    trader_inputs = trader_inputs_for(contexts)
    from agents.rules import trader

    plan = trader.decide(trader_inputs)
    assert {d.symbol for d in plan.decisions} == {c.symbol for c in contexts}
    assert all(problems == [] for problems in validate_plan(plan, trader_inputs).values())


def test_rules_is_registered_and_needs_no_keys() -> None:
    from agents.providers.registry import build_provider
    from cream.settings import Settings

    provider = build_provider("rules", Settings(google_api_key=None, anthropic_api_key=None))
    assert isinstance(provider, RulesProvider) and provider.name == "rules"
