"""CaseMemory over libSQL: persistence, outcomes, point-in-time retrieval, isolation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cream.market.regime import Regime
from cream.memory import (
    CaseAction,
    CaseDecision,
    CaseDirection,
    CaseEntry,
    CaseMemory,
    CaseNotFoundError,
    InvalidCaseError,
    OutcomeNotReadyError,
    situation_vector,
)
from tests.cream.memory.builders import close_time, random_walk

BARS = {symbol: random_walk(symbol, 400, seed=i) for i, symbol in enumerate(("AAPL", "MSFT"))}


def buy(rationale="breakout above resistance on volume", horizon=5):
    return CaseDecision(CaseAction.BUY, CaseDirection.LONG, rationale, 0.7, horizon, quantity=10.0)


async def record(memory, case_id, symbol, bar_index, *, decision=None, regime=None):
    bars = BARS[symbol]
    situation = situation_vector(bars, close_time(bars, bar_index), regime=regime)
    return await memory.record(
        decision_id=case_id,
        situation=situation,
        decision=decision or buy(),
        config_version=3,
        cycle_id=f"cyc-{case_id}",
    )


async def test_a_recorded_case_survives_a_reopen_and_is_found_again(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    stored = await record(memory, "d1", "AAPL", 150)
    reopened = await CaseMemory.open(db, "PAPER", clock=clock)
    query = situation_vector(BARS["AAPL"], close_time(BARS["AAPL"], 300))
    [hit] = await reopened.similar(query, 5)
    assert hit.case.case_id == "d1"
    assert hit.case.decision == stored.decision
    assert hit.case.config_version == 3
    np.testing.assert_array_equal(hit.case.vector, stored.vector)
    assert hit.similarity == pytest.approx((await memory.similar(query, 1))[0].similarity)


async def test_without_a_gemini_key_the_case_says_its_rationale_was_not_embedded(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    case = await record(memory, "d1", "AAPL", 150)
    assert case.rationale_embedding is None
    status = case.metadata["rationale_embedding"]
    assert status["status"] == "not_embedded"
    assert "GOOGLE_API_KEY" in status["reason"]


async def test_recording_the_same_decision_twice_keeps_one_case(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    await record(memory, "d1", "AAPL", 150)
    await record(memory, "d1", "AAPL", 150)
    assert len(memory.index) == 1
    rows = await db.query("SELECT COUNT(*) AS n FROM memory_cases WHERE environment = 'PAPER'")
    assert rows[0]["n"] == 1


async def test_environments_never_see_each_others_cases(db, clock):
    paper = await CaseMemory.open(db, "PAPER", clock=clock)
    backtest = await CaseMemory.open(db, "BACKTEST", clock=clock)
    await record(paper, "d1", "AAPL", 150)
    await record(backtest, "d2", "AAPL", 151)
    query = situation_vector(BARS["AAPL"], close_time(BARS["AAPL"], 300))
    assert [h.case.case_id for h in await paper.similar(query, 5)] == ["d1"]
    reopened = await CaseMemory.open(db, "BACKTEST", clock=clock)
    assert [h.case.case_id for h in await reopened.similar(query, 5)] == ["d2"]
    with pytest.raises(CaseNotFoundError):
        await paper.get("d2")


async def test_settled_outcome_is_returned_with_the_case(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    await record(memory, "d1", "AAPL", 150, decision=buy(horizon=5))
    bars = BARS["AAPL"]
    clock.set(close_time(bars, 160))
    outcome = await memory.settle("d1", bars)
    expected = bars.close[155] / bars.close[150] - 1
    assert outcome.position_return == pytest.approx(expected)
    assert outcome.pnl == pytest.approx((bars.close[155] - bars.close[150]) * 10)
    query = situation_vector(bars, close_time(bars, 300))
    [hit] = await memory.similar(query, 1)
    assert hit.case.outcome == outcome
    stored = await db.query("SELECT realized_pnl, closed_at FROM memory_cases WHERE id = 'd1'")
    assert float(stored[0]["realized_pnl"]) == pytest.approx(outcome.pnl)


async def test_settling_before_the_horizon_has_passed_is_refused(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    await record(memory, "d1", "AAPL", 150, decision=buy(horizon=5))
    clock.set(close_time(BARS["AAPL"], 152))
    with pytest.raises(OutcomeNotReadyError):
        await memory.settle("d1", BARS["AAPL"])


async def test_a_query_in_the_past_sees_neither_later_cases_nor_later_outcomes(db, clock):
    memory = await CaseMemory.open(db, "BACKTEST", clock=clock)
    bars = BARS["AAPL"]
    await record(memory, "early", "AAPL", 150, decision=buy(horizon=20))
    await record(memory, "late", "AAPL", 250)
    clock.set(close_time(bars, 399))
    await memory.settle("early", bars)
    # At bar 200 the early case exists but its 20-bar outcome (bar 170) is known ...
    at_200 = await memory.similar(situation_vector(bars, close_time(bars, 200)), 5)
    assert [h.case.case_id for h in at_200] == ["early"]
    assert at_200[0].case.outcome is not None
    # ... at bar 160 the case exists but its outcome was not yet realised.
    at_160 = await memory.similar(situation_vector(bars, close_time(bars, 160)), 5)
    assert [h.case.case_id for h in at_160] == ["early"]
    assert at_160[0].case.outcome is None


async def test_symbol_and_regime_filters_narrow_the_candidates(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    await record(memory, "a", "AAPL", 150, regime=Regime.BULL_TREND)
    await record(memory, "b", "MSFT", 150, regime=Regime.BULL_TREND)
    await record(memory, "c", "MSFT", 160, regime=Regime.CRISIS)
    query = situation_vector(BARS["MSFT"], close_time(BARS["MSFT"], 300))
    by_symbol = await memory.similar(query, 5, symbol="MSFT")
    assert {h.case.case_id for h in by_symbol} == {"b", "c"}
    both = await memory.similar(query, 5, symbol="MSFT", regime=Regime.CRISIS)
    assert [h.case.case_id for h in both] == ["c"]


async def test_an_unknown_environment_is_refused(db, clock):
    with pytest.raises(InvalidCaseError):
        await CaseMemory.open(db, "STAGING", clock=clock)


async def test_a_cycles_cases_are_stored_together_and_one_bad_entry_stores_none(db, clock):
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    entries = [
        CaseEntry(
            f"d{i}",
            situation_vector(BARS[symbol], close_time(BARS[symbol], 150 + i)),
            buy(),
            3,
            "cyc-1",
        )
        for i, symbol in enumerate(("AAPL", "MSFT", "AAPL"))
    ]
    with pytest.raises(InvalidCaseError):
        await memory.record_many([*entries, dataclasses.replace(entries[0], decision_id="")])
    with pytest.raises(CaseNotFoundError):
        await memory.get("d0")

    cases = await memory.record_many(entries)
    assert [c.case_id for c in cases] == ["d0", "d1", "d2"]
    assert [c.symbol for c in cases] == ["AAPL", "MSFT", "AAPL"]
    reopened = await CaseMemory.open(db, "PAPER", clock=clock)
    query = situation_vector(BARS["MSFT"], close_time(BARS["MSFT"], 300))
    found = await reopened.similar(query, 5, symbol="MSFT")
    assert [hit.case.case_id for hit in found] == ["d1"]
