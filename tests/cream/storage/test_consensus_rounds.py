"""Consensus rounds: every round's plan and verdicts are stored, once per round."""

from __future__ import annotations

import pytest

from cream.clock import ManualClock
from cream.storage.consensus_rounds import ConsensusRoundRecord, ConsensusRoundRepository
from cream.storage.database import Database
from cream.storage.errors import ConstraintViolationError, InvalidRecordError


def make_round(number: int, approved: bool) -> ConsensusRoundRecord:
    return ConsensusRoundRecord(
        id=f"r{number}",
        cycle_id="cyc-1",
        round=number,
        plan={"decisions": [{"decision_id": "d1", "action": "BUY"}]},
        verdicts=[
            {"agent": "risk_manager", "verdict": "APPROVE" if approved else "REJECT"},
            {"agent": "critic", "verdict": "APPROVE", "required_changes": []},
        ],
        approved=approved,
    )


async def test_rounds_read_back_in_order(db: Database, clock: ManualClock):
    rounds = ConsensusRoundRepository(db, "PAPER", clock=clock)
    await rounds.insert(make_round(2, approved=True))
    await rounds.insert(make_round(1, approved=False))

    stored = await rounds.for_cycle("cyc-1")

    assert [(r.round, r.approved) for r in stored] == [(1, False), (2, True)]
    assert stored[0].verdicts[0] == {"agent": "risk_manager", "verdict": "REJECT"}


async def test_a_round_is_stored_once(db: Database):
    rounds = ConsensusRoundRepository(db, "PAPER")
    await rounds.insert(make_round(1, approved=False))

    with pytest.raises(ConstraintViolationError):
        await rounds.insert(make_round(1, approved=True))


async def test_round_zero_is_refused(db: Database):
    with pytest.raises(InvalidRecordError, match="round number from 1"):
        ConsensusRoundRepository(db, "PAPER").insert_statement(make_round(0, approved=True))
