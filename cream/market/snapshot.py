"""Build the cycle's market snapshot: quotes, bars, indicator values and regime per symbol.

`build_snapshot` returns both the wire `MarketSnapshot` and a typed Python view. Nothing is
filled in: every part a symbol lacks (quote, bars, indicators, regime) is listed as a `Gap`
with the feed's or classifier's reason code, and in the proto's `unavailable` list with the
part named at the start of the message ("bars: ..."). A symbol with no part at all is left
out of `symbols`. Indicators are computed with one `compute_all` call per bar-count group,
on a (symbols x bars) stack.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp

from cream.market.bars import Bars, BarsError, Timeframe
from cream.market.compute import off_loop
from cream.market.feed import MarketFeed, QuoteBatch
from cream.market.indicators import FloatArray, IndicatorSet, compute_all
from cream.market.regime import RegimeClassification, RegimeInputError, classify_regime
from cream.market.replay import ReplayError
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md

MAX_BAR_COUNT = 1_000
Part = Literal["quote", "bars", "indicators", "regime"]


class SnapshotRequestError(Exception):
    """A snapshot request that cannot be served as asked; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class IndicatorValues:
    """Indicator values at the last bar (defaults of `compute_all`); None while warming up."""

    sma_fast: float | None
    sma_slow: float | None
    ema: float | None
    rsi: float | None
    macd: float | None
    macd_signal: float | None
    macd_histogram: float | None
    atr: float | None
    bollinger_middle: float | None
    bollinger_upper: float | None
    bollinger_lower: float | None

    def missing(self) -> list[str]:
        """Names of the indicators that have no value yet."""
        return [name for name in self.__slots__ if getattr(self, name) is None]

    def as_decimal_strings(self) -> dict[str, str]:
        """The indicators that have a value, by name, as decimal strings (the wire form)."""
        values = ((name, getattr(self, name)) for name in self.__slots__)
        return {name: format_decimal(value) for name, value in values if value is not None}


@dataclass(frozen=True, slots=True)
class Gap:
    """One part of one symbol's snapshot that is unavailable, and why."""

    symbol: str
    part: Part
    reason_code: str
    message: str


@dataclass(frozen=True, slots=True)
class SymbolView:
    """Everything the snapshot holds for one symbol; a None part has a matching `Gap`."""

    symbol: str
    quote: md.Quote | None
    quote_modeled: str | None
    bars: Bars | None
    indicators: IndicatorValues | None
    regime: RegimeClassification | None


@dataclass(frozen=True, slots=True)
class SnapshotView:
    """The typed snapshot and its wire form."""

    as_of: datetime
    timeframe: Timeframe
    bar_count: int
    symbols: dict[str, SymbolView]
    gaps: tuple[Gap, ...]
    proto: md.MarketSnapshot

    def digest(self) -> str:
        """SHA-256 of the deterministic wire encoding: the lineage id of what agents saw."""
        return hashlib.sha256(self.proto.SerializeToString(deterministic=True)).hexdigest()


@functools.lru_cache(maxsize=65_536)
def format_price(value: float) -> str:
    """A price as a decimal string: at least cents, at most four decimals, no float noise.

    Cached: a snapshot formats thousands of prices, and the bars of one hour are formatted
    again every hour after. (-0.0 and 0.0 share a cache entry, so both give "0.00".)
    """
    text = f"{abs(value) if value == 0 else value:.4f}".rstrip("0")
    decimals = len(text) - text.index(".") - 1
    return text + "0" * max(0, 2 - decimals)


def format_decimal(value: float, places: int = 6) -> str:
    """A finite float as a plain decimal string with at most `places` decimals (no exponent)."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def bars_to_proto(bars: Bars) -> list[md.Bar]:
    """The wire form of `bars` (start labels, decimal-string prices, whole-share volume)."""
    seconds, nanos = np.divmod(bars.timestamps, 1_000_000_000)
    columns = [
        [format_price(v) for v in column.tolist()]
        for column in (bars.open, bars.high, bars.low, bars.close)
    ]
    volumes = np.round(bars.volume).astype(np.int64).tolist()
    symbol, timeframe = bars.symbol, bars.timeframe.value
    return [
        md.Bar(
            symbol=symbol,
            timeframe=timeframe,
            timestamp=Timestamp(seconds=s, nanos=n),
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=v,
        )
        for s, n, o, h, lo, c, v in zip(
            seconds.tolist(), nanos.tolist(), *columns, volumes, strict=True
        )
    ]


async def build_snapshot(
    feed: MarketFeed,
    symbols: Sequence[str],
    as_of: datetime,
    bar_count: int = 120,
    timeframe: Timeframe | str = "1h",
) -> SnapshotView:
    """Quotes, the last `bar_count` bars closed by `as_of`, indicators and regime per symbol.

    `bar_count=0` asks for quotes only (no bars, indicators or regime, and no gaps for them).

    Raises:
        SnapshotRequestError: UNKNOWN_TIMEFRAME, INVALID_BAR_COUNT or NAIVE_DATETIME.
    """
    try:
        tf = Timeframe.parse(timeframe)
    except BarsError as exc:
        raise SnapshotRequestError(exc.code, exc.message) from None
    if isinstance(bar_count, bool) or not 0 <= bar_count <= MAX_BAR_COUNT:
        raise SnapshotRequestError(
            "INVALID_BAR_COUNT", f"bar_count must be 0..{MAX_BAR_COUNT}, got {bar_count!r}"
        )
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise SnapshotRequestError("NAIVE_DATETIME", f"as_of={as_of} has no timezone")
    ordered = list(dict.fromkeys(symbols))
    gaps: list[Gap] = []
    batch = await feed.latest_quotes(ordered, as_of)
    for symbol, missing in batch.unavailable.items():
        gaps.append(Gap(symbol, "quote", missing.reason_code, missing.message))
    series: dict[str, Bars] = {}
    if bar_count > 0:
        fetched = await asyncio.gather(*(_bars(feed, s, tf, as_of, bar_count) for s in ordered))
        for symbol, result in zip(ordered, fetched, strict=True):
            if isinstance(result, Gap):
                gaps.append(result)
            else:
                series[symbol] = result
    # Pure computation on many symbols: off the event loop, so a large snapshot does not stall
    # the other RPCs the engine is serving.
    return await off_loop(_assemble, as_of, tf, bar_count, ordered, batch, series, gaps)


def _assemble(
    as_of: datetime,
    tf: Timeframe,
    bar_count: int,
    ordered: list[str],
    batch: QuoteBatch,
    series: dict[str, Bars],
    gaps: list[Gap],
) -> SnapshotView:
    indicators = _indicators(series, gaps)
    regimes = _regimes(series, gaps)
    views: dict[str, SymbolView] = {}
    for symbol in ordered:
        quote = batch.quotes.get(symbol)
        if quote is None and symbol not in series:
            continue
        views[symbol] = SymbolView(
            symbol=symbol,
            quote=quote,
            quote_modeled=batch.modeled.get(symbol),
            bars=series.get(symbol),
            indicators=indicators.get(symbol),
            regime=regimes.get(symbol),
        )
    return SnapshotView(
        as_of=as_of,
        timeframe=tf,
        bar_count=bar_count,
        symbols=views,
        gaps=tuple(gaps),
        proto=_proto(as_of, views, gaps),
    )


async def _bars(
    feed: MarketFeed, symbol: str, tf: Timeframe, as_of: datetime, count: int
) -> Bars | Gap:
    try:
        bars = await feed.bars(symbol, tf, end=as_of, limit=count)
    except (ReplayError, BarsError) as exc:
        return Gap(symbol, "bars", exc.code, exc.message)
    if len(bars) == 0:
        return Gap(symbol, "bars", "NO_DATA_IN_RANGE", f"no {tf.value} bar closed by {as_of}")
    return bars


def _last(values: FloatArray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values[:, -1].tolist()]


def _indicators(series: dict[str, Bars], gaps: list[Gap]) -> dict[str, IndicatorValues]:
    by_length: dict[int, list[str]] = {}
    for symbol, bars in series.items():
        by_length.setdefault(len(bars), []).append(symbol)
    result: dict[str, IndicatorValues] = {}
    for names in by_length.values():
        stack = [series[name] for name in names]
        found: IndicatorSet = compute_all(
            np.stack([b.high for b in stack]),
            np.stack([b.low for b in stack]),
            np.stack([b.close for b in stack]),
        )
        columns = [
            _last(found.sma_fast),
            _last(found.sma_slow),
            _last(found.ema),
            _last(found.rsi),
            _last(found.macd.line),
            _last(found.macd.signal),
            _last(found.macd.histogram),
            _last(found.atr),
            _last(found.bollinger.middle),
            _last(found.bollinger.upper),
            _last(found.bollinger.lower),
        ]
        for row, name in enumerate(names):
            values = IndicatorValues(*(column[row] for column in columns))
            result[name] = values
            if missing := values.missing():
                gaps.append(
                    Gap(
                        name,
                        "indicators",
                        "INSUFFICIENT_BARS",
                        f"{len(series[name])} bars are too few for {', '.join(missing)}",
                    )
                )
    return result


def _regimes(series: dict[str, Bars], gaps: list[Gap]) -> dict[str, RegimeClassification]:
    result: dict[str, RegimeClassification] = {}
    for symbol, bars in series.items():
        try:
            result[symbol] = classify_regime(bars)
        except RegimeInputError as exc:
            gaps.append(Gap(symbol, "regime", exc.code, exc.message))
    return result


def _proto(as_of: datetime, views: dict[str, SymbolView], gaps: list[Gap]) -> md.MarketSnapshot:
    stamp = Timestamp()
    stamp.FromDatetime(as_of)
    snapshot = md.MarketSnapshot(as_of=stamp)
    for view in views.values():
        entry = snapshot.symbols.add(symbol=view.symbol)
        if view.quote is not None:
            entry.quote.CopyFrom(view.quote)
            if view.quote_modeled:
                entry.quote.modeled = view.quote_modeled
        if view.bars is not None:
            entry.bars.extend(bars_to_proto(view.bars))
        if view.indicators is not None:
            entry.indicators.update(view.indicators.as_decimal_strings())
        entry.regime = view.regime.regime.to_proto() if view.regime else common.REGIME_UNSPECIFIED
    for gap in gaps:
        snapshot.unavailable.add(
            symbol=gap.symbol, reason_code=gap.reason_code, message=f"{gap.part}: {gap.message}"
        )
    return snapshot
