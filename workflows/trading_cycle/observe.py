"""OBSERVE and ORIENT: turn the engine's snapshot, the portfolio, external context and case
memory into the verified `SymbolContext` each agent is given.

Market data comes from the engine over gRPC (MarketDataService.GetSnapshot), so agents see the
same prices the risk core checks against; indicators are recomputed here from the bars with
`cream.market.indicators`. Every missing part is listed in `gaps` with its reason.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np

from agents.inputs import (
    BarsView,
    ContextView,
    IndicatorView,
    MemoryCaseView,
    PortfolioView,
    PositionView,
    QuoteView,
    RegimeView,
    SymbolContext,
)
from cream.context.bundle import ContextBundle
from cream.context.source import SourceKind
from cream.market.bars import Bars, BarsError, Timeframe
from cream.market.indicators import compute_all
from cream.market.regime import Regime, RegimeInputError, classify_regime
from cream.memory.errors import CaseMemoryError
from cream.memory.situation import Situation, situation_vector
from cream.memory.store import CaseMemory
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md

# Bars shown to the LLM agents: the indicators summarise the rest.
PROMPT_BARS = 30
NEWS_ITEMS = 8


def snapshot_hash(snapshot: md.MarketSnapshot) -> str:
    """SHA-256 of the snapshot's deterministic wire form: the lineage id of what agents saw."""
    return hashlib.sha256(snapshot.SerializeToString(deterministic=True)).hexdigest()


def _decimal(text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(Decimal(text))
    except (InvalidOperation, ValueError):
        return None
    return value if math.isfinite(value) else None


def bars_of(entry: md.SymbolSnapshot) -> Bars | None:
    """The snapshot's bars as a `Bars` table, or None when there are none or they are bad."""
    if not entry.bars:
        return None
    rows = list(entry.bars)
    try:
        # NumPy parses the decimal strings in one pass (the same correctly rounded values
        # `float()` gives, and the same ValueError for text that is not a number).
        prices = np.array([(r.open, r.high, r.low, r.close) for r in rows], dtype=np.float64)
        return Bars(
            symbol=entry.symbol,
            timeframe=Timeframe.parse(rows[0].timeframe),
            timestamps=np.array(
                [r.timestamp.seconds * 1_000_000_000 + r.timestamp.nanos for r in rows],
                dtype=np.int64,
            ),
            open=prices[:, 0].copy(),
            high=prices[:, 1].copy(),
            low=prices[:, 2].copy(),
            close=prices[:, 3].copy(),
            volume=np.array([r.volume for r in rows], dtype=np.float64),
        )
    except (BarsError, ValueError):
        return None


def _quote(quote: md.Quote) -> QuoteView | None:
    bid, ask, last = _decimal(quote.bid), _decimal(quote.ask), _decimal(quote.last)
    if bid is None or ask is None or bid <= 0 or ask < bid:
        return None
    mid = (bid + ask) / 2
    return QuoteView(
        bid=bid,
        ask=ask,
        last=last if last is not None else mid,
        spread_bps=round((ask - bid) / mid * 10_000, 2),
    )


def _last(values: np.ndarray) -> float | None:
    value = float(values[-1])
    return None if math.isnan(value) else round(value, 4)


def snapshot_indicators(entry: md.SymbolSnapshot) -> IndicatorView | None:
    """The indicators the engine computed for the snapshot (None when it sent none).

    The engine computes them with the same `compute_all` over the same bars, so OBSERVE
    reads them instead of computing them again; a value still warming up is absent.
    """
    if not entry.indicators:
        return None
    values = {name: _decimal(text) for name, text in entry.indicators.items()}
    return IndicatorView(
        **{
            name: None if (value := values.get(name)) is None else round(value, 4)
            for name in IndicatorView.model_fields
        }
    )


def indicators_of(bars: Bars) -> IndicatorView:
    found = compute_all(bars.high[None, :], bars.low[None, :], bars.close[None, :])
    return IndicatorView(
        sma_fast=_last(found.sma_fast[0]),
        sma_slow=_last(found.sma_slow[0]),
        ema=_last(found.ema[0]),
        rsi=_last(found.rsi[0]),
        macd=_last(found.macd.line[0]),
        macd_signal=_last(found.macd.signal[0]),
        macd_histogram=_last(found.macd.histogram[0]),
        atr=_last(found.atr[0]),
        bollinger_middle=_last(found.bollinger.middle[0]),
        bollinger_upper=_last(found.bollinger.upper[0]),
        bollinger_lower=_last(found.bollinger.lower[0]),
    )


def _bars_view(bars: Bars) -> BarsView:
    tail = slice(-PROMPT_BARS, None)

    def col(values: np.ndarray) -> list[float]:
        return [round(float(v), 4) for v in values[tail]]

    return BarsView(
        timeframe=bars.timeframe.value,
        open=col(bars.open),
        high=col(bars.high),
        low=col(bars.low),
        close=col(bars.close),
        volume=col(bars.volume),
    )


def _regime(bars: Bars) -> tuple[RegimeView | None, Regime | None, str | None]:
    try:
        found = classify_regime(bars)
    except RegimeInputError as exc:
        return None, None, f"regime: {exc.code} {exc.message}"
    view = RegimeView(
        label=found.regime.value, confidence=round(found.confidence, 4), reasoning=found.reasoning
    )
    return view, found.regime, None


def portfolio_view(account: ex.AccountState, positions: Sequence[ex.Position]) -> PortfolioView:
    """The engine's account and positions in the agents' terms."""
    return PortfolioView(
        equity=_decimal(account.equity) or 0.0,
        cash=_decimal(account.cash) or 0.0,
        buying_power=_decimal(account.buying_power) or 0.0,
        positions=[_position(p) for p in positions],
    )


def _position(position: ex.Position) -> PositionView:
    return PositionView(
        symbol=position.symbol,
        quantity=_decimal(position.quantity) or 0.0,
        avg_entry_price=_decimal(position.avg_entry_price),
        market_value=_decimal(position.market_value),
        unrealized_pnl=_decimal(position.unrealized_pnl),
    )


def _context_view(
    bundle: ContextBundle | None, kind: SourceKind, items: list[str], name: str
) -> ContextView:
    if bundle is None:
        return ContextView(source=name, available=False, reason="context was not gathered")
    if not bundle.available(kind):
        reasons = [s.describe() for s in bundle.statuses if s.kind is kind]
        return ContextView(
            source=name, available=False, reason="; ".join(reasons) or "no source configured"
        )
    return ContextView(source=name, available=True, items=items)


def context_views(
    bundle: ContextBundle | None, symbol: str
) -> tuple[ContextView, ContextView, ContextView, ContextView]:
    """News, calendar, fundamentals (earnings and filings) and prediction markets for a symbol."""
    news: list[str] = []
    calendar: list[str] = []
    fundamentals: list[str] = []
    markets: list[str] = []
    if bundle is not None:
        news = [
            f"{a.published_at:%Y-%m-%d %H:%M}Z {a.title}"
            for a in bundle.news
            if not a.symbols or symbol in a.symbols
        ][-NEWS_ITEMS:]
        calendar = [
            f"{e.scheduled_at:%Y-%m-%d %H:%M}Z {e.country} {e.name} (impact {e.impact or '?'})"
            for e in bundle.economic_events
        ][:NEWS_ITEMS]
        fundamentals = [
            f"earnings {e.report_date} eps est {e.eps_estimate} actual {e.eps_actual}"
            for e in bundle.earnings
            if e.symbol == symbol
        ] + [
            f"filing {f.form} {f.filed_at:%Y-%m-%d} {f.description or ''}".strip()
            for f in bundle.filings
            if f.symbol == symbol
        ]
        markets = [f"{m.question}: yes {m.yes_probability:.0%}" for m in bundle.prediction_markets][
            :NEWS_ITEMS
        ]
    return (
        _context_view(bundle, SourceKind.NEWS, news, "news"),
        _context_view(bundle, SourceKind.ECONOMIC_CALENDAR, calendar, "economic_calendar"),
        _context_view(bundle, SourceKind.EARNINGS_CALENDAR, fundamentals, "fundamentals"),
        _context_view(bundle, SourceKind.PREDICTION_MARKETS, markets, "prediction_markets"),
    )


async def memory_views(
    memory: CaseMemory | None,
    bars: Bars | None,
    regime: Regime | None,
    as_of: datetime,
    symbol: str,
    k: int = 5,
) -> tuple[list[MemoryCaseView], Situation | None, str | None]:
    """Similar past decisions for the symbol, the current situation, and a gap if any."""
    if bars is None:
        return [], None, "memory: no bars to describe the situation"
    try:
        situation = situation_vector(bars, as_of, regime=regime)
    except (CaseMemoryError, BarsError, RegimeInputError) as exc:
        return [], None, f"memory: {exc}"
    if memory is None:
        return [], situation, "memory: case memory is not open"
    found = await memory.similar(situation, k, symbol=symbol, as_of=as_of)
    views = [
        MemoryCaseView(
            case_id=hit.case.case_id,
            symbol=hit.case.symbol,
            action=hit.case.decision.action.value,
            direction=hit.case.decision.direction.value,
            regime=hit.case.regime.value,
            similarity=round(hit.similarity, 4),
            realized_return=(
                round(hit.case.outcome.position_return, 6) if hit.case.outcome else None
            ),
            rationale=hit.case.decision.rationale[:300],
        )
        for hit in found
    ]
    return views, situation, None


def symbol_context(
    entry: md.SymbolSnapshot | None,
    symbol: str,
    as_of: datetime,
    unavailable: Sequence[md.Unavailable],
    bundle: ContextBundle | None,
    positions: PortfolioView,
) -> tuple[SymbolContext, Bars | None, Regime | None]:
    """One symbol's verified context (memory is added in ORIENT)."""
    gaps = [f"{u.message} ({u.reason_code})" for u in unavailable if u.symbol == symbol]
    quote = bars = indicators = regime_view = None
    regime: Regime | None = None
    if entry is None:
        gaps.append("snapshot: the engine returned nothing for this symbol")
    else:
        if entry.HasField("quote"):
            quote = _quote(entry.quote)
        if quote is None:
            gaps.append("quote: missing or not a valid bid/ask")
        bars = bars_of(entry)
        if bars is None:
            gaps.append("bars: none in the snapshot")
    bars_view = None
    if bars is not None:
        bars_view = _bars_view(bars)
        indicators = (snapshot_indicators(entry) if entry is not None else None) or indicators_of(
            bars
        )
        regime_view, regime, gap = _regime(bars)
        if gap:
            gaps.append(gap)
    news, calendar, fundamentals, markets = context_views(bundle, symbol)
    position = next((p for p in positions.positions if p.symbol == symbol), None)
    context = SymbolContext(
        symbol=symbol,
        as_of=as_of.isoformat(),
        quote=quote,
        bars=bars_view,
        indicators=indicators,
        regime=regime_view,
        memory=[],
        news=news,
        calendar=calendar,
        fundamentals=fundamentals,
        prediction_markets=markets,
        position=position,
        gaps=gaps,
    )
    return context, bars, regime


def regime_from_proto(value: common.Regime.ValueType) -> Regime | None:
    if value == common.REGIME_UNSPECIFIED:
        return None
    return Regime.from_proto(value)
