"""A sliced parent order's state, aggregated from its children, and its schedule as stored JSON.

The parent never goes to the broker: its filled quantity and average price are the sums over
its children, and its status follows from them and from how the schedule ended. ``cum_qty +
leaves_qty + canceled_qty == quantity`` holds for the parent exactly as for any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from cream.engine.core import ChildPricing, ChildSlice, Release, SliceSchedule
from cream.storage.order_schedules import ScheduleRecord
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

_TERMINAL = {
    ex.ORDER_STATUS_FILLED,
    ex.ORDER_STATUS_CANCELED,
    ex.ORDER_STATUS_REJECTED,
    ex.ORDER_STATUS_EXPIRED,
    ex.ORDER_STATUS_REPLACED,
}


def _text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def slices_to_json(schedule: SliceSchedule) -> tuple[dict[str, Any], ...]:
    """The schedule's children as JSON objects (decimals as strings, times as UTC ISO text)."""
    return tuple(
        {
            "index": s.index,
            "quantity": format(s.quantity, "f"),
            "release_at": s.release_at.isoformat(),
            "release": s.release.value,
            "pricing": s.pricing.value,
            "limit_price": "" if s.limit_price is None else format(s.limit_price, "f"),
        }
        for s in schedule.slices
    )


def schedule_of(record: ScheduleRecord) -> SliceSchedule:
    """The schedule a record holds, exactly as it was computed when the parent was accepted."""
    return SliceSchedule(
        requested=common.ExecutionTactic.Value(record.requested_tactic),
        tactic=common.ExecutionTactic.Value(record.tactic),
        side=record.parent.side,
        reason=record.reason,
        slices=tuple(
            ChildSlice(
                index=int(s["index"]),
                quantity=Decimal(str(s["quantity"])),
                release_at=datetime.fromisoformat(str(s["release_at"])),
                release=Release(s["release"]),
                pricing=ChildPricing(s["pricing"]),
                limit_price=Decimal(str(s["limit_price"])) if s["limit_price"] else None,
            )
            for s in record.slices
        ),
    )


def _status(
    record: ScheduleRecord, children: Sequence[ex.Order], cum: Decimal, qty: Decimal
) -> ex.OrderStatus.ValueType:
    working = any(c.status not in _TERMINAL for c in children)
    if cum >= qty:
        return ex.ORDER_STATUS_FILLED
    if record.status == "RUNNING" or (working and record.status != "CANCELED"):
        return ex.ORDER_STATUS_PARTIALLY_FILLED if cum > 0 else ex.ORDER_STATUS_ACCEPTED
    if working:
        return ex.ORDER_STATUS_PENDING_CANCEL
    if record.status == "CANCELED":
        return ex.ORDER_STATUS_CANCELED
    if record.status == "HALTED":
        return ex.ORDER_STATUS_CANCELED if cum > 0 else ex.ORDER_STATUS_REJECTED
    # Completed, yet short: a child ended without filling at the broker.
    if any(c.status == ex.ORDER_STATUS_EXPIRED for c in children):
        return ex.ORDER_STATUS_EXPIRED
    return ex.ORDER_STATUS_CANCELED


def parent_order(record: ScheduleRecord, children: Sequence[ex.Order]) -> ex.Order:
    """The parent as it stands, from the record and its released children."""
    parent = ex.Order()
    parent.CopyFrom(record.parent)
    qty = Decimal(parent.quantity)
    cum = sum((Decimal(c.cum_qty or "0") for c in children), Decimal(0))
    notional = sum(
        (Decimal(c.cum_qty or "0") * Decimal(c.avg_fill_price or "0") for c in children),
        Decimal(0),
    )
    status = _status(record, children, cum, qty)
    parent.status = status
    parent.cum_qty = _text(cum)
    parent.avg_fill_price = _text(notional / cum) if cum > 0 else ""
    if status in _TERMINAL:
        parent.leaves_qty = "0"
        parent.canceled_qty = _text(qty - cum) if cum < qty else ""
    else:
        parent.leaves_qty = _text(qty - cum)
        parent.canceled_qty = ""
    parent.reject_reason = record.halt_reason
    stamps = [parent.updated_at, *(c.updated_at for c in children if c.HasField("updated_at"))]
    latest = Timestamp()
    latest.CopyFrom(max(stamps, key=_key))
    parent.updated_at.CopyFrom(latest)
    return parent


def _key(stamp: Timestamp) -> tuple[int, int]:
    return stamp.seconds, stamp.nanos


_EXEC_TYPE = {
    ex.ORDER_STATUS_ACCEPTED: ex.EXEC_TYPE_NEW,
    ex.ORDER_STATUS_PENDING_CANCEL: ex.EXEC_TYPE_PENDING_CANCEL,
    ex.ORDER_STATUS_CANCELED: ex.EXEC_TYPE_CANCELED,
    ex.ORDER_STATUS_REJECTED: ex.EXEC_TYPE_REJECTED,
    ex.ORDER_STATUS_EXPIRED: ex.EXEC_TYPE_EXPIRED,
}


def parent_report(before: ex.Order | None, after: ex.Order) -> ex.ExecutionReport | None:
    """The report of what changed on the parent between two states (None: nothing did).

    A change of the filled quantity is a TRADE of the difference at its average price; any
    other change is reported by the new status.
    """
    old_cum = Decimal(before.cum_qty or "0") if before is not None else Decimal(0)
    new_cum = Decimal(after.cum_qty or "0")
    if before is not None and before.status == after.status and old_cum == new_cum:
        return None
    report = ex.ExecutionReport(
        order_id=after.order_id,
        exec_id=f"{after.order_id}:{ex.OrderStatus.Name(after.status)}:{_text(new_cum)}",
        timestamp=after.updated_at,
        reason=after.reject_reason,
    )
    if new_cum > old_cum:
        old_notional = old_cum * Decimal(before.avg_fill_price or "0") if before else Decimal(0)
        new_notional = new_cum * Decimal(after.avg_fill_price or "0")
        delta = new_cum - old_cum
        report.exec_type = ex.EXEC_TYPE_TRADE
        report.last_qty = _text(delta)
        report.last_price = _text(
            ((new_notional - old_notional) / delta).quantize(Decimal("0.0001"))
        )
    else:
        report.exec_type = _EXEC_TYPE.get(after.status, ex.EXEC_TYPE_NEW)
    return report
