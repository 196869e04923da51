"""The cycle's checkpoint store: LangGraph's SQLite saver on a WAL database.

LangGraph writes every finished task's output as it lands (60 analyst tasks finish within
a millisecond of each other) and a checkpoint after every step. With SQLite's defaults
(rollback journal, `synchronous=FULL`) each of those commits waits for several fsyncs, one
after another on the saver's single connection, and a 20-symbol cycle spent about 50 ms
between stages doing nothing else.

`GroupCommitSaver` commits the task writes that land together in one transaction instead
of one each (60 finished analysts: a few commits instead of 60 behind the saver's lock).
WAL with `synchronous=NORMAL` commits without an fsync. A committed checkpoint survives the
cycle process crashing or being killed (the case resume exists for); only an operating-system
crash or power loss can lose the last few commits, and then the cycle resumes from an
earlier checkpoint: agents are asked again, and ACT's orders are idempotent by
`client_order_id`, so no order is sent twice. The orders themselves live in the engine's
database, which keeps full synchronous commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import WRITES_IDX_MAP
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

# The base class's statements, word for word.
_REPLACE = (
    "INSERT OR REPLACE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, "
    "task_path, idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IGNORE = (
    "INSERT OR IGNORE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, "
    "task_path, idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
Row = tuple[Any, ...]


class GroupCommitSaver(AsyncSqliteSaver):
    """LangGraph's SQLite saver, committing concurrent task writes together.

    `aput_writes` returns only once its rows are committed, exactly as the base class does;
    what changes is that the writes queued while a commit is under way share the next one.
    The rows and statements are the base class's own, so `aget_tuple` and resuming read them
    unchanged. A failed commit fails every caller whose rows it carried.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queued: list[tuple[str, list[Row], asyncio.Future[None]]] = []
        self._committer: asyncio.Task[None] | None = None

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self.setup()
        # The base class's choice: special channels (errors, interrupts) may be replaced.
        query = _REPLACE if all(w[0] in WRITES_IDX_MAP for w in writes) else _IGNORE
        configurable = config["configurable"]
        rows = [
            (
                str(configurable["thread_id"]),
                str(configurable["checkpoint_ns"]),
                str(configurable["checkpoint_id"]),
                task_id,
                task_path,
                WRITES_IDX_MAP.get(channel, idx),
                channel,
                *self.serde.dumps_typed(value),
            )
            for idx, (channel, value) in enumerate(writes)
        ]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((query, rows, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_queued())
        await asyncio.shield(done)

    async def _commit_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                async with self.lock:
                    for query in (_REPLACE, _IGNORE):
                        rows = [row for q, found, _ in batch if q == query for row in found]
                        if rows:
                            await self.conn.executemany(query, rows)
                    await self.conn.commit()
            except BaseException as exc:
                await _rollback(self)
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)


async def _rollback(saver: AsyncSqliteSaver) -> None:
    try:
        await saver.conn.rollback()
    except Exception:  # the connection is gone: nothing was committed either way
        return


@asynccontextmanager
async def open_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    """The saver over `path` (created with its folder if missing), closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    async with GroupCommitSaver.from_conn_string(str(path)) as saver:
        await saver.conn.execute("PRAGMA journal_mode=WAL")
        await saver.conn.execute("PRAGMA synchronous=NORMAL")
        yield saver
