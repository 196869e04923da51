"""`Worker`: the schedule table on APScheduler, the request consumer, config hot reload, shutdown.

Times the worker computes (next runs after a config change, the slot a run belongs to) come
from the injected clock; APScheduler's own loop uses the wall clock between runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from cream.clock import Clock
from cream.config.errors import ConfigError
from cream.config.service import ConfigService
from cream.config.versions import ConfigVersion
from cream.config.watcher import ActiveConfigWatcher
from cream.context.source import ContextSource
from cream.events.consumer import Consumer
from cream.events.log import EventLog
from cream.events.outbox import StoredEvent
from cream.events.types import CYCLE_REQUESTED
from cream.events.wakeups import Notifier, Wakeup
from cream.locks import LockManager
from cream.storage.cycles import CycleRepository
from cream.storage.database import Database, Statement
from cream.storage.equity import EquityRepository
from worker.alignment import ScheduleError, ScheduleTrigger, latest_fire_time
from worker.calendar import TradingCalendar
from worker.equity import AccountSource, EquityRecorder
from worker.executor import CycleExecutor
from worker.jobs import CycleInterruptedError, JobContext, Slot, handle_cycle_request
from worker.options import WorkerOptions
from worker.runs import JobRunStore
from worker.schedule import SCHEDULE, ScheduleEntry, fire_times, interval_ms
from worker.state import WorkerState

logger = logging.getLogger(__name__)

CONFIG_CONSUMER = "worker.config"
REQUEST_CONSUMER = "worker.cycles"


class Worker:
    """One worker process's scheduler and consumers.

    Args:
        environment: BACKTEST, PAPER or LIVE.
        db: An open, migrated database.
        locks: Leases shared with the other workers (Redis or database).
        executor: Runs trading cycles.
        options: The worker's knobs.
        clock: Source of "now" for alignment, slots and records.
        calendar: The exchange calendar (None: every day counts as a session).
        notifier: Event wake-ups (Redis or in-process).
        sources: External-context adapters for the prediction-market and filings jobs.
        account: The engine's account RPC, for the equity curve (None: no snapshots; the
            scheduled equity job then fails its runs with NO_ACCOUNT_SOURCE).
        schedule: The schedule table (tests may pass a subset).
    """

    def __init__(
        self,
        *,
        environment: str,
        db: Database,
        locks: LockManager,
        executor: CycleExecutor,
        options: WorkerOptions,
        clock: Clock,
        calendar: TradingCalendar | None,
        notifier: Notifier | None = None,
        sources: Sequence[ContextSource] = (),
        account: AccountSource | None = None,
        schedule: Sequence[ScheduleEntry] = SCHEDULE,
    ) -> None:
        self.environment = environment
        self.db = db
        self.locks = locks
        self.options = options
        self.clock = clock
        self.calendar = calendar
        self.schedule = tuple(schedule)
        self.stop = asyncio.Event()
        self.state = WorkerState(started_at=clock.now())
        self.runs = JobRunStore(db, environment, clock=clock)
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(options.misfire_grace_seconds),
            },
        )
        self._notifier = notifier
        self._applied: dict[str, int | None] = {}
        self._triggers: dict[str, ScheduleTrigger] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._active: set[asyncio.Task[Any]] = set()
        self.watcher = ActiveConfigWatcher(
            ConfigService(db, notifier=notifier, clock=clock),
            environment,
            consumer_name=CONFIG_CONSUMER,
            db=db,
            notifier=notifier,
            on_change=self.apply_config,
            poll_interval=options.poll_seconds,
        )
        self.context = JobContext(
            environment=environment,
            locks=locks,
            runs=self.runs,
            cycles=CycleRepository(db, environment, clock=clock),
            events=EventLog(db, environment, producer="worker", notifier=notifier, clock=clock),
            executor=executor,
            options=options,
            clock=clock,
            state=self.state,
            stop=self.stop,
            sources=tuple(sources),
            config=lambda: self.watcher.current,
            equity=(
                EquityRecorder(
                    account,
                    db,
                    EquityRepository(db, environment, clock=clock),
                    clock=clock,
                    timeout=options.account_timeout_seconds,
                )
                if account is not None
                else None
            ),
        )
        self.requests = Consumer(
            db,
            environment,
            REQUEST_CONSUMER,
            self._handle_request,
            notifier=notifier,
            types=(CYCLE_REQUESTED,),
            poll_interval=options.poll_seconds,
            # One request per commit: a crash mid-cycle redelivers only that request.
            batch_size=1,
            clock=clock,
        )

    @property
    def config(self) -> ConfigVersion | None:
        """The active config version in force."""
        return self.watcher.current

    async def start(self, *, run_schedule: bool = True, consume_requests: bool = True) -> None:
        """Loads the active config, schedules the table and starts following events.

        Args:
            run_schedule: False starts the scheduler paused (jobs are planned, never fired).
            consume_requests: False leaves `cycle.requested` commands to `poll_requests()`.
        """
        self.scheduler.start(paused=not run_schedule)
        if await self.watcher.start() is None:
            message = (
                f"no active config for {self.environment}: nothing is scheduled until one is "
                f"promoted (run `cream db seed`)"
            )
            logger.warning(message)
            self.state.errors["config"] = message
        self._tasks.append(asyncio.create_task(self.watcher.run(self.stop), name="worker-config"))
        if consume_requests:
            self._tasks.append(asyncio.create_task(self._consume(), name="worker-requests"))

    async def reload(self) -> ConfigVersion | None:
        """SIGHUP: re-reads the active config and reschedules what changed."""
        logger.info("reloading the active config (SIGHUP)")
        return await self.watcher.reload()

    async def apply_config(self, version: ConfigVersion) -> None:
        """Schedules the table under `version`; a job whose interval changed is re-planned.

        An invalid document or interval leaves the previous schedule in force (fail closed)
        and is reported by /health.
        """
        try:
            document = version.document()
        except ConfigError as exc:
            self._refuse(version, str(exc))
            return
        now = self.clock.now()
        refused = False
        for entry in self.schedule:
            wanted = interval_ms(entry, document)
            if entry.name in self._applied and self._applied[entry.name] == wanted:
                continue
            try:
                trigger = ScheduleTrigger(fire_times(entry, document, self.options, self.calendar))
            except ScheduleError as exc:
                self._refuse(version, f"{entry.name}: {exc.message}")
                refused = True
                continue
            next_run = trigger.get_next_fire_time(None, now)
            if next_run is None:
                logger.error("%s has no next run: %s", entry.name, trigger.error)
            self._plan(entry, trigger, next_run)
            self._applied[entry.name] = wanted
            logger.info("%s next runs at %s (config %s)", entry.name, next_run, version.label)
        if not refused:
            self.state.errors.pop("config", None)

    def next_run(self, job: str) -> datetime | None:
        """When the scheduler will next fire `job` (None: not scheduled)."""
        planned = self.scheduler.get_job(job)
        return None if planned is None else planned.next_run_time

    def trigger(self, job: str) -> ScheduleTrigger | None:
        """The job's current trigger."""
        return self._triggers.get(job)

    async def fire(self, entry: ScheduleEntry) -> None:
        """Runs one slot of `entry` now (APScheduler calls this; tests may too)."""
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            if self.stop.is_set():
                return
            now = self.clock.now()
            trigger = self._triggers.get(entry.name)
            fire_time = latest_fire_time(trigger.schedule, now) if trigger is not None else None
            await entry.job(self.context, Slot(entry.name, entry.lock, fire_time or now))
        except Exception:
            logger.exception("job %s failed", entry.name)
        finally:
            if task is not None:
                self._active.discard(task)

    async def poll_requests(self) -> int:
        """Handles pending `cycle.requested` commands now; returns how many events were read."""
        return await self.requests.drain()

    async def shutdown(self) -> None:
        """Stops scheduling, lets running jobs reach a checkpoint, then stops the consumers."""
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.pause()
        running = [*self._active, *self._tasks]
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the next loop turn

    def _plan(
        self, entry: ScheduleEntry, trigger: ScheduleTrigger, next_run: datetime | None
    ) -> None:
        self._triggers[entry.name] = trigger
        if self.scheduler.get_job(entry.name) is None:
            self.scheduler.add_job(
                self.fire,
                trigger=trigger,
                args=(entry,),
                id=entry.name,
                name=entry.name,
                next_run_time=next_run,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=(
                    int(entry.misfire_grace.total_seconds())
                    if entry.misfire_grace is not None
                    else int(self.options.misfire_grace_seconds)
                ),
            )
        else:
            self.scheduler.modify_job(entry.name, trigger=trigger, next_run_time=next_run)

    def _refuse(self, version: ConfigVersion, message: str) -> None:
        text = f"config {version.label} not applied to the schedule: {message}"
        logger.error(text)
        self.state.errors["config"] = text

    async def _handle_request(self, stored: StoredEvent) -> Sequence[Statement]:
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            return await handle_cycle_request(self.context, stored)
        finally:
            if task is not None:
                self._active.discard(task)

    async def _consume(self) -> None:
        """Like `Consumer.run`; an interrupted request stays in the log and is delivered again."""
        wakeup = await self._notifier.subscribe(self.environment) if self._notifier else None
        try:
            while not self.stop.is_set():
                try:
                    await self.requests.drain()
                except CycleInterruptedError as exc:
                    if self.stop.is_set():
                        logger.info("%s; it resumes at the next start", exc)
                        return
                    logger.warning("%s; resuming it after the poll", exc)
                except Exception:
                    logger.exception("cycle requests: poll failed; retrying")
                await _pause(wakeup, self.stop, self.options.poll_seconds)
        finally:
            if wakeup is not None:
                wakeup.close()


async def _pause(wakeup: Wakeup | None, stop: asyncio.Event, seconds: float) -> None:
    waiters: list[asyncio.Future[bool]] = [asyncio.ensure_future(stop.wait())]
    if wakeup is not None:
        waiters.append(asyncio.ensure_future(wakeup.wait(seconds)))
    _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
