"""Migrations: applied once, in order, atomically, recorded with checksums that catch drift."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cream.storage import migrations
from cream.storage.database import Database
from cream.storage.errors import (
    ConstraintViolationError,
    MigrationChecksumError,
    MigrationError,
    UnknownMigrationError,
)

CREATE_A = "CREATE TABLE a (id TEXT PRIMARY KEY, note TEXT NOT NULL);\n"
CREATE_B = "CREATE TABLE b (id TEXT PRIMARY KEY);\nINSERT INTO b (id) VALUES ('x; y');\n"


def write(folder: Path, name: str, sql: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(sql)
    return path


async def tables(db: Database) -> set[str]:
    # sqlite_sequence is SQLite's own bookkeeping of AUTOINCREMENT (the outbox positions).
    rows = await db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {str(row["name"]) for row in rows}


async def test_shipped_migrations_are_applied_once_and_recorded(libsql_url: str):
    async with await Database.connect(libsql_url) as first:
        assert {"orders", "fills", "schema_migrations"} <= await tables(first)
    async with await Database.connect(libsql_url) as second:
        again = await migrations.migrate(second)
        rows = await second.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations"
        )

    shipped = migrations.load_migrations()
    assert again == []
    assert [(row["version"], row["name"], row["checksum"]) for row in rows] == [
        (m.version, m.name, m.checksum) for m in shipped
    ]
    assert all(str(row["applied_at"]).endswith("Z") for row in rows)


async def test_status_lists_pending_then_applied(libsql_url: str, tmp_path: Path):
    folder = tmp_path / "migrations"
    write(folder, "0001_a.sql", CREATE_A)
    write(folder, "0002_b.sql", CREATE_B)
    only_first = (migrations.load_migrations(folder)[0],)
    both = migrations.load_migrations(folder)
    async with await Database.connect(libsql_url, migrate=False) as db:
        before = await migrations.status(db, both)
        await migrations.migrate(db, only_first)
        after = await migrations.status(db, both)

    assert [(s.label, s.state) for s in before] == [("0001_a", "pending"), ("0002_b", "pending")]
    assert [(s.label, s.state) for s in after] == [("0001_a", "applied"), ("0002_b", "pending")]
    assert after[0].applied_at is not None
    assert after[1].applied_at is None


async def test_changed_applied_migration_is_detected(libsql_url: str, tmp_path: Path):
    folder = tmp_path / "migrations"
    path = write(folder, "0001_a.sql", CREATE_A)
    async with await Database.connect(libsql_url, migrate=False) as db:
        await migrations.migrate(db, migrations.load_migrations(folder))
        path.write_text(CREATE_A.replace("note TEXT", "memo TEXT"))
        edited = migrations.load_migrations(folder)

        with pytest.raises(MigrationChecksumError, match="0001_a changed after it was applied"):
            await migrations.migrate(db, edited)
        states = await migrations.status(db, edited)

    assert [(s.label, s.state) for s in states] == [("0001_a", "changed")]


async def test_database_newer_than_the_code_is_refused(libsql_url: str, tmp_path: Path):
    folder = tmp_path / "migrations"
    write(folder, "0001_a.sql", CREATE_A)
    write(folder, "0002_b.sql", CREATE_B)
    both = migrations.load_migrations(folder)
    async with await Database.connect(libsql_url, migrate=False) as db:
        await migrations.migrate(db, both)

        with pytest.raises(UnknownMigrationError, match="0002_b"):
            await migrations.migrate(db, both[:1])
        states = await migrations.status(db, both[:1])

    assert [(s.label, s.state) for s in states] == [("0001_a", "applied"), ("0002_b", "unknown")]


async def test_failing_migration_leaves_no_trace(libsql_url: str, tmp_path: Path):
    folder = tmp_path / "migrations"
    write(folder, "0001_a.sql", CREATE_A)
    write(folder, "0002_broken.sql", "CREATE TABLE c (id TEXT);\nINSERT INTO missing VALUES (1);\n")
    async with await Database.connect(libsql_url, migrate=False) as db:
        with pytest.raises(MigrationError, match="0002_broken failed and was rolled back"):
            await migrations.migrate(db, migrations.load_migrations(folder))
        names = await tables(db)
        recorded = await db.query("SELECT version FROM schema_migrations")

    assert "a" in names
    assert "c" not in names
    assert recorded == [{"version": 1}]


async def test_concurrent_migrations_apply_each_file_once(libsql_url: str):
    first = await Database.connect(libsql_url, migrate=False)
    second = await Database.connect(libsql_url, migrate=False)
    try:
        results = await asyncio.gather(migrations.migrate(first), migrations.migrate(second))
        rows = await first.query("SELECT version FROM schema_migrations")
    finally:
        await first.close()
        await second.close()

    # The two callers may share the work, but every file is applied by exactly one of them.
    applied_versions = [m.version for applied in results for m in applied]
    assert sorted(applied_versions) == [m.version for m in migrations.load_migrations()]
    assert len(rows) == len(migrations.load_migrations())


def test_statements_split_on_semicolons_outside_strings_comments_and_triggers():
    sql = (
        "-- header; with a semicolon\n"
        "CREATE TABLE t (v TEXT DEFAULT 'a;b');\n"
        "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN\n"
        "  UPDATE t SET v = 'x;y';\n"
        "END;\n"
        "-- trailing comment\n"
    )

    statements = migrations.split_statements(sql)

    assert len(statements) == 2
    assert statements[0].endswith("DEFAULT 'a;b');")
    assert statements[1].startswith("CREATE TRIGGER")
    assert statements[1].endswith("END;")


def test_unterminated_statement_is_refused():
    with pytest.raises(MigrationError, match="not a complete statement"):
        migrations.split_statements("CREATE TABLE t (id TEXT);\nCREATE TABLE u (id TEXT)")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["0001_a.sql", "0003_c.sql"], "without gaps"),
        (["0001_a.sql", "0001_b.sql"], "share version 0001"),
        (["1_a.sql"], "NNNN_lower_snake_name.sql"),
        (["0001_Orders.sql"], "NNNN_lower_snake_name.sql"),
    ],
)
def test_badly_numbered_migration_files_are_refused(tmp_path: Path, names: list[str], message: str):
    for name in names:
        write(tmp_path, name, CREATE_A)

    with pytest.raises(MigrationError, match=message):
        migrations.load_migrations(tmp_path)


async def test_every_table_has_id_environment_timestamps_and_no_real_columns(db: Database):
    for table in await tables(db) - {"schema_migrations"}:
        columns = {
            str(row["name"]): str(row["type"]).upper()
            for row in await db.query(f"PRAGMA table_info({table})")
        }
        assert {"id", "environment", "created_at", "updated_at"} <= columns.keys(), table
        assert not {"REAL", "FLOAT", "DOUBLE"} & set(columns.values()), table


async def test_every_table_of_architecture_section_6_exists(db: Database):
    expected = {
        "orders",
        "fills",
        "cycles",
        "decisions",
        "agent_outputs",
        "consensus_rounds",
        "position_snapshots",
        "regime_labels",
        "config_versions",
        "config_audit",
        "outbox",
        "consumer_offsets",
        "consumer_inbox",
        "memory_cases",
        "backtests",
    }

    assert expected <= await tables(db)


async def test_regime_labels_are_unique_per_symbol_timestamp_and_timeframe(db: Database):
    insert = (
        "INSERT INTO regime_labels (id, environment, symbol, timestamp, timeframe, regime, "
        "confidence, model_name, model_version, created_at, updated_at) "
        "VALUES (?, 'PAPER', 'AAPL', '2026-11-18T15:00:00.000000Z', '1h', 'BULL_TREND', '0.8', "
        "'hmm', '1', 'now', 'now')"
    )
    await db.execute(insert, ("r1",))

    with pytest.raises(ConstraintViolationError):
        await db.execute(insert, ("r2",))
