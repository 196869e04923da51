"""From the trader's `PlannedDecision` to the wire `cream.v1.Decision`, and the NO_TRADE
decisions that record why a symbol did not trade."""

from __future__ import annotations

from typing import Final

from agents.schemas import PlannedDecision
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2

ACTIONS: Final = {
    "BUY": common.ACTION_BUY,
    "SELL": common.ACTION_SELL,
    "HOLD": common.ACTION_HOLD,
    "INCREASE": common.ACTION_INCREASE,
    "REDUCE": common.ACTION_REDUCE,
    "CLOSE": common.ACTION_CLOSE,
    "NO_TRADE": common.ACTION_NO_TRADE,
}
DIRECTIONS: Final = {
    "LONG": common.DIRECTION_LONG,
    "SHORT": common.DIRECTION_SHORT,
    "FLAT": common.DIRECTION_FLAT,
}
ORDER_TYPES: Final = {"MARKET": common.ORDER_TYPE_MARKET, "LIMIT": common.ORDER_TYPE_LIMIT}
STRATEGIES: Final = {
    "TREND_FOLLOWING": common.STRATEGY_FAMILY_TREND_FOLLOWING,
    "MEAN_REVERSION": common.STRATEGY_FAMILY_MEAN_REVERSION,
    "BREAKOUT": common.STRATEGY_FAMILY_BREAKOUT,
    "MOMENTUM": common.STRATEGY_FAMILY_MOMENTUM,
    "EVENT_DRIVEN": common.STRATEGY_FAMILY_EVENT_DRIVEN,
    "VOLATILITY": common.STRATEGY_FAMILY_VOLATILITY,
    "HEDGE": common.STRATEGY_FAMILY_HEDGE,
    "INCOME": common.STRATEGY_FAMILY_INCOME,
}
HORIZONS: Final = {
    "INTRADAY": common.TIME_HORIZON_INTRADAY,
    "SWING": common.TIME_HORIZON_SWING,
    "POSITION": common.TIME_HORIZON_POSITION,
}


def decision_id_for(cycle_id: str, symbol: str) -> str:
    """One decision per symbol per cycle, so the id is stable across a resume."""
    return f"{cycle_id}-{symbol}"


def price_text(value: float | None) -> str:
    """A price as a decimal string with at most four decimals ("" when unset)."""
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def quantity_text(value: float) -> str:
    """Whole shares as an integer string (validation refused fractional shares earlier)."""
    return str(round(value))


def to_proto_decision(decision: PlannedDecision, decision_id: str) -> decision_pb2.Decision:
    """The wire decision of an approved plan entry (equity, shares, DAY orders).

    MARKET orders go out as aggressive limits by the engine's tactic; LIMIT orders rest
    passively at their price.
    """
    order_type = ORDER_TYPES[decision.order_type]
    tactic = (
        common.EXECUTION_TACTIC_PASSIVE_LIMIT
        if decision.order_type == "LIMIT"
        else common.EXECUTION_TACTIC_AGGRESSIVE_LIMIT
    )
    return decision_pb2.Decision(
        decision_id=decision_id,
        instrument=common.Instrument(
            instrument_type=common.INSTRUMENT_TYPE_EQUITY, symbol=decision.symbol
        ),
        action=ACTIONS[decision.action],
        direction=DIRECTIONS[decision.direction],
        size=decision_pb2.Size(
            value=quantity_text(decision.quantity), unit=common.SIZE_UNIT_SHARES
        ),
        order_plan=decision_pb2.OrderPlan(
            order_type=order_type,
            limit_price=price_text(decision.limit_price) if decision.order_type == "LIMIT" else "",
            time_in_force=common.TIME_IN_FORCE_DAY,
            execution_tactic=tactic,
        ),
        risk_levels=decision_pb2.RiskLevels(
            stop_loss=price_text(decision.stop_loss), take_profit=price_text(decision.take_profit)
        ),
        strategy_family=STRATEGIES[decision.strategy_family],
        time_horizon=HORIZONS[decision.time_horizon],
        rationale=decision_pb2.Rationale(
            summary=decision.rationale,
            bullish_factors=decision.bullish_factors,
            bearish_factors=decision.bearish_factors,
            memory_references=decision.memory_references,
        ),
        confidence=decision.confidence,
    )


def no_trade_decision(
    decision_id: str,
    symbol: str,
    *,
    reason_code: str,
    failed_step: str,
    error: str,
    planned: PlannedDecision | None = None,
) -> decision_pb2.Decision:
    """A NO_TRADE that says which step failed and why (never a silent hold).

    When the trader had planned something, its plan is kept in the rationale so the audit
    shows what was refused.
    """
    summary = (
        error if planned is None else f"{error} (planned: {planned.action} {planned.quantity:g})"
    )
    return decision_pb2.Decision(
        decision_id=decision_id,
        instrument=common.Instrument(instrument_type=common.INSTRUMENT_TYPE_EQUITY, symbol=symbol),
        action=common.ACTION_NO_TRADE,
        direction=common.DIRECTION_FLAT,
        size=decision_pb2.Size(value="0", unit=common.SIZE_UNIT_SHARES),
        rationale=decision_pb2.Rationale(summary=summary[:2000]),
        reason_code=reason_code,
        failed_step=failed_step,
    )
