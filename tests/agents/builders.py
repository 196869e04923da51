"""Agent inputs built from real computation: synthetic bars, real indicators, real regime.

Bullish and bearish series are the synthetic feed's hourly path with a steady drift
applied; the flat series is the same path with its log-trend removed. Indicators, regime,
quotes and limits are then computed by the product code, never written by hand.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from agents.inputs import (
    AnalystInputs,
    ApprovalInputs,
    BarsView,
    ContextView,
    IndicatorView,
    MemoryCaseView,
    PortfolioView,
    PositionView,
    QuoteView,
    RegimeView,
    ResearchInputs,
    SymbolBrief,
    SymbolContext,
    TraderInputs,
)
from agents.limits import compute_limits, risk_limits_view
from agents.rules import fundamentals, news, research, technical, trader
from agents.schemas import TradingPlan
from cream.clock import ManualClock
from cream.config.risk import RiskSettings
from cream.market.bars import Bars
from cream.market.indicators import compute_all
from cream.market.regime import classify_regime
from cream.market.synthetic import SyntheticFeed

Trend = Literal["bullish", "bearish", "flat"]
AS_OF = datetime(2024, 6, 14, 20, 0, tzinfo=UTC)
BARS = 160
DRIFT = {"bullish": 0.0015, "bearish": -0.0015, "flat": 0.0}
NOISE = 0.35


def bars_for(symbol: str, trend: Trend, *, as_of: datetime = AS_OF) -> Bars:
    """Hourly synthetic bars of `symbol` bent into the wanted trend."""
    feed = SyntheticFeed([symbol], ManualClock(as_of))
    raw = feed.bars_now(symbol, "1h", end=as_of, limit=BARS)
    index = np.arange(len(raw.close), dtype=np.float64)
    # Dividing by the path's own trailing mean leaves its bar-to-bar noise without a trend;
    # the drift then gives the trend wanted.
    trailing = np.convolve(raw.close, np.ones(50) / 50, mode="full")[: len(raw.close)]
    counts = np.minimum(index + 1, 50)
    mean = trailing * 50 / counts
    # Damping the noise keeps a 160-bar window's trend from being swamped by the path's
    # own swings, so the three cases read as what they are meant to be.
    detrended = np.log(raw.close / mean) * NOISE + DRIFT[trend] * index
    factor = float(raw.close[0]) * np.exp(detrended) / raw.close
    return Bars(
        symbol=symbol,
        timeframe=raw.timeframe,
        timestamps=raw.timestamps,
        open=np.round(raw.open * factor, 2),
        high=np.asarray(
            np.round(np.maximum(raw.high * factor, np.maximum(raw.open, raw.close) * factor), 2),
            dtype=np.float64,
        ),
        low=np.asarray(
            np.round(np.minimum(raw.low * factor, np.minimum(raw.open, raw.close) * factor), 2),
            dtype=np.float64,
        ),
        close=np.round(raw.close * factor, 2),
        volume=raw.volume,
        close_times=raw.close_times,
    )


def _last(values: np.ndarray) -> float | None:
    value = float(values[-1])
    return None if math.isnan(value) else value


def indicators_for(bars: Bars) -> IndicatorView:
    found = compute_all(bars.high, bars.low, bars.close)
    return IndicatorView(
        sma_fast=_last(found.sma_fast),
        sma_slow=_last(found.sma_slow),
        ema=_last(found.ema),
        rsi=_last(found.rsi),
        macd=_last(found.macd.line),
        macd_signal=_last(found.macd.signal),
        macd_histogram=_last(found.macd.histogram),
        atr=_last(found.atr),
        bollinger_middle=_last(found.bollinger.middle),
        bollinger_upper=_last(found.bollinger.upper),
        bollinger_lower=_last(found.bollinger.lower),
    )


def quote_for(bars: Bars, spread_bps: float = 4.0) -> QuoteView:
    last = float(bars.close[-1])
    half = max(0.01, round(last * spread_bps / 2 / 10_000, 2))
    bid, ask = round(last - half, 2), round(last + half, 2)
    return QuoteView(bid=bid, ask=ask, last=last, spread_bps=(ask - bid) / last * 10_000)


def unavailable(source: str, reason: str = "FMP_API_KEY is not set") -> ContextView:
    return ContextView(source=source, available=False, reason=reason)


def context_for(
    symbol: str,
    trend: Trend,
    *,
    position: float = 0.0,
    news_items: list[str] | None = None,
    calendar: ContextView | None = None,
    fundamentals_view: ContextView | None = None,
    markets: ContextView | None = None,
    memory: list[MemoryCaseView] | None = None,
    spread_bps: float = 4.0,
    as_of: datetime = AS_OF,
) -> SymbolContext:
    bars = bars_for(symbol, trend, as_of=as_of)
    regime = classify_regime(bars)
    quote = quote_for(bars, spread_bps)
    return SymbolContext(
        symbol=symbol,
        as_of=as_of.isoformat(),
        quote=quote,
        bars=BarsView(
            timeframe="1h",
            open=bars.open.tolist(),
            high=bars.high.tolist(),
            low=bars.low.tolist(),
            close=bars.close.tolist(),
            volume=bars.volume.tolist(),
        ),
        indicators=indicators_for(bars),
        regime=RegimeView(
            label=regime.regime.value, confidence=regime.confidence, reasoning=regime.reasoning
        ),
        memory=memory or [],
        news=(
            ContextView(source="news", available=True, items=news_items)
            if news_items is not None
            else unavailable("news")
        ),
        calendar=calendar or unavailable("economic_calendar"),
        fundamentals=fundamentals_view or unavailable("fundamentals"),
        prediction_markets=markets or unavailable("prediction_markets"),
        position=(
            None
            if position == 0
            else PositionView(
                symbol=symbol,
                quantity=position,
                avg_entry_price=quote.last,
                market_value=position * quote.last,
                unrealized_pnl=0.0,
            )
        ),
        gaps=[],
    )


def portfolio_for(contexts: list[SymbolContext], equity: float = 100_000.0) -> PortfolioView:
    positions = [c.position for c in contexts if c.position is not None]
    return PortfolioView(equity=equity, cash=equity, buying_power=2 * equity, positions=positions)


def brief_for(
    context: SymbolContext, portfolio: PortfolioView, risk: RiskSettings | None = None
) -> SymbolBrief:
    tech = technical.analyse(context)
    sent = news.analyse(context)
    fund = fundamentals.analyse(context)
    base = ResearchInputs(
        agent="bullish_researcher",
        context=context,
        technical=tech,
        sentiment=sent,
        fundamentals=fund,
    )
    return SymbolBrief(
        context=context,
        technical=tech,
        sentiment=sent,
        fundamentals=fund,
        bull=research.research(base, "BULLISH"),
        bear=research.research(base.model_copy(update={"agent": "bearish_researcher"}), "BEARISH"),
        limits=compute_limits(context, portfolio, risk or RiskSettings()),
    )


def trader_inputs_for(contexts: list[SymbolContext], *, equity: float = 100_000.0) -> TraderInputs:
    portfolio = portfolio_for(contexts, equity)
    return TraderInputs(
        cycle_id="cycle-test",
        round=1,
        briefs=[brief_for(c, portfolio) for c in contexts],
        portfolio=portfolio,
    )


def approval_inputs_for(
    trader_inputs: TraderInputs, plan: TradingPlan | None = None, agent: str = "risk_manager"
) -> ApprovalInputs:
    return ApprovalInputs(
        agent=agent,
        round=trader_inputs.round,
        plan=plan if plan is not None else trader.decide(trader_inputs),
        trader=trader_inputs,
        risk_limits=risk_limits_view(RiskSettings()),
    )


def analyst_inputs_for(context: SymbolContext, agent: str) -> AnalystInputs:
    return AnalystInputs(agent=agent, context=context)
