"""The worker process: build dependencies, start the schedule and /health, handle signals.

SIGHUP reloads the active config; SIGINT/SIGTERM stop scheduling, let a running cycle reach
its next checkpoint, then exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import httpx

from cream.clock import Clock, SystemClock
from cream.context.config import ContextSettings, build_sources
from cream.engine.client import EngineClient
from cream.events.log import notifier_for
from cream.heap import freeze_startup_heap
from cream.locks import RedisLockManager, lock_manager_for
from cream.settings import Settings
from cream.storage.database import Database
from cream.storage.errors import StorageError
from worker.calendar import CalendarError, ExchangeCalendar, TradingCalendar
from worker.executor import CycleExecutor, RunnerUnavailableError, load_cycle_runner
from worker.health import HealthServer, database_check, engine_check, redis_check
from worker.options import WorkerOptions
from worker.runtime import Worker

logger = logging.getLogger("worker")


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` → (host, port).

    Raises:
        ValueError: Not of that form.
    """
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--listen {listen!r} must be HOST:PORT, e.g. 127.0.0.1:3002")
    return host, int(port)


async def serve(
    settings: Settings,
    options: WorkerOptions,
    listen: str,
    *,
    executor: AbstractAsyncContextManager[CycleExecutor] | None = None,
    clock: Clock | None = None,
) -> int:
    """Runs the worker until SIGINT/SIGTERM; returns the exit code.

    Args:
        settings: Process settings (database, Redis, environment, engine address).
        options: The worker's knobs.
        listen: `host:port` of the health server.
        executor: The trading-cycle runner (default: `CycleRunner.from_settings`).
        clock: Defaults to the wall clock.
    """
    clock = clock or SystemClock()
    try:
        host, port = parse_listen(listen)
        calendar: TradingCalendar | None = (
            None if options.run_when_closed else ExchangeCalendar(options.exchange)
        )
        runner = executor if executor is not None else load_cycle_runner(settings)
    except (ValueError, CalendarError, RunnerUnavailableError) as exc:
        print(f"cream worker: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    environment = settings.cream_env.value
    try:
        db = await Database.connect(settings.cream_db_url)
    except StorageError as exc:
        print(f"cream worker: {exc.message}", file=sys.stderr)
        return 2
    async with AsyncExitStack() as stack:
        stack.push_async_callback(db.close)
        notifier = notifier_for(settings.redis_url)
        stack.push_async_callback(notifier.close)
        locks = lock_manager_for(settings.redis_url, db, environment, clock=clock)
        stack.push_async_callback(locks.close)
        client = await stack.enter_async_context(httpx.AsyncClient())
        cycle_executor = await stack.enter_async_context(runner)
        engine = await stack.enter_async_context(
            EngineClient(settings.cream_engine_addr, attempts=2)
        )
        worker = Worker(
            environment=environment,
            db=db,
            locks=locks,
            executor=cycle_executor,
            options=options,
            clock=clock,
            calendar=calendar,
            notifier=notifier,
            sources=build_sources(ContextSettings(), client, clock=clock),
            account=engine,
        )
        checks = {
            "database": database_check(worker),
            "redis": redis_check(locks.ping if isinstance(locks, RedisLockManager) else None),
            "engine": engine_check(settings.cream_engine_addr, options.engine_timeout_seconds),
        }
        health = HealthServer(worker, checks, host, port)
        try:
            bound = await health.start()
        except OSError as exc:
            print(f"cream worker: cannot listen on {listen}: {exc.strerror}", file=sys.stderr)
            return 2
        stack.push_async_callback(health.stop)
        freeze_startup_heap()
        await worker.start()
        _install_signals(worker)
        print(
            f"cream worker: {environment}, health on http://{host}:{bound}/health, "
            f"locks {'redis' if isinstance(locks, RedisLockManager) else 'database'}, "
            f"db {db.url}",
            flush=True,
        )
        await worker.stop.wait()
        print("cream worker: stopping (letting a running cycle reach its checkpoint)", flush=True)
        await worker.shutdown()
    print("cream worker: stopped", flush=True)
    return 0


def _install_signals(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stop.set)
    reloads: set[asyncio.Task[Any]] = set()

    def reload() -> None:
        task = asyncio.create_task(worker.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)


def configure_logging(level: str) -> None:
    """One log format for the process."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # APScheduler logs every job start at INFO; the worker logs what matters itself.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
