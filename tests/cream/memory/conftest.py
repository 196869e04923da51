"""Memory fixtures: a migrated database (file and sqld) and a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from tests.cream.memory.builders import START
from tests.fakes.gemini import gemini_server
from tests.fakes.http_server import FakeHttpServer


@pytest.fixture
async def db(libsql_url: str) -> AsyncIterator[Database]:
    async with await Database.connect(libsql_url) as database:
        yield database


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def gemini() -> Iterator[FakeHttpServer]:
    with gemini_server() as server:
        yield server
