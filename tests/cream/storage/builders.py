"""Builders of valid cream.v1 Orders and Fills for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime

from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

START = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def make_order(
    order_id: str = "ord-1",
    client_order_id: str = "cyc-1:dec-1:0",
    *,
    environment: common.Environment.ValueType = common.ENVIRONMENT_PAPER,
    symbol: str = "AAPL",
    status: ex.OrderStatus.ValueType = ex.ORDER_STATUS_NEW,
    quantity: str = "10",
    limit_price: str = "189.25",
) -> ex.Order:
    order = ex.Order(
        order_id=order_id,
        client_order_id=client_order_id,
        cycle_id="cyc-1",
        decision_id="dec-1",
        symbol=symbol,
        instrument_type=common.INSTRUMENT_TYPE_EQUITY,
        side=common.ORDER_SIDE_BUY,
        order_type=common.ORDER_TYPE_LIMIT,
        time_in_force=common.TIME_IN_FORCE_DAY,
        quantity=quantity,
        limit_price=limit_price,
        status=status,
        cum_qty="0",
        leaves_qty=quantity,
        environment=environment,
        config_version=7,
        stop_loss="180.00",
        take_profit="205.50",
    )
    order.created_at.FromDatetime(START)
    order.updated_at.FromDatetime(START)
    return order


def make_fill(
    fill_id: str = "fill-1",
    order_id: str = "ord-1",
    *,
    quantity: str = "4",
    price: str = "189.20",
    seconds: int = 0,
) -> ex.Fill:
    fill = ex.Fill(
        fill_id=fill_id,
        order_id=order_id,
        symbol="AAPL",
        side=common.ORDER_SIDE_BUY,
        quantity=quantity,
        price=price,
    )
    fill.timestamp.FromDatetime(START)
    fill.timestamp.seconds += seconds
    fill.timestamp.nanos = 123456789
    return fill
