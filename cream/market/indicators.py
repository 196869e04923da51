"""Technical indicators (SMA, EMA, Wilder RSI and ATR, MACD, Bollinger) over NumPy arrays.

Every function takes a 1-D series or a 2-D array of many series (one row per symbol, time on
the last axis) and returns float64 arrays of the same shape, NaN while the indicator warms up.
Conventions (chosen to match TA-Lib, checked against Lean and Tulip reference vectors):

- EMA is seeded with the SMA of its first `n` values, then ``alpha = 2 / (n + 1)``.
- Wilder smoothing (RSI, ATR) is an EMA with ``alpha = 1 / n`` seeded with an SMA.
- RSI needs `n` price changes, so its first value is at index `n`. A window with no movement
  at all (average gain and loss both zero) gives 50.
- A true range needs the previous close, so ATR's first value is at index `n` too.
- MACD's line starts at ``slow - 1``; signal and histogram at ``slow + signal - 2``.
- Bollinger bands use the population standard deviation.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Largest natural-log growth of the closed-form smoothing factors (e**300 stays finite).
_MAX_LOG_GROWTH = 300.0


class IndicatorInputError(Exception):
    """Invalid indicator input; `code` is stable, the message says what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Macd(NamedTuple):
    """MACD line (fast EMA - slow EMA), its signal EMA, and the histogram (line - signal)."""

    line: FloatArray
    signal: FloatArray
    histogram: FloatArray


class BollingerBands(NamedTuple):
    """Middle band (SMA) and the bands `k` population standard deviations around it."""

    middle: FloatArray
    upper: FloatArray
    lower: FloatArray


class IndicatorSet(NamedTuple):
    """All indicators of `compute_all`, each shaped like the input."""

    sma_fast: FloatArray
    sma_slow: FloatArray
    ema: FloatArray
    rsi: FloatArray
    macd: Macd
    atr: FloatArray
    bollinger: BollingerBands


def sma(x: npt.ArrayLike, n: int) -> FloatArray:
    """Simple moving average over `n` values; first value at index ``n - 1``."""
    _period("n", n)
    return _sma(_series("x", x), n)


def ema(x: npt.ArrayLike, n: int) -> FloatArray:
    """Exponential moving average, ``alpha = 2 / (n + 1)``, seeded with the SMA of `n` values."""
    _period("n", n)
    return _smoothed(_series("x", x), n, 2.0 / (n + 1.0))


def rsi(close: npt.ArrayLike, n: int = 14) -> FloatArray:
    """Wilder's relative strength index in [0, 100]; first value at index `n`."""
    _period("n", n)
    return _rsi(_series("close", close), n)


def macd(close: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """MACD: fast EMA minus slow EMA, its `signal` EMA, and the histogram."""
    _macd_periods(fast, slow, signal)
    return _macd(_series("close", close), fast, slow, signal)


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """True range: max(high, previous close) - min(low, previous close); NaN at index 0."""
    return _true_range(*_ohlc(high, low, close))


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, n: int = 14) -> FloatArray:
    """Wilder's average true range, seeded with the SMA of the first `n` true ranges."""
    _period("n", n)
    return _atr(_true_range(*_ohlc(high, low, close)), n)


def bollinger(close: npt.ArrayLike, n: int = 20, k: float = 2.0) -> BollingerBands:
    """Bollinger bands: SMA(n) and ``± k`` population standard deviations."""
    _period("n", n)
    _multiplier(k)
    return _bollinger(_series("close", close), n, k)


def compute_all(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    sma_fast: int = 20,
    sma_slow: int = 50,
    ema_n: int = 20,
    rsi_n: int = 14,
    macd_periods: tuple[int, int, int] = (12, 26, 9),
    atr_n: int = 14,
    bollinger_n: int = 20,
    bollinger_k: float = 2.0,
) -> IndicatorSet:
    """Every indicator for one series or a (symbols x bars) array, validating inputs once.

    Stacking many symbols into one 2-D array is the fast path: each step runs once for all.
    """
    for name, n in (("sma_fast", sma_fast), ("sma_slow", sma_slow), ("ema_n", ema_n)):
        _period(name, n)
    _period("rsi_n", rsi_n)
    _period("atr_n", atr_n)
    _period("bollinger_n", bollinger_n)
    _macd_periods(*macd_periods)
    _multiplier(bollinger_k)
    h, lo, c = _ohlc(high, low, close)
    return IndicatorSet(
        sma_fast=_sma(c, sma_fast),
        sma_slow=_sma(c, sma_slow),
        ema=_smoothed(c, ema_n, 2.0 / (ema_n + 1.0)),
        rsi=_rsi(c, rsi_n),
        macd=_macd(c, *macd_periods),
        atr=_atr(_true_range(h, lo, c), atr_n),
        bollinger=_bollinger(c, bollinger_n, bollinger_k),
    )


def _rsi(prices: FloatArray, n: int) -> FloatArray:
    out = _nan_like(prices)
    if prices.shape[-1] <= n:
        return out
    change = np.diff(prices, axis=-1)
    # Gains and losses are smoothed in one call: stacked on a new leading axis.
    both = _smoothed(np.stack((np.maximum(change, 0.0), np.maximum(-change, 0.0))), n, 1.0 / n)
    gain, loss = both[0][..., n - 1 :], both[1][..., n - 1 :]
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out[..., n:] = np.where(total > 0.0, 100.0 * (gain / total), 50.0)
    return out


def _macd(prices: FloatArray, fast: int, slow: int, signal: int) -> Macd:
    line = _smoothed(prices, fast, 2.0 / (fast + 1.0)) - _smoothed(prices, slow, 2.0 / (slow + 1.0))
    signal_line = _nan_like(prices)
    signal_line[..., slow - 1 :] = _smoothed(line[..., slow - 1 :], signal, 2.0 / (signal + 1.0))
    return Macd(line, signal_line, line - signal_line)


def _true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    out = _nan_like(close)
    prev = close[..., :-1]
    out[..., 1:] = np.maximum(high[..., 1:], prev) - np.minimum(low[..., 1:], prev)
    return out


def _atr(tr: FloatArray, n: int) -> FloatArray:
    out = _nan_like(tr)
    out[..., 1:] = _smoothed(tr[..., 1:], n, 1.0 / n)
    return out


def _bollinger(prices: FloatArray, n: int, k: float) -> BollingerBands:
    middle, std = _rolling_mean_std(prices, n)
    width = k * std
    return BollingerBands(middle, middle + width, middle - width)


def _macd_periods(fast: int, slow: int, signal: int) -> None:
    _period("fast", fast)
    _period("slow", slow)
    _period("signal", signal)
    if fast >= slow:
        raise IndicatorInputError(
            "INVALID_PERIOD", f"fast ({fast}) must be shorter than slow ({slow})"
        )


def _multiplier(k: float) -> None:
    if isinstance(k, bool) or not isinstance(k, int | float) or not np.isfinite(k) or k < 0:
        raise IndicatorInputError("INVALID_MULTIPLIER", f"k must be finite and >= 0, got {k!r}")


def _series(name: str, x: Any) -> FloatArray:
    try:
        values = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise IndicatorInputError("NOT_NUMERIC", f"{name} is not numeric: {exc}") from None
    if values.ndim not in (1, 2):
        raise IndicatorInputError(
            "INVALID_SHAPE", f"{name} must be 1-D or 2-D (symbols x bars), got {values.shape}"
        )
    if not np.isfinite(values).all():
        bad = np.argwhere(~np.isfinite(values))[0]
        raise IndicatorInputError(
            "NON_FINITE_INPUT", f"{name}{list(bad)} is {values[tuple(bad)]}; drop or fill it first"
        )
    return values


def _ohlc(high: Any, low: Any, close: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    h, lo, c = _series("high", high), _series("low", low), _series("close", close)
    if not h.shape == lo.shape == c.shape:
        raise IndicatorInputError(
            "LENGTH_MISMATCH", f"high {h.shape}, low {lo.shape} and close {c.shape} differ"
        )
    return h, lo, c


def _period(name: str, n: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise IndicatorInputError("INVALID_PERIOD", f"{name} must be an integer >= 1, got {n!r}")


def _nan_like(x: FloatArray) -> FloatArray:
    return np.full(x.shape, np.nan, dtype=np.float64)


def _window_sums(x: FloatArray, n: int) -> FloatArray:
    """Sums of each full window of `n` (last axis), via a cumulative sum of centred values."""
    # Centring on the first value keeps the running sum small, so the difference of two
    # running sums loses little precision even on long series.
    centred = x - x[..., :1]
    csum = np.cumsum(centred, axis=-1)
    sums = csum[..., n - 1 :].copy()
    sums[..., 1:] -= csum[..., :-n]
    return sums + n * x[..., :1]


def _sma(x: FloatArray, n: int) -> FloatArray:
    out = _nan_like(x)
    if x.shape[-1] >= n:
        out[..., n - 1 :] = _window_sums(x, n) / n
    return out


def _rolling_mean_std(x: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    """Rolling mean and population standard deviation, both NaN before index n-1."""
    mean, std = _nan_like(x), _nan_like(x)
    if x.shape[-1] < n:
        return mean, std
    windows = np.lib.stride_tricks.sliding_window_view(x, n, axis=-1)
    # Two passes (mean, then squared deviations): no cancellation, unlike sum(x**2) - n*m**2.
    window_mean = windows.sum(axis=-1) / n
    deviations = windows - window_mean[..., None]
    mean[..., n - 1 :] = window_mean
    std[..., n - 1 :] = np.sqrt(np.einsum("...i,...i->...", deviations, deviations) / n)
    return mean, std


def _smoothed(x: FloatArray, n: int, alpha: float) -> FloatArray:
    """Exponential smoothing along the last axis, seeded at index n-1 with the SMA of n values.

    The recursion ``L[t] = d * L[t-1] + alpha * x[t]`` (``d = 1 - alpha``) is evaluated in
    closed form, ``L[s+j] = d**j * (L[s] + alpha * cumsum(d**-k * x[s+k]))``, over chunks
    short enough that ``d**-k`` cannot overflow. Rounding stays at about ``eps * max|x|``
    because each partial sum is dominated by its last term, which the ``d**j`` factor undoes.
    """
    out = _nan_like(x)
    length = x.shape[-1]
    if length < n:
        return out
    level = x[..., :n].sum(axis=-1) / n
    out[..., n - 1] = level
    decay = 1.0 - alpha
    rest = x[..., n:]
    if decay <= 0.0 or rest.shape[-1] == 0:
        out[..., n:] = rest  # alpha == 1: the average is the value itself
        return out
    chunk = max(1, int(_MAX_LOG_GROWTH / -np.log(decay)))
    for start in range(0, rest.shape[-1], chunk):
        part = rest[..., start : start + chunk]
        growth, shrink = _powers(decay, part.shape[-1])
        levels = shrink * (level[..., None] + alpha * np.cumsum(part * growth, axis=-1))
        out[..., n + start : n + start + part.shape[-1]] = levels
        level = levels[..., -1]
    return out


@functools.lru_cache(maxsize=256)
def _powers(decay: float, count: int) -> tuple[FloatArray, FloatArray]:
    """``decay**-k`` and ``decay**k`` for k = 1..count, read-only (shared by the cache)."""
    steps = np.arange(1, count + 1, dtype=np.float64)
    growth, shrink = decay**-steps, decay**steps
    growth.flags.writeable = False
    shrink.flags.writeable = False
    return growth, shrink
