"""The outbox table: the INSERT that joins a business batch, and ordered reads of the log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cream.clock import Clock, SystemClock
from cream.events.envelope import EventEnvelope
from cream.events.errors import CorruptEventError, InvalidEventError
from cream.storage.database import Database, Row, Statement
from cream.storage.errors import InvalidRecordError
from cream.storage.order_records import check_environment
from cream.storage.timestamps import format_utc

_COLUMNS: Final = (
    "seq, id, kind, type, version, cycle_id, correlation_id, causation_id, ts, producer, "
    "headers, payload"
)
# The same event id appended twice (a producer retrying a batch whose outcome it did not
# learn) is one event: the second insert is a no-op.
_INSERT: Final = (
    "INSERT INTO outbox (id, environment, kind, type, version, cycle_id, correlation_id, "
    "causation_id, ts, producer, headers, payload, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (environment, id) DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event read back from the outbox with its log position `seq`."""

    seq: int
    event: EventEnvelope


def append(event: EventEnvelope, environment: str, *, clock: Clock | None = None) -> Statement:
    """The outbox INSERT of `event`: put it in the same `db.batch()` as the business write.

    Raises:
        InvalidEventError: The environment is unknown or the payload is not JSON.
    """
    try:
        env = check_environment(environment)
    except InvalidRecordError as exc:
        raise InvalidEventError(exc.message) from exc
    now = format_utc((clock or SystemClock()).now())
    try:
        payload = json.dumps(event.payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidEventError(
            f"event {event.id} ({event.type}): payload is not JSON: {exc}"
        ) from exc
    return Statement(
        _INSERT,
        (
            event.id,
            env,
            event.kind,
            event.type,
            event.version,
            event.cycle_id,
            event.correlation_id,
            event.causation_id,
            format_utc(event.ts),
            event.producer,
            json.dumps(event.headers, sort_keys=True, separators=(",", ":")),
            payload,
            now,
            now,
        ),
    )


async def read_after(
    db: Database, environment: str, position: int, *, limit: int = 100
) -> list[StoredEvent]:
    """Events of `environment` with `seq > position`, in log order, at most `limit`."""
    rows = await db.query(
        f"SELECT {_COLUMNS} FROM outbox WHERE environment = ? AND seq > ? "  # noqa: S608 - constant names only
        f"ORDER BY seq LIMIT ?",
        (environment, position, limit),
    )
    return [_stored(row) for row in rows]


async def head(db: Database, environment: str) -> int:
    """The newest position of the environment's log (0 when it is empty)."""
    row = await db.query_one(
        "SELECT COALESCE(MAX(seq), 0) AS head FROM outbox WHERE environment = ?", (environment,)
    )
    value = row["head"] if row is not None else 0
    return int(value) if isinstance(value, int) else 0


async def delete_before(db: Database, cutoff: datetime) -> int:
    """Deletes outbox rows appended before `cutoff` (every environment); returns how many."""
    result = await db.execute("DELETE FROM outbox WHERE created_at < ?", (format_utc(cutoff),))
    return result.rows_affected


def _stored(row: Row) -> StoredEvent:
    try:
        event = EventEnvelope(
            id=str(row["id"]),
            kind=str(row["kind"]),  # type: ignore[arg-type]
            type=str(row["type"]),
            version=int(str(row["version"])),
            cycle_id=str(row["cycle_id"]),
            correlation_id=str(row["correlation_id"]),
            causation_id=str(row["causation_id"]),
            ts=datetime.fromisoformat(str(row["ts"])),
            producer=str(row["producer"]),
            headers=json.loads(str(row["headers"])),
            payload=json.loads(str(row["payload"])),
        )
        seq = row["seq"]
        if not isinstance(seq, int):
            raise TypeError("seq is not an integer")
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptEventError(
            f"outbox row {row.get('seq')!r} is not a valid event: {exc}"
        ) from exc
    return StoredEvent(seq=seq, event=event)
