"""The cycle's checkpoint store: LangGraph's SQLite saver on a WAL database.

LangGraph writes every finished task's output as it lands (60 analyst tasks finish within
a millisecond of each other) and a checkpoint after every step. With SQLite's defaults
(rollback journal, `synchronous=FULL`) each of those commits waits for several fsyncs, one
after another on the saver's single connection, and a 20-symbol cycle spent about 50 ms
between stages doing nothing else.

WAL with `synchronous=NORMAL` commits without an fsync. A committed checkpoint survives the
cycle process crashing or being killed (the case resume exists for); only an operating-system
crash or power loss can lose the last few commits, and then the cycle resumes from an
earlier checkpoint: agents are asked again, and ACT's orders are idempotent by
`client_order_id`, so no order is sent twice. The orders themselves live in the engine's
database, which keeps full synchronous commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver


@asynccontextmanager
async def open_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    """The saver over `path` (created with its folder if missing), closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        await saver.conn.execute("PRAGMA journal_mode=WAL")
        await saver.conn.execute("PRAGMA synchronous=NORMAL")
        yield saver
