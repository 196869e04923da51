"""THE schedule table: every job the worker runs on a clock, declared in one place.

An entry says when a job fires (a trigger spec resolved against the active config and the
worker's options), which job runs, which lock guards it, and how late a missed run may
still start. `worker.runtime` turns the table into APScheduler jobs; nothing else schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from cream.config.schema import ConfigDocument
from worker.alignment import CandleSchedule, DailySchedule, FireTimes
from worker.calendar import NEW_YORK, TradingCalendar
from worker.jobs import (
    JobFunction,
    refresh_prediction_markets,
    run_scheduled_cycle,
    snapshot_equity,
    sync_filings,
)
from worker.options import WorkerOptions

IntervalKey = Literal["trading_cycle_interval_ms", "prediction_markets_interval_ms"]


@dataclass(frozen=True, slots=True)
class EveryInterval:
    """Fire after each close of a candle whose length is a `trading.*_interval_ms` setting.

    `sessions_only` follows the exchange calendar (unless the worker runs when closed);
    `settle` adds the worker's settle delay after the close.
    """

    interval: IntervalKey
    sessions_only: bool
    settle: bool


@dataclass(frozen=True, slots=True)
class DailyAtFilingsTime:
    """Fire daily at the worker's `filings_at` (New York time, default 06:00)."""


@dataclass(frozen=True, slots=True)
class EveryEquityInterval:
    """Fire every `equity_interval_seconds` (a worker option) on the local clock grid, within
    sessions only (unless the worker runs when closed): the account only moves then."""


TriggerSpec = EveryInterval | DailyAtFilingsTime | EveryEquityInterval


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One scheduled job.

    Args:
        name: Job id, the key of /health's `jobs` and of `job_runs.job`.
        trigger: When it fires.
        job: The coroutine that runs one slot.
        lock: The lease that makes it single-flight across workers ("cycle" is shared with
            on-demand cycles).
        misfire_grace: How late a missed fire may still run (missed fires are coalesced).
    """

    name: str
    trigger: TriggerSpec
    job: JobFunction
    lock: str
    misfire_grace: timedelta | None = None


SCHEDULE: tuple[ScheduleEntry, ...] = (
    ScheduleEntry(
        name="trading_cycle",
        trigger=EveryInterval("trading_cycle_interval_ms", sessions_only=True, settle=True),
        job=run_scheduled_cycle,
        lock="cycle",
    ),
    ScheduleEntry(
        name="prediction_markets",
        trigger=EveryInterval("prediction_markets_interval_ms", sessions_only=False, settle=False),
        job=refresh_prediction_markets,
        lock="prediction_markets",
    ),
    ScheduleEntry(
        name="equity_snapshot",
        trigger=EveryEquityInterval(),
        job=snapshot_equity,
        lock="equity_snapshot",
    ),
    ScheduleEntry(
        name="filings",
        trigger=DailyAtFilingsTime(),
        job=sync_filings,
        lock="filings",
        misfire_grace=timedelta(hours=6),
    ),
)


def fire_times(
    entry: ScheduleEntry,
    document: ConfigDocument,
    options: WorkerOptions,
    calendar: TradingCalendar | None,
) -> FireTimes:
    """The entry's fire times under a config and the worker's options.

    Raises:
        ScheduleError: The configured interval is shorter than a minute.
    """
    spec = entry.trigger
    zone = calendar.timezone if calendar is not None else NEW_YORK
    if isinstance(spec, DailyAtFilingsTime):
        return DailySchedule(options.filings_at, NEW_YORK)
    if isinstance(spec, EveryEquityInterval):
        return CandleSchedule(
            interval=timedelta(seconds=options.equity_interval_seconds),
            settle=timedelta(0),
            calendar=None if options.run_when_closed else calendar,
            zone=zone,
        )
    interval = timedelta(milliseconds=getattr(document.trading, spec.interval))
    follows = spec.sessions_only and not options.run_when_closed
    return CandleSchedule(
        interval=interval,
        settle=options.settle if spec.settle else timedelta(0),
        calendar=calendar if follows else None,
        zone=zone,
    )


def interval_ms(entry: ScheduleEntry, document: ConfigDocument) -> int | None:
    """The entry's configured interval (None for daily jobs): what a promotion can change."""
    if isinstance(entry.trigger, EveryInterval):
        value: int = getattr(document.trading, entry.trigger.interval)
        return value
    return None
