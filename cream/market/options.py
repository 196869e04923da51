"""Option pricing for market context: Black-Scholes greeks and implied vol from the Rust core."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from cream.engine.core import BsResult, bs_price_greeks
from cream.engine.core import implied_vol as _core_implied_vol
from cream.v1 import common_pb2 as common

OptionKind = Literal["call", "put"]
NEW_YORK = ZoneInfo("America/New_York")
_SECONDS_PER_YEAR = 365.0 * 24 * 3600
_MARKET_CLOSE = time(16, 0)


def _option_type(kind: OptionKind) -> common.OptionType.ValueType:
    if kind == "call":
        return common.OPTION_TYPE_CALL
    if kind == "put":
        return common.OPTION_TYPE_PUT
    raise ValueError(f"option kind must be 'call' or 'put', not {kind!r}")


def bs_greeks(
    kind: OptionKind,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    vol: float,
    dividend: float = 0.0,
) -> BsResult:
    """Price, delta, gamma, vega (per vol point), theta (per day) and rho (per rate point)."""
    return bs_price_greeks(_option_type(kind), spot, strike, t_years, rate, vol, dividend)


def implied_vol(
    kind: OptionKind,
    price: float,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    dividend: float = 0.0,
) -> float:
    """The annualised volatility that reproduces ``price``."""
    return _core_implied_vol(_option_type(kind), price, spot, strike, t_years, rate, dividend)


def years_to_expiry(expiry: date, as_of: datetime) -> float:
    """Time from ``as_of`` to the 16:00 New York close of the expiry date, in years."""
    close = datetime.combine(expiry, _MARKET_CLOSE, tzinfo=NEW_YORK).astimezone(UTC)
    return (close - as_of.astimezone(UTC)).total_seconds() / _SECONDS_PER_YEAR
