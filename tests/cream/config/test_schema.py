"""The schema: seed defaults, the RiskPolicy conversion, and the known-model rules."""

from __future__ import annotations

from cream.config.content import document_data
from cream.config.risk import to_risk_policy
from cream.config.schema import AGENT_NAMES, default_document
from cream.config.validation import validate_document
from cream.engine.policy import default_policy


def test_defaults_are_the_seed_values():
    doc = default_document()

    assert doc.trading.trading_cycle_interval_ms == 3_600_000
    assert doc.trading.prediction_markets_interval_ms == 900_000
    assert doc.trading.max_consensus_iterations == 3
    assert doc.trading.agent_timeout_ms == 1_800_000
    assert doc.trading.total_consensus_timeout_ms == 300_000
    assert (doc.universe.source, doc.universe.symbols) == (
        "static",
        ["SPY", "AAPL", "MSFT", "NVDA", "TSLA"],
    )


def test_the_default_risk_constraints_convert_to_the_engine_default_policy():
    assert to_risk_policy(default_document().risk, 0) == default_policy(0)


def test_the_conversion_stamps_the_version_and_keeps_decimals_exact():
    data = document_data(default_document())
    data["risk"]["portfolio"]["max_leverage"] = "1.50"

    policy = to_risk_policy(validate_document(data).risk, 7)

    assert policy.version == 7
    assert policy.portfolio.max_leverage == "1.50"


def test_the_defaults_pass_validation_and_name_pro_and_flash_models():
    doc = validate_document(document_data(default_document()))

    agents = doc.agents.by_name()
    assert list(agents) == list(AGENT_NAMES)
    assert {agents[name].model for name in ("risk_manager", "critic")} == {"gemini-3-flash-preview"}
    assert {agents[name].model for name in AGENT_NAMES[:6]} == {"gemini-3-pro-preview"}


def test_the_stored_form_is_json_with_decimals_as_strings():
    data = document_data(default_document())

    assert data["risk"]["per_instrument"]["max_equity_pct"] == "0.10"
    assert data["risk"]["options"]["max_portfolio_theta"] == -500.0
