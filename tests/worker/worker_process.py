"""The worker as a real process, with a cycle that records when it starts and checkpoints.

Run by test_process.py: `python -m tests.worker.worker_process MARKERS_DIR HOST:PORT`, with
the database and worker options in the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

from cream.settings import Settings
from worker.main import configure_logging, serve
from worker.options import WorkerOptions
from workflows.trading_cycle.contract import CycleRequest, CycleResult


class MarkerExecutor:
    """Writes `started`, waits for the stop signal, writes `checkpoint`, returns interrupted."""

    def __init__(self, markers: Path) -> None:
        self.markers = markers

    async def run(self, request: CycleRequest, *, stop: asyncio.Event) -> CycleResult:
        cycle_id = request.cycle_id or "unnamed"
        (self.markers / "started").write_text(cycle_id)
        await stop.wait()
        (self.markers / "checkpoint").write_text(cycle_id)
        return CycleResult(cycle_id, "interrupted", "PAPER", 1, error="stopped at a checkpoint")


def main() -> int:
    markers, listen = Path(sys.argv[1]), sys.argv[2]
    configure_logging("INFO")
    executor = contextlib.nullcontext(MarkerExecutor(markers))
    return asyncio.run(serve(Settings(), WorkerOptions(), listen, executor=executor))


if __name__ == "__main__":
    sys.exit(main())
