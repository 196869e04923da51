"""What each of the eight agents returns: one pydantic model per role (ARCHITECTURE §5).

Every provider produces these models (native structured output for the LLM providers, direct
construction for `rules`). Floats reject NaN and infinity, prices must be positive and the
plan is keyed by symbol: one decision per symbol per cycle. Anything that does not validate is
a malformed output, which is retried with the validation errors fed back and then fails closed.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

Symbol = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9.]{0,9}$")]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Price = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=2000)]
Bullets = Annotated[list[Annotated[str, Field(max_length=400)]], Field(max_length=12)]

Stance = Literal["BULLISH", "BEARISH", "NEUTRAL"]
Setup = Literal["BREAKOUT", "PULLBACK", "REVERSAL", "RANGE", "TREND_CONTINUATION", "NO_SETUP"]
PlanAction = Literal["BUY", "SELL", "HOLD", "INCREASE", "REDUCE", "CLOSE", "NO_TRADE"]
PlanDirection = Literal["LONG", "SHORT", "FLAT"]
PlanOrderType = Literal["MARKET", "LIMIT"]
PlanStrategy = Literal[
    "TREND_FOLLOWING",
    "MEAN_REVERSION",
    "BREAKOUT",
    "MOMENTUM",
    "EVENT_DRIVEN",
    "VOLATILITY",
    "HEDGE",
    "INCOME",
]
PlanHorizon = Literal["INTRADAY", "SWING", "POSITION"]
Verdict = Literal["APPROVE", "REJECT"]

# Actions that open or add to risk, and so need sizes, stops and targets.
RISK_ADDING_ACTIONS: Final = frozenset({"BUY", "SELL", "INCREASE"})


class _Output(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KeyLevels(_Output):
    support: Annotated[list[Price], Field(max_length=6)]
    resistance: Annotated[list[Price], Field(max_length=6)]


class TechnicalAnalysis(_Output):
    """Technical analyst: setup, trend, key levels and where each thesis is invalidated."""

    symbol: Symbol
    setup: Setup
    trend: Stance
    key_levels: KeyLevels
    # A long thesis is wrong below this price; a short thesis is wrong above the other.
    invalidation_long: Price
    invalidation_short: Price
    momentum: Text
    volatility: Text
    summary: Text
    confidence: Unit


class EventImpact(_Output):
    event: Annotated[str, Field(max_length=400)]
    impact: Stance
    timing: Annotated[str, Field(max_length=100)]


class SentimentAnalysis(_Output):
    """News analyst: event impacts and sentiment; says so when the news is unavailable."""

    symbol: Symbol
    sentiment: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
    stance: Stance
    event_impacts: Annotated[list[EventImpact], Field(max_length=10)]
    data_available: bool
    summary: Text
    confidence: Unit


class FundamentalsAnalysis(_Output):
    """Fundamentals analyst: valuation, macro context, prediction markets, calendar risk."""

    symbol: Symbol
    valuation: Literal["UNDERVALUED", "FAIR", "OVERVALUED", "UNKNOWN"]
    stance: Stance
    macro_context: Text
    catalysts: Bullets
    risks: Bullets
    data_available: bool
    summary: Text
    confidence: Unit


class ResearchThesis(_Output):
    """Bullish or bearish researcher: the best case for one side, with a conviction 0–1."""

    symbol: Symbol
    stance: Literal["BULLISH", "BEARISH"]
    conviction: Unit
    thesis: Text
    supporting_evidence: Bullets
    counter_arguments: Bullets
    memory_references: Bullets


class PlannedDecision(_Output):
    """One decision of the head trader's plan (equity; one per symbol)."""

    symbol: Symbol
    action: PlanAction
    direction: PlanDirection
    # Shares; 0 for HOLD and NO_TRADE.
    quantity: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
    order_type: PlanOrderType
    limit_price: Price | None = None
    stop_loss: Price | None = None
    take_profit: Price | None = None
    strategy_family: PlanStrategy
    time_horizon: PlanHorizon
    rationale: Text
    bullish_factors: Bullets
    bearish_factors: Bullets
    memory_references: Bullets
    confidence: Unit


class TradingPlan(_Output):
    """Head trader: the DecisionPlan, one decision per symbol it was asked about."""

    decisions: Annotated[list[PlannedDecision], Field(max_length=200)]
    summary: Text


class DecisionVerdict(_Output):
    symbol: Symbol
    verdict: Verdict
    violations: Bullets
    required_changes: Bullets
    notes: Text


class Approval(_Output):
    """Risk manager or critic: a verdict per decision with the changes it requires."""

    verdicts: Annotated[list[DecisionVerdict], Field(max_length=200)]
    summary: Text


AgentOutput = (
    TechnicalAnalysis
    | SentimentAnalysis
    | FundamentalsAnalysis
    | ResearchThesis
    | TradingPlan
    | Approval
)

OUTPUT_SCHEMAS: Final[dict[str, type[_Output]]] = {
    "technical_analyst": TechnicalAnalysis,
    "news_analyst": SentimentAnalysis,
    "fundamentals_analyst": FundamentalsAnalysis,
    "bullish_researcher": ResearchThesis,
    "bearish_researcher": ResearchThesis,
    "trader": TradingPlan,
    "risk_manager": Approval,
    "critic": Approval,
}
