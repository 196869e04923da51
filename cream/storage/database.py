"""The async libSQL `Database`: one handle over a `file:` database or a `sqld` server over HTTP.

Transactions: libsql-client 0.3.1 gives interactive transactions (`client.transaction()`)
only to the `file:` and WebSocket clients; its HTTP client refuses them
(`TRANSACTIONS_NOT_SUPPORTED`). Every client has `batch`, which runs a list of statements
between BEGIN and COMMIT (ROLLBACK on the first failure): on the file client in one sqlite3
connection, over HTTP as one Hrana batch that the server executes atomically. So the
`Database` exposes `batch(statements)` as its only multi-statement, all-or-nothing write and
no interactive transaction: a business write plus its outbox event is one batch on both
schemes, and conditional logic is written in SQL (`ON CONFLICT`, `WHERE EXISTS`) rather than
as read-then-write in Python.

Other consequences of the client, handled here:
- the file client's connection has no busy timeout, so a write that meets another
  connection's lock is retried with a backoff up to `busy_timeout_seconds`, starting at half
  a millisecond (a writer holds the lock for about a millisecond; SQLite's own busy handler
  would sleep 1, 2, 5, 10 ms...); the database is switched to WAL so readers never block the
  writer;
- the HTTP client has no request timeout, so each call is bounded by `timeout_seconds`;
- only `file:`, `http:` and `https:` URLs are accepted (Turso: use the `https://` form).
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeAlias, TypeVar
from urllib.parse import urlsplit

import aiohttp
import libsql_client

from cream.storage.errors import (
    ConstraintViolationError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    InvalidDatabaseUrlError,
    QueryError,
    StorageError,
)
from cream.storage.sqlite_file import PersistentFileClient

DEFAULT_DATABASE_URL = "file:var/cream.db"

SqlValue: TypeAlias = str | int | float | bytes | None
Row: TypeAlias = dict[str, SqlValue]

_T = TypeVar("_T")

# sqlite3 error names that mean "another connection holds the lock; nothing was written".
_BUSY_PREFIXES = ("SQLITE_BUSY", "SQLITE_LOCKED")
# Error codes that say the database itself cannot be used, not that one statement is wrong.
_UNAVAILABLE_PREFIXES = (
    "SQLITE_CANTOPEN",
    "SQLITE_NOTADB",
    "SQLITE_PERM",
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_CORRUPT",
    "SQLITE_FULL",
    "SERVER_ERROR",
    "HRANA_PROTO_ERROR",
    "CLIENT_CLOSED",
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement with positional `?` parameters."""

    sql: str
    params: tuple[SqlValue, ...] = ()


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What a statement returned: its rows (column name → value) and the rows it changed."""

    rows: list[Row]
    rows_affected: int


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    client_url: str
    display: str
    file_path: Path | None


def parse_database_url(url: str) -> tuple[str, str]:
    """Validates a database URL and returns `(scheme, display_url)`; the display has no token.

    Raises:
        InvalidDatabaseUrlError: When the URL is empty, malformed or of another scheme.
    """
    target = _parse(url)
    return target.scheme, target.display


def _parse(url: str) -> _Target:
    text = url.strip()
    hint = "use file:PATH (e.g. file:var/cream.db) or http://HOST:PORT of sqld in CREAM_DB_URL"
    if not text:
        raise InvalidDatabaseUrlError(f"the database URL is empty; {hint}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise InvalidDatabaseUrlError(f"file URL {text!r} has a host or query; {hint}")
        if not parts.path or parts.path == ":memory:":
            raise InvalidDatabaseUrlError(
                f"file URL {text!r} names no file (an in-memory database would not survive "
                f"between statements); {hint}"
            )
        return _Target("file", f"file:{parts.path}", f"file:{parts.path}", Path(parts.path))
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise InvalidDatabaseUrlError(f"database URL {text!r} has no host; {hint}")
        try:
            _ = parts.port
        except ValueError as exc:
            raise InvalidDatabaseUrlError(f"database URL {text!r}: {exc}; {hint}") from exc
        display = f"{scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
        return _Target(scheme, text, display, None)
    shown = f"{scheme}:" if scheme else repr(text)
    raise InvalidDatabaseUrlError(
        f"unsupported database URL scheme {shown} (Turso: use the https:// form of a "
        f"libsql:// URL); {hint}"
    )


class Database:
    """An open libSQL database. Build it with `await Database.connect(url)`; close it after use."""

    def __init__(
        self,
        client: Any,
        target: _Target,
        *,
        timeout_seconds: float,
        busy_timeout_seconds: float,
    ) -> None:
        self._client = client
        self._target = target
        self._timeout = timeout_seconds
        self._busy_timeout = busy_timeout_seconds
        self._closed = False

    @classmethod
    async def connect(
        cls,
        url: str = DEFAULT_DATABASE_URL,
        *,
        migrate: bool = True,
        timeout_seconds: float = 10.0,
        busy_timeout_seconds: float = 5.0,
    ) -> Database:
        """Opens the database, checks it answers, and applies pending migrations.

        Args:
            url: `file:PATH` (the parent folder is created) or `http(s)://HOST:PORT[?authToken=]`.
            migrate: Apply the shipped migrations before returning.
            timeout_seconds: Upper bound of one call to a server.
            busy_timeout_seconds: How long a file write waits for another process's lock.

        Raises:
            InvalidDatabaseUrlError: The URL is malformed or of an unsupported scheme.
            DatabaseUnavailableError: The server cannot be reached or the file cannot be opened.
            MigrationError: The recorded migrations disagree with the shipped files.
        """
        target = _parse(url)
        if target.file_path is not None:
            try:
                target.file_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _file_unavailable(target, exc.strerror or str(exc)) from exc
        client: Any
        try:
            if target.file_path is not None:
                client = await PersistentFileClient.open(str(target.file_path))
            else:
                client = libsql_client.create_client(target.client_url)
        except libsql_client.LibsqlError as exc:
            raise _unavailable(target, exc.explanation) from exc
        database = cls(
            client,
            target,
            timeout_seconds=timeout_seconds,
            busy_timeout_seconds=busy_timeout_seconds,
        )
        try:
            await database._prepare()
            if migrate:
                # Imported here: migrations build on Database, so a top-level import is a cycle.
                from cream.storage import migrations

                await migrations.migrate(database)
        except BaseException:
            await database.close()
            raise
        return database

    @property
    def url(self) -> str:
        """The database URL without credentials, safe to log."""
        return self._target.display

    @property
    def scheme(self) -> str:
        """`file`, `http` or `https`."""
        return self._target.scheme

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._closed

    async def execute(self, sql: str, params: Sequence[SqlValue] = ()) -> ExecResult:
        """Runs one statement on its own (autocommit) and returns its result."""
        args = list(params)
        result = await self._call(lambda: self._client.execute(sql, args))
        return _convert(result)

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        """Runs one read statement and returns its rows."""
        return (await self.execute(sql, params)).rows

    async def query_one(self, sql: str, params: Sequence[SqlValue] = ()) -> Row | None:
        """Runs one read statement and returns its first row, or None when there is none."""
        rows = await self.query(sql, params)
        return rows[0] if rows else None

    async def batch(self, statements: Sequence[Statement]) -> list[ExecResult]:
        """Runs statements atomically in one transaction: all commit, or none do.

        Raises:
            ConstraintViolationError: A statement broke a constraint; nothing was written.
            QueryError: A statement failed; nothing was written.
        """
        if not statements:
            return []
        steps = [(statement.sql, list(statement.params)) for statement in statements]
        results = await self._call(lambda: self._client.batch(steps))
        return [_convert(result) for result in results]

    async def close(self) -> None:
        """Releases the client (the HTTP session of a server URL). Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _prepare(self) -> None:
        if self._target.file_path is not None:
            # WAL lets the engine, api and worker read while one of them writes; it persists
            # in the file, so setting it once per open is enough.
            await self.execute("PRAGMA journal_mode=WAL")
        else:
            await self.execute("SELECT 1")

    async def _call(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        if self._closed:
            raise DatabaseUnavailableError(f"the database handle for {self.url} is closed")
        deadline = time.monotonic() + self._busy_timeout
        delay = 0.0005
        while True:
            try:
                if self._target.file_path is not None:
                    return await operation()
                async with asyncio.timeout(self._timeout):
                    return await operation()
            except libsql_client.LibsqlError as exc:
                busy = str(exc.code).startswith(_BUSY_PREFIXES)
                if busy and self._target.file_path is not None and time.monotonic() < deadline:
                    # A busy statement or batch wrote nothing, so running it again is safe.
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.05)
                    continue
                raise self._translate_libsql(exc, busy=busy) from exc
            except TimeoutError as exc:
                raise _unavailable(
                    self._target, f"no answer within {self._timeout:g} s (the outcome is unknown)"
                ) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise _unavailable(self._target, _network_reason(exc)) from exc

    def _translate_libsql(self, exc: Any, *, busy: bool) -> StorageError:
        code = str(exc.code)
        explanation = str(exc.explanation)
        if busy:
            return DatabaseBusyError(
                f"libSQL file database {self._target.file_path} stayed locked by another "
                f"writer for {self._busy_timeout:g} s: {explanation}; retry, or run sqld and "
                f"set CREAM_DB_URL=http://127.0.0.1:8080 for many concurrent writers"
            )
        if code.startswith("SQLITE_CONSTRAINT"):
            return ConstraintViolationError(f"{explanation} [{code}]")
        if code.startswith(_UNAVAILABLE_PREFIXES):
            return _unavailable(self._target, f"{explanation} [{code}]")
        return QueryError(f"{explanation} [{code}]")


def _convert(result: Any) -> ExecResult:
    rows: list[Row] = [row.asdict() for row in result.rows]
    return ExecResult(rows=rows, rows_affected=int(result.rows_affected))


def _network_reason(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", exc)
    if isinstance(os_error, ConnectionRefusedError) or (
        isinstance(os_error, OSError) and os_error.errno == errno.ECONNREFUSED
    ):
        return "connection refused"
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror.lower()
    return str(exc) or type(exc).__name__


def _unavailable(target: _Target, reason: str) -> DatabaseUnavailableError:
    if target.file_path is not None:
        return _file_unavailable(target, reason)
    return DatabaseUnavailableError(
        f"cannot reach libSQL at {target.display}: {reason}; is sqld running? set CREAM_DB_URL"
    )


def _file_unavailable(target: _Target, reason: str) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(
        f"cannot open libSQL file database {target.file_path}: {reason}; check the path and "
        f"its permissions, or set CREAM_DB_URL"
    )
