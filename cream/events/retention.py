"""Retention of the event log: delete outbox events and inbox marks older than a TTL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cream.clock import Clock, SystemClock
from cream.events.errors import InvalidEventError
from cream.storage.database import Database, Statement
from cream.storage.timestamps import format_utc

DEFAULT_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class CleanupResult:
    """How many rows a cleanup deleted."""

    outbox_deleted: int
    inbox_deleted: int


async def cleanup(
    db: Database,
    *,
    ttl: timedelta = DEFAULT_TTL,
    inbox_ttl: timedelta | None = None,
    clock: Clock | None = None,
) -> CleanupResult:
    """Deletes events appended more than `ttl` ago and inbox marks older than `inbox_ttl`.

    An event older than the TTL is gone even for a consumer that has not read it yet: keep
    the TTL well above the longest consumer outage. The inbox TTL (default: the same) bounds
    how far back a replay is still de-duplicated. Offsets are kept; AUTOINCREMENT positions
    are never reused, so they stay valid.

    Raises:
        InvalidEventError: A TTL is not positive.
    """
    inbox = inbox_ttl if inbox_ttl is not None else ttl
    if ttl <= timedelta(0) or inbox <= timedelta(0):
        raise InvalidEventError(f"retention TTLs must be positive, got {ttl} and {inbox}")
    now = (clock or SystemClock()).now()
    results = await db.batch(
        [
            Statement("DELETE FROM outbox WHERE created_at < ?", (format_utc(now - ttl),)),
            Statement(
                "DELETE FROM consumer_inbox WHERE created_at < ?", (format_utc(now - inbox),)
            ),
        ]
    )
    return CleanupResult(results[0].rows_affected, results[1].rows_affected)
