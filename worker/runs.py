"""The record of job runs (`job_runs`): one real run per slot, skipped attempts kept as a record.

A slot is what a run is for: a scheduled fire time, or the id of the `cycle.requested`
event. Claiming a slot happens while holding the job's lock, so a second worker that gets
the lock after the first finished sees the slot done and does not run it again.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from cream.clock import Clock, SystemClock
from cream.storage.database import Database, Row, Statement
from cream.storage.order_records import check_environment
from cream.storage.timestamps import format_utc

RunStatus = Literal["running", "completed", "failed", "cancelled", "skipped"]
# A slot in one of these states is done; `running` (its worker died) and `cancelled`
# (stopped at a checkpoint by a shutdown) are taken over and resumed by the next claim.
DONE: Final = ("completed", "failed")

_COLUMNS: Final = (
    "id, job, run_key, status, holder, cycle_id, started_at, finished_at, detail, updated_at"
)
_CLAIM: Final = (
    "INSERT INTO job_runs (id, environment, job, run_key, status, holder, cycle_id, started_at, "
    "detail, created_at, updated_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, '{}', ?, ?) "
    "ON CONFLICT (environment, job, run_key) WHERE status != 'skipped' DO UPDATE SET "
    "status = 'running', holder = excluded.holder, started_at = excluded.started_at, "
    "finished_at = NULL, updated_at = excluded.updated_at "
    "WHERE job_runs.status IN ('running', 'cancelled')"
)


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run (or skipped attempt) of a job."""

    id: str
    job: str
    run_key: str
    status: RunStatus
    holder: str
    started_at: str
    cycle_id: str | None = None
    finished_at: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for /health)."""
        return {
            "id": self.id,
            "run_key": self.run_key,
            "status": self.status,
            "holder": self.holder,
            "cycle_id": self.cycle_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "detail": self.detail,
        }


class JobRunStore:
    """Job runs of one environment.

    Args:
        db: An open, migrated database.
        environment: BACKTEST, PAPER or LIVE.
        clock: Source of every timestamp.
    """

    def __init__(self, db: Database, environment: str, *, clock: Clock | None = None) -> None:
        self._db = db
        self._environment = check_environment(environment)
        self._clock = clock or SystemClock()

    async def claim(
        self, job: str, run_key: str, *, holder: str, cycle_id: str | None = None
    ) -> tuple[JobRun | None, JobRun | None]:
        """Starts the slot's run, unless it is done; call it holding the job's lock.

        Returns:
            `(mine, None)` when this process now runs the slot, else `(None, done)` with the
            finished run that already covered it.
        """
        stamp = format_utc(self._clock.now())
        run_id = f"run-{secrets.token_hex(8)}"
        results = await self._db.batch(
            [
                Statement(
                    _CLAIM,
                    (
                        run_id,
                        self._environment,
                        job,
                        run_key,
                        holder,
                        cycle_id,
                        stamp,
                        stamp,
                        stamp,
                    ),
                ),
                Statement(
                    f"SELECT {_COLUMNS} FROM job_runs WHERE environment = ? AND job = ? "  # noqa: S608 - constant names only
                    "AND run_key = ? AND status != 'skipped'",
                    (self._environment, job, run_key),
                ),
            ]
        )
        run = _run(results[1].rows[0])
        if run.status == "running" and run.holder == holder and run.started_at == stamp:
            return run, None
        return None, run

    async def finish(
        self, run: JobRun, status: RunStatus, detail: dict[str, Any], *, cycle_id: str | None = None
    ) -> None:
        """Closes a claimed run with its outcome."""
        statement = self.finish_statement(run, status, detail, cycle_id=cycle_id)
        await self._db.execute(statement.sql, statement.params)

    def finish_statement(
        self, run: JobRun, status: RunStatus, detail: dict[str, Any], *, cycle_id: str | None = None
    ) -> Statement:
        """The UPDATE that closes a claimed run: batch it with what the run wrote."""
        stamp = format_utc(self._clock.now())
        return Statement(
            "UPDATE job_runs SET status = ?, finished_at = ?, detail = ?, "
            "cycle_id = COALESCE(?, cycle_id), updated_at = ? WHERE environment = ? AND id = ?",
            (status, stamp, _json(detail), cycle_id, stamp, self._environment, run.id),
        )

    async def skip(self, job: str, run_key: str, *, holder: str, detail: dict[str, Any]) -> None:
        """Records an attempt that did not run (another worker held the lock)."""
        stamp = format_utc(self._clock.now())
        await self._db.execute(
            "INSERT INTO job_runs (id, environment, job, run_key, status, holder, started_at, "
            "finished_at, detail, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 'skipped', ?, ?, ?, ?, ?, ?)",
            (
                f"run-{secrets.token_hex(8)}",
                self._environment,
                job,
                run_key,
                holder,
                stamp,
                stamp,
                _json(detail),
                stamp,
                stamp,
            ),
        )

    async def latest(self, job: str, *, include_skipped: bool = False) -> JobRun | None:
        """The job's most recently started run."""
        skipped = "" if include_skipped else "AND status != 'skipped' "
        row = await self._db.query_one(
            f"SELECT {_COLUMNS} FROM job_runs WHERE environment = ? AND job = ? "  # noqa: S608 - constant names only
            f"{skipped}ORDER BY started_at DESC, updated_at DESC LIMIT 1",
            (self._environment, job),
        )
        return None if row is None else _run(row)

    async def list(self, job: str | None = None, *, limit: int = 100) -> list[JobRun]:
        """Runs, newest first, optionally of one job."""
        where = "AND job = ? " if job is not None else ""
        params: tuple[str | int, ...] = (
            (self._environment, job, limit)
            if job
            else (
                self._environment,
                limit,
            )
        )
        rows = await self._db.query(
            f"SELECT {_COLUMNS} FROM job_runs WHERE environment = ? {where}"  # noqa: S608 - constant names only
            "ORDER BY started_at DESC, updated_at DESC LIMIT ?",
            params,
        )
        return [_run(row) for row in rows]


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def _run(row: Row) -> JobRun:
    status = str(row["status"])
    detail = json.loads(str(row["detail"] or "{}"))
    return JobRun(
        id=str(row["id"]),
        job=str(row["job"]),
        run_key=str(row["run_key"]),
        status=status,  # type: ignore[arg-type]  # the table's CHECK constrains it
        holder=str(row["holder"]),
        started_at=str(row["started_at"]),
        cycle_id=None if row["cycle_id"] is None else str(row["cycle_id"]),
        finished_at=None if row["finished_at"] is None else str(row["finished_at"]),
        detail=detail if isinstance(detail, dict) else {},
    )
