"""The cycle store: one row per trading cycle with its status, timings and budget use."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Final, Literal, get_args

from cream.storage.database import Row, Statement
from cream.storage.errors import CorruptRecordError, InvalidRecordError, StorageError
from cream.storage.repository import EnvironmentRepository
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

CycleStatus = Literal["queued", "running", "completed", "failed", "cancelled"]
CYCLE_STATUSES: Final = get_args(CycleStatus)

_COLUMNS: Final = (
    "id, status, trigger, requested_at, requested_by, use_draft, started_at, finished_at, "
    "config_version, symbols, tokens_used, cost_usd, wall_ms, error, created_at, updated_at"
)
# A start turns a queued row (requested over the API) into a running one, keeping who asked
# and how; any other existing row makes the INSERT conflict and change nothing.
_START: Final = (
    "INSERT INTO cycles (id, environment, status, trigger, requested_at, started_at, "
    "config_version, symbols, created_at, updated_at) "
    "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (environment, id) DO UPDATE SET status = 'running', "
    "started_at = excluded.started_at, config_version = excluded.config_version, "
    "symbols = excluded.symbols, updated_at = excluded.updated_at "
    "WHERE cycles.status = 'queued'"
)


class CycleNotFoundError(StorageError):
    """No cycle with this id exists in the repository's environment."""

    code: ClassVar[str] = "CYCLE_NOT_FOUND"


class CycleAlreadyStartedError(StorageError):
    """A cycle with this id already runs or ran; only a queued one can be started."""

    code: ClassVar[str] = "CYCLE_ALREADY_STARTED"


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One trading cycle as stored; timestamps are UTC text, `cost_usd` a decimal string.

    `started_at` is None while the cycle is queued; `requested_at` is when it was asked for.
    """

    id: str
    config_version: int
    symbols: tuple[str, ...]
    started_at: str | None
    trigger: str = "scheduled"
    status: CycleStatus = "running"
    requested_at: str = ""
    requested_by: str = "system"
    use_draft: bool = False
    finished_at: str | None = None
    tokens_used: int = 0
    cost_usd: str = "0"
    wall_ms: int | None = None
    error: str | None = None
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)


class CycleRepository(EnvironmentRepository):
    """Cycles of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def start_statement(
        self,
        cycle_id: str,
        *,
        config_version: int,
        symbols: builtins.list[str],
        started_at: datetime,
        trigger: str = "scheduled",
    ) -> Statement:
        """The upsert of a running cycle, for a batch with its `cycle.started` event.

        A queued cycle with this id (requested over the API) becomes running, keeping its
        trigger and requester; a cycle that already runs or ran is left unchanged (the
        statement then affects no row).

        Raises:
            InvalidRecordError: The id or trigger is empty, or `started_at` is naive.
        """
        if not cycle_id or not trigger:
            raise InvalidRecordError("a cycle needs a non-empty id and trigger")
        now = format_utc(self._clock.now())
        started = format_utc(started_at)
        return Statement(
            _START,
            (
                cycle_id,
                self._environment,
                trigger,
                started,
                started,
                config_version,
                dump_json(list(symbols), "cycle symbols"),
                now,
                now,
            ),
        )

    def enqueue_statement(
        self,
        cycle_id: str,
        *,
        config_version: int,
        symbols: builtins.list[str],
        requested_at: datetime,
        requested_by: str,
        use_draft: bool = False,
        trigger: str = "api",
    ) -> Statement:
        """The INSERT of a queued cycle, for a batch with its `cycle.requested` command.

        `symbols` is empty when the cycle runs over the config's universe.

        Raises:
            InvalidRecordError: The id, trigger or requester is empty, or a time is naive.
        """
        if not cycle_id or not trigger or not requested_by:
            raise InvalidRecordError("a queued cycle needs a non-empty id, trigger and requester")
        now = format_utc(self._clock.now())
        return Statement(
            "INSERT INTO cycles (id, environment, status, trigger, requested_at, requested_by, "
            "use_draft, config_version, symbols, created_at, updated_at) "
            "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cycle_id,
                self._environment,
                trigger,
                format_utc(requested_at),
                requested_by,
                int(use_draft),
                config_version,
                dump_json(list(symbols), "cycle symbols"),
                now,
                now,
            ),
        )

    async def enqueue(
        self,
        cycle_id: str,
        *,
        config_version: int,
        symbols: builtins.list[str],
        requested_at: datetime,
        requested_by: str,
        use_draft: bool = False,
        trigger: str = "api",
    ) -> None:
        """Stores a queued cycle (see `enqueue_statement`)."""
        statement = self.enqueue_statement(
            cycle_id,
            config_version=config_version,
            symbols=symbols,
            requested_at=requested_at,
            requested_by=requested_by,
            use_draft=use_draft,
            trigger=trigger,
        )
        await self._db.execute(statement.sql, statement.params)

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
        """The UPDATE that closes a running or queued cycle, for a batch with its event.

        A queued cycle can fail or be cancelled before it starts (the worker refused it).

        Raises:
            InvalidRecordError: The status is `running` or unknown, or a value is malformed.
        """
        if status in ("running", "queued") or status not in CYCLE_STATUSES:
            raise InvalidRecordError(
                f"a cycle finishes as completed, failed or cancelled, not {status!r}"
            )
        return Statement(
            "UPDATE cycles SET status = ?, finished_at = ?, tokens_used = ?, cost_usd = ?, "
            "wall_ms = ?, error = ?, updated_at = ? "
            "WHERE environment = ? AND id = ? AND status IN ('running', 'queued')",
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
        """Stores a running cycle, or starts the queued one (see `start_statement`).

        Raises:
            CycleAlreadyStartedError: A cycle with this id already runs or ran.
        """
        statement = self.start_statement(
            cycle_id,
            config_version=config_version,
            symbols=symbols,
            started_at=started_at,
            trigger=trigger,
        )
        result = await self._db.execute(statement.sql, statement.params)
        if result.rows_affected == 0:
            raise CycleAlreadyStartedError(
                f"cycle {cycle_id!r} in {self._environment} already runs or ran; only a new or "
                f"queued cycle can start"
            )

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
                f"no running or queued cycle {cycle_id!r} in {self._environment}; it is "
                f"unknown or already finished"
            )

    async def get(self, cycle_id: str) -> CycleRecord | None:
        """The cycle with this id, or None."""
        row = await self._db.query_one(
            f"SELECT {_COLUMNS} FROM cycles WHERE environment = ? AND id = ?",  # noqa: S608 - constant names only
            (self._environment, cycle_id),
        )
        return _record(row) if row is not None else None

    async def list(
        self, limit: int = 50, offset: int = 0, *, status: CycleStatus | None = None
    ) -> builtins.list[CycleRecord]:
        """A page of cycles, newest request first, optionally of one status.

        Raises:
            InvalidRecordError: The page bounds or the status are invalid.
        """
        page(limit, offset)
        where = "environment = ?"
        params: builtins.list[str | int] = [self._environment]
        if status is not None:
            if status not in CYCLE_STATUSES:
                raise InvalidRecordError(f"unknown cycle status {status!r}")
            where += " AND status = ?"
            params.append(status)
        rows = await self._db.query(
            f"SELECT {_COLUMNS} FROM cycles WHERE {where} "  # noqa: S608 - constant names only
            f"ORDER BY requested_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
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
        requested_at=text(row, "requested_at"),
        requested_by=text(row, "requested_by"),
        use_draft=integer(row, "use_draft") == 1,
        started_at=optional_text(row, "started_at"),
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
