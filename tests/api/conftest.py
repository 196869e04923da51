"""API fixtures: a real uvicorn server over a seeded PAPER database (engine down by default)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from tests.api.harness import ApiServer, running_api

START = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def api(tmp_path, clock) -> AsyncIterator[ApiServer]:
    async with running_api(tmp_path, clock) as server:
        yield server


@pytest.fixture
def engine_settings(tmp_path):
    from cream.settings import Environment, Settings

    return Settings(cream_env=Environment.PAPER, cream_db_url=f"file:{tmp_path / 'engine.db'}")
