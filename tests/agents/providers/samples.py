"""Valid instances of every agent output schema, and requests that ask for them."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from agents.inputs import AnalystInputs, ContextView, SymbolContext
from agents.providers.base import GenerationRequest
from agents.schemas import (
    Approval,
    DecisionVerdict,
    EventImpact,
    FundamentalsAnalysis,
    KeyLevels,
    PlannedDecision,
    ResearchThesis,
    SentimentAnalysis,
    TechnicalAnalysis,
    TradingPlan,
)

T = TypeVar("T", bound=BaseModel)

TECHNICAL = TechnicalAnalysis(
    symbol="AAPL",
    setup="PULLBACK",
    trend="BULLISH",
    key_levels=KeyLevels(support=[182.5, 178.0], resistance=[191.0]),
    invalidation_long=177.5,
    invalidation_short=192.4,
    momentum="RSI 48 after a pullback to the 20-day average",
    volatility="ATR 2.9, contracting",
    summary="Uptrend intact; pullback to support offers a long entry.",
    confidence=0.66,
)
SENTIMENT = SentimentAnalysis(
    symbol="AAPL",
    sentiment=0.35,
    stance="BULLISH",
    event_impacts=[EventImpact(event="Product launch", impact="BULLISH", timing="next week")],
    data_available=True,
    summary="Mildly positive news flow.",
    confidence=0.55,
)
FUNDAMENTALS = FundamentalsAnalysis(
    symbol="AAPL",
    valuation="FAIR",
    stance="NEUTRAL",
    macro_context="Rates steady; CPI on Thursday.",
    catalysts=["Services growth"],
    risks=["China demand"],
    data_available=True,
    summary="Fairly valued.",
    confidence=0.5,
)
THESIS = ResearchThesis(
    symbol="AAPL",
    stance="BULLISH",
    conviction=0.7,
    thesis="Trend and news agree.",
    supporting_evidence=["Higher lows", "Positive sentiment"],
    counter_arguments=["Macro event risk"],
    memory_references=["case-17"],
)
PLAN = TradingPlan(
    decisions=[
        PlannedDecision(
            symbol="AAPL",
            action="BUY",
            direction="LONG",
            quantity=10,
            order_type="LIMIT",
            limit_price=184.2,
            stop_loss=177.5,
            take_profit=195.0,
            strategy_family="TREND_FOLLOWING",
            time_horizon="SWING",
            rationale="Bull conviction exceeds bear by 0.3; reward/risk 1.6.",
            bullish_factors=["Uptrend"],
            bearish_factors=["CPI"],
            memory_references=[],
            confidence=0.62,
        )
    ],
    summary="One long entry.",
)
APPROVAL = Approval(
    verdicts=[
        DecisionVerdict(
            symbol="AAPL",
            verdict="REJECT",
            violations=["stop too wide"],
            required_changes=["tighten the stop to 179"],
            notes="Risk per trade above 2 %.",
        )
    ],
    summary="One rejection.",
)

SAMPLES: dict[type[BaseModel], BaseModel] = {
    type(sample): sample for sample in (TECHNICAL, SENTIMENT, FUNDAMENTALS, THESIS, PLAN, APPROVAL)
}


def _unavailable(source: str) -> ContextView:
    return ContextView(source=source, available=False, reason="not configured in tests")


INPUTS = AnalystInputs(
    agent="technical_analyst",
    context=SymbolContext(
        symbol="AAPL",
        as_of="2026-11-20T15:00:00+00:00",
        quote=None,
        bars=None,
        indicators=None,
        regime=None,
        memory=[],
        news=_unavailable("news"),
        calendar=_unavailable("calendar"),
        fundamentals=_unavailable("fundamentals"),
        prediction_markets=_unavailable("prediction_markets"),
        position=None,
        gaps=["quote: none in tests"],
    ),
)


def request_for(
    schema: type[T], model: str = "gemini-3-pro-preview", **changes: Any
) -> GenerationRequest[T]:
    """A request for `schema` with a recognisable system prompt and prompt."""
    fields: dict[str, Any] = {
        "agent": "technical_analyst",
        "model": model,
        "system": f"You are the analyst. Answer as {schema.__name__}.",
        "prompt": f"Analyse AAPL and answer with a {schema.__name__} JSON object.",
        "schema": schema,
        "inputs": INPUTS,
        "timeout_s": 10.0,
    }
    fields.update(changes)
    return GenerationRequest(**fields)


class RecordedSleeps:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
