"""Critic baseline: logic and evidence of each decision, and a hallucination check on numbers.

A decision that adds risk must point the way of the stronger thesis, cite the analyses'
evidence, keep its prices near the snapshot, and quote only numbers found in the inputs (or
derived from them: the conviction delta). HOLD and NO_TRADE take no risk and pass.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import Any, Final

from agents.inputs import ApprovalInputs, SymbolBrief
from agents.schemas import RISK_ADDING_ACTIONS, Approval, DecisionVerdict, PlannedDecision
from agents.validation import (
    LEVEL_BAND_PCT,
    LIMIT_BAND_PCT,
    conviction_delta,
    trade_direction,
)

# A quoted number matches an input when within 1 % (rounding) or 0.011 absolute.
_RELATIVE: Final = 0.01
_ABSOLUTE: Final = 0.011
# Small whole numbers are counts and rule constants ("3 signals", "RSI above 70").
_SMALL_INTEGER: Final = 100
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])[-+]?\d+(?:\.\d+)?%?")


def review(inputs: ApprovalInputs) -> Approval:
    """A verdict per decision of the plan."""
    briefs = {b.context.symbol: b for b in inputs.trader.briefs}
    verdicts = [_verdict(d, briefs.get(d.symbol)) for d in inputs.plan.decisions]
    rejected = sum(1 for v in verdicts if v.verdict == "REJECT")
    return Approval(
        verdicts=verdicts,
        summary=f"Critic round {inputs.round}: {len(verdicts) - rejected} approved, "
        f"{rejected} rejected.",
    )


def quoted_numbers(text: str) -> list[float]:
    """The numbers a text states; a percentage counts both as written and as a fraction."""
    found = []
    for token in _NUMBER.findall(text):
        value = float(token.rstrip("%"))
        found.append(value)
        if token.endswith("%"):
            found.append(value / 100)
    return found


def known_numbers(brief: SymbolBrief, decision: PlannedDecision) -> list[float]:
    """Every number the inputs hold for this symbol (values and numbers inside texts)."""
    values: list[float] = [conviction_delta(brief), decision.quantity]
    values += [v for v in (decision.limit_price, decision.stop_loss, decision.take_profit) if v]
    _collect(brief.model_dump(mode="json"), values)
    return sorted(values)


def _collect(node: Any, out: list[float]) -> None:
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        out.append(float(node))
    elif isinstance(node, str):
        out.extend(quoted_numbers(node))
    elif isinstance(node, dict):
        for value in node.values():
            _collect(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect(value, out)


def unsupported_numbers(text: str, known: list[float]) -> list[float]:
    """Numbers in `text` that no input supports (`known` sorted)."""
    return [
        value
        for value in quoted_numbers(text)
        if not (value == int(value) and abs(value) <= _SMALL_INTEGER)
        and not _near_any(value, known)
    ]


def _near_any(value: float, known: list[float]) -> bool:
    i = bisect.bisect_left(known, value)
    tolerance = max(_ABSOLUTE, _RELATIVE * abs(value))
    return any(abs(known[j] - value) <= tolerance for j in (i - 1, i) if 0 <= j < len(known))


def _verdict(decision: PlannedDecision, brief: SymbolBrief | None) -> DecisionVerdict:
    if brief is None:
        return _reject(
            decision,
            [f"{decision.symbol} is not in this cycle's universe (hallucinated symbol)"],
            [f"HOLD: do not trade {decision.symbol}"],
        )
    if decision.action not in RISK_ADDING_ACTIONS:
        return _approve(decision)
    violations: list[str] = []
    changes: list[str] = []
    long = trade_direction(decision, brief.limits.current_quantity) == "LONG"
    bull, bear = brief.bull.conviction, brief.bear.conviction
    if (bull <= bear) if long else (bear <= bull):
        violations.append(
            f"{'long' if long else 'short'} decision against the stronger thesis "
            f"(bull {bull:.2f}, bear {bear:.2f})"
        )
        changes.append("HOLD: the decision contradicts the higher-conviction thesis")
    factors = decision.bullish_factors if long else decision.bearish_factors
    if not decision.rationale.strip() or not factors:
        violations.append("the rationale cites no evidence for its side")
        changes.append(f"cite the {'bullish' if long else 'bearish'} evidence from the analyses")
    reference = brief.limits.reference_price
    for name, price, band in (
        ("limit_price", decision.limit_price, LIMIT_BAND_PCT),
        ("stop_loss", decision.stop_loss, LEVEL_BAND_PCT),
        ("take_profit", decision.take_profit, LEVEL_BAND_PCT),
    ):
        if price is not None and abs(price - reference) > band * reference:
            violations.append(
                f"{name} {price:.2f} is more than {band:.0%} from the reference {reference:.2f}"
            )
            changes.append(f"set {name} from this snapshot's prices (near {reference:.2f})")
    invented = unsupported_numbers(_texts(decision), known_numbers(brief, decision))
    if invented:
        listed = ", ".join(f"{v:g}" for v in invented[:6])
        violations.append(f"numbers not found in the inputs: {listed}")
        changes.append(f"remove or correct the numbers not in the inputs ({listed})")
    if violations:
        return _reject(decision, violations, changes)
    return _approve(decision)


def _texts(decision: PlannedDecision) -> str:
    parts: Iterable[str] = (
        decision.rationale,
        *decision.bullish_factors,
        *decision.bearish_factors,
    )
    return " \n ".join(parts)


def _approve(decision: PlannedDecision) -> DecisionVerdict:
    return DecisionVerdict(
        symbol=decision.symbol,
        verdict="APPROVE",
        violations=[],
        required_changes=[],
        notes=f"{decision.action}: logic and evidence consistent with the inputs",
    )


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
