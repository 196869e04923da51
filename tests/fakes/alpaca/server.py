"""A fake Alpaca trading API speaking the wire format of Alpaca's OpenAPI spec.

A real aiohttp server (HTTP and the ``/stream`` websocket) runs on its own event loop in a
thread, so the product's synchronous alpaca-py client and its async stream both talk to it
over real sockets. It keeps an account, orders, positions and FILL activities; a small
matching model fills marketable orders at ``prices`` (optionally in ``partial_fill_steps``
slices); and it can inject the faults a real broker produces: 429 with Retry-After, 5xx, a
response that never comes after the order was accepted, out-of-order and duplicate events, a
dropped stream, a stream that goes silent (no events, no pongs), and Alpaca's own rejections
(duplicate client_order_id, bracket levels, any bracket at all with ``reject_brackets``, a
reduction whose shares working orders already hold).

Bracket and OTO orders carry their exit legs as orders of their own (``legs`` of the parent,
each with an Alpaca-assigned id and client_order_id). Legs are ``held`` until the entry is
completely filled, then ``new``; ``set_price`` moves the market and fills a leg it reaches,
canceling its sibling (one cancels the other). An entry canceled before it filled completely
takes its held legs with it (this fake's model; the engine must not rely on either outcome).
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.servers import free_port

KEY = "PKTEST"
SECRET = "fake-secret"
T = TypeVar("T")
_OPEN = {"new", "accepted", "partially_filled", "pending_new", "held"}


def _d(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Fault:
    """One injected failure for the next request(s) matching method and path prefix."""

    method: str
    path: str
    status: int
    count: int = 1
    retry_after: str | None = None


@dataclass
class _State:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_cid: dict[str, str] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    cash: Decimal = Decimal(100_000)


class FakeAlpaca:
    """See the module docstring. Use as a context manager or call start()/stop()."""

    def __init__(self, prices: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.stream_url = f"ws://127.0.0.1:{self.port}/stream"
        self.prices = {k: Decimal(v) for k, v in (prices or {}).items()}
        self.partial_fill_steps = 1
        self.auto_fill = True
        self.reorder_events = False
        self.duplicate_events = False
        self.reject_streams = False
        self.reject_brackets: str | None = None
        self.state = _State()
        self.faults: list[Fault] = []
        self.submit_delay = 0.0
        self.requests: list[tuple[str, str]] = []
        self.stream_connections = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._stalled: set[web.WebSocketResponse] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeAlpaca:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        if self._runner is not None:
            self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FakeAlpaca:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/stream", self._stream)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    # -- test controls (thread-safe) -----------------------------------------------------

    def fail_next(
        self, method: str, path: str, status: int, *, count: int = 1, retry_after: str | None = None
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (no side effect)."""
        self.faults.append(Fault(method, path, status, count, retry_after))

    def drop_stream(self) -> None:
        """Close every stream connection (clients must reconnect)."""
        self._call(self._drop())

    async def _drop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    def stall_stream(self) -> None:
        """Make every open stream connection go silent: no events, no pongs (half-open TCP)."""
        self._call(self._stall())

    async def _stall(self) -> None:
        self._stalled |= self._sockets

    def set_price(self, symbol: str, price: str) -> None:
        """Move the market: resting limit orders it makes marketable fill, and working exit
        legs it reaches fill, canceling their siblings."""
        self._call(self._set_price(symbol, Decimal(price)))

    async def _set_price(self, symbol: str, price: Decimal) -> None:
        self.prices[symbol] = price
        events: list[dict[str, Any]] = []
        for order in list(self.state.orders.values()):
            if order["symbol"] != symbol or order["parent_id"] is not None:
                continue
            if order["status"] in ("new", "accepted", "partially_filled"):
                fill_price = self._marketable(order)
                if fill_price is not None:
                    events += self._fill_all(order, fill_price)
        for leg in list(self.state.orders.values()):
            if leg["symbol"] != symbol or leg["status"] not in ("new", "accepted"):
                continue
            if leg["parent_id"] is None or not _reached(leg, price):
                continue
            fill_price = Decimal(leg["limit_price"]) if leg["type"] == "limit" else price
            events += self._fill(leg, Decimal(leg["qty"]) - Decimal(leg["filled_qty"]), fill_price)
            for sibling in self.state.orders[leg["parent_id"]]["legs"] or []:
                if sibling is not leg and sibling["status"] in _OPEN:
                    events.append(self._cancel(sibling))
        await self._send(events)

    def fill(self, order_id: str, qty: str, price: str) -> None:
        """Fill part of an open order now (events go to connected streams)."""
        self._call(self._fill_async(order_id, Decimal(qty), Decimal(price)))

    async def _fill_async(self, order_id: str, qty: Decimal, price: Decimal) -> None:
        await self._send(self._fill(self.state.orders[order_id], qty, price))

    def cancel_at_broker(self, order_id: str) -> None:
        """Cancel an order as if done at Alpaca (dashboard, or the exchange)."""
        self._call(self._cancel_async(order_id))

    async def _cancel_async(self, order_id: str) -> None:
        await self._send([self._cancel(self.state.orders[order_id])])

    def orders_by_cid(self, client_order_id: str) -> list[dict[str, Any]]:
        """Every order with this client order id (Alpaca keeps them unique: at most one)."""
        return [o for o in self.state.orders.values() if o["client_order_id"] == client_order_id]

    def count(self, method: str, path: str) -> int:
        """How many requests of this method and path prefix arrived."""
        return sum(1 for m, p in self.requests if m == method and p.startswith(path))

    # -- REST ----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append((request.method, path))
        if (
            request.headers.get("APCA-API-KEY-ID") != KEY
            or request.headers.get("APCA-API-SECRET-KEY") != SECRET
        ):
            return _error(401, 40110000, "request is not authorized")
        for fault in self.faults:
            if fault.count > 0 and request.method == fault.method and path.startswith(fault.path):
                fault.count -= 1
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return _error(fault.status, fault.status * 100000, "injected fault", headers)
        route = self._route(request.method, path)
        if route is None:
            return _error(404, 40410000, f"no route {request.method} {path}")
        return await route(request)

    def _route(
        self, method: str, path: str
    ) -> Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]] | None:
        table: dict[
            tuple[str, str], Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]
        ] = {
            ("GET", "/v2/account"): self._account,
            ("GET", "/v2/positions"): self._positions,
            ("GET", "/v2/clock"): self._clock,
            ("GET", "/v2/calendar"): self._calendar,
            ("GET", "/v2/account/activities"): self._activities,
            ("POST", "/v2/orders"): self._submit,
            ("GET", "/v2/orders"): self._list,
            ("DELETE", "/v2/orders"): self._cancel_all,
            ("GET", "/v2/orders:by_client_order_id"): self._by_cid,
        }
        if (method, path) in table:
            return table[(method, path)]
        if path.startswith("/v2/orders/"):
            return {"GET": self._get, "DELETE": self._delete, "PATCH": self._replace}.get(method)
        return None

    async def _account(self, _request: web.Request) -> web.StreamResponse:
        value = sum((q * self._mark(s) for s, (q, _) in self.state.positions.items()), Decimal(0))
        equity = self.state.cash + value
        return web.json_response(
            {
                "id": "e6fe16f3-64a4-4921-8928-cadf02f92f98",
                "account_number": "PA0FAKE",
                "status": "ACTIVE",
                "currency": "USD",
                "cash": _d(self.state.cash),
                "equity": _d(equity),
                "portfolio_value": _d(equity),
                "buying_power": _d(2 * equity),
                "daytrade_count": 0,
                "pattern_day_trader": False,
                "trading_blocked": False,
            }
        )

    def _mark(self, symbol: str) -> Decimal:
        return self.prices.get(symbol, self.state.positions.get(symbol, (0, Decimal(0)))[1])

    async def _positions(self, _request: web.Request) -> web.StreamResponse:
        result = []
        for symbol, (qty, avg) in sorted(self.state.positions.items()):
            mark = self._mark(symbol)
            option = len(symbol) > 10
            result.append(
                {
                    "asset_id": str(uuid.uuid5(uuid.NAMESPACE_OID, symbol)),
                    "symbol": symbol,
                    "exchange": "NASDAQ",
                    "asset_class": "us_option" if option else "us_equity",
                    "avg_entry_price": _d(avg),
                    "qty": _d(qty),
                    "side": "long" if qty > 0 else "short",
                    "market_value": _d(qty * mark * (100 if option else 1)),
                    "cost_basis": _d(qty * avg),
                    "unrealized_pl": _d(qty * (mark - avg)),
                    "current_price": _d(mark),
                }
            )
        return web.json_response(result)

    async def _clock(self, _request: web.Request) -> web.StreamResponse:
        now = datetime.now(UTC)
        return web.json_response(
            {
                "timestamp": now.isoformat(),
                "is_open": True,
                "next_open": (now + timedelta(days=1)).isoformat(),
                "next_close": (now + timedelta(hours=2)).isoformat(),
            }
        )

    async def _calendar(self, request: web.Request) -> web.StreamResponse:
        start = date.fromisoformat(request.query["start"][:10])
        end = date.fromisoformat(request.query["end"][:10])
        days = []
        day = start
        while day <= end:
            if day.weekday() < 5:
                days.append({"date": day.isoformat(), "open": "09:30", "close": "16:00"})
            day += timedelta(days=1)
        return web.json_response(days)

    async def _activities(self, request: web.Request) -> web.StreamResponse:
        after = request.query.get("after")
        items = [a for a in self.state.activities if after is None or a["transaction_time"] > after]
        return web.json_response(items)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        status = request.query.get("status", "open")
        orders = [
            o
            for o in self.state.orders.values()
            if status == "all" or ((o["status"] in _OPEN) == (status == "open"))
        ]
        return web.json_response(
            [_wire(o) for o in orders[: int(request.query.get("limit", "50"))]]
        )

    async def _get(self, request: web.Request) -> web.StreamResponse:
        order = self.state.orders.get(request.path.rsplit("/", 1)[1])
        if order is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(_wire(order))

    async def _by_cid(self, request: web.Request) -> web.StreamResponse:
        order_id = self.state.by_cid.get(request.query.get("client_order_id", ""))
        if order_id is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(_wire(self.state.orders[order_id]))

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        cid = body.get("client_order_id") or str(uuid.uuid4())
        if cid in self.state.by_cid:
            return _error(422, 40010001, "client_order_id must be unique")
        short = self._qty_problem(body)
        if short:
            return _error(403, 40310000, short)
        exits = body.get("order_class") in ("bracket", "oto", "oco")
        if exits and self.reject_brackets:
            return _error(422, 42210000, self.reject_brackets)
        problem = self._bracket_problem(body)
        if problem:
            return _error(422, 42210000, problem)
        order = self._new_order(body, cid)
        if exits:
            self._attach_legs(order, body)
        events = [self._event("new", order)]
        if self.auto_fill:
            price = self._marketable(order)
            if price is not None:
                events += self._fill_all(order, price)
        await self._send(events)
        if self.submit_delay:
            delay, self.submit_delay = self.submit_delay, 0.0
            await asyncio.sleep(delay)
        return web.json_response(_wire(order))

    def _qty_problem(self, body: dict[str, Any]) -> str | None:
        """Alpaca's refusal of a reduction whose shares working orders already hold."""
        symbol = body.get("symbol") or ""
        if body.get("order_class") == "mleg" or not symbol:
            return None
        held = self.state.positions.get(symbol, (Decimal(0), Decimal(0)))[0]
        side = body.get("side")
        if (side == "sell" and held <= 0) or (side == "buy" and held >= 0):
            return None  # opens or adds: not a reduction
        reserved = sum(
            (
                Decimal(o["qty"]) - Decimal(o["filled_qty"])
                for o in self.state.orders.values()
                if o["symbol"] == symbol
                and o["side"] == side
                and o["status"] in _OPEN
                and o["status"] != "held"
            ),
            Decimal(0),
        )
        available = max(Decimal(0), abs(held) - reserved)
        qty = Decimal(str(body["qty"]))
        if qty <= available:
            return None
        return (
            f"insufficient qty available for order (requested: {_d(qty)}, "
            f"available: {_d(available)})"
        )

    def _bracket_problem(self, body: dict[str, Any]) -> str | None:
        if body.get("order_class") not in ("bracket", "oto"):
            return None
        base = (
            Decimal(body["limit_price"])
            if body.get("type") == "limit"
            else self.prices.get(body.get("symbol", ""), Decimal(0))
        )
        buy = body.get("side") == "buy"
        cent = Decimal("0.01")
        if body.get("stop_loss"):
            stop = Decimal(body["stop_loss"]["stop_price"])
            if buy and stop > base - cent:
                return "stop_loss.stop_price must be less than or equal to base_price - 0.01"
            if not buy and stop < base + cent:
                return "stop_loss.stop_price must be greater than or equal to base_price + 0.01"
        if body.get("take_profit"):
            take = Decimal(body["take_profit"]["limit_price"])
            if buy and take < base + cent:
                return "take_profit.limit_price must be greater than or equal to base_price + 0.01"
            if not buy and take > base - cent:
                return "take_profit.limit_price must be less than or equal to base_price - 0.01"
        return None

    def _attach_legs(self, order: dict[str, Any], body: dict[str, Any]) -> None:
        """The exit legs of a bracket / OTO entry: held orders of the opposite side."""
        exit_side = "sell" if order["side"] == "buy" else "buy"
        specs: list[dict[str, Any]] = []
        if body.get("take_profit"):
            specs.append({"type": "limit", "limit_price": body["take_profit"]["limit_price"]})
        if body.get("stop_loss"):
            stop = body["stop_loss"]
            kind = "stop_limit" if stop.get("limit_price") else "stop"
            specs.append(
                {
                    "type": kind,
                    "stop_price": stop["stop_price"],
                    "limit_price": stop.get("limit_price"),
                }
            )
        legs = []
        for spec in specs:
            leg_body = {
                "symbol": order["symbol"],
                "qty": order["qty"],
                "side": exit_side,
                "time_in_force": order["time_in_force"],
                "order_class": order["order_class"],
                **spec,
            }
            leg = self._new_order(leg_body, str(uuid.uuid4()))
            leg["status"] = "held"
            leg["parent_id"] = order["id"]
            legs.append(leg)
        order["legs"] = legs

    def _new_order(
        self, body: dict[str, Any], cid: str, replaces: str | None = None
    ) -> dict[str, Any]:
        now = _now()
        order = {
            "id": str(uuid.uuid4()),
            "client_order_id": cid,
            "created_at": now,
            "updated_at": now,
            "submitted_at": now,
            "filled_at": None,
            "canceled_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": replaces,
            "asset_id": str(uuid.uuid4()),
            "symbol": body.get("symbol") or "",
            "asset_class": "us_option" if body.get("legs") else "us_equity",
            "notional": None,
            "qty": body["qty"],
            "filled_qty": "0",
            "filled_avg_price": None,
            "order_class": body.get("order_class", ""),
            "order_type": body["type"],
            "type": body["type"],
            "side": body.get("side") or "",
            "time_in_force": body["time_in_force"],
            "limit_price": body.get("limit_price"),
            "stop_price": body.get("stop_price"),
            "status": "new",
            "extended_hours": bool(body.get("extended_hours", False)),
            "legs": body.get("legs"),
            # Not an Alpaca field: which entry an exit leg belongs to (dropped on the wire).
            "parent_id": None,
        }
        self.state.orders[order["id"]] = order
        self.state.by_cid[cid] = order["id"]
        return order

    def _marketable(self, order: dict[str, Any]) -> Decimal | None:
        if order["order_class"] == "mleg":
            return Decimal(order["limit_price"]) if order["limit_price"] else Decimal("1.00")
        price = self.prices.get(order["symbol"])
        if price is None or order["type"] in ("stop", "stop_limit"):
            return None
        if order["type"] == "limit":
            limit = Decimal(order["limit_price"])
            if (order["side"] == "buy" and price > limit) or (
                order["side"] == "sell" and price < limit
            ):
                return None
        return price

    def _fill_all(self, order: dict[str, Any], price: Decimal) -> list[dict[str, Any]]:
        remaining = Decimal(order["qty"]) - Decimal(order["filled_qty"])
        steps = max(1, self.partial_fill_steps)
        slice_qty = (remaining / steps).to_integral_value() or remaining
        events: list[dict[str, Any]] = []
        while remaining > 0:
            qty = min(slice_qty, remaining)
            events += self._fill(order, qty, price)
            remaining -= qty
        return events

    def _fill(self, order: dict[str, Any], qty: Decimal, price: Decimal) -> list[dict[str, Any]]:
        filled = Decimal(order["filled_qty"])
        total = filled + qty
        avg = (filled * Decimal(order["filled_avg_price"] or 0) + qty * price) / total
        order["filled_qty"] = _d(total)
        order["filled_avg_price"] = _d(avg.quantize(Decimal("0.0001")))
        full = total >= Decimal(order["qty"])
        if order["status"] in _OPEN:
            order["status"] = "filled" if full else "partially_filled"
        order["updated_at"] = _now()
        if full:
            order["filled_at"] = order["updated_at"]
        sign = Decimal(1) if order["side"] != "sell" else Decimal(-1)
        symbol = order["symbol"]
        old_qty, old_avg = self.state.positions.get(symbol, (Decimal(0), Decimal(0)))
        new_qty = old_qty + sign * qty
        self.state.cash -= sign * qty * price
        if new_qty == 0:
            self.state.positions.pop(symbol, None)
        else:
            new_avg = price if old_qty == 0 else (old_qty * old_avg + sign * qty * price) / new_qty
            self.state.positions[symbol] = (new_qty, new_avg)
        self.state.activities.append(
            {
                "id": f"{datetime.now(UTC):%Y%m%d%H%M%S%f}::{uuid.uuid4()}",
                "activity_type": "FILL",
                "transaction_time": order["updated_at"],
                "type": "fill" if full else "partial_fill",
                "price": _d(price),
                "qty": _d(qty),
                "side": order["side"],
                "symbol": symbol,
                "leaves_qty": _d(Decimal(order["qty"]) - total),
                "order_id": order["id"],
                "cum_qty": _d(total),
                "order_status": order["status"],
            }
        )
        event = self._event("fill" if full else "partial_fill", order)
        event["data"].update(price=_d(price), qty=_d(qty), position_qty=_d(new_qty))
        events = [event]
        if full and order["parent_id"] is None and order["order_class"] in ("bracket", "oto"):
            for leg in order["legs"] or []:
                if leg["status"] == "held":
                    leg["status"] = "new"
                    leg["updated_at"] = _now()
                    events.append(self._event("new", leg))
        return events

    def _cancel(self, order: dict[str, Any]) -> dict[str, Any]:
        order["status"] = "canceled"
        order["canceled_at"] = order["updated_at"] = _now()
        if order["parent_id"] is None and order["order_class"] in ("bracket", "oto"):
            for leg in order["legs"] or []:
                if leg["status"] == "held":
                    leg["status"] = "canceled"
                    leg["canceled_at"] = leg["updated_at"] = order["updated_at"]
        return self._event("canceled", order)

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        order = self.state.orders.get(request.path.rsplit("/", 1)[1])
        if order is None:
            return _error(404, 40410000, "order not found")
        if order["status"] not in _OPEN:
            return _error(422, 42210000, f"order is {order['status']}: not cancelable")
        await self._send([self._cancel(order)])
        return web.Response(status=204)

    async def _cancel_all(self, _request: web.Request) -> web.StreamResponse:
        result, events = [], []
        for order in list(self.state.orders.values()):
            if order["status"] in _OPEN:
                events.append(self._cancel(order))
                result.append({"id": order["id"], "status": 200})
        await self._send(events)
        return web.json_response(result, status=207)

    async def _replace(self, request: web.Request) -> web.StreamResponse:
        old = self.state.orders.get(request.path.rsplit("/", 1)[1])
        if old is None:
            return _error(404, 40410000, "order not found")
        if old["status"] not in _OPEN:
            return _error(422, 42210000, f"order is {old['status']}: not replaceable")
        patch = await request.json()
        body = {**old, **{k: v for k, v in patch.items() if v is not None}}
        new = self._new_order(body, patch.get("client_order_id") or str(uuid.uuid4()), old["id"])
        old["status"] = "replaced"
        old["replaced_by"] = new["id"]
        old["replaced_at"] = old["updated_at"] = _now()
        await self._send([self._event("replaced", old), self._event("new", new)])
        return web.json_response(_wire(new))

    # -- stream --------------------------------------------------------------------------

    def _event(self, event: str, order: dict[str, Any]) -> dict[str, Any]:
        return {
            "stream": "trade_updates",
            "data": {
                "event": event,
                "execution_id": str(uuid.uuid4()),
                "timestamp": order["updated_at"],
                "order": _wire(order),
            },
        }

    async def _send(self, events: list[dict[str, Any]]) -> None:
        # A canceled entry's held legs are canceled with it: say so on the stream too.
        events = [e for event in events for e in (event, *self._leg_cancels(event))]
        if self.reorder_events:
            events = list(reversed(events))
        if self.duplicate_events:
            events = [e for event in events for e in (event, event)]
        for event in events:
            frame = json.dumps(event).encode()
            for ws in list(self._sockets - self._stalled):
                if not ws.closed:
                    await ws.send_bytes(frame)

    def _leg_cancels(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        data = event["data"]
        if data["event"] != "canceled":
            return []
        order = self.state.orders.get(data["order"]["id"])
        if order is None or order["parent_id"] is not None:
            return []
        return [
            self._event("canceled", leg)
            for leg in order["legs"] or []
            if isinstance(leg, dict)
            and "parent_id" in leg
            and leg["status"] == "canceled"
            and leg["canceled_at"] == order["canceled_at"]
        ]

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        # Pings are answered by hand, so a stalled connection can stop answering them.
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        if self.reject_streams:
            await ws.close()
            return ws
        auth = await ws.receive_json()
        data = auth.get("data") or {}
        authorized = data.get("key_id") == KEY and data.get("secret_key") == SECRET
        reply = {"action": "authenticate", "status": "authorized" if authorized else "unauthorized"}
        await ws.send_bytes(json.dumps({"stream": "authorization", "data": reply}).encode())
        if not authorized:
            await ws.close()
            return ws
        listen = await ws.receive_json()
        streams = (listen.get("data") or {}).get("streams", [])
        await ws.send_bytes(
            json.dumps({"stream": "listening", "data": {"streams": streams}}).encode()
        )
        self._sockets.add(ws)
        self.stream_connections += 1
        try:
            async for message in ws:
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
                if message.type == WSMsgType.PING and ws not in self._stalled:
                    await ws.pong(message.data)
        finally:
            self._sockets.discard(ws)
            self._stalled.discard(ws)
        return ws


def _wire(order: dict[str, Any]) -> dict[str, Any]:
    """An order as Alpaca sends it: legs nested as orders, no bookkeeping fields."""
    wire = {k: v for k, v in order.items() if k != "parent_id"}
    legs = order.get("legs")
    if legs and isinstance(legs[0], dict) and "parent_id" in legs[0]:
        wire["legs"] = [_wire(leg) for leg in legs]
    return json.loads(json.dumps(wire))


def _reached(leg: dict[str, Any], price: Decimal) -> bool:
    """Whether the market at ``price`` reaches a working exit leg."""
    sell = leg["side"] == "sell"
    if leg["type"] == "limit":
        limit = Decimal(leg["limit_price"])
        return price >= limit if sell else price <= limit
    stop = Decimal(leg["stop_price"])
    return price <= stop if sell else price >= stop


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status, headers=headers)
