"""Alpaca order events (``trade_updates`` and reconciliation) as FIX execution reports.

Execution ids are derived from the event, never random, so the same fact seen twice — a
duplicate stream message, or a fill found again by reconciliation — is the same exec id and
the order book ignores the repeat. A fill's id is the broker order id plus the order's
cumulative filled quantity after it: both the stream (``order.filled_qty``) and the fill
activities (``cum_qty``) carry it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict

from cream.engine.broker.alpaca.mapping import AlpacaOrder, dec_str
from cream.v1 import execution_pb2 as ex

# Events that change the engine's order. Others (pending_new, pending_cancel,
# pending_replace, done_for_day, stopped, calculated, suspended, restated) are informational:
# the engine records its own pending states when it sends a request.
_EXEC_TYPES: dict[str, ex.ExecType.ValueType] = {
    "new": ex.EXEC_TYPE_NEW,
    "accepted": ex.EXEC_TYPE_NEW,
    "fill": ex.EXEC_TYPE_TRADE,
    "partial_fill": ex.EXEC_TYPE_TRADE,
    "canceled": ex.EXEC_TYPE_CANCELED,
    "expired": ex.EXEC_TYPE_EXPIRED,
    "rejected": ex.EXEC_TYPE_REJECTED,
    "replaced": ex.EXEC_TYPE_REPLACED,
    "order_cancel_rejected": ex.EXEC_TYPE_CANCEL_REJECTED,
    "order_replace_rejected": ex.EXEC_TYPE_CANCEL_REJECTED,
}
FILL_EVENTS = frozenset({"fill", "partial_fill"})
TERMINAL_EVENTS = frozenset({"canceled", "expired", "rejected", "replaced"})


class TradeUpdate(BaseModel):
    """The ``data`` of one ``trade_updates`` message (unknown fields ignored, see AlpacaOrder)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event: str
    order: AlpacaOrder
    timestamp: datetime | None = None
    execution_id: str | None = None
    price: str | None = None
    qty: str | None = None
    position_qty: str | None = None


def stamp(when: datetime | None) -> Timestamp:
    """A protobuf timestamp (now, UTC, when the event had none)."""
    ts = Timestamp()
    ts.FromDatetime((when or datetime.now(UTC)).astimezone(UTC))
    return ts


def fill_exec_id(broker_order_id: str, cum_qty: str | Decimal) -> str:
    """The exec id of the fill that brought an order's filled quantity to ``cum_qty``."""
    return f"{broker_order_id}:fill:{dec_str(Decimal(str(cum_qty)))}"


def event_exec_id(broker_order_id: str, event: str) -> str:
    """The exec id of a non-fill event of a broker order."""
    return f"{broker_order_id}:{event}"


def exec_type_of(event: str) -> ex.ExecType.ValueType | None:
    """The FIX exec type of an Alpaca event, or None when the event changes nothing."""
    return _EXEC_TYPES.get(event)


def report_from_update(
    update: TradeUpdate, order_id: str, *, replacement: AlpacaOrder | None = None
) -> ex.ExecutionReport | None:
    """The execution report of one event of the engine order ``order_id`` (None: no change).

    Args:
        update: The event.
        order_id: The engine's order id.
        replacement: For ``replaced``: the new order that replaced this one.
    """
    exec_type = exec_type_of(update.event)
    if exec_type is None:
        return None
    order = update.order
    report = ex.ExecutionReport(
        order_id=order_id,
        exec_id=event_exec_id(order.id, update.event),
        exec_type=exec_type,
        timestamp=stamp(update.timestamp or order.updated_at),
        broker_order_id=order.id,
    )
    if update.event in FILL_EVENTS:
        if not update.qty or not update.price:
            raise ValueError(f"{update.event} event of {order.id} carries no qty/price")
        report.exec_id = fill_exec_id(order.id, order.filled_qty)
        report.last_qty = dec_str(Decimal(update.qty))
        report.last_price = dec_str(Decimal(update.price))
    elif update.event == "rejected":
        report.reason = "rejected by Alpaca"
    elif update.event == "replaced" and replacement is not None:
        report.broker_order_id = replacement.id
        if replacement.qty:
            report.new_quantity = dec_str(Decimal(replacement.qty))
        if replacement.limit_price:
            report.new_limit_price = dec_str(Decimal(replacement.limit_price))
    return report


def parse_update(data: dict[str, Any]) -> TradeUpdate:
    """Validate a ``trade_updates`` data object."""
    return TradeUpdate.model_validate(data)
