"""The Database handle: URLs, atomic batches, actionable errors when the database is unusable."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from cream.storage.database import Database, Statement, parse_database_url
from cream.storage.errors import (
    ConstraintViolationError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    InvalidDatabaseUrlError,
    QueryError,
)
from tests.servers import free_port

NOTES = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"


async def test_batch_commits_all_statements_together(libsql_url: str):
    async with await Database.connect(libsql_url, migrate=False) as db:
        await db.execute(NOTES)
        results = await db.batch(
            [
                Statement("INSERT INTO notes (body) VALUES (?)", ("a",)),
                Statement("INSERT INTO notes (body) VALUES (?)", ("b",)),
                Statement("SELECT count(*) AS n FROM notes"),
            ]
        )

        assert [r.rows_affected for r in results[:2]] == [1, 1]
        assert results[2].rows == [{"n": 2}]


async def test_failed_batch_writes_nothing(libsql_url: str):
    async with await Database.connect(libsql_url, migrate=False) as db:
        await db.execute(NOTES)
        await db.execute("INSERT INTO notes (body) VALUES ('taken')")

        with pytest.raises(ConstraintViolationError) as caught:
            await db.batch(
                [
                    Statement("INSERT INTO notes (body) VALUES (?)", ("new",)),
                    Statement("INSERT INTO notes (body) VALUES (?)", ("taken",)),
                ]
            )

        assert caught.value.code == "CONSTRAINT_VIOLATION"
        assert await db.query("SELECT body FROM notes") == [{"body": "taken"}]


async def test_values_of_every_type_round_trip(libsql_url: str):
    async with await Database.connect(libsql_url, migrate=False) as db:
        row = await db.query_one(
            "SELECT ? AS t, ? AS i, ? AS f, ? AS b, ? AS n",
            ("1.10", 2**62, 0.5, b"\x00\xff", None),
        )

        assert row == {"t": "1.10", "i": 2**62, "f": 0.5, "b": b"\x00\xff", "n": None}
        assert await db.query_one("SELECT 1 WHERE 0") is None


async def test_bad_sql_is_a_query_error(libsql_url: str):
    async with await Database.connect(libsql_url, migrate=False) as db:
        with pytest.raises(QueryError) as caught:
            await db.execute("SELEC 1")

        assert caught.value.code == "QUERY_FAILED"


async def test_unreachable_server_raises_actionable_unavailable_error():
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(DatabaseUnavailableError) as caught:
        await Database.connect(url, timeout_seconds=5)

    assert caught.value.code == "DATABASE_UNAVAILABLE"
    assert str(caught.value) == (
        f"cannot reach libSQL at {url}: connection refused; is sqld running? set CREAM_DB_URL"
    )


async def test_auth_token_never_appears_in_errors():
    url = f"http://127.0.0.1:{free_port()}?authToken=s3cret"

    with pytest.raises(DatabaseUnavailableError) as caught:
        await Database.connect(url)

    assert "s3cret" not in str(caught.value)


async def test_file_database_creates_its_folder(tmp_path: Path):
    path = tmp_path / "var" / "deep" / "cream.db"

    async with await Database.connect(f"file:{path}") as db:
        assert db.url == f"file:{path}"
        assert db.scheme == "file"

    assert path.is_file()


async def test_unopenable_file_raises_actionable_unavailable_error(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    with pytest.raises(DatabaseUnavailableError, match="cannot open libSQL file database"):
        await Database.connect(f"file:{blocker / 'cream.db'}")


async def test_file_that_is_not_a_database_is_unavailable(tmp_path: Path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(DatabaseUnavailableError, match=r"junk\.db"):
        await Database.connect(f"file:{path}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("libsql://db.turso.io", "https:// form"),
        ("ws://127.0.0.1:8080", "unsupported database URL scheme ws:"),
        ("file::memory:", "names no file"),
        ("file://host/x.db", "has a host"),
        ("http://", "has no host"),
        ("var/cream.db", "unsupported database URL scheme"),
    ],
)
async def test_unsupported_urls_are_refused(url: str, message: str):
    with pytest.raises(InvalidDatabaseUrlError, match=message):
        await Database.connect(url)


def test_display_url_drops_credentials():
    assert parse_database_url("https://user:pw@db.example:443/x?authToken=t") == (
        "https",
        "https://db.example:443/x",
    )


async def test_closed_handle_refuses_work(tmp_path: Path):
    db = await Database.connect(f"file:{tmp_path / 'c.db'}")
    await db.close()
    await db.close()

    with pytest.raises(DatabaseUnavailableError, match="closed"):
        await db.execute("SELECT 1")


def hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        other.execute("COMMIT")
    finally:
        other.close()


async def test_file_write_waits_for_another_writer(tmp_path: Path):
    path = tmp_path / "busy.db"
    async with await Database.connect(f"file:{path}", migrate=False) as db:
        await db.execute(NOTES)
        locked = threading.Event()
        holder = threading.Thread(target=hold_write_lock, args=(path, 0.3, locked))
        holder.start()
        locked.wait(5)
        try:
            await db.batch([Statement("INSERT INTO notes (body) VALUES ('after')")])
        finally:
            holder.join()

        assert await db.query("SELECT body FROM notes") == [{"body": "after"}]


async def test_file_write_gives_up_with_busy_error_after_its_budget(tmp_path: Path):
    path = tmp_path / "busy.db"
    async with await Database.connect(
        f"file:{path}", migrate=False, busy_timeout_seconds=0.1
    ) as db:
        await db.execute(NOTES)
        locked = threading.Event()
        holder = threading.Thread(target=hold_write_lock, args=(path, 0.4, locked))
        holder.start()
        locked.wait(5)
        try:
            with pytest.raises(DatabaseBusyError, match="stayed locked"):
                await db.execute("INSERT INTO notes (body) VALUES ('x')")
        finally:
            holder.join()
