"""The cycle's checkpoint store: task writes that land together share one commit, every
caller still returns only once its rows are committed, and a failed commit fails them all."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import empty_checkpoint

from workflows.trading_cycle.checkpoints import GroupCommitSaver, open_checkpointer


async def _checkpoint(saver: GroupCommitSaver, thread: str) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    stored = await saver.aput(config, empty_checkpoint(), {}, {})  # type: ignore[arg-type]
    return dict(stored)


async def test_sixty_concurrent_task_writes_share_a_few_commits(tmp_path: Path) -> None:
    async with open_checkpointer(tmp_path / "c.sqlite") as saver:
        assert isinstance(saver, GroupCommitSaver)
        config = await _checkpoint(saver, "c-1")
        commits = 0
        real_commit = saver.conn.commit

        async def counting_commit() -> None:
            nonlocal commits
            commits += 1
            await real_commit()

        saver.conn.commit = counting_commit  # type: ignore[method-assign]
        await asyncio.gather(
            *(
                saver.aput_writes(config, [("analyses", {"n": i})], f"task-{i}")  # type: ignore[arg-type]
                for i in range(60)
            )
        )
        assert 1 <= commits <= 10, commits
        found = await saver.aget_tuple(config)  # type: ignore[arg-type]
        assert found is not None
        values = sorted(value["n"] for _, channel, value in found.pending_writes or [])
        assert values == list(range(60))


async def test_a_failed_commit_fails_every_write_it_carried_and_the_next_one_works(
    tmp_path: Path,
) -> None:
    async with open_checkpointer(tmp_path / "c.sqlite") as saver:
        assert isinstance(saver, GroupCommitSaver)
        config = await _checkpoint(saver, "c-2")
        real = saver.conn.executemany
        broken = True

        async def flaky(sql: str, rows: Any) -> Any:
            if broken:
                raise OSError("disk full")
            return await real(sql, rows)

        saver.conn.executemany = flaky  # type: ignore[method-assign,assignment]
        results = await asyncio.gather(
            *(
                saver.aput_writes(config, [("calls", [i])], f"t-{i}")  # type: ignore[arg-type]
                for i in range(5)
            ),
            return_exceptions=True,
        )
        assert all(isinstance(r, OSError) for r in results), results
        broken = False
        await saver.aput_writes(config, [("calls", ["later"])], "t-later")  # type: ignore[arg-type]
        found = await saver.aget_tuple(config)  # type: ignore[arg-type]
        assert found is not None
        assert [value for _, _, value in found.pending_writes or []] == [["later"]]


def test_freezing_the_startup_heap_happens_once_per_process() -> None:
    # In a child: freezing is process-wide and would otherwise pin this test run's heap.
    code = (
        "import gc\n"
        "from cream.heap import freeze_startup_heap\n"
        "first = freeze_startup_heap()\n"
        "garbage = [[i] for i in range(1000)]\n"
        "second = freeze_startup_heap()\n"
        "assert first > 1000 and second == first == gc.get_freeze_count(), (first, second)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


async def test_group_committed_writes_read_back_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    async with open_checkpointer(path) as saver:
        assert isinstance(saver, GroupCommitSaver)
        config = await _checkpoint(saver, "c-3")
        await saver.aput_writes(config, [("theses", {"ok": True})], "t")  # type: ignore[arg-type]
    async with open_checkpointer(path) as reopened:
        found = await reopened.aget_tuple(config)  # type: ignore[arg-type]
        assert found is not None
        assert [value for _, _, value in found.pending_writes or []] == [{"ok": True}]
