"""Building workers for tests: two of them on one database play two processes."""

from __future__ import annotations

from typing import Any

from cream.clock import ManualClock
from cream.events.log import EventLog
from cream.events.types import CYCLE_REQUESTED
from cream.events.wakeups import Notifier
from cream.locks import LockManager
from cream.storage.database import Database
from worker.calendar import TradingCalendar
from worker.executor import CycleExecutor
from worker.options import WorkerOptions
from worker.runtime import Worker

FAST = WorkerOptions(lock_poll_seconds=0.01, poll_seconds=0.05, lock_ttl_seconds=30)


def make_worker(
    db: Database,
    locks: LockManager,
    executor: CycleExecutor,
    clock: ManualClock,
    calendar: TradingCalendar | None,
    *,
    notifier: Notifier | None = None,
    options: WorkerOptions = FAST,
) -> Worker:
    return Worker(
        environment="PAPER",
        db=db,
        locks=locks,
        executor=executor,
        options=options,
        clock=clock,
        calendar=calendar,
        notifier=notifier,
    )


async def request_cycle(db: Database, clock: ManualClock, payload: dict[str, Any]) -> str:
    """Appends a `cycle.requested` command as the API does; returns the event id."""
    log = EventLog(db, "PAPER", producer="api", clock=clock)
    event = log.event(
        CYCLE_REQUESTED, payload, kind="command", cycle_id=str(payload.get("cycle_id", ""))
    )
    await log.commit([], [event])
    return event.id
