"""Re-validation of the trader's plan after the call (ARCHITECTURE §5, Grounding).

A model can name a symbol it was not given, size above its limit, put a stop on the wrong
side or trade against the researchers' convictions. Every such problem is found here with a
stable code, per symbol, so the graph can send it back as feedback or turn the symbol into
NO_TRADE. The `rules` trader is built to pass every check (a property test holds it to that).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Final

from agents.inputs import SymbolBrief, TraderInputs
from agents.schemas import RISK_ADDING_ACTIONS, PlannedDecision, TradingPlan

MIN_REWARD_RISK: Final = 1.5
# Conviction delta (bull − bear) rules of seed 000 §6: below HOLD_EDGE there is no edge;
# above TRADE_EDGE the trader takes the side. Validation flags risk taken against the
# convictions (|delta| under HOLD_EDGE or the wrong sign); the band between is left to the
# trader's judgement.
HOLD_EDGE: Final = 0.2
TRADE_EDGE: Final = 0.3
# A limit price this far from the reference quote is not "near the quote".
LIMIT_BAND_PCT: Final = 0.02
# Stops and targets this far from the reference price cannot come from this snapshot.
LEVEL_BAND_PCT: Final = 0.15
# A stop counts as "at the technical invalidation level" within max(0.5 ATR, 1 %).
STOP_TOLERANCE_ATR: Final = 0.5
STOP_TOLERANCE_PCT: Final = 0.01

UNKNOWN_SYMBOL: Final = "UNKNOWN_SYMBOL"
DUPLICATE_SYMBOL: Final = "DUPLICATE_SYMBOL"
MISSING_DECISION: Final = "MISSING_DECISION"
ACTION_NOT_ALLOWED: Final = "ACTION_NOT_ALLOWED"
SIZE_ABOVE_LIMIT: Final = "SIZE_ABOVE_LIMIT"
SIZE_ABOVE_POSITION: Final = "SIZE_ABOVE_POSITION"
FRACTIONAL_SIZE: Final = "FRACTIONAL_SIZE"
ZERO_SIZE: Final = "ZERO_SIZE"
NONZERO_HOLD_SIZE: Final = "NONZERO_HOLD_SIZE"
DIRECTION_MISMATCH: Final = "DIRECTION_MISMATCH"
MISSING_LIMIT_PRICE: Final = "MISSING_LIMIT_PRICE"
MISSING_STOP: Final = "MISSING_STOP"
MISSING_TARGET: Final = "MISSING_TARGET"
STOP_WRONG_SIDE: Final = "STOP_WRONG_SIDE"
TARGET_WRONG_SIDE: Final = "TARGET_WRONG_SIDE"
STOP_NOT_AT_INVALIDATION: Final = "STOP_NOT_AT_INVALIDATION"
REWARD_RISK_BELOW_MIN: Final = "REWARD_RISK_BELOW_MIN"
PRICE_OFF_SNAPSHOT: Final = "PRICE_OFF_SNAPSHOT"
ACTION_AGAINST_CONVICTION: Final = "ACTION_AGAINST_CONVICTION"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one decision: a stable code and a message a person can act on."""

    code: str
    message: str


def validate_plan(plan: TradingPlan, trader_inputs: TraderInputs) -> dict[str, list[Problem]]:
    """Problems per symbol; a symbol with an empty list passed every check.

    Symbols the plan names but was not given are keyed by that symbol (UNKNOWN_SYMBOL);
    briefed symbols without a decision get MISSING_DECISION (the graph makes them NO_TRADE).
    """
    briefs = {brief.context.symbol: brief for brief in trader_inputs.briefs}
    problems: dict[str, list[Problem]] = {symbol: [] for symbol in briefs}
    counts = Counter(decision.symbol for decision in plan.decisions)
    for decision in plan.decisions:
        brief = briefs.get(decision.symbol)
        found = problems.setdefault(decision.symbol, [])
        if brief is None:
            found.append(
                Problem(
                    UNKNOWN_SYMBOL,
                    f"{decision.symbol} is not one of the symbols given "
                    f"({', '.join(sorted(briefs)) or 'none'}); decide only on those",
                )
            )
            continue
        found.extend(check_decision(decision, brief))
    for symbol, count in counts.items():
        if count > 1 and symbol in briefs:
            problems[symbol].insert(
                0,
                Problem(
                    DUPLICATE_SYMBOL,
                    f"{symbol} has {count} decisions; give exactly one decision per symbol",
                ),
            )
    for symbol in briefs:
        if counts[symbol] == 0:
            problems[symbol].append(
                Problem(MISSING_DECISION, f"{symbol} has no decision; it becomes NO_TRADE")
            )
    return problems


def check_decision(decision: PlannedDecision, brief: SymbolBrief) -> list[Problem]:
    """Every problem of one decision against its symbol's brief."""
    limits = brief.limits
    if decision.action not in limits.allowed_actions:
        return [
            Problem(
                ACTION_NOT_ALLOWED,
                f"{decision.action} is not allowed for {decision.symbol}; allowed: "
                f"{', '.join(limits.allowed_actions)}",
            )
        ]
    found = _size_problems(decision, brief)
    found += _direction_problems(decision, brief)
    if decision.action in RISK_ADDING_ACTIONS:
        found += _level_problems(decision, brief)
        found += _conviction_problems(decision, brief)
    elif decision.action in ("REDUCE", "CLOSE"):
        found += _limit_price_problems(decision, brief)
    return found


def conviction_delta(brief: SymbolBrief) -> float:
    """Bull conviction minus bear conviction (seed 000 §6)."""
    return brief.bull.conviction - brief.bear.conviction


def stop_tolerance(reference: float, atr: float | None) -> float:
    """How far a stop may sit from the invalidation level and still count as at it."""
    by_pct = STOP_TOLERANCE_PCT * reference
    if atr is None or not math.isfinite(atr) or atr <= 0:
        return by_pct
    return max(STOP_TOLERANCE_ATR * atr, by_pct)


def position_direction(quantity: float) -> str:
    """LONG, SHORT or FLAT for a signed share count."""
    return "LONG" if quantity > 0 else "SHORT" if quantity < 0 else "FLAT"


def trade_direction(decision: PlannedDecision, current_quantity: float) -> str:
    """The direction a decision's risk is in: the side it opens, or the position it changes."""
    if decision.action == "BUY":
        return "LONG"
    if decision.action == "SELL":
        return "SHORT"
    return position_direction(current_quantity)


def entry_price(decision: PlannedDecision, reference: float) -> float:
    """The price the order is expected to fill at: its limit, else the reference quote."""
    return decision.limit_price if decision.limit_price is not None else reference


def _size_problems(decision: PlannedDecision, brief: SymbolBrief) -> list[Problem]:
    limits, quantity = brief.limits, decision.quantity
    found: list[Problem] = []
    if quantity != math.floor(quantity):
        found.append(
            Problem(FRACTIONAL_SIZE, f"{quantity:g} shares is not a whole number of shares")
        )
    if decision.action in ("HOLD", "NO_TRADE"):
        if quantity != 0:
            found.append(
                Problem(
                    NONZERO_HOLD_SIZE,
                    f"{decision.action} must have quantity 0, not {quantity:g}",
                )
            )
        return found
    if quantity <= 0:
        found.append(Problem(ZERO_SIZE, f"{decision.action} needs a positive quantity"))
    if decision.action in RISK_ADDING_ACTIONS and quantity > limits.max_quantity:
        found.append(
            Problem(
                SIZE_ABOVE_LIMIT,
                f"{quantity:g} shares is above the limit of {limits.max_quantity:g} for "
                f"{decision.symbol}; reduce size to at most {limits.max_quantity:g}",
            )
        )
    held = abs(limits.current_quantity)
    if decision.action == "REDUCE" and quantity >= held:
        found.append(
            Problem(
                SIZE_ABOVE_POSITION,
                f"REDUCE of {quantity:g} shares must be below the {held:g} held; use CLOSE",
            )
        )
    if decision.action == "CLOSE" and quantity != held:
        found.append(
            Problem(
                SIZE_ABOVE_POSITION,
                f"CLOSE must be for the whole position of {held:g} shares, not {quantity:g}",
            )
        )
    return found


def _direction_problems(decision: PlannedDecision, brief: SymbolBrief) -> list[Problem]:
    if decision.action in ("HOLD", "NO_TRADE"):
        return []
    expected = trade_direction(decision, brief.limits.current_quantity)
    if decision.direction == expected:
        return []
    return [
        Problem(
            DIRECTION_MISMATCH,
            f"{decision.action} of {decision.symbol} is {expected}, not {decision.direction}",
        )
    ]


def _limit_price_problems(decision: PlannedDecision, brief: SymbolBrief) -> list[Problem]:
    reference = brief.limits.reference_price
    if decision.order_type != "LIMIT":
        return []
    if decision.limit_price is None:
        return [Problem(MISSING_LIMIT_PRICE, "a LIMIT order needs a limit_price")]
    return _band("limit_price", decision.limit_price, reference, LIMIT_BAND_PCT, decision.symbol)


def _level_problems(decision: PlannedDecision, brief: SymbolBrief) -> list[Problem]:
    found = _limit_price_problems(decision, brief)
    stop, target = decision.stop_loss, decision.take_profit
    if stop is None:
        found.append(Problem(MISSING_STOP, f"{decision.action} adds risk and needs a stop_loss"))
    if target is None:
        found.append(
            Problem(MISSING_TARGET, f"{decision.action} adds risk and needs a take_profit")
        )
    if stop is None or target is None:
        return found
    reference = brief.limits.reference_price
    found += _band("stop_loss", stop, reference, LEVEL_BAND_PCT, decision.symbol)
    found += _band("take_profit", target, reference, LEVEL_BAND_PCT, decision.symbol)
    entry = entry_price(decision, reference)
    long = trade_direction(decision, brief.limits.current_quantity) == "LONG"
    found += _sides(long, entry, stop, target)
    if not (stop < entry < target if long else target < entry < stop):
        return found
    reward_risk = abs(target - entry) / abs(entry - stop)
    if reward_risk < MIN_REWARD_RISK:
        found.append(
            Problem(
                REWARD_RISK_BELOW_MIN,
                f"reward/risk is {reward_risk:.2f} (entry {entry:.2f}, stop {stop:.2f}, "
                f"target {target:.2f}); it must be at least {MIN_REWARD_RISK}",
            )
        )
    found += _invalidation(long, stop, brief)
    return found


def _sides(long: bool, entry: float, stop: float, target: float) -> list[Problem]:
    found: list[Problem] = []
    side = "below" if long else "above"
    other = "above" if long else "below"
    if (stop >= entry) if long else (stop <= entry):
        found.append(
            Problem(
                STOP_WRONG_SIDE,
                f"stop {stop:.2f} must be {side} the entry {entry:.2f} for a "
                f"{'long' if long else 'short'}",
            )
        )
    if (target <= entry) if long else (target >= entry):
        found.append(
            Problem(
                TARGET_WRONG_SIDE,
                f"take_profit {target:.2f} must be {other} the entry {entry:.2f}",
            )
        )
    return found


def _invalidation(long: bool, stop: float, brief: SymbolBrief) -> list[Problem]:
    level = brief.technical.invalidation_long if long else brief.technical.invalidation_short
    atr = brief.context.indicators.atr if brief.context.indicators is not None else None
    tolerance = stop_tolerance(brief.limits.reference_price, atr)
    if abs(stop - level) <= tolerance:
        return []
    return [
        Problem(
            STOP_NOT_AT_INVALIDATION,
            f"stop {stop:.2f} is {abs(stop - level):.2f} from the technical invalidation "
            f"level {level:.2f}; put it within {tolerance:.2f} of that level",
        )
    ]


def _band(name: str, price: float, reference: float, band: float, symbol: str) -> list[Problem]:
    if reference > 0 and abs(price - reference) <= band * reference:
        return []
    return [
        Problem(
            PRICE_OFF_SNAPSHOT,
            f"{name} {price:.2f} is more than {band:.0%} from the {symbol} reference price "
            f"{reference:.2f} of this snapshot",
        )
    ]


def _conviction_problems(decision: PlannedDecision, brief: SymbolBrief) -> list[Problem]:
    delta = conviction_delta(brief)
    long = trade_direction(decision, brief.limits.current_quantity) == "LONG"
    if (delta >= HOLD_EDGE) if long else (delta <= -HOLD_EDGE):
        return []
    wanted = f"above {HOLD_EDGE}" if long else f"below -{HOLD_EDGE}"
    return [
        Problem(
            ACTION_AGAINST_CONVICTION,
            f"{decision.action} {'long' if long else 'short'} with conviction delta "
            f"{delta:+.2f} (bull {brief.bull.conviction:.2f} − bear "
            f"{brief.bear.conviction:.2f}); adding {'long' if long else 'short'} risk needs "
            f"a delta {wanted}, otherwise HOLD",
        )
    ]
