"""`cream db migrate|status` through the real `cream` entry point."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from cream.cli import main
from cream.settings import get_settings
from cream.storage import migrations
from cream.storage.database import Database
from tests.servers import free_port


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings are cached per process; re-read them around a test that sets the environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def rows(status_output: str) -> list[list[str]]:
    """The status table's rows split into cells (after the `database:` line)."""
    return [line.split() for line in status_output.splitlines()[1:]]


def test_status_shows_pending_then_migrate_applies_it(
    libsql_url: str, capsys: pytest.CaptureFixture[str]
):
    assert main(["db", "status", "--url", libsql_url]) == 0
    before = capsys.readouterr().out
    assert main(["db", "migrate", "--url", libsql_url]) == 0
    migrated = capsys.readouterr().out
    assert main(["db", "migrate", "--url", libsql_url]) == 0
    again = capsys.readouterr().out
    assert main(["db", "status", "--url", libsql_url]) == 0
    after = capsys.readouterr().out

    shipped = migrations.load_migrations()
    last = shipped[-1]
    assert rows(before)[0] == ["VERSION", "NAME", "STATE", "APPLIED", "AT"]
    assert rows(before)[1] == ["0001", "orders", "pending", "-"]
    assert rows(before)[len(shipped)] == [f"{last.version:04d}", last.name, "pending", "-"]
    assert [line for line in migrated.splitlines() if line.startswith("applied ")] == [
        f"applied {migration.label}" for migration in shipped
    ]
    assert "0 applied now" in again
    assert rows(after)[1][:3] == ["0001", "orders", "applied"]
    assert rows(after)[1][3].startswith("20")
    assert f"{len(shipped)} applied, 0 pending" in after


def test_commands_use_cream_db_url(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
    capsys: pytest.CaptureFixture[str],
):
    path = tmp_path / "from-env" / "cream.db"
    monkeypatch.setenv("CREAM_DB_URL", f"file:{path}")

    assert main(["db", "migrate"]) == 0

    assert path.is_file()
    assert f"file:{path}: up to date" in capsys.readouterr().out


def test_unreachable_database_is_one_error_line_and_exit_2(capsys: pytest.CaptureFixture[str]):
    url = f"http://127.0.0.1:{free_port()}"

    code = main(["db", "status", "--url", url])

    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        f"cream db: error [DATABASE_UNAVAILABLE]: cannot reach libSQL at {url}: connection "
        f"refused; is sqld running? set CREAM_DB_URL"
    ]


def test_invalid_url_is_one_error_line_and_exit_2(capsys: pytest.CaptureFixture[str]):
    assert main(["db", "migrate", "--url", "libsql://db.turso.io"]) == 2
    assert capsys.readouterr().err.startswith("cream db: error [INVALID_DATABASE_URL]:")


async def change_recorded_checksum(url: str) -> None:
    async with await Database.connect(url) as db:
        await db.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")


def test_status_exits_1_when_an_applied_migration_changed(
    libsql_url: str, capsys: pytest.CaptureFixture[str]
):
    asyncio.run(change_recorded_checksum(libsql_url))

    assert main(["db", "status", "--url", libsql_url]) == 1
    captured = capsys.readouterr()
    assert rows(captured.out)[1][:3] == ["0001", "orders", "changed"]
    assert "0001_orders is changed" in captured.err
    assert main(["db", "migrate", "--url", libsql_url]) == 2
    assert "[MIGRATION_CHECKSUM_MISMATCH]" in capsys.readouterr().err
