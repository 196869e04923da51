"""Agent outputs: one row per agent, symbol and round, with usage."""

from __future__ import annotations

import pytest

from cream.clock import ManualClock
from cream.storage.agent_outputs import AgentOutputRecord, AgentOutputRepository
from cream.storage.database import Database
from cream.storage.errors import ConstraintViolationError


def output(record_id: str, agent: str = "technical_analyst", **kwargs) -> AgentOutputRecord:
    return AgentOutputRecord(
        id=record_id,
        cycle_id="cyc-1",
        agent=agent,
        output={"setup": "breakout", "levels": [180.0, 205.5]},
        **kwargs,
    )


async def test_outputs_read_back_by_round_agent_and_symbol(db: Database, clock: ManualClock):
    outputs = AgentOutputRepository(db, "PAPER", clock=clock)
    await outputs.insert(output("o2", "trader", round=1, tokens_in=900, cost_usd="0.02"))
    await outputs.insert(output("o1", symbol="AAPL", model="gemini-3-pro-preview"))

    stored = await outputs.for_cycle("cyc-1")

    assert [(o.id, o.agent, o.symbol, o.round) for o in stored] == [
        ("o1", "technical_analyst", "AAPL", 0),
        ("o2", "trader", "", 1),
    ]
    assert stored[0].output == {"setup": "breakout", "levels": [180.0, 205.5]}
    assert (stored[1].tokens_in, stored[1].cost_usd) == (900, "0.02")


async def test_a_second_output_for_the_same_agent_symbol_and_round_is_refused(db: Database):
    outputs = AgentOutputRepository(db, "PAPER")
    await outputs.insert(output("o1", symbol="AAPL"))

    with pytest.raises(ConstraintViolationError):
        await outputs.insert(output("o2", symbol="AAPL"))
