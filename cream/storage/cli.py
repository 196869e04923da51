"""`cream db migrate|status|seed`: apply and inspect migrations, activate the default config."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from cream.config.cli import add_seed_command
from cream.settings import get_settings
from cream.storage import migrations
from cream.storage.database import Database
from cream.storage.errors import StorageError

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `cream db {migrate,status,seed}` to the `cream` parser."""
    db = subparsers.add_parser(
        "db",
        help="libSQL database: migrations and the default config",
        description="Manage the libSQL database named by CREAM_DB_URL (default file:var/cream.db).",
    )
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    migrate = actions.add_parser("migrate", help="apply the pending migrations")
    status = actions.add_parser(
        "status",
        help="list applied and pending migrations (exit 1 if an applied one changed)",
    )
    for parser in (migrate, status):
        parser.add_argument("--url", help="database URL; overrides CREAM_DB_URL")
    migrate.set_defaults(handler=run_migrate)
    status.set_defaults(handler=run_status)
    add_seed_command(actions)


def run_migrate(args: argparse.Namespace) -> int:
    """Handler of `cream db migrate`."""
    return _run(args, _migrate)


def run_status(args: argparse.Namespace) -> int:
    """Handler of `cream db status`."""
    return _run(args, _status)


Action = Callable[[Database, TextIO], Awaitable[int]]


def _run(args: argparse.Namespace, action: Action) -> int:
    url: str = args.url or get_settings().cream_db_url
    try:
        return asyncio.run(_with_database(url, action))
    except StorageError as exc:
        # One actionable line, no traceback: these are operator errors, not bugs.
        print(f"cream db: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return EXIT_ERROR


async def _with_database(url: str, action: Action) -> int:
    async with await Database.connect(url, migrate=False) as db:
        return await action(db, sys.stdout)


async def _migrate(db: Database, out: TextIO) -> int:
    applied = await migrations.migrate(db)
    for migration in applied:
        print(f"applied {migration.label}", file=out)
    total = len(migrations.load_migrations())
    print(f"{db.url}: up to date ({total} migrations, {len(applied)} applied now)", file=out)
    return EXIT_OK


async def _status(db: Database, out: TextIO) -> int:
    states = await migrations.status(db)
    rows = [("VERSION", "NAME", "STATE", "APPLIED AT")]
    rows += [(f"{s.version:04d}", s.name, s.state, s.applied_at or "-") for s in states]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(f"database: {db.url}", file=out)
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    counts = {name: sum(1 for s in states if s.state == name) for name in ("applied", "pending")}
    print(f"{counts['applied']} applied, {counts['pending']} pending", file=out)
    drift = [s for s in states if s.state in ("changed", "unknown")]
    for s in drift:
        hint = (
            "its file changed after it was applied"
            if s.state == "changed"
            else "this code does not ship it"
        )
        print(f"cream db: migration {s.label} is {s.state}: {hint}", file=sys.stderr)
    return EXIT_DRIFT if drift else EXIT_OK
