"""Storage fixtures: an open, migrated database on each backend and a PAPER order repository."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from cream.storage.orders import OrderRepository
from tests.cream.storage.builders import START


@pytest.fixture
async def db(libsql_url: str) -> AsyncIterator[Database]:
    """A migrated database, on a file and on a real sqld (via the `libsql_url` params)."""
    async with await Database.connect(libsql_url) as database:
        yield database


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def paper(db: Database, clock: ManualClock) -> OrderRepository:
    return OrderRepository(db, "PAPER", clock=clock)
