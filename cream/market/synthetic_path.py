"""The synthetic feed's price model: seeded regime-switching log-price paths and a session calendar.

A path is a pure function of (symbol, instant), evaluated on NumPy arrays of epoch seconds:

- **Regimes.** Time is cut into segments of about `SEGMENT_SECONDS` whose boundaries are
  jittered by a seeded amount, so they switch at seeded times. Each segment draws one of
  TREND_UP, TREND_DOWN, RANGE or HIGH_VOL. A trend segment moves log-price by a seeded 3-8 %
  over its length; that move fades out over the next `FADE_SECONDS`, which keeps prices
  bounded and the path random-access (no walk from an origin).
- **Noise.** Multi-scale value noise (minutes to months); the intraday scales are amplified in
  HIGH_VOL segments, blended over `BLEND_SECONDS` at the switch so the path stays continuous.

Hashing is a vectorised splitmix64 on keys derived from the symbol, so the same inputs give
bit-identical outputs on every run and machine.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NEW_YORK = ZoneInfo("America/New_York")
SEGMENT_SECONDS = 5 * 86_400.0
FADE_SECONDS = 4 * SEGMENT_SECONDS
BLEND_SECONDS = 6 * 3_600.0
# Boundary jitter as a fraction of a segment; below 0.5 so boundaries stay ordered, and small
# enough that `_LOOKBACK` segments always span more than FADE_SECONDS (12 x 0.5 > 4).
_JITTER = 0.25
_LOOKBACK = 12
# (period in seconds, amplitude in log-price, amplified in HIGH_VOL segments)
_SCALES: tuple[tuple[float, float, bool], ...] = (
    (300.0, 0.002, True),
    (3_600.0, 0.005, True),
    (86_400.0, 0.012, True),
    (7 * 86_400.0, 0.02, False),
    (30 * 86_400.0, 0.05, False),
)
# Share of a session's volume per hourly bar (09:30-10:00, 10-11, ..., 15-16): the U shape.
HOURLY_VOLUME_SHAPE: tuple[float, ...] = (0.14, 0.13, 0.11, 0.10, 0.11, 0.14, 0.27)
SESSION_OPEN = time(9, 30)
SESSION_HOURS = 7
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


class PathRegime(IntEnum):
    """The regime a synthetic segment is in."""

    TREND_UP = 0
    TREND_DOWN = 1
    RANGE = 2
    HIGH_VOL = 3


# Cumulative probabilities of TREND_UP, TREND_DOWN, RANGE (HIGH_VOL takes the rest).
_REGIME_CUTS = np.array([0.30, 0.55, 0.85])
_VOL_MULTIPLIER = np.array([1.0, 1.0, 0.9, 2.6])
VOLUME_MULTIPLIER = np.array([1.15, 1.25, 0.9, 1.7])
SPREAD_MULTIPLIER = np.array([1.0, 1.1, 1.0, 2.0])


@functools.lru_cache(maxsize=65_536)
def key(symbol: str, stream: str) -> np.uint64:
    """A 64-bit hashing key for one (symbol, stream) pair."""
    digest = hashlib.blake2b(f"{symbol}\x00{stream}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "big"))


_MASK = (1 << 64) - 1
_SMALL = 8


def _mix_int(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def uniform(k: np.uint64, index: IntArray) -> FloatArray:
    """Deterministic uniform values in [0, 1) for integer indices under key `k`."""
    if index.size <= _SMALL:
        # Plain integers are faster than NumPy on a handful of values; the result is the same.
        key_int = int(k)
        values = [
            (_mix_int(((int(i) & _MASK) * 0x9E3779B97F4A7C15 & _MASK) ^ key_int) >> 11) * 2.0**-53
            for i in index.reshape(-1).tolist()
        ]
        return np.array(values, dtype=np.float64).reshape(index.shape)
    x = index.astype(np.uint64) * _GOLDEN ^ k
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _corners(k: np.uint64, cells: IntArray) -> tuple[FloatArray, FloatArray]:
    """`uniform` at `cells` and `cells + 1`, hashing each distinct cell once when dense."""
    lo, hi = int(cells.min()), int(cells.max())
    if hi - lo > 4 * cells.size:
        return uniform(k, cells), uniform(k, cells + 1)
    table = uniform(k, np.arange(lo, hi + 2, dtype=np.int64))
    at = cells - lo
    return table[at], table[at + 1]


def base_price(symbol: str) -> float:
    """The price level a symbol's path moves around (20 to 500)."""
    return 20.0 + float(int(key(symbol, "base")) % 480)


def average_daily_volume(symbol: str) -> float:
    """The symbol's typical session volume in shares (about 300k to 30M)."""
    return float(10.0 ** (5.5 + 2.0 * uniform(key(symbol, "adv"), np.zeros(1, np.int64))[0]))


def half_spread_bps(symbol: str) -> float:
    """Half the usual quoted spread in basis points: tighter for more liquid symbols."""
    liquidity = (np.log10(average_daily_volume(symbol)) - 5.5) / 2.0
    return float(0.5 + 4.0 * (1.0 - liquidity))


def _smoothstep(x: FloatArray) -> FloatArray:
    return x * x * (3.0 - 2.0 * x)


def _value_noise(k: np.uint64, t: FloatArray, period: float) -> FloatArray:
    """Smooth noise in [-1, 1): seeded values at multiples of `period`, eased in between."""
    x = t / period
    cells = np.floor(x).astype(np.int64)
    w = _smoothstep(x - cells)
    a, b = _corners(k, cells)
    return 2.0 * (a * (1.0 - w) + b * w) - 1.0


@functools.lru_cache(maxsize=4_096)
def _segment_table(symbol: str, first: int, stop: int) -> tuple[FloatArray, IntArray, FloatArray]:
    """Boundaries (s), regimes and trend moves of segments `first` to `stop - 1`."""
    js = np.arange(first, stop, dtype=np.int64)
    jitter = _JITTER * (2.0 * uniform(key(symbol, "boundary"), js) - 1.0)
    bounds: FloatArray = (js + jitter) * SEGMENT_SECONDS
    draw = uniform(key(symbol, "regime"), js)
    regimes: IntArray = np.searchsorted(_REGIME_CUTS, draw, side="right").astype(np.int64)
    size = uniform(key(symbol, "move"), js)
    moves = np.zeros(js.shape, dtype=np.float64)
    up, down = regimes == PathRegime.TREND_UP, regimes == PathRegime.TREND_DOWN
    moves[up] = 0.03 + 0.05 * size[up]
    moves[down] = -(0.03 + 0.05 * size[down])
    drift = regimes == PathRegime.HIGH_VOL
    moves[drift] = 0.04 * (size[drift] - 0.5)
    # Shared by the cache: nobody may change them.
    for array in (bounds, regimes, moves):
        array.flags.writeable = False
    return bounds, regimes, moves


class _Segments:
    """Segment boundaries, regimes and trend moves for every segment an array of times needs."""

    def __init__(self, symbol: str, t: FloatArray) -> None:
        cell = np.floor(t / SEGMENT_SECONDS).astype(np.int64)
        self.first = int(cell.min()) - _LOOKBACK - 1
        self.bounds, self.regimes, self.moves = _segment_table(
            symbol, self.first, int(cell.max()) + 3
        )
        # Index (into js) of the segment holding each time: the cell, or a neighbour when
        # the jittered boundary falls on the other side of t.
        at = cell - self.first
        at = at - (t < self.bounds[at]) + (t >= self.bounds[at + 1])
        self.index: IntArray = at.astype(np.int64)

    def regime(self) -> IntArray:
        """The regime of the segment holding each time."""
        return self.regimes[self.index]

    def trend(self, t: FloatArray) -> FloatArray:
        """Sum of the current and fading past trend moves at each time."""
        cols = self.index[:, None] - np.arange(_LOOKBACK, -1, -1)[None, :]
        start, stop = self.bounds[cols], self.bounds[cols + 1]
        tt = t[:, None]
        progress = np.clip((tt - start) / (stop - start), 0.0, 1.0)
        fade = np.clip(1.0 - (tt - stop) / FADE_SECONDS, 0.0, 1.0)
        trend: FloatArray = (self.moves[cols] * progress * fade).sum(axis=1)
        return trend

    def vol_multiplier(self, t: FloatArray) -> FloatArray:
        """Noise amplification of the current regime, eased in after each switch."""
        now = _VOL_MULTIPLIER[self.regimes[self.index]]
        before = _VOL_MULTIPLIER[self.regimes[self.index - 1]]
        blend = _smoothstep(np.clip((t - self.bounds[self.index]) / BLEND_SECONDS, 0.0, 1.0))
        mult: FloatArray = before + (now - before) * blend
        return mult


def log_path(symbol: str, t: FloatArray) -> tuple[FloatArray, IntArray]:
    """Log-price offsets from `base_price` at epoch seconds `t`, and the regime at each."""
    times = np.ascontiguousarray(t, dtype=np.float64).reshape(-1)
    segments = _Segments(symbol, times)
    fast = np.zeros_like(times)
    slow = np.zeros_like(times)
    for period, amplitude, amplified in _SCALES:
        noise = amplitude * _value_noise(key(symbol, f"noise/{period:g}"), times, period)
        if amplified:
            fast += noise
        else:
            slow += noise
    level = segments.trend(times) + slow + fast * segments.vol_multiplier(times)
    return level, segments.regime()


def mid_prices(symbol: str, t: FloatArray) -> tuple[FloatArray, IntArray]:
    """Mid prices at epoch seconds `t`, and the regime at each."""
    level, regimes = log_path(symbol, t)
    prices: FloatArray = base_price(symbol) * np.exp(level)
    return prices, regimes


def to_cents(values: FloatArray) -> FloatArray:
    """Round prices half up to whole cents (the same rule for quotes and bars)."""
    rounded: FloatArray = np.floor(values * 100.0 + 0.5) / 100.0
    return rounded


@functools.lru_cache(maxsize=16_384)
def session_times(day: date) -> tuple[float, float]:
    """Epoch seconds of the 09:30 open and 16:00 close of `day` in New York."""
    open_ = datetime.combine(day, SESSION_OPEN, tzinfo=NEW_YORK).timestamp()
    return open_, open_ + 6.5 * 3_600.0


def trading_days(end: datetime, count: int, *, include: Literal["closed", "opened"]) -> list[date]:
    """The last `count` weekdays whose session had closed (or just opened) by `end`.

    Exchange holidays are not modeled: every weekday is a session.
    """
    day = end.astimezone(NEW_YORK).date()
    cutoff = end.astimezone(UTC).timestamp()
    days: list[date] = []
    while len(days) < count:
        if day.weekday() < 5:
            open_, close = session_times(day)
            mark = close if include == "closed" else open_
            if mark <= cutoff:
                days.append(day)
        day -= timedelta(days=1)
    days.reverse()
    return days


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the index volume noise is keyed on)."""
    return (day - date(1970, 1, 1)).days
