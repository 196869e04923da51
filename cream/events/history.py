"""Reads of the outbox by identity rather than position: the events of one cycle."""

from __future__ import annotations

from collections.abc import Sequence

from cream.events.outbox import _COLUMNS, StoredEvent, _stored
from cream.storage.database import Database


async def events_for_cycle(
    db: Database,
    environment: str,
    cycle_id: str,
    *,
    types: Sequence[str] | None = None,
    limit: int = 1000,
) -> list[StoredEvent]:
    """The cycle's events in log order, optionally only of `types`, at most `limit`."""
    where = "environment = ? AND cycle_id = ?"
    params: list[str | int] = [environment, cycle_id]
    if types:
        where += f" AND type IN ({', '.join('?' for _ in types)})"
        params.extend(types)
    rows = await db.query(
        f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY seq LIMIT ?",  # noqa: S608 - constant names and placeholders only
        (*params, limit),
    )
    return [_stored(row) for row in rows]
