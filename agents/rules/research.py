"""Bullish and bearish researcher baselines: conviction from the weight of the evidence.

Each signal gives a score in [0, 1] for its side (0.5 is "says nothing"); the conviction is
their weighted mean, so when the signals agree the bull's conviction rises while the bear's
falls, and the trader's conviction delta measures the agreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from agents.inputs import ResearchInputs
from agents.schemas import ResearchThesis

Side = Literal["BULLISH", "BEARISH"]

# Weights of the signals; the analysts' confidence scales each further.
_WEIGHTS: Final = {
    "trend": 0.30,
    "momentum": 0.20,
    "rsi": 0.15,
    "regime": 0.15,
    "sentiment": 0.10,
    "fundamentals": 0.05,
    "memory": 0.05,
}
# Scale of realised returns of similar cases (2 % reads as a strong result).
_RETURN_SCALE: Final = 0.02


@dataclass(frozen=True, slots=True)
class _Signal:
    name: str
    bull: float  # score for the long side in [0, 1]
    weight: float
    evidence: str


def research(inputs: ResearchInputs, side: Side) -> ResearchThesis:
    """The best case for `side`, with a conviction from the analyses and memory."""
    signals = _signals(inputs)
    total = sum(s.weight for s in signals)
    bull = sum(s.bull * s.weight for s in signals) / total if total else 0.5
    conviction = bull if side == "BULLISH" else 1.0 - bull
    supporting = [s.evidence for s in signals if _for(s, side)]
    against = [s.evidence for s in signals if _for(s, _other(side))]
    references = [
        f"{case.case_id}: {case.action} {case.direction} in {case.regime or 'unknown regime'}, "
        f"similarity {case.similarity:.2f}, realised "
        f"{'n/a' if case.realized_return is None else f'{case.realized_return:+.2%}'}"
        for case in inputs.context.memory[:5]
    ]
    word = "long" if side == "BULLISH" else "short"
    return ResearchThesis(
        symbol=inputs.context.symbol,
        stance=side,
        conviction=round(min(1.0, max(0.0, conviction)), 3),
        thesis=(
            f"Case for a {word} in {inputs.context.symbol}: {len(supporting)} of "
            f"{len(signals)} signals support it, {len(against)} oppose; conviction "
            f"{conviction:.2f}."
        ),
        supporting_evidence=supporting[:12],
        counter_arguments=against[:12],
        memory_references=references,
    )


def _for(signal: _Signal, side: Side) -> bool:
    return signal.bull > 0.5 if side == "BULLISH" else signal.bull < 0.5


def _other(side: Side) -> Side:
    return "BEARISH" if side == "BULLISH" else "BULLISH"


def _signals(inputs: ResearchInputs) -> list[_Signal]:
    tech, ctx = inputs.technical, inputs.context
    ind = ctx.indicators
    found = [
        _Signal(
            "trend",
            _blend({"BULLISH": 1.0, "BEARISH": 0.0}.get(tech.trend, 0.5), tech.confidence),
            _WEIGHTS["trend"],
            f"technical trend {tech.trend} (confidence {tech.confidence:.2f}), setup {tech.setup}",
        )
    ]
    if ind is not None and ind.macd_histogram is not None and ind.atr:
        strength = math.tanh(ind.macd_histogram / (0.1 * ind.atr))
        found.append(
            _Signal(
                "momentum",
                0.5 + 0.5 * strength,
                _WEIGHTS["momentum"],
                f"MACD histogram {ind.macd_histogram:+.3f} against ATR {ind.atr:.2f}",
            )
        )
    if ind is not None and ind.rsi is not None:
        found.append(_rsi_signal(ind.rsi))
    if ctx.regime is not None:
        found.append(
            _Signal(
                "regime",
                _blend(_regime_score(ctx.regime.label), ctx.regime.confidence),
                _WEIGHTS["regime"],
                f"regime {ctx.regime.label} (confidence {ctx.regime.confidence:.2f})",
            )
        )
    sent = inputs.sentiment
    if sent.data_available:
        found.append(
            _Signal(
                "sentiment",
                _blend(0.5 + 0.5 * sent.sentiment, sent.confidence),
                _WEIGHTS["sentiment"],
                f"news sentiment {sent.sentiment:+.2f} ({sent.stance})",
            )
        )
    fund = inputs.fundamentals
    if fund.data_available:
        found.append(
            _Signal(
                "fundamentals",
                _blend({"BULLISH": 1.0, "BEARISH": 0.0}.get(fund.stance, 0.5), fund.confidence),
                _WEIGHTS["fundamentals"],
                f"fundamentals {fund.stance}, valuation {fund.valuation}, "
                f"{len(fund.risks)} event risk(s)",
            )
        )
    memory = _memory_signal(inputs)
    if memory is not None:
        found.append(memory)
    return found


def _blend(score: float, confidence: float) -> float:
    """Pull a score toward 0.5 as its source's confidence falls."""
    return 0.5 + (score - 0.5) * max(0.0, min(1.0, confidence))


def _rsi_signal(rsi: float) -> _Signal:
    # Momentum zone (50–70) favours longs, oversold (<30) hints at a bounce, and the mirror.
    if rsi > 70:
        bull, zone = 0.35, "overbought"
    elif rsi >= 50:
        bull, zone = 0.7, "bullish momentum zone"
    elif rsi >= 30:
        bull, zone = 0.3, "bearish momentum zone"
    else:
        bull, zone = 0.65, "oversold"
    return _Signal("rsi", bull, _WEIGHTS["rsi"], f"RSI14 {rsi:.1f} ({zone})")


def _regime_score(label: str) -> float:
    upper = label.upper()
    if "BULL" in upper:
        return 1.0
    if "BEAR" in upper or "CRISIS" in upper:
        return 0.0
    return 0.5


def _memory_signal(inputs: ResearchInputs) -> _Signal | None:
    """Similarity-weighted realised return of settled similar cases, long-side signed."""
    settled = [
        c
        for c in inputs.context.memory
        if c.realized_return is not None and c.direction in ("LONG", "SHORT")
    ]
    weight = sum(max(0.0, c.similarity) for c in settled)
    if not settled or weight <= 0:
        return None
    signed = sum(
        max(0.0, c.similarity)
        * (c.realized_return or 0.0)
        * (1.0 if c.direction == "LONG" else -1.0)
        for c in settled
    )
    mean = signed / weight
    return _Signal(
        "memory",
        0.5 + 0.5 * math.tanh(mean / _RETURN_SCALE),
        _WEIGHTS["memory"],
        f"{len(settled)} similar past case(s): long-side return {mean:+.2%} on average",
    )
