"""The synthetic market feed: deterministic quotes, bars and option chains for a known universe.

Prices follow the seeded regime-switching paths of `synthetic_path`, keyed by symbol and time,
so asking for the same symbol at the same instant always gives the same answer: a replay is
exact and no network is needed. Quotes are snapshots at whole seconds, cached per (symbol,
second). Bars are sampled from the same path (Lean's hourly convention: seven bars a session,
09:00 covering 09:30-10:00), so a bar's close is the quote at its close time, and daily bars
aggregate the hourly ones. Symbols outside the configured universe are reported as unknown,
never invented.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, TypeVar

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import Clock
from cream.market import synthetic_path as path
from cream.market.bars import Bars, BarsError, FloatArray, IntArray, Timeframe, to_ns
from cream.market.compute import off_loop
from cream.market.feed import OptionChain, OptionQuoteBatch, QuoteBatch, unavailable
from cream.market.occ import OccSymbolError, build_occ, parse_occ
from cream.market.options import OptionKind, bs_greeks, years_to_expiry
from cream.market.replay import DataUnavailable, ReplayRequestError
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md

_Q = TypeVar("_Q", md.Quote, md.OptionQuote | md.Unavailable)
_RISK_FREE_RATE = 0.04
_CACHE_SIZE = 8192
# Sessions whose hourly rows are kept (symbol, day): 200 symbols x 80 sessions, ~8 MB.
_GRID_CACHE_SIZE = 16_384
_NS = 1_000_000_000
# Samples per hourly bar for its high and low (every five minutes, both ends included).
_SAMPLES = 13
MAX_BARS = 5_000
CHAIN_STRIKES_PER_SIDE = 5
CHAIN_WEEKLIES = 4
CHAIN_MONTHLIES = 2


def _timestamp(when: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


def _money(value: float) -> str:
    return f"{value:.2f}"


def _strike_step(spot: float) -> Decimal:
    for limit, step in ((25.0, "0.5"), (100.0, "1"), (250.0, "2.5"), (500.0, "5")):
        if spot < limit:
            return Decimal(step)
    return Decimal(10)


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


class _HourlyGrid(NamedTuple):
    """Hourly bar columns shaped (days, 7): times in ns, prices in dollars, volume in shares."""

    labels: IntArray
    closes: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def rows(self, start: int, stop: int) -> _HourlyGrid:
        """Days `start` to `stop - 1` (views of the same arrays)."""
        return _HourlyGrid(
            self.labels[start:stop],
            self.closes[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
        )

    @staticmethod
    def join(parts: Sequence[_HourlyGrid]) -> _HourlyGrid:
        """The days of `parts`, in order, in new arrays."""
        return _HourlyGrid(
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.closes for p in parts]),
            np.concatenate([p.open for p in parts]),
            np.concatenate([p.high for p in parts]),
            np.concatenate([p.low for p in parts]),
            np.concatenate([p.close for p in parts]),
            np.concatenate([p.volume for p in parts]),
        )


def chain_expiries(as_of: datetime) -> list[date]:
    """Listed expiries at `as_of`: the next weekly Fridays and the next monthly third Fridays."""
    expiries: set[date] = set()
    day = as_of.astimezone(path.NEW_YORK).date()
    while len(expiries) < CHAIN_WEEKLIES:
        if day.weekday() == 4 and years_to_expiry(day, as_of) > 0:
            expiries.add(day)
        day += timedelta(days=1)
    year, month = as_of.year, as_of.month
    monthlies = 0
    while monthlies < CHAIN_MONTHLIES:
        friday = _third_friday(year, month)
        if friday > max(expiries):
            expiries.add(friday)
            monthlies += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(expiries)


class SyntheticFeed:
    """Deterministic quotes, bars and option chains for a fixed set of equity symbols."""

    def __init__(self, symbols: Iterable[str], clock: Clock, *, tick_seconds: float = 1.0) -> None:
        self._symbols = frozenset(symbols)
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._cache: OrderedDict[tuple[str, int], md.Quote | md.OptionQuote | md.Unavailable] = (
            OrderedDict()
        )
        self._points: OrderedDict[tuple[str, float], tuple[float, path.PathRegime]] = OrderedDict()
        # A session's seven hourly bars are a pure function of (symbol, day): sampled once,
        # then every later request reuses them (an hourly cycle re-reads 120 bars of which one
        # is new). Guarded by a lock: bars are built on the market worker thread and the loop.
        self._days: OrderedDict[tuple[str, date], _HourlyGrid] = OrderedDict()
        self._days_lock = threading.Lock()

    def _cached(self, symbol: str, as_of: datetime, make: Callable[[str, datetime], _Q]) -> _Q:
        second = math.floor(as_of.timestamp())
        cache_key = (symbol, second)
        hit = self._cache.get(cache_key)
        if hit is None:
            hit = make(symbol, datetime.fromtimestamp(second, UTC))
            self._cache[cache_key] = hit
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return hit  # type: ignore[return-value]

    def knows(self, symbol: str) -> bool:
        """Whether ``symbol`` is in the feed's universe."""
        return symbol in self._symbols

    @property
    def symbols(self) -> frozenset[str]:
        """The feed's universe."""
        return self._symbols

    def _point(self, symbol: str, as_of: datetime) -> tuple[float, path.PathRegime]:
        """Mid price and regime at ``as_of``, memoised per (symbol, instant)."""
        stamp = as_of.timestamp()
        memo_key = (symbol, stamp)
        hit = self._points.get(memo_key)
        if hit is None:
            prices, regimes = path.mid_prices(symbol, np.array([stamp]))
            hit = (float(prices[0]), path.PathRegime(int(regimes[0])))
            self._points[memo_key] = hit
            if len(self._points) > _CACHE_SIZE:
                self._points.popitem(last=False)
        return hit

    def mid(self, symbol: str, as_of: datetime) -> float:
        """The synthetic mid price of ``symbol`` at ``as_of``."""
        return self._point(symbol, as_of)[0]

    def regime(self, symbol: str, as_of: datetime) -> path.PathRegime:
        """The regime the path of ``symbol`` is in at ``as_of``."""
        return self._point(symbol, as_of)[1]

    def _quote(self, symbol: str, as_of: datetime) -> md.Quote:
        t = as_of.timestamp()
        mid, regime = self._point(symbol, as_of)
        bps = path.half_spread_bps(symbol) * float(path.SPREAD_MULTIPLIER[regime])
        open_, close = path.session_times(as_of.astimezone(path.NEW_YORK).date())
        if not open_ + 1_800 <= t < close:
            bps *= 1.5  # thinner books in the first half hour and outside the session
        half = max(0.005, mid * bps / 10_000)
        size = 100 * (1 + int(path.uniform(path.key(symbol, "size"), np.array([int(t)]))[0] * 9))
        return md.Quote(
            symbol=symbol,
            bid=_money(math.floor((mid - half) * 100) / 100),
            ask=_money(math.ceil((mid + half) * 100) / 100),
            last=_money(float(path.to_cents(np.array([mid]))[0])),
            bid_size=size,
            ask_size=size,
            timestamp=_timestamp(as_of),
        )

    def _unknown(self, symbol: str) -> md.Unavailable:
        return unavailable(
            symbol,
            "UNKNOWN_SYMBOL",
            f"{symbol} is not in the synthetic feed's universe "
            f"({len(self._symbols)} symbols); add it to the universe to trade it",
        )

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """A quote per known symbol; unknown symbols come back as UNKNOWN_SYMBOL."""
        batch = QuoteBatch()
        for symbol in symbols:
            if symbol in self._symbols:
                batch.quotes[symbol] = self._cached(symbol, as_of, self._quote)
            else:
                batch.unavailable[symbol] = self._unknown(symbol)
        return batch

    async def bars(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        """The last ``limit`` bars of ``symbol`` closed by ``end``, sampled from its path.

        Raises:
            DataUnavailable: UNKNOWN_SYMBOL for a symbol outside the universe.
            ReplayRequestError: INVALID_LIMIT (not 1..MAX_BARS) or NAIVE_DATETIME.
            BarsError: UNKNOWN_TIMEFRAME.
        """
        if self._sampled(symbol, timeframe, end, limit):
            # Every session asked for was sampled before: slicing them is quicker than a
            # trip to the market worker thread.
            return self.bars_now(symbol, timeframe, end=end, limit=limit)
        # Sampling a long path is pure CPU work: keep it off the event loop.
        return await off_loop(self.bars_now, symbol, timeframe, end=end, limit=limit)

    def _sampled(self, symbol: str, timeframe: Timeframe | str, end: datetime, limit: int) -> bool:
        """Whether `bars_now` would find every session it needs in the cache (False for a
        request it would refuse: the worker thread raises the error)."""
        try:
            tf = Timeframe.parse(timeframe)
            if isinstance(limit, bool) or not 1 <= limit <= MAX_BARS or end.utcoffset() is None:
                return False
            days = _sessions(tf, end, limit)
        except (BarsError, TypeError, ValueError):
            return False
        with self._days_lock:
            return all((symbol, day) in self._days for day in days)

    def bars_now(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        """`bars`, synchronously (the path is pure computation)."""
        tf = Timeframe.parse(timeframe)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BARS:
            raise ReplayRequestError("INVALID_LIMIT", f"limit must be 1..{MAX_BARS}, got {limit!r}")
        if end.tzinfo is None or end.utcoffset() is None:
            raise ReplayRequestError(
                "NAIVE_DATETIME", f"end={end.isoformat()} has no timezone; pass an aware one"
            )
        if symbol not in self._symbols:
            raise DataUnavailable("UNKNOWN_SYMBOL", self._unknown(symbol).message)
        days = _sessions(tf, end, limit)
        if tf is Timeframe.HOUR_1:
            return self._hourly(symbol, days, end).tail(limit)
        return self._daily(symbol, days)

    def _hourly_grid(self, symbol: str, days: list[date]) -> _HourlyGrid:
        """The (days x 7) hourly bars of `days`: sessions seen before come from the cache."""
        rows: dict[date, _HourlyGrid] = {}
        with self._days_lock:
            for day in days:
                if (row := self._days.get((symbol, day))) is not None:
                    self._days.move_to_end((symbol, day))
                    rows[day] = row
        missing = [day for day in days if day not in rows]
        if missing:
            fresh = self._sample_grid(symbol, missing)
            with self._days_lock:
                for i, day in enumerate(missing):
                    rows[day] = self._days[(symbol, day)] = fresh.rows(i, i + 1)
                while len(self._days) > _GRID_CACHE_SIZE:
                    self._days.popitem(last=False)
        return _HourlyGrid.join([rows[day] for day in days])

    def _sample_grid(self, symbol: str, days: list[date]) -> _HourlyGrid:
        """The (days x 7) hourly bars of `days`, sampled from the path every five minutes."""
        opens = np.array([path.session_times(d)[0] for d in days], dtype=np.float64)
        hours = np.arange(path.SESSION_HOURS, dtype=np.float64)
        labels = opens[:, None] - 1_800.0 + hours[None, :] * 3_600.0
        closes = labels + 3_600.0
        starts = np.maximum(labels, opens[:, None])
        grid = np.linspace(0.0, 1.0, _SAMPLES)
        samples = starts[..., None] + (closes - starts)[..., None] * grid
        prices, regimes = path.mid_prices(symbol, samples.reshape(-1))
        cents = path.to_cents(prices).reshape(samples.shape)
        regime_at_close = regimes.reshape(samples.shape)[..., -1]
        numbers = np.array([path.day_number(d) for d in days], dtype=np.int64)
        day_noise = path.uniform(path.key(symbol, "volume/day"), numbers)
        cells = numbers[:, None] * 8 + np.arange(path.SESSION_HOURS)[None, :]
        hour_noise = path.uniform(path.key(symbol, "volume/hour"), cells.reshape(-1))
        volume = (
            path.average_daily_volume(symbol)
            * np.exp(0.6 * (day_noise[:, None] - 0.5))
            * path.VOLUME_MULTIPLIER[regime_at_close]
            * np.asarray(path.HOURLY_VOLUME_SHAPE)[None, :]
            * np.exp(0.4 * (hour_noise.reshape(cells.shape) - 0.5))
        )
        return _HourlyGrid(
            labels=_seconds_to_ns(labels),
            closes=_seconds_to_ns(closes),
            open=cents[..., 0],
            high=cents.max(axis=-1),
            low=cents.min(axis=-1),
            close=cents[..., -1],
            volume=np.round(volume),
        )

    def _hourly(self, symbol: str, days: list[date], end: datetime) -> Bars:
        g = self._hourly_grid(symbol, days)
        closes = g.closes.reshape(-1)
        keep = int(np.searchsorted(closes, to_ns(end), side="right"))
        if keep == 0:
            raise DataUnavailable("NO_DATA_IN_RANGE", f"no {symbol} 1h bar closed by {end}")
        return Bars.trusted(
            symbol,
            Timeframe.HOUR_1,
            g.labels.reshape(-1)[:keep],
            closes[:keep],
            g.open.reshape(-1)[:keep],
            g.high.reshape(-1)[:keep],
            g.low.reshape(-1)[:keep],
            g.close.reshape(-1)[:keep],
            g.volume.reshape(-1)[:keep],
        )

    def _daily(self, symbol: str, days: list[date]) -> Bars:
        g = self._hourly_grid(symbol, days)
        midnights = [
            datetime.combine(d, datetime.min.time(), tzinfo=path.NEW_YORK).timestamp() for d in days
        ]
        return Bars.trusted(
            symbol,
            Timeframe.DAY_1,
            _seconds_to_ns(np.array(midnights, dtype=np.float64)),
            g.closes[:, -1].copy(),
            g.open[:, 0].copy(),
            g.high.max(axis=1),
            g.low.min(axis=1),
            g.close[:, -1].copy(),
            g.volume.sum(axis=1),
        )

    def _option_quote(self, occ_symbol: str, as_of: datetime) -> md.OptionQuote | md.Unavailable:
        try:
            contract = parse_occ(occ_symbol)
        except OccSymbolError as exc:
            return unavailable(occ_symbol, exc.code, str(exc))
        if contract.underlying not in self._symbols:
            return unavailable(
                occ_symbol, "UNKNOWN_SYMBOL", f"underlying {contract.underlying} is unknown"
            )
        t_years = years_to_expiry(contract.expiry, as_of)
        if t_years <= 0:
            return unavailable(occ_symbol, "EXPIRED", f"{occ_symbol} expired on {contract.expiry}")
        spot, regime = self._point(contract.underlying, as_of)
        strike = float(contract.strike)
        level = path.uniform(path.key(contract.underlying, "iv"), np.zeros(1, np.int64))[0]
        stressed = regime is path.PathRegime.HIGH_VOL
        # A smile around a per-underlying level, lifted while the underlying is in HIGH_VOL.
        vol = 0.22 + 0.06 * level + 0.15 * abs(math.log(strike / spot)) + (0.1 if stressed else 0)
        kind: OptionKind = "call" if contract.is_call else "put"
        bs = bs_greeks(kind, spot, strike, t_years, _RISK_FREE_RATE, vol)
        price = max(bs.price, 0.01)
        half_spread = max(0.01, price * 0.02)
        leg = common.OptionLeg(
            occ_symbol=occ_symbol,
            underlying=contract.underlying,
            option_type=common.OPTION_TYPE_CALL if contract.is_call else common.OPTION_TYPE_PUT,
            strike=str(contract.strike),
            expiry=contract.expiry.isoformat(),
        )
        moneyness = abs(math.log(strike / spot))
        return md.OptionQuote(
            contract=leg,
            quote=md.Quote(
                symbol=occ_symbol,
                bid=_money(max(round(price - half_spread, 2), 0.01)),
                ask=_money(round(price + half_spread, 2)),
                last=_money(round(price, 2)),
                bid_size=10,
                ask_size=10,
                timestamp=_timestamp(as_of),
            ),
            greeks=common.Greeks(
                delta=bs.delta, gamma=bs.gamma, vega=bs.vega, theta=bs.theta, rho=bs.rho
            ),
            implied_volatility=vol,
            open_interest=100 + int(4_900 * math.exp(-20.0 * moneyness)),
        )

    async def option_quotes(self, occ_symbols: Sequence[str], as_of: datetime) -> OptionQuoteBatch:
        """Black-Scholes quotes and greeks for contracts on known underlyings."""
        batch = OptionQuoteBatch()
        for occ in occ_symbols:
            result = self._cached(occ, as_of, self._option_quote)
            if isinstance(result, md.OptionQuote):
                batch.options[occ] = result
            else:
                batch.unavailable[occ] = result
        return batch

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        """Calls and puts at 11 strikes around spot for the listed expiries within the bounds.

        Raises:
            DataUnavailable: UNKNOWN_SYMBOL for an underlying outside the universe.
        """
        if underlying not in self._symbols:
            raise DataUnavailable("UNKNOWN_SYMBOL", self._unknown(underlying).message)
        spot_quote = self._cached(underlying, as_of, self._quote)
        spot = float(spot_quote.last)
        step = _strike_step(spot)
        centre = (Decimal(str(spot)) / step).to_integral_value() * step
        strikes = [
            centre + i * step
            for i in range(-CHAIN_STRIKES_PER_SIDE, CHAIN_STRIKES_PER_SIDE + 1)
            if centre + i * step > 0
        ]
        expiries = [
            e
            for e in chain_expiries(as_of)
            if (min_expiry is None or e >= min_expiry) and (max_expiry is None or e <= max_expiry)
        ]
        symbols = [
            build_occ(underlying, expiry, is_call, strike)
            for expiry in expiries
            for strike in strikes
            for is_call in (True, False)
        ]
        batch = await self.option_quotes(symbols, as_of)
        return OptionChain(
            underlying=underlying,
            underlying_quote=spot_quote,
            options=tuple(batch.options[s] for s in symbols if s in batch.options),
            unavailable=tuple(batch.unavailable.values()),
        )

    async def stream_quotes(self, symbols: Sequence[str]) -> AsyncGenerator[md.Quote, None]:
        """One quote per known symbol every tick, at the clock's time."""
        known = [s for s in symbols if s in self._symbols]
        while True:
            now = self._clock.now()
            for symbol in known:
                yield self._quote(symbol, now)
            await asyncio.sleep(self._tick_seconds)


def _sessions(tf: Timeframe, end: datetime, limit: int) -> list[date]:
    """The sessions `limit` bars of `tf` ending at `end` are sampled from."""
    if tf is Timeframe.HOUR_1:
        return path.trading_days(end, limit // path.SESSION_HOURS + 2, include="opened")
    return path.trading_days(end, limit, include="closed")


def _seconds_to_ns(seconds: FloatArray) -> IntArray:
    # Bar times are whole seconds, exact in float64.
    ns: IntArray = np.round(seconds).astype(np.int64) * _NS
    return ns
