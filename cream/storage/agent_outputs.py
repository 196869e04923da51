"""The agent output store: what each agent returned, per cycle, symbol and round, with usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from cream.storage.database import Row, Statement
from cream.storage.errors import InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import (
    decimal_text,
    dump_json,
    integer,
    json_column,
    optional_integer,
    optional_text,
    text,
)
from cream.storage.timestamps import format_utc

_SELECT: Final = (
    "SELECT id, cycle_id, agent, symbol, round, output, model, tokens_in, tokens_out, cost_usd, "
    "latency_ms, created_at FROM agent_outputs"
)


@dataclass(frozen=True, slots=True)
class AgentOutputRecord:
    """One agent call's structured output and usage. `symbol` is "" for plan-wide agents."""

    id: str
    cycle_id: str
    agent: str
    output: dict[str, Any]
    symbol: str = ""
    round: int = 0
    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: str = "0"
    latency_ms: int | None = None
    created_at: str = field(default="", compare=False)


class AgentOutputRepository(EnvironmentRepository):
    """Agent outputs of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def insert_statement(self, record: AgentOutputRecord) -> Statement:
        """The INSERT of one output; a second output for the same cycle, agent, symbol and
        round is refused by the database.

        Raises:
            InvalidRecordError: An id or the agent is empty, or the output is not JSON.
        """
        if not record.id or not record.cycle_id or not record.agent:
            raise InvalidRecordError("an agent output needs its id, cycle_id and agent")
        what = f"agent output {record.id}"
        now = format_utc(self._clock.now())
        return Statement(
            "INSERT INTO agent_outputs (id, environment, cycle_id, agent, symbol, round, output, "
            "model, tokens_in, tokens_out, cost_usd, latency_ms, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                self._environment,
                record.cycle_id,
                record.agent,
                record.symbol,
                record.round,
                dump_json(record.output, what),
                record.model,
                record.tokens_in,
                record.tokens_out,
                decimal_text(record.cost_usd, f"{what}: cost_usd"),
                record.latency_ms,
                now,
                now,
            ),
        )

    async def insert(self, record: AgentOutputRecord) -> None:
        """Stores one output (see `insert_statement`)."""
        statement = self.insert_statement(record)
        await self._db.execute(statement.sql, statement.params)

    async def for_cycle(self, cycle_id: str) -> list[AgentOutputRecord]:
        """The cycle's outputs by round, agent and symbol."""
        rows = await self._db.query(
            f"{_SELECT} WHERE environment = ? AND cycle_id = ? ORDER BY round, agent, symbol",
            (self._environment, cycle_id),
        )
        return [_record(row) for row in rows]


def _record(row: Row) -> AgentOutputRecord:
    return AgentOutputRecord(
        id=text(row, "id"),
        cycle_id=text(row, "cycle_id"),
        agent=text(row, "agent"),
        symbol=text(row, "symbol"),
        round=integer(row, "round"),
        output=dict(json_column(row, "output")),
        model=optional_text(row, "model"),
        tokens_in=integer(row, "tokens_in"),
        tokens_out=integer(row, "tokens_out"),
        cost_usd=text(row, "cost_usd"),
        latency_ms=optional_integer(row, "latency_ms"),
        created_at=text(row, "created_at"),
    )
