"""`AlpacaFeed`: the MarketFeed over Alpaca's market-data API, through alpaca-py.

- Quotes come from the stock snapshots endpoint (latest quote + latest trade in one request per
  100 symbols). A symbol without a two-sided, uncrossed quote stamped no later than ``as_of``
  (plus `clock_skew`) and no older than `max_quote_age` is reported unavailable with the
  reason (NO_QUOTE, ONE_SIDED_QUOTE, CROSSED_QUOTE, NOT_POINT_IN_TIME, STALE_QUOTE); ``last``
  is the latest trade at or before ``as_of``, or empty when there is none.
- Bars are asked newest first up to ``end`` and filtered by **close** time, so a bar still
  forming at ``end`` is never returned: an hourly bar closes an hour after its start label, a
  daily bar (stamped midnight New York) at 20:00 New York, the end of extended hours, because
  Alpaca's daily bars may take after-hours prints. Prices are adjusted (splits and dividends)
  as Alpaca knows them now, which is point in time for the live use this feed serves.
  `bars_between` reads a date range the same way (every page, only bars closed by as_of).
- Option chains and option quotes come from the options snapshots endpoints with the greeks
  and implied volatility Alpaca carries. A contract without a quote, greeks or IV is listed as
  unavailable (never priced with zero greeks); Alpaca's snapshots carry no open interest, so
  it is 0.
- `stream_quotes` polls the snapshots every `poll_seconds` (5 s: 12 of the key's 200 requests
  a minute) and yields a symbol's quote when its timestamp changes.

Every HTTP request is rate-limited and retried by `AlpacaDataClients`; a call that still
fails raises (bars, chains) or reports (quotes) the typed `DataUnavailable` with its code.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import ValidationError

from cream.clock import Clock
from cream.market.alpaca_client import AlpacaDataClients, AlpacaDataError
from cream.market.alpaca_sdk import (
    Adjustment,
    BarSet,
    DataFeed,
    OptionChainRequest,
    OptionsFeed,
    OptionSnapshotRequest,
    OptionsSnapshot,
    Snapshot,
    Sort,
    StockBarsRequest,
    StockSnapshotRequest,
    TimeFrame,
    TimeFrameUnit,
)
from cream.market.alpaca_sdk import Bar as AlpacaBar
from cream.market.alpaca_sdk import Quote as AlpacaQuote
from cream.market.bars import Bars, BarsError, Timeframe, to_ns
from cream.market.feed import OptionChain, OptionQuoteBatch, QuoteBatch, unavailable
from cream.market.occ import OccContract, OccSymbolError, parse_occ
from cream.market.replay import DataUnavailable, ReplayRequestError
from cream.market.snapshot import format_price
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md

log = logging.getLogger(__name__)
T = TypeVar("T")

NEW_YORK = ZoneInfo("America/New_York")
INVALID_RESPONSE = "INVALID_RESPONSE"
NO_OPTIONS_DATA = "NO_OPTIONS_DATA"
SYMBOLS_PER_REQUEST = 100
MAX_BARS = 5_000
DEFAULT_MAX_QUOTE_AGE = timedelta(days=4)  # as the replay feed: bridges a long weekend
DEFAULT_CLOCK_SKEW = timedelta(seconds=2)
_DAILY_CLOSE = time(20, 0)
_TICKER = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")
_TIMEFRAMES = {
    Timeframe.HOUR_1: TimeFrame(1, TimeFrameUnit.Hour),
    Timeframe.DAY_1: TimeFrame(1, TimeFrameUnit.Day),
}


def bar_close_time(start: datetime, timeframe: Timeframe) -> datetime:
    """When an Alpaca bar labelled `start` is complete (see the module docstring)."""
    if timeframe is Timeframe.HOUR_1:
        return start + timedelta(hours=1)
    day = start.astimezone(NEW_YORK).date()
    return datetime.combine(day, _DAILY_CLOSE, NEW_YORK)


def _lookback(timeframe: Timeframe, count: int) -> timedelta:
    # Enough calendar time to hold `count` bars through weekends and holidays. The request is
    # newest-first with a limit, so a generous start costs nothing.
    if timeframe is Timeframe.HOUR_1:
        return timedelta(days=math.ceil(count / 6) * 7 / 5 + 7)
    return timedelta(days=math.ceil(count * 7 / 5) + 10)


def _stamp(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class AlpacaFeed:
    """Quotes, bars, option quotes and chains from Alpaca, point in time and fail-closed.

    Args:
        clients: the key's rate-limited alpaca-py clients.
        clock: drives `stream_quotes`.
        symbols: the equity universe `knows` accepts; any well-formed ticker when None.
        data_feed: Alpaca's stock feed ("iex" works on every key; "sip" needs a subscription).
        options_feed: "indicative" (free) or "opra".
        max_quote_age: a quote older than this at ``as_of`` is STALE_QUOTE.
        clock_skew: how far after ``as_of`` a quote may be stamped and still count (host and
            exchange clocks differ by this much).
        poll_seconds: `stream_quotes` polling interval.
    """

    def __init__(
        self,
        clients: AlpacaDataClients,
        clock: Clock,
        *,
        symbols: Iterable[str] | None = None,
        data_feed: str = "iex",
        options_feed: str = "indicative",
        max_quote_age: timedelta = DEFAULT_MAX_QUOTE_AGE,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
        poll_seconds: float = 5.0,
    ) -> None:
        self._clients = clients
        self._clock = clock
        self._symbols = frozenset(symbols) if symbols is not None else None
        self._data_feed = DataFeed(data_feed)
        self._options_feed = OptionsFeed(options_feed)
        self._max_age = max_quote_age
        self._skew = clock_skew
        self._poll_seconds = poll_seconds

    def knows(self, symbol: str) -> bool:
        """Whether ``symbol`` is in the universe (or, without one, is a well-formed ticker)."""
        if self._symbols is not None:
            return symbol in self._symbols
        return bool(_TICKER.fullmatch(symbol))

    async def _call(self, call: Callable[[], T], what: str) -> T:
        try:
            return await self._clients.run(call)
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            raise AlpacaDataError(
                INVALID_RESPONSE, f"Alpaca's answer to {what} did not parse: {exc}"
            ) from exc

    def _stock_request(self, symbols: list[str]) -> StockSnapshotRequest:
        return StockSnapshotRequest(symbol_or_symbols=symbols, feed=self._data_feed)

    # -- quotes -------------------------------------------------------------------------------

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """The latest observed quote per symbol at ``as_of``, or why there is none."""
        _check_aware(as_of)
        ordered = list(dict.fromkeys(symbols))
        batch = QuoteBatch()
        for part in _chunks(ordered, SYMBOLS_PER_REQUEST):
            try:
                snapshots = await self._call(
                    partial(self._clients.stock.get_stock_snapshot, self._stock_request(part)),
                    "stock snapshots",
                )
            except DataUnavailable as exc:
                for symbol in part:
                    batch.unavailable[symbol] = unavailable(symbol, exc.code, exc.message)
                continue
            assert isinstance(snapshots, dict)
            for symbol in part:
                result = self._equity_quote(symbol, snapshots.get(symbol), as_of)
                if isinstance(result, md.Unavailable):
                    batch.unavailable[symbol] = result
                else:
                    batch.quotes[symbol] = result
        return batch

    def _equity_quote(
        self, symbol: str, snapshot: Snapshot | None, as_of: datetime
    ) -> md.Quote | md.Unavailable:
        if snapshot is None:
            return unavailable(
                symbol,
                "UNKNOWN_SYMBOL",
                f"Alpaca has no {self._data_feed.value} data for {symbol}; check the ticker",
            )
        quote = self._quote(symbol, snapshot.latest_quote, as_of)
        if isinstance(quote, md.Unavailable):
            return quote
        trade = snapshot.latest_trade
        if trade is not None and trade.timestamp <= as_of + self._skew and trade.price > 0:
            quote.last = format_price(trade.price)
        return quote

    def _quote(
        self, symbol: str, quote: AlpacaQuote | None, as_of: datetime
    ) -> md.Quote | md.Unavailable:
        """An observed two-sided quote, or the reason it cannot be used at ``as_of``."""
        if quote is None:
            return unavailable(symbol, "NO_QUOTE", f"Alpaca has no quote for {symbol}")
        if quote.timestamp > as_of + self._skew:
            return unavailable(
                symbol,
                "NOT_POINT_IN_TIME",
                f"the latest {symbol} quote is stamped {quote.timestamp.isoformat()}, after "
                f"as_of {as_of.isoformat()}: Alpaca's latest quote cannot answer for the past",
            )
        age = as_of - quote.timestamp
        if age > self._max_age:
            return unavailable(
                symbol,
                "STALE_QUOTE",
                f"the latest {symbol} quote is from {quote.timestamp.isoformat()}, {age} before "
                f"{as_of.isoformat()} (limit {self._max_age})",
            )
        if not quote.bid_price > 0 or not quote.ask_price > 0:
            return unavailable(
                symbol,
                "ONE_SIDED_QUOTE",
                f"the {symbol} quote has bid {quote.bid_price} and ask {quote.ask_price}",
            )
        if quote.bid_price > quote.ask_price:
            return unavailable(
                symbol,
                "CROSSED_QUOTE",
                f"the {symbol} quote is crossed: bid {quote.bid_price} > ask {quote.ask_price}",
            )
        return md.Quote(
            symbol=symbol,
            bid=format_price(quote.bid_price),
            ask=format_price(quote.ask_price),
            bid_size=int(quote.bid_size),
            ask_size=int(quote.ask_size),
            timestamp=_stamp(quote.timestamp),
        )

    # -- bars ---------------------------------------------------------------------------------

    async def bars(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        """The last ``limit`` bars of ``symbol`` closed by ``end``, oldest first.

        Raises:
            DataUnavailable: NO_DATA_IN_RANGE, or the Alpaca failure (FEED_DOWN, RATE_LIMITED,
                AUTH_FAILED, BAD_REQUEST, INVALID_RESPONSE).
            ReplayRequestError: INVALID_LIMIT or NAIVE_DATETIME.
            BarsError: UNKNOWN_TIMEFRAME.
        """
        tf = Timeframe.parse(timeframe)
        _check_aware(end)
        if isinstance(limit, bool) or not 1 <= limit <= MAX_BARS:
            raise ReplayRequestError("INVALID_LIMIT", f"limit must be 1..{MAX_BARS}, got {limit}")
        # One extra: the newest bar at `end` may still be forming and is dropped below.
        request = StockBarsRequest(
            symbol_or_symbols=symbol,
            timeframe=_TIMEFRAMES[tf],
            start=end - _lookback(tf, limit),
            end=end,
            limit=limit + 1,
            sort=Sort.DESC,
            feed=self._data_feed,
            adjustment=Adjustment.ALL,
        )
        found = await self._call(
            lambda: self._clients.stock.get_stock_bars(request), f"{symbol} {tf.value} bars"
        )
        assert isinstance(found, BarSet)
        closed = [b for b in found.data.get(symbol, []) if bar_close_time(b.timestamp, tf) <= end]
        closed.sort(key=lambda b: b.timestamp)
        if not closed:
            raise DataUnavailable(
                "NO_DATA_IN_RANGE",
                f"Alpaca has no {tf.value} bar of {symbol} that closed by {end.isoformat()}",
            )
        return _to_bars(symbol, tf, closed[-limit:])

    async def bars_between(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        *,
        start: datetime,
        end: datetime,
        as_of: datetime | None = None,
    ) -> Bars:
        """Bars of ``symbol`` whose start label is in ``[start, end)`` and that closed by
        ``as_of`` (``end`` when None), oldest first, following every page.

        Raises:
            DataUnavailable: NO_DATA_IN_RANGE, or the Alpaca failure.
            ReplayRequestError: INVALID_RANGE or NAIVE_DATETIME.
            BarsError: UNKNOWN_TIMEFRAME.
        """
        tf = Timeframe.parse(timeframe)
        cutoff = end if as_of is None else as_of
        for when in (start, end, cutoff):
            _check_aware(when)
        if start >= end:
            raise ReplayRequestError("INVALID_RANGE", f"start {start} is not before end {end}")
        request = StockBarsRequest(
            symbol_or_symbols=symbol,
            timeframe=_TIMEFRAMES[tf],
            start=start,
            # Alpaca's end is inclusive and filters start labels; ours is exclusive.
            end=min(end, cutoff) - timedelta(microseconds=1),
            sort=Sort.ASC,
            feed=self._data_feed,
            adjustment=Adjustment.ALL,
        )
        found = await self._call(
            lambda: self._clients.stock.get_stock_bars(request), f"{symbol} {tf.value} bars"
        )
        assert isinstance(found, BarSet)
        rows = [
            b
            for b in found.data.get(symbol, [])
            if start <= b.timestamp < end and bar_close_time(b.timestamp, tf) <= cutoff
        ]
        if not rows:
            raise DataUnavailable(
                "NO_DATA_IN_RANGE",
                f"Alpaca has no closed {tf.value} bar of {symbol} in [{start}, {end})",
            )
        rows.sort(key=lambda b: b.timestamp)
        return _to_bars(symbol, tf, rows)

    # -- options ------------------------------------------------------------------------------

    async def option_quotes(self, occ_symbols: Sequence[str], as_of: datetime) -> OptionQuoteBatch:
        """Quotes, greeks and IV per OCC symbol, or why a contract is unavailable."""
        _check_aware(as_of)
        batch = OptionQuoteBatch()
        contracts: dict[str, OccContract] = {}
        for occ in dict.fromkeys(occ_symbols):
            try:
                contracts[occ] = parse_occ(occ)
            except OccSymbolError as exc:
                batch.unavailable[occ] = unavailable(occ, exc.code, str(exc))
        for part in _chunks(list(contracts), SYMBOLS_PER_REQUEST):
            try:
                snapshots = await self._call(
                    partial(
                        self._clients.option.get_option_snapshot,
                        OptionSnapshotRequest(symbol_or_symbols=part, feed=self._options_feed),
                    ),
                    "option snapshots",
                )
            except DataUnavailable as exc:
                for occ in part:
                    batch.unavailable[occ] = unavailable(occ, exc.code, exc.message)
                continue
            assert isinstance(snapshots, dict)
            for occ in part:
                result = self._option_quote(occ, contracts[occ], snapshots.get(occ), as_of)
                if isinstance(result, md.Unavailable):
                    batch.unavailable[occ] = result
                else:
                    batch.options[occ] = result
        return batch

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        """The listed contracts of ``underlying`` with Alpaca's quotes, greeks and IV.

        Raises:
            DataUnavailable: the underlying's quote is unavailable (its reason), NO_OPTIONS_DATA
                when Alpaca lists no contracts, or the Alpaca failure.
        """
        quotes = await self.latest_quotes([underlying], as_of)
        if underlying not in quotes.quotes:
            missing = quotes.unavailable[underlying]
            raise DataUnavailable(missing.reason_code, missing.message)
        request = OptionChainRequest(
            underlying_symbol=underlying,
            feed=self._options_feed,
            expiration_date_gte=min_expiry,
            expiration_date_lte=max_expiry,
        )
        snapshots = await self._call(
            lambda: self._clients.option.get_option_chain(request), f"{underlying} option chain"
        )
        assert isinstance(snapshots, dict)
        if not snapshots:
            raise DataUnavailable(
                NO_OPTIONS_DATA,
                f"Alpaca lists no {underlying} option contracts in the requested expiries",
            )
        priced: list[tuple[tuple[date, Any, bool], md.OptionQuote]] = []
        missing_list: list[md.Unavailable] = []
        for occ, snapshot in snapshots.items():
            try:
                contract = parse_occ(occ)
            except OccSymbolError as exc:
                missing_list.append(unavailable(occ, exc.code, str(exc)))
                continue
            result = self._option_quote(occ, contract, snapshot, as_of)
            if isinstance(result, md.Unavailable):
                missing_list.append(result)
            else:
                priced.append(((contract.expiry, contract.strike, not contract.is_call), result))
        priced.sort(key=lambda item: item[0])
        return OptionChain(
            underlying=underlying,
            underlying_quote=quotes.quotes[underlying],
            options=tuple(quote for _, quote in priced),
            unavailable=tuple(sorted(missing_list, key=lambda u: u.symbol)),
        )

    def _option_quote(
        self, occ: str, contract: OccContract, snapshot: OptionsSnapshot | None, as_of: datetime
    ) -> md.OptionQuote | md.Unavailable:
        if snapshot is None:
            return unavailable(occ, "UNKNOWN_SYMBOL", f"Alpaca has no data for contract {occ}")
        quote = self._quote(occ, snapshot.latest_quote, as_of)
        if isinstance(quote, md.Unavailable):
            return quote
        greeks, iv = snapshot.greeks, snapshot.implied_volatility
        if greeks is None or iv is None or not math.isfinite(iv) or iv <= 0:
            return unavailable(
                occ, "NO_GREEKS", f"Alpaca's snapshot of {occ} carries no greeks or implied vol"
            )
        trade = snapshot.latest_trade
        if trade is not None and trade.timestamp <= as_of + self._skew and trade.price > 0:
            quote.last = format_price(trade.price)
        leg = common.OptionLeg(
            occ_symbol=occ,
            underlying=contract.underlying,
            option_type=common.OPTION_TYPE_CALL if contract.is_call else common.OPTION_TYPE_PUT,
            strike=str(contract.strike),
            expiry=contract.expiry.isoformat(),
        )
        return md.OptionQuote(
            contract=leg,
            quote=quote,
            # Alpaca's greeks use the proto's units: vega and rho per point, theta per day.
            greeks=common.Greeks(
                delta=greeks.delta,
                gamma=greeks.gamma,
                vega=greeks.vega,
                theta=greeks.theta,
                rho=greeks.rho,
            ),
            implied_volatility=iv,
        )

    # -- stream -------------------------------------------------------------------------------

    async def stream_quotes(self, symbols: Sequence[str]) -> AsyncGenerator[md.Quote, None]:
        """Each symbol's quote whenever its timestamp changes, polled every `poll_seconds`."""
        last_seen: dict[str, tuple[int, int]] = {}
        while True:
            batch = await self.latest_quotes(symbols, self._clock.now())
            for symbol in symbols:
                quote = batch.quotes.get(symbol)
                if quote is None:
                    continue
                stamp = (quote.timestamp.seconds, quote.timestamp.nanos)
                if last_seen.get(symbol) != stamp:
                    last_seen[symbol] = stamp
                    yield quote
            if batch.unavailable and not batch.quotes:
                first = next(iter(batch.unavailable.values()))
                log.warning("Alpaca quote poll priced nothing: %s", first.message)
            await asyncio.sleep(self._poll_seconds)


def _check_aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ReplayRequestError("NAIVE_DATETIME", f"{when.isoformat()} has no timezone")


def _to_bars(symbol: str, tf: Timeframe, rows: list[AlpacaBar]) -> Bars:
    try:
        return Bars(
            symbol=symbol,
            timeframe=tf,
            timestamps=np.array([to_ns(b.timestamp) for b in rows], dtype=np.int64),
            open=np.array([b.open for b in rows], dtype=np.float64),
            high=np.array([b.high for b in rows], dtype=np.float64),
            low=np.array([b.low for b in rows], dtype=np.float64),
            close=np.array([b.close for b in rows], dtype=np.float64),
            volume=np.array([b.volume for b in rows], dtype=np.float64),
            close_times=np.array(
                [to_ns(bar_close_time(b.timestamp, tf)) for b in rows], dtype=np.int64
            ),
        )
    except BarsError as exc:
        raise AlpacaDataError(
            INVALID_RESPONSE, f"Alpaca's {tf.value} bars of {symbol} are malformed: {exc.message}"
        ) from exc
