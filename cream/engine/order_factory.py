"""Turn an approved decision and the core's resolution of it into a NEW order."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from cream.engine.market_state import is_opening
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex


def derive_order_id(environment: common.Environment.ValueType, client_order_id: str) -> str:
    """A deterministic engine order id: the same client order id always maps to it."""
    env = common.Environment.Name(environment)
    digest = hashlib.sha256(f"{env}:{client_order_id}".encode()).hexdigest()
    return f"ord-{digest[:24]}"


def build_order(
    request: ex.SubmitOrderRequest,
    check: ex.DecisionCheck,
    created_at: Timestamp,
    *,
    limit_price: Decimal | None = None,
) -> ex.Order:
    """The NEW order for ``request.decision`` as the core resolved it (side, whole quantity).

    ``limit_price`` is the execution tactic's price: the order then goes out as a LIMIT at it.
    """
    d: decision.Decision = request.decision
    plan = d.order_plan
    order = ex.Order(
        order_id=derive_order_id(request.environment, request.client_order_id),
        client_order_id=request.client_order_id,
        cycle_id=request.cycle_id,
        decision_id=d.decision_id,
        symbol=d.instrument.symbol,
        instrument_type=d.instrument.instrument_type,
        side=check.side,
        order_type=plan.order_type,
        time_in_force=plan.time_in_force,
        quantity=check.quantity,
        cum_qty="0",
        leaves_qty=check.quantity,
        limit_price=plan.limit_price,
        stop_price=plan.stop_price,
        status=ex.ORDER_STATUS_NEW,
        environment=request.environment,
        config_version=request.config_version,
        created_at=created_at,
        updated_at=created_at,
        stop_loss=d.risk_levels.stop_loss,
        take_profit=d.risk_levels.take_profit,
        reduce_only=not is_opening(d.action),
    )
    if limit_price is not None:
        order.order_type = common.ORDER_TYPE_LIMIT
        order.limit_price = format(limit_price, "f")
    order.legs.extend(
        ex.OrderLeg(symbol=leg.occ_symbol, side=leg.side, ratio=leg.ratio)
        for leg in d.instrument.legs
    )
    return order
