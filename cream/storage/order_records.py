"""Checked conversion of `cream.v1` Order and Fill messages to table rows and back."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Final, TypeAlias

from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import DecodeError

from cream.storage.database import Row, SqlValue
from cream.storage.errors import CorruptRecordError, EnvironmentMismatchError, InvalidRecordError
from cream.storage.timestamps import format_utc
from cream.v1 import common_pb2, execution_pb2

ENVIRONMENTS: Final = ("BACKTEST", "PAPER", "LIVE")

_Status: TypeAlias = execution_pb2.OrderStatus.ValueType

_STATUS: Final = execution_pb2.OrderStatus.DESCRIPTOR
_SIDE: Final = common_pb2.OrderSide.DESCRIPTOR
_TYPE: Final = common_pb2.OrderType.DESCRIPTOR
_ENVIRONMENT: Final = common_pb2.Environment.DESCRIPTOR

# Orders that may still trade or change at the broker. REPLACED is included because under
# FIX semantics a replaced order keeps working with its new terms; listing one order too many
# makes reconciliation ask once more, listing one too few would lose a live order.
OPEN_STATUSES: Final[frozenset[_Status]] = frozenset(
    {
        execution_pb2.ORDER_STATUS_NEW,
        execution_pb2.ORDER_STATUS_PENDING_NEW,
        execution_pb2.ORDER_STATUS_ACCEPTED,
        execution_pb2.ORDER_STATUS_PARTIALLY_FILLED,
        execution_pb2.ORDER_STATUS_PENDING_CANCEL,
        execution_pb2.ORDER_STATUS_PENDING_REPLACE,
        execution_pb2.ORDER_STATUS_REPLACED,
    }
)

ORDER_COLUMNS: Final = (
    "id",
    "environment",
    "client_order_id",
    "broker_order_id",
    "cycle_id",
    "decision_id",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "limit_price",
    "stop_price",
    "status",
    "cum_qty",
    "avg_fill_price",
    "config_version",
    "payload",
)

FILL_COLUMNS: Final = (
    "id",
    "environment",
    "order_id",
    "exec_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "ts",
    "payload",
)


def check_environment(environment: str) -> str:
    """Returns the environment name if it is BACKTEST, PAPER or LIVE.

    Raises:
        InvalidRecordError: For any other value (an unset environment never defaults).
    """
    if environment not in ENVIRONMENTS:
        raise InvalidRecordError(
            f"environment must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}"
        )
    return str(environment)


def status_name(status: _Status) -> str:
    """`ORDER_STATUS_FILLED` → `FILLED`, as stored in the `status` column.

    Raises:
        InvalidRecordError: For UNSPECIFIED or a number the contract does not define.
    """
    return _enum_name(_STATUS, status, "ORDER_STATUS_", "status")


def order_values(order: execution_pb2.Order, environment: str) -> dict[str, SqlValue]:
    """The `orders` column values of an order (without the row timestamps).

    Raises:
        EnvironmentMismatchError: The order belongs to another environment.
        InvalidRecordError: An id is missing, an enum is unset or a decimal is malformed.
    """
    _check_order_environment(order, environment)
    order_id = _required(order.order_id, "order_id")
    return {
        "id": order_id,
        "environment": environment,
        "client_order_id": _required(order.client_order_id, f"order {order_id}: client_order_id"),
        "broker_order_id": order.broker_order_id or None,
        "cycle_id": order.cycle_id or None,
        "decision_id": order.decision_id or None,
        "symbol": _required(order.symbol, f"order {order_id}: symbol"),
        "side": _enum_name(_SIDE, order.side, "ORDER_SIDE_", f"order {order_id}: side"),
        "order_type": _enum_name(
            _TYPE, order.order_type, "ORDER_TYPE_", f"order {order_id}: order_type"
        ),
        "quantity": _decimal(order.quantity, f"order {order_id}: quantity", required=True),
        "limit_price": _decimal(order.limit_price, f"order {order_id}: limit_price"),
        "stop_price": _decimal(order.stop_price, f"order {order_id}: stop_price"),
        "status": _enum_name(_STATUS, order.status, "ORDER_STATUS_", f"order {order_id}: status"),
        "cum_qty": _decimal(order.cum_qty, f"order {order_id}: cum_qty") or "0",
        "avg_fill_price": _decimal(order.avg_fill_price, f"order {order_id}: avg_fill_price"),
        "config_version": int(order.config_version),
        "payload": order.SerializeToString(deterministic=True),
    }


def fill_values(fill: execution_pb2.Fill, exec_id: str, environment: str) -> dict[str, SqlValue]:
    """The `fills` column values of a fill (without the row timestamps).

    Raises:
        InvalidRecordError: An id or the timestamp is missing, or a decimal is malformed.
    """
    fill_id = _required(fill.fill_id, "fill_id")
    if not fill.HasField("timestamp"):
        raise InvalidRecordError(f"fill {fill_id}: timestamp is not set")
    return {
        "id": fill_id,
        "environment": environment,
        "order_id": _required(fill.order_id, f"fill {fill_id}: order_id"),
        "exec_id": _required(exec_id, f"fill {fill_id}: exec_id"),
        "symbol": _required(fill.symbol, f"fill {fill_id}: symbol"),
        "side": _enum_name(_SIDE, fill.side, "ORDER_SIDE_", f"fill {fill_id}: side"),
        "quantity": _decimal(fill.quantity, f"fill {fill_id}: quantity", required=True),
        "price": _decimal(fill.price, f"fill {fill_id}: price", required=True),
        "ts": format_utc(fill.timestamp.ToDatetime(tzinfo=UTC)),
        "payload": fill.SerializeToString(deterministic=True),
    }


def order_from_row(row: Row) -> execution_pb2.Order:
    """Decodes the `payload` column of an `orders` row.

    Raises:
        CorruptRecordError: The payload is missing or is not a serialized Order.
    """
    order = execution_pb2.Order()
    _parse(order, row, "order")
    return order


def fill_from_row(row: Row) -> execution_pb2.Fill:
    """Decodes the `payload` column of a `fills` row.

    Raises:
        CorruptRecordError: The payload is missing or is not a serialized Fill.
    """
    fill = execution_pb2.Fill()
    _parse(fill, row, "fill")
    return fill


def _parse(message: execution_pb2.Order | execution_pb2.Fill, row: Row, kind: str) -> None:
    payload = row.get("payload")
    if not isinstance(payload, bytes):
        raise CorruptRecordError(f"{kind} {row.get('id')!r} has no payload in the database")
    try:
        message.ParseFromString(payload)
    except DecodeError as exc:
        raise CorruptRecordError(
            f"{kind} {row.get('id')!r}: the stored payload is not a cream.v1 message: {exc}"
        ) from exc


def _check_order_environment(order: execution_pb2.Order, environment: str) -> None:
    expected = common_pb2.Environment.Value(f"ENVIRONMENT_{environment}")
    if order.environment != expected:
        got = _name_or_number(_ENVIRONMENT, order.environment)
        raise EnvironmentMismatchError(
            f"order {order.order_id!r} is for environment {got}, but this repository stores "
            f"{environment} orders; set Order.environment or use the {environment} repository"
        )


def _required(value: str, what: str) -> str:
    if not value:
        raise InvalidRecordError(f"{what} is empty")
    return value


def _decimal(value: str, what: str, *, required: bool = False) -> str | None:
    if not value:
        if required:
            raise InvalidRecordError(f"{what} is empty")
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidRecordError(f"{what} {value!r} is not a decimal number") from exc
    if not number.is_finite():
        raise InvalidRecordError(f"{what} {value!r} is not a finite decimal number")
    # Stored exactly as given ("100.50" stays "100.50") so the columns match the payload.
    return value


def _enum_name(enum: EnumDescriptor, number: int, prefix: str, what: str) -> str:
    name = _name_or_number(enum, number)
    if number == 0 or not name.startswith(prefix):
        raise InvalidRecordError(f"{what} is {name}; set a specific value")
    return name.removeprefix(prefix)


def _name_or_number(enum: EnumDescriptor, number: int) -> str:
    value = enum.values_by_number.get(number)
    return value.name if value is not None else f"unknown value {number}"
