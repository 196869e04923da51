"""On-demand cycles: each `cycle.requested` command runs once, across workers and restarts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.events.outbox import read_after
from cream.events.types import CYCLE_FAILED
from cream.locks import DatabaseLockManager
from cream.storage.cycles import CycleRepository
from cream.storage.database import Database
from tests.worker.conftest import GateExecutor, InstantExecutor
from tests.worker.workers import FAST, make_worker, request_cycle
from worker.calendar import ExchangeCalendar
from worker.schedule import SCHEDULE

CYCLE = next(entry for entry in SCHEDULE if entry.name == "trading_cycle")
PAYLOAD = {
    "cycle_id": "cyc-button-1",
    "symbols": ["NVDA", "TSLA"],
    "use_draft": True,
    "requested_by": "alice",
    "trigger": "api",
}


def _locks(db: Database, clock: ManualClock, holder: str) -> DatabaseLockManager:
    return DatabaseLockManager(db, "PAPER", holder=holder, clock=clock)


async def test_a_requested_cycle_runs_once_with_its_payload_also_after_a_restart(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    executor = InstantExecutor()
    event_id = await request_cycle(db, clock, PAYLOAD)
    worker = make_worker(db, _locks(db, clock, "a"), executor, clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.poll_requests()
        await worker.poll_requests()
    finally:
        await worker.shutdown()

    restarted_executor = InstantExecutor()
    restarted = make_worker(db, _locks(db, clock, "a2"), restarted_executor, clock, nyse)
    await restarted.start(run_schedule=False, consume_requests=False)
    try:
        assert await restarted.poll_requests() == 0
    finally:
        await restarted.shutdown()

    assert len(executor.calls) == 1
    request = executor.calls[0]
    assert request.cycle_id == "cyc-button-1"
    assert request.symbols == ("NVDA", "TSLA")
    assert request.use_draft is True
    assert request.trigger == "api"
    assert request.requested_by == "alice"
    assert restarted_executor.calls == []
    run = await worker.runs.latest("requested_cycle")
    assert run is not None
    assert (run.run_key, run.status, run.cycle_id) == (event_id, "completed", "cyc-button-1")


async def test_two_workers_consuming_the_same_request_run_it_once(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    first_exec, second_exec = GateExecutor(), InstantExecutor()
    first = make_worker(db, _locks(db, clock, "a"), first_exec, clock, nyse)
    second = make_worker(db, _locks(db, clock, "b"), second_exec, clock, nyse)
    await first.start(run_schedule=False, consume_requests=False)
    await second.start(run_schedule=False, consume_requests=False)
    await request_cycle(db, clock, PAYLOAD)
    try:
        running = asyncio.create_task(first.poll_requests())
        await asyncio.wait_for(first_exec.started.wait(), 5)
        waiting = asyncio.create_task(second.poll_requests())  # waits for the cycle lock
        await asyncio.sleep(0.05)
        assert not waiting.done()
        first_exec.gate.set()
        await asyncio.wait_for(asyncio.gather(running, waiting), 10)
    finally:
        await first.shutdown()
        await second.shutdown()
    assert len(first_exec.calls) == 1
    assert second_exec.calls == []


async def test_a_request_during_a_scheduled_cycle_waits_for_it_and_then_runs(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    executor = GateExecutor()
    worker = make_worker(db, _locks(db, clock, "a"), executor, clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        scheduled = asyncio.create_task(worker.fire(CYCLE))
        await asyncio.wait_for(executor.started.wait(), 5)
        await request_cycle(db, clock, PAYLOAD)
        requested = asyncio.create_task(worker.poll_requests())
        await asyncio.sleep(0.05)
        assert not requested.done()
        assert len(executor.calls) == 1
        executor.gate.set()
        await asyncio.wait_for(asyncio.gather(scheduled, requested), 10)
    finally:
        await worker.shutdown()
    assert [call.trigger for call in executor.calls] == ["schedule", "api"]


async def test_a_malformed_request_is_recorded_as_failed_and_not_retried(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    executor = InstantExecutor()
    await request_cycle(db, clock, {"cycle_id": "", "symbols": "SPY", "surprise": 1})
    worker = make_worker(db, _locks(db, clock, "a"), executor, clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.poll_requests()
        assert await worker.poll_requests() == 0
    finally:
        await worker.shutdown()
    assert executor.calls == []
    run = await worker.runs.latest("requested_cycle")
    assert run is not None
    assert run.status == "failed"
    assert run.detail["error"] == "INVALID_CYCLE_REQUEST"
    for field in ("cycle_id", "symbols", "surprise"):
        assert field in run.detail["message"]


async def test_a_request_interrupted_by_shutdown_is_resumed_by_the_next_start(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    executor = GateExecutor()
    worker = make_worker(db, _locks(db, clock, "a"), executor, clock, nyse)
    await request_cycle(db, clock, PAYLOAD)
    await worker.start(run_schedule=False)  # consumes requests in the background
    await asyncio.wait_for(executor.started.wait(), 5)
    await worker.shutdown()  # the cycle stops at its checkpoint
    assert executor.checkpoints == ["cyc-button-1"]
    interrupted = await worker.runs.latest("requested_cycle")
    assert interrupted is not None
    assert interrupted.status == "cancelled"

    resumed_executor = InstantExecutor()
    restarted = make_worker(db, _locks(db, clock, "a2"), resumed_executor, clock, nyse)
    await restarted.start(run_schedule=False, consume_requests=False)
    try:
        await restarted.poll_requests()
    finally:
        await restarted.shutdown()
    assert [c.cycle_id for c in resumed_executor.calls] == ["cyc-button-1"]
    done = await restarted.runs.latest("requested_cycle")
    assert done is not None
    assert (done.id, done.status, done.holder) == (interrupted.id, "completed", "a2")


class SetupError(Exception):
    code = "CONFIG_DRAFT_MISSING"


class Refusing:
    """A runner that cannot start the cycle (as the real one without a draft to try)."""

    async def run(self, request, *, stop):
        raise SetupError("there is no draft config in PAPER to try")


async def _queued(db: Database, clock: ManualClock, cycle_id: str) -> None:
    await CycleRepository(db, "PAPER", clock=clock).enqueue(
        cycle_id,
        config_version=1,
        symbols=[],
        requested_at=clock.now(),
        requested_by="alice",
        use_draft=True,
    )


async def _failed_events(db: Database) -> list[dict[str, Any]]:
    return [
        stored.event.payload
        for stored in await read_after(db, "PAPER", 0, limit=1000)
        if stored.event.type == CYCLE_FAILED
    ]


async def test_a_queued_cycle_that_cannot_start_ends_failed_with_its_reason(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    await _queued(db, clock, "cyc-button-1")
    await request_cycle(db, clock, PAYLOAD)
    worker = make_worker(db, _locks(db, clock, "a"), Refusing(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.poll_requests()
    finally:
        await worker.shutdown()
    cycle = await CycleRepository(db, "PAPER").get("cyc-button-1")
    assert cycle is not None
    assert cycle.status == "failed"
    assert cycle.error is not None
    assert cycle.error.startswith("CONFIG_DRAFT_MISSING: there is no draft config")
    [event] = await _failed_events(db)
    assert event["cycle_id"] == "cyc-button-1"
    assert event["status"] == "failed"
    run = await worker.runs.latest("requested_cycle")
    assert run is not None
    assert run.detail["error"] == "CONFIG_DRAFT_MISSING"


async def test_a_malformed_request_for_a_queued_cycle_ends_that_cycle_failed(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    await _queued(db, clock, "cyc-bad")
    await request_cycle(db, clock, {"cycle_id": "cyc-bad", "use_draft": "maybe"})
    executor = InstantExecutor()
    worker = make_worker(db, _locks(db, clock, "a"), executor, clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.poll_requests()
    finally:
        await worker.shutdown()
    assert executor.calls == []
    cycle = await CycleRepository(db, "PAPER").get("cyc-bad")
    assert cycle is not None
    assert cycle.status == "failed"
    assert cycle.error is not None
    assert cycle.error.startswith("INVALID_CYCLE_REQUEST")
    assert [e["cycle_id"] for e in await _failed_events(db)] == ["cyc-bad"]


async def test_a_finished_cycle_is_not_marked_failed_again(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    await request_cycle(db, clock, PAYLOAD)  # no queued row: nothing to close
    worker = make_worker(db, _locks(db, clock, "a"), Refusing(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.poll_requests()
    finally:
        await worker.shutdown()
    assert await CycleRepository(db, "PAPER").get("cyc-button-1") is None
    assert await _failed_events(db) == []


async def test_a_requested_cycle_whose_lease_is_lost_is_resumed_not_dropped(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    short = FAST.model_copy(update={"lock_ttl_seconds": 0.3})
    executor = GateExecutor()
    worker = make_worker(db, _locks(db, clock, "a"), executor, clock, nyse, options=short)
    intruder = _locks(db, clock, "b")
    await request_cycle(db, clock, PAYLOAD)
    await worker.start(run_schedule=False)  # consumes requests in the background
    try:
        await asyncio.wait_for(executor.started.wait(), 5)
        clock.advance(timedelta(seconds=5))  # worker-a's lease expires while it stalls
        lease = await intruder.try_acquire("cycle", timedelta(seconds=30))
        assert lease is not None
        async with asyncio.timeout(10):
            while not executor.checkpoints:  # noqa: ASYNC110 - set by the background consumer
                await asyncio.sleep(0.01)
        executor.gate.set()
        await lease.release()
        async with asyncio.timeout(10):
            while (run := await worker.runs.latest("requested_cycle")) is None or (  # noqa: ASYNC110
                run.status != "completed"
            ):
                await asyncio.sleep(0.02)
    finally:
        await worker.shutdown()
    assert [c.cycle_id for c in executor.calls] == ["cyc-button-1", "cyc-button-1"]
