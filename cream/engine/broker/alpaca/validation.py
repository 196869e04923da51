"""Alpaca's order rules, checked locally so a bad order fails fast with a precise code.

Each rule raises :class:`AlpacaOrderInvalidError` with a stable code and a message that says
what to change. The rules follow Alpaca's order documentation: whole option contracts,
fractional equity orders only as market/day, extended hours only for limit day/gtc orders,
bracket exits on the correct side of the entry by at least one cent, OPG/CLS and IOC/FOK only
for market and limit orders, no sub-penny prices, and 2-4 leg option orders that are market or
limit with a limit whose sign says debit (+) or credit (-).
"""

from __future__ import annotations

from decimal import Decimal
from math import gcd

from cream.engine.broker.alpaca.errors import AlpacaOrderInvalidError
from cream.engine.broker.alpaca.mapping import OrderIntent

MAX_CLIENT_ORDER_ID = 48
MAX_QTY_DECIMALS = 9
MIN_TICK = Decimal("0.01")
# Prices below $1.00 may use four decimals, at or above two (Alpaca rejects sub-penny).
_SUB_DOLLAR = Decimal(1)


def _fail(intent: OrderIntent, code: str, message: str) -> AlpacaOrderInvalidError:
    return AlpacaOrderInvalidError(
        f"order {intent.client_order_id}: {message}",
        code=code,
        client_order_id=intent.client_order_id,
    )


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def validate_intent(intent: OrderIntent, *, reference_price: Decimal | None = None) -> None:
    """Check every Alpaca rule that can be checked without the broker.

    Args:
        intent: The order as it would be sent.
        reference_price: The current price, for market-entry brackets (base price of the
            stop distance check); limit entries use their limit price.

    Raises:
        AlpacaOrderInvalidError: The first rule broken, with its code.
    """
    if not 1 <= len(intent.client_order_id) <= MAX_CLIENT_ORDER_ID:
        raise _fail(
            intent,
            "CLIENT_ORDER_ID_LENGTH",
            f"client_order_id must be 1-{MAX_CLIENT_ORDER_ID} characters",
        )
    _check_quantity(intent)
    _check_prices(intent)
    _check_time_in_force(intent)
    if intent.order_class == "mleg":
        _check_mleg(intent)
    else:
        if not intent.symbol or intent.side is None:
            raise _fail(intent, "SYMBOL_REQUIRED", "a single-leg order needs a symbol and a side")
        if intent.legs:
            raise _fail(intent, "LEGS_NOT_ALLOWED", "legs are only for order_class mleg")
    if intent.order_class in ("bracket", "oco", "oto"):
        _check_exits(intent, reference_price)
    elif intent.take_profit is not None or intent.stop_loss is not None:
        raise _fail(
            intent,
            "EXITS_NOT_ALLOWED",
            "take_profit/stop_loss need order_class bracket, oco or oto",
        )


def _check_quantity(intent: OrderIntent) -> None:
    if intent.qty <= 0:
        raise _fail(intent, "QTY_NOT_POSITIVE", f"qty {intent.qty} must be positive")
    if _decimals(intent.qty) > MAX_QTY_DECIMALS:
        raise _fail(
            intent, "QTY_PRECISION", f"qty {intent.qty} has more than {MAX_QTY_DECIMALS} decimals"
        )
    if intent.qty == intent.qty.to_integral_value():
        return
    if intent.asset == "option" or intent.order_class == "mleg":
        raise _fail(
            intent, "OPTION_QTY_NOT_WHOLE", f"option orders trade whole contracts, got {intent.qty}"
        )
    if intent.type != "market" or intent.time_in_force != "day" or intent.order_class != "simple":
        raise _fail(
            intent,
            "FRACTIONAL_NOT_ALLOWED",
            f"fractional qty {intent.qty} is only allowed for simple market orders with time in "
            "force day; round to whole shares",
        )


def _check_price(intent: OrderIntent, name: str, price: Decimal, *, signed: bool = False) -> None:
    if price == 0 or (price < 0 and not signed):
        raise _fail(intent, "PRICE_NOT_POSITIVE", f"{name} {price} must be positive")
    allowed = 4 if abs(price) < _SUB_DOLLAR else 2
    if _decimals(price) > allowed:
        raise _fail(
            intent,
            "SUB_PENNY_PRICE",
            f"{name} {price} has more than {allowed} decimals (Alpaca rejects sub-penny prices)",
        )


def _check_prices(intent: OrderIntent) -> None:
    needs_limit = intent.type in ("limit", "stop_limit")
    needs_stop = intent.type in ("stop", "stop_limit")
    if needs_limit and intent.limit_price is None:
        raise _fail(intent, "LIMIT_PRICE_REQUIRED", f"a {intent.type} order needs a limit_price")
    if needs_stop and intent.stop_price is None:
        raise _fail(intent, "STOP_PRICE_REQUIRED", f"a {intent.type} order needs a stop_price")
    if not needs_limit and intent.limit_price is not None:
        raise _fail(
            intent, "LIMIT_PRICE_NOT_ALLOWED", f"a {intent.type} order takes no limit_price"
        )
    if not needs_stop and intent.stop_price is not None:
        raise _fail(intent, "STOP_PRICE_NOT_ALLOWED", f"a {intent.type} order takes no stop_price")
    if intent.limit_price is not None:
        _check_price(intent, "limit_price", intent.limit_price, signed=intent.order_class == "mleg")
    if intent.stop_price is not None:
        _check_price(intent, "stop_price", intent.stop_price)
    if intent.take_profit is not None:
        _check_price(intent, "take_profit.limit_price", intent.take_profit)
    if intent.stop_loss is not None:
        _check_price(intent, "stop_loss.stop_price", intent.stop_loss.stop_price)
        if intent.stop_loss.limit_price is not None:
            _check_price(intent, "stop_loss.limit_price", intent.stop_loss.limit_price)


def _check_time_in_force(intent: OrderIntent) -> None:
    tif = intent.time_in_force
    if tif in ("opg", "cls", "ioc", "fok") and intent.type not in ("market", "limit"):
        raise _fail(
            intent, "TIF_NOT_ALLOWED", f"time in force {tif} is only for market and limit orders"
        )
    if intent.asset == "option" and tif != "day":
        raise _fail(intent, "TIF_NOT_ALLOWED", f"option orders must be day orders, got {tif}")
    if intent.order_class in ("bracket", "oco", "oto") and tif not in ("day", "gtc"):
        raise _fail(
            intent, "TIF_NOT_ALLOWED", f"{intent.order_class} orders must be day or gtc, got {tif}"
        )
    if intent.extended_hours:
        if intent.type != "limit" or tif not in ("day", "gtc"):
            raise _fail(
                intent,
                "EXTENDED_HOURS_RULE",
                "extended-hours orders must be limit orders with time in force day or gtc",
            )
        if intent.asset == "option" or intent.order_class != "simple":
            raise _fail(
                intent, "EXTENDED_HOURS_RULE", "extended hours are for simple equity orders only"
            )


def _check_mleg(intent: OrderIntent) -> None:
    legs = intent.legs
    if not 2 <= len(legs) <= 4:
        raise _fail(intent, "MLEG_LEG_COUNT", f"a multi-leg order has 2-4 legs, got {len(legs)}")
    if len({leg.symbol for leg in legs}) != len(legs):
        raise _fail(
            intent, "MLEG_DUPLICATE_LEG", "each leg of a multi-leg order needs its own symbol"
        )
    if intent.type not in ("market", "limit"):
        raise _fail(
            intent, "MLEG_ORDER_TYPE", f"multi-leg orders are market or limit, got {intent.type}"
        )
    if any(leg.ratio_qty < 1 for leg in legs):
        raise _fail(intent, "MLEG_RATIO", "leg ratios must be positive whole numbers")
    divisor = 0
    for leg in legs:
        divisor = gcd(divisor, leg.ratio_qty)
    if divisor != 1:
        raise _fail(
            intent,
            "MLEG_RATIO",
            f"leg ratios must be in simplest form (their common divisor is {divisor}); "
            "move the factor into qty",
        )
    if intent.limit_price is not None:
        sides = {leg.side for leg in legs}
        if sides == {"buy"} and intent.limit_price < 0:
            raise _fail(
                intent,
                "MLEG_LIMIT_SIGN",
                "every leg is bought, so the order pays a debit: its limit must be positive",
            )
        if sides == {"sell"} and intent.limit_price > 0:
            raise _fail(
                intent,
                "MLEG_LIMIT_SIGN",
                "every leg is sold, so the order receives a credit: its limit must be negative",
            )


def _check_exits(intent: OrderIntent, reference_price: Decimal | None) -> None:
    kind = intent.order_class
    take, stop = intent.take_profit, intent.stop_loss
    if kind in ("bracket", "oco") and (take is None or stop is None):
        raise _fail(
            intent, "EXIT_LEGS_REQUIRED", f"{kind} orders need both take_profit and stop_loss"
        )
    if kind == "oto" and (take is None) == (stop is None):
        raise _fail(
            intent, "EXIT_LEGS_REQUIRED", "oto orders need exactly one of take_profit or stop_loss"
        )
    if intent.asset == "option":
        raise _fail(intent, "EXIT_LEGS_NOT_FOR_OPTIONS", f"{kind} orders are for equities only")
    if intent.qty != intent.qty.to_integral_value():
        raise _fail(intent, "FRACTIONAL_NOT_ALLOWED", f"{kind} orders need whole shares")
    if kind == "oco":
        if intent.type != "limit":
            raise _fail(intent, "OCO_ORDER_TYPE", "an oco order is a limit (take-profit) order")
        return
    if intent.type not in ("market", "limit"):
        raise _fail(intent, "BRACKET_ENTRY_TYPE", f"{kind} entries are market or limit orders")
    base = intent.limit_price if intent.type == "limit" else reference_price
    buying = intent.side == "buy"
    if take is not None and stop is not None:
        low, high = (stop.stop_price, take) if buying else (take, stop.stop_price)
        if high - low < MIN_TICK:
            raise _fail(
                intent,
                "BRACKET_LEVELS_CROSSED",
                f"take_profit {take} and stop_loss {stop.stop_price} are on the wrong sides "
                f"of each other for a {intent.side} entry",
            )
    if base is None:
        return
    if stop is not None:
        distance = base - stop.stop_price if buying else stop.stop_price - base
        if distance < MIN_TICK:
            raise _fail(
                intent,
                "BRACKET_STOP_TOO_CLOSE",
                f"stop_loss {stop.stop_price} must be at least {MIN_TICK} "
                f"{'below' if buying else 'above'} the base price {base}",
            )
    if take is not None:
        distance = take - base if buying else base - take
        if distance < MIN_TICK:
            raise _fail(
                intent,
                "BRACKET_TAKE_PROFIT_SIDE",
                f"take_profit {take} must be at least {MIN_TICK} "
                f"{'above' if buying else 'below'} the base price {base}",
            )
