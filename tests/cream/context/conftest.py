"""Context fixtures: the fake APIs server, a shared httpx client and a clock at AS_OF."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from cream.clock import ManualClock
from tests.fakes.context_apis import context_server
from tests.fakes.http_server import FakeHttpServer

# Tuesday 2026-03-10, 11:00 New York.
AS_OF = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with context_server() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(AS_OF)
