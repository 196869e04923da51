"""Head trader baseline: seed 000 §6's decision rules over the researchers' convictions.

delta = bull − bear. |delta| < 0.2 holds (no edge) and so does the band up to 0.3; above 0.3
the trader goes long (BUY flat, INCREASE a long, CLOSE a short), below −0.3 short (SELL flat,
INCREASE a short, CLOSE a long). Stops sit at the technical analyst's invalidation level, the
target gives reward/risk 2 (≥ 1.5), size is half-Kelly of `max_quantity` capped by a 1 %-of-
equity risk budget and halved ahead of event risk. Approvers' feedback is applied in
revision rounds. A candidate that `agents.validation` would reject becomes HOLD instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from agents.inputs import SymbolBrief, TraderInputs
from agents.rules.levels import round_price
from agents.schemas import PlanAction, PlanDirection, PlannedDecision, PlanStrategy, TradingPlan
from agents.validation import (
    LEVEL_BAND_PCT,
    LIMIT_BAND_PCT,
    TRADE_EDGE,
    check_decision,
    conviction_delta,
    position_direction,
    stop_tolerance,
)

TARGET_REWARD_RISK: Final = 2.0
# Fraction of equity one trade may lose at its stop (the policy's ceiling is 2 %).
RISK_BUDGET_PCT: Final = 0.01
# Stops nearer than this fraction of the entry are noise, not a thesis.
MIN_STOP_PCT: Final = 0.002
_STRATEGY: Final[dict[str, PlanStrategy]] = {
    "BREAKOUT": "BREAKOUT",
    "PULLBACK": "TREND_FOLLOWING",
    "TREND_CONTINUATION": "TREND_FOLLOWING",
    "REVERSAL": "MEAN_REVERSION",
    "RANGE": "MEAN_REVERSION",
    "NO_SETUP": "MOMENTUM",
}
_HOLD_WORDS = re.compile(r"\b(hold|no_trade|no trade|do not trade|stand aside)\b", re.I)
_AT_MOST = re.compile(r"at most (\d+)", re.I)
_REDUCE = re.compile(r"reduce (?:the )?(?:size|quantity|position)|halve|smaller", re.I)
_TIGHTEN = re.compile(r"tighten", re.I)


@dataclass(frozen=True, slots=True)
class Directives:
    """What the approvers asked for, read from their required changes."""

    hold: bool = False
    cap: int | None = None
    halve: bool = False
    tighten: bool = False


def read_feedback(lines: list[str]) -> Directives:
    """The directives in the approvers' required changes for one symbol."""
    text = " ".join(lines)
    caps = [int(m) for m in _AT_MOST.findall(text)]
    return Directives(
        hold=bool(_HOLD_WORDS.search(text)),
        cap=min(caps) if caps else None,
        halve=bool(_REDUCE.search(text)),
        tighten=bool(_TIGHTEN.search(text)),
    )


def decide(inputs: TraderInputs) -> TradingPlan:
    """One decision per briefed symbol."""
    previous = {d.symbol: d for d in inputs.previous_plan.decisions} if inputs.previous_plan else {}
    decisions = []
    for brief in inputs.briefs:
        symbol = brief.context.symbol
        directives = read_feedback(inputs.feedback.get(symbol, []))
        decision = _decide_one(brief, inputs.portfolio.equity, directives, previous.get(symbol))
        if check_decision(decision, brief):
            decision = _hold(brief, "the candidate trade failed plan validation")
        decisions.append(decision)
    trades = sum(1 for d in decisions if d.action not in ("HOLD", "NO_TRADE"))
    return TradingPlan(
        decisions=decisions,
        summary=f"Round {inputs.round}: {trades} trade(s), {len(decisions) - trades} hold(s) "
        f"across {len(decisions)} symbol(s).",
    )


def _decide_one(
    brief: SymbolBrief,
    equity: float,
    directives: Directives,
    previous: PlannedDecision | None,
) -> PlannedDecision:
    limits = brief.limits
    delta = conviction_delta(brief)
    if directives.hold:
        return _hold(brief, "the approvers asked to hold")
    if limits.reference_price <= 0:
        return _hold(brief, "no usable quote")
    current = limits.current_quantity
    held = position_direction(current)
    if abs(delta) <= TRADE_EDGE:
        return _hold(brief, f"conviction delta {delta:+.2f} is inside ±{TRADE_EDGE}")
    wants: PlanDirection = "LONG" if delta > 0 else "SHORT"
    if held == "FLAT":
        action: PlanAction = "BUY" if wants == "LONG" else "SELL"
    elif held == wants:
        action = "INCREASE"
    else:
        return _close(brief, delta)
    if action not in limits.allowed_actions:
        return _hold(brief, f"{action} is not allowed")
    return _open(brief, action, wants, equity, directives, previous)


def _open(
    brief: SymbolBrief,
    action: PlanAction,
    direction: PlanDirection,
    equity: float,
    directives: Directives,
    previous: PlannedDecision | None,
) -> PlannedDecision:
    limits, tech = brief.limits, brief.technical
    long = direction == "LONG"
    entry = round_price(_book_price(brief, buying=long))
    stop = tech.invalidation_long if long else tech.invalidation_short
    atr = brief.context.indicators.atr if brief.context.indicators is not None else None
    if directives.tighten:
        step = 0.5 * stop_tolerance(limits.reference_price, atr)
        stop = round_price(stop + step if long else stop - step)
    risk = entry - stop if long else stop - entry
    if risk < MIN_STOP_PCT * entry or risk > 0.5 * LEVEL_BAND_PCT * limits.reference_price:
        return _hold(brief, f"a stop at {stop:.2f} is {risk:.2f} from entry {entry:.2f}")
    reward = TARGET_REWARD_RISK * risk
    target = round_price(entry + reward if long else entry - reward)
    quantity = _size(brief, equity, risk, directives, previous)
    if quantity < 1:
        return _hold(brief, "the sized position is below one share")
    delta = conviction_delta(brief)
    return PlannedDecision(
        symbol=brief.context.symbol,
        action=action,
        direction=direction,
        quantity=float(quantity),
        order_type="LIMIT",
        limit_price=entry,
        stop_loss=stop,
        take_profit=target,
        strategy_family=_STRATEGY.get(tech.setup, "MOMENTUM"),
        time_horizon="SWING",
        rationale=(
            f"{action} {direction}: bull conviction {brief.bull.conviction:.2f} vs bear "
            f"{brief.bear.conviction:.2f} (delta {delta:+.2f}); {tech.trend} trend, "
            f"{tech.setup} setup; entry {entry:.2f}, stop {stop:.2f} at the invalidation "
            f"level, target {target:.2f}; {quantity} shares."
        ),
        bullish_factors=brief.bull.supporting_evidence[:6],
        bearish_factors=brief.bear.supporting_evidence[:6],
        memory_references=(brief.bull if long else brief.bear).memory_references[:3],
        confidence=round(min(1.0, 0.5 + abs(delta) / 2), 2),
    )


def _size(
    brief: SymbolBrief,
    equity: float,
    risk: float,
    directives: Directives,
    previous: PlannedDecision | None,
) -> int:
    """Half-Kelly share of `max_quantity`, capped by the risk budget and the approvers."""
    delta = abs(conviction_delta(brief))
    p = 0.5 + delta / 2
    kelly = p - (1 - p) / TARGET_REWARD_RISK
    fraction = max(0.0, min(1.0, 0.5 * kelly))
    if brief.fundamentals.risks:
        fraction /= 2  # event risk inside the horizon (earnings, macro): half size
    quantity = math.floor(brief.limits.max_quantity * fraction)
    if equity > 0 and risk > 0:
        quantity = min(quantity, math.floor(RISK_BUDGET_PCT * equity / risk))
    if directives.halve:
        base = previous.quantity if previous is not None and previous.quantity > 0 else quantity
        quantity = min(quantity, math.floor(base / 2))
    if directives.cap is not None:
        quantity = min(quantity, directives.cap)
    return max(0, int(quantity))


def _book_price(brief: SymbolBrief, *, buying: bool) -> float:
    """The near side of the book: pay the ask to buy, hit the bid to sell."""
    quote = brief.context.quote
    reference = brief.limits.reference_price
    if quote is None:
        return reference
    price = quote.ask if buying else quote.bid
    if price <= 0 or abs(price - reference) > LIMIT_BAND_PCT * reference:
        return reference
    return price


def _close(brief: SymbolBrief, delta: float) -> PlannedDecision:
    limits = brief.limits
    if "CLOSE" not in limits.allowed_actions:
        return _hold(brief, "CLOSE is not allowed")
    long = limits.current_quantity > 0
    price = round_price(_book_price(brief, buying=not long))
    direction: PlanDirection = "LONG" if long else "SHORT"
    return PlannedDecision(
        symbol=brief.context.symbol,
        action="CLOSE",
        direction=direction,
        quantity=abs(limits.current_quantity),
        order_type="LIMIT",
        limit_price=price,
        strategy_family=_STRATEGY.get(brief.technical.setup, "MOMENTUM"),
        time_horizon="SWING",
        rationale=(
            f"CLOSE the {direction.lower()} position: conviction delta {delta:+.2f} (bull "
            f"{brief.bull.conviction:.2f}, bear {brief.bear.conviction:.2f}) is against it."
        ),
        bullish_factors=brief.bull.supporting_evidence[:6],
        bearish_factors=brief.bear.supporting_evidence[:6],
        memory_references=[],
        confidence=round(min(1.0, 0.5 + abs(delta) / 2), 2),
    )


def _hold(brief: SymbolBrief, why: str) -> PlannedDecision:
    delta = conviction_delta(brief)
    direction = position_direction(brief.limits.current_quantity)
    return PlannedDecision(
        symbol=brief.context.symbol,
        action="HOLD",
        direction="FLAT" if direction == "FLAT" else ("LONG" if direction == "LONG" else "SHORT"),
        quantity=0.0,
        order_type="MARKET",
        strategy_family=_STRATEGY.get(brief.technical.setup, "MOMENTUM"),
        time_horizon="SWING",
        rationale=(
            f"HOLD: {why}; bull {brief.bull.conviction:.2f} vs bear "
            f"{brief.bear.conviction:.2f} (delta {delta:+.2f})."
        ),
        bullish_factors=brief.bull.supporting_evidence[:6],
        bearish_factors=brief.bear.supporting_evidence[:6],
        memory_references=[],
        confidence=round(max(0.0, min(1.0, 1.0 - abs(delta))), 2),
    )
