"""OCC option symbols: build and parse "AAPL250117C00150000"-style contract ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

_OCC = re.compile(r"^(?P<root>[A-Z][A-Z0-9.]{0,5})(?P<ymd>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$")


class OccSymbolError(ValueError):
    """An OCC symbol that does not parse; ``code`` is stable."""

    code = "INVALID_OCC_SYMBOL"


@dataclass(frozen=True)
class OccContract:
    """The terms an OCC symbol encodes."""

    underlying: str
    expiry: date
    is_call: bool
    strike: Decimal

    @property
    def symbol(self) -> str:
        """The OCC symbol of these terms."""
        return build_occ(self.underlying, self.expiry, self.is_call, self.strike)


def build_occ(underlying: str, expiry: date, is_call: bool, strike: Decimal) -> str:
    """The OCC symbol: root, YYMMDD, C or P, strike x 1000 as eight digits."""
    milli = strike * 1000
    if milli != milli.to_integral_value() or milli <= 0 or milli >= 10**8:
        raise OccSymbolError(f"strike {strike} cannot be written in an OCC symbol")
    cp = "C" if is_call else "P"
    return f"{underlying}{expiry:%y%m%d}{cp}{int(milli):08d}"


def parse_occ(symbol: str) -> OccContract:
    """Parse an OCC symbol, or raise OccSymbolError saying what is wrong."""
    match = _OCC.match(symbol)
    if match is None:
        raise OccSymbolError(
            f"'{symbol}' is not an OCC option symbol (expected e.g. AAPL250117C00150000)"
        )
    ymd = match["ymd"]
    try:
        expiry = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))
    except ValueError as exc:
        raise OccSymbolError(f"'{symbol}' has an invalid expiry date {ymd}") from exc
    return OccContract(
        underlying=match["root"],
        expiry=expiry,
        is_call=match["cp"] == "C",
        strike=Decimal(match["strike"]) / 1000,
    )
