"""Numbered SQL migrations (`migrations/NNNN_name.sql`): applied in order, recorded, checksummed."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from cream.clock import Clock, SystemClock
from cream.storage.database import Database, Statement
from cream.storage.errors import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    MigrationChecksumError,
    MigrationError,
    StorageError,
    UnknownMigrationError,
)
from cream.storage.timestamps import format_utc

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9][a-z0-9_]*)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
)
"""

MigrationStateName = Literal["applied", "pending", "changed", "unknown"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One shipped migration file."""

    version: int
    name: str
    sql: str
    checksum: str

    @property
    def label(self) -> str:
        """`0001_orders`: the file name without `.sql`."""
        return f"{self.version:04d}_{self.name}"

    def statements(self) -> list[str]:
        """The file's SQL statements, in order."""
        return split_statements(self.sql, source=self.label)


@dataclass(frozen=True, slots=True)
class MigrationState:
    """Where one migration stands in a database.

    `state` is `applied`, `pending`, `changed` (applied, but its file changed since) or
    `unknown` (recorded in the database, not shipped by this code).
    """

    version: int
    name: str
    state: MigrationStateName
    applied_at: str | None

    @property
    def label(self) -> str:
        """`0001_orders`."""
        return f"{self.version:04d}_{self.name}"


def split_statements(sql: str, *, source: str = "SQL") -> list[str]:
    """Splits a script into complete statements (semicolons in strings and triggers kept).

    Raises:
        MigrationError: When text after the last statement is not a complete statement.
    """
    statements: list[str] = []
    start = 0
    for index, char in enumerate(sql):
        if char != ";":
            continue
        candidate = sql[start : index + 1]
        if sqlite3.complete_statement(candidate):
            if _strip_comments(candidate[:-1]):
                statements.append(candidate.strip())
            start = index + 1
    if _strip_comments(sql[start:]):
        raise MigrationError(f"{source}: the text after the last ';' is not a complete statement")
    return statements


def _strip_comments(text: str) -> str:
    lines = (line.split("--", 1)[0] for line in text.splitlines())
    return "".join(lines).strip()


def load_migrations(directory: Traversable | Path | None = None) -> tuple[Migration, ...]:
    """Reads the migration files, ordered by version (default: the shipped ones).

    Raises:
        MigrationError: A `.sql` file is misnamed, versions repeat, or they do not run 1..N.
    """
    folder = directory if directory is not None else files("cream.storage") / "migrations"
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.is_file() or not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(
                f"migration file {entry.name!r} must be named NNNN_lower_snake_name.sql"
            )
        version = int(match["version"])
        if version in found:
            raise MigrationError(
                f"two migration files share version {version:04d}: "
                f"{found[version].label}.sql and {entry.name}; renumber one"
            )
        # Line endings are normalised so a Windows checkout does not look like drift.
        sql = entry.read_bytes().decode("utf-8").replace("\r\n", "\n")
        checksum = hashlib.sha256(sql.encode("utf-8")).hexdigest()
        found[version] = Migration(version, match["name"], sql, checksum)
    ordered = tuple(found[version] for version in sorted(found))
    for expected, migration in enumerate(ordered, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration versions must run 1..N without gaps: expected {expected:04d}, "
                f"found {migration.label}.sql"
            )
    return ordered


async def migrate(
    db: Database,
    migrations: tuple[Migration, ...] | None = None,
    *,
    clock: Clock | None = None,
) -> list[Migration]:
    """Applies pending migrations in order, each in its own transaction with its record.

    Safe to run from several processes at once: a migration another process applied first
    is detected and skipped.

    Returns:
        The migrations this call applied (empty when the database was up to date).

    Raises:
        MigrationChecksumError: An applied migration's file changed.
        UnknownMigrationError: The database has a migration this code does not ship.
        MigrationError: A migration failed (its transaction was rolled back) or is out of order.
    """
    shipped = migrations if migrations is not None else load_migrations()
    await db.execute(_CREATE_TABLE)
    applied = await _applied(db)
    _verify(applied, shipped)
    newest = max(applied, default=0)
    pending = [migration for migration in shipped if migration.version not in applied]
    for migration in pending:
        if migration.version < newest:
            raise MigrationError(
                f"migration {migration.label} is older than applied migration {newest:04d}; "
                f"migrations must be applied in order: renumber it after {newest:04d}"
            )
    applied_at = format_utc((clock or SystemClock()).now())
    done: list[Migration] = []
    for migration in pending:
        record = Statement(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
            "VALUES (?, ?, ?, ?)",
            (migration.version, migration.name, migration.checksum, applied_at),
        )
        steps = [Statement(sql) for sql in migration.statements()]
        try:
            await db.batch([*steps, record])
        except (DatabaseUnavailableError, DatabaseBusyError):
            raise
        except StorageError as exc:
            now_applied = await _applied(db)
            if now_applied.get(migration.version, ("", ""))[1] == migration.checksum:
                continue  # another process applied it between our read and our batch
            raise MigrationError(
                f"migration {migration.label} failed and was rolled back: {exc.message}"
            ) from exc
        done.append(migration)
    return done


async def status(
    db: Database, migrations: tuple[Migration, ...] | None = None
) -> list[MigrationState]:
    """Lists every shipped and recorded migration with its state, without changing anything."""
    shipped = migrations if migrations is not None else load_migrations()
    exists = await db.query_one(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )
    rows = (
        await db.query("SELECT version, name, checksum, applied_at FROM schema_migrations")
        if exists is not None
        else []
    )
    recorded = {int(str(row["version"])): row for row in rows}
    states: list[MigrationState] = []
    for migration in shipped:
        row = recorded.pop(migration.version, None)
        if row is None:
            states.append(MigrationState(migration.version, migration.name, "pending", None))
            continue
        same = row["checksum"] == migration.checksum and row["name"] == migration.name
        state: MigrationStateName = "applied" if same else "changed"
        states.append(
            MigrationState(migration.version, migration.name, state, str(row["applied_at"]))
        )
    for version, row in sorted(recorded.items()):
        states.append(MigrationState(version, str(row["name"]), "unknown", str(row["applied_at"])))
    return states


async def _applied(db: Database) -> dict[int, tuple[str, str]]:
    rows = await db.query("SELECT version, name, checksum FROM schema_migrations")
    return {int(str(row["version"])): (str(row["name"]), str(row["checksum"])) for row in rows}


def _verify(applied: dict[int, tuple[str, str]], shipped: tuple[Migration, ...]) -> None:
    by_version = {migration.version: migration for migration in shipped}
    for version in sorted(applied):
        name, checksum = applied[version]
        migration = by_version.get(version)
        if migration is None:
            raise UnknownMigrationError(
                f"the database has migration {version:04d}_{name}, which this code does not "
                f"ship; upgrade Cream or point CREAM_DB_URL at another database"
            )
        if checksum != migration.checksum or name != migration.name:
            raise MigrationChecksumError(
                f"migration {migration.label} changed after it was applied as "
                f"{version:04d}_{name} (recorded sha256 {checksum[:12]}, file "
                f"{migration.checksum[:12]}); restore the file and put the change in a new "
                f"migration"
            )
