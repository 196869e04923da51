"""The base of the per-environment repositories: one database, one environment, one clock."""

from __future__ import annotations

from cream.clock import Clock, SystemClock
from cream.storage.database import Database
from cream.storage.order_records import check_environment


class EnvironmentRepository:
    """Rows of one environment (BACKTEST, PAPER or LIVE) in an open, migrated database.

    Args:
        db: An open database with the migrations applied.
        environment: BACKTEST, PAPER or LIVE; anything else raises `InvalidRecordError`.
        clock: Source of created_at/updated_at.
    """

    def __init__(self, db: Database, environment: str, *, clock: Clock | None = None) -> None:
        self._db = db
        self._environment = check_environment(environment)
        self._clock = clock or SystemClock()
