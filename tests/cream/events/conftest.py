"""Event log fixtures: a migrated database on each backend, and a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from tests.servers import redis_server

__all__ = ["redis_server"]

START = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
async def db(libsql_url: str) -> AsyncIterator[Database]:
    """A migrated database, on a file and on a real sqld (via the `libsql_url` params)."""
    async with await Database.connect(libsql_url) as database:
        yield database


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)
