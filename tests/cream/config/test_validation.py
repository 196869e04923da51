"""Validation refuses an invalid document and lists EVERY field problem."""

from __future__ import annotations

from typing import Any

import pytest

from cream.config.content import document_data
from cream.config.errors import ConfigValidationError
from cream.config.schema import default_document
from cream.config.validation import validate_document


def defaults() -> dict[str, Any]:
    return document_data(default_document())


def problems(data: Any) -> dict[str, str]:
    with pytest.raises(ConfigValidationError) as caught:
        validate_document(data)
    return {error.field: error.message for error in caught.value.errors}


def test_every_problem_is_listed_at_once():
    data = defaults()
    data["risk"]["portfolio"]["max_net_notional"] = "900000"
    data["trading"]["agent_timeout_ms"] = 0
    data["universe"]["symbols"] = []
    data["agents"]["critic"]["model"] = "gpt-9"
    data["risk"]["options"]["max_portfolio_theta"] = 10.0
    data["trading"]["max_consensus_iterations"] = "three"

    found = problems(data)

    assert set(found) == {
        "risk.portfolio.max_net_notional",
        "trading.agent_timeout_ms",
        "trading.max_consensus_iterations",
        "universe.symbols",
        "agents.critic.model",
        "risk.options.max_portfolio_theta",
    }
    assert "above max_gross_notional" in found["risk.portfolio.max_net_notional"]
    assert "greater than 0" in found["trading.agent_timeout_ms"]
    assert "unknown model 'gpt-9'" in found["agents.critic.model"]
    assert "empty" in found["universe.symbols"]


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),
    [
        (("agents", "trader", "timeout_ms"), -5, "agents.trader.timeout_ms", "greater than 0"),
        (("agents", "critic", "model"), "gemini-3-pro-preview", "agents.critic.model", "Flash"),
        (("agents", "trader", "model"), "gemini-2.5-flash", "agents.trader.model", "Pro"),
        (("agents", "trader", "provider"), "anthropic", "agents.trader.model", "belongs to"),
        (("agents", "trader", "temperature"), 3.5, "agents.trader.temperature", "less than"),
        (("risk", "breakers", "daily_loss_reducing_pct"), "0.06", "risk.breakers", "halts"),
        (("risk", "per_instrument", "max_equity_pct"), "1.5", "risk.per_instrument", "less"),
        (("universe", "symbols"), ["SPY", "SPY"], "universe.symbols", "repeated"),
        (("universe", "symbols"), ["spy"], "universe.symbols.0", "pattern"),
        (("universe", "source"), "index", "universe.index", "index name"),
        (("trading", "extra_knob"), 1, "trading.extra_knob", "unknown key"),
    ],
)
def test_a_broken_field_is_named_with_a_reason(path, value, field, fragment):
    data = defaults()
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value

    found = problems(data)

    matching = {k: v for k, v in found.items() if k.startswith(field)}
    assert matching, found
    assert any(fragment in message for message in matching.values()), matching


def test_consensus_agents_slower_than_the_consensus_timeout_are_refused():
    data = defaults()
    data["trading"]["total_consensus_timeout_ms"] = 30_000

    found = problems(data)

    message = found["trading.total_consensus_timeout_ms"]
    assert "trader (120000 ms)" in message
    assert "critic (60000 ms)" in message
    # The analysts run before the consensus: their longer timeouts are fine.
    assert "technical_analyst" not in message


def test_a_universe_symbol_without_a_sector_is_refused_unless_unknown_sectors_are_allowed():
    data = defaults()
    data["universe"]["symbols"] = ["SPY", "ZZZZ"]
    assert "ZZZZ" in problems(data)["universe.symbols"]

    data["risk"]["concentration"]["allow_unknown_sector"] = True
    assert validate_document(data).universe.symbols == ["SPY", "ZZZZ"]


def test_a_missing_section_and_an_unknown_one_are_both_reported():
    data = defaults()
    del data["agents"]
    data["extras"] = {}

    assert problems(data) == {
        "extras": "unknown section; sections are trading, universe, risk, agents",
        "agents": "is missing",
    }


def test_a_document_that_is_not_a_mapping_is_refused():
    assert problems(["not", "a", "mapping"]) == {"(document)": "must be a mapping of sections"}
