"""Plan validation: every code is triggered by a crafted plan, and a sound plan passes."""

from __future__ import annotations

from typing import Any

import pytest

from agents import validation as v
from agents.inputs import TraderInputs
from agents.rules import trader
from agents.schemas import PlannedDecision, TradingPlan
from tests.agents.builders import context_for, trader_inputs_for


@pytest.fixture(scope="module")
def bullish() -> TraderInputs:
    return trader_inputs_for([context_for("AAPL", "bullish")])


@pytest.fixture(scope="module")
def long_held() -> TraderInputs:
    return trader_inputs_for([context_for("AAPL", "bullish", position=10)])


def _buy(inputs: TraderInputs) -> PlannedDecision:
    decision = trader.decide(inputs).decisions[0]
    assert decision.action in ("BUY", "INCREASE")
    return decision


def _codes(inputs: TraderInputs, *decisions: PlannedDecision, symbol: str = "AAPL") -> set[str]:
    plan = TradingPlan(decisions=list(decisions), summary="crafted")
    return {p.code for p in v.validate_plan(plan, inputs).get(symbol, [])}


def _with(decision: PlannedDecision, **changes: Any) -> PlannedDecision:
    return PlannedDecision.model_validate({**decision.model_dump(), **changes})


def test_rules_plan_has_no_problems(bullish: TraderInputs) -> None:
    assert _codes(bullish, _buy(bullish)) == set()


def test_hallucinated_symbol(bullish: TraderInputs) -> None:
    fake = _with(_buy(bullish), symbol="ZZZZ")
    plan = TradingPlan(decisions=[_buy(bullish), fake], summary="crafted")
    problems = v.validate_plan(plan, bullish)
    assert [p.code for p in problems["ZZZZ"]] == [v.UNKNOWN_SYMBOL]
    assert problems["AAPL"] == []


def test_duplicate_and_missing(bullish: TraderInputs) -> None:
    assert v.DUPLICATE_SYMBOL in _codes(bullish, _buy(bullish), _buy(bullish))
    assert _codes(bullish) == {v.MISSING_DECISION}


def test_action_not_allowed(long_held: TraderInputs, bullish: TraderInputs) -> None:
    # BUY is for flat symbols; a held long is added to with INCREASE.
    assert _codes(long_held, _with(_buy(bullish), action="BUY")) == {v.ACTION_NOT_ALLOWED}
    assert _codes(bullish, _with(_buy(bullish), action="CLOSE")) == {v.ACTION_NOT_ALLOWED}


def test_size_rules(bullish: TraderInputs) -> None:
    buy = _buy(bullish)
    limit = bullish.briefs[0].limits.max_quantity
    assert v.SIZE_ABOVE_LIMIT in _codes(bullish, _with(buy, quantity=limit + 1))
    assert v.FRACTIONAL_SIZE in _codes(bullish, _with(buy, quantity=1.5))
    assert v.ZERO_SIZE in _codes(bullish, _with(buy, quantity=0.0))
    hold = _with(buy, action="HOLD", quantity=3.0)
    assert _codes(bullish, hold) == {v.NONZERO_HOLD_SIZE}


def test_reduce_and_close_sizes(long_held: TraderInputs) -> None:
    base = _buy(long_held)
    close = _with(base, action="CLOSE", quantity=4.0, stop_loss=None, take_profit=None)
    assert _codes(long_held, close) == {v.SIZE_ABOVE_POSITION}
    reduce = _with(base, action="REDUCE", quantity=10.0, stop_loss=None, take_profit=None)
    assert _codes(long_held, reduce) == {v.SIZE_ABOVE_POSITION}
    assert _codes(long_held, _with(reduce, quantity=5.0)) == set()


def test_direction_mismatch(bullish: TraderInputs) -> None:
    assert v.DIRECTION_MISMATCH in _codes(bullish, _with(_buy(bullish), direction="SHORT"))


def test_missing_stop_and_target(bullish: TraderInputs) -> None:
    buy = _buy(bullish)
    assert v.MISSING_STOP in _codes(bullish, _with(buy, stop_loss=None))
    assert v.MISSING_TARGET in _codes(bullish, _with(buy, take_profit=None))
    assert v.MISSING_LIMIT_PRICE in _codes(bullish, _with(buy, limit_price=None))


def test_stop_on_wrong_side_and_far_from_invalidation(bullish: TraderInputs) -> None:
    buy = _buy(bullish)
    assert buy.limit_price is not None and buy.stop_loss is not None
    above = _with(buy, stop_loss=buy.limit_price + 1.0)
    assert v.STOP_WRONG_SIDE in _codes(bullish, above)
    brief = bullish.briefs[0]
    atr = brief.context.indicators.atr if brief.context.indicators else None
    tolerance = v.stop_tolerance(brief.limits.reference_price, atr)
    lower = buy.stop_loss - 2 * tolerance
    target = buy.limit_price + 3 * (buy.limit_price - lower)
    far = _with(buy, stop_loss=round(lower, 2), take_profit=round(target, 2))
    assert _codes(bullish, far) == {v.STOP_NOT_AT_INVALIDATION}


def test_target_wrong_side_and_reward_risk(bullish: TraderInputs) -> None:
    buy = _buy(bullish)
    assert buy.limit_price is not None and buy.stop_loss is not None
    risk = buy.limit_price - buy.stop_loss
    assert v.TARGET_WRONG_SIDE in _codes(bullish, _with(buy, take_profit=buy.stop_loss))
    thin = _with(buy, take_profit=round(buy.limit_price + 1.2 * risk, 2))
    assert _codes(bullish, thin) == {v.REWARD_RISK_BELOW_MIN}


def test_prices_off_the_snapshot(bullish: TraderInputs) -> None:
    buy = _buy(bullish)
    assert buy.limit_price is not None
    assert v.PRICE_OFF_SNAPSHOT in _codes(bullish, _with(buy, limit_price=buy.limit_price * 1.1))
    assert v.PRICE_OFF_SNAPSHOT in _codes(bullish, _with(buy, take_profit=buy.limit_price * 1.5))


def test_action_against_conviction() -> None:
    bearish = trader_inputs_for([context_for("AAPL", "bearish")])
    brief = bearish.briefs[0]
    assert v.conviction_delta(brief) < -v.HOLD_EDGE
    sell = trader.decide(bearish).decisions[0]
    assert sell.action == "SELL"
    assert _codes(bearish, sell) == set()
    # The same levels bought instead of sold: long risk against a bearish delta.
    assert sell.limit_price is not None
    buy = _with(
        sell,
        action="BUY",
        direction="LONG",
        stop_loss=brief.technical.invalidation_long,
        take_profit=round(
            sell.limit_price + 3 * (sell.limit_price - brief.technical.invalidation_long), 2
        ),
    )
    assert v.ACTION_AGAINST_CONVICTION in _codes(bearish, buy)


def test_problem_messages_say_what_to_do(bullish: TraderInputs) -> None:
    limit = bullish.briefs[0].limits.max_quantity
    plan = TradingPlan(decisions=[_with(_buy(bullish), quantity=limit + 5)], summary="x")
    (problem,) = v.validate_plan(plan, bullish)["AAPL"]
    assert f"at most {limit:g}" in problem.message
