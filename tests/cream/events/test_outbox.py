"""The outbox: an event commits with its business write or not at all."""

from __future__ import annotations

import pytest

from cream.clock import ManualClock
from cream.events.log import EventLog
from cream.events.outbox import head, read_after
from cream.storage.database import Database, Statement
from cream.storage.errors import ConstraintViolationError

BUSINESS = (
    "INSERT INTO consensus_rounds (id, environment, cycle_id, round, plan, verdicts, approved, "
    "created_at, updated_at) VALUES (?, 'PAPER', 'c1', 1, '{}', '[]', 1, 'now', 'now')"
)


def log_for(db: Database, clock: ManualClock, environment: str = "PAPER") -> EventLog:
    return EventLog(db, environment, producer="test", clock=clock)


async def test_an_event_committed_with_its_write_is_read_back_whole(
    db: Database, clock: ManualClock
):
    log = log_for(db, clock)
    event = log.event("cycle.round_stored", {"round": 1, "qty": "10.50"}, cycle_id="c1")

    await log.commit([Statement(BUSINESS, ("r1",))], [event])

    stored = await read_after(db, "PAPER", 0)
    assert [s.event for s in stored] == [event]
    assert await db.query_one("SELECT id FROM consensus_rounds") == {"id": "r1"}


async def test_a_failing_business_write_leaves_no_event(db: Database, clock: ManualClock):
    log = log_for(db, clock)
    await log.commit([Statement(BUSINESS, ("r1",))], [log.event("cycle.round_stored")])

    with pytest.raises(ConstraintViolationError):
        # The same round again breaks UNIQUE(cycle_id, round): the event must not survive.
        await log.commit([Statement(BUSINESS, ("r2",))], [log.event("cycle.round_stored")])

    assert len(await read_after(db, "PAPER", 0)) == 1


async def test_appending_the_same_event_id_twice_stores_it_once(db: Database, clock: ManualClock):
    log = log_for(db, clock)
    event = log.event("orders.filled", {"order_id": "o1"})

    await log.commit([], [event])
    await log.commit([], [event])

    assert [s.event.id for s in await read_after(db, "PAPER", 0)] == [event.id]


async def test_positions_grow_in_commit_order_and_environments_do_not_mix(
    db: Database, clock: ManualClock
):
    paper, live = log_for(db, clock), log_for(db, clock, "LIVE")
    for n in range(3):
        await paper.commit([], [paper.event("orders.filled", {"n": n})])
    await live.commit([], [live.event("orders.filled", {"n": 99})])

    stored = await read_after(db, "PAPER", 0)
    assert [s.event.payload["n"] for s in stored] == [0, 1, 2]
    assert stored[0].seq < stored[1].seq < stored[2].seq
    assert [s.event.payload["n"] for s in await read_after(db, "LIVE", 0)] == [99]
    assert await head(db, "PAPER") == stored[2].seq
    assert [s.seq for s in await read_after(db, "PAPER", stored[0].seq, limit=1)] == [stored[1].seq]
