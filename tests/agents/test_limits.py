"""Limits: allowed actions follow the position; max size follows the per-instrument policy."""

from __future__ import annotations

import math
from decimal import Decimal

from agents.limits import compute_limits, risk_limits_view
from cream.config.risk import PerInstrumentRisk, RiskSettings
from tests.agents.builders import context_for, portfolio_for


def test_flat_symbol_may_open_either_way_unless_shorting_is_off() -> None:
    context = context_for("AAPL", "flat")
    portfolio = portfolio_for([context])
    limits = compute_limits(context, portfolio, RiskSettings())
    assert limits.allowed_actions == ["BUY", "SELL", "HOLD", "NO_TRADE"]
    long_only = compute_limits(context, portfolio, RiskSettings(), allow_short=False)
    assert "SELL" not in long_only.allowed_actions and "BUY" in long_only.allowed_actions


def test_held_positions_may_be_changed_not_reopened() -> None:
    for quantity in (10.0, -10.0):
        context = context_for("AAPL", "flat", position=quantity)
        limits = compute_limits(context, portfolio_for([context]), RiskSettings())
        assert limits.allowed_actions == ["INCREASE", "REDUCE", "CLOSE", "HOLD", "NO_TRADE"]
        assert limits.current_quantity == quantity


def test_max_quantity_is_the_tightest_limit_in_whole_shares() -> None:
    context = context_for("AAPL", "flat")
    assert context.quote is not None
    ask = context.quote.ask
    risk = RiskSettings()
    equity = 100_000.0
    limits = compute_limits(context, portfolio_for([context], equity), risk)
    per = risk.per_instrument
    expected = math.floor(
        min(
            float(per.max_notional) / ask,
            float(per.max_units),
            equity * float(per.max_equity_pct) / ask,
        )
    )
    assert limits.max_quantity == expected
    assert limits.reference_price == ask
    tight = RiskSettings(per_instrument=PerInstrumentRisk(max_notional=Decimal(ask * 3.5)))
    assert compute_limits(context, portfolio_for([context], equity), tight).max_quantity == 3


def test_an_existing_position_uses_up_the_room() -> None:
    flat = context_for("AAPL", "flat")
    held = context_for("AAPL", "flat", position=5)
    risk = RiskSettings()
    room = compute_limits(flat, portfolio_for([flat]), risk).max_quantity
    assert compute_limits(held, portfolio_for([held]), risk).max_quantity == room - 5


def test_no_quote_allows_only_hold_and_no_trade() -> None:
    context = context_for("AAPL", "flat").model_copy(update={"quote": None})
    limits = compute_limits(context, portfolio_for([context]), RiskSettings())
    assert limits.allowed_actions == ["HOLD", "NO_TRADE"]
    assert limits.max_quantity == 0


def test_no_equity_means_no_room() -> None:
    context = context_for("AAPL", "flat")
    assert compute_limits(context, portfolio_for([context], 0.0), RiskSettings()).max_quantity == 0


def test_risk_limits_view_carries_the_policy() -> None:
    view = risk_limits_view(RiskSettings())
    assert Decimal(view["min_reward_risk"]) == Decimal("1.5")
    assert Decimal(view["max_risk_per_trade_pct"]) == Decimal("0.02")
    assert "max_notional_per_instrument" in view and "max_spread_bps" in view
