"""`ReplayFeed`: point-in-time historical bars from Lean zips or plain CSV files on disk.

Layouts under the feed's root (both may be present; Lean wins for a symbol found in both):

- Lean: ``equity/usa/{hour,daily}/<symbol>.zip`` with ``equity/usa/factor_files/<symbol>.csv``
  (the root may also be the ``equity/usa`` folder itself).
- CSV: ``{1h,1d}/<SYMBOL>.csv`` (header ``timestamp,open,high,low,close,volume``), with an
  optional Lean-format ``factor_files/<symbol>.csv``. Without a factor file, prices are used
  as stored for every adjustment mode, as Lean does for a symbol without one.

Point in time: with `as_of`, no bar that closes after `as_of` is returned, and adjusted prices
are rebased to the last bar closed by then, so a replay at t sees the prices quoted at t (a
split after t does not rescale earlier bars). Without `as_of`, adjustments are relative to the
end of the factor file, as in Lean's Adjusted mode.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cream.market.bars import Bars, Timeframe, from_ns, to_ns
from cream.market.lean import FactorTable, read_csv_bars, read_factor_file, read_lean_zip

_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,15}")
_LEAN_FOLDERS = {Timeframe.HOUR_1: "hour", Timeframe.DAY_1: "daily"}

FloatArray = npt.NDArray[np.float64]


class Adjustment(StrEnum):
    """Price normalisation: raw prints, split-adjusted, or split- and dividend-adjusted."""

    RAW = "raw"
    SPLIT_ADJUSTED = "split_adjusted"
    ADJUSTED = "adjusted"


class ReplayError(Exception):
    """Base of replay errors; `code` is stable, the message says what to change."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class DataUnavailable(ReplayError):  # noqa: N818 - the name the market-feed API uses
    """No bars for the request: UNKNOWN_SYMBOL, NO_DATA_IN_RANGE or SOURCE_NOT_FOUND."""


class ReplayRequestError(ReplayError):
    """A malformed request: INVALID_SYMBOL, INVALID_RANGE, INVALID_LIMIT, NAIVE_DATETIME, ..."""


@dataclass(frozen=True, slots=True)
class _Series:
    """A parsed file with its per-bar adjustment factors (1.0 where no factor file exists)."""

    bars: Bars
    split_factor: FloatArray
    total_factor: FloatArray


class ReplayFeed:
    """Historical bars from a directory, parsed once per file and cached (thread-safe).

    Args:
        root: the Lean data root (holding ``equity/usa``), that ``equity/usa`` folder, or a
            folder in the CSV layout.
        cache_size: parsed files kept in memory (least recently used are dropped).

    Raises:
        DataUnavailable: SOURCE_NOT_FOUND when `root` is not a directory.
    """

    def __init__(self, root: Path | str, *, cache_size: int = 64) -> None:
        base = Path(root)
        if not base.is_dir():
            raise DataUnavailable("SOURCE_NOT_FOUND", f"replay root {base} is not a directory")
        self._root = base
        self._lean = base / "equity" / "usa" if (base / "equity" / "usa").is_dir() else base
        self._cache_size = max(1, cache_size)
        self._cache: OrderedDict[tuple[str, Timeframe], _Series] = OrderedDict()
        self._lock = threading.Lock()

    def symbols(self, timeframe: Timeframe | str) -> tuple[str, ...]:
        """Upper-case symbols with data for `timeframe`, sorted."""
        tf = Timeframe.parse(timeframe)
        found = {p.stem.upper() for p in (self._lean / _LEAN_FOLDERS[tf]).glob("*.zip")}
        found |= {p.stem.upper() for p in (self._root / tf.value).glob("*.csv")}
        return tuple(sorted(found))

    def bars(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        *,
        as_of: dt.datetime | None = None,
        limit: int | None = None,
        adjustment: Adjustment | str = Adjustment.ADJUSTED,
    ) -> Bars:
        """Bars of `symbol` whose start label is in ``[start, end)`` and that closed by `as_of`.

        Args:
            symbol: ticker, any case (returned upper-case).
            timeframe: "1h" or "1d".
            start: inclusive lower bound on bar start labels (aware datetime).
            end: exclusive upper bound on bar start labels (aware datetime).
            as_of: only bars whose close time is at or before this instant.
            limit: keep only the last `limit` bars after the other filters.
            adjustment: raw, split-adjusted, or split- and dividend-adjusted (default).

        Raises:
            DataUnavailable: UNKNOWN_SYMBOL, or NO_DATA_IN_RANGE when nothing matches.
            ReplayRequestError: naive datetimes, start >= end, or limit < 1.
            DataFormatError: the symbol's file is malformed.
        """
        tf = Timeframe.parse(timeframe)
        mode = _adjustment(adjustment)
        ticker = symbol.strip().upper()
        if not _SYMBOL.fullmatch(ticker):
            # Symbols become file names: refuse anything that could leave the data folder.
            raise ReplayRequestError("INVALID_SYMBOL", f"{symbol!r} is not a ticker (A-Z 0-9 . -)")
        lo = _bound("start", start)
        hi = _bound("end", end)
        cutoff = _bound("as_of", as_of)
        if lo is not None and hi is not None and lo >= hi:
            raise ReplayRequestError("INVALID_RANGE", f"start {start} is not before end {end}")
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise ReplayRequestError("INVALID_LIMIT", f"limit must be >= 1, got {limit!r}")
        series = self._series(ticker, tf)
        full = series.bars
        first = 0 if lo is None else int(np.searchsorted(full.timestamps, lo, side="left"))
        stop = len(full) if hi is None else int(np.searchsorted(full.timestamps, hi, side="left"))
        known = len(full)
        if cutoff is not None:
            known = int(np.searchsorted(full.end_times, cutoff, side="right"))
            stop = min(stop, known)
        if limit is not None:
            first = max(first, stop - limit)
        if first >= stop:
            raise DataUnavailable(
                "NO_DATA_IN_RANGE",
                f"{ticker} {tf.value} has bars from {from_ns(int(full.timestamps[0]))} to "
                f"{from_ns(int(full.timestamps[-1]))}; none start in [{start}, {end})"
                + (f" and close by {as_of}" if as_of is not None else ""),
            )
        window = slice(first, stop)
        if mode is Adjustment.RAW:
            return full[window]
        factors = series.total_factor if mode is Adjustment.ADJUSTED else series.split_factor
        scale = factors[window]
        if cutoff is not None:
            # Rebase to the last bar known at as_of: adjustments after it are not yet known.
            scale = scale / factors[known - 1]
        split = series.split_factor[window]
        if cutoff is not None:
            split = split / series.split_factor[known - 1]
        return Bars.trusted(
            ticker,
            tf,
            full.timestamps[window],
            full.end_times[window],
            full.open[window] * scale,
            full.high[window] * scale,
            full.low[window] * scale,
            full.close[window] * scale,
            # Share counts scale inversely to splits (dividends do not change them).
            full.volume[window] / split,
        )

    def _series(self, ticker: str, tf: Timeframe) -> _Series:
        key = (ticker, tf)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        loaded = self._load(ticker, tf)
        with self._lock:
            self._cache[key] = loaded
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return loaded

    def _load(self, ticker: str, tf: Timeframe) -> _Series:
        lower = ticker.lower()
        zip_path = self._lean / _LEAN_FOLDERS[tf] / f"{lower}.zip"
        if zip_path.is_file():
            parsed = read_lean_zip(zip_path, ticker, tf)
            factor_path = self._lean / "factor_files" / f"{lower}.csv"
        else:
            csv_path = next(
                (
                    p
                    for p in (
                        self._root / tf.value / f"{ticker}.csv",
                        self._root / tf.value / f"{lower}.csv",
                    )
                    if p.is_file()
                ),
                None,
            )
            if csv_path is None:
                raise DataUnavailable(
                    "UNKNOWN_SYMBOL",
                    f"no {tf.value} data for {ticker} under {self._root} "
                    f"(looked for {zip_path.name} and {tf.value}/{ticker}.csv)",
                )
            parsed = read_csv_bars(csv_path, ticker, tf)
            factor_path = self._root / "factor_files" / f"{lower}.csv"
        ones = np.ones(len(parsed.bars), dtype=np.float64)
        if not factor_path.is_file():
            return _Series(parsed.bars, ones, ones)
        table: FactorTable = read_factor_file(factor_path)
        price, split = table.factors_for(parsed.trade_dates)
        return _Series(parsed.bars, split, price * split)


def _adjustment(value: Adjustment | str) -> Adjustment:
    try:
        return Adjustment(value)
    except ValueError:
        allowed = ", ".join(a.value for a in Adjustment)
        raise ReplayRequestError(
            "UNKNOWN_ADJUSTMENT", f"adjustment {value!r} is not one of {allowed}"
        ) from None


def _bound(name: str, value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ReplayRequestError(
            "NAIVE_DATETIME", f"{name}={value.isoformat()} has no timezone; pass an aware one"
        )
    return to_ns(value)
