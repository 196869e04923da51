"""Orders between the engine and Alpaca: an exact-decimal intent, its JSON body, alpaca-py models.

The engine's ``Order`` becomes an :class:`OrderIntent`; the intent becomes the JSON body of
``POST /v2/orders`` with every quantity and price as a decimal string (alpaca-py's request
models carry floats, so they are built only to cross-check the body, never to send it).
Alpaca's JSON orders are parsed into :class:`AlpacaOrder`, whose decimals stay strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cream.engine.broker.alpaca.errors import AlpacaOrderInvalidError
from cream.engine.broker.alpaca.sdk import (
    LimitOrderRequest,
    MarketOrderRequest,
    OptionLegRequest,
    OrderRequest,
    StopLimitOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)
from cream.engine.broker.alpaca.sdk import OrderClass as SdkOrderClass
from cream.engine.broker.alpaca.sdk import OrderSide as SdkOrderSide
from cream.engine.broker.alpaca.sdk import TimeInForce as SdkTimeInForce
from cream.market.occ import OccSymbolError, parse_occ
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

Side = Literal["buy", "sell"]
OrderTypeName = Literal["market", "limit", "stop", "stop_limit"]
Tif = Literal["day", "gtc", "opg", "cls", "ioc", "fok"]
OrderClassName = Literal["simple", "bracket", "oco", "oto", "mleg"]
AssetKind = Literal["equity", "option"]

_SIDES: dict[int, Side] = {common.ORDER_SIDE_BUY: "buy", common.ORDER_SIDE_SELL: "sell"}
_TYPES: dict[int, OrderTypeName] = {
    common.ORDER_TYPE_MARKET: "market",
    common.ORDER_TYPE_LIMIT: "limit",
    common.ORDER_TYPE_STOP: "stop",
    common.ORDER_TYPE_STOP_LIMIT: "stop_limit",
}
_TIFS: dict[int, Tif] = {
    common.TIME_IN_FORCE_DAY: "day",
    common.TIME_IN_FORCE_GTC: "gtc",
    common.TIME_IN_FORCE_IOC: "ioc",
    common.TIME_IN_FORCE_FOK: "fok",
    common.TIME_IN_FORCE_OPG: "opg",
    common.TIME_IN_FORCE_CLS: "cls",
}


def dec_str(value: Decimal) -> str:
    """A decimal as Alpaca wants it: plain notation, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def parse_decimal(text: str | None, name: str, *, client_order_id: str = "") -> Decimal | None:
    """A decimal string from the engine or Alpaca, None when empty; malformed text is refused."""
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise AlpacaOrderInvalidError(
            f"{name} '{text}' is not a decimal",
            code="DECIMAL_INVALID",
            field=name,
            client_order_id=client_order_id,
        ) from exc
    if not value.is_finite():
        raise AlpacaOrderInvalidError(
            f"{name} '{text}' is not finite",
            code="DECIMAL_INVALID",
            field=name,
            client_order_id=client_order_id,
        )
    return value


@dataclass(frozen=True)
class StopLoss:
    """The stop-loss exit of a bracket / OCO / OTO order."""

    stop_price: Decimal
    limit_price: Decimal | None = None


@dataclass(frozen=True)
class Leg:
    """One leg of a multi-leg option order."""

    symbol: str
    ratio_qty: int
    side: Side


@dataclass(frozen=True)
class OrderIntent:
    """One Alpaca order, exactly as it will be sent (decimals, never floats)."""

    client_order_id: str
    type: OrderTypeName
    time_in_force: Tif
    qty: Decimal
    symbol: str = ""
    side: Side | None = None
    asset: AssetKind = "equity"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    order_class: OrderClassName = "simple"
    take_profit: Decimal | None = None
    stop_loss: StopLoss | None = None
    legs: tuple[Leg, ...] = field(default=())
    extended_hours: bool = False


def _is_option(symbol: str) -> bool:
    try:
        parse_occ(symbol)
    except OccSymbolError:
        return False
    return True


def _enum(table: dict[int, Any], value: int, name: str, cid: str) -> Any:
    if value not in table:
        raise AlpacaOrderInvalidError(
            f"order {cid}: {name} {value} is unspecified or not supported by Alpaca",
            code="ENUM_UNSUPPORTED",
            field=name,
            client_order_id=cid,
        )
    return table[value]


def intent_from_order(order: ex.Order) -> OrderIntent:
    """The Alpaca order for an engine order: a simple order, or ``mleg`` when it has legs.

    A spread's legs are sent with their effective sides (an order SELL flips every leg) and
    its limit price is the signed net price: positive pays a debit, negative receives a
    credit, which is Alpaca's convention for ``mleg`` limits.
    """
    cid = order.client_order_id
    qty = parse_decimal(order.quantity, "quantity", client_order_id=cid)
    if qty is None:
        raise AlpacaOrderInvalidError(f"order {cid} has no quantity", code="QTY_REQUIRED")
    side: Side = _enum(_SIDES, order.side, "side", cid)
    common_fields: dict[str, Any] = {
        "client_order_id": cid,
        "type": _enum(_TYPES, order.order_type, "order_type", cid),
        "time_in_force": _enum(_TIFS, order.time_in_force, "time_in_force", cid),
        "qty": qty,
        "limit_price": parse_decimal(order.limit_price, "limit_price", client_order_id=cid),
        "stop_price": parse_decimal(order.stop_price, "stop_price", client_order_id=cid),
    }
    if not order.legs:
        asset: AssetKind = (
            "option"
            if order.instrument_type == common.INSTRUMENT_TYPE_OPTION or _is_option(order.symbol)
            else "equity"
        )
        return OrderIntent(symbol=order.symbol, side=side, asset=asset, **common_fields)
    legs = []
    for leg in order.legs:
        leg_side: Side = _enum(_SIDES, leg.side, "leg side", cid)
        if side == "sell":
            leg_side = "sell" if leg_side == "buy" else "buy"
        legs.append(Leg(symbol=leg.symbol, ratio_qty=int(leg.ratio), side=leg_side))
    return OrderIntent(asset="option", order_class="mleg", legs=tuple(legs), **common_fields)


def protected_intent(order: ex.Order) -> OrderIntent:
    """The Alpaca order for an engine order, with its exits attached when Alpaca can hold them.

    An opening single-leg equity entry (market or limit, day or gtc, whole shares) with a stop
    loss goes out as a ``bracket`` (stop loss and take profit) or, with no take profit, an
    ``oto`` (stop loss only): its protection then rests at the broker from the moment the
    entry fills, and the entry never exists without it. Anything else is sent as it is; the
    engine's stop monitor protects what it opens.
    """
    intent = intent_from_order(order)
    cid = order.client_order_id
    stop = parse_decimal(order.stop_loss, "stop_loss", client_order_id=cid)
    if (
        order.reduce_only
        or stop is None
        or intent.order_class != "simple"
        or intent.asset != "equity"
        or intent.type not in ("market", "limit")
        or intent.time_in_force not in ("day", "gtc")
        or intent.qty != intent.qty.to_integral_value()
        or intent.extended_hours
    ):
        return intent
    take = parse_decimal(order.take_profit, "take_profit", client_order_id=cid)
    return replace(
        intent,
        order_class="bracket" if take is not None else "oto",
        take_profit=take,
        stop_loss=StopLoss(stop),
    )


def request_body(intent: OrderIntent) -> dict[str, Any]:
    """The JSON body of ``POST /v2/orders`` (decimal strings; None fields left out)."""
    body: dict[str, Any] = {
        "type": intent.type,
        "time_in_force": intent.time_in_force,
        "qty": dec_str(intent.qty),
        "client_order_id": intent.client_order_id,
    }
    if intent.order_class != "mleg":
        body["symbol"] = intent.symbol
        body["side"] = intent.side
    if intent.order_class != "simple":
        body["order_class"] = intent.order_class
    if intent.limit_price is not None:
        body["limit_price"] = dec_str(intent.limit_price)
    if intent.stop_price is not None:
        body["stop_price"] = dec_str(intent.stop_price)
    if intent.take_profit is not None:
        body["take_profit"] = {"limit_price": dec_str(intent.take_profit)}
    if intent.stop_loss is not None:
        stop: dict[str, str] = {"stop_price": dec_str(intent.stop_loss.stop_price)}
        if intent.stop_loss.limit_price is not None:
            stop["limit_price"] = dec_str(intent.stop_loss.limit_price)
        body["stop_loss"] = stop
    if intent.legs:
        body["legs"] = [
            {"symbol": leg.symbol, "ratio_qty": str(leg.ratio_qty), "side": leg.side}
            for leg in intent.legs
        ]
    if intent.extended_hours:
        body["extended_hours"] = True
    return body


def _opt_dec(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))


def intent_from_body(body: dict[str, Any]) -> OrderIntent:
    """Parse a ``POST /v2/orders`` body back into an intent (the fake and the round-trip tests)."""
    order_class: OrderClassName = body.get("order_class") or "simple"
    stop = body.get("stop_loss")
    legs = tuple(
        Leg(symbol=leg["symbol"], ratio_qty=int(Decimal(str(leg["ratio_qty"]))), side=leg["side"])
        for leg in body.get("legs") or ()
    )
    symbol = body.get("symbol") or ""
    return OrderIntent(
        client_order_id=body.get("client_order_id", ""),
        type=body["type"],
        time_in_force=body["time_in_force"],
        qty=Decimal(str(body["qty"])),
        symbol=symbol,
        side=body.get("side"),
        asset="option" if legs or _is_option(symbol) else "equity",
        limit_price=_opt_dec(body.get("limit_price")),
        stop_price=_opt_dec(body.get("stop_price")),
        order_class=order_class,
        take_profit=_opt_dec((body.get("take_profit") or {}).get("limit_price")),
        stop_loss=(
            StopLoss(Decimal(str(stop["stop_price"])), _opt_dec(stop.get("limit_price")))
            if stop
            else None
        ),
        legs=legs,
        extended_hours=bool(body.get("extended_hours", False)),
    )


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def sdk_request(intent: OrderIntent) -> OrderRequest:
    """The alpaca-py request model of an intent (alpaca-py applies its own validators too)."""
    fields: dict[str, Any] = {
        "qty": float(intent.qty),
        "time_in_force": SdkTimeInForce(intent.time_in_force),
        "client_order_id": intent.client_order_id,
    }
    if intent.order_class != "mleg":
        fields["symbol"] = intent.symbol
        fields["side"] = SdkOrderSide(intent.side)
    if intent.order_class != "simple":
        fields["order_class"] = SdkOrderClass(intent.order_class)
    if intent.take_profit is not None:
        fields["take_profit"] = TakeProfitRequest(limit_price=float(intent.take_profit))
    if intent.stop_loss is not None:
        fields["stop_loss"] = StopLossRequest(
            stop_price=float(intent.stop_loss.stop_price),
            limit_price=_f(intent.stop_loss.limit_price),
        )
    if intent.legs:
        fields["legs"] = [
            OptionLegRequest(
                symbol=leg.symbol, ratio_qty=leg.ratio_qty, side=SdkOrderSide(leg.side)
            )
            for leg in intent.legs
        ]
    if intent.extended_hours:
        fields["extended_hours"] = True
    if intent.type == "market":
        return MarketOrderRequest(**fields)
    if intent.type == "limit":
        return LimitOrderRequest(limit_price=_f(intent.limit_price), **fields)
    if intent.type == "stop":
        return StopOrderRequest(stop_price=_f(intent.stop_price), **fields)
    return StopLimitOrderRequest(
        limit_price=_f(intent.limit_price), stop_price=_f(intent.stop_price), **fields
    )


class AlpacaOrder(BaseModel):
    """An order as Alpaca returns it; decimals stay strings.

    Unknown fields are ignored (not forbidden): Alpaca adds fields over time and an extra
    field must not stop order updates from flowing.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    client_order_id: str
    symbol: str | None = None
    qty: str | None = None
    filled_qty: str = "0"
    filled_avg_price: str | None = None
    status: str
    type: str | None = None
    side: str | None = None
    time_in_force: str | None = None
    limit_price: str | None = None
    stop_price: str | None = None
    order_class: str | None = None
    replaces: str | None = None
    replaced_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    legs: list[AlpacaOrder] | None = None


OPEN_STATUSES = frozenset(
    {
        "new",
        "partially_filled",
        "done_for_day",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "pending_cancel",
        "pending_replace",
        "stopped",
        "calculated",
        "suspended",
        "held",
    }
)
