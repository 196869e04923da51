"""The rules trader: every plan passes validation; revisions apply the approvers' feedback."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.inputs import SymbolBrief, TraderInputs
from agents.rules import critic, risk_manager, trader
from agents.schemas import ResearchThesis
from agents.validation import validate_plan
from tests.agents.builders import Trend, approval_inputs_for, context_for, trader_inputs_for


@cache
def _base(symbol: str, trend: Trend, position: float) -> TraderInputs:
    return trader_inputs_for([context_for(symbol, trend, position=position)])


def _thesis(brief: SymbolBrief, side: str, conviction: float) -> ResearchThesis:
    old = brief.bull if side == "BULLISH" else brief.bear
    return old.model_copy(update={"conviction": conviction})


@settings(max_examples=150, deadline=None)
@given(
    symbol=st.sampled_from(["AAPL", "MSFT", "JPM"]),
    trend=st.sampled_from(["bullish", "bearish", "flat"]),
    position=st.sampled_from([0.0, 7.0, -5.0]),
    bull=st.floats(0.0, 1.0),
    bear=st.floats(0.0, 1.0),
    price_scale=st.floats(0.05, 20.0),
    equity=st.floats(1_000.0, 5_000_000.0),
)
def test_rules_trader_plan_always_passes_validation(
    symbol: str,
    trend: Trend,
    position: float,
    bull: float,
    bear: float,
    price_scale: float,
    equity: float,
) -> None:
    base = _base(symbol, trend, position)
    brief = base.briefs[0]
    quote = brief.context.quote
    assert quote is not None
    scaled_quote = quote.model_copy(
        update={"bid": quote.bid * price_scale, "ask": quote.ask * price_scale}
    )
    limits = brief.limits.model_copy(
        update={"reference_price": brief.limits.reference_price * price_scale}
    )
    brief = brief.model_copy(
        update={
            "bull": _thesis(brief, "BULLISH", bull),
            "bear": _thesis(brief, "BEARISH", bear),
            "context": brief.context.model_copy(update={"quote": scaled_quote}),
            "limits": limits,
        }
    )
    inputs = base.model_copy(
        update={
            "briefs": [brief],
            "portfolio": base.portfolio.model_copy(update={"equity": equity}),
        }
    )
    plan = trader.decide(inputs)
    assert [d.symbol for d in plan.decisions] == [symbol]
    assert validate_plan(plan, inputs) == {symbol: []}
    decision = plan.decisions[0]
    delta = bull - bear
    if abs(delta) < 0.2:
        assert decision.action == "HOLD"
    if decision.action in ("BUY", "INCREASE") and decision.direction == "LONG":
        assert delta > 0.3
    if decision.action in ("SELL", "INCREASE") and decision.direction == "SHORT":
        assert delta < -0.3


def test_long_is_closed_when_the_bears_win() -> None:
    inputs = _base("AAPL", "bearish", 10.0)
    plan = trader.decide(inputs)
    assert plan.decisions[0].action == "CLOSE"
    assert plan.decisions[0].quantity == 10.0
    assert validate_plan(plan, inputs) == {"AAPL": []}


def test_short_is_refused_when_policy_forbids_it() -> None:
    from agents.limits import compute_limits
    from cream.config.risk import RiskSettings

    inputs = _base("AAPL", "bearish", 0.0)
    brief = inputs.briefs[0]
    no_short = compute_limits(brief.context, inputs.portfolio, RiskSettings(), allow_short=False)
    inputs = inputs.model_copy(update={"briefs": [brief.model_copy(update={"limits": no_short})]})
    assert trader.decide(inputs).decisions[0].action == "HOLD"


def test_revision_halves_size_and_obeys_caps_and_holds() -> None:
    first_inputs = _base("AAPL", "bullish", 0.0)
    first = trader.decide(first_inputs)
    bought = first.decisions[0]
    assert bought.action == "BUY" and bought.quantity >= 2

    def revised(lines: list[str]) -> float:
        again = first_inputs.model_copy(
            update={"round": 2, "previous_plan": first, "feedback": {"AAPL": lines}}
        )
        decision = trader.decide(again).decisions[0]
        return decision.quantity if decision.action == "BUY" else 0.0

    assert revised(["reduce size: too concentrated"]) == bought.quantity // 2
    assert revised(["reduce size to at most 1 shares"]) == 1
    assert revised(["HOLD: spread too wide"]) == 0.0


def test_revision_tightens_the_stop_within_tolerance() -> None:
    inputs = _base("AAPL", "bullish", 0.0)
    first = trader.decide(inputs)
    again = inputs.model_copy(
        update={"round": 2, "previous_plan": first, "feedback": {"AAPL": ["tighten the stop"]}}
    )
    second = trader.decide(again)
    old, new = first.decisions[0], second.decisions[0]
    assert old.stop_loss is not None and new.stop_loss is not None
    assert new.stop_loss > old.stop_loss
    assert validate_plan(second, again) == {"AAPL": []}


def test_risk_manager_rejection_is_fixed_by_the_revision() -> None:
    inputs = _base("AAPL", "bullish", 0.0)
    first = trader.decide(inputs)
    oversized = first.model_copy(
        update={
            "decisions": [
                first.decisions[0].model_copy(
                    update={"quantity": inputs.briefs[0].limits.max_quantity + 10}
                )
            ]
        }
    )
    verdict = risk_manager.review(approval_inputs_for(inputs, oversized)).verdicts[0]
    assert verdict.verdict == "REJECT"
    assert any("at most" in change for change in verdict.required_changes)
    again = inputs.model_copy(
        update={
            "round": 2,
            "previous_plan": oversized,
            "feedback": {"AAPL": list(verdict.required_changes)},
        }
    )
    fixed = trader.decide(again)
    assert risk_manager.review(approval_inputs_for(again, fixed)).verdicts[0].verdict == "APPROVE"
    assert critic.review(approval_inputs_for(again, fixed, "critic")).verdicts[0].verdict == (
        "APPROVE"
    )
