"""Decisions: the message round-trips losslessly, with seed columns and lineage."""

from __future__ import annotations

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from cream.storage.decisions import DecisionLineage, DecisionRepository
from cream.storage.errors import ConstraintViolationError, InvalidRecordError
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as dec

LINEAGE = DecisionLineage(
    config_version=4,
    model="gemini-3-pro-preview",
    prompt_hash="p" * 64,
    tokens_in=1200,
    tokens_out=340,
    cost_usd="0.0123",
    latency_ms=2100,
    snapshot_hash="s" * 64,
)


def make_decision(decision_id: str = "dec-1", *, action=common.ACTION_BUY) -> dec.Decision:
    return dec.Decision(
        decision_id=decision_id,
        instrument=common.Instrument(instrument_type=common.INSTRUMENT_TYPE_EQUITY, symbol="AAPL"),
        action=action,
        direction=common.DIRECTION_LONG,
        size=dec.Size(value="10", unit=common.SIZE_UNIT_SHARES),
        order_plan=dec.OrderPlan(order_type=common.ORDER_TYPE_LIMIT, limit_price="189.25"),
        risk_levels=dec.RiskLevels(stop_loss="180.00", take_profit="205.50"),
        rationale=dec.Rationale(
            summary="breakout", bullish_factors=["trend"], bearish_factors=["earnings"]
        ),
        confidence=0.72,
    )


async def test_a_stored_decision_reads_back_with_lineage_and_status(
    db: Database, clock: ManualClock
):
    decisions = DecisionRepository(db, "PAPER", clock=clock)

    await decisions.insert(
        make_decision(), cycle_id="cyc-1", status="approved", lineage=LINEAGE, metadata={"k": 1}
    )

    stored = await decisions.get("dec-1")
    assert stored is not None
    assert stored.decision == make_decision()
    assert (stored.cycle_id, stored.status, stored.lineage) == ("cyc-1", "approved", LINEAGE)
    assert stored.metadata == {"k": 1}


async def test_seed_columns_hold_exact_decimals_and_names(db: Database, clock: ManualClock):
    await DecisionRepository(db, "PAPER", clock=clock).insert(
        make_decision(), cycle_id="cyc-1", status="approved", lineage=LINEAGE
    )

    row = await db.query_one("SELECT * FROM decisions WHERE id = 'dec-1'")
    assert row is not None
    assert (row["action"], row["direction"], row["size"], row["size_unit"]) == (
        "BUY",
        "LONG",
        "10",
        "SHARES",
    )
    assert (row["entry_price"], row["stop_price"], row["target_price"]) == (
        "189.25",
        "180.00",
        "205.50",
    )
    assert (row["bullish_factors"], row["confidence_score"]) == ('["trend"]', "0.72")


async def test_a_failed_step_no_trade_keeps_reason_and_step(db: Database, clock: ManualClock):
    decision = make_decision(action=common.ACTION_NO_TRADE)
    decision.reason_code = "AGENT_TIMEOUT"
    decision.failed_step = "trader"
    decisions = DecisionRepository(db, "PAPER", clock=clock)

    await decisions.insert(decision, cycle_id="cyc-1", status="no_trade", lineage=LINEAGE)

    row = await db.query_one("SELECT reason_code, failed_step FROM decisions")
    assert row == {"reason_code": "AGENT_TIMEOUT", "failed_step": "trader"}


async def test_an_unset_action_is_refused(db: Database):
    decision = make_decision(action=common.ACTION_UNSPECIFIED)

    with pytest.raises(InvalidRecordError, match="Action is unset"):
        await DecisionRepository(db, "PAPER").insert(
            decision, cycle_id="cyc-1", status="approved", lineage=LINEAGE
        )


async def test_the_same_decision_id_twice_is_refused(db: Database, clock: ManualClock):
    decisions = DecisionRepository(db, "PAPER", clock=clock)
    await decisions.insert(make_decision(), cycle_id="c", status="approved", lineage=LINEAGE)

    with pytest.raises(ConstraintViolationError):
        await decisions.insert(make_decision(), cycle_id="c", status="approved", lineage=LINEAGE)


async def test_status_moves_and_cycle_listing_is_per_environment(db: Database, clock: ManualClock):
    paper = DecisionRepository(db, "PAPER", clock=clock)
    await paper.insert(make_decision("d1"), cycle_id="c", status="approved", lineage=LINEAGE)
    await paper.insert(make_decision("d2"), cycle_id="c", status="approved", lineage=LINEAGE)

    assert await paper.set_status("d1", "executed") is True
    assert await paper.set_status("missing", "executed") is False
    assert [(d.decision.decision_id, d.status) for d in await paper.for_cycle("c")] == [
        ("d1", "executed"),
        ("d2", "approved"),
    ]
    assert await DecisionRepository(db, "LIVE").for_cycle("c") == []
