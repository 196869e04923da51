"""News analyst baseline: a transparent lexicon score of the headlines, or "unavailable".

Each item scores (positive − negative) / (positive + negative) over a small finance lexicon
(in the spirit of Loughran–McDonald), a negator just before a word flips it; the symbol's
sentiment is the mean over the items that matched any word. Nothing is scored when the news
source is unavailable: the output says so and why, with a low confidence.
"""

from __future__ import annotations

import re
from typing import Final

from agents.inputs import SymbolContext
from agents.schemas import EventImpact, SentimentAnalysis, Stance

POSITIVE: Final = frozenset(
    {
        "beat", "beats", "surge", "surges", "soar", "soars", "rally", "rallies", "record",
        "upgrade", "upgraded", "upgrades", "outperform", "growth", "grows", "gain", "gains",
        "strong", "stronger", "raise", "raises", "raised", "profit", "profits", "bullish",
        "jump", "jumps", "rise", "rises", "boost", "boosts", "approval", "approved", "wins",
        "win", "exceeds", "expands", "expansion", "buyback", "dividend", "optimistic",
        "rebound", "rebounds", "breakthrough", "partnership", "accelerates", "tops",
    }
)  # fmt: skip
NEGATIVE: Final = frozenset(
    {
        "miss", "misses", "missed", "plunge", "plunges", "fall", "falls", "drop", "drops",
        "downgrade", "downgraded", "downgrades", "underperform", "weak", "weaker", "cut",
        "cuts", "loss", "losses", "lawsuit", "probe", "investigation", "recall", "bearish",
        "slump", "slumps", "decline", "declines", "warning", "warns", "layoffs", "fraud",
        "bankruptcy", "default", "delay", "delays", "halt", "halts", "fine", "fined",
        "sanctions", "tumble", "tumbles", "sink", "sinks", "pessimistic", "shortfall",
        "lowers", "lowered", "concern", "concerns", "risk", "risks", "selloff",
    }
)  # fmt: skip
NEGATORS: Final = frozenset({"no", "not", "never", "without", "fails", "failed"})
_STANCE_THRESHOLD: Final = 0.15
_WORD = re.compile(r"[a-z]+")


def score_text(text: str) -> tuple[float, int]:
    """Lexicon score in [-1, 1] and the number of sentiment words matched."""
    words = _WORD.findall(text.lower())
    positive = negative = 0
    for i, word in enumerate(words):
        sign = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if sign == 0:
            continue
        if any(w in NEGATORS for w in words[max(0, i - 2) : i]):
            sign = -sign
        if sign > 0:
            positive += 1
        else:
            negative += 1
    matched = positive + negative
    return ((positive - negative) / matched if matched else 0.0), matched


def analyse(context: SymbolContext) -> SentimentAnalysis:
    """The sentiment of one symbol's news items."""
    news = context.news
    if not news.available:
        reason = news.reason or "no reason given"
        return SentimentAnalysis(
            symbol=context.symbol,
            sentiment=0.0,
            stance="NEUTRAL",
            event_impacts=[],
            data_available=False,
            summary=f"News unavailable for {context.symbol} ({news.source}): {reason}. "
            "Sentiment is not assessed; treat it as unknown, not as neutral news.",
            confidence=0.05,
        )
    scored = [(item, *score_text(item)) for item in news.items]
    matched = [(item, score) for item, score, hits in scored if hits]
    sentiment = sum(s for _, s in matched) / len(matched) if matched else 0.0
    stance = _stance(sentiment)
    impacts = [
        EventImpact(event=item[:400], impact=_stance(score), timing="recent")
        for item, score in sorted(matched, key=lambda pair: -abs(pair[1]))[:10]
    ]
    if not news.items:
        summary = f"No news items for {context.symbol} from {news.source} in the window."
    else:
        summary = (
            f"{len(news.items)} news item(s) for {context.symbol}, {len(matched)} with "
            f"sentiment words; mean lexicon score {sentiment:+.2f} → {stance}"
        )
    return SentimentAnalysis(
        symbol=context.symbol,
        sentiment=round(max(-1.0, min(1.0, sentiment)), 3),
        stance=stance,
        event_impacts=impacts,
        data_available=True,
        summary=summary,
        # More scored items, more confidence; a lexicon never earns high confidence.
        confidence=round(min(0.7, 0.2 + 0.1 * len(matched)), 2),
    )


def _stance(score: float) -> Stance:
    if score >= _STANCE_THRESHOLD:
        return "BULLISH"
    if score <= -_STANCE_THRESHOLD:
        return "BEARISH"
    return "NEUTRAL"
