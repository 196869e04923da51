"""Reconciliation: bring the engine's orders to what Alpaca says, record and alert the gaps.

Alpaca is the truth for orders, fills and positions. For every order the engine still holds
open, the broker's copy is fetched (by client order id) and whatever the engine missed — the
ack, fills (from FILL activities, or the remainder at the average price), the final state —
is applied as execution reports with the same deterministic exec ids the stream uses, so a
late stream event for the same fact is a harmless duplicate. Orders the engine holds that
Alpaca never received are rejected; open Alpaca orders the engine does not know, and
position differences, are recorded and alerted but left alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from cream.clock import Clock
from cream.engine.broker.alpaca.adapter import AlpacaBroker
from cream.engine.broker.alpaca.mapping import AlpacaOrder, dec_str
from cream.engine.broker.alpaca.reports import event_exec_id, fill_exec_id, stamp
from cream.engine.errors import EngineError
from cream.events import types as event_types
from cream.events.envelope import EventEnvelope
from cream.events.outbox import append
from cream.storage.database import Database, Statement
from cream.storage.orders import OrderRepository
from cream.storage.timestamps import format_utc
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

log = logging.getLogger(__name__)
ApplyReport = Callable[[ex.ExecutionReport], Awaitable[Any]]
_FINAL = {
    "canceled": ex.EXEC_TYPE_CANCELED,
    "expired": ex.EXEC_TYPE_EXPIRED,
    "rejected": ex.EXEC_TYPE_REJECTED,
}
_SENT = {ex.ORDER_STATUS_NEW, ex.ORDER_STATUS_PENDING_NEW}


@dataclass(frozen=True)
class Difference:
    """One gap between the engine and the broker, and what was done about it."""

    kind: str
    resolution: str
    client_order_id: str = ""
    symbol: str = ""
    engine_value: str = ""
    broker_value: str = ""


@dataclass
class ReconcileResult:
    """The outcome of one run."""

    run_id: str
    trigger: str
    orders_checked: int = 0
    differences: list[Difference] = field(default_factory=list)


class Reconciler:
    """Reconciles one environment's engine orders with one Alpaca account.

    Args:
        broker: The account.
        orders: The engine's order store.
        db: Where runs and differences are recorded (with their alert, atomically).
        apply: Applies an execution report in the engine (state machine + persistence).
        environment: PAPER or LIVE.
        clock: Stamps the run.
    """

    def __init__(
        self,
        broker: AlpacaBroker,
        orders: OrderRepository,
        db: Database,
        apply: ApplyReport,
        *,
        environment: str,
        clock: Clock,
    ) -> None:
        self._broker = broker
        self._orders = orders
        self._db = db
        self._apply = apply
        self._environment = environment
        self._clock = clock
        self._last_position_gaps: set[Difference] = set()

    async def run(self, trigger: str) -> ReconcileResult:
        """Reconcile now; records the run (failed runs too) and re-raises failures."""
        started = self._clock.now()
        result = ReconcileResult(run_id=uuid.uuid4().hex, trigger=trigger)
        try:
            await self._reconcile(result)
        except Exception as exc:
            await self._record(result, started, error=f"{type(exc).__name__}: {exc}")
            raise
        await self._record(result, started, error=None)
        return result

    async def _reconcile(self, result: ReconcileResult) -> None:
        engine_open = await self._orders.list_open()
        for order in engine_open:
            self._broker.track(order)
        broker_open = {o.client_order_id: o for o in await self._broker.open_orders()}
        oldest = min(
            (o.created_at.ToDatetime() for o in engine_open if o.HasField("created_at")),
            default=self._clock.now(),
        )
        activities = await self._broker.fill_activities(
            oldest.replace(tzinfo=self._clock.now().tzinfo) - timedelta(minutes=5)
        )
        for order in engine_open:
            result.orders_checked += 1
            remote = broker_open.get(order.client_order_id) or await self._broker.lookup(
                order.client_order_id
            )
            try:
                result.differences += await self._catch_up(order, remote, activities)
            except EngineError as exc:
                # One order the book cannot move must not stop the others from reconciling.
                result.differences.append(
                    Difference(
                        "APPLY_FAILED",
                        f"alerted: {exc}",
                        order.client_order_id,
                        order.symbol,
                        ex.OrderStatus.Name(order.status),
                        remote.status if remote else "none",
                    )
                )
        known = {o.client_order_id for o in engine_open}
        for cid, remote in sorted(broker_open.items()):
            if (
                cid not in known
                and self._broker.tracked_order_id(cid) is None
                and await self._orders.get_by_client_order_id(cid) is None
            ):
                result.differences.append(
                    Difference(
                        "UNKNOWN_BROKER_ORDER",
                        "alerted; left at the broker",
                        cid,
                        remote.symbol or "",
                        "",
                        f"{remote.status} {remote.side} {remote.qty}",
                    )
                )
        result.differences += await self._position_gaps()

    async def _catch_up(
        self, order: ex.Order, remote: AlpacaOrder | None, activities: list[Any]
    ) -> list[Difference]:
        cid = order.client_order_id
        if remote is None:
            if order.status in _SENT:
                await self._apply(
                    ex.ExecutionReport(
                        order_id=order.order_id,
                        exec_id=f"{order.order_id}:not-at-broker",
                        exec_type=ex.EXEC_TYPE_REJECTED,
                        reason="Alpaca has no order with this client_order_id: it was never placed",
                        timestamp=stamp(self._clock.now()),
                    )
                )
                return [
                    Difference("NOT_AT_BROKER", "rejected", cid, order.symbol, "in flight", "none")
                ]
            return [
                Difference(
                    "NOT_AT_BROKER",
                    "alerted",
                    cid,
                    order.symbol,
                    ex.OrderStatus.Name(order.status),
                    "none",
                )
            ]
        differences: list[Difference] = []
        current = order
        # A held exit leg waits for its entry to fill: it is at Alpaca but not working yet.
        if order.status in _SENT and remote.status not in ("pending_new", "rejected", "held"):
            current = await self._apply(
                ex.ExecutionReport(
                    order_id=order.order_id,
                    exec_id=event_exec_id(remote.id, "new"),
                    exec_type=ex.EXEC_TYPE_NEW,
                    timestamp=stamp(remote.updated_at or remote.created_at),
                    broker_order_id=remote.id,
                )
            )
            differences.append(
                Difference(
                    "MISSED_ACK", "applied NEW", cid, order.symbol, "in flight", remote.status
                )
            )
        current, fills = await self._fills(current, remote, activities)
        differences += fills
        final = _FINAL.get(remote.status)
        if final is not None and current.status not in (
            ex.ORDER_STATUS_CANCELED,
            ex.ORDER_STATUS_EXPIRED,
            ex.ORDER_STATUS_REJECTED,
            ex.ORDER_STATUS_FILLED,
        ):
            await self._apply(
                ex.ExecutionReport(
                    order_id=order.order_id,
                    exec_id=event_exec_id(remote.id, remote.status),
                    exec_type=final,
                    reason=f"{remote.status} at Alpaca",
                    timestamp=stamp(remote.updated_at),
                    broker_order_id=remote.id,
                )
            )
            differences.append(
                Difference(
                    "MISSED_FINAL",
                    f"applied {remote.status.upper()}",
                    cid,
                    order.symbol,
                    ex.OrderStatus.Name(current.status),
                    remote.status,
                )
            )
        return differences

    async def _fills(
        self, order: ex.Order, remote: AlpacaOrder, activities: list[Any]
    ) -> tuple[ex.Order, list[Difference]]:
        engine_cum = Decimal(order.cum_qty or "0")
        broker_cum = Decimal(remote.filled_qty or "0")
        if broker_cum <= engine_cum:
            return order, []
        current = order
        covered = engine_cum
        for activity in sorted(
            (a for a in activities if a.order_id == remote.id), key=lambda a: a.cum_qty
        ):
            if activity.cum_qty <= covered:
                continue
            current = await self._apply(
                self._trade(
                    order,
                    remote.id,
                    activity.cum_qty,
                    activity.qty,
                    activity.price,
                    activity.transaction_time,
                )
            )
            covered = activity.cum_qty
        if covered < broker_cum:
            # Activities lag or were paged out: book the rest at the order's average price.
            current = await self._apply(
                self._trade(
                    order,
                    remote.id,
                    broker_cum,
                    broker_cum - covered,
                    Decimal(remote.filled_avg_price or "0"),
                    remote.updated_at,
                )
            )
        gap = Difference(
            "MISSED_FILL",
            f"applied fills up to {dec_str(broker_cum)}",
            order.client_order_id,
            order.symbol,
            dec_str(engine_cum),
            dec_str(broker_cum),
        )
        return current, [gap]

    @staticmethod
    def _trade(
        order: ex.Order,
        broker_id: str,
        cum: Decimal,
        qty: Decimal,
        price: Decimal,
        when: datetime | None,
    ) -> ex.ExecutionReport:
        return ex.ExecutionReport(
            order_id=order.order_id,
            exec_id=fill_exec_id(broker_id, cum),
            exec_type=ex.EXEC_TYPE_TRADE,
            last_qty=dec_str(qty),
            last_price=dec_str(price),
            timestamp=stamp(when),
            broker_order_id=broker_id,
        )

    async def _position_gaps(self) -> list[Difference]:
        """Broker positions against the engine's booked fills (single-leg orders only)."""
        booked: dict[str, Decimal] = {}
        offset = 0
        while page := await self._orders.list(limit=500, offset=offset):
            offset += len(page)
            for order in page:
                if order.legs or not order.cum_qty:
                    continue
                sign = Decimal(1) if order.side == common.ORDER_SIDE_BUY else Decimal(-1)
                booked[order.symbol] = booked.get(order.symbol, Decimal(0)) + sign * Decimal(
                    order.cum_qty
                )
        held = {p.symbol: Decimal(p.quantity) for p in await self._broker.positions()}
        gaps = {
            Difference(
                "POSITION_MISMATCH",
                "alerted; the broker's position is used",
                "",
                symbol,
                dec_str(booked.get(symbol, Decimal(0))),
                dec_str(held.get(symbol, Decimal(0))),
            )
            for symbol in sorted(set(booked) | set(held))
            if booked.get(symbol, Decimal(0)) != held.get(symbol, Decimal(0))
        }
        # A standing difference is reported once, not on every periodic run.
        new = sorted(gaps - self._last_position_gaps, key=lambda d: d.symbol)
        self._last_position_gaps = gaps
        return new

    async def _record(
        self, result: ReconcileResult, started: datetime, *, error: str | None
    ) -> None:
        now = self._clock.now()
        stamp_now = format_utc(now)
        env = self._environment
        steps = [
            Statement(
                "INSERT INTO reconciliation_runs (id, environment, broker, trigger, status, "
                "started_at, finished_at, orders_checked, differences, error, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.run_id,
                    env,
                    "alpaca",
                    result.trigger,
                    "failed" if error else "completed",
                    format_utc(started),
                    stamp_now,
                    result.orders_checked,
                    len(result.differences),
                    error,
                    stamp_now,
                    stamp_now,
                ),
            )
        ]
        for diff in result.differences:
            steps.append(
                Statement(
                    "INSERT INTO reconciliation_differences (id, environment, run_id, kind, "
                    "client_order_id, symbol, engine_value, broker_value, resolution, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        uuid.uuid4().hex,
                        env,
                        result.run_id,
                        diff.kind,
                        diff.client_order_id,
                        diff.symbol,
                        diff.engine_value,
                        diff.broker_value,
                        diff.resolution,
                        stamp_now,
                        stamp_now,
                    ),
                )
            )
        if error or result.differences:
            kinds = sorted({d.kind for d in result.differences})
            message = (
                f"reconciliation ({result.trigger}) failed: {error}"
                if error
                else f"reconciliation ({result.trigger}) found {len(result.differences)} "
                f"difference(s): {', '.join(kinds)}"
            )
            severity = "critical" if error or "UNKNOWN_BROKER_ORDER" in kinds else "warning"
            alert = EventEnvelope.create(
                type=event_types.ALERT_RAISED,
                ts=now,
                producer="engine.reconcile",
                correlation_id=result.run_id,
                payload={
                    "severity": severity,
                    "code": "RECONCILIATION_FAILED" if error else "RECONCILIATION_DIFFERENCES",
                    "message": message,
                },
            )
            steps.append(append(alert, env, clock=self._clock))
        await self._db.batch(steps)
        if result.differences:
            log.warning("reconciliation %s: %s", result.run_id, result.differences)
