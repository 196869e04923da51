"""Every order type round-trips through our mapping and alpaca-py's real request models."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cream.engine.broker.alpaca.errors import AlpacaOrderInvalidError
from cream.engine.broker.alpaca.mapping import (
    Leg,
    OrderIntent,
    StopLoss,
    intent_from_body,
    intent_from_order,
    request_body,
    sdk_request,
)
from cream.engine.broker.alpaca.sdk import (
    LimitOrderRequest,
    MarketOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
)
from cream.engine.broker.alpaca.validation import validate_intent
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

CALL_A = "AAPL261218C00100000"
CALL_B = "AAPL261218C00110000"
PUT_A = "AAPL261218P00090000"
PUT_B = "AAPL261218P00080000"

INTENTS = {
    "market": OrderIntent("m-1", "market", "day", Decimal("0.123456789"), "AAPL", "buy"),
    "limit": OrderIntent(
        "l-1", "limit", "gtc", Decimal(10), "AAPL", "sell", limit_price=Decimal("101.37")
    ),
    "stop": OrderIntent(
        "s-1", "stop", "day", Decimal(5), "AAPL", "sell", stop_price=Decimal("95.5")
    ),
    "stop_limit": OrderIntent(
        "sl-1",
        "stop_limit",
        "gtc",
        Decimal(5),
        "AAPL",
        "buy",
        limit_price=Decimal("105.1"),
        stop_price=Decimal("105"),
    ),
    "bracket": OrderIntent(
        "b-1",
        "limit",
        "day",
        Decimal(10),
        "AAPL",
        "buy",
        limit_price=Decimal(100),
        order_class="bracket",
        take_profit=Decimal(110),
        stop_loss=StopLoss(Decimal(95), Decimal("94.5")),
    ),
    "oco": OrderIntent(
        "o-1",
        "limit",
        "gtc",
        Decimal(10),
        "AAPL",
        "sell",
        limit_price=Decimal(110),
        order_class="oco",
        take_profit=Decimal(110),
        stop_loss=StopLoss(Decimal(95)),
    ),
    "oto": OrderIntent(
        "t-1",
        "market",
        "day",
        Decimal(10),
        "AAPL",
        "buy",
        order_class="oto",
        stop_loss=StopLoss(Decimal(95)),
    ),
    "mleg": OrderIntent(
        "ml-1",
        "limit",
        "day",
        Decimal(2),
        asset="option",
        limit_price=Decimal("-1.25"),
        order_class="mleg",
        legs=(
            Leg(CALL_A, 1, "buy"),
            Leg(CALL_B, 1, "sell"),
            Leg(PUT_A, 1, "sell"),
            Leg(PUT_B, 1, "buy"),
        ),
    ),
}
SDK_TYPES = {
    "market": MarketOrderRequest,
    "limit": LimitOrderRequest,
    "stop": StopOrderRequest,
    "stop_limit": StopLimitOrderRequest,
}


def _numbers_equal(ours: object, sdk: object) -> bool:
    if isinstance(ours, dict) and isinstance(sdk, dict):
        return ours.keys() == sdk.keys() and all(_numbers_equal(ours[k], sdk[k]) for k in ours)
    if isinstance(ours, list) and isinstance(sdk, list):
        return len(ours) == len(sdk) and all(map(_numbers_equal, ours, sdk))
    if isinstance(ours, str) and isinstance(sdk, float | int) and not isinstance(sdk, bool):
        return Decimal(ours) == Decimal(str(sdk))
    return ours == sdk


@pytest.mark.parametrize("name", sorted(INTENTS))
def test_intent_round_trips_through_body_and_the_sdk_model(name):
    intent = INTENTS[name]
    validate_intent(intent, reference_price=Decimal(100))
    body = request_body(intent)
    assert intent_from_body(body) == intent
    model = sdk_request(intent)
    assert isinstance(model, SDK_TYPES[intent.type])
    assert _numbers_equal(body, model.to_request_fields())
    # Exact decimals on our wire, whatever a float would have printed.
    assert all(
        isinstance(v, str) for k, v in body.items() if k in ("qty", "limit_price", "stop_price")
    )


def test_engine_spread_sends_effective_leg_sides_and_signed_net_limit():
    order = ex.Order(
        client_order_id="spread-1",
        symbol="AAPL",
        side=common.ORDER_SIDE_SELL,
        order_type=common.ORDER_TYPE_LIMIT,
        time_in_force=common.TIME_IN_FORCE_DAY,
        quantity="3",
        limit_price="-0.85",
        instrument_type=common.INSTRUMENT_TYPE_OPTION,
        legs=[
            ex.OrderLeg(symbol=CALL_A, side=common.ORDER_SIDE_BUY, ratio=1),
            ex.OrderLeg(symbol=CALL_B, side=common.ORDER_SIDE_SELL, ratio=1),
        ],
    )
    intent = intent_from_order(order)
    assert intent.order_class == "mleg" and intent.limit_price == Decimal("-0.85")
    assert [(leg.symbol, leg.side) for leg in intent.legs] == [(CALL_A, "sell"), (CALL_B, "buy")]
    assert "side" not in request_body(intent)


def test_unspecified_enum_is_refused():
    order = ex.Order(
        client_order_id="x",
        symbol="AAPL",
        side=common.ORDER_SIDE_BUY,
        quantity="1",
        time_in_force=common.TIME_IN_FORCE_DAY,
    )
    with pytest.raises(AlpacaOrderInvalidError) as caught:
        intent_from_order(order)
    assert caught.value.code == "ENUM_UNSUPPORTED"


def _intent(**changes: object) -> OrderIntent:
    base: dict[str, object] = {
        "client_order_id": "v-1",
        "type": "limit",
        "time_in_force": "day",
        "qty": Decimal(10),
        "symbol": "AAPL",
        "side": "buy",
        "limit_price": Decimal(100),
    }
    base.update(changes)
    return OrderIntent(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"qty": Decimal("1.5")}, "FRACTIONAL_NOT_ALLOWED"),
        ({"qty": Decimal("0")}, "QTY_NOT_POSITIVE"),
        ({"symbol": CALL_A, "asset": "option", "qty": Decimal("1.5")}, "OPTION_QTY_NOT_WHOLE"),
        ({"symbol": CALL_A, "asset": "option", "time_in_force": "gtc"}, "TIF_NOT_ALLOWED"),
        ({"limit_price": Decimal("100.005")}, "SUB_PENNY_PRICE"),
        ({"type": "market"}, "LIMIT_PRICE_NOT_ALLOWED"),
        (
            {
                "type": "stop",
                "limit_price": None,
                "stop_price": Decimal(99),
                "time_in_force": "ioc",
            },
            "TIF_NOT_ALLOWED",
        ),
        ({"type": "market", "limit_price": None, "extended_hours": True}, "EXTENDED_HOURS_RULE"),
        ({"time_in_force": "ioc", "extended_hours": True}, "EXTENDED_HOURS_RULE"),
        (
            {
                "order_class": "bracket",
                "take_profit": Decimal(110),
                "stop_loss": StopLoss(Decimal("99.995")),
            },
            "SUB_PENNY_PRICE",
        ),
        (
            {
                "order_class": "bracket",
                "take_profit": Decimal(110),
                "stop_loss": StopLoss(Decimal(100)),
            },
            "BRACKET_STOP_TOO_CLOSE",
        ),
        (
            {
                "order_class": "bracket",
                "take_profit": Decimal(90),
                "stop_loss": StopLoss(Decimal(95)),
            },
            "BRACKET_LEVELS_CROSSED",
        ),
        ({"order_class": "bracket", "take_profit": Decimal(110)}, "EXIT_LEGS_REQUIRED"),
        (
            {
                "order_class": "bracket",
                "time_in_force": "ioc",
                "take_profit": Decimal(110),
                "stop_loss": StopLoss(Decimal(95)),
            },
            "TIF_NOT_ALLOWED",
        ),
        ({"client_order_id": "x" * 49}, "CLIENT_ORDER_ID_LENGTH"),
    ],
)
def test_alpaca_rules_are_checked_locally_with_stable_codes(changes, code):
    with pytest.raises(AlpacaOrderInvalidError) as caught:
        validate_intent(_intent(**changes))
    assert caught.value.code == code


def _mleg(legs: tuple[Leg, ...], limit: str | None = "1.00") -> OrderIntent:
    return OrderIntent(
        "ml-2",
        "limit",
        "day",
        Decimal(1),
        asset="option",
        order_class="mleg",
        limit_price=Decimal(limit) if limit else None,
        legs=legs,
    )


@pytest.mark.parametrize(
    ("intent", "code"),
    [
        (_mleg((Leg(CALL_A, 1, "buy"),)), "MLEG_LEG_COUNT"),
        (_mleg((Leg(CALL_A, 1, "buy"), Leg(CALL_A, 1, "sell"))), "MLEG_DUPLICATE_LEG"),
        (_mleg((Leg(CALL_A, 2, "buy"), Leg(CALL_B, 4, "sell"))), "MLEG_RATIO"),
        (_mleg((Leg(CALL_A, 1, "buy"), Leg(PUT_A, 1, "buy")), limit="-1.00"), "MLEG_LIMIT_SIGN"),
        (_mleg((Leg(CALL_A, 1, "sell"), Leg(PUT_A, 1, "sell")), limit="1.00"), "MLEG_LIMIT_SIGN"),
    ],
)
def test_multi_leg_rules(intent, code):
    with pytest.raises(AlpacaOrderInvalidError) as caught:
        validate_intent(intent)
    assert caught.value.code == code


def test_credit_spread_with_negative_limit_is_valid():
    validate_intent(_mleg((Leg(CALL_A, 1, "sell"), Leg(CALL_B, 1, "buy")), limit="-0.40"))
