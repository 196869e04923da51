"""Realised outcomes: signed by direction, measured after the horizon, point in time."""

from __future__ import annotations

import pytest

from cream.memory import (
    CaseAction,
    CaseDecision,
    CaseDirection,
    OutcomeNotReadyError,
    realized_outcome,
)
from tests.cream.memory.builders import bars_from_closes, close_time

CLOSES = [100.0, 101.0, 102.0, 104.0, 110.0, 103.0, 90.0]


def decision(direction="LONG", horizon=3, quantity=10.0, entry=None):
    side = CaseDirection(direction)
    action = CaseAction.NO_TRADE if side is CaseDirection.FLAT else CaseAction.BUY
    return CaseDecision(action, side, "why", 0.7, horizon, quantity, entry)


def test_a_long_gains_what_the_price_gained_times_quantity():
    bars = bars_from_closes("AAPL", CLOSES)
    outcome = realized_outcome("c1", decision(), close_time(bars, 1), bars, close_time(bars, 6))
    assert (outcome.entry_price, outcome.exit_price) == (101.0, 110.0)
    assert outcome.pnl == pytest.approx(90.0)
    assert outcome.position_return == pytest.approx(110.0 / 101.0 - 1)
    assert outcome.realized_at == close_time(bars, 4)


def test_a_short_loses_when_the_price_rises_and_flat_has_no_pnl():
    bars = bars_from_closes("AAPL", CLOSES)
    args = (close_time(bars, 1), bars, close_time(bars, 6))
    short = realized_outcome("c1", decision("SHORT"), *args)
    flat = realized_outcome("c2", decision("FLAT", quantity=0.0), *args)
    assert short.pnl == pytest.approx(-90.0)
    assert short.position_return == pytest.approx(-short.underlying_return)
    assert (flat.pnl, flat.position_return) == (0.0, 0.0)
    assert flat.underlying_return == pytest.approx(110.0 / 101.0 - 1)


def test_the_decisions_own_entry_price_is_used_when_given():
    bars = bars_from_closes("AAPL", CLOSES)
    outcome = realized_outcome(
        "c1", decision(entry=100.0), close_time(bars, 1), bars, close_time(bars, 6)
    )
    assert outcome.pnl == pytest.approx(100.0)


def test_an_outcome_before_the_horizon_has_closed_is_not_ready():
    bars = bars_from_closes("AAPL", CLOSES)
    # Bars up to index 6 exist, but at "now" only index 3 has closed: 1 bar short.
    with pytest.raises(OutcomeNotReadyError) as info:
        realized_outcome("c1", decision(), close_time(bars, 1), bars, close_time(bars, 3))
    assert info.value.code == "OUTCOME_NOT_READY"
    assert info.value.bars_missing == 1
