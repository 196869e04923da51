"""Rule-based market regime classifier: fast/slow SMA difference plus ATR percentile.

Rules, checked in this order on the latest bar (every threshold is a `RegimeThresholds` field):

1. CRISIS: the ATR percentile is at least `crisis_atr_percentile` (95) **and** the close is at
   least `crisis_drawdown_pct` (10 %) below the highest close of the lookback window.
2. BULL_TREND / BEAR_TREND: the fast SMA is at least `trend_pct` (1 %) above / below the slow
   SMA (``ma_diff_pct = (fast - slow) / slow * 100``).
3. HIGH_VOLATILITY: the trend is weak and the ATR percentile is at least
   `high_volatility_percentile` (80).
4. LOW_VOLATILITY: the trend is weak and the ATR percentile is at most
   `low_volatility_percentile` (20).
5. RANGE_BOUND: otherwise.

The ATR percentile ranks the latest ATR as a fraction of price (so a series that doubled in
price is not "more volatile" for that alone) among the last `lookback` such values: the share
of them below the latest one, ties counting half (mid-rank), in percent; so a constant
volatility ranks 50, not 100. Confidence is 0.5 at a rule's
threshold and grows linearly to 1.0 as the deciding metric moves a full threshold-width
beyond it. Too few bars raise `InsufficientData`; the classifier never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from cream.market.bars import Bars
from cream.market.indicators import IndicatorInputError, atr, sma
from cream.v1 import common_pb2


class Regime(StrEnum):
    """Market regime; values equal the proto `cream.v1.Regime` names without `REGIME_`."""

    BULL_TREND = "BULL_TREND"
    BEAR_TREND = "BEAR_TREND"
    RANGE_BOUND = "RANGE_BOUND"
    HIGH_VOLATILITY = "HIGH_VOLATILITY"
    LOW_VOLATILITY = "LOW_VOLATILITY"
    CRISIS = "CRISIS"

    def to_proto(self) -> common_pb2.Regime.ValueType:
        """The matching `cream.v1.Regime` enum value."""
        return common_pb2.Regime.Value(f"REGIME_{self.value}")

    @classmethod
    def from_proto(cls, value: common_pb2.Regime.ValueType) -> Regime:
        """Inverse of `to_proto`; REGIME_UNSPECIFIED or an unknown number raises."""
        try:
            name = common_pb2.Regime.Name(value)
        except ValueError:
            raise RegimeInputError("UNKNOWN_REGIME", f"{value} is not a cream.v1.Regime") from None
        if name == "REGIME_UNSPECIFIED":
            raise RegimeInputError("UNSPECIFIED_REGIME", "REGIME_UNSPECIFIED has no regime")
        return cls(name.removeprefix("REGIME_"))


class RegimeInputError(Exception):
    """Invalid classifier input or parameters; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InsufficientData(RegimeInputError):  # noqa: N818 - reads as the outcome it reports
    """Not enough bars to classify; `needed` and `got` say how many."""

    def __init__(self, needed: int, got: int) -> None:
        super().__init__(
            "INSUFFICIENT_DATA", f"the classifier needs {needed} bars and was given {got}"
        )
        self.needed = needed
        self.got = got


@dataclass(frozen=True, slots=True)
class RegimeThresholds:
    """Rule thresholds; see the module docstring for how each is used."""

    trend_pct: float = 1.0
    high_volatility_percentile: float = 80.0
    low_volatility_percentile: float = 20.0
    crisis_atr_percentile: float = 95.0
    crisis_drawdown_pct: float = 10.0

    def __post_init__(self) -> None:
        if not self.trend_pct > 0 or not self.crisis_drawdown_pct > 0:
            raise RegimeInputError("INVALID_THRESHOLD", "trend_pct and crisis_drawdown_pct > 0")
        low, high = self.low_volatility_percentile, self.high_volatility_percentile
        if not 0 < low < high < 100 or not high <= self.crisis_atr_percentile < 100:
            raise RegimeInputError(
                "INVALID_THRESHOLD",
                "need 0 < low_volatility < high_volatility <= crisis_atr < 100 (percentiles)",
            )


@dataclass(frozen=True, slots=True)
class RegimeMetrics:
    """The numbers the decision was made on."""

    fast_ma: float
    slow_ma: float
    ma_diff_pct: float
    atr_percentile: float
    drawdown_pct: float


@dataclass(frozen=True, slots=True)
class RegimeClassification:
    """A regime with its confidence (0..1), a one-line reasoning and the metrics behind it."""

    regime: Regime
    confidence: float
    reasoning: str
    metrics: RegimeMetrics


def required_bars(slow: int = 50, atr_n: int = 14, lookback: int = 100) -> int:
    """Fewest bars `classify_regime` accepts with these periods."""
    # ATR's first value is at index atr_n; the percentile needs `lookback` ATR values.
    return max(slow, atr_n + lookback)


def classify_regime(
    data: Bars | tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    *,
    fast: int = 20,
    slow: int = 50,
    atr_n: int = 14,
    lookback: int = 100,
    thresholds: RegimeThresholds | None = None,
) -> RegimeClassification:
    """Classify the regime at the last bar of `data` (a `Bars` or `(high, low, close)`).

    Raises:
        InsufficientData: fewer than `required_bars(slow, atr_n, lookback)` bars.
        RegimeInputError: invalid periods or inputs (code INVALID_PERIOD, INVALID_INPUT, ...).
    """
    rules = thresholds or RegimeThresholds()
    for name, value in (("fast", fast), ("slow", slow), ("atr_n", atr_n), ("lookback", lookback)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RegimeInputError("INVALID_PERIOD", f"{name} must be an integer >= 1: {value!r}")
    if fast >= slow:
        raise RegimeInputError("INVALID_PERIOD", f"fast ({fast}) must be below slow ({slow})")
    if isinstance(data, Bars):
        high, low, close = data.high, data.low, data.close
    else:
        high, low, close = (np.asarray(column, dtype=np.float64) for column in data)
    needed = required_bars(slow, atr_n, lookback)
    if close.ndim != 1 or not high.shape == low.shape == close.shape:
        raise RegimeInputError(
            "INVALID_INPUT",
            f"high {high.shape}, low {low.shape} and close {close.shape} must be equal and 1-D",
        )
    if close.shape[0] < needed:
        raise InsufficientData(needed, int(close.shape[0]))
    # Only the tail matters; trimming keeps the cost independent of history length.
    tail = slice(close.shape[0] - needed, None)
    high, low, close = high[tail], low[tail], close[tail]
    try:
        atr_pct = atr(high, low, close, atr_n)[-lookback:] / close[-lookback:]
        fast_ma = float(sma(close[-fast:], fast)[-1])
        slow_ma = float(sma(close[-slow:], slow)[-1])
    except IndicatorInputError as exc:
        raise RegimeInputError("INVALID_INPUT", exc.message) from exc
    metrics = RegimeMetrics(
        fast_ma=fast_ma,
        slow_ma=slow_ma,
        ma_diff_pct=(fast_ma - slow_ma) / slow_ma * 100.0,
        atr_percentile=_percentile_rank(atr_pct),
        drawdown_pct=float((1.0 - close[-1] / close[-lookback:].max()) * 100.0),
    )
    regime, confidence, rule = _decide(metrics, rules)
    reasoning = (
        f"SMA{fast}={fast_ma:.2f} vs SMA{slow}={slow_ma:.2f} ({metrics.ma_diff_pct:+.2f}%), "
        f"ATR{atr_n} percentile {metrics.atr_percentile:.0f} of {lookback} bars, "
        f"drawdown {metrics.drawdown_pct:.1f}% -> {regime.value} ({rule})"
    )
    return RegimeClassification(regime, confidence, reasoning, metrics)


def _decide(m: RegimeMetrics, t: RegimeThresholds) -> tuple[Regime, float, str]:
    trend = abs(m.ma_diff_pct)
    if m.atr_percentile >= t.crisis_atr_percentile and m.drawdown_pct >= t.crisis_drawdown_pct:
        margin = min(
            _margin(m.atr_percentile - t.crisis_atr_percentile, 100.0 - t.crisis_atr_percentile),
            _margin(m.drawdown_pct - t.crisis_drawdown_pct, t.crisis_drawdown_pct),
        )
        rule = f"ATR pct >= {t.crisis_atr_percentile:g} and drawdown >= {t.crisis_drawdown_pct:g}%"
        return Regime.CRISIS, _confidence(margin), rule
    if trend >= t.trend_pct:
        regime = Regime.BULL_TREND if m.ma_diff_pct > 0 else Regime.BEAR_TREND
        rule = f"|MA diff| >= {t.trend_pct:g}%"
        return regime, _confidence(_margin(trend - t.trend_pct, t.trend_pct)), rule
    if m.atr_percentile >= t.high_volatility_percentile:
        margin = _margin(
            m.atr_percentile - t.high_volatility_percentile, 100.0 - t.high_volatility_percentile
        )
        rule = f"weak trend, ATR pct >= {t.high_volatility_percentile:g}"
        return Regime.HIGH_VOLATILITY, _confidence(margin), rule
    if m.atr_percentile <= t.low_volatility_percentile:
        margin = _margin(
            t.low_volatility_percentile - m.atr_percentile, t.low_volatility_percentile
        )
        rule = f"weak trend, ATR pct <= {t.low_volatility_percentile:g}"
        return Regime.LOW_VOLATILITY, _confidence(margin), rule
    # Range-bound is clearest with no trend and volatility mid-way between the two thresholds.
    mid = (t.high_volatility_percentile + t.low_volatility_percentile) / 2.0
    half_band = (t.high_volatility_percentile - t.low_volatility_percentile) / 2.0
    margin = min(1.0 - trend / t.trend_pct, 1.0 - abs(m.atr_percentile - mid) / half_band)
    return Regime.RANGE_BOUND, _confidence(margin), "weak trend, ATR pct mid-range"


def _percentile_rank(values: npt.NDArray[np.float64]) -> float:
    latest = values[-1]
    below = np.count_nonzero(values < latest)
    ties = np.count_nonzero(values == latest)
    return float((below + 0.5 * ties) / values.shape[0] * 100.0)


def _margin(excess: float, width: float) -> float:
    return excess / width


def _confidence(margin: float) -> float:
    return float(min(1.0, max(0.5, 0.5 + 0.5 * margin)))
