"""The graph's nodes: OBSERVE, ORIENT, the analyst and researcher fan-outs, the trader, the
two approvers, the consensus gate, ACT and PERSIST.

Every node catches what can go wrong inside it and turns it into a visible failure of the
affected symbols (`failures[symbol] = {reason_code, failed_step, error}`), never a silent
default: an exception escaping a fan-out task would stop its siblings too.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar, cast

import grpc
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp
from langgraph.types import Send

from agents.inputs import (
    AnalystInputs,
    ApprovalInputs,
    PortfolioView,
    ResearchInputs,
    SymbolBrief,
    SymbolContext,
    SymbolLimits,
    TraderInputs,
)
from agents.limits import compute_limits, risk_limits_view
from agents.schemas import (
    Approval,
    FundamentalsAnalysis,
    PlannedDecision,
    ResearchThesis,
    SentimentAnalysis,
    TechnicalAnalysis,
    TradingPlan,
)
from agents.validation import validate_plan
from cream.clock import Clock
from cream.config.schema import ConfigDocument
from cream.context.bundle import ContextBundle, gather_context
from cream.context.source import ContextRequest, ContextSource
from cream.engine.client import EngineCallError, EngineClient
from cream.engine.ids import derive_client_order_id
from cream.market.bars import Bars, from_ns
from cream.market.regime import Regime, classify_regime
from cream.memory.store import CaseMemory
from cream.storage.database import Database, Statement
from cream.storage.regime_labels import RegimeLabelRepository
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from workflows.trading_cycle.calls import AgentCaller, AgentFailure
from workflows.trading_cycle.decisions import decision_id_for, to_proto_decision
from workflows.trading_cycle.observe import (
    bars_of,
    memory_views,
    portfolio_view,
    snapshot_hash,
    symbol_context,
)
from workflows.trading_cycle.state import CycleState

log = logging.getLogger(__name__)

ANALYSTS: Final = ("technical_analyst", "news_analyst", "fundamentals_analyst")
RESEARCHERS: Final = ("bullish_researcher", "bearish_researcher")
APPROVERS: Final = ("risk_manager", "critic")
BAR_COUNT: Final = 120
TIMEFRAME: Final = "1h"
# Actions that send an order.
ORDER_ACTIONS: Final = frozenset({"BUY", "SELL", "INCREASE", "REDUCE", "CLOSE"})

StageCallback = Callable[[str, str, int, str], Awaitable[None]]
_T = TypeVar("_T")


def _key(symbol: str, agent: str) -> str:
    return f"{symbol}|{agent}"


def _failure(code: str, step: str, error: str) -> dict[str, Any]:
    return {"reason_code": code, "failed_step": step, "error": error}


async def _all(calls: Iterable[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Awaits every call at once; results in call order. If one raises, the rest are
    cancelled (a task group), so no call outlives the node that made it."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as failed:  # the first error, as a plain await would raise it
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def live_symbols(state: CycleState) -> list[str]:
    """Symbols that have not failed so far, in cycle order."""
    failures = state.get("failures", {})
    return [s for s in state.get("symbols", []) if s not in failures]


@dataclass
class CycleDeps:
    """What the nodes need, bound for one cycle (the caller carries the cycle's budget)."""

    environment: str
    config: ConfigDocument
    caller: AgentCaller
    engine: EngineClient
    market: md_grpc.MarketDataServiceStub
    clock: Clock
    memory: CaseMemory | None = None
    context_sources: Sequence[ContextSource] = ()
    stage: StageCallback | None = None
    rpc_timeout_s: float = 30.0
    memory_k: int = 5
    allow_short: bool = True
    # Where ORIENT stores each symbol's regime label (regime_labels); None skips it.
    db: Database | None = None
    # Test seam: called after every SubmitOrder that the engine accepted.
    after_submit: Callable[[dict[str, Any]], Awaitable[None]] | None = None


class CycleNodes:
    """The node functions of one cycle's graph."""

    def __init__(self, deps: CycleDeps) -> None:
        self.deps = deps
        # Parsed once per cycle: a symbol's context is final after ORIENT and its analyses
        # and theses after the research stage, while every analyst, researcher, trader and
        # approver task reads them again (the inputs are frozen models, safe to share).
        self._contexts: dict[str, SymbolContext] = {}
        self._briefs: dict[str, SymbolBrief] = {}
        # OBSERVE's bars for ORIENT in the same run (a resumed run decodes the checkpoint's).
        self._observed_bars: dict[str, Bars] = {}
        # Research stage events already sent by this run, and symbols past their analysts.
        self._announced: set[tuple[str, str]] = set()
        self._analysed = 0

    async def _stage(self, state: CycleState, stage: str, status: str, round_: int = 0) -> None:
        if self.deps.stage is None:
            return
        try:
            await self.deps.stage(stage, status, round_, "")
        except Exception:  # progress is informative; it must not fail the cycle
            log.exception("cycle %s: could not announce stage %s", state.get("cycle_id"), stage)

    # OBSERVE -----------------------------------------------------------------------------

    async def observe(self, state: CycleState) -> dict[str, Any]:
        await self._stage(state, "observe", "started")
        symbols = state["symbols"]
        as_of = datetime.fromisoformat(state["as_of"])
        deps = self.deps
        # External context (news, filings, calendars over HTTP) is fetched while the engine
        # answers; `_context` never raises, each source reports its own failure.
        context_task = asyncio.ensure_future(self._context(symbols, as_of))
        try:
            response, account, positions = await asyncio.gather(
                cast(
                    Awaitable[md.GetSnapshotResponse],
                    deps.market.GetSnapshot(
                        md.GetSnapshotRequest(
                            symbols=symbols, bar_count=BAR_COUNT, timeframe=TIMEFRAME
                        ),
                        timeout=deps.rpc_timeout_s,
                    ),
                ),
                deps.engine.get_account_state(timeout=deps.rpc_timeout_s),
                deps.engine.get_positions(timeout=deps.rpc_timeout_s),
            )
        except (grpc.aio.AioRpcError, EngineCallError) as exc:
            context_task.cancel()
            error = f"the engine could not be asked for market data or the portfolio: {exc}"
            await self._stage(state, "observe", "failed")
            return {
                "failures": {s: _failure("ENGINE_UNAVAILABLE", "observe", error) for s in symbols},
                "status": "failed",
                "error": error,
            }
        except BaseException:
            context_task.cancel()
            raise
        snapshot: md.MarketSnapshot = response.snapshot
        bundle = await context_task
        portfolio = portfolio_view(account, list(positions.positions))
        entries = {entry.symbol: entry for entry in snapshot.symbols}
        contexts: dict[str, dict[str, Any]] = {}
        bars: dict[str, dict[str, Any]] = {}
        failures: dict[str, dict[str, Any]] = {}
        for symbol in symbols:
            entry = entries.get(symbol)
            context, found, _ = symbol_context(
                entry, symbol, as_of, list(snapshot.unavailable), bundle, portfolio
            )
            contexts[symbol] = context.model_dump(mode="json")
            if context.quote is None or found is None:
                failures[symbol] = _failure(
                    "MARKET_DATA_UNAVAILABLE", "observe", "; ".join(context.gaps)
                )
            if entry is not None and found is not None:
                # The wire bytes (base64): a checkpoint-safe string that parses back fast.
                bars[symbol] = {"entry": base64.b64encode(entry.SerializeToString()).decode()}
                self._observed_bars[symbol] = found
        await self._stage(state, "observe", "completed")
        return {
            "contexts": contexts,
            "portfolio": portfolio.model_dump(mode="json"),
            "snapshot_hash": snapshot_hash(snapshot),
            "failures": failures,
            "situations": {},
            "entries": bars,
        }

    async def _context(self, symbols: list[str], as_of: datetime) -> ContextBundle | None:
        if not self.deps.context_sources:
            return None
        try:
            return await gather_context(
                self.deps.context_sources, ContextRequest(tuple(symbols), as_of)
            )
        except Exception:  # every source reports its own failure; this is the last guard
            log.exception("external context could not be gathered")
            return None

    # ORIENT ------------------------------------------------------------------------------

    async def orient(self, state: CycleState) -> dict[str, Any]:
        await self._stage(state, "orient", "started")
        as_of = datetime.fromisoformat(state["as_of"])
        portfolio = PortfolioView.model_validate(state["portfolio"])
        risk = self.deps.config.risk
        contexts = dict(state["contexts"])
        limits: dict[str, dict[str, Any]] = {}
        situations: dict[str, dict[str, Any]] = {}
        failures: dict[str, dict[str, Any]] = {}
        stored = state.get("entries", {})
        labels: list[Statement] = []
        repository = (
            RegimeLabelRepository(self.deps.db, self.deps.environment, clock=self.deps.clock)
            if self.deps.db is not None
            else None
        )
        final: dict[str, SymbolContext] = {}
        for symbol in live_symbols(state):
            context = SymbolContext.model_validate(contexts[symbol])
            try:
                bars = self._observed_bars.get(symbol)
                if bars is None:
                    entry = md.SymbolSnapshot.FromString(base64.b64decode(stored[symbol]["entry"]))
                    bars = bars_of(entry)
                if repository is not None and bars is not None and context.regime is not None:
                    labels.append(_regime_label(repository, bars))
                regime = Regime(context.regime.label) if context.regime is not None else None
                memory, situation, gap = await memory_views(
                    self.deps.memory, bars, regime, as_of, symbol, self.deps.memory_k
                )
                gaps = [*context.gaps, gap] if gap else context.gaps
                context = context.model_copy(update={"memory": memory, "gaps": gaps})
                contexts[symbol] = context.model_dump(mode="json")
                final[symbol] = context
                if situation is not None:
                    situations[symbol] = {
                        "symbol": situation.symbol,
                        "as_of": situation.as_of.isoformat(),
                        "last_bar_close": situation.last_bar_close.isoformat(),
                        "regime": situation.regime.value,
                        "values": [float(v) for v in situation.values],
                        "feature_version": situation.feature_version,
                    }
                limits[symbol] = compute_limits(
                    context, portfolio, risk, allow_short=self.deps.allow_short
                ).model_dump(mode="json")
            except Exception as exc:  # one symbol's bad data must not stop the others
                failures[symbol] = _failure(
                    "ORIENT_FAILED", "orient", f"{type(exc).__name__}: {exc}"
                )
        if labels and self.deps.db is not None:
            try:
                await self.deps.db.batch(labels)
            except Exception:  # labels are a record of ORIENT, not an input to the cycle
                log.exception("cycle %s: regime labels were not stored", state["cycle_id"])
        # The contexts are final now: the agents' inputs and tools use these objects.
        for symbol, context in final.items():
            if symbol not in failures:
                self._contexts[symbol] = context
        self.deps.caller.prime_tool_data(
            as_of,
            {
                symbol: final.get(symbol) or SymbolContext.model_validate(raw)
                for symbol, raw in contexts.items()
            },
            portfolio,
        )
        await self._stage(state, "orient", "completed")
        await self._stage(state, "analysts", "started")
        return {
            "contexts": contexts,
            "limits": limits,
            "situations": situations,
            "risk_limits": risk_limits_view(risk),
            "failures": failures,
            # The wire snapshots were only ORIENT's input; every later checkpoint is smaller
            # without them (the contexts keep the bars the agents and tools read).
            "entries": {},
        }

    @staticmethod
    def fan_out_research(state: CycleState) -> list[Send] | str:
        live = live_symbols(state)
        sends = [
            Send("research", {"symbol": s, "context": state["contexts"][s], "of": len(live)})
            for s in live
        ]
        return sends or "trader"

    # DECIDE: analysts and researchers ----------------------------------------------------

    async def research(self, task: dict[str, Any]) -> dict[str, Any]:
        """One symbol's three analysts at once, then, once all three answered, its bull and
        bear researchers at once.

        Symbols do not wait for each other: a symbol's researchers start as soon as its own
        analysts are done, so the stage costs the slowest symbol's analyst + researcher, not
        the slowest analyst of all plus the slowest researcher of all. The first failure in
        role order fails the symbol, and a failed symbol asks no researcher.
        """
        symbol, context = task["symbol"], self._parsed_context(task["symbol"], task["context"])
        analyses: dict[str, dict[str, Any]] = {}
        calls: list[dict[str, Any]] = []
        failure: dict[str, Any] | None = None
        answers = await _all(
            self._ask(agent, AnalystInputs(agent=agent, context=context), symbol)
            for agent in ANALYSTS
        )
        outputs: dict[str, Any] = {}
        for agent, (output, record, failed) in zip(ANALYSTS, answers, strict=True):
            calls.append(record)
            if failed is not None:
                failure = failure or failed
            else:
                outputs[agent] = output
                analyses[_key(symbol, agent)] = output.model_dump(mode="json")
        await self._analysts_done(task)
        if failure is not None:
            return {"analyses": analyses, "failures": {symbol: failure}, "calls": calls}
        theses: dict[str, dict[str, Any]] = {}
        inputs = {
            agent: ResearchInputs(
                agent=agent,
                context=context,
                technical=outputs["technical_analyst"],
                sentiment=outputs["news_analyst"],
                fundamentals=outputs["fundamentals_analyst"],
            )
            for agent in RESEARCHERS
        }
        answers = await _all(self._ask(agent, inputs[agent], symbol) for agent in RESEARCHERS)
        for agent, (output, record, failed) in zip(RESEARCHERS, answers, strict=True):
            expected = "BULLISH" if agent == "bullish_researcher" else "BEARISH"
            if failed is None and getattr(output, "stance", expected) != expected:
                message = f"the {agent} argued {getattr(output, 'stance', '?')}, not {expected}"
                record = {**record, "error_code": "WRONG_STANCE", "error": message}
                failed = _failure("WRONG_STANCE", agent, message)
            calls.append(record)
            if failed is not None:
                failure = failure or failed
            else:
                theses[_key(symbol, agent)] = output.model_dump(mode="json")
        update: dict[str, Any] = {"analyses": analyses, "theses": theses, "calls": calls}
        if failure is not None:
            update["failures"] = {symbol: failure}
        return update

    async def _ask(
        self, agent: str, inputs: Any, symbol: str
    ) -> tuple[Any, dict[str, Any], dict[str, Any] | None]:
        """(output, call record, None), or (None, record, failure) when the agent failed."""
        try:
            output, record = await self.deps.caller.call(agent, inputs, symbol=symbol)
        except AgentFailure as failure:
            return None, failure.record, _failure(failure.code, agent, failure.message)
        return output, record, None

    async def _analysts_done(self, task: dict[str, Any]) -> None:
        """Stage events of the pipelined research: the first symbol to reach its researchers
        starts `research`; the last symbol of this run to finish its analysts completes
        `analysts` (a resumed run that skips finished symbols leaves that to the trader)."""
        self._analysed += 1
        if self._analysed == 1:
            await self._stage_once(task, "research", "started")
        if self._analysed >= int(task.get("of", 0)):
            await self._stage_once(task, "analysts", "completed")

    async def _stage_once(self, state: Any, stage: str, status: str) -> None:
        if (stage, status) not in self._announced:
            self._announced.add((stage, status))
            await self._stage(state, stage, status)

    # DECIDE: trader and the dual gate ----------------------------------------------------

    def _trader_inputs(
        self, state: CycleState, symbols: Sequence[str], round_: int
    ) -> TraderInputs:
        briefs = [self._brief(state, s) for s in symbols]
        previous = None
        feedback: dict[str, list[str]] = {}
        if round_ > 1:
            plan = state.get("plan", {})
            previous = TradingPlan(
                decisions=[PlannedDecision.model_validate(plan[s]) for s in symbols if s in plan],
                summary=state.get("plan_summary", ""),
            )
            feedback = {s: list(state.get("feedback", {}).get(s, [])) for s in symbols}
        return TraderInputs(
            cycle_id=state["cycle_id"],
            round=round_,
            briefs=briefs,
            portfolio=PortfolioView.model_validate(state["portfolio"]),
            previous_plan=previous,
            feedback=feedback,
        )

    def _parsed_context(self, symbol: str, raw: dict[str, Any]) -> SymbolContext:
        # Parsed once per symbol per run (the context is final after ORIENT).
        found = self._contexts.get(symbol)
        if found is None:
            found = self._contexts[symbol] = SymbolContext.model_validate(raw)
        return found

    def _brief(self, state: CycleState, s: str) -> SymbolBrief:
        found = self._briefs.get(s)
        if found is None:
            analyses, theses = state.get("analyses", {}), state.get("theses", {})
            found = self._briefs[s] = SymbolBrief(
                context=self._parsed_context(s, state["contexts"][s]),
                technical=TechnicalAnalysis.model_validate(analyses[_key(s, "technical_analyst")]),
                sentiment=SentimentAnalysis.model_validate(analyses[_key(s, "news_analyst")]),
                fundamentals=FundamentalsAnalysis.model_validate(
                    analyses[_key(s, "fundamentals_analyst")]
                ),
                bull=ResearchThesis.model_validate(theses[_key(s, "bullish_researcher")]),
                bear=ResearchThesis.model_validate(theses[_key(s, "bearish_researcher")]),
                limits=SymbolLimits.model_validate(state["limits"][s]),
            )
        return found

    async def trader(self, state: CycleState) -> dict[str, Any]:
        round_ = state.get("round", 0) + 1
        if round_ == 1:
            await self._stage_once(state, "analysts", "completed")
            await self._stage(state, "research", "completed")
            theses = state.get("theses", {})
            pending: list[str] = []
            failures: dict[str, dict[str, Any]] = {}
            for symbol in live_symbols(state):
                missing = [a for a in RESEARCHERS if _key(symbol, a) not in theses]
                if missing:
                    failures[symbol] = _failure(
                        "MISSING_THESIS", missing[0], f"no output from {', '.join(missing)}"
                    )
                else:
                    pending.append(symbol)
        else:
            pending, failures = list(state.get("pending", [])), {}
        await self._stage(state, "trader", "started", round_)
        update: dict[str, Any] = {"round": round_, "failures": failures}
        if not pending:
            await self._stage(state, "trader", "completed", round_)
            return {**update, "pending": [], "plan": {}, "problems": {}}
        try:
            inputs = self._trader_inputs(state, pending, round_)
        except Exception as exc:  # inputs are built from validated data; guard anyway
            error = f"{type(exc).__name__}: {exc}"
            return {
                **update,
                "pending": [],
                "plan": {},
                "failures": {
                    **failures,
                    **{s: _failure("TRADER_INPUT", "trader", error) for s in pending},
                },
            }
        try:
            output, record = await self.deps.caller.call("trader", inputs, round_=round_)
        except AgentFailure as failure:
            await self._stage(state, "trader", "failed", round_)
            return {
                **update,
                "pending": [],
                "plan": {},
                "calls": [failure.record],
                "failures": {
                    **failures,
                    **{s: _failure(failure.code, "trader", failure.message) for s in pending},
                },
            }
        plan = TradingPlan.model_validate(output.model_dump())
        found = validate_plan(plan, inputs)
        decisions: dict[str, dict[str, Any]] = {}
        for decision in plan.decisions:
            if decision.symbol in pending and decision.symbol not in decisions:
                decisions[decision.symbol] = decision.model_dump(mode="json")
        problems = {
            symbol: [f"{p.code}: {p.message}" for p in items]
            for symbol, items in found.items()
            if items
        }
        for symbol in (s for s in pending if s not in decisions):
            failures[symbol] = _failure(
                "MISSING_DECISION", "trader", f"the trader gave no decision for {symbol}"
            )
        await self._stage(state, "trader", "completed", round_)
        await self._stage(state, "approval", "started", round_)
        return {
            **update,
            "pending": [s for s in pending if s in decisions],
            "plan": {**state.get("plan", {}), **decisions},
            "plan_summary": plan.summary,
            "problems": problems,
            "calls": [record],
        }

    async def _approve(self, state: CycleState, agent: str) -> dict[str, Any]:
        round_ = state.get("round", 1)
        pending = state.get("pending", [])
        key = f"{round_}|{agent}"
        if not pending:
            return {"verdicts": {key: {"verdicts": {}}}}
        try:
            trader_inputs = self._trader_inputs(state, pending, round_)
            plan = TradingPlan(
                decisions=[PlannedDecision.model_validate(state["plan"][s]) for s in pending],
                summary=state.get("plan_summary", ""),
            )
            inputs = ApprovalInputs(
                agent=agent,
                round=round_,
                plan=plan,
                trader=trader_inputs,
                risk_limits=state.get("risk_limits", {}),
            )
            output, record = await self.deps.caller.call(agent, inputs, round_=round_)
        except AgentFailure as failure:
            return {
                "verdicts": {key: {"code": failure.code, "error": failure.message}},
                "calls": [failure.record],
            }
        except Exception as exc:  # an approver that errors counts as REJECT
            return {
                "verdicts": {
                    key: {"code": "APPROVER_ERROR", "error": f"{type(exc).__name__}: {exc}"}
                }
            }
        approval = Approval.model_validate(output.model_dump())
        verdicts: dict[str, Any] = {}
        for verdict in approval.verdicts:
            verdicts.setdefault(verdict.symbol, verdict.model_dump(mode="json"))
        return {
            "verdicts": {key: {"verdicts": verdicts, "summary": approval.summary}},
            "calls": [record],
        }

    async def risk_manager(self, state: CycleState) -> dict[str, Any]:
        return await self._approve(state, "risk_manager")

    async def critic(self, state: CycleState) -> dict[str, Any]:
        return await self._approve(state, "critic")

    async def consensus(self, state: CycleState) -> dict[str, Any]:
        round_ = state.get("round", 1)
        max_rounds = state.get("max_rounds", 3)
        pending = state.get("pending", [])
        plan = state.get("plan", {})
        problems = state.get("problems", {})
        gates = {a: state.get("verdicts", {}).get(f"{round_}|{a}", {}) for a in APPROVERS}
        approved = dict(state.get("approved", {}))
        rejected: list[str] = []
        feedback: dict[str, list[str]] = {}
        reasons: dict[str, dict[str, Any]] = {}
        for symbol in pending:
            notes: list[str] = []
            reason: dict[str, Any] | None = None
            for agent, gate in gates.items():
                if "error" in gate:
                    notes.append(
                        f"{agent} could not review the plan ({gate['code']}): {gate['error']}"
                    )
                    reason = reason or _failure(gate["code"], agent, gate["error"])
                    continue
                verdict = gate.get("verdicts", {}).get(symbol)
                if verdict is None:
                    notes.append(f"{agent} gave no verdict for {symbol}")
                    reason = reason or _failure(
                        "MISSING_VERDICT", agent, f"no verdict for {symbol}"
                    )
                elif verdict["verdict"] != "APPROVE":
                    notes.extend(verdict["required_changes"] or verdict["violations"])
                    reason = reason or _failure(
                        "REJECTED", agent, "; ".join(verdict["violations"]) or "rejected"
                    )
            for problem in problems.get(symbol, []):
                notes.append(problem)
                reason = reason or _failure(problem.split(":", 1)[0], "trader", problem)
            if reason is None:
                approved[symbol] = plan[symbol]
            else:
                rejected.append(symbol)
                feedback[symbol] = notes
                reasons[symbol] = reason
        record = {
            "round": round_,
            "plan": {s: plan[s] for s in pending},
            "summary": state.get("plan_summary", ""),
            "verdicts": {
                **gates,
                "validator": {s: problems[s] for s in pending if s in problems},
            },
            "approved": not rejected,
            "approved_symbols": [s for s in pending if s not in rejected],
            "rejected_symbols": rejected,
        }
        update: dict[str, Any] = {
            "approved": approved,
            "feedback": feedback,
            "pending": rejected,
            "rounds": [record],
        }
        if rejected and round_ >= max_rounds:
            update["failures"] = {
                s: _failure(
                    "CONSENSUS_NOT_REACHED",
                    reasons[s]["failed_step"],
                    f"rejected in all {max_rounds} rounds; last: {reasons[s]['reason_code']}: "
                    f"{reasons[s]['error']}",
                )
                for s in rejected
            }
            update["pending"] = []
        await self._stage(state, "approval", "completed", round_)
        return update

    @staticmethod
    def after_consensus(state: CycleState) -> str:
        if state.get("pending") and state.get("round", 1) < state.get("max_rounds", 3):
            return "trader"
        return "act"

    # ACT ---------------------------------------------------------------------------------

    async def act(self, state: CycleState) -> dict[str, Any]:
        await self._stage(state, "act", "started")
        cycle_id = state["cycle_id"]
        failures = state.get("failures", {})
        approved = {s: d for s, d in state.get("approved", {}).items() if s not in failures}
        outcomes: dict[str, dict[str, Any]] = {}
        tradeable: dict[str, PlannedDecision] = {}
        for symbol, raw in approved.items():
            decision = PlannedDecision.model_validate(raw)
            if decision.action in ORDER_ACTIONS and decision.quantity > 0:
                tradeable[symbol] = decision
            else:
                status = "no_trade" if decision.action == "NO_TRADE" else "approved"
                outcomes[symbol] = {"status": status}
        if not tradeable:
            await self._stage(state, "act", "completed")
            return {"outcomes": outcomes, "orders": [], "constraints": {}}
        env = self.deps.environment
        as_of = datetime.fromisoformat(state["as_of"])
        protos = {
            s: to_proto_decision(d, decision_id_for(cycle_id, s)) for s, d in tradeable.items()
        }
        plan = _plan(cycle_id, as_of, env, state["config_version"], list(protos.values()))
        new_failures: dict[str, dict[str, Any]] = {}
        try:
            checked = await self.deps.engine.check_constraints(
                plan, correlation_id=cycle_id, timeout=self.deps.rpc_timeout_s
            )
        except EngineCallError as exc:
            error = f"CheckConstraints failed: {exc}"
            await self._stage(state, "act", "failed")
            return {
                "failures": {s: _failure("ENGINE_UNAVAILABLE", "act", error) for s in tradeable},
                "outcomes": outcomes,
                "orders": [],
                "status": "failed",
                "error": error,
            }
        constraints = json_format.MessageToDict(checked, preserving_proto_field_name=True)
        checks = {c.decision_id: c for c in checked.decisions}
        blocking_plan = [v for v in checked.violations if not v.decision_id]
        orders: list[dict[str, Any]] = []
        for symbol, proto in protos.items():
            check = checks.get(proto.decision_id)
            violations = [v for v in checked.violations if v.decision_id == proto.decision_id]
            if check is None or not check.approved or blocking_plan:
                found = violations or blocking_plan
                code = found[0].code if found else "NOT_CHECKED"
                message = "; ".join(f"{v.code}: {v.message}" for v in found) or "not approved"
                new_failures[symbol] = _failure(f"RISK_{code}", "act", message)
                continue
            order = await self._submit(state, symbol, proto, as_of)
            orders.append(order)
            if order["accepted"]:
                outcomes[symbol] = {
                    "status": "executed",
                    "client_order_id": order["client_order_id"],
                }
                if self.deps.after_submit is not None:
                    await self.deps.after_submit(order)
            else:
                new_failures[symbol] = _failure(order["reason_code"], "act", order["error"])
        await self._stage(state, "act", "completed")
        return {
            "constraints": constraints,
            "outcomes": outcomes,
            "orders": orders,
            "failures": new_failures,
        }

    async def _submit(
        self, state: CycleState, symbol: str, proto: decision_pb2.Decision, as_of: datetime
    ) -> dict[str, Any]:
        cycle_id = state["cycle_id"]
        client_order_id = derive_client_order_id(cycle_id, proto.decision_id, 0)
        stamp = Timestamp()
        stamp.FromDatetime(as_of)
        request = ex.SubmitOrderRequest(
            client_order_id=client_order_id,
            cycle_id=cycle_id,
            decision=proto,
            environment=_env(self.deps.environment),
            config_version=state["config_version"],
            as_of=stamp,
        )
        base: dict[str, Any] = {
            "symbol": symbol,
            "decision_id": proto.decision_id,
            "client_order_id": client_order_id,
        }
        try:
            response = await self.deps.engine.submit_order(
                request, correlation_id=cycle_id, timeout=self.deps.rpc_timeout_s
            )
        except EngineCallError as exc:
            return {
                **base,
                "accepted": False,
                "reason_code": "SUBMIT_FAILED",
                "error": f"SubmitOrder failed ({exc.code}); the order may be in flight: {exc}",
            }
        order = json_format.MessageToDict(response.order, preserving_proto_field_name=True)
        if not response.accepted:
            found = list(response.violations)
            return {
                **base,
                "accepted": False,
                "order": order,
                "reason_code": f"ORDER_{found[0].code}" if found else "ORDER_REJECTED",
                "error": "; ".join(f"{v.code}: {v.message}" for v in found) or "rejected",
            }
        return {
            **base,
            "accepted": True,
            "duplicate": response.duplicate,
            "order_id": response.order.order_id,
            "status": order.get("status", ""),
            "side": order.get("side", ""),
            "quantity": order.get("quantity", ""),
            "order": order,
        }


def _regime_label(repository: RegimeLabelRepository, bars: Bars) -> Statement:
    """The upsert of the regime of the symbol's last closed bar (same bar → same row)."""
    closes = bars.close_times if bars.close_times is not None else bars.timestamps
    stamp = from_ns(int(closes[-1]))
    return repository.upsert_statement(bars.symbol, stamp, bars.timeframe, classify_regime(bars))


def _env(environment: str) -> common.Environment.ValueType:
    return {
        "BACKTEST": common.ENVIRONMENT_BACKTEST,
        "PAPER": common.ENVIRONMENT_PAPER,
        "LIVE": common.ENVIRONMENT_LIVE,
    }[environment]


def _plan(
    cycle_id: str,
    as_of: datetime,
    environment: str,
    config_version: int,
    decisions: list[decision_pb2.Decision],
) -> decision_pb2.DecisionPlan:
    stamp = Timestamp()
    stamp.FromDatetime(as_of)
    return decision_pb2.DecisionPlan(
        cycle_id=cycle_id,
        as_of=stamp,
        environment=_env(environment),
        config_version=config_version,
        decisions=decisions,
    )
