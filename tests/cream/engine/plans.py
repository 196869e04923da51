"""Builders of DecisionPlans and decisions for engine tests."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cream.v1 import common_pb2 as c
from cream.v1 import decision_pb2 as d


def ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def buy(
    decision_id: str = "d1",
    symbol: str = "AAPL",
    qty: str = "10",
    stop: str = "95",
    take: str = "110",
    *,
    order_type: c.OrderType.ValueType = c.ORDER_TYPE_MARKET,
    limit: str = "",
) -> d.Decision:
    return d.Decision(
        decision_id=decision_id,
        instrument=c.Instrument(instrument_type=c.INSTRUMENT_TYPE_EQUITY, symbol=symbol),
        action=c.ACTION_BUY,
        direction=c.DIRECTION_LONG,
        size=d.Size(value=qty, unit=c.SIZE_UNIT_SHARES),
        order_plan=d.OrderPlan(
            order_type=order_type,
            limit_price=limit,
            time_in_force=c.TIME_IN_FORCE_DAY,
            execution_tactic=c.EXECUTION_TACTIC_AGGRESSIVE_LIMIT,
        ),
        risk_levels=d.RiskLevels(stop_loss=stop, take_profit=take),
        strategy_family=c.STRATEGY_FAMILY_TREND_FOLLOWING,
        time_horizon=c.TIME_HORIZON_SWING,
        rationale=d.Rationale(summary="test"),
        confidence=0.7,
    )


def short(
    decision_id: str = "s1",
    symbol: str = "MSFT",
    qty: str = "10",
    stop: str = "105",
    take: str = "85",
) -> d.Decision:
    decision = buy(decision_id, symbol, qty, stop, take)
    decision.action = c.ACTION_SELL
    decision.direction = c.DIRECTION_SHORT
    return decision


def plan(
    *decisions: d.Decision,
    as_of: datetime,
    cycle_id: str = "cycle-1",
    env: c.Environment.ValueType = c.ENVIRONMENT_PAPER,
) -> d.DecisionPlan:
    return d.DecisionPlan(
        cycle_id=cycle_id,
        as_of=ts(as_of),
        environment=env,
        config_version=1,
        decisions=list(decisions),
    )
