"""Equity snapshots: the account's equity, cash and buying power over time (the equity curve).

The worker writes one row every few minutes while the session is open and one right after
each cycle; the API reads a time range for the dashboard's chart. Money stays decimal text,
exactly as the engine reported it.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

from cream.storage.database import Row, Statement
from cream.storage.errors import CorruptRecordError, InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import decimal_text, optional_text, text
from cream.storage.timestamps import format_utc

SnapshotSource = Literal["schedule", "cycle"]
SOURCES: Final = frozenset(get_args(SnapshotSource))
MAX_LIMIT: Final = 10_000

_INSERT: Final = (
    "INSERT INTO equity_snapshots (id, environment, time, equity, cash, buying_power, source, "
    "cycle_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT: Final = (
    "SELECT id, time, equity, cash, buying_power, source, cycle_id, created_at "
    "FROM equity_snapshots"
)


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """One stored snapshot; money is decimal text, `time` UTC ISO text."""

    id: str
    time: str
    equity: str
    cash: str
    buying_power: str
    source: SnapshotSource
    cycle_id: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class EquityPage:
    """A time range of snapshots, oldest first, and whether older ones in it were left out."""

    snapshots: builtins.list[EquitySnapshot]
    truncated: bool


class EquityRepository(EnvironmentRepository):
    """Equity snapshots of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def snapshot_statement(
        self,
        *,
        time: datetime,
        equity: str,
        cash: str,
        buying_power: str,
        source: SnapshotSource,
        cycle_id: str | None = None,
    ) -> Statement:
        """The INSERT of one snapshot, for a batch.

        Raises:
            InvalidRecordError: A naive time, a money value that is not a finite decimal,
                an unknown source, or a `cycle` snapshot without its cycle id.
        """
        if source not in SOURCES:
            raise InvalidRecordError(f"equity snapshot source {source!r} is not one of {SOURCES}")
        if source == "cycle" and not cycle_id:
            raise InvalidRecordError("an equity snapshot taken after a cycle needs the cycle id")
        now = format_utc(self._clock.now())
        return Statement(
            _INSERT,
            (
                uuid.uuid4().hex,
                self._environment,
                format_utc(time),
                decimal_text(equity, "equity"),
                decimal_text(cash, "cash"),
                decimal_text(buying_power, "buying power"),
                source,
                cycle_id or None,
                now,
                now,
            ),
        )

    async def record(
        self,
        *,
        time: datetime,
        equity: str,
        cash: str,
        buying_power: str,
        source: SnapshotSource,
        cycle_id: str | None = None,
    ) -> None:
        """Stores one snapshot (see `snapshot_statement`) in its own transaction."""
        statement = self.snapshot_statement(
            time=time,
            equity=equity,
            cash=cash,
            buying_power=buying_power,
            source=source,
            cycle_id=cycle_id,
        )
        await self._db.batch([statement])

    async def between(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        limit: int = 1000,
    ) -> EquityPage:
        """Snapshots with `start <= time < end`: the newest `limit` of them, oldest first.

        Raises:
            InvalidRecordError: `limit` outside 1..10000, a naive bound, or `start > end`.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRecordError(f"equity limit must be 1..{MAX_LIMIT}, got {limit}")
        low = format_utc(start) if start is not None else ""
        high = format_utc(end) if end is not None else "9999"
        if low > high:
            raise InvalidRecordError(f"the range starts ({low}) after it ends ({high})")
        rows = await self._db.query(
            f"{_SELECT} WHERE environment = ? AND time >= ? AND time < ? "
            "ORDER BY time DESC, id DESC LIMIT ?",
            (self._environment, low, high, limit + 1),
        )
        kept = rows[:limit]
        return EquityPage([_snapshot(row) for row in reversed(kept)], truncated=len(rows) > limit)

    async def latest(self) -> EquitySnapshot | None:
        """The newest snapshot, or None when there is none."""
        row = await self._db.query_one(
            f"{_SELECT} WHERE environment = ? ORDER BY time DESC, id DESC LIMIT 1",
            (self._environment,),
        )
        return _snapshot(row) if row is not None else None


def _snapshot(row: Row) -> EquitySnapshot:
    source = text(row, "source")
    if source not in SOURCES:
        raise CorruptRecordError(f"equity snapshot {row.get('id')!r} has source {source!r}")
    return EquitySnapshot(
        id=text(row, "id"),
        time=text(row, "time"),
        equity=text(row, "equity"),
        cash=text(row, "cash"),
        buying_power=text(row, "buying_power"),
        source="cycle" if source == "cycle" else "schedule",
        cycle_id=optional_text(row, "cycle_id"),
        created_at=text(row, "created_at"),
    )
