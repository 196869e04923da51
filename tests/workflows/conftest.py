from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.workflows.harness import CycleHarness, start_harness


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[CycleHarness]:
    h = await start_harness(tmp_path)
    try:
        yield h
    finally:
        await h.close()
