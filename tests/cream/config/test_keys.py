"""`KEY=VALUE` assignments: dotted keys, typed values, every bad value listed."""

from __future__ import annotations

import pytest

from cream.config.content import document_data
from cream.config.errors import ConfigValidationError, UnknownConfigKeyError
from cream.config.keys import apply_assignments
from cream.config.schema import default_document

BASE = document_data(default_document())


def test_values_are_typed_by_their_field():
    data = apply_assignments(
        BASE,
        [
            "trading.max_consensus_iterations=2",
            "risk.portfolio.max_leverage=1.50",
            "risk.day_trade.enabled=true",
            "agents.trader.temperature=0.7",
            "universe.symbols=SPY, QQQ",
            "universe.index=SP500",
            "risk.concentration.sector_by_symbol.QQQ=INDEX",
        ],
    )

    assert data["trading"]["max_consensus_iterations"] == 2
    assert data["risk"]["portfolio"]["max_leverage"] == "1.50"
    assert data["risk"]["day_trade"]["enabled"] is True
    assert data["agents"]["trader"]["temperature"] == 0.7
    assert data["universe"]["symbols"] == ["SPY", "QQQ"]
    assert data["universe"]["index"] == "SP500"
    assert data["risk"]["concentration"]["sector_by_symbol"]["QQQ"] == "INDEX"
    assert BASE["trading"]["max_consensus_iterations"] == 3  # the input is not mutated


def test_a_yaml_list_and_null_are_understood():
    data = apply_assignments(BASE, ["universe.symbols=[SPY, AAPL]", "universe.index=null"])

    assert data["universe"]["symbols"] == ["SPY", "AAPL"]
    assert data["universe"]["index"] is None


def test_every_wrongly_typed_value_is_listed():
    with pytest.raises(ConfigValidationError) as caught:
        apply_assignments(
            BASE,
            [
                "trading.agent_timeout_ms=soon",
                "risk.day_trade.enabled=perhaps",
                "agents.trader.provider=openai",
            ],
        )

    assert [e.field for e in caught.value.errors] == [
        "trading.agent_timeout_ms",
        "risk.day_trade.enabled",
        "agents.trader.provider",
    ]


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("trading.cycle_minutes=5", "trading has trading_cycle_interval_ms"),
        ("agents.quant.model=x", "agents has technical_analyst"),
        ("trading.agent_timeout_ms.deep=1", "is a single value"),
        ("no-equals-sign", "is not KEY=VALUE"),
    ],
)
def test_an_unknown_key_names_the_valid_ones(assignment, message):
    with pytest.raises(UnknownConfigKeyError, match=message):
        apply_assignments(BASE, [assignment])
