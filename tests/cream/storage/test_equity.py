"""Equity snapshots on both backends: range reads, the newest-N window, and refused records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from cream.storage.equity import EquityRepository
from cream.storage.errors import InvalidRecordError
from tests.cream.storage.builders import START


async def _series(repo: EquityRepository, count: int) -> None:
    for n in range(count):
        await repo.record(
            time=START + timedelta(minutes=5 * n),
            equity=f"{100000 + n}.25",
            cash="50000.00",
            buying_power="200000.00",
            source="schedule",
        )


async def test_a_range_from_inclusive_to_exclusive_is_read_oldest_first_with_exact_money(
    db: Database, clock: ManualClock
):
    repo = EquityRepository(db, "PAPER", clock=clock)
    await _series(repo, 5)

    page = await repo.between(START + timedelta(minutes=5), START + timedelta(minutes=15))

    assert [s.equity for s in page.snapshots] == ["100001.25", "100002.25"]
    assert page.snapshots[0].time == "2026-11-18T15:05:00.000000Z"
    assert page.truncated is False


async def test_a_limit_keeps_the_newest_points_and_says_older_ones_were_left_out(
    db: Database, clock: ManualClock
):
    repo = EquityRepository(db, "PAPER", clock=clock)
    await _series(repo, 5)

    page = await repo.between(limit=2)

    assert [s.equity for s in page.snapshots] == ["100003.25", "100004.25"]
    assert page.truncated is True
    latest = await repo.latest()
    assert latest is not None and latest.equity == "100004.25"


async def test_environments_do_not_see_each_others_snapshots(db: Database, clock: ManualClock):
    await _series(EquityRepository(db, "PAPER", clock=clock), 2)

    live = EquityRepository(db, "LIVE", clock=clock)

    assert (await live.between()).snapshots == []
    assert await live.latest() is None


async def test_a_cycle_snapshot_carries_its_cycle(db: Database, clock: ManualClock):
    repo = EquityRepository(db, "PAPER", clock=clock)
    await repo.record(
        time=START, equity="1", cash="1", buying_power="1", source="cycle", cycle_id="c-1"
    )

    (snapshot,) = (await repo.between()).snapshots

    assert (snapshot.source, snapshot.cycle_id) == ("cycle", "c-1")


@pytest.mark.parametrize(
    "change",
    [
        {"equity": ""},
        {"cash": "NaN"},
        {"buying_power": "lots"},
        {"source": "guess"},
        {"source": "cycle"},
        {"time": START.replace(tzinfo=None)},
    ],
)
async def test_malformed_snapshots_are_refused_and_nothing_is_written(
    db: Database, clock: ManualClock, change
):
    repo = EquityRepository(db, "PAPER", clock=clock)
    values = {
        "time": START,
        "equity": "100.00",
        "cash": "1.00",
        "buying_power": "2.00",
        "source": "schedule",
        **change,
    }
    with pytest.raises(InvalidRecordError):
        await repo.record(**values)
    assert (await repo.between()).snapshots == []


async def test_a_reversed_range_or_bad_limit_is_refused(db: Database, clock: ManualClock):
    repo = EquityRepository(db, "PAPER", clock=clock)
    with pytest.raises(InvalidRecordError):
        await repo.between(START, START - timedelta(seconds=1))
    with pytest.raises(InvalidRecordError):
        await repo.between(limit=0)
