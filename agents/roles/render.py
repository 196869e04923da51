"""User prompts from structured inputs: compact JSON, small enough to stay cheap per symbol.

Bars are cut to the last `CLOSES_IN_PROMPT` closes plus the range of the whole window (the
indicators already summarise the rest); floats are rounded; long texts are clipped. The JSON
keys are sorted so the same inputs always give the same prompt, hence the same prompt hash.
"""

from __future__ import annotations

import json
import weakref
from typing import Any, Final

from agents.inputs import (
    AgentInputs,
    AnalystInputs,
    ApprovalInputs,
    ResearchInputs,
    SymbolBrief,
    SymbolContext,
    TraderInputs,
)

CLOSES_IN_PROMPT: Final = 30
_NEWS_ITEMS: Final = 10
_ITEM_CHARS: Final = 240
_MEMORY_CASES: Final = 5
_RATIONALE_CHARS: Final = 200


def render(inputs: AgentInputs) -> str:
    """The user prompt for any agent's inputs."""
    if isinstance(inputs, AnalystInputs):
        body: dict[str, Any] = {"task": "analyse", "symbol": _compact_rounded(inputs.context)}
    elif isinstance(inputs, ResearchInputs):
        body = {
            "task": "research",
            "symbol": _compact_rounded(inputs.context),
            "technical": _dump(inputs.technical),
            "sentiment": _dump(inputs.sentiment),
            "fundamentals": _dump(inputs.fundamentals),
        }
    elif isinstance(inputs, TraderInputs):
        body = _trader(inputs)
    else:
        body = _approval(inputs)
    return to_json(body)


def to_json(body: Any) -> str:
    """Compact, key-sorted JSON with floats rounded."""
    return json.dumps(_rounded(body), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def compact_context(context: SymbolContext) -> dict[str, Any]:
    """A symbol's context with the bars cut down and long texts clipped."""
    body = context.model_dump(mode="json", exclude={"bars", "memory"})
    bars = context.bars
    if bars is not None and bars.close:
        body["bars"] = {
            "timeframe": bars.timeframe,
            "count": len(bars.close),
            "window_high": max(bars.high),
            "window_low": min(bars.low),
            f"last_{min(CLOSES_IN_PROMPT, len(bars.close))}_closes": bars.close[-CLOSES_IN_PROMPT:],
            "last_volume": bars.volume[-1] if bars.volume else None,
        }
    else:
        body["bars"] = None
    body["memory"] = [
        {**case.model_dump(mode="json"), "rationale": case.rationale[:_RATIONALE_CHARS]}
        for case in context.memory[:_MEMORY_CASES]
    ]
    for source in ("news", "calendar", "fundamentals", "prediction_markets"):
        view = body[source]
        view["items"] = [item[:_ITEM_CHARS] for item in view["items"][:_NEWS_ITEMS]]
    return body


class _Rounded(dict[str, Any]):
    """A subtree that is rounded already: `_rounded` passes it through untouched."""


# id(context) → its compact, rounded form, for as long as the (frozen) context lives: a
# symbol's context goes into the prompts of five agents, the trader and both approvers.
_COMPACT: dict[int, _Rounded] = {}


def _compact_rounded(context: SymbolContext) -> _Rounded:
    key = id(context)
    found = _COMPACT.get(key)
    if found is None:
        found = _Rounded(_rounded(compact_context(context)))
        _COMPACT[key] = found
        weakref.finalize(context, _COMPACT.pop, key, None)
    return found


def _brief(brief: SymbolBrief) -> dict[str, Any]:
    return {
        "context": _compact_rounded(brief.context),
        "technical": _dump(brief.technical),
        "sentiment": _dump(brief.sentiment),
        "fundamentals": _dump(brief.fundamentals),
        "bull": _dump(brief.bull),
        "bear": _dump(brief.bear),
        "limits": _dump(brief.limits),
        "conviction_delta": brief.bull.conviction - brief.bear.conviction,
    }


def _trader(inputs: TraderInputs) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": "decide",
        "cycle_id": inputs.cycle_id,
        "round": inputs.round,
        "portfolio": _dump(inputs.portfolio),
        "symbols": [_brief(b) for b in inputs.briefs],
    }
    if inputs.previous_plan is not None:
        body["previous_plan"] = _dump(inputs.previous_plan)
    if inputs.feedback:
        body["required_changes"] = inputs.feedback
    return body


def _approval(inputs: ApprovalInputs) -> dict[str, Any]:
    # Approvers need the limits, levels, convictions and quote, not the full analyses.
    symbols = [
        {
            "symbol": b.context.symbol,
            "quote": _dump(b.context.quote) if b.context.quote else None,
            "atr": b.context.indicators.atr if b.context.indicators else None,
            "limits": _dump(b.limits),
            "invalidation_long": b.technical.invalidation_long,
            "invalidation_short": b.technical.invalidation_short,
            "technical_summary": b.technical.summary,
            "bull_conviction": b.bull.conviction,
            "bear_conviction": b.bear.conviction,
            "bull_evidence": b.bull.supporting_evidence,
            "bear_evidence": b.bear.supporting_evidence,
            "event_risks": b.fundamentals.risks,
        }
        for b in inputs.trader.briefs
    ]
    body: dict[str, Any] = {
        "task": "review",
        "round": inputs.round,
        "plan": _dump(inputs.plan),
        "symbols": symbols,
        "portfolio": _dump(inputs.trader.portfolio),
        "risk_limits": inputs.risk_limits,
    }
    if inputs.previous is not None:
        body["previous_verdicts"] = _dump(inputs.previous)
    return body


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


def _rounded(node: Any) -> Any:
    if isinstance(node, _Rounded):
        return node
    if isinstance(node, float):
        return round(node, 4) if abs(node) < 1000 else round(node, 2)
    if isinstance(node, dict):
        return {k: _rounded(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rounded(v) for v in node]
    return node
