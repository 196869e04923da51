"""OHLCV bars: the typed `Bars` column container, the single `Bar` and the `Timeframe` enum."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_NS_PER_SECOND = 1_000_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class BarsError(Exception):
    """Malformed bar data; `code` is stable, the message says what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Timeframe(StrEnum):
    """Bar duration. Values are the strings used on the wire and in config ("1h", "1d")."""

    HOUR_1 = "1h"
    DAY_1 = "1d"

    @classmethod
    def parse(cls, value: str | Timeframe) -> Timeframe:
        """Return the timeframe for `value`, raising `BarsError(UNKNOWN_TIMEFRAME)` otherwise."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise BarsError(
                "UNKNOWN_TIMEFRAME", f"timeframe {value!r} is not one of {allowed}"
            ) from None

    @property
    def nanoseconds(self) -> int:
        """Nominal bar length in nanoseconds (a daily bar's session is shorter; see `Bars`)."""
        return _DURATIONS_NS[self]


_DURATIONS_NS = {
    Timeframe.HOUR_1: 3_600 * _NS_PER_SECOND,
    Timeframe.DAY_1: 86_400 * _NS_PER_SECOND,
}


def to_ns(value: dt.datetime) -> int:
    """Convert a timezone-aware datetime to integer nanoseconds since the Unix epoch (UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BarsError("NAIVE_DATETIME", f"{value.isoformat()} has no timezone; pass an aware one")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _NS_PER_SECOND + delta.microseconds * 1_000


def from_ns(value: int) -> dt.datetime:
    """Convert integer nanoseconds since the epoch to an aware UTC datetime (microseconds)."""
    return _EPOCH + dt.timedelta(microseconds=int(value) // 1_000)


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar. `timestamp` is the bar's start label, `close_time` when it completed."""

    symbol: str
    timeframe: Timeframe
    timestamp: dt.datetime
    close_time: dt.datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True, eq=False)
class Bars:
    """Bars of one symbol and timeframe as read-only NumPy columns, oldest first.

    Times are int64 nanoseconds since the epoch in UTC. `timestamps` are the bar labels (the
    start of the bar: an hourly bar stamped 09:00 New York covers 09:30-10:00, a daily bar is
    stamped at midnight New York); `close_times` are the instants the bar completed, which is
    what point-in-time filtering uses. When `close_times` is omitted it defaults to
    `timestamps + timeframe.nanoseconds`.

    Raises:
        BarsError: on unsorted or duplicate timestamps, length mismatches, non-finite
            prices, high below max(open, close), low above min(open, close), negative
            volume, or a close time before its bar's start.
    """

    symbol: str
    timeframe: Timeframe
    timestamps: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    close_times: IntArray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "timeframe", Timeframe.parse(self.timeframe))
        if not self.symbol:
            raise BarsError("EMPTY_SYMBOL", "bars need a non-empty symbol")
        timestamps = _int_column("timestamps", self.timestamps)
        n = timestamps.shape[0]
        columns: dict[str, FloatArray] = {}
        for name in ("open", "high", "low", "close", "volume"):
            column = _float_column(name, getattr(self, name))
            if column.shape[0] != n:
                raise BarsError(
                    "LENGTH_MISMATCH", f"{name} has {column.shape[0]} rows, timestamps has {n}"
                )
            columns[name] = column
        if self.close_times is None:
            close_times = timestamps + np.int64(self.timeframe.nanoseconds)
        else:
            close_times = _int_column("close_times", self.close_times)
            if close_times.shape[0] != n:
                raise BarsError(
                    "LENGTH_MISMATCH", f"close_times has {close_times.shape[0]} rows, expected {n}"
                )
        _check_rows(timestamps, close_times, columns)
        set_(self, "timestamps", _frozen(timestamps))
        set_(self, "close_times", _frozen(close_times))
        for name, column in columns.items():
            set_(self, name, _frozen(column))

    @classmethod
    def trusted(
        cls,
        symbol: str,
        timeframe: Timeframe,
        timestamps: IntArray,
        close_times: IntArray,
        open_: FloatArray,
        high: FloatArray,
        low: FloatArray,
        close: FloatArray,
        volume: FloatArray,
    ) -> Bars:
        """Build from columns already validated (e.g. slices of validated bars); no checks."""
        bars: Bars = object.__new__(cls)
        set_ = object.__setattr__
        set_(bars, "symbol", symbol)
        set_(bars, "timeframe", timeframe)
        set_(bars, "timestamps", _frozen(timestamps))
        set_(bars, "close_times", _frozen(close_times))
        set_(bars, "open", _frozen(open_))
        set_(bars, "high", _frozen(high))
        set_(bars, "low", _frozen(low))
        set_(bars, "close", _frozen(close))
        set_(bars, "volume", _frozen(volume))
        return bars

    @classmethod
    def from_bars(cls, symbol: str, timeframe: Timeframe | str, bars: Iterable[Bar]) -> Bars:
        """Build from single bars (all must carry `symbol` and `timeframe`)."""
        tf = Timeframe.parse(timeframe)
        rows = list(bars)
        for bar in rows:
            if bar.symbol != symbol or bar.timeframe != tf:
                raise BarsError(
                    "MIXED_SERIES",
                    f"bar {bar.symbol}/{bar.timeframe} at {bar.timestamp} is not {symbol}/{tf}",
                )
        return cls(
            symbol=symbol,
            timeframe=tf,
            timestamps=np.array([to_ns(b.timestamp) for b in rows], dtype=np.int64),
            close_times=np.array([to_ns(b.close_time) for b in rows], dtype=np.int64),
            open=np.array([b.open for b in rows], dtype=np.float64),
            high=np.array([b.high for b in rows], dtype=np.float64),
            low=np.array([b.low for b in rows], dtype=np.float64),
            close=np.array([b.close for b in rows], dtype=np.float64),
            volume=np.array([b.volume for b in rows], dtype=np.float64),
        )

    @property
    def end_times(self) -> IntArray:
        """Close instants (int64 ns UTC); never None after construction."""
        assert self.close_times is not None  # set in __post_init__ / trusted
        return self.close_times

    @property
    def times(self) -> npt.NDArray[np.datetime64]:
        """Bar start labels as `datetime64[ns]` (UTC)."""
        return self.timestamps.view("datetime64[ns]")

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    @overload
    def __getitem__(self, index: int) -> Bar: ...

    @overload
    def __getitem__(self, index: slice) -> Bars: ...

    def __getitem__(self, index: int | slice) -> Bar | Bars:
        if isinstance(index, slice):
            return self._take(index)
        i = range(len(self))[index]  # raises IndexError with the usual message
        return Bar(
            symbol=self.symbol,
            timeframe=self.timeframe,
            timestamp=from_ns(int(self.timestamps[i])),
            close_time=from_ns(int(self.end_times[i])),
            open=float(self.open[i]),
            high=float(self.high[i]),
            low=float(self.low[i]),
            close=float(self.close[i]),
            volume=float(self.volume[i]),
        )

    def __iter__(self) -> Iterator[Bar]:
        return (self[i] for i in range(len(self)))

    def tail(self, count: int) -> Bars:
        """The last `count` bars (all of them when fewer exist)."""
        if count < 0:
            raise BarsError("INVALID_COUNT", f"count must be >= 0, got {count}")
        return self._take(slice(max(len(self) - count, 0), None))

    def closed_by(self, as_of: dt.datetime | int) -> Bars:
        """The bars whose close time is at or before `as_of` (aware datetime or ns UTC)."""
        cutoff = to_ns(as_of) if isinstance(as_of, dt.datetime) else int(as_of)
        # close_times are non-decreasing because timestamps are sorted and durations uniform
        # per source; searchsorted on them is exact for every source this module builds.
        stop = int(np.searchsorted(self.end_times, cutoff, side="right"))
        return self._take(slice(0, stop))

    def _take(self, index: slice) -> Bars:
        return Bars.trusted(
            self.symbol,
            self.timeframe,
            self.timestamps[index],
            self.end_times[index],
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
        )


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    view = array.view()
    view.flags.writeable = False
    return view


def _int_column(name: str, values: Any) -> IntArray:
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        array = array.astype("datetime64[ns]").view(np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise BarsError(
            "INVALID_COLUMN",
            f"{name} must be a 1-D int64-ns or datetime64 array, got {array.dtype}",
        )
    return array.astype(np.int64, copy=False)


def _float_column(name: str, values: Any) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BarsError("INVALID_COLUMN", f"{name} is not numeric: {exc}") from None
    if array.ndim != 1:
        raise BarsError("INVALID_COLUMN", f"{name} must be 1-D, got shape {array.shape}")
    return array


def _check_rows(timestamps: IntArray, close_times: IntArray, cols: dict[str, FloatArray]) -> None:
    steps = np.diff(timestamps)
    if steps.size and (bad := np.flatnonzero(steps <= 0)).size:
        i = int(bad[0]) + 1
        code = "DUPLICATE_TIMESTAMP" if steps[i - 1] == 0 else "UNSORTED_TIMESTAMPS"
        raise BarsError(
            code, f"row {i} ({from_ns(int(timestamps[i]))}) does not follow row {i - 1}"
        )
    if (bad := np.flatnonzero(close_times < timestamps)).size:
        raise BarsError("CLOSE_BEFORE_START", f"row {int(bad[0])} closes before it starts")
    for name, column in cols.items():
        if (bad := np.flatnonzero(~np.isfinite(column))).size:
            raise BarsError("NON_FINITE", f"{name}[{int(bad[0])}] is {column[bad[0]]}")
    o, h, low, c, v = cols["open"], cols["high"], cols["low"], cols["close"], cols["volume"]
    if (bad := np.flatnonzero(h < np.maximum(o, c))).size:
        i = int(bad[0])
        raise BarsError("HIGH_BELOW_BODY", f"row {i}: high {h[i]} < max(open {o[i]}, close {c[i]})")
    if (bad := np.flatnonzero(low > np.minimum(o, c))).size:
        i = int(bad[0])
        raise BarsError("LOW_ABOVE_BODY", f"row {i}: low {low[i]} > min(open {o[i]}, close {c[i]})")
    if (bad := np.flatnonzero(v < 0)).size:
        raise BarsError("NEGATIVE_VOLUME", f"row {int(bad[0])}: volume {v[bad[0]]}")
