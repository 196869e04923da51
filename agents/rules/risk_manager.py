"""Risk manager baseline: each decision against the risk policy, with actionable changes.

Required changes are phrased so a trader (the `rules` trader reads them) can act on them:
"reduce size to at most N shares", "set the stop …", "HOLD: …".
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from agents.inputs import ApprovalInputs, SymbolBrief
from agents.limits import MAX_SPREAD_BPS
from agents.rules.errors import RulesInputError
from agents.schemas import RISK_ADDING_ACTIONS, Approval, DecisionVerdict, PlannedDecision
from agents.validation import MIN_REWARD_RISK, entry_price, trade_direction


def review(inputs: ApprovalInputs) -> Approval:
    """A verdict per decision of the plan."""
    briefs = {b.context.symbol: b for b in inputs.trader.briefs}
    policy = _policy(inputs.risk_limits)
    verdicts = [
        _verdict(d, briefs.get(d.symbol), policy, inputs.trader.portfolio.equity)
        for d in inputs.plan.decisions
    ]
    rejected = sum(1 for v in verdicts if v.verdict == "REJECT")
    return Approval(
        verdicts=verdicts,
        summary=f"Risk review round {inputs.round}: {len(verdicts) - rejected} approved, "
        f"{rejected} rejected.",
    )


def _verdict(
    decision: PlannedDecision,
    brief: SymbolBrief | None,
    policy: dict[str, float],
    equity: float,
) -> DecisionVerdict:
    if brief is None:
        return _reject(
            decision,
            [f"{decision.symbol} is not in this cycle's universe"],
            [f"HOLD: do not trade {decision.symbol}"],
        )
    violations: list[str] = []
    changes: list[str] = []
    limits = brief.limits
    if decision.action not in limits.allowed_actions:
        violations.append(f"{decision.action} is not allowed ({', '.join(limits.allowed_actions)})")
        changes.append(f"HOLD: {decision.action} is not allowed for this position")
    elif decision.action in RISK_ADDING_ACTIONS:
        _check_opening(decision, brief, policy, equity, violations, changes)
    elif decision.action in ("REDUCE", "CLOSE") and decision.quantity > abs(
        limits.current_quantity
    ):
        violations.append(
            f"{decision.action} of {decision.quantity:g} exceeds the "
            f"{abs(limits.current_quantity):g} shares held"
        )
        changes.append(f"reduce size to at most {int(abs(limits.current_quantity))} shares")
    if violations:
        return _reject(decision, violations, changes)
    return DecisionVerdict(
        symbol=decision.symbol,
        verdict="APPROVE",
        violations=[],
        required_changes=[],
        notes=f"{decision.action} within the risk policy",
    )


def _check_opening(
    decision: PlannedDecision,
    brief: SymbolBrief,
    policy: dict[str, float],
    equity: float,
    violations: list[str],
    changes: list[str],
) -> None:
    limits = brief.limits
    entry = entry_price(decision, limits.reference_price)
    caps: list[int] = []
    if decision.quantity > limits.max_quantity:
        violations.append(
            f"size {decision.quantity:g} is above the maximum {limits.max_quantity:g}"
        )
        caps.append(int(limits.max_quantity))
    max_notional = policy["max_notional_per_instrument"]
    if decision.quantity * entry > max_notional:
        violations.append(
            f"notional {decision.quantity * entry:.2f} is above the per-instrument limit "
            f"{max_notional:g}"
        )
        caps.append(math.floor(max_notional / entry))
    long = trade_direction(decision, limits.current_quantity) == "LONG"
    stop = decision.stop_loss
    level = brief.technical.invalidation_long if long else brief.technical.invalidation_short
    if stop is None or (stop >= entry if long else stop <= entry):
        violations.append(
            "stop loss missing" if stop is None else f"stop {stop:.2f} is on the wrong side"
        )
        changes.append(f"set the stop at the technical invalidation level {level:.2f}")
    else:
        risk_pct = policy["max_risk_per_trade_pct"]
        at_risk = decision.quantity * abs(entry - stop)
        if equity > 0 and at_risk > risk_pct * equity:
            violations.append(
                f"{at_risk:.2f} at risk to the stop is above {risk_pct:.2%} of equity"
            )
            caps.append(math.floor(risk_pct * equity / abs(entry - stop)))
        _check_reward(decision, entry, stop, long, policy, violations, changes)
    spread = brief.context.quote.spread_bps if brief.context.quote is not None else None
    max_spread = policy["max_spread_bps"]
    if spread is None or spread > max_spread:
        what = "no quote" if spread is None else f"spread {spread:.1f} bps"
        violations.append(f"{what}: above the {max_spread:g} bps a new position may pay")
        changes.append(f"HOLD: {what} is too wide to open a position")
    if caps:
        changes.append(f"reduce size to at most {max(0, min(caps))} shares")


def _check_reward(
    decision: PlannedDecision,
    entry: float,
    stop: float,
    long: bool,
    policy: dict[str, float],
    violations: list[str],
    changes: list[str],
) -> None:
    minimum = policy["min_reward_risk"]
    target = decision.take_profit
    risk = abs(entry - stop)
    needed = entry + minimum * risk if long else entry - minimum * risk
    if target is None or (target <= entry if long else target >= entry):
        violations.append("take profit missing or on the wrong side")
        changes.append(f"set the take profit beyond {needed:.2f} (reward/risk ≥ {minimum:g})")
        return
    reward_risk = abs(target - entry) / risk
    if reward_risk < minimum:
        violations.append(f"reward/risk {reward_risk:.2f} is below {minimum:g}")
        changes.append(f"set the take profit beyond {needed:.2f} (reward/risk ≥ {minimum:g})")


def _policy(risk_limits: dict[str, str]) -> dict[str, float]:
    """The limits this review needs, parsed once; missing or malformed ones raise."""
    policy = {
        key: _number(risk_limits, key)
        for key in ("max_notional_per_instrument", "max_risk_per_trade_pct", "min_reward_risk")
    }
    policy["min_reward_risk"] = max(policy["min_reward_risk"], MIN_REWARD_RISK)
    policy["max_spread_bps"] = (
        _number(risk_limits, "max_spread_bps")
        if "max_spread_bps" in risk_limits
        else MAX_SPREAD_BPS
    )
    return policy


def _number(risk_limits: dict[str, str], key: str) -> float:
    """A required positive limit; a missing or malformed one fails the review (closed)."""
    text = risk_limits.get(key)
    if text is None:
        raise RulesInputError(
            f"risk_limits has no {key!r}; build them with agents.limits.risk_limits_view"
        )
    try:
        value = float(Decimal(text))
    except (InvalidOperation, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise RulesInputError(f"risk_limits[{key!r}] = {text!r} is not a positive number")
    return value


def _reject(
    decision: PlannedDecision, violations: list[str], changes: list[str]
) -> DecisionVerdict:
    return DecisionVerdict(
        symbol=decision.symbol,
        verdict="REJECT",
        violations=[v[:400] for v in violations[:12]],
        required_changes=[c[:400] for c in changes[:12]],
        notes=f"{decision.action} rejected: {len(violations)} violation(s)",
    )
