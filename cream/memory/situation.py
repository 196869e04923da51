"""The situation vector: what the market of one symbol looked like when a decision was made.

Features, all computed from the last `HISTORY_BARS` bars closed by the decision time (so a
vector depends only on what was known then, and on nothing older than that window):

- log returns over 1, 5, 20 and 60 bars;
- Wilder RSI(14), rescaled to -1..1;
- ATR(14) as a percent of the close;
- the close's position in its Bollinger(20, 2) bands: 0 on the middle band, ±1 on a band;
- the last bar's volume as a z-score against the 20 bars before it;
- the regime as a one-hot block (classified from the same bars unless given).

Raw values are stored; `CaseIndex` standardises them against the stored population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from cream.market.bars import Bars, from_ns
from cream.market.indicators import atr, bollinger, rsi
from cream.market.regime import Regime, classify_regime
from cream.memory.errors import InsufficientHistoryError, InvalidCaseError

Vector = npt.NDArray[np.float32]

FEATURE_VERSION: Final = "situation-v1"
HISTORY_BARS: Final = 120
RETURN_WINDOWS: Final = (1, 5, 20, 60)
_RSI_N: Final = 14
_ATR_N: Final = 14
_BOLLINGER_N: Final = 20
_BOLLINGER_K: Final = 2.0
_VOLUME_N: Final = 20

REGIMES: Final = tuple(Regime)
CONTINUOUS_FEATURES: Final = (
    *(f"return_{window}" for window in RETURN_WINDOWS),
    "rsi_14",
    "atr_pct_14",
    "bollinger_position_20",
    "volume_z_20",
)
FEATURE_NAMES: Final = (*CONTINUOUS_FEATURES, *(f"regime_{r.value}" for r in REGIMES))
DIMENSIONS: Final = len(FEATURE_NAMES)


@dataclass(frozen=True, slots=True, eq=False)
class Situation:
    """One symbol's situation vector at a decision time, with the regime it encodes."""

    symbol: str
    as_of: datetime
    last_bar_close: datetime
    regime: Regime
    values: Vector
    feature_version: str = FEATURE_VERSION

    def as_dict(self) -> dict[str, float]:
        """Feature name → value, for storage and for prompts."""
        return {name: float(v) for name, v in zip(FEATURE_NAMES, self.values, strict=True)}


def regime_one_hot(regime: Regime) -> Vector:
    """The regime block of a situation vector."""
    block = np.zeros(len(REGIMES), dtype=np.float32)
    block[REGIMES.index(regime)] = 1.0
    return block


def situation_vector(bars: Bars, as_of: datetime, *, regime: Regime | None = None) -> Situation:
    """The situation of `bars.symbol` from the bars closed at or before `as_of`.

    Args:
        bars: The symbol's bars; later bars are ignored (point in time).
        as_of: The decision time (timezone-aware).
        regime: The regime label, when already classified; otherwise classified here.

    Raises:
        InsufficientHistoryError: Fewer than `HISTORY_BARS` bars closed by `as_of`.
        InvalidCaseError: A close in the window is not positive.
    """
    known = bars.closed_by(as_of)
    if len(known) < HISTORY_BARS:
        raise InsufficientHistoryError(bars.symbol, HISTORY_BARS, len(known))
    window = known.tail(HISTORY_BARS)
    close = window.close
    if not (close > 0).all():
        raise InvalidCaseError(f"{bars.symbol}: closes must be positive to take log returns")
    label = regime if regime is not None else classify_regime(window).regime
    last = close[-1]
    returns = [math.log(last / close[-1 - n]) for n in RETURN_WINDOWS]
    strength = (float(rsi(close, _RSI_N)[-1]) - 50.0) / 50.0
    atr_pct = float(atr(window.high, window.low, close, _ATR_N)[-1]) / last * 100.0
    bands = bollinger(close, _BOLLINGER_N, _BOLLINGER_K)
    half_width = float(bands.upper[-1] - bands.middle[-1])
    position = float(last - bands.middle[-1]) / half_width if half_width > 0 else 0.0
    continuous = np.array(
        [*returns, strength, atr_pct, position, _volume_z(window.volume)], dtype=np.float32
    )
    values = np.concatenate([continuous, regime_one_hot(label)])
    values.flags.writeable = False
    return Situation(
        symbol=bars.symbol,
        as_of=as_of,
        last_bar_close=from_ns(int(window.end_times[-1])),
        regime=label,
        values=values,
    )


def _volume_z(volume: npt.NDArray[np.float64]) -> float:
    before = volume[-1 - _VOLUME_N : -1]
    spread = float(before.std())
    # A flat volume history has no scale: the last bar is then neither high nor low volume.
    if spread <= 0.0:
        return 0.0
    return (float(volume[-1]) - float(before.mean())) / spread
