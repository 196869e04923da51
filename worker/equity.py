"""The equity curve's writer: account snapshots from the engine into `equity_snapshots`.

The scheduled job (`jobs.snapshot_equity`) takes one every few minutes while the session is
open; the cycle jobs take one right after each cycle, so the curve shows what a cycle did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cream.clock import Clock
from cream.engine.client import EngineCallError
from cream.storage.database import Database, Statement
from cream.storage.equity import EquityRepository, SnapshotSource
from cream.storage.errors import StorageError
from cream.v1 import execution_pb2 as ex

logger = logging.getLogger(__name__)


class AccountSource(Protocol):
    """Where the account state comes from: `cream.engine.client.EngineClient` in the process."""

    async def get_account_state(self, *, timeout: float | None = None) -> ex.AccountState:
        """The engine's account state (equity, cash, buying power, as_of)."""
        ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One account snapshot ready to store: the INSERT and what it recorded."""

    statement: Statement
    detail: dict[str, Any]


class EquityRecorder:
    """Reads the account from the engine and builds or stores its snapshot.

    Args:
        account: The engine's account RPC.
        db: The database the snapshots are written to.
        repo: The environment's equity snapshots (over `db`).
        clock: Used for `time` when the engine does not say when it valued the account.
        timeout: Deadline of the account call, seconds.
    """

    def __init__(
        self,
        account: AccountSource,
        db: Database,
        repo: EquityRepository,
        *,
        clock: Clock,
        timeout: float,
    ) -> None:
        self._account = account
        self._db = db
        self._repo = repo
        self._clock = clock
        self._timeout = timeout

    async def snapshot(self, source: SnapshotSource, cycle_id: str | None = None) -> Snapshot:
        """Asks the engine for the account and builds the snapshot's INSERT.

        Raises:
            EngineCallError: The engine refused or did not answer.
            InvalidRecordError: The engine's money values are not decimals (nothing stored).
        """
        state = await self._account.get_account_state(timeout=self._timeout)
        when = _valued_at(state) or self._clock.now()
        statement = self._repo.snapshot_statement(
            time=when,
            equity=state.equity,
            cash=state.cash,
            buying_power=state.buying_power,
            source=source,
            cycle_id=cycle_id,
        )
        detail = {
            "time": when.isoformat().replace("+00:00", "Z"),
            "equity": state.equity,
            "cash": state.cash,
            "buying_power": state.buying_power,
        }
        return Snapshot(statement, detail)

    async def store(self, snapshot: Snapshot, *also: Statement) -> None:
        """Writes the snapshot and `also` (e.g. its job run's outcome) in one transaction."""
        await self._db.batch([snapshot.statement, *also])

    async def after_cycle(self, cycle_id: str) -> bool:
        """Stores the account right after cycle `cycle_id`; returns whether it was stored.

        A failure is logged, never raised: the cycle's own outcome is already recorded, and
        the next scheduled snapshot fills the curve in.
        """
        try:
            snapshot = await self.snapshot("cycle", cycle_id)
            await self.store(snapshot)
        except (EngineCallError, StorageError) as exc:
            logger.warning("equity snapshot after cycle %s not taken: %s", cycle_id, exc)
            return False
        return True


def _valued_at(state: ex.AccountState) -> datetime | None:
    if not state.HasField("as_of") or (state.as_of.seconds == 0 and state.as_of.nanos == 0):
        return None
    return state.as_of.ToDatetime(tzinfo=UTC)
