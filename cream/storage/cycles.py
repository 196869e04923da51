"""The cycle store: one row per trading cycle with its status, timings and budget use."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Final, Literal, get_args

from cream.clock import Clock, SystemClock
from cream.storage.database import Database, Row, Statement
from cream.storage.errors import CorruptRecordError, InvalidRecordError, StorageError
from cream.storage.order_records import check_environment
from cream.storage.rows import (
    decimal_text,
    dump_json,
    integer,
    json_column,
    optional_integer,
    optional_text,
    page,
    text,
)
from cream.storage.timestamps import format_utc

CycleStatus = Literal["running", "completed", "failed", "cancelled"]
CYCLE_STATUSES: Final = get_args(CycleStatus)

_COLUMNS: Final = (
    "id, status, trigger, started_at, finished_at, config_version, symbols, tokens_used, "
    "cost_usd, wall_ms, error, created_at, updated_at"
)


class CycleNotFoundError(StorageError):
    """No cycle with this id exists in the repository's environment."""

    code: ClassVar[str] = "CYCLE_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One trading cycle as stored; timestamps are UTC text, `cost_usd` a decimal string."""

    id: str
    config_version: int
    symbols: tuple[str, ...]
    started_at: str
    trigger: str = "scheduled"
    status: CycleStatus = "running"
    finished_at: str | None = None
    tokens_used: int = 0
    cost_usd: str = "0"
    wall_ms: int | None = None
    error: str | None = None
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)


class CycleRepository:
    """Cycles of one environment.

    Args:
        db: An open database with the migrations applied.
        environment: BACKTEST, PAPER or LIVE.
        clock: Source of created_at/updated_at.
    """

    def __init__(self, db: Database, environment: str, *, clock: Clock | None = None) -> None:
        self._db = db
        self._environment = check_environment(environment)
        self._clock = clock or SystemClock()

    def start_statement(
        self,
        cycle_id: str,
        *,
        config_version: int,
        symbols: builtins.list[str],
        started_at: datetime,
        trigger: str = "scheduled",
    ) -> Statement:
        """The INSERT of a running cycle, for a batch with its `cycle.started` event.

        Raises:
            InvalidRecordError: The id or trigger is empty, or `started_at` is naive.
        """
        if not cycle_id or not trigger:
            raise InvalidRecordError("a cycle needs a non-empty id and trigger")
        now = format_utc(self._clock.now())
        return Statement(
            "INSERT INTO cycles (id, environment, status, trigger, started_at, config_version, "
            "symbols, created_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
            (
                cycle_id,
                self._environment,
                trigger,
                format_utc(started_at),
                config_version,
                dump_json(list(symbols), "cycle symbols"),
                now,
                now,
            ),
        )

    def finish_statement(
        self,
        cycle_id: str,
        *,
        status: CycleStatus,
        finished_at: datetime,
        tokens_used: int = 0,
        cost_usd: Decimal | str = "0",
        wall_ms: int | None = None,
        error: str | None = None,
    ) -> Statement:
        """The UPDATE that closes a cycle (only a running one), for a batch with its event.

        Raises:
            InvalidRecordError: The status is `running` or unknown, or a value is malformed.
        """
        if status == "running" or status not in CYCLE_STATUSES:
            raise InvalidRecordError(
                f"a cycle finishes as completed, failed or cancelled, not {status!r}"
            )
        return Statement(
            "UPDATE cycles SET status = ?, finished_at = ?, tokens_used = ?, cost_usd = ?, "
            "wall_ms = ?, error = ?, updated_at = ? "
            "WHERE environment = ? AND id = ? AND status = 'running'",
            (
                status,
                format_utc(finished_at),
                tokens_used,
                decimal_text(cost_usd, "cycle cost_usd"),
                wall_ms,
                error,
                format_utc(self._clock.now()),
                self._environment,
                cycle_id,
            ),
        )

    async def start(
        self,
        cycle_id: str,
        *,
        config_version: int,
        symbols: builtins.list[str],
        started_at: datetime,
        trigger: str = "scheduled",
    ) -> None:
        """Stores a running cycle (see `start_statement`)."""
        statement = self.start_statement(
            cycle_id,
            config_version=config_version,
            symbols=symbols,
            started_at=started_at,
            trigger=trigger,
        )
        await self._db.execute(statement.sql, statement.params)

    async def finish(
        self,
        cycle_id: str,
        *,
        status: CycleStatus,
        finished_at: datetime,
        tokens_used: int = 0,
        cost_usd: Decimal | str = "0",
        wall_ms: int | None = None,
        error: str | None = None,
    ) -> None:
        """Closes a running cycle (see `finish_statement`).

        Raises:
            CycleNotFoundError: No running cycle with this id exists here.
        """
        statement = self.finish_statement(
            cycle_id,
            status=status,
            finished_at=finished_at,
            tokens_used=tokens_used,
            cost_usd=cost_usd,
            wall_ms=wall_ms,
            error=error,
        )
        result = await self._db.execute(statement.sql, statement.params)
        if result.rows_affected == 0:
            raise CycleNotFoundError(
                f"no running cycle {cycle_id!r} in {self._environment}; it is unknown or "
                f"already finished"
            )

    async def get(self, cycle_id: str) -> CycleRecord | None:
        """The cycle with this id, or None."""
        row = await self._db.query_one(
            f"SELECT {_COLUMNS} FROM cycles WHERE environment = ? AND id = ?",  # noqa: S608 - constant names only
            (self._environment, cycle_id),
        )
        return _record(row) if row is not None else None

    async def list(self, limit: int = 50, offset: int = 0) -> builtins.list[CycleRecord]:
        """A page of cycles, newest first."""
        page(limit, offset)
        rows = await self._db.query(
            f"SELECT {_COLUMNS} FROM cycles WHERE environment = ? "  # noqa: S608 - constant names only
            f"ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
            (self._environment, limit, offset),
        )
        return [_record(row) for row in rows]


def _record(row: Row) -> CycleRecord:
    status = text(row, "status")
    if status not in CYCLE_STATUSES:
        raise CorruptRecordError(f"cycle {row.get('id')!r} has unknown status {status!r}")
    return CycleRecord(
        id=text(row, "id"),
        status=status,  # type: ignore[arg-type]
        trigger=text(row, "trigger"),
        started_at=text(row, "started_at"),
        finished_at=optional_text(row, "finished_at"),
        config_version=integer(row, "config_version"),
        symbols=tuple(str(s) for s in json_column(row, "symbols")),
        tokens_used=integer(row, "tokens_used"),
        cost_usd=text(row, "cost_usd"),
        wall_ms=optional_integer(row, "wall_ms"),
        error=optional_text(row, "error"),
        created_at=text(row, "created_at"),
        updated_at=text(row, "updated_at"),
    )
