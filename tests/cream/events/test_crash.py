"""A producer killed between its commit and its wake-up loses no event: polling delivers it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from cream.clock import ManualClock
from cream.events.log import EventLog
from cream.events.outbox import StoredEvent
from cream.events.wakeups import InProcessNotifier
from cream.storage.database import Database, Statement
from tests.servers import REPO_ROOT


@pytest.mark.slow
async def test_a_producer_killed_after_commit_before_publish_loses_no_event(
    db: Database, libsql_url: str, clock: ManualClock
):
    received: list[str] = []
    got = asyncio.Event()

    async def handler(stored: StoredEvent) -> list[Statement]:
        received.append(stored.event.id)
        got.set()
        return []

    consumer = EventLog(db, "PAPER", producer="t", notifier=InProcessNotifier(), clock=clock)
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.consumer("c", handler, poll_interval=0.2).run(stop))
    producer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cream.events.crash_producer",
        libsql_url,
        "evt-crash-1",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert producer.stdout is not None
        async with asyncio.timeout(30):
            line = await producer.stdout.readline()
        assert line.strip() == b"committed"
        os.kill(producer.pid, signal.SIGKILL)
        assert await producer.wait() == -signal.SIGKILL

        async with asyncio.timeout(10):
            await got.wait()
    finally:
        if producer.returncode is None:
            producer.kill()
            await producer.wait()
        stop.set()
        await running

    assert received == ["evt-crash-1"]
    assert await db.query_one("SELECT id FROM consensus_rounds") == {"id": "r-crash"}
