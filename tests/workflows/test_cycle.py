"""Whole trading cycles against a real engine over gRPC, with the offline `rules` provider and
scripted faults: every failure is a visible NO_TRADE with its reason and no order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from agents.providers.base import GenerationRequest, MalformedOutputError, Usage
from agents.schemas import Approval, DecisionVerdict, TradingPlan
from tests.workflows.harness import CycleHarness
from workflows.trading_cycle.budget import BudgetLimits
from workflows.trading_cycle.contract import CycleRequest, CycleResult

# On the synthetic market at MARKET_OPEN the rules strategy buys NVDA and shorts SPY and AAPL.
TRADED = "NVDA"


async def run(
    harness: CycleHarness, symbols: tuple[str, ...] = (TRADED,), **parts: Any
) -> CycleResult:
    runner = harness.runner(**parts)
    return await runner.run(CycleRequest(symbols=symbols, provider="rules", trigger="test"))


def decision(result: CycleResult, symbol: str = TRADED) -> dict[str, Any]:
    return next(d for d in result.decisions if d["symbol"] == symbol)


async def engine_order_count(harness: CycleHarness, cycle_id: str) -> int:
    row = await harness.db.query_one(
        "SELECT count(*) AS n FROM orders WHERE cycle_id = ?", (cycle_id,)
    )
    assert row is not None
    return int(str(row["n"]))


async def test_rules_cycle_trades_and_persists_everything(harness: CycleHarness) -> None:
    result = await run(harness, ("SPY", "AAPL", "MSFT", "NVDA", "TSLA"))
    assert result.status == "completed"
    assert {d["symbol"] for d in result.decisions} == {"SPY", "AAPL", "MSFT", "NVDA", "TSLA"}
    executed = [d for d in result.decisions if d["status"] == "executed"]
    assert executed, result.decisions
    assert len(result.orders) == len(executed)
    assert await engine_order_count(harness, result.cycle_id) == len(executed)
    for d in executed:
        state = await harness.engine.get_order_state(client_order_id=d["client_order_id"])
        assert state.order.symbol == d["symbol"]
    db = harness.db
    cycle = await db.query_one("SELECT * FROM cycles WHERE id = ?", (result.cycle_id,))
    assert cycle is not None and cycle["status"] == "completed" and cycle["wall_ms"] is not None
    stored = await db.query(
        "SELECT * FROM decisions WHERE cycle_id = ? ORDER BY symbol", (result.cycle_id,)
    )
    assert len(stored) == 5
    for row in stored:
        assert row["config_version"] == 1
        assert len(str(row["snapshot_hash"])) == 64
        assert row["model"] == "rules-v1" and row["prompt_hash"]
    outputs = await db.query(
        "SELECT agent, symbol, round FROM agent_outputs WHERE cycle_id = ?", (result.cycle_id,)
    )
    agents = {r["agent"] for r in outputs}
    assert agents == {
        "technical_analyst",
        "news_analyst",
        "fundamentals_analyst",
        "bullish_researcher",
        "bearish_researcher",
        "trader",
        "risk_manager",
        "critic",
    }
    assert len([r for r in outputs if r["round"] == 0]) == 5 * 5
    rounds = await db.query(
        "SELECT round, approved FROM consensus_rounds WHERE cycle_id = ?", (result.cycle_id,)
    )
    assert [r["round"] for r in rounds] == [e["round"] for e in result.rounds]
    every = [
        r["type"]
        for r in await db.query(
            "SELECT type FROM outbox WHERE cycle_id = ? ORDER BY seq", (result.cycle_id,)
        )
    ]
    # The engine announces its executions of the cycle's orders on its own schedule.
    assert "orders.updated" in every
    types = [t for t in every if t != "orders.updated"]
    assert types[0] == "cycle.started" and types[-1] == "cycle.completed"
    assert types.count("decision.made") == 5
    assert types.count("orders.submitted") == len(executed)
    stages = [
        r["payload"]
        for r in await db.query(
            "SELECT payload FROM outbox WHERE cycle_id = ? AND type = 'cycle.stage'",
            (result.cycle_id,),
        )
    ]
    assert len(stages) >= 14
    memory = await db.query(
        "SELECT decision_id FROM memory_cases WHERE cycle_id = ?", (result.cycle_id,)
    )
    assert len(memory) == 5
    labels = await db.query("SELECT symbol, timeframe FROM regime_labels ORDER BY symbol")
    assert [(r["symbol"], r["timeframe"]) for r in labels] == [
        (s, "1h") for s in ("AAPL", "MSFT", "NVDA", "SPY", "TSLA")
    ]


def _raise(exc: BaseException) -> Any:
    def fault(_request: GenerationRequest[Any]) -> Any:
        raise exc

    return fault


def _malformed(_request: GenerationRequest[Any]) -> Any:
    raise MalformedOutputError(
        "not JSON", raw="{oops", errors=("(root): Invalid JSON",), usage=Usage(10, 5)
    )


def _sleep(seconds: float) -> Any:
    async def fault(_request: GenerationRequest[Any]) -> Any:
        await asyncio.sleep(seconds)

    return fault


def _other_symbol(harness: CycleHarness) -> Any:
    """The real answer, about another symbol (a hallucination)."""

    async def fault(request: GenerationRequest[Any]) -> Any:
        real = (await harness.provider.inner.generate(request)).output
        if isinstance(real, TradingPlan):
            moved = [d.model_copy(update={"symbol": "ZZZZ"}) for d in real.decisions]
            return real.model_copy(update={"decisions": moved})
        if isinstance(real, Approval):
            moved_v = [v.model_copy(update={"symbol": "ZZZZ"}) for v in real.verdicts]
            return real.model_copy(update={"verdicts": moved_v})
        return real.model_copy(update={"symbol": "ZZZZ"})

    return fault


def _nan_size(harness: CycleHarness) -> Any:
    async def fault(request: GenerationRequest[Any]) -> Any:
        real = (await harness.provider.inner.generate(request)).output
        return real.model_dump_json().replace('"quantity":13.0', '"quantity":NaN')

    return fault


ANALYSTS = ("technical_analyst", "news_analyst", "fundamentals_analyst")
RESEARCHERS = ("bullish_researcher", "bearish_researcher")
EVERY_AGENT = (*ANALYSTS, *RESEARCHERS, "trader", "risk_manager", "critic")


def expected_code(agent: str, kind: str) -> tuple[str, str]:
    """(reason_code, failed_step) of a symbol whose `agent` failed with `kind`."""
    approver = agent in ("risk_manager", "critic")
    codes = {
        "exception": "AGENT_ERROR",
        "timeout": "AGENT_TIMEOUT",
        "malformed": "MALFORMED_OUTPUT",
        "hallucination": "MISSING_DECISION" if agent == "trader" else "SYMBOL_MISMATCH",
    }
    if approver:
        # An approver that fails counts as REJECT in every round, then NO_TRADE.
        return "CONSENSUS_NOT_REACHED", agent
    return codes[kind], agent


@pytest.mark.parametrize("agent", EVERY_AGENT)
@pytest.mark.parametrize("kind", ["exception", "timeout", "malformed", "hallucination"])
async def test_a_failing_agent_means_no_trade_with_its_reason(
    harness: CycleHarness, agent: str, kind: str
) -> None:
    if kind == "timeout":
        await harness.configure(f"agents.{agent}.timeout_ms=300")
    fault = {
        "exception": _raise(RuntimeError("boom")),
        "timeout": _sleep(5),
        "malformed": _malformed,
        "hallucination": _other_symbol(harness),
    }[kind]
    # Malformed output is retried twice with feedback, so it must fail three times per call;
    # approvers are asked once per round, three rounds.
    harness.provider.faults[agent] = [fault] * 9
    result = await run(harness)
    d = decision(result)
    code, step = expected_code(agent, kind)
    assert (d["action"], d["status"]) == ("NO_TRADE", "no_trade"), d
    assert d["reason_code"] == code and d["failed_step"] == step, d
    assert result.orders == []
    assert await engine_order_count(harness, result.cycle_id) == 0
    if agent in ("risk_manager", "critic"):
        assert len(result.rounds) == 3


async def test_a_nan_size_is_malformed_and_never_reaches_the_engine(harness: CycleHarness) -> None:
    harness.provider.faults["trader"] = [_nan_size(harness)] * 3
    result = await run(harness)
    d = decision(result)
    assert (d["reason_code"], d["failed_step"]) == ("MALFORMED_OUTPUT", "trader")
    assert await engine_order_count(harness, result.cycle_id) == 0


def _critic_rejects(request: GenerationRequest[Any]) -> Any:
    symbols = [d.symbol for d in request.inputs.plan.decisions]  # type: ignore[union-attr]
    return Approval(
        verdicts=[
            DecisionVerdict(
                symbol=s,
                verdict="REJECT",
                violations=["the rationale does not cite the earnings date"],
                required_changes=["cite the evidence for the entry"],
                notes="",
            )
            for s in symbols
        ],
        summary="rejected",
    )


async def test_critic_rejecting_twice_then_approving_executes_after_round_three(
    harness: CycleHarness,
) -> None:
    harness.provider.faults["critic"] = [_critic_rejects, _critic_rejects]
    result = await run(harness)
    assert [r["approved"] for r in result.rounds] == [False, False, True]
    d = decision(result)
    assert d["status"] == "executed", d
    assert await engine_order_count(harness, result.cycle_id) == 1
    trader_calls = [r for r in harness.provider.requests if r.agent == "trader"]
    assert len(trader_calls) == 3
    feedback = trader_calls[1].inputs.feedback  # type: ignore[union-attr]
    assert "cite the evidence for the entry" in feedback[TRADED]


async def test_critic_rejecting_three_times_means_no_trade(harness: CycleHarness) -> None:
    harness.provider.faults["critic"] = [_critic_rejects] * 3
    result = await run(harness)
    assert [r["approved"] for r in result.rounds] == [False, False, False]
    d = decision(result)
    assert (d["reason_code"], d["failed_step"]) == ("CONSENSUS_NOT_REACHED", "critic")
    assert await engine_order_count(harness, result.cycle_id) == 0


async def test_malformed_output_is_fixed_by_the_retry_with_feedback(harness: CycleHarness) -> None:
    harness.provider.faults["trader"] = [_malformed]
    result = await run(harness)
    assert decision(result)["status"] == "executed"
    trader_calls = [r for r in harness.provider.requests if r.agent == "trader"]
    assert len(trader_calls) == 2
    assert trader_calls[0].feedback == ()
    assert any("Invalid JSON" in f for f in trader_calls[1].feedback)
    row = await harness.db.query_one(
        "SELECT output FROM agent_outputs WHERE cycle_id = ? AND agent = 'trader'",
        (result.cycle_id,),
    )
    assert row is not None and '"attempts":2' in str(row["output"])


async def test_budget_exhausted_mid_cycle_stops_new_calls(harness: CycleHarness) -> None:
    class Costly:
        name = "rules"

        async def generate(self, request: GenerationRequest[Any]) -> Any:
            found = await harness.provider.generate(request)
            return type(found)(found.output, Usage(700, 300), "rules", found.model, "", "")

    result = await run(
        harness,
        providers=lambda _name: Costly(),
        budget_limits=BudgetLimits(max_tokens=3000),
    )
    d = decision(result)
    assert d["reason_code"] == "BUDGET_EXHAUSTED"
    assert d["failed_step"] in RESEARCHERS
    assert result.usage["tokens_in"] + result.usage["tokens_out"] == 3000
    assert await engine_order_count(harness, result.cycle_id) == 0


async def test_engine_down_fails_the_cycle_visibly(harness: CycleHarness) -> None:
    await harness.runtime.stop(0)
    result = await run(harness, ("NVDA", "TSLA"))
    assert result.status == "failed"
    for d in result.decisions:
        assert (d["reason_code"], d["failed_step"]) == ("ENGINE_UNAVAILABLE", "observe")


class _PacedProvider:
    """The rules answers, each after a delay chosen by (symbol, agent); records when every
    call started and ended."""

    def __init__(self, delays: dict[tuple[str, str], float]) -> None:
        from agents.rules import RulesProvider

        self._inner = RulesProvider()
        self._delays = delays
        self.spans: dict[tuple[str, str], tuple[float, float]] = {}

    @property
    def name(self) -> str:
        return "paced"

    async def generate(self, request: GenerationRequest[Any]) -> Any:
        symbol = getattr(getattr(request.inputs, "context", None), "symbol", "")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(self._delays.get((symbol, request.agent), 0.0))
        answer = await self._inner.generate(request)
        self.spans[(symbol, request.agent)] = (started, loop.time())
        return answer


async def test_a_symbols_researchers_do_not_wait_for_another_symbols_analysts(
    harness: CycleHarness,
) -> None:
    provider = _PacedProvider({("SPY", "technical_analyst"): 0.8})
    result = await run(harness, ("SPY", "NVDA"), providers=lambda _name: provider)
    assert result.status == "completed"
    slow_analyst_done = provider.spans[("SPY", "technical_analyst")][1]
    for researcher in ("bullish_researcher", "bearish_researcher"):
        started, ended = provider.spans[("NVDA", researcher)]
        assert ended < slow_analyst_done, (researcher, started, ended, slow_analyst_done)
        assert provider.spans[("SPY", researcher)][0] >= slow_analyst_done
    # The dashboard's stages still open and close once each, in a sensible order.
    stages = [
        (p["stage"], p["state"])
        for p in (
            json.loads(str(r["payload"]))
            for r in await harness.db.query(
                "SELECT payload FROM outbox WHERE cycle_id = ? AND type = 'cycle.stage' "
                "ORDER BY seq",
                (result.cycle_id,),
            )
        )
    ]
    for stage in ("analysts", "research"):
        assert stages.count((stage, "started")) == 1 and stages.count((stage, "completed")) == 1
    expected = [
        ("analysts", "started"),
        ("research", "started"),
        ("analysts", "completed"),
        ("research", "completed"),
    ]
    order = [stages.index(s) for s in expected]
    assert order == sorted(order), stages
