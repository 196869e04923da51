"""What each agent is given: verified, point-in-time data, computed before any LLM call.

The graph builds these from the market snapshot, indicators, regime, case memory, external
context and the portfolio. LLM providers render them into the prompt (as JSON); the `rules`
provider computes each role's output from them directly. Missing data is explicit: a None part
has an entry in `gaps`, and an unavailable context source says why.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.schemas import (
    Approval,
    FundamentalsAnalysis,
    PlanAction,
    ResearchThesis,
    SentimentAnalysis,
    TechnicalAnalysis,
    TradingPlan,
)

Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuoteView(_Input):
    bid: Finite
    ask: Finite
    last: Finite
    spread_bps: Finite
    # Why the quote is modelled rather than observed (e.g. replayed bar close), or None.
    modeled: str | None = None


class BarsView(_Input):
    """The last bars, oldest first (the snapshot's timeframe)."""

    timeframe: str
    open: list[Finite]
    high: list[Finite]
    low: list[Finite]
    close: list[Finite]
    volume: list[Finite]


class IndicatorView(_Input):
    """Indicator values at the last bar; None while warming up."""

    sma_fast: Finite | None
    sma_slow: Finite | None
    ema: Finite | None
    rsi: Finite | None
    macd: Finite | None
    macd_signal: Finite | None
    macd_histogram: Finite | None
    atr: Finite | None
    bollinger_middle: Finite | None
    bollinger_upper: Finite | None
    bollinger_lower: Finite | None


class RegimeView(_Input):
    label: str
    confidence: Finite
    reasoning: str


class MemoryCaseView(_Input):
    """A similar past decision and, once settled, what it earned."""

    case_id: str
    symbol: str
    action: str
    direction: str
    regime: str | None
    similarity: Finite
    realized_return: Finite | None
    rationale: str


class ContextView(_Input):
    """One external-context source: its items, or why it is unavailable."""

    source: str
    available: bool
    reason: str | None = None
    items: list[str] = Field(default_factory=list)


class PositionView(_Input):
    symbol: str
    # Signed shares: negative is short.
    quantity: Finite
    avg_entry_price: Finite | None
    market_value: Finite | None
    unrealized_pnl: Finite | None


class PortfolioView(_Input):
    equity: Finite
    cash: Finite
    buying_power: Finite
    positions: list[PositionView]


class SymbolContext(_Input):
    """Everything verified about one symbol at the cycle's `as_of`."""

    symbol: str
    as_of: str
    quote: QuoteView | None
    bars: BarsView | None
    indicators: IndicatorView | None
    regime: RegimeView | None
    memory: list[MemoryCaseView]
    news: ContextView
    calendar: ContextView
    fundamentals: ContextView
    prediction_markets: ContextView
    position: PositionView | None
    # "part: reason" for each part of the snapshot that is unavailable.
    gaps: list[str]


class SymbolLimits(_Input):
    """What the trader may do with one symbol, computed deterministically before the call."""

    symbol: str
    allowed_actions: list[PlanAction]
    # Largest whole-share quantity a new or added position may have under the risk policy.
    max_quantity: Finite
    reference_price: Finite
    current_quantity: Finite


class AnalystInputs(_Input):
    kind: Literal["analyst"] = "analyst"
    agent: str
    context: SymbolContext


class ResearchInputs(_Input):
    kind: Literal["research"] = "research"
    agent: str
    context: SymbolContext
    technical: TechnicalAnalysis
    sentiment: SentimentAnalysis
    fundamentals: FundamentalsAnalysis


class SymbolBrief(_Input):
    """The trader's view of one symbol: its context, the analyses and both theses."""

    context: SymbolContext
    technical: TechnicalAnalysis
    sentiment: SentimentAnalysis
    fundamentals: FundamentalsAnalysis
    bull: ResearchThesis
    bear: ResearchThesis
    limits: SymbolLimits


class TraderInputs(_Input):
    kind: Literal["trader"] = "trader"
    agent: str = "trader"
    cycle_id: str
    round: int
    briefs: list[SymbolBrief]
    portfolio: PortfolioView
    # Round > 1: the previous plan and, per symbol, the approvers' required changes.
    previous_plan: TradingPlan | None = None
    feedback: dict[str, list[str]] = Field(default_factory=dict)


class ApprovalInputs(_Input):
    kind: Literal["approval"] = "approval"
    agent: str
    round: int
    plan: TradingPlan
    trader: TraderInputs
    # The active risk policy in plain terms (limits the risk manager checks against).
    risk_limits: dict[str, str]
    # Approvals already given in earlier rounds, for context.
    previous: Approval | None = None


AgentInputs = AnalystInputs | ResearchInputs | TraderInputs | ApprovalInputs
