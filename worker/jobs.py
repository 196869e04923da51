"""The worker's jobs: scheduled and requested trading cycles, prediction markets, filings.

Every job is single-flight across processes: it takes its lease first. A scheduled job
whose lease is held skips its slot and records the skip (the holder is already doing the
work); a requested cycle waits for the lease, because the person who pressed the button
expects their cycle to run. Holding the lease, the job claims its slot in `job_runs`, so
a slot that another worker finished is not run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cream.clock import Clock
from cream.config.versions import ConfigVersion
from cream.context.bundle import gather_context
from cream.context.source import ContextRequest, ContextSource, SourceKind
from cream.engine.client import EngineCallError
from cream.events.log import EventLog
from cream.events.outbox import StoredEvent
from cream.events.types import CYCLE_FAILED
from cream.locks import Lease, LockManager, LockUnavailableError, acquire_waiting, keep_renewed
from cream.storage.cycles import CycleRepository
from cream.storage.database import Statement
from cream.storage.errors import InvalidRecordError, StorageError
from cream.storage.timestamps import format_utc
from worker.equity import EquityRecorder
from worker.executor import CycleExecutor
from worker.options import WorkerOptions
from worker.runs import JobRun, JobRunStore, RunStatus
from worker.state import RunningCycle, WorkerState
from workflows.trading_cycle.contract import CycleRequest, CycleResult

logger = logging.getLogger(__name__)

REQUESTED_JOB = "requested_cycle"
# A cycle stopped before its end (interrupted at a checkpoint, or cancelled) is a
# `cancelled` run: the next claim of its slot takes it over and the runner resumes it.
RUN_STATUS: dict[str, RunStatus] = {
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    "interrupted": "cancelled",
}
CYCLE_LOCK = "cycle"


class CycleInterruptedError(Exception):
    """A requested cycle stopped before its end (shutdown, lost lease): deliver it again.

    Raised out of the consumer's handler so the request's offset is not committed; the next
    delivery claims the interrupted run and the runner resumes the cycle from its checkpoint.
    """


@dataclass(frozen=True, slots=True)
class Slot:
    """One firing of a scheduled job: which job, its lock, and the fire time it is for."""

    job: str
    lock: str
    fire_time: datetime

    @property
    def run_key(self) -> str:
        """The `job_runs.run_key` of this slot."""
        return format_utc(self.fire_time)


@dataclass(frozen=True, slots=True)
class Guard:
    """A held lease and the event set if it is lost while the job runs."""

    lease: Lease
    lost: asyncio.Event


@dataclass
class JobContext:
    """Everything a job needs, built once by the runtime."""

    environment: str
    locks: LockManager
    runs: JobRunStore
    cycles: CycleRepository
    events: EventLog
    executor: CycleExecutor
    options: WorkerOptions
    clock: Clock
    state: WorkerState
    stop: asyncio.Event
    sources: Sequence[ContextSource]
    config: Callable[[], ConfigVersion | None]
    equity: EquityRecorder | None = None


JobFunction = Callable[[JobContext, Slot], Awaitable[None]]


class CycleRequestPayload(BaseModel):
    """The payload of a `cycle.requested` command (see `cream.events.types`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cycle_id: str = Field(min_length=1, max_length=128)
    symbols: list[str] | None = None
    use_draft: bool = False
    requested_by: str = Field(default="system", min_length=1)
    trigger: Literal["api", "cli", "schedule"] = "api"


def scheduled_cycle_id(slot: Slot) -> str:
    """The cycle id of a scheduled slot: the same in every worker, so a resume finds it."""
    return f"c-{slot.fire_time:%Y%m%dT%H%M%SZ}-sched"


async def run_scheduled_cycle(ctx: JobContext, slot: Slot) -> None:
    """The hourly cycle: runs it unless another worker holds the cycle lock."""
    request = CycleRequest(
        cycle_id=scheduled_cycle_id(slot), trigger="schedule", requested_by="worker"
    )
    async with _single_flight(ctx, slot.job, slot.lock, slot.run_key, wait=False) as guard:
        if guard is not None:
            await _run_cycle(ctx, slot.job, slot.run_key, request, guard)


async def handle_cycle_request(ctx: JobContext, stored: StoredEvent) -> Sequence[Statement]:
    """Consumer handler of `cycle.requested`: waits for the cycle lock, then runs the cycle.

    A malformed request is recorded as a failed run and not retried (it would never parse).

    Raises:
        CycleInterruptedError: The worker is stopping; the event is left for the next start.
    """
    event = stored.event
    try:
        payload = CycleRequestPayload.model_validate(event.payload)
    except ValidationError as exc:
        logger.error("cycle request %s refused: %s", event.id, exc)
        run, _ = await ctx.runs.claim(REQUESTED_JOB, event.id, holder=ctx.locks.holder)
        if run is not None:
            detail = {"error": "INVALID_CYCLE_REQUEST", "message": str(exc)}
            await ctx.runs.finish(run, "failed", detail)
            cycle_id = event.payload.get("cycle_id") or event.cycle_id
            if isinstance(cycle_id, str) and cycle_id:
                await _close_unfinished(ctx, cycle_id, f"INVALID_CYCLE_REQUEST: {exc}")
        return ()
    request = CycleRequest(
        cycle_id=payload.cycle_id,
        symbols=tuple(payload.symbols) if payload.symbols else None,
        use_draft=payload.use_draft,
        trigger=payload.trigger,
        requested_by=payload.requested_by,
    )
    async with _single_flight(ctx, REQUESTED_JOB, CYCLE_LOCK, event.id, wait=True) as guard:
        if guard is None:
            raise CycleInterruptedError(f"cycle request {event.id} left for the next start")
        outcome = await _run_cycle(ctx, REQUESTED_JOB, event.id, request, guard)
    if outcome == "interrupted":
        raise CycleInterruptedError(f"cycle {payload.cycle_id} stopped at a checkpoint")
    return ()


async def snapshot_equity(ctx: JobContext, slot: Slot) -> None:
    """Every few minutes while the session is open: one point of the equity curve.

    The snapshot and the run's outcome are one batch, so a slot marked completed always has
    its point; an engine that does not answer fails the run with its error code.
    """
    async with _single_flight(ctx, slot.job, slot.lock, slot.run_key, wait=False) as guard:
        if guard is None:
            return
        mine, _ = await ctx.runs.claim(slot.job, slot.run_key, holder=ctx.locks.holder)
        if mine is None:
            return
        if ctx.equity is None:
            await ctx.runs.finish(mine, "failed", {"error": "NO_ACCOUNT_SOURCE"})
            return
        ctx.state.running[slot.job] = ctx.clock.now()
        try:
            snapshot = await ctx.equity.snapshot("schedule")
        except (EngineCallError, InvalidRecordError) as exc:
            logger.warning("%s %s: %s", slot.job, slot.run_key, exc)
            await ctx.runs.finish(mine, "failed", {"error": exc.code, "message": str(exc)})
            return
        finally:
            ctx.state.running.pop(slot.job, None)
        finish = ctx.runs.finish_statement(mine, "completed", snapshot.detail)
        await ctx.equity.store(snapshot, finish)


async def refresh_prediction_markets(ctx: JobContext, slot: Slot) -> None:
    """Every 15 minutes: asks Kalshi and Polymarket about the universe."""
    await _context_job(ctx, slot, SourceKind.PREDICTION_MARKETS)


async def sync_filings(ctx: JobContext, slot: Slot) -> None:
    """Daily at 06:00 New York: asks SEC EDGAR for the universe's recent filings."""
    await _context_job(ctx, slot, SourceKind.FILINGS)


@contextlib.asynccontextmanager
async def _single_flight(
    ctx: JobContext, job: str, lock: str, run_key: str, *, wait: bool
) -> AsyncIterator[Guard | None]:
    """Holds `lock` (renewed) for the block; yields None when skipped or stopped."""
    ttl = ctx.options.lock_ttl
    if wait:
        lease = await acquire_waiting(
            ctx.locks, lock, ttl, stop=ctx.stop, poll_seconds=ctx.options.lock_poll_seconds
        )
    else:
        try:
            lease = await ctx.locks.try_acquire(lock, ttl)
        except LockUnavailableError as exc:
            logger.error("%s: %s; slot %s not run", job, exc.message, run_key)
            ctx.state.errors[job] = exc.message
            yield None
            return
        if lease is None:
            holder = await ctx.locks.holder_of(lock)
            logger.info("%s %s skipped: lock %r held by %s", job, run_key, lock, holder)
            ctx.state.skipped[job] = ctx.state.skipped.get(job, 0) + 1
            detail = {"reason": "LOCK_HELD", "lock": lock, "held_by": holder}
            await ctx.runs.skip(job, run_key, holder=ctx.locks.holder, detail=detail)
    if lease is None:
        yield None
        return
    lost = asyncio.Event()
    async with keep_renewed(lease, ttl, lost=lost):
        yield Guard(lease, lost)


async def _run_cycle(
    ctx: JobContext, job: str, run_key: str, request: CycleRequest, guard: Guard
) -> str | None:
    """Claims the slot and runs the cycle under the held lease; returns the cycle's status.

    The cycle is asked to stop at its next checkpoint when the worker shuts down or the
    lease is lost (another worker may then take the slot over).
    """
    mine, done = await ctx.runs.claim(
        job, run_key, holder=ctx.locks.holder, cycle_id=request.cycle_id
    )
    if mine is None:
        assert done is not None
        logger.info("%s %s already %s by %s", job, run_key, done.status, done.holder)
        return None
    stop = asyncio.Event()
    relays = [
        asyncio.create_task(_relay(ctx.stop, stop)),
        asyncio.create_task(_relay(guard.lost, stop)),
    ]
    ctx.state.running[job] = ctx.clock.now()
    ctx.state.cycle = RunningCycle(request.cycle_id, request.trigger, run_key, ctx.clock.now())
    try:
        result = await ctx.executor.run(request, stop=stop)
    except Exception as exc:
        logger.exception("%s %s: cycle %s raised", job, run_key, request.cycle_id)
        # The runner's setup errors carry a stable code (CONFIG_NOT_ACTIVE, ...).
        code = str(getattr(exc, "code", "CYCLE_CRASHED"))
        detail: dict[str, Any] = {"error": code, "message": f"{type(exc).__name__}: {exc}"}
        await ctx.runs.finish(mine, "failed", detail)
        if request.cycle_id:
            await _close_unfinished(ctx, request.cycle_id, f"{code}: {exc}")
            await _equity_after(ctx, request.cycle_id)
        return "failed"
    finally:
        for relay in relays:
            relay.cancel()
        ctx.state.cycle = None
        ctx.state.running.pop(job, None)
    status = RUN_STATUS.get(result.status, "failed")
    await ctx.runs.finish(mine, status, _cycle_detail(result), cycle_id=result.cycle_id)
    logger.info("%s %s: cycle %s %s", job, run_key, result.cycle_id, result.status)
    await _equity_after(ctx, result.cycle_id)
    return result.status


async def _equity_after(ctx: JobContext, cycle_id: str) -> None:
    """The equity point right after a cycle (it may have traded); never fails the cycle."""
    if ctx.equity is not None and cycle_id:
        await ctx.equity.after_cycle(cycle_id)


async def _close_unfinished(ctx: JobContext, cycle_id: str, error: str) -> None:
    """Marks a queued or running cycle failed, with its `cycle.failed` event, in one batch.

    The API stores a requested cycle as `queued` and the dashboard waits for it to end; a
    cycle that could not start (or whose run raised) must end visibly, not stay queued.
    """
    try:
        record = await ctx.cycles.get(cycle_id)
        if record is None or record.status not in ("queued", "running"):
            return
        now = ctx.clock.now()
        failed = ctx.events.event(
            CYCLE_FAILED,
            {
                "cycle_id": cycle_id,
                "status": "failed",
                "decisions": 0,
                "orders": 0,
                "wall_ms": None,
                "error": error,
            },
            cycle_id=cycle_id,
        )
        statement = ctx.cycles.finish_statement(
            cycle_id, status="failed", finished_at=now, error=error
        )
        await ctx.events.commit([statement], [failed])
    except StorageError as exc:
        logger.error("cycle %s could not be marked failed: %s", cycle_id, exc.message)


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def _cycle_detail(result: CycleResult) -> dict[str, Any]:
    return {
        "cycle_id": result.cycle_id,
        "status": result.status,
        "config_version": result.config_version,
        "decisions": len(result.decisions),
        "orders": len(result.orders),
        "wall_ms": result.wall_ms,
        "error": result.error,
    }


async def _context_job(ctx: JobContext, slot: Slot, kind: SourceKind) -> None:
    async with _single_flight(ctx, slot.job, slot.lock, slot.run_key, wait=False) as guard:
        if guard is None:
            return
        mine, _ = await ctx.runs.claim(slot.job, slot.run_key, holder=ctx.locks.holder)
        if mine is None:
            return
        ctx.state.running[slot.job] = ctx.clock.now()
        try:
            await _fetch_context(ctx, mine, kind)
        finally:
            ctx.state.running.pop(slot.job, None)


async def _fetch_context(ctx: JobContext, run: JobRun, kind: SourceKind) -> None:
    version = ctx.config()
    if version is None:
        await ctx.runs.finish(run, "failed", {"error": "NO_ACTIVE_CONFIG"})
        return
    symbols = tuple(version.document().universe.symbols)
    sources = [source for source in ctx.sources if source.kind is kind]
    bundle = await gather_context(sources, ContextRequest(symbols=symbols, as_of=ctx.clock.now()))
    errors = [status for status in bundle.statuses if status.state == "error"]
    detail = {
        "symbols": list(symbols),
        "items": len(bundle.items),
        "sources": bundle.status_lines(),
    }
    await ctx.runs.finish(run, "failed" if errors else "completed", detail)
    for status in errors:
        logger.warning("%s: %s", run.job, status.describe())
