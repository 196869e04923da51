"""The simulator broker: fills orders against a market feed, keeping cash and positions.

It behaves like a brokerage seen from the engine: it acknowledges after a configurable
latency, fills market orders at the touch plus slippage, rests limit and stop orders until
the quotes reach them, fills in slices when partial fills are configured, expires DAY orders
at the close, and reports everything as FIX execution reports. Its account is rebuilt from
the persisted fills on restart, so nothing is lost when the engine stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import Clock
from cream.engine.broker.port import BrokerRejectedError
from cream.market.feed import MarketFeed
from cream.market.occ import OccSymbolError, parse_occ
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md

NEW_YORK = ZoneInfo("America/New_York")
_CLOSE = time(16, 0)
_CENT = Decimal("0.01")
_BPS = Decimal("0.0001")
OPTION_MULTIPLIER = Decimal(100)
_TERMINAL = {
    ex.ORDER_STATUS_FILLED,
    ex.ORDER_STATUS_CANCELED,
    ex.ORDER_STATUS_REJECTED,
    ex.ORDER_STATUS_EXPIRED,
    ex.ORDER_STATUS_REPLACED,
}


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator fills.

    Attributes:
        initial_cash: Cash of a fresh account.
        slippage_bps: Added to the ask for market buys, taken from the bid for market sells.
        latency_seconds: Delay before an order is acknowledged and first worked.
        partial_fill_ratio: Fraction of the remaining quantity filled per tick (1 = all at once).
        tick_seconds: How often resting orders are re-checked against the feed.
    """

    initial_cash: Decimal = Decimal(100_000)
    slippage_bps: Decimal = Decimal(5)
    latency_seconds: float = 0.0
    partial_fill_ratio: Decimal = Decimal(1)
    tick_seconds: float = 0.25


@dataclass
class _Holding:
    quantity: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    multiplier: Decimal = Decimal(1)
    opened_at: datetime | None = None


@dataclass
class _Working:
    order: ex.Order
    leaves: Decimal
    fills: int = 0
    triggered: bool = False
    submitted_at: datetime | None = None


def _ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _dec(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _multiplier(symbol: str) -> Decimal:
    try:
        parse_occ(symbol)
    except OccSymbolError:
        return Decimal(1)
    return OPTION_MULTIPLIER


@dataclass
class _Account:
    cash: Decimal
    holdings: dict[str, _Holding] = field(default_factory=dict)

    def apply_fill(self, symbol: str, signed_qty: Decimal, price: Decimal, when: datetime) -> None:
        holding = self.holdings.setdefault(symbol, _Holding(multiplier=_multiplier(symbol)))
        self.cash -= signed_qty * price * holding.multiplier
        old = holding.quantity
        new = old + signed_qty
        if old == 0 or ((old > 0) != (new > 0) and new != 0):
            holding.avg_price = price
            holding.opened_at = when
        elif (old > 0) == (signed_qty > 0):
            holding.avg_price = (old * holding.avg_price + signed_qty * price) / new
        holding.quantity = new
        if new == 0:
            del self.holdings[symbol]


class SimulatedBroker:
    """A local brokerage over a market feed; see the module docstring."""

    name = "simulator"

    def __init__(
        self,
        feed: MarketFeed,
        clock: Clock,
        config: SimulatorConfig | None = None,
        *,
        account_id: str = "SIM-PAPER",
        environment: common.Environment.ValueType = common.ENVIRONMENT_PAPER,
    ) -> None:
        self._feed = feed
        self._clock = clock
        self._config = config or SimulatorConfig()
        self._account_id = account_id
        self._environment = environment
        self._account = _Account(cash=self._config.initial_cash)
        self._working: dict[str, _Working] = {}
        self._reports: asyncio.Queue[ex.ExecutionReport] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def restore(self, executions: Iterable[tuple[ex.Order, list[ex.Fill]]]) -> None:
        """Rebuild cash and positions from persisted orders and fills; resume open orders.

        Spread legs are restored with the whole net price on the first leg: cash and
        quantities come back exact, per-leg entry prices of spreads do not.
        """
        booked: list[tuple[ex.Order, ex.Fill]] = []
        for order, fills in executions:
            booked.extend((order, fill) for fill in fills)
            if order.broker_order_id and order.status not in _TERMINAL:
                self._working[order.broker_order_id] = _Working(
                    order=order,
                    leaves=_dec(order.leaves_qty),
                    fills=len(fills),
                    triggered=False,
                    submitted_at=order.created_at.ToDatetime(tzinfo=NEW_YORK),
                )
        booked.sort(key=lambda pair: (pair[1].timestamp.ToNanoseconds(), pair[1].fill_id))
        for order, fill in booked:
            sign = Decimal(1) if order.side == common.ORDER_SIDE_BUY else Decimal(-1)
            when = fill.timestamp.ToDatetime(tzinfo=NEW_YORK)
            qty, price = _dec(fill.quantity), _dec(fill.price)
            if not order.legs:
                self._account.apply_fill(order.symbol, sign * qty, price, when)
                continue
            for index, leg in enumerate(order.legs):
                leg_qty = self._leg_sign(order, leg) * qty * leg.ratio
                self._account.apply_fill(
                    leg.symbol, leg_qty, price if index == 0 else Decimal(0), when
                )

    def start(self) -> None:
        """Start working resting orders in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="simulator-ticks")

    async def close(self) -> None:
        """Stop the background worker."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def submit(self, order: ex.Order) -> str:
        """Accept an order (after the configured latency) and work it."""
        if order.order_type == common.ORDER_TYPE_UNSPECIFIED or _dec(order.quantity) <= 0:
            raise BrokerRejectedError(
                f"order {order.client_order_id} has no order type or no quantity"
            )
        if self._config.latency_seconds > 0:
            await asyncio.sleep(self._config.latency_seconds)
        broker_id = f"sim-{order.order_id}"
        async with self._lock:
            if broker_id not in self._working:
                live = ex.Order()
                live.CopyFrom(order)
                live.broker_order_id = broker_id
                self._working[broker_id] = _Working(
                    order=live, leaves=_dec(order.quantity), submitted_at=self._clock.now()
                )
                await self._work(broker_id)
        return broker_id

    def exit_legs(self, order: ex.Order) -> list[ex.Order]:
        """None: the simulator holds no exits; the engine's stop monitor protects positions."""
        return []

    async def adopt(self, order: ex.Order) -> None:
        """Nothing to follow: the simulator creates no orders of its own."""

    async def cancel(self, order: ex.Order) -> None:
        """Cancel a working order; a no-op report-wise when it already finished."""
        async with self._lock:
            working = self._working.pop(order.broker_order_id, None)
            if working is None:
                return
            self._emit(working, ex.EXEC_TYPE_CANCELED, reason="canceled on request")

    async def account(self) -> ex.AccountState:
        """Cash, equity at the feed's marks, and a 2x margin buying power."""
        positions = await self.positions()
        market_value = sum((_dec(p.market_value) for p in positions), Decimal(0))
        gross = sum((abs(_dec(p.market_value)) for p in positions), Decimal(0))
        equity = self._account.cash + market_value
        buying_power = max(Decimal(0), 2 * equity - gross)
        return ex.AccountState(
            account_id=self._account_id,
            environment=self._environment,
            equity=str(_round(equity)),
            cash=str(_round(self._account.cash)),
            buying_power=str(_round(buying_power)),
            as_of=_ts(self._clock.now()),
        )

    async def positions(self) -> list[ex.Position]:
        """Positions marked at the feed's mid (entry price when the feed has no quote)."""
        now = self._clock.now()
        symbols = sorted(self._account.holdings)
        equities = [s for s in symbols if self._account.holdings[s].multiplier == 1]
        options = [s for s in symbols if s not in equities]
        quotes = await self._feed.latest_quotes(equities, now)
        option_quotes = await self._feed.option_quotes(options, now)
        result = []
        for symbol in symbols:
            holding = self._account.holdings[symbol]
            quote: md.Quote | None = quotes.quotes.get(symbol)
            greeks = common.Greeks()
            contract = common.OptionLeg()
            underlying = symbol
            if symbol in option_quotes.options:
                oq = option_quotes.options[symbol]
                quote, greeks, contract = oq.quote, oq.greeks, oq.contract
                underlying = oq.contract.underlying
            elif holding.multiplier != 1:
                underlying = parse_occ(symbol).underlying
            mark = (
                (_dec(quote.bid) + _dec(quote.ask)) / 2 if quote is not None else holding.avg_price
            )
            value = holding.quantity * mark * holding.multiplier
            pnl = holding.quantity * (mark - holding.avg_price) * holding.multiplier
            result.append(
                ex.Position(
                    symbol=symbol,
                    instrument_type=common.INSTRUMENT_TYPE_EQUITY
                    if holding.multiplier == 1
                    else common.INSTRUMENT_TYPE_OPTION,
                    underlying=underlying,
                    quantity=str(holding.quantity),
                    avg_entry_price=str(_round(holding.avg_price)),
                    market_price=str(_round(mark)),
                    market_value=str(_round(value)),
                    unrealized_pnl=str(_round(pnl)),
                    greeks=greeks,
                    contract=contract,
                    opened_at=_ts(holding.opened_at) if holding.opened_at else None,
                )
            )
        return result

    async def reports(self) -> AsyncIterator[ex.ExecutionReport]:
        """Execution reports in the order they happened."""
        while True:
            yield await self._reports.get()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._config.tick_seconds)
            async with self._lock:
                for broker_id in sorted(self._working):
                    await self._work(broker_id)

    def _emit(
        self,
        working: _Working,
        exec_type: ex.ExecType.ValueType,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        reason: str = "",
    ) -> None:
        order = working.order
        suffix = {ex.EXEC_TYPE_TRADE: f"F{working.fills}"}.get(
            exec_type, ex.ExecType.Name(exec_type)
        )
        report = ex.ExecutionReport(
            order_id=order.order_id,
            exec_id=f"{order.broker_order_id}-{suffix}",
            exec_type=exec_type,
            timestamp=_ts(self._clock.now()),
            reason=reason,
            broker_order_id=order.broker_order_id,
        )
        if qty is not None and price is not None:
            report.last_qty = str(qty)
            report.last_price = str(price)
        self._reports.put_nowait(report)

    def _expired(self, working: _Working, now: datetime) -> bool:
        if working.order.time_in_force != common.TIME_IN_FORCE_DAY or working.submitted_at is None:
            return False
        submitted = working.submitted_at.astimezone(NEW_YORK)
        close = datetime.combine(submitted.date(), _CLOSE, tzinfo=NEW_YORK)
        return submitted < close <= now.astimezone(NEW_YORK)

    async def _work(self, broker_id: str) -> None:
        working = self._working[broker_id]
        order = working.order
        now = self._clock.now()
        if (
            working.fills == 0
            and not working.triggered
            and order.status
            in (
                ex.ORDER_STATUS_NEW,
                ex.ORDER_STATUS_PENDING_NEW,
            )
        ):
            order.status = ex.ORDER_STATUS_ACCEPTED
            self._emit(working, ex.EXEC_TYPE_NEW)
        if self._expired(working, now):
            del self._working[broker_id]
            self._emit(working, ex.EXEC_TYPE_EXPIRED, reason="DAY order reached the close")
            return
        price = await self._fill_price(order, now)
        if price is None:
            return
        if order.order_type in (common.ORDER_TYPE_STOP, common.ORDER_TYPE_STOP_LIMIT):
            if not working.triggered and not self._stop_reached(order, price):
                return
            working.triggered = True
        if order.order_type in (common.ORDER_TYPE_LIMIT, common.ORDER_TYPE_STOP_LIMIT):
            limit = _dec(order.limit_price)
            buying = order.side == common.ORDER_SIDE_BUY or bool(order.legs)
            if (price > limit) if buying else (price < limit):
                return
            price = min(price, limit) if buying else max(price, limit)
        ratio = self._config.partial_fill_ratio
        qty = working.leaves if ratio >= 1 else Decimal(math.ceil(working.leaves * ratio))
        qty = min(qty, working.leaves)
        working.fills += 1
        working.leaves -= qty
        await self._book_fill(order, qty, price, now)
        self._emit(working, ex.EXEC_TYPE_TRADE, qty=qty, price=_round(price))
        if working.leaves == 0:
            del self._working[broker_id]

    def _stop_reached(self, order: ex.Order, price: Decimal) -> bool:
        stop = _dec(order.stop_price)
        return price >= stop if order.side == common.ORDER_SIDE_BUY else price <= stop

    async def _fill_price(self, order: ex.Order, now: datetime) -> Decimal | None:
        """Per-unit price from the order's side of the book; None when there is no quote."""
        slip = (
            self._config.slippage_bps * _BPS if order.order_type == common.ORDER_TYPE_MARKET else 0
        )
        if not order.legs:
            batch = await self._feed.latest_quotes([order.symbol], now)
            quote = batch.quotes.get(order.symbol)
            if quote is None:
                return None
            if order.side == common.ORDER_SIDE_BUY:
                return _round(_dec(quote.ask) * (1 + slip))
            return _round(_dec(quote.bid) * (1 - slip))
        leg_prices = await self._leg_prices(order, now)
        if leg_prices is None:
            return None
        return sum(
            (self._leg_sign(order, leg) * leg_prices[leg.symbol] * leg.ratio for leg in order.legs),
            Decimal(0),
        )

    @staticmethod
    def _leg_sign(order: ex.Order, leg: ex.OrderLeg) -> Decimal:
        """+1 when the leg is bought in this order, -1 when it is sold."""
        buy_leg = (leg.side == common.ORDER_SIDE_BUY) == (order.side == common.ORDER_SIDE_BUY)
        return Decimal(1) if buy_leg else Decimal(-1)

    async def _leg_prices(self, order: ex.Order, now: datetime) -> dict[str, Decimal] | None:
        """Each leg's price on its side of the book (ask when bought, bid when sold)."""
        batch = await self._feed.option_quotes([leg.symbol for leg in order.legs], now)
        prices = {}
        for leg in order.legs:
            oq = batch.options.get(leg.symbol)
            if oq is None:
                return None
            buying = self._leg_sign(order, leg) > 0
            prices[leg.symbol] = _dec(oq.quote.ask) if buying else _dec(oq.quote.bid)
        return prices

    async def _book_fill(
        self, order: ex.Order, qty: Decimal, price: Decimal, now: datetime
    ) -> None:
        sign = Decimal(1) if order.side == common.ORDER_SIDE_BUY else Decimal(-1)
        if not order.legs:
            self._account.apply_fill(order.symbol, sign * qty, price, now)
            return
        # Legs are booked at their own quotes, which add up to the spread's net price.
        leg_prices = await self._leg_prices(order, now) or {}
        for leg in order.legs:
            leg_qty = self._leg_sign(order, leg) * qty * leg.ratio
            self._account.apply_fill(
                leg.symbol, leg_qty, leg_prices.get(leg.symbol, Decimal(0)), now
            )
