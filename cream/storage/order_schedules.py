"""Sliced parent orders: the parent as accepted and its slice schedule, per environment.

The engine writes a row before the first child is sent and moves its status when the schedule
ends, so a restarted engine knows which schedules to resume. Slices are stored as the engine
computed them (JSON with decimal strings and UTC times); this module only checks their shape.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

from google.protobuf.message import DecodeError, Message

from cream.storage.database import Row
from cream.storage.errors import (
    ConstraintViolationError,
    CorruptRecordError,
    DuplicateClientOrderIdError,
    InvalidRecordError,
    OrderNotFoundError,
)
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import dump_json, json_column, optional_text, text
from cream.storage.timestamps import format_utc
from cream.v1 import execution_pb2

ScheduleStatus = Literal["RUNNING", "COMPLETED", "HALTED", "CANCELED"]
STATUSES: Final = get_args(ScheduleStatus)
_SLICE_KEYS: Final = frozenset(
    {"index", "quantity", "release_at", "release", "pricing", "limit_price"}
)
_COLUMNS: Final = (
    "id, client_order_id, cycle_id, decision_id, symbol, requested_tactic, tactic, status, "
    "reason, halt_reason, request, parent, slices, created_at, updated_at"
)
_INSERT: Final = (
    "INSERT INTO order_schedules (id, environment, client_order_id, cycle_id, decision_id, "
    "symbol, requested_tactic, tactic, status, reason, halt_reason, request, parent, slices, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class ScheduleRecord:
    """One parent order and its schedule.

    Attributes:
        order_id: The parent's engine order id.
        client_order_id: The parent's client order id.
        requested_tactic: The ExecutionTactic name asked for.
        tactic: The ExecutionTactic name run.
        status: RUNNING, COMPLETED, HALTED or CANCELED.
        reason: The core's explanation of the schedule.
        halt_reason: Why it stopped early ("" while running or completed).
        request: The parent's SubmitOrderRequest.
        parent: The parent order as accepted (NEW, whole quantity).
        slices: The schedule's children as JSON objects.
        created_at: When the row was written (UTC text).
    """

    order_id: str
    client_order_id: str
    requested_tactic: str
    tactic: str
    status: ScheduleStatus
    reason: str
    halt_reason: str
    request: execution_pb2.SubmitOrderRequest
    parent: execution_pb2.Order
    slices: tuple[dict[str, Any], ...]
    created_at: str = ""


class OrderScheduleRepository(EnvironmentRepository):
    """Parent schedules of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    async def insert(self, record: ScheduleRecord) -> None:
        """Stores a new schedule.

        Raises:
            DuplicateClientOrderIdError: The parent's client order id is already scheduled.
            InvalidRecordError: A malformed record (status, ids, slices).
        """
        _check(record)
        now = format_utc(self._clock.now())
        params = (
            record.order_id,
            self._environment,
            record.client_order_id,
            record.parent.cycle_id or None,
            record.parent.decision_id or None,
            record.parent.symbol,
            record.requested_tactic,
            record.tactic,
            record.status,
            record.reason,
            record.halt_reason or None,
            record.request.SerializeToString(deterministic=True),
            record.parent.SerializeToString(deterministic=True),
            dump_json(list(record.slices), f"schedule {record.client_order_id}"),
            now,
            now,
        )
        try:
            await self._db.execute(_INSERT, params)
        except ConstraintViolationError as exc:
            existing = await self.get_by_client_order_id(record.client_order_id)
            raise DuplicateClientOrderIdError(
                record.client_order_id,
                existing.order_id if existing else record.order_id,
                self._environment,
            ) from exc

    async def get(self, order_id: str) -> ScheduleRecord | None:
        """The schedule of the parent with this engine order id, or None."""
        return await self._one("id", order_id)

    async def get_by_client_order_id(self, client_order_id: str) -> ScheduleRecord | None:
        """The schedule of the parent with this client order id, or None."""
        return await self._one("client_order_id", client_order_id)

    async def list_running(self) -> builtins.list[ScheduleRecord]:
        """Schedules still releasing children, oldest first."""
        rows = await self._db.query(
            f"SELECT {_COLUMNS} FROM order_schedules "  # noqa: S608 - constant names only
            "WHERE environment = ? AND status = 'RUNNING' ORDER BY created_at, id",
            (self._environment,),
        )
        return [_record(row) for row in rows]

    async def set_status(self, order_id: str, status: ScheduleStatus, halt_reason: str) -> None:
        """Moves a schedule to ``status`` (with why it stopped, for HALTED and CANCELED).

        Raises:
            InvalidRecordError: An unknown status.
            OrderNotFoundError: No schedule with this parent id here.
        """
        if status not in STATUSES:
            raise InvalidRecordError(f"schedule status must be one of {STATUSES}, got {status!r}")
        result = await self._db.execute(
            "UPDATE order_schedules SET status = ?, halt_reason = ?, updated_at = ? "
            "WHERE environment = ? AND id = ?",
            (
                status,
                halt_reason or None,
                format_utc(self._clock.now()),
                self._environment,
                order_id,
            ),
        )
        if result.rows_affected == 0:
            raise OrderNotFoundError(f"no schedule for parent {order_id!r} in {self._environment}")

    async def _one(self, column: str, value: str) -> ScheduleRecord | None:
        row = await self._db.query_one(
            f"SELECT {_COLUMNS} FROM order_schedules "  # noqa: S608 - constant names only
            f"WHERE environment = ? AND {column} = ?",
            (self._environment, value),
        )
        return None if row is None else _record(row)


def _check(record: ScheduleRecord) -> None:
    if record.status not in STATUSES:
        raise InvalidRecordError(
            f"schedule status must be one of {STATUSES}, got {record.status!r}"
        )
    if not record.order_id or not record.client_order_id or not record.parent.symbol:
        raise InvalidRecordError("a schedule needs the parent's order id, client id and symbol")
    if not record.slices:
        raise InvalidRecordError(f"schedule {record.client_order_id} has no slices")
    for piece in record.slices:
        if set(piece) != _SLICE_KEYS:
            raise InvalidRecordError(
                f"schedule {record.client_order_id}: a slice needs exactly {sorted(_SLICE_KEYS)}"
            )


def _message(row: Row, column: str, message: Message) -> Any:
    raw = row.get(column)
    if not isinstance(raw, bytes):
        raise CorruptRecordError(f"schedule {row.get('id')!r} has no {column} in the database")
    try:
        message.ParseFromString(raw)
    except DecodeError as exc:
        raise CorruptRecordError(
            f"schedule {row.get('id')!r}: {column} does not decode: {exc}"
        ) from exc
    return message


def _record(row: Row) -> ScheduleRecord:
    status = text(row, "status")
    if status not in STATUSES:
        raise CorruptRecordError(f"schedule {row.get('id')!r} has status {status!r}")
    slices = json_column(row, "slices")
    if not isinstance(slices, list) or not all(isinstance(s, dict) for s in slices):
        raise CorruptRecordError(f"schedule {row.get('id')!r}: slices are not a list of objects")
    return ScheduleRecord(
        order_id=text(row, "id"),
        client_order_id=text(row, "client_order_id"),
        requested_tactic=text(row, "requested_tactic"),
        tactic=text(row, "tactic"),
        status=cast(ScheduleStatus, status),
        reason=text(row, "reason"),
        halt_reason=optional_text(row, "halt_reason") or "",
        request=_message(row, "request", execution_pb2.SubmitOrderRequest()),
        parent=_message(row, "parent", execution_pb2.Order()),
        slices=tuple(slices),
        created_at=text(row, "created_at"),
    )
