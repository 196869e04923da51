"""The agents' tools over the cycle's verified data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agents.inputs import ContextView, MemoryCaseView
from agents.tools import TOOLS, ToolData, ToolError, call_tool
from cream.clock import ManualClock
from cream.market import indicators as ind
from cream.market.synthetic import SyntheticFeed
from tests.agents.builders import AS_OF, bars_for, context_for, portfolio_for


def _data(with_feed: bool = True) -> ToolData:
    cases = [
        MemoryCaseView(
            case_id=f"c{i}",
            symbol="AAPL",
            action="BUY" if i % 2 else "SELL",
            direction="LONG" if i % 2 else "SHORT",
            regime="BULL_TREND" if i < 2 else "RANGE_BOUND",
            similarity=0.9 - i * 0.1,
            realized_return=0.01 * i,
            rationale="r",
        )
        for i in range(4)
    ]
    aapl = context_for(
        "AAPL",
        "bullish",
        position=5,
        news_items=["Apple beats estimates", "Apple faces EU probe"],
        calendar=ContextView(
            source="economic_calendar",
            available=True,
            items=[
                "2024-06-18 12:30Z US CPI (impact High)",
                "2024-06-19 18:00Z US FOMC (impact High)",
            ],
        ),
        memory=cases,
    )
    msft = context_for("MSFT", "flat").model_copy(update={"quote": None, "gaps": ["quote: STALE"]})
    contexts = {"AAPL": aapl, "MSFT": msft}
    feed = SyntheticFeed(["AAPL", "MSFT"], ManualClock(AS_OF)) if with_feed else None
    return ToolData(AS_OF, contexts, portfolio_for(list(contexts.values())), feed)


def test_tool_table_exposes_json_schemas() -> None:
    assert set(TOOLS) == {
        "get_quotes",
        "recalc_indicator",
        "memory_query",
        "news_search",
        "economic_calendar",
        "portfolio_state",
        "option_chain",
        "get_greeks",
    }
    for tool in TOOLS.values():
        assert tool.parameters["type"] == "object"
        assert tool.description
    assert "symbols" in TOOLS["get_quotes"].parameters["required"]


async def test_get_quotes_says_why_a_quote_is_missing() -> None:
    got = await call_tool("get_quotes", _data(), {"symbols": ["AAPL", "MSFT", "ZZZ"]})
    assert got["quotes"]["AAPL"]["ask"] > got["quotes"]["AAPL"]["bid"] > 0
    assert "STALE" in got["quotes"]["MSFT"]["unavailable"]
    assert "UNKNOWN_SYMBOL" in got["quotes"]["ZZZ"]["unavailable"]


async def test_recalc_indicator_matches_the_indicator_library() -> None:
    bars = bars_for("AAPL", "bullish")
    got = await call_tool(
        "recalc_indicator", _data(), {"symbol": "AAPL", "indicator": "rsi", "period": 7, "last": 3}
    )
    expected = ind.rsi(bars.close, 7)[-3:]
    assert got["values"] == pytest.approx([round(float(x), 6) for x in expected])
    macd = await call_tool(
        "recalc_indicator", _data(), {"symbol": "AAPL", "indicator": "macd", "period": 26}
    )
    assert macd["histogram"][-1] == pytest.approx(
        float(ind.macd(bars.close, 12, 26, 9).histogram[-1]), abs=1e-6
    )


async def test_memory_query_filters_and_orders_by_similarity() -> None:
    got = await call_tool("memory_query", _data(), {"symbol": "AAPL", "regime": "BULL_TREND"})
    assert [c["case_id"] for c in got["cases"]] == ["c0", "c1"]
    buys = await call_tool("memory_query", _data(), {"symbol": "AAPL", "action": "BUY"})
    assert {c["action"] for c in buys["cases"]} == {"BUY"}


async def test_news_search_and_unavailable_source() -> None:
    got = await call_tool("news_search", _data(), {"symbol": "AAPL", "query": "probe"})
    assert got["items"] == ["Apple faces EU probe"]
    with pytest.raises(ToolError) as caught:
        await call_tool("news_search", _data(), {"symbol": "MSFT"})
    assert caught.value.code == "SOURCE_UNAVAILABLE"
    assert "FMP_API_KEY" in caught.value.message


async def test_economic_calendar_filters() -> None:
    got = await call_tool("economic_calendar", _data(), {"query": "fomc"})
    assert got["items"] == ["2024-06-19 18:00Z US FOMC (impact High)"]


async def test_portfolio_state() -> None:
    got = await call_tool("portfolio_state", _data(), {})
    assert got["equity"] == 100_000.0
    assert got["positions"][0]["symbol"] == "AAPL" and got["positions"][0]["quantity"] == 5


async def test_option_chain_from_the_feed() -> None:
    got = await call_tool(
        "option_chain",
        _data(),
        {
            "underlying": "AAPL",
            "max_expiry": (AS_OF + timedelta(days=40)).date().isoformat(),
            "max_contracts": 6,
        },
    )
    assert 0 < len(got["contracts"]) <= 6
    assert all("greeks" in c for c in got["contracts"])
    with pytest.raises(ToolError) as caught:
        await call_tool("option_chain", _data(with_feed=False), {"underlying": "AAPL"})
    assert caught.value.code == "NO_OPTIONS_DATA"


async def test_greeks_from_volatility_and_from_price() -> None:
    data = _data()
    expiry = (AS_OF + timedelta(days=30)).date().isoformat()
    spot = data.contexts["AAPL"].quote.last  # type: ignore[union-attr]
    args = {"symbol": "AAPL", "kind": "call", "strike": round(spot), "expiry": expiry}
    by_vol = await call_tool("get_greeks", data, {**args, "volatility": 0.3})
    assert 0.3 < by_vol["delta"] < 0.7 and by_vol["gamma"] > 0 and by_vol["theta"] < 0
    by_price = await call_tool("get_greeks", data, {**args, "option_price": by_vol["price"]})
    assert by_price["volatility"] == pytest.approx(0.3, rel=1e-4)
    with pytest.raises(ToolError) as caught:
        await call_tool("get_greeks", data, args)
    assert caught.value.code == "MISSING_VOLATILITY"


async def test_unknown_tool_symbol_and_bad_arguments_are_refused() -> None:
    data = _data()
    for name, args, code in (
        ("launch_missiles", {}, "UNKNOWN_TOOL"),
        ("recalc_indicator", {"symbol": "AAPL", "indicator": "vwap"}, "INVALID_ARGUMENTS"),
        ("memory_query", {"symbol": "TSLA"}, "UNKNOWN_SYMBOL"),
        ("portfolio_state", {"extra": 1}, "INVALID_ARGUMENTS"),
    ):
        with pytest.raises(ToolError) as caught:
            await call_tool(name, data, args)
        assert caught.value.code == code
