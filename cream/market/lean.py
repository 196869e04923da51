"""Readers for QuantConnect Lean equity files (bar zips, factor files) and plain OHLCV CSV.

Lean bar zips hold one ``<ticker>.csv`` without a header: ``"YYYYMMDD HH:MM",open,high,low,
close,volume`` with prices in deci-cents (1/10000 dollar) and times in America/New_York.
Hourly rows are stamped at the start of the hour (09:00 covers 09:30-10:00) and close one hour
later; daily rows are stamped 00:00 and close at the 16:00 New York session end. Factor files
are ``date,price_factor,split_factor,reference_price``: a bar dated D uses the first row whose
date is >= D (none: factor 1), as Lean's CorporateFactorProvider does.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from cream.market.bars import Bars, BarsError, Timeframe, to_ns

NEW_YORK = ZoneInfo("America/New_York")
PRICE_SCALE = 10_000.0
CSV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")

_NS_PER_MINUTE = 60 * 1_000_000_000
_NS_PER_DAY = 1_440 * _NS_PER_MINUTE
_SESSION_CLOSE_NS = 16 * 60 * _NS_PER_MINUTE

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class DataFormatError(Exception):
    """A data file that cannot be read as documented; `code` is stable, `path` names the file."""

    def __init__(self, code: str, path: Path, message: str) -> None:
        super().__init__(f"{code}: {path}: {message}")
        self.code = code
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class LeanSeries:
    """Raw (unadjusted) bars plus each bar's New York trade date as YYYYMMDD integers."""

    bars: Bars
    trade_dates: IntArray


@dataclass(frozen=True, slots=True)
class FactorTable:
    """Rows of a Lean factor file, sorted by date (YYYYMMDD integers)."""

    dates: IntArray
    price_factor: FloatArray
    split_factor: FloatArray

    def factors_for(self, trade_dates: IntArray) -> tuple[FloatArray, FloatArray]:
        """(price_factor, split_factor) per trade date: first row dated >= it, else 1."""
        rows = np.searchsorted(self.dates, trade_dates, side="left")
        beyond = rows >= self.dates.shape[0]
        rows = np.minimum(rows, self.dates.shape[0] - 1)
        price = np.where(beyond, 1.0, self.price_factor[rows])
        split = np.where(beyond, 1.0, self.split_factor[rows])
        return price, split


def read_lean_zip(path: Path, symbol: str, timeframe: Timeframe) -> LeanSeries:
    """Parse one Lean equity bar zip (hour or daily) into raw bars in UTC.

    Raises:
        DataFormatError: unreadable zip (BAD_ZIP), no CSV member (MISSING_MEMBER), bad row
            (MALFORMED_ROW), impossible date or time (BAD_TIMESTAMP), or rows that fail bar
            validation (INVALID_BARS).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = [name for name in archive.namelist() if name.lower().endswith(".csv")]
            if not members:
                raise DataFormatError("MISSING_MEMBER", path, "the zip holds no .csv file")
            text = archive.read(members[0]).decode("ascii")
    except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as exc:
        raise DataFormatError("BAD_ZIP", path, str(exc)) from None
    if not text.strip():
        raise DataFormatError("EMPTY_FILE", path, "no rows")
    try:
        # "YYYYMMDD HH:MM,o,h,l,c,v" becomes eight integer columns.
        table = np.loadtxt(
            io.StringIO(text.replace(" ", ",").replace(":", ",")),
            delimiter=",",
            dtype=np.int64,
            ndmin=2,
        )
    except ValueError as exc:
        raise DataFormatError("MALFORMED_ROW", path, str(exc)) from None
    if table.shape[1] != 8:
        raise DataFormatError("MALFORMED_ROW", path, f"expected 6 fields, got {table.shape[1] - 2}")
    dates, hours, minutes = table[:, 0], table[:, 1], table[:, 2]
    if ((hours < 0) | (hours > 23) | (minutes < 0) | (minutes > 59)).any():
        raise DataFormatError("BAD_TIMESTAMP", path, "an hour or minute is out of range")
    local_midnight = _days_from_yyyymmdd(dates, path) * _NS_PER_DAY
    labels = ny_local_to_utc(local_midnight + (hours * 60 + minutes) * _NS_PER_MINUTE)
    if timeframe is Timeframe.DAY_1:
        closes = ny_local_to_utc(local_midnight + _SESSION_CLOSE_NS)
    else:
        closes = labels + np.int64(timeframe.nanoseconds)
    prices = table[:, 3:7].astype(np.float64) / PRICE_SCALE
    try:
        bars = Bars(
            symbol=symbol,
            timeframe=timeframe,
            timestamps=labels,
            close_times=closes,
            open=prices[:, 0],
            high=prices[:, 1],
            low=prices[:, 2],
            close=prices[:, 3],
            volume=table[:, 7].astype(np.float64),
        )
    except BarsError as exc:
        raise DataFormatError("INVALID_BARS", path, str(exc)) from None
    return LeanSeries(bars, dates.astype(np.int64))


def read_factor_file(path: Path) -> FactorTable:
    """Parse a Lean factor file (``date,price_factor,split_factor,reference_price``).

    Raises:
        DataFormatError: unreadable file, malformed or unsorted rows, non-positive factors.
    """
    try:
        text = path.read_text(encoding="ascii")
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataFormatError("MALFORMED_FACTOR_FILE", path, str(exc)) from None
    if table.shape[0] == 0 or table.shape[1] < 3:
        raise DataFormatError("MALFORMED_FACTOR_FILE", path, "need date,price,split columns")
    dates = table[:, 0].astype(np.int64)
    _days_from_yyyymmdd(dates, path)
    if (np.diff(dates) <= 0).any():
        raise DataFormatError("MALFORMED_FACTOR_FILE", path, "dates are not strictly increasing")
    factors = table[:, 1:3]
    if not (np.isfinite(factors).all() and (factors > 0).all()):
        raise DataFormatError("MALFORMED_FACTOR_FILE", path, "factors must be finite and > 0")
    return FactorTable(dates, table[:, 1].copy(), table[:, 2].copy())


def read_csv_bars(path: Path, symbol: str, timeframe: Timeframe) -> LeanSeries:
    """Parse a plain CSV with the header ``timestamp,open,high,low,close,volume``.

    Timestamps are ISO 8601 with an offset or ``Z`` (naive ones are refused) and label the
    bar's start; prices are in dollars. A bar closes at its start plus the timeframe, which for
    daily bars is conservative: it is only visible a full day after its label.

    Raises:
        DataFormatError: missing file or header (MISSING_COLUMN), unparsable values
            (MALFORMED_ROW), naive timestamps (NAIVE_TIMESTAMP), or invalid bars (INVALID_BARS).
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [column.strip().lower() for column in next(reader, [])]
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError("UNREADABLE_FILE", path, str(exc)) from None
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise DataFormatError("MISSING_COLUMN", path, f"header lacks {', '.join(missing)}")
    index = [header.index(column) for column in CSV_COLUMNS]
    stamps: list[int] = []
    dates: list[int] = []
    values: list[list[float]] = []
    for line, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            when = dt.datetime.fromisoformat(row[index[0]].strip())
            numbers = [float(row[i]) for i in index[1:]]
        except (ValueError, IndexError) as exc:
            raise DataFormatError("MALFORMED_ROW", path, f"line {line}: {exc}") from None
        if when.tzinfo is None:
            raise DataFormatError(
                "NAIVE_TIMESTAMP", path, f"line {line}: {when} has no UTC offset; add one"
            )
        local = when.astimezone(NEW_YORK)
        stamps.append(to_ns(when))
        dates.append(local.year * 10_000 + local.month * 100 + local.day)
        values.append(numbers)
    if not stamps:
        raise DataFormatError("EMPTY_FILE", path, "no rows after the header")
    columns = np.array(values, dtype=np.float64)
    labels = np.array(stamps, dtype=np.int64)
    try:
        bars = Bars(
            symbol=symbol,
            timeframe=timeframe,
            timestamps=labels,
            close_times=labels + np.int64(timeframe.nanoseconds),
            open=columns[:, 0],
            high=columns[:, 1],
            low=columns[:, 2],
            close=columns[:, 3],
            volume=columns[:, 4],
        )
    except BarsError as exc:
        raise DataFormatError("INVALID_BARS", path, str(exc)) from None
    return LeanSeries(bars, np.array(dates, dtype=np.int64))


def ny_local_to_utc(local_ns: IntArray) -> IntArray:
    """Convert New York wall-clock times (ns since the epoch, as if UTC) to true UTC ns.

    The offset is looked up once per calendar day; only days whose offset changes (the DST
    switch Sundays) are converted row by row, so the result is exact at every instant.
    """
    days = local_ns // _NS_PER_DAY
    unique_days, inverse = np.unique(days, return_inverse=True)
    per_day = [_day_offset(day) for day in unique_days.tolist()]
    offsets = np.array([offset for offset, _ in per_day], dtype=np.int64)
    switching = np.array([switches for _, switches in per_day], dtype=bool)
    utc = local_ns - offsets[inverse]
    for row in np.flatnonzero(switching[inverse]).tolist():
        wall = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(local_ns[row]) // 1_000)
        utc[row] = local_ns[row] - _offset_ns(wall)
    return utc


@functools.lru_cache(maxsize=65_536)
def _day_offset(day: int) -> tuple[int, bool]:
    """New York's UTC offset (ns) at the start of a day, and whether it changes that day."""
    # Cached: every symbol's file covers the same trading days.
    date = dt.date(1970, 1, 1) + dt.timedelta(days=day)
    start = _offset_ns(dt.datetime.combine(date, dt.time(0, 0)))
    end = _offset_ns(dt.datetime.combine(date, dt.time(23, 59)))
    return start, start != end


def _offset_ns(wall: dt.datetime) -> int:
    offset = wall.replace(tzinfo=NEW_YORK).utcoffset()
    assert offset is not None  # a ZoneInfo always yields an offset
    return int(offset.total_seconds()) * 1_000_000_000


def _days_from_yyyymmdd(dates: IntArray, path: Path) -> IntArray:
    """Days since 1970-01-01 for YYYYMMDD integers, refusing impossible dates."""
    year, month, day = dates // 10_000, dates // 100 % 100, dates % 100
    if ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (year < 1900)).any():
        raise DataFormatError("BAD_TIMESTAMP", path, "a date is not a valid YYYYMMDD")
    # Howard Hinnant's days_from_civil, vectorised.
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    # Round-trip through datetime64 to catch dates like 20210231 that the arithmetic accepts.
    calendar = days.astype("datetime64[D]")
    months = calendar.astype("datetime64[M]")
    same_month = (months.astype(np.int64) % 12 + 1 == month) & (
        months.astype("datetime64[Y]").astype(np.int64) + 1970 == year
    )
    if not same_month.all():
        raise DataFormatError("BAD_TIMESTAMP", path, "a date does not exist in the calendar")
    result: IntArray = days.astype(np.int64)
    return result
