"""Config fixtures: a migrated database on each backend and a `ConfigService` over it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.settings import get_settings
from cream.storage.database import Database

START = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
async def db(libsql_url: str) -> AsyncIterator[Database]:
    """A migrated database, on a file and on a real sqld (via the `libsql_url` params)."""
    async with await Database.connect(libsql_url) as database:
        yield database


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def service(db: Database, clock: ManualClock) -> ConfigService:
    return ConfigService(db, clock=clock)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings are cached per process; re-read them around a test that sets the environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
