"""Cycles: start and finish, the budget use, and the environment boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cream.clock import ManualClock
from cream.storage.cycles import CycleAlreadyStartedError, CycleNotFoundError, CycleRepository
from cream.storage.database import Database
from cream.storage.errors import InvalidRecordError
from tests.cream.storage.builders import START


async def test_a_started_cycle_is_running_with_its_config_version_and_symbols(
    db: Database, clock: ManualClock
):
    cycles = CycleRepository(db, "PAPER", clock=clock)

    await cycles.start("cyc-1", config_version=3, symbols=["SPY", "AAPL"], started_at=START)

    cycle = await cycles.get("cyc-1")
    assert cycle is not None
    assert (cycle.status, cycle.config_version, cycle.symbols) == ("running", 3, ("SPY", "AAPL"))
    assert cycle.started_at == "2026-11-18T15:00:00.000000Z"
    assert cycle.finished_at is None


async def test_finishing_records_status_budget_use_and_error(db: Database, clock: ManualClock):
    cycles = CycleRepository(db, "PAPER", clock=clock)
    await cycles.start("cyc-1", config_version=1, symbols=["SPY"], started_at=START)

    await cycles.finish(
        "cyc-1",
        status="failed",
        finished_at=START + timedelta(minutes=4),
        tokens_used=12_345,
        cost_usd="0.4210",
        wall_ms=240_000,
        error="budget exhausted: tokens",
    )

    cycle = await cycles.get("cyc-1")
    assert cycle is not None
    assert (cycle.status, cycle.tokens_used, cycle.cost_usd) == ("failed", 12_345, "0.4210")
    assert cycle.error == "budget exhausted: tokens"
    assert cycle.finished_at == "2026-11-18T15:04:00.000000Z"


async def test_a_finished_cycle_cannot_finish_again(db: Database, clock: ManualClock):
    cycles = CycleRepository(db, "PAPER", clock=clock)
    await cycles.start("cyc-1", config_version=1, symbols=["SPY"], started_at=START)
    await cycles.finish("cyc-1", status="completed", finished_at=START)

    with pytest.raises(CycleNotFoundError, match="already finished"):
        await cycles.finish("cyc-1", status="failed", finished_at=START)


async def test_finishing_as_running_is_refused(db: Database):
    with pytest.raises(InvalidRecordError, match="completed, failed or cancelled"):
        await CycleRepository(db, "PAPER").finish("cyc-1", status="running", finished_at=START)


async def test_cycles_of_another_environment_are_invisible(db: Database, clock: ManualClock):
    await CycleRepository(db, "PAPER", clock=clock).start(
        "cyc-1", config_version=1, symbols=["SPY"], started_at=START
    )

    live = CycleRepository(db, "LIVE", clock=clock)
    assert await live.get("cyc-1") is None
    assert await live.list() == []


async def test_list_is_newest_first(db: Database, clock: ManualClock):
    cycles = CycleRepository(db, "PAPER", clock=clock)
    for hour in range(3):
        await cycles.start(
            f"cyc-{hour}",
            config_version=1,
            symbols=["SPY"],
            started_at=START + timedelta(hours=hour),
        )

    assert [c.id for c in await cycles.list()] == ["cyc-2", "cyc-1", "cyc-0"]
    assert [c.id for c in await cycles.list(limit=1, offset=1)] == ["cyc-1"]


async def test_a_queued_cycle_starts_as_running_keeping_who_asked(db: Database, clock: ManualClock):
    cycles = CycleRepository(db, "PAPER", clock=clock)
    await cycles.enqueue(
        "cyc-q",
        config_version=2,
        symbols=[],
        requested_at=START,
        requested_by="alice",
        use_draft=True,
    )
    queued = await cycles.get("cyc-q")
    assert queued is not None
    assert (queued.status, queued.started_at, queued.requested_by) == ("queued", None, "alice")

    later = START + timedelta(seconds=5)
    await cycles.start("cyc-q", config_version=3, symbols=["SPY"], started_at=later)

    running = await cycles.get("cyc-q")
    assert running is not None
    assert (running.status, running.symbols, running.config_version) == ("running", ("SPY",), 3)
    assert (running.requested_by, running.use_draft, running.trigger) == ("alice", True, "api")
    assert running.started_at == "2026-11-18T15:00:05.000000Z"


async def test_starting_a_cycle_that_already_runs_is_refused(db: Database, clock: ManualClock):
    cycles = CycleRepository(db, "PAPER", clock=clock)
    await cycles.start("cyc-1", config_version=1, symbols=["SPY"], started_at=START)

    with pytest.raises(CycleAlreadyStartedError):
        await cycles.start("cyc-1", config_version=1, symbols=["SPY"], started_at=START)


async def test_a_queued_cycle_can_fail_before_it_starts(db: Database, clock: ManualClock):
    cycles = CycleRepository(db, "PAPER", clock=clock)
    await cycles.enqueue(
        "cyc-q", config_version=1, symbols=[], requested_at=START, requested_by="bob"
    )

    await cycles.finish("cyc-q", status="failed", finished_at=START, error="draft invalid")

    cycle = await cycles.get("cyc-q")
    assert cycle is not None
    assert (cycle.status, cycle.error) == ("failed", "draft invalid")
