"""The Alpaca broker: the engine's BrokerPort over Alpaca's REST API and trade_updates stream.

Submissions are validated locally, throttled, rate limited and guarded by a circuit breaker.
An opening equity entry carries its stop loss (and take profit) as a native bracket / OTO
(``mapping.protected_intent``); the exit legs Alpaca creates for it are handed to the engine
as orders of their own (``exit_legs``), and their events — which may arrive before the engine
knows them — are kept until the engine adopts them.
A submission is never re-sent blindly: after a timeout, 5xx or 429 the order is looked up by
its ``client_order_id`` (which Alpaca keeps unique), and only an order Alpaca confirms it does
not have is sent again — a concurrent duplicate then fails as "client_order_id must be unique"
and resolves to the existing order. Stream events become execution reports for the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cream.clock import Clock
from cream.engine.broker.alpaca.errors import (
    AlpacaNotFoundError,
    AlpacaOrderInvalidError,
    AlpacaRejectedError,
    AlpacaUnavailableError,
    SubmitThrottledError,
)
from cream.engine.broker.alpaca.mapping import (
    AlpacaOrder,
    OrderIntent,
    dec_str,
    protected_intent,
    request_body,
)
from cream.engine.broker.alpaca.reports import (
    FILL_EVENTS,
    TERMINAL_EVENTS,
    TradeUpdate,
    event_exec_id,
    parse_update,
    report_from_update,
    stamp,
)
from cream.engine.broker.alpaca.rest import AlpacaRateLimitedError, AlpacaRest
from cream.engine.broker.alpaca.sdk import GetCalendarRequest, GetOrdersRequest, QueryOrderStatus
from cream.engine.broker.alpaca.stream import TradeUpdatesStream
from cream.engine.broker.alpaca.validation import validate_intent
from cream.engine.order_factory import derive_order_id
from cream.market.occ import OccSymbolError, parse_occ
from cream.resilience.throttle import SubmitThrottle
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

log = logging.getLogger(__name__)
_DUPLICATE_CID = "client_order_id must be unique"
_ACKED = frozenset({"new", "accepted", "partially_filled", "filled", "done_for_day"})
# Events of orders the engine does not know (yet): kept for this many orders, so the exit
# legs of a bracket, whose events can overtake the POST response, are not lost.
_ORPHAN_ORDERS = 256
_ORPHAN_EVENTS = 16
_LEG_TYPES: dict[str, common.OrderType.ValueType] = {
    "limit": common.ORDER_TYPE_LIMIT,
    "stop": common.ORDER_TYPE_STOP,
    "stop_limit": common.ORDER_TYPE_STOP_LIMIT,
}
_LEG_TIFS: dict[str, common.TimeInForce.ValueType] = {
    "day": common.TIME_IN_FORCE_DAY,
    "gtc": common.TIME_IN_FORCE_GTC,
}


@dataclass(frozen=True)
class MarketClock:
    """Alpaca's market clock."""

    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True)
class CalendarDay:
    """One trading day of Alpaca's calendar (times in New York, as Alpaca sends them)."""

    date: date
    open: str
    close: str


@dataclass(frozen=True)
class FillActivity:
    """One FILL account activity: a fill with the order's cumulative quantity after it."""

    id: str
    order_id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    cum_qty: Decimal
    transaction_time: datetime


@dataclass
class _Tracked:
    """What the adapter knows of one engine order at Alpaca."""

    order_id: str
    client_order_id: str
    filled: Decimal = Decimal(0)
    done: bool = False
    replacement: AlpacaOrder | None = None
    seen: set[str] = field(default_factory=set)


class AlpacaBroker:
    """One Alpaca account behind the BrokerPort; see the module docstring.

    Args:
        rest: The account's REST API.
        stream_url: The trade_updates websocket URL.
        key: API key id (for the stream).
        secret: API secret (for the stream).
        environment: PAPER or LIVE.
        clock: Stamps account snapshots.
        throttle: Local submit throttle.
        cache_seconds: How long account and positions are reused (cleared by every event).
        stream_options: Extra keyword arguments for :class:`TradeUpdatesStream` (tests).
    """

    name = "alpaca"

    def __init__(
        self,
        rest: AlpacaRest,
        *,
        stream_url: str,
        key: str,
        secret: str,
        environment: common.Environment.ValueType,
        clock: Clock,
        throttle: SubmitThrottle | None = None,
        cache_seconds: float = 2.0,
        stream_options: dict[str, Any] | None = None,
    ) -> None:
        self.rest = rest
        self.environment = environment
        self._clock = clock
        self._throttle = throttle or SubmitThrottle()
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Any]] = {}
        self._reports: asyncio.Queue[ex.ExecutionReport] = asyncio.Queue()
        self._by_cid: dict[str, _Tracked] = {}
        self._by_bid: dict[str, _Tracked] = {}
        self._legs: dict[str, list[AlpacaOrder]] = {}
        self._orphans: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.on_connected: Callable[[], Awaitable[None]] | None = None
        self.on_disconnected: Callable[[], Awaitable[None]] | None = None
        self.stream = TradeUpdatesStream(
            stream_url,
            key,
            secret,
            on_update=self.handle_update,
            on_connected=self._connected,
            on_disconnected=self._disconnected,
            **(stream_options or {}),
        )
        self._stream_task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Open the trade_updates stream (it reconnects by itself)."""
        if self._stream_task is None:
            self._stream_task = asyncio.create_task(self.stream.run(), name="alpaca-stream")

    async def close(self) -> None:
        """Stop the stream."""
        if self._stream_task is not None:
            self._stream_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stream_task
            self._stream_task = None

    @property
    def connected(self) -> bool:
        """Whether the trade_updates stream is subscribed now."""
        return self.stream.connected.is_set()

    async def _connected(self) -> None:
        if self.on_connected is not None:
            await self.on_connected()

    async def _disconnected(self) -> None:
        if self.on_disconnected is not None:
            await self.on_disconnected()

    # -- tracking ----------------------------------------------------------------------

    def track(self, order: ex.Order) -> None:
        """Follow an engine order's events (submitted here, or reloaded at start-up)."""
        tracked = self._by_cid.get(order.client_order_id)
        if tracked is None:
            tracked = _Tracked(order.order_id, order.client_order_id)
            self._by_cid[order.client_order_id] = tracked
        tracked.filled = max(tracked.filled, Decimal(order.cum_qty or "0"))
        if order.broker_order_id:
            self._by_bid[order.broker_order_id] = tracked

    def tracked_order_id(self, client_order_id: str) -> str | None:
        """The engine order id behind a client order id, when tracked."""
        tracked = self._by_cid.get(client_order_id)
        return tracked.order_id if tracked else None

    def _emit(self, report: ex.ExecutionReport) -> None:
        self._cache.clear()
        self._reports.put_nowait(report)

    # -- BrokerPort --------------------------------------------------------------------

    async def submit(self, order: ex.Order) -> str:
        """Send an engine order; returns Alpaca's order id (see the module docstring).

        An entry that goes out as a bracket / OTO is sent only that way: if Alpaca (or the
        local check) refuses the bracket, the entry is refused with it, never sent naked.
        """
        self.track(order)
        placed = await self.submit_intent(protected_intent(order))
        self._accepted(placed)
        if placed.legs:
            self._legs[order.client_order_id] = list(placed.legs)
        return placed.id

    def exit_legs(self, order: ex.Order) -> list[ex.Order]:
        """The exit legs Alpaca attached to ``order`` (bracket / OTO), as NEW engine orders.

        A leg keeps Alpaca's own client order id (Alpaca assigns it), so lookups by client
        order id find it; it is reduce-only and carries the entry's cycle and decision.
        """
        return [self._leg_order(order, leg) for leg in self._legs.pop(order.client_order_id, [])]

    def _leg_order(self, entry: ex.Order, leg: AlpacaOrder) -> ex.Order:
        cid = leg.client_order_id
        qty = dec_str(Decimal(leg.qty or entry.quantity))
        side = common.ORDER_SIDE_SELL if leg.side == "sell" else common.ORDER_SIDE_BUY
        return ex.Order(
            order_id=derive_order_id(self.environment, cid),
            client_order_id=cid,
            broker_order_id=leg.id,
            cycle_id=entry.cycle_id,
            decision_id=entry.decision_id,
            symbol=leg.symbol or entry.symbol,
            instrument_type=common.INSTRUMENT_TYPE_EQUITY,
            side=side,
            order_type=_LEG_TYPES.get(leg.type or "", common.ORDER_TYPE_LIMIT),
            time_in_force=_LEG_TIFS.get(leg.time_in_force or "", entry.time_in_force),
            quantity=qty,
            cum_qty="0",
            leaves_qty=qty,
            limit_price=leg.limit_price or "",
            stop_price=leg.stop_price or "",
            status=ex.ORDER_STATUS_NEW,
            environment=self.environment,
            config_version=entry.config_version,
            created_at=stamp(leg.created_at or self._clock.now()),
            updated_at=stamp(leg.updated_at or self._clock.now()),
            reduce_only=True,
        )

    async def adopt(self, order: ex.Order) -> None:
        """Follow an order Alpaca created (an exit leg) and replay the events it already had."""
        self.track(order)
        for data in self._orphans.pop(order.broker_order_id, []):
            await self.handle_update(data)

    async def cancel(self, order: ex.Order) -> None:
        """Ask Alpaca to cancel; the outcome arrives as a stream event."""
        self.track(order)
        broker_id = order.broker_order_id
        if not broker_id:
            found = await self.lookup(order.client_order_id)
            if found is None:
                raise AlpacaNotFoundError(
                    f"order {order.client_order_id} is not at Alpaca: nothing to cancel"
                )
            broker_id = found.id
        try:
            await self.rest.write("cancel", lambda c: c.cancel_order_by_id(broker_id))
        except AlpacaRejectedError as exc:
            # 422: no longer cancelable (filled or done); its final events are on the stream.
            log.info("cancel of %s refused: %s", order.client_order_id, exc.message)

    async def account(self) -> ex.AccountState:
        """Equity, cash and buying power from ``GET /v2/account``."""
        raw = await self._cached("account", lambda c: c.get_account())
        return ex.AccountState(
            account_id=str(raw.get("id", "")),
            environment=self.environment,
            equity=str(raw.get("equity") or "0"),
            cash=str(raw.get("cash") or "0"),
            buying_power=str(raw.get("buying_power") or "0"),
            as_of=stamp(self._clock.now()),
            day_trades_5d=int(raw.get("daytrade_count") or 0),
        )

    async def positions(self) -> list[ex.Position]:
        """Open positions from ``GET /v2/positions`` (signed quantities)."""
        raw = await self._cached("positions", lambda c: c.get_all_positions())
        return [_position(item) for item in raw]

    async def reports(self) -> AsyncIterator[ex.ExecutionReport]:
        """Execution reports: acks of submissions, stream events, reconciliation catch-ups."""
        while True:
            yield await self._reports.get()

    async def _cached(self, name: str, call: Callable[[Any], Any]) -> Any:
        hit = self._cache.get(name)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._cache_seconds:
            return hit[1]
        value = await self.rest.read(name, call)
        self._cache[name] = (now, value)
        return value

    # -- orders --------------------------------------------------------------------------

    async def submit_intent(
        self, intent: OrderIntent, *, reference_price: Decimal | None = None
    ) -> AlpacaOrder:
        """Validate and send any Alpaca order (simple, bracket, OCO, OTO, multi-leg)."""
        validate_intent(intent, reference_price=reference_price)
        if not self._throttle.admit():
            raise SubmitThrottledError(
                f"order {intent.client_order_id}: more than {self._throttle.max_submits} "
                f"submissions within {self._throttle.window_seconds:g} s; refused as a "
                "runaway-loop guard"
            )
        body = request_body(intent)
        try:
            return await self._post(body)
        except AlpacaRateLimitedError as exc:
            await asyncio.sleep(min(exc.retry_after, 30.0))
        except AlpacaUnavailableError as exc:
            if exc.code == "CIRCUIT_OPEN":
                raise
            log.warning("submit of %s ambiguous: %s", intent.client_order_id, exc.message)
        # Ambiguous: find out whether Alpaca has the order before anything is sent again.
        found = await self.lookup(intent.client_order_id)
        if found is not None:
            return found
        return await self._post(body)

    async def _post(self, body: dict[str, Any]) -> AlpacaOrder:
        cid = str(body["client_order_id"])
        try:
            raw = await self.rest.write("submit", lambda c: c.post("/orders", body))
        except AlpacaRejectedError as exc:
            if _DUPLICATE_CID not in exc.message:
                raise
            found = await self.lookup(cid)
            if found is None:
                raise
            return found
        return AlpacaOrder.model_validate(raw)

    def _accepted(self, placed: AlpacaOrder) -> None:
        tracked = self._by_cid.get(placed.client_order_id)
        if tracked is None:
            return
        self._by_bid[placed.id] = tracked
        if placed.status in _ACKED and "new" not in tracked.seen and tracked.filled == 0:
            tracked.seen.add("new")
            self._emit(
                ex.ExecutionReport(
                    order_id=tracked.order_id,
                    exec_id=event_exec_id(placed.id, "new"),
                    exec_type=ex.EXEC_TYPE_NEW,
                    timestamp=stamp(placed.updated_at or placed.created_at),
                    broker_order_id=placed.id,
                )
            )

    async def lookup(self, client_order_id: str) -> AlpacaOrder | None:
        """The order with this client order id, or None when Alpaca has none."""
        try:
            raw = await self.rest.read(
                "lookup", lambda c: c.get_order_by_client_id(client_order_id)
            )
        except AlpacaNotFoundError:
            return None
        return AlpacaOrder.model_validate(raw)

    async def get_order(self, broker_order_id: str) -> AlpacaOrder:
        """The order with this Alpaca id."""
        raw = await self.rest.read("get_order", lambda c: c.get_order_by_id(broker_order_id))
        return AlpacaOrder.model_validate(raw)

    async def open_orders(self) -> list[AlpacaOrder]:
        """Every open order of the account."""
        request = GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500)
        raw = await self.rest.read("open_orders", lambda c: c.get_orders(request))
        return [AlpacaOrder.model_validate(item) for item in raw]

    async def replace(
        self,
        order: ex.Order,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> AlpacaOrder:
        """Replace an unfilled open order (``PATCH /v2/orders/{id}``); Alpaca gives it a new id.

        A partly filled order is refused locally: cancel it and send the remainder instead, so
        the engine's quantities never depend on how Alpaca carries fills across a replace.
        """
        if Decimal(order.cum_qty or "0") > 0:
            raise AlpacaOrderInvalidError(
                f"order {order.client_order_id} is partly filled: cancel it and send the rest",
                code="REPLACE_PARTIALLY_FILLED",
            )
        if not order.broker_order_id:
            raise AlpacaOrderInvalidError(
                f"order {order.client_order_id} has no Alpaca id yet", code="REPLACE_NOT_LIVE"
            )
        body: dict[str, str] = {}
        if qty is not None:
            body["qty"] = dec_str(qty)
        if limit_price is not None:
            body["limit_price"] = dec_str(limit_price)
        if stop_price is not None:
            body["stop_price"] = dec_str(stop_price)
        if not body:
            raise AlpacaOrderInvalidError(
                "a replace needs qty, limit_price or stop_price", code="REPLACE_EMPTY"
            )
        self.track(order)
        broker_id = order.broker_order_id
        raw = await self.rest.write("replace", lambda c: c.patch(f"/orders/{broker_id}", body))
        replacement = AlpacaOrder.model_validate(raw)
        tracked = self._by_cid[order.client_order_id]
        tracked.replacement = replacement
        self._by_bid[replacement.id] = tracked
        return replacement

    async def cancel_all(self) -> int:
        """Cancel every open order of the account (``DELETE /v2/orders``); returns how many."""
        raw = await self.rest.write("cancel_all", lambda c: c.cancel_orders())
        return len(raw or [])

    # -- account extras ------------------------------------------------------------------

    async def market_clock(self) -> MarketClock:
        """Whether the market is open, and the next open and close."""
        raw: Any = await self.rest.read("clock", lambda c: c.get_clock())
        return MarketClock(
            timestamp=datetime.fromisoformat(raw["timestamp"]),
            is_open=bool(raw["is_open"]),
            next_open=datetime.fromisoformat(raw["next_open"]),
            next_close=datetime.fromisoformat(raw["next_close"]),
        )

    async def calendar(self, start: date, end: date) -> list[CalendarDay]:
        """Trading days between ``start`` and ``end`` inclusive."""
        request = GetCalendarRequest(start=start, end=end)
        raw: Any = await self.rest.read("calendar", lambda c: c.get_calendar(request))
        return [
            CalendarDay(date=date.fromisoformat(d["date"]), open=d["open"], close=d["close"])
            for d in raw
        ]

    async def fill_activities(self, after: datetime) -> list[FillActivity]:
        """FILL activities after ``after``, oldest first."""
        params = {"activity_types": "FILL", "after": after.isoformat(), "direction": "asc"}
        raw = await self.rest.read("activities", lambda c: c.get("/account/activities", params))
        return [
            FillActivity(
                id=a["id"],
                order_id=a["order_id"],
                symbol=a.get("symbol", ""),
                side=a.get("side", ""),
                qty=Decimal(a["qty"]),
                price=Decimal(a["price"]),
                cum_qty=Decimal(a["cum_qty"]),
                transaction_time=datetime.fromisoformat(a["transaction_time"]),
            )
            for a in raw
            if a.get("activity_type", "FILL") == "FILL"
        ]

    # -- stream events -------------------------------------------------------------------

    async def handle_update(self, data: dict[str, Any]) -> None:
        """Turn one trade_updates event into an execution report for a tracked order."""
        try:
            update = parse_update(data)
        except ValueError as exc:
            log.error("malformed trade update ignored: %s (%s)", exc, data)
            return
        tracked = self._by_bid.get(update.order.id) or self._by_cid.get(
            update.order.client_order_id
        )
        if tracked is None:
            log.info("trade update for an order the engine does not track: %s", update.order.id)
            self._cache.clear()
            self._keep_orphan(update.order.id, data)
            return
        self._by_bid.setdefault(update.order.id, tracked)
        if update.event == "replaced" and tracked.replacement is None and update.order.replaced_by:
            # The event can overtake the PATCH response: fetch the replacement it names.
            try:
                tracked.replacement = await self.get_order(update.order.replaced_by)
            except (AlpacaRejectedError, AlpacaUnavailableError) as exc:
                log.error("replacement %s not fetched: %s", update.order.replaced_by, exc)
                return
            self._by_bid[tracked.replacement.id] = tracked
        if not self._fresh(tracked, update):
            return
        try:
            report = report_from_update(update, tracked.order_id, replacement=tracked.replacement)
        except ValueError as exc:
            log.error("trade update not applied: %s", exc)
            return
        if report is not None:
            self._emit(report)

    def _keep_orphan(self, broker_order_id: str, data: dict[str, Any]) -> None:
        events = self._orphans.setdefault(broker_order_id, [])
        self._orphans.move_to_end(broker_order_id)
        if len(events) < _ORPHAN_EVENTS:
            events.append(data)
        while len(self._orphans) > _ORPHAN_ORDERS:
            self._orphans.popitem(last=False)

    @staticmethod
    def _fresh(tracked: _Tracked, update: TradeUpdate) -> bool:
        """Drop events a later one already superseded (out of order) or that a replace owns."""
        event, order = update.event, update.order
        if event in FILL_EVENTS:
            tracked.filled = max(tracked.filled, Decimal(order.filled_qty or "0"))
            return True
        if event in ("new", "accepted"):
            # An ack after a fill or a final event is stale; the replacement's own "new" is
            # covered by the replaced report of the order it replaces.
            if order.replaces or tracked.filled > 0 or tracked.done or "new" in tracked.seen:
                return False
            tracked.seen.add("new")
            return True
        if event in TERMINAL_EVENTS:
            if event == "replaced":
                if tracked.replacement is None:
                    return False
            else:
                tracked.done = True
        return True


def _position(item: dict[str, Any]) -> ex.Position:
    qty = abs(Decimal(str(item.get("qty") or "0")))
    if str(item.get("side", "long")) == "short":
        qty = -qty
    option = item.get("asset_class") == "us_option"
    symbol = str(item["symbol"])
    return ex.Position(
        symbol=symbol,
        instrument_type=common.INSTRUMENT_TYPE_OPTION if option else common.INSTRUMENT_TYPE_EQUITY,
        underlying=_underlying(symbol) if option else symbol,
        quantity=dec_str(qty),
        avg_entry_price=str(item.get("avg_entry_price") or "0"),
        market_price=str(item.get("current_price") or "0"),
        market_value=str(item.get("market_value") or "0"),
        unrealized_pnl=str(item.get("unrealized_pl") or "0"),
    )


def _underlying(symbol: str) -> str:
    try:
        return parse_occ(symbol).underlying
    except OccSymbolError:
        return symbol
