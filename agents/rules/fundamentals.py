"""Fundamentals analyst baseline: valuation, macro calendar and prediction markets, as given.

Reads the context lines (`agents.tools.describe_item` writes them): a P/E gives a valuation,
an earnings date inside the horizon is a risk, high-impact macro releases inside the horizon
are risks, and prediction-market probabilities of a recession or of rate moves tilt the
stance. Without any source the answer is UNKNOWN with data_available=False.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from agents.inputs import ContextView, SymbolContext
from agents.schemas import FundamentalsAnalysis, Stance

Valuation = Literal["UNDERVALUED", "FAIR", "OVERVALUED", "UNKNOWN"]
# Events this close to `as_of` can move a swing trade.
HORIZON_DAYS: Final = 10
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_PE = re.compile(r"\b(?:p/?e|price[- ]to[- ]earnings)(?: ratio)?[:= ]+(-?\d+(?:\.\d+)?)", re.I)
_YES = re.compile(r"yes (\d+(?:\.\d+)?)%")
_MACRO_WORDS: Final = ("fomc", "fed", "interest rate", "cpi", "payrolls", "gdp", "unemployment")


def analyse(context: SymbolContext) -> FundamentalsAnalysis:
    """The fundamentals view of one symbol from its external context."""
    sources = (context.fundamentals, context.calendar, context.prediction_markets)
    if not any(source.available for source in sources):
        reasons = "; ".join(f"{s.source}: {s.reason or 'unavailable'}" for s in sources)
        return FundamentalsAnalysis(
            symbol=context.symbol,
            valuation="UNKNOWN",
            stance="NEUTRAL",
            macro_context="unavailable",
            catalysts=[],
            risks=[],
            data_available=False,
            summary=f"Fundamentals unavailable for {context.symbol} ({reasons}).",
            confidence=0.05,
        )
    as_of = _as_of(context.as_of)
    pe = _pe(context.fundamentals)
    valuation = _valuation(pe)
    risks = _earnings_risks(context, as_of) + _macro_risks(context.calendar, as_of)
    tilt, markets = _prediction_tilt(context.prediction_markets)
    value_tilt = {"UNDERVALUED": 0.2, "OVERVALUED": -0.2}.get(valuation, 0.0)
    score = tilt + value_tilt
    stance: Stance = "BULLISH" if score >= 0.15 else "BEARISH" if score <= -0.15 else "NEUTRAL"
    catalysts = markets + ([f"P/E {pe:g}: {valuation}"] if pe is not None else [])
    macro = "; ".join(_macro_lines(context.calendar, as_of)) or "no macro releases in horizon"
    return FundamentalsAnalysis(
        symbol=context.symbol,
        valuation=valuation,
        stance=stance,
        macro_context=macro[:2000],
        catalysts=[c[:400] for c in catalysts[:12]],
        risks=[r[:400] for r in risks[:12]],
        data_available=True,
        summary=(
            f"{context.symbol}: valuation {valuation}, {len(risks)} event risk(s) within "
            f"{HORIZON_DAYS} days, prediction-market tilt {tilt:+.2f} → {stance}"
        ),
        confidence=round(0.2 + (0.2 if pe is not None else 0.0) + min(0.3, 0.1 * len(markets)), 2),
    )


def _valuation(pe: float | None) -> Valuation:
    """P/E under 15 is cheap, over 30 (or negative earnings) is rich; unknown without one."""
    if pe is None:
        return "UNKNOWN"
    if pe > 30 or pe < 0:
        return "OVERVALUED"
    return "UNDERVALUED" if pe < 15 else "FAIR"


def _as_of(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pe(source: ContextView) -> float | None:
    if not source.available:
        return None
    for item in source.items:
        match = _PE.search(item)
        if match:
            return float(match.group(1))
    return None


def _in_horizon(item: str, as_of: datetime) -> date | None:
    match = _DATE.search(item)
    if match is None:
        return None
    try:
        when = date.fromisoformat(match.group(1))
    except ValueError:
        return None
    start = as_of.date()
    return when if start <= when <= start + timedelta(days=HORIZON_DAYS) else None


def _earnings_risks(context: SymbolContext, as_of: datetime) -> list[str]:
    risks = []
    for source in (context.calendar, context.fundamentals):
        if not source.available:
            continue
        for item in source.items:
            lowered = item.lower()
            # The fundamentals source is already per symbol; the calendar must name it.
            named = source is context.fundamentals or context.symbol.lower() in lowered
            if "earnings" not in lowered or not named:
                continue
            when = _in_horizon(item, as_of)
            if when is not None:
                days = (when - as_of.date()).days
                risks.append(f"earnings on {when.isoformat()} in {days} day(s): {item}")
    return risks


def _macro_lines(calendar: ContextView, as_of: datetime) -> list[str]:
    if not calendar.available:
        return []
    return [
        item
        for item in calendar.items
        if any(word in item.lower() for word in _MACRO_WORDS) and _in_horizon(item, as_of)
    ]


def _macro_risks(calendar: ContextView, as_of: datetime) -> list[str]:
    return [
        f"macro release in horizon: {line}"
        for line in _macro_lines(calendar, as_of)
        if "impact high" in line.lower()
    ]


def _prediction_tilt(markets: ContextView) -> tuple[float, list[str]]:
    """Tilt in [-0.5, 0.5] from recession and rate-move probabilities, and the lines used."""
    if not markets.available:
        return 0.0, []
    tilt, used = 0.0, []
    for item in markets.items:
        match = _YES.search(item)
        if match is None:
            continue
        p = float(match.group(1)) / 100
        lowered = item.lower()
        if "recession" in lowered:
            tilt -= p - 0.5
        elif "cut" in lowered and "rate" in lowered:
            tilt += (p - 0.5) / 2
        elif ("hike" in lowered or "raise" in lowered) and "rate" in lowered:
            tilt -= (p - 0.5) / 2
        else:
            continue
        used.append(item)
    return max(-0.5, min(0.5, tilt)), used
