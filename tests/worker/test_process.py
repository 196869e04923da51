"""The worker process: SIGHUP reloads the config, SIGTERM lets the running cycle checkpoint."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.locks import DatabaseLockManager
from cream.storage.database import Database
from tests.servers import REPO_ROOT, free_port
from tests.worker.conftest import InstantExecutor
from tests.worker.workers import make_worker, request_cycle
from worker.calendar import ExchangeCalendar

PAYLOAD = {"cycle_id": "cyc-sigterm", "symbols": None, "use_draft": False}


async def _wait_for_file(path: Path, process: asyncio.subprocess.Process) -> str:
    async with asyncio.timeout(60):
        while not await asyncio.to_thread(path.exists):
            assert process.returncode is None, "the worker exited early"
            await asyncio.sleep(0.05)
    return await asyncio.to_thread(path.read_text)


async def _health(port: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/health")
    assert response.status_code == 200
    return response.json()


@pytest.mark.slow
@pytest.mark.integration
async def test_sighup_reloads_and_sigterm_lets_the_cycle_checkpoint_then_exits_zero(
    tmp_path: Path, clock: ManualClock, nyse: ExchangeCalendar
):
    url = f"file:{tmp_path / 'cream.db'}"
    async with await Database.connect(url) as db:
        service = ConfigService(db, clock=clock)
        await service.seed("PAPER")
        await request_cycle(db, clock, PAYLOAD)
    markers = tmp_path / "markers"
    markers.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "CREAM_ENV": "PAPER",
        "CREAM_DB_URL": url,
        "CREAM_ENGINE_ADDR": f"127.0.0.1:{free_port()}",
        # Hourly polls: only the signal can make the worker see the promotion below.
        "CREAM_WORKER_POLL_SECONDS": "3600",
        "CREAM_WORKER_LOCK_POLL_SECONDS": "0.05",
    }
    env.pop("REDIS_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.worker.worker_process",
        str(markers),
        f"127.0.0.1:{port}",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert await _wait_for_file(markers / "started", process) == "cyc-sigterm"
        before = await _health(port)
        assert before["running_cycle"]["cycle_id"] == "cyc-sigterm"
        assert before["intervals"]["trading_cycle_ms"] == 3_600_000

        async with await Database.connect(url) as db:
            service = ConfigService(db, clock=clock)
            await service.set_values("PAPER", ["trading.trading_cycle_interval_ms=1800000"], by="o")
            await service.validate("PAPER", by="o")
            await service.promote("PAPER", by="o")
        process.send_signal(signal.SIGHUP)
        async with asyncio.timeout(30):
            while (await _health(port))["intervals"]["trading_cycle_ms"] != 1_800_000:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    log = output.decode()
    assert process.returncode == 0, log
    assert (markers / "checkpoint").read_text() == "cyc-sigterm"
    assert "cream worker: stopped" in log

    # The interrupted request is still owed: the next worker resumes the same cycle.
    async with await Database.connect(url) as db:
        executor = InstantExecutor()
        locks = DatabaseLockManager(db, "PAPER", holder="next", clock=clock)
        worker = make_worker(db, locks, executor, clock, nyse)
        await worker.start(run_schedule=False, consume_requests=False)
        try:
            interrupted = await worker.runs.latest("requested_cycle")
            await worker.poll_requests()
        finally:
            await worker.shutdown()
    assert interrupted is not None
    assert interrupted.status == "cancelled"
    assert interrupted.detail["status"] == "interrupted"
    assert [call.cycle_id for call in executor.calls] == ["cyc-sigterm"]
