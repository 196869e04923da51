"""The file (`file:PATH`) client: libsql-client's SQLite client, with one lasting connection.

libsql-client's own file client opens a new `sqlite3` connection for every statement and
runs it on the event loop's thread. Opening a connection re-reads the schema, so a cycle's
few hundred statements spent most of their time connecting and closing, and every statement
stalled the loop (the cycle's other tasks, the in-process engine, progress events).

This client keeps one connection per `Database` and runs every statement on one dedicated
thread, so statements are serialised exactly as before (one at a time per handle) but the
loop keeps running. Statement conversion, result rows and error codes are libsql-client's
own (`_execute_stmt`), so callers see the same `ResultSet` and `LibsqlError` either way.
Busy handling is unchanged: the connection does not wait on locks (`timeout=0`) and
`Database._call` retries with backoff.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from libsql_client import LibsqlError
from libsql_client.result import ResultSet
from libsql_client.sqlite3_utils import _execute_stmt

_T = TypeVar("_T")


class PersistentFileClient:
    """Executes and batches statements on one SQLite connection, off the event loop."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cream-sqlite")
        self._connection: sqlite3.Connection | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: str) -> PersistentFileClient:
        """Opens the file and checks it can be read.

        Raises:
            LibsqlError: The file cannot be opened (code from SQLite).
        """
        client = cls(path)
        try:
            await client.execute("SELECT 1 AS check_that_the_database_can_be_opened")
        except BaseException:
            await client.close()
            raise
        return client

    async def execute(self, sql: str, args: list[Any] | None = None) -> ResultSet:
        """One statement in autocommit mode."""
        return await self._run(lambda db: _execute_stmt(db, sql, args))

    async def batch(self, steps: list[tuple[str, list[Any]]]) -> list[ResultSet]:
        """The statements in one transaction; a failure rolls all of them back."""
        return await self._run(lambda db: _batch(db, steps))

    async def close(self) -> None:
        """Closes the connection and stops the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._closed

    async def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        if self._closed:
            raise LibsqlError("The client was closed", "CLIENT_CLOSED")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(self._connect()))

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self._connection = sqlite3.connect(
                    self._path, isolation_level=None, check_same_thread=False, timeout=0
                )
            except sqlite3.Error as exc:
                raise LibsqlError(str(exc), getattr(exc, "sqlite_errorname", "SQLITE")) from exc
        return self._connection

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _batch(db: sqlite3.Connection, steps: list[tuple[str, list[Any]]]) -> list[ResultSet]:
    # IMMEDIATE takes the write lock up front: a busy database fails here, before any work,
    # instead of when a read lock is upgraded half-way through.
    _execute_stmt(db, "BEGIN IMMEDIATE")
    try:
        results = [_execute_stmt(db, sql, args) for sql, args in steps]
        _execute_stmt(db, "COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return results
