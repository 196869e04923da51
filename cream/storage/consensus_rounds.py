"""The consensus round store: each revision round's plan and the approvers' verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cream.storage.database import Row, Statement
from cream.storage.errors import InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import dump_json, integer, json_column, text
from cream.storage.timestamps import format_utc


@dataclass(frozen=True, slots=True)
class ConsensusRoundRecord:
    """One round: the trader's plan (JSON), the verdicts (JSON) and whether both approved."""

    id: str
    cycle_id: str
    round: int
    plan: dict[str, Any]
    verdicts: list[dict[str, Any]]
    approved: bool
    created_at: str = field(default="", compare=False)


class ConsensusRoundRepository(EnvironmentRepository):
    """Consensus rounds of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def insert_statement(self, record: ConsensusRoundRecord) -> Statement:
        """The INSERT of one round; the database refuses a second row for the same round.

        Raises:
            InvalidRecordError: An id is empty, the round is below 1, or a value is not JSON.
        """
        if not record.id or not record.cycle_id or record.round < 1:
            raise InvalidRecordError(
                "a consensus round needs its id, cycle_id and a round number from 1"
            )
        what = f"consensus round {record.id}"
        now = format_utc(self._clock.now())
        return Statement(
            "INSERT INTO consensus_rounds (id, environment, cycle_id, round, plan, verdicts, "
            "approved, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                self._environment,
                record.cycle_id,
                record.round,
                dump_json(record.plan, f"{what}: plan"),
                dump_json(record.verdicts, f"{what}: verdicts"),
                int(record.approved),
                now,
                now,
            ),
        )

    async def insert(self, record: ConsensusRoundRecord) -> None:
        """Stores one round (see `insert_statement`)."""
        statement = self.insert_statement(record)
        await self._db.execute(statement.sql, statement.params)

    async def for_cycle(self, cycle_id: str) -> list[ConsensusRoundRecord]:
        """The cycle's rounds in order."""
        rows = await self._db.query(
            "SELECT id, cycle_id, round, plan, verdicts, approved, created_at "
            "FROM consensus_rounds WHERE environment = ? AND cycle_id = ? ORDER BY round",
            (self._environment, cycle_id),
        )
        return [_record(row) for row in rows]


def _record(row: Row) -> ConsensusRoundRecord:
    return ConsensusRoundRecord(
        id=text(row, "id"),
        cycle_id=text(row, "cycle_id"),
        round=integer(row, "round"),
        plan=dict(json_column(row, "plan")),
        verdicts=list(json_column(row, "verdicts")),
        approved=integer(row, "approved") == 1,
        created_at=text(row, "created_at"),
    )
