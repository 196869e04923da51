"""Price levels from a symbol's verified snapshot: reference price, ATR and swing points."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from agents.inputs import SymbolContext
from agents.rules.errors import InsufficientDataError
from cream.market.indicators import atr as atr_series

# Bars each side a swing high/low must exceed (a 5-bar fractal).
SWING_WINDOW: Final = 2
# How far back swing points are looked for.
SWING_LOOKBACK: Final = 60


@dataclass(frozen=True, slots=True)
class Swings:
    """Swing lows and highs of the recent bars, most recent first."""

    lows: tuple[float, ...]
    highs: tuple[float, ...]


def reference_price(context: SymbolContext) -> float:
    """The last traded price, else the last bar's close.

    Raises:
        InsufficientDataError: neither a quote nor bars are available.
    """
    quote = context.quote
    if quote is not None and quote.last > 0:
        return quote.last
    if quote is not None and 0 < quote.bid <= quote.ask:
        return (quote.bid + quote.ask) / 2
    bars = context.bars
    if bars is not None and bars.close and bars.close[-1] > 0:
        return bars.close[-1]
    raise InsufficientDataError(
        f"{context.symbol} has no quote and no bars ({'; '.join(context.gaps) or 'no reason'})"
    )


def average_true_range(context: SymbolContext, price: float) -> float:
    """The snapshot's ATR, else one recomputed from the bars, else 1 % of the price.

    The 1 % fallback only sizes distances (stops, tolerances); it is never reported as an
    indicator value.
    """
    indicators = context.indicators
    if indicators is not None and indicators.atr is not None and indicators.atr > 0:
        return indicators.atr
    bars = context.bars
    if bars is not None and len(bars.close) >= 2:
        n = min(14, len(bars.close) - 1)
        values = atr_series(bars.high, bars.low, bars.close, n)
        last = float(values[-1])
        if math.isfinite(last) and last > 0:
            return last
    return 0.01 * price


def swings(context: SymbolContext) -> Swings:
    """Fractal swing lows and highs of the last `SWING_LOOKBACK` bars, most recent first."""
    bars = context.bars
    if bars is None or len(bars.close) < 2 * SWING_WINDOW + 1:
        return Swings((), ())
    high = np.asarray(bars.high[-SWING_LOOKBACK:], dtype=np.float64)
    low = np.asarray(bars.low[-SWING_LOOKBACK:], dtype=np.float64)
    lows: list[float] = []
    highs: list[float] = []
    k = SWING_WINDOW
    for i in range(len(high) - k - 1, k - 1, -1):
        around = np.r_[i - k : i, i + 1 : i + k + 1]
        if low[i] < low[around].min():
            lows.append(float(low[i]))
        if high[i] > high[around].max():
            highs.append(float(high[i]))
    return Swings(tuple(lows), tuple(highs))


def round_price(value: float) -> float:
    """A price rounded to the cent, as orders and prompts carry it."""
    return round(value, 2)
