"""What the trader may do with each symbol, computed before any LLM call (ARCHITECTURE §5).

Grounding: the trader is told the actions its position allows and the largest whole-share
quantity the risk policy lets it add, so neither is left to a model. The same numbers are
re-checked after the call by `agents.validation` and, cumulatively, by the Rust core.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Final

from agents.inputs import PortfolioView, SymbolContext, SymbolLimits
from agents.schemas import PlanAction
from cream.config.risk import RiskSettings

# Widest bid/ask spread the risk manager accepts for a new position; the risk policy has
# no spread limit of its own, and an order into a wider book pays away its edge.
MAX_SPREAD_BPS: Final = 50.0

_FLAT: Final[tuple[PlanAction, ...]] = ("BUY", "SELL", "HOLD", "NO_TRADE")
_FLAT_LONG_ONLY: Final[tuple[PlanAction, ...]] = ("BUY", "HOLD", "NO_TRADE")
_HOLDING: Final[tuple[PlanAction, ...]] = ("INCREASE", "REDUCE", "CLOSE", "HOLD", "NO_TRADE")
_NO_QUOTE: Final[tuple[PlanAction, ...]] = ("HOLD", "NO_TRADE")


def compute_limits(
    context: SymbolContext,
    portfolio: PortfolioView,
    risk_settings: RiskSettings,
    *,
    allow_short: bool = True,
) -> SymbolLimits:
    """Allowed actions and maximum added quantity for one symbol.

    `max_quantity` is the most shares an order may add (BUY, SELL or INCREASE) so that the
    resulting position stays within the per-instrument notional, unit and %-of-equity
    limits, priced at the side of the book the order would pay (ask for buys, bid for
    shorts) and floored to whole shares. Without a usable quote only HOLD/NO_TRADE remain.

    Args:
        context: The symbol's verified snapshot (quote and position).
        portfolio: Equity and positions, for the %-of-equity limit.
        risk_settings: The active config version's risk constraints.
        allow_short: Whether the policy lets a flat symbol be sold short.
    """
    current = _current_quantity(context)
    quote = context.quote
    if quote is None or not _usable(quote.bid, quote.ask):
        reference = quote.last if quote is not None and quote.last > 0 else 0.0
        return SymbolLimits(
            symbol=context.symbol,
            allowed_actions=list(_NO_QUOTE),
            max_quantity=0.0,
            reference_price=reference,
            current_quantity=current,
        )
    if current > 0:
        actions, reference = _HOLDING, quote.ask
    elif current < 0:
        actions, reference = _HOLDING, quote.bid
    else:
        actions, reference = (_FLAT if allow_short else _FLAT_LONG_ONLY), quote.ask
    cap = _cap_shares(reference, portfolio.equity, risk_settings)
    return SymbolLimits(
        symbol=context.symbol,
        allowed_actions=list(actions),
        max_quantity=float(max(0, cap - math.ceil(abs(current)))),
        reference_price=reference,
        current_quantity=current,
    )


def risk_limits_view(risk_settings: RiskSettings) -> dict[str, str]:
    """The risk policy in the plain key=value terms the risk manager is given."""
    per = risk_settings.per_instrument
    return {
        "max_notional_per_instrument": str(per.max_notional),
        "max_units_per_instrument": str(per.max_units),
        "max_equity_pct_per_instrument": str(per.max_equity_pct),
        "max_risk_per_trade_pct": str(risk_settings.sizing.max_risk_per_trade_pct),
        "min_reward_risk": str(risk_settings.sizing.min_reward_risk),
        "price_collar_pct": str(risk_settings.execution.price_collar_pct),
        "max_spread_bps": f"{MAX_SPREAD_BPS:g}",
        "max_gross_notional": str(risk_settings.portfolio.max_gross_notional),
        "max_leverage": str(risk_settings.portfolio.max_leverage),
    }


def _current_quantity(context: SymbolContext) -> float:
    position = context.position
    return 0.0 if position is None else float(position.quantity)


def _usable(bid: float, ask: float) -> bool:
    return math.isfinite(bid) and math.isfinite(ask) and 0 < bid <= ask


def _cap_shares(price: float, equity: float, risk: RiskSettings) -> int:
    """Whole shares a position may hold at `price` under every per-instrument limit."""
    per = risk.per_instrument
    unit = Decimal(repr(price))
    caps = [per.max_notional / unit, per.max_units]
    if equity > 0:
        caps.append(Decimal(repr(equity)) * per.max_equity_pct / unit)
    else:
        # No equity means no %-of-equity room at all: fail closed rather than ignore it.
        caps.append(Decimal(0))
    return int(min(caps).to_integral_value(rounding="ROUND_FLOOR"))
