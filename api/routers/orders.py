"""Orders as stored by the engine and the cycle, newest first, with filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES, UnprocessableError
from api.routers.market import timestamp_text
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

router = APIRouter(prefix="/api/orders", tags=["orders"], responses=ERROR_RESPONSES)


class Order(BaseModel):
    """One order; quantities and prices are decimal strings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    client_order_id: str
    broker_order_id: str
    cycle_id: str
    decision_id: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    quantity: str
    limit_price: str
    stop_price: str
    status: str
    cum_qty: str
    leaves_qty: str
    avg_fill_price: str
    reject_reason: str
    config_version: int
    stop_loss: str
    take_profit: str
    created_at: str | None
    updated_at: str | None


class OrderPage(BaseModel):
    """A page of orders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: list[Order]
    limit: int
    offset: int
    next_offset: int | None


def _name(enum: object, value: int, prefix: str) -> str:
    try:
        name: str = enum.Name(value)  # type: ignore[attr-defined]
    except ValueError:
        return str(value)
    return name.removeprefix(prefix)


def order_model(order: ex.Order) -> Order:
    """The wire model of an order."""
    return Order(
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        broker_order_id=order.broker_order_id,
        cycle_id=order.cycle_id,
        decision_id=order.decision_id,
        symbol=order.symbol,
        side=_name(common.OrderSide, order.side, "ORDER_SIDE_"),
        order_type=_name(common.OrderType, order.order_type, "ORDER_TYPE_"),
        time_in_force=_name(common.TimeInForce, order.time_in_force, "TIME_IN_FORCE_"),
        quantity=order.quantity,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        status=_name(ex.OrderStatus, order.status, "ORDER_STATUS_"),
        cum_qty=order.cum_qty,
        leaves_qty=order.leaves_qty,
        avg_fill_price=order.avg_fill_price,
        reject_reason=order.reject_reason,
        config_version=order.config_version,
        stop_loss=order.stop_loss,
        take_profit=order.take_profit,
        created_at=timestamp_text(order.created_at),
        updated_at=timestamp_text(order.updated_at),
    )


def order_status(name: str) -> ex.OrderStatus.ValueType:
    """An order status from its short name (`FILLED`) or full name.

    Raises:
        UnprocessableError: No such status.
    """
    full = name.upper() if name.upper().startswith("ORDER_STATUS_") else f"ORDER_STATUS_{name}"
    known = {n: v for n, v in ex.OrderStatus.items() if v != 0}
    value = known.get(full.upper())
    if value is None:
        names = [n.removeprefix("ORDER_STATUS_") for n in known]
        raise UnprocessableError(
            f"unknown order status {name!r}; use one of {names}", code="INVALID_STATUS"
        )
    return value


@router.get("", operation_id="listOrders", response_model=OrderPage)
async def list_orders(
    _: Reader,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    symbol: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9.]{0,9}$")] = None,
    status: Annotated[str | None, Query(description="e.g. FILLED, CANCELED")] = None,
    cycle_id: Annotated[str | None, Query(max_length=128)] = None,
    decision_id: Annotated[str | None, Query(max_length=128)] = None,
) -> OrderPage:
    """Orders newest first, filtered by symbol, status, cycle or decision."""
    orders = await context.repos.orders.list(
        limit + 1,
        offset,
        symbol=symbol.upper() if symbol else None,
        status=order_status(status) if status else None,
        cycle_id=cycle_id,
        decision_id=decision_id,
    )
    more = len(orders) > limit
    return OrderPage(
        items=[order_model(o) for o in orders[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )
