"""Racing lifecycle changes: exactly one wins, the others get CONFIG_CONFLICT.

Each racer has its own database handle, and a gate holds every racer's write batch until
all of them have read the old state, so the race happens every time (the file client
would otherwise run one racer to completion before the next starts).
"""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from cream.clock import ManualClock
from cream.config.errors import ConfigConflictError
from cream.config.service import ConfigService
from cream.events.outbox import read_after
from cream.storage.database import Database


class Gated:
    """A database handle whose first batch waits at `barrier`; everything else passes through."""

    def __init__(self, db: Database, barrier: asyncio.Barrier) -> None:
        self._db = db
        self._barrier: asyncio.Barrier | None = barrier

    def __getattr__(self, name: str):
        return getattr(self._db, name)

    async def batch(self, statements):
        barrier, self._barrier = self._barrier, None
        if barrier is not None:
            await barrier.wait()
        return await self._db.batch(statements)


def gated(db: Database, barrier: asyncio.Barrier) -> Database:
    return cast(Database, Gated(db, barrier))


async def outcomes(*calls) -> list[object]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_two_racing_promotions_of_the_draft_promote_it_once(
    libsql_url: str, db: Database, clock: ManualClock
):
    service = ConfigService(db, clock=clock)
    await service.seed("PAPER")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="a")
    await service.validate("PAPER", by="a")
    # Two handles: two connections (on a file, two sqlite3 connections) racing for real.
    barrier = asyncio.Barrier(2)
    async with await Database.connect(libsql_url) as other:
        first = ConfigService(gated(db, barrier), clock=clock)
        second = ConfigService(gated(other, barrier), clock=clock)

        results = await outcomes(first.promote("PAPER", by="a"), second.promote("PAPER", by="b"))

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], ConfigConflictError)
    assert losers[0].code == "CONFIG_CONFLICT"
    assert [v.version for v in await service.history("PAPER")] == [2, 1]
    assert [e.event.payload["version"] for e in await read_after(db, "PAPER", 0)] == [1, 2]
    assert [a.action for a in await service.audit("PAPER")].count("promote") == 1


async def test_a_promotion_racing_a_rollback_leaves_one_active_version(
    libsql_url: str, db: Database, clock: ManualClock
):
    service = ConfigService(db, clock=clock)
    await service.seed("PAPER")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="a")
    await service.validate("PAPER", by="a")
    await service.promote("PAPER", by="a")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=4"], by="a")
    await service.validate("PAPER", by="a")
    barrier = asyncio.Barrier(2)
    async with await Database.connect(libsql_url) as other:
        first = ConfigService(gated(db, barrier), clock=clock)
        second = ConfigService(gated(other, barrier), clock=clock)

        results = await outcomes(
            first.promote("PAPER", by="a"), second.rollback("PAPER", 1, by="b")
        )

    assert sum(isinstance(r, ConfigConflictError) for r in results) == 1
    history = await service.history("PAPER")
    assert [v.status for v in history if v.status == "active"] == ["active"]
    assert max(v.version or 0 for v in history) == 3


@pytest.mark.parametrize("attempts", [4])
async def test_concurrent_seeds_create_exactly_one_version(
    libsql_url: str, db: Database, clock: ManualClock, attempts: int
):
    handles = [await Database.connect(libsql_url) for _ in range(attempts)]
    barrier = asyncio.Barrier(attempts)
    try:
        results = await outcomes(
            *(ConfigService(gated(h, barrier), clock=clock).seed("PAPER") for h in handles)
        )
    finally:
        for handle in handles:
            await handle.close()

    created = [r for r in results if isinstance(r, tuple) and r[1]]
    assert len(created) == 1
    assert all(isinstance(r, tuple) for r in results), results
    assert [v.version for v in await ConfigService(db).history("PAPER")] == [1]
