"""Technical analyst baseline: trend by vote, setup, swing levels and invalidation prices."""

from __future__ import annotations

from typing import Final

from agents.inputs import IndicatorView, SymbolContext
from agents.rules.levels import (
    Swings,
    average_true_range,
    reference_price,
    round_price,
    swings,
)
from agents.schemas import KeyLevels, Setup, Stance, TechnicalAnalysis

# A swing level counts as invalidation only between these distances (in ATRs) from price;
# nearer is noise, farther makes a stop no trader would set. Otherwise 2 ATR is used.
_MIN_STOP_ATR: Final = 0.5
_MAX_STOP_ATR: Final = 4.0
_DEFAULT_STOP_ATR: Final = 2.0
_BREAKOUT_LOOKBACK: Final = 20


def analyse(context: SymbolContext) -> TechnicalAnalysis:
    """The technical analysis of one symbol from its bars and indicators.

    Raises:
        InsufficientDataError: no quote and no bars.
    """
    price = reference_price(context)
    atr = average_true_range(context, price)
    found = swings(context)
    votes = _votes(context.indicators, price)
    trend = _trend(votes)
    setup = _setup(context, trend, price, atr)
    agreeing = sum(1 for v in votes.values() if v == _sign(trend)) if trend != "NEUTRAL" else 0
    # Confidence grows with the share of signals that agree, and is low when few exist.
    confidence = 0.25 + 0.6 * (agreeing / len(votes)) if votes else 0.1
    inv_long, inv_short = invalidation_levels(price, atr, found)
    return TechnicalAnalysis(
        symbol=context.symbol,
        setup=setup,
        trend=trend,
        key_levels=_key_levels(price, found),
        invalidation_long=inv_long,
        invalidation_short=inv_short,
        momentum=_momentum_text(context.indicators),
        volatility=_volatility_text(context, price, atr),
        summary=(
            f"{context.symbol} at {price:.2f}: trend {trend} "
            f"({', '.join(f'{k} {v:+d}' for k, v in votes.items()) or 'no indicators'}), "
            f"setup {setup}; long invalid below {inv_long:.2f}, short above {inv_short:.2f}"
        ),
        confidence=round(confidence, 2),
    )


def invalidation_levels(price: float, atr: float, found: Swings) -> tuple[float, float]:
    """Where a long is wrong (a recent swing low) and where a short is wrong (a swing high)."""
    low = next(
        (
            level
            for level in found.lows
            if _MIN_STOP_ATR * atr <= price - level <= _MAX_STOP_ATR * atr
        ),
        price - _DEFAULT_STOP_ATR * atr,
    )
    high = next(
        (
            level
            for level in found.highs
            if _MIN_STOP_ATR * atr <= level - price <= _MAX_STOP_ATR * atr
        ),
        price + _DEFAULT_STOP_ATR * atr,
    )
    # Never at or below zero, whatever the volatility.
    return round_price(max(low, 0.5 * price)), round_price(high)


def _votes(indicators: IndicatorView | None, price: float) -> dict[str, int]:
    """+1 bullish, -1 bearish, 0 neutral for each signal that has a value."""
    if indicators is None:
        return {}
    votes: dict[str, int] = {}
    if indicators.sma_fast is not None and indicators.sma_slow is not None:
        votes["sma"] = _sign_of(indicators.sma_fast - indicators.sma_slow)
    if indicators.sma_slow is not None:
        votes["price"] = _sign_of(price - indicators.sma_slow)
    if indicators.macd_histogram is not None:
        votes["macd"] = _sign_of(indicators.macd_histogram)
    if indicators.rsi is not None:
        votes["rsi"] = 1 if indicators.rsi > 55 else -1 if indicators.rsi < 45 else 0
    return votes


def _trend(votes: dict[str, int]) -> Stance:
    # A majority of the signals, and at least two, must agree.
    total = sum(votes.values())
    if total >= 2:
        return "BULLISH"
    if total <= -2:
        return "BEARISH"
    return "NEUTRAL"


def _setup(context: SymbolContext, trend: Stance, price: float, atr: float) -> Setup:
    bars, ind = context.bars, context.indicators
    if bars is not None and len(bars.close) > _BREAKOUT_LOOKBACK:
        prior_high = max(bars.high[-_BREAKOUT_LOOKBACK - 1 : -1])
        prior_low = min(bars.low[-_BREAKOUT_LOOKBACK - 1 : -1])
        if price > prior_high or price < prior_low:
            return "BREAKOUT"
    if ind is None:
        return "NO_SETUP"
    rsi, hist = ind.rsi, ind.macd_histogram
    # Stretched and losing momentum: the move is more likely to turn than to run on.
    if (
        rsi is not None
        and hist is not None
        and ((rsi > 70 and hist < 0) or (rsi < 30 and hist > 0))
    ):
        return "REVERSAL"
    if trend != "NEUTRAL" and ind.sma_fast is not None and abs(price - ind.sma_fast) <= 0.5 * atr:
        return "PULLBACK"
    if trend != "NEUTRAL":
        return "TREND_CONTINUATION"
    if ind.bollinger_upper is not None and ind.bollinger_lower is not None:
        return "RANGE"
    return "NO_SETUP"


def _key_levels(price: float, found: Swings) -> KeyLevels:
    support = sorted({round_price(v) for v in found.lows if v < price}, reverse=True)[:4]
    resistance = sorted({round_price(v) for v in found.highs if v > price})[:4]
    return KeyLevels(support=support, resistance=resistance)


def _momentum_text(ind: IndicatorView | None) -> str:
    if ind is None:
        return "indicators unavailable"
    parts = []
    if ind.rsi is not None:
        parts.append(f"RSI14 {ind.rsi:.1f}")
    if ind.macd is not None and ind.macd_signal is not None and ind.macd_histogram is not None:
        parts.append(
            f"MACD {ind.macd:.3f} vs signal {ind.macd_signal:.3f} "
            f"(histogram {ind.macd_histogram:+.3f})"
        )
    if ind.sma_fast is not None and ind.sma_slow is not None:
        parts.append(f"SMA20 {ind.sma_fast:.2f} vs SMA50 {ind.sma_slow:.2f}")
    return "; ".join(parts) or "indicators still warming up"


def _volatility_text(context: SymbolContext, price: float, atr: float) -> str:
    ind = context.indicators
    if ind is None or ind.atr is None:
        return f"ATR unavailable; distances use {atr:.2f} ({atr / price:.2%} of price)"
    text = f"ATR14 {ind.atr:.2f} ({ind.atr / price:.2%} of price)"
    if ind.bollinger_upper is not None and ind.bollinger_lower is not None:
        text += f"; Bollinger {ind.bollinger_lower:.2f}–{ind.bollinger_upper:.2f}"
    return text


def _sign_of(value: float) -> int:
    return 1 if value > 0 else -1 if value < 0 else 0


def _sign(stance: Stance) -> int:
    return 1 if stance == "BULLISH" else -1 if stance == "BEARISH" else 0
