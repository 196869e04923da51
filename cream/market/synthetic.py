"""The synthetic market feed: deterministic quotes and option chains for a known universe.

Prices follow multi-scale value noise in log space, seeded by symbol and time, so asking for
the same symbol at the same instant always gives the same quote: a replay is exact and no
network is needed. Quotes are snapshots at whole seconds, cached per (symbol, second).
Symbols outside the configured universe are reported as unknown, never invented.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import Clock
from cream.market.feed import OptionQuoteBatch, QuoteBatch, unavailable
from cream.market.occ import OccSymbolError, parse_occ
from cream.market.options import OptionKind, bs_greeks, years_to_expiry
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md

# (period in seconds, amplitude in log-price): minutes to months.
_SCALES: tuple[tuple[float, float], ...] = (
    (300.0, 0.002),
    (3_600.0, 0.006),
    (86_400.0, 0.018),
    (7 * 86_400.0, 0.04),
    (30 * 86_400.0, 0.08),
)
_CENT = Decimal("0.01")
_Q = TypeVar("_Q", md.Quote, md.OptionQuote | md.Unavailable)
_RISK_FREE_RATE = 0.04
_CACHE_SIZE = 8192


def _noise(key: str, index: int) -> float:
    """A deterministic uniform value in [-1, 1) for (key, index)."""
    digest = hashlib.blake2b(f"{key}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def _smooth_noise(key: str, t: float, period: float) -> float:
    x = t / period
    i = math.floor(x)
    f = x - i
    w = f * f * (3.0 - 2.0 * f)
    return _noise(key, i) * (1.0 - w) + _noise(key, i + 1) * w


def _cents(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _timestamp(when: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


class SyntheticFeed:
    """Deterministic quotes for a fixed set of equity symbols and their option contracts."""

    def __init__(self, symbols: Iterable[str], clock: Clock, *, tick_seconds: float = 1.0) -> None:
        self._symbols = frozenset(symbols)
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._cache: OrderedDict[tuple[str, int], md.Quote | md.OptionQuote | md.Unavailable] = (
            OrderedDict()
        )

    def _cached(self, symbol: str, as_of: datetime, make: Callable[[str, datetime], _Q]) -> _Q:
        second = math.floor(as_of.timestamp())
        key = (symbol, second)
        hit = self._cache.get(key)
        if hit is None:
            hit = make(symbol, datetime.fromtimestamp(second, UTC))
            self._cache[key] = hit
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return hit  # type: ignore[return-value]

    def knows(self, symbol: str) -> bool:
        """Whether ``symbol`` is in the feed's universe."""
        return symbol in self._symbols

    def mid(self, symbol: str, as_of: datetime) -> float:
        """The synthetic mid price of ``symbol`` at ``as_of``."""
        seed = int.from_bytes(hashlib.blake2b(symbol.encode(), digest_size=4).digest(), "big")
        base = 20.0 + seed % 480
        t = as_of.timestamp()
        log_move = sum(amp * _smooth_noise(f"{symbol}/{p}", t, p) for p, amp in _SCALES)
        return base * math.exp(log_move)

    def _quote(self, symbol: str, as_of: datetime) -> md.Quote:
        mid = self.mid(symbol, as_of)
        half_spread = max(0.01, mid * 0.0001)
        size = 100 * (1 + int(abs(_noise(symbol, int(as_of.timestamp()))) * 9))
        return md.Quote(
            symbol=symbol,
            bid=str(_cents(mid - half_spread)),
            ask=str(_cents(mid + half_spread)),
            last=str(_cents(mid)),
            bid_size=size,
            ask_size=size,
            timestamp=_timestamp(as_of),
        )

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """A quote per known symbol; unknown symbols come back as UNKNOWN_SYMBOL."""
        batch = QuoteBatch()
        for symbol in symbols:
            if symbol in self._symbols:
                batch.quotes[symbol] = self._cached(symbol, as_of, self._quote)
            else:
                batch.unavailable[symbol] = unavailable(
                    symbol,
                    "UNKNOWN_SYMBOL",
                    f"{symbol} is not in the synthetic feed's universe "
                    f"({len(self._symbols)} symbols); add it to the universe to trade it",
                )
        return batch

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
        spot = self.mid(contract.underlying, as_of)
        strike = float(contract.strike)
        vol = (
            0.22 + 0.06 * abs(_noise(contract.underlying, 0)) + 0.15 * abs(math.log(strike / spot))
        )
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
        return md.OptionQuote(
            contract=leg,
            quote=md.Quote(
                symbol=occ_symbol,
                bid=str(max(_cents(price - half_spread), _CENT)),
                ask=str(_cents(price + half_spread)),
                last=str(_cents(price)),
                bid_size=10,
                ask_size=10,
                timestamp=_timestamp(as_of),
            ),
            greeks=common.Greeks(
                delta=bs.delta, gamma=bs.gamma, vega=bs.vega, theta=bs.theta, rho=bs.rho
            ),
            implied_volatility=vol,
            open_interest=1000,
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

    async def stream_quotes(self, symbols: Sequence[str]) -> AsyncIterator[md.Quote]:
        """One quote per known symbol every tick, at the clock's time."""
        known = [s for s in symbols if s in self._symbols]
        while True:
            now = self._clock.now()
            for symbol in known:
                yield self._quote(symbol, now)
            await asyncio.sleep(self._tick_seconds)
