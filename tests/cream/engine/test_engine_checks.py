"""CheckConstraints over gRPC: approvals, violations, and every kind of bad input refused."""

from __future__ import annotations

import grpc
import pytest

from cream.engine.client import EngineCallError
from cream.v1 import common_pb2 as c
from cream.v1 import decision_pb2 as d
from tests.cream.engine.plans import buy, plan, short


async def test_plan_with_stops_and_targets_is_approved(engine):
    response = await engine.client.check_constraints(
        plan(
            buy("d1", "AAPL", "10", "95", "110"),
            short("d2", "MSFT", "10", "105", "85"),
            as_of=engine.clock.now(),
        )
    )
    assert response.approved, response.violations
    assert [dc.decision_id for dc in response.decisions] == ["d1", "d2"]
    assert response.decisions[0].side == c.ORDER_SIDE_BUY
    assert response.decisions[1].side == c.ORDER_SIDE_SELL
    assert response.trading_state == c.TRADING_STATE_ACTIVE


async def test_opening_decision_without_stop_is_refused_with_stop_loss_violation(engine):
    response = await engine.client.check_constraints(
        plan(buy("d1", stop=""), as_of=engine.clock.now())
    )
    assert not response.approved
    codes = {(v.code, v.decision_id) for v in response.violations}
    assert ("MISSING_STOP_LOSS", "d1") in codes
    assert all(v.message for v in response.violations)


async def test_stop_on_the_wrong_side_is_a_violation_for_longs_and_shorts(engine):
    response = await engine.client.check_constraints(
        plan(
            buy("long", "AAPL", stop="101", take="120"),
            short("short", "MSFT", stop="99", take="80"),
            as_of=engine.clock.now(),
        )
    )
    wrong = {v.decision_id for v in response.violations if v.code == "STOP_WRONG_SIDE"}
    assert wrong == {"long", "short"}


async def test_unknown_symbol_is_a_violation_naming_the_reason(engine):
    response = await engine.client.check_constraints(
        plan(buy("d1", "ZZZZ"), as_of=engine.clock.now())
    )
    assert not response.approved
    assert {v.code for v in response.violations} & {"UNKNOWN_SYMBOL"}


async def test_cumulative_notional_across_decisions_is_checked(engine):
    # 300 shares of AAPL at ~100 twice: each alone is under the 50k notional limit,
    # together they breach it, so the second decision is flagged.
    first = buy("a", "AAPL", "300", "99", "103")
    second = buy("b", "AAPL", "300", "99", "103")
    response = await engine.client.check_constraints(plan(first, second, as_of=engine.clock.now()))
    flagged = {v.decision_id for v in response.violations}
    assert "b" in flagged


def _bad_plans(now):
    def edit(fn):
        p = plan(buy("d1"), as_of=now)
        fn(p)
        return p

    five_legs = d.Decision(
        decision_id="opt",
        instrument=c.Instrument(
            instrument_type=c.INSTRUMENT_TYPE_OPTION,
            symbol="AAPL",
            legs=[
                c.OptionLeg(
                    occ_symbol=f"AAPL261218C00{100 + i}000",
                    underlying="AAPL",
                    option_type=c.OPTION_TYPE_CALL,
                    strike=str(100 + i),
                    expiry="2026-12-18",
                    side=c.ORDER_SIDE_BUY,
                    ratio=1,
                )
                for i in range(5)
            ],
        ),
        action=c.ACTION_BUY,
        direction=c.DIRECTION_LONG,
        size=d.Size(value="1", unit=c.SIZE_UNIT_CONTRACTS),
        order_plan=d.OrderPlan(
            order_type=c.ORDER_TYPE_LIMIT,
            limit_price="1.00",
            time_in_force=c.TIME_IN_FORCE_DAY,
            execution_tactic=c.EXECUTION_TACTIC_PASSIVE_LIMIT,
        ),
        risk_levels=d.RiskLevels(stop_loss="90", take_profit="120"),
        confidence=0.5,
    )
    no_expiry = d.Decision()
    no_expiry.CopyFrom(five_legs)
    del no_expiry.instrument.legs[1:]
    no_expiry.instrument.legs[0].expiry = ""
    return {
        "empty plan": (plan(as_of=now), "PLAN_EMPTY"),
        "unspecified action": (
            edit(lambda p: setattr(p.decisions[0], "action", 0)),
            "UNSPECIFIED_ENUM",
        ),
        "unknown enum value": (
            edit(lambda p: setattr(p.decisions[0], "action", 42)),
            "UNKNOWN_ENUM",
        ),
        "NaN size": (
            edit(lambda p: setattr(p.decisions[0].size, "value", "NaN")),
            "INVALID_DECIMAL",
        ),
        "infinite price": (
            edit(lambda p: setattr(p.decisions[0].risk_levels, "stop_loss", "inf")),
            "INVALID_DECIMAL",
        ),
        "negative size": (
            edit(lambda p: setattr(p.decisions[0].size, "value", "-5")),
            "INVALID_QUANTITY",
        ),
        "absurd size": (
            edit(lambda p: setattr(p.decisions[0].size, "value", "100000000000")),
            "QUANTITY_OUT_OF_RANGE",
        ),
        "negative price": (
            edit(lambda p: setattr(p.decisions[0].risk_levels, "take_profit", "-1")),
            "INVALID_PRICE",
        ),
        "duplicate decision ids": (
            plan(buy("d1"), buy("d1", "MSFT"), as_of=now),
            "DUPLICATE_DECISION_ID",
        ),
        "more than 4 legs": (plan(five_legs, as_of=now), "TOO_MANY_LEGS"),
        "option leg without expiry": (plan(no_expiry, as_of=now), "LEG_MISSING_EXPIRY"),
        "unspecified environment": (
            edit(lambda p: setattr(p, "environment", 0)),
            "UNSPECIFIED_ENUM",
        ),
        "malformed symbol": (
            edit(lambda p: setattr(p.decisions[0].instrument, "symbol", "aapl$")),
            "INVALID_SYMBOL",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty plan",
        "unspecified action",
        "unknown enum value",
        "NaN size",
        "infinite price",
        "negative size",
        "absurd size",
        "negative price",
        "duplicate decision ids",
        "more than 4 legs",
        "option leg without expiry",
        "unspecified environment",
        "malformed symbol",
    ],
)
async def test_bad_plan_is_invalid_argument_with_a_stable_code(engine, case):
    bad, code = _bad_plans(engine.clock.now())[case]
    with pytest.raises(EngineCallError) as err:
        await engine.client.check_constraints(bad)
    assert err.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.code == code
    assert err.value.info.message
    assert err.value.info.correlation_id


async def test_oversize_plan_is_refused_with_plan_too_large(engine):
    huge = plan(buy("d1"), as_of=engine.clock.now())
    huge.decisions[0].rationale.summary = "x" * (2 << 20)
    with pytest.raises(EngineCallError) as err:
        await engine.client.check_constraints(huge)
    assert err.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.code == "PLAN_TOO_LARGE"


async def test_plan_for_another_environment_is_refused(engine):
    with pytest.raises(EngineCallError) as err:
        await engine.client.check_constraints(
            plan(buy("d1"), as_of=engine.clock.now(), env=c.ENVIRONMENT_LIVE)
        )
    assert err.value.status == grpc.StatusCode.FAILED_PRECONDITION
    assert err.value.code == "ENVIRONMENT_MISMATCH"


async def test_missing_plan_is_invalid_argument(engine):
    from cream.v1 import execution_pb2 as ex
    from cream.v1 import execution_pb2_grpc as ex_grpc

    async with grpc.aio.insecure_channel(engine.address) as channel:
        stub = ex_grpc.ExecutionServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CheckConstraints(ex.CheckConstraintsRequest())
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "MISSING_PLAN" in (err.value.details() or "")
