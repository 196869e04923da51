"""PERSIST: everything the cycle produced, in ONE transaction with its events.

Cycle status, every decision with its lineage, every agent output per round, every consensus
round, and the events announcing them (`decision.made`, `orders.submitted`,
`cycle.completed`/`cycle.failed`) commit together or not at all. Re-running the node after a
crash is harmless: a cycle that is no longer running is not written twice. Case memory is
updated afterwards (its record is idempotent per decision).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from agents.schemas import PlannedDecision
from cream.clock import Clock
from cream.events.envelope import EventEnvelope
from cream.events.log import EventLog
from cream.events.types import CYCLE_COMPLETED, CYCLE_FAILED, DECISION_MADE, ORDER_SUBMITTED
from cream.market.regime import Regime
from cream.memory.case import CaseDecision
from cream.memory.situation import Situation
from cream.memory.store import CaseEntry, CaseMemory
from cream.storage.agent_outputs import AgentOutputRecord, AgentOutputRepository
from cream.storage.consensus_rounds import ConsensusRoundRecord, ConsensusRoundRepository
from cream.storage.cycles import CycleRepository
from cream.storage.database import Database, Statement
from cream.storage.decisions import DecisionLineage, DecisionRepository, DecisionStatus
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2
from workflows.trading_cycle.decisions import (
    decision_id_for,
    no_trade_decision,
    to_proto_decision,
)
from workflows.trading_cycle.state import CycleState

log = logging.getLogger(__name__)

# Bars after a decision at which case memory measures its outcome (a trading day of 1h bars).
HORIZON_BARS = 7


@dataclass(frozen=True, slots=True)
class FinalDecision:
    """One symbol's outcome of the cycle."""

    proto: decision_pb2.Decision
    status: DecisionStatus
    planned: PlannedDecision | None
    client_order_id: str | None = None

    def summary(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "decision_id": self.proto.decision_id,
            "symbol": self.proto.instrument.symbol,
            "action": common.Action.Name(self.proto.action).removeprefix("ACTION_"),
            "direction": common.Direction.Name(self.proto.direction).removeprefix("DIRECTION_"),
            "quantity": self.proto.size.value,
            "status": self.status,
            "rationale": self.proto.rationale.summary,
        }
        if self.proto.risk_levels.stop_loss:
            entry["stop_loss"] = self.proto.risk_levels.stop_loss
        if self.proto.risk_levels.take_profit:
            entry["take_profit"] = self.proto.risk_levels.take_profit
        if self.proto.reason_code:
            entry["reason_code"] = self.proto.reason_code
            entry["failed_step"] = self.proto.failed_step
        if self.client_order_id:
            entry["client_order_id"] = self.client_order_id
        return entry


def final_decisions(state: CycleState) -> list[FinalDecision]:
    """Each symbol's decision: what traded, what held, and what did not trade and why."""
    cycle_id = state["cycle_id"]
    failures = state.get("failures", {})
    outcomes = state.get("outcomes", {})
    approved = state.get("approved", {})
    plan = state.get("plan", {})
    result: list[FinalDecision] = []
    for symbol in state.get("symbols", []):
        decision_id = decision_id_for(cycle_id, symbol)
        raw = approved.get(symbol) or plan.get(symbol)
        planned = PlannedDecision.model_validate(raw) if raw else None
        failure = failures.get(symbol)
        outcome = outcomes.get(symbol)
        if failure is not None:
            proto = no_trade_decision(
                decision_id,
                symbol,
                reason_code=failure["reason_code"],
                failed_step=failure["failed_step"],
                error=failure["error"],
                planned=planned,
            )
            result.append(FinalDecision(proto, "no_trade", planned))
        elif planned is not None and outcome is not None:
            proto = to_proto_decision(planned, decision_id)
            result.append(
                FinalDecision(proto, outcome["status"], planned, outcome.get("client_order_id"))
            )
        else:
            # Reaching PERSIST without an outcome means a step was skipped: fail closed.
            proto = no_trade_decision(
                decision_id,
                symbol,
                reason_code="NO_OUTCOME",
                failed_step="persist",
                error=state.get("error") or "the cycle ended without an outcome for this symbol",
                planned=planned,
            )
            result.append(FinalDecision(proto, "no_trade", planned))
    return result


def _lineage(state: CycleState, symbol: str) -> DecisionLineage:
    calls = state.get("calls", [])
    symbols = max(1, len(state.get("symbols", [])))
    own = [c for c in calls if c["symbol"] == symbol]
    shared = [c for c in calls if not c["symbol"]]
    traders = [c for c in shared if c["agent"] == "trader" and c.get("output")]
    last = traders[-1] if traders else (own[-1] if own else None)
    tokens_in = sum(c["tokens_in"] for c in own) + sum(c["tokens_in"] for c in shared) // symbols
    tokens_out = sum(c["tokens_out"] for c in own) + sum(c["tokens_out"] for c in shared) // symbols
    cost = (
        sum((Decimal(c["cost_usd"]) for c in own), Decimal(0))
        + sum((Decimal(c["cost_usd"]) for c in shared), Decimal(0)) / symbols
    )
    return DecisionLineage(
        config_version=state["config_version"],
        model=last["model"] if last else None,
        prompt_hash=last["prompt_hash"] or None if last else None,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=str(cost.quantize(Decimal("0.000001"))),
        latency_ms=last["latency_ms"] if last else None,
        snapshot_hash=state.get("snapshot_hash") or None,
    )


def usage_totals(state: CycleState) -> dict[str, Any]:
    calls = state.get("calls", [])
    return {
        "llm_calls": len(calls),
        "tokens_in": sum(c["tokens_in"] for c in calls),
        "tokens_out": sum(c["tokens_out"] for c in calls),
        "cost_usd": str(sum((Decimal(c["cost_usd"]) for c in calls), Decimal(0))),
    }


def cycle_status(state: CycleState) -> str:
    return "failed" if state.get("status") == "failed" else "completed"


async def persist(
    state: CycleState,
    *,
    db: Database,
    events: EventLog,
    clock: Clock,
    memory: CaseMemory | None,
    wall_ms: int,
    before_completion: Sequence[EventEnvelope] = (),
) -> dict[str, Any]:
    """Writes the cycle's results and events in one batch (once).

    `before_completion` events (e.g. the persist stage's progress) are committed in the same
    batch, just before the closing `cycle.completed`/`cycle.failed`.
    """
    env = events.environment
    cycle_id = state["cycle_id"]
    cycles = CycleRepository(db, env, clock=clock)
    found = await cycles.get(cycle_id)
    if found is not None and found.status != "running":
        return {"persisted": True}
    status = cycle_status(state)
    finals = final_decisions(state)
    decisions = DecisionRepository(db, env, clock=clock)
    outputs = AgentOutputRepository(db, env, clock=clock)
    rounds = ConsensusRoundRepository(db, env, clock=clock)
    totals = usage_totals(state)
    statements: list[Statement] = [
        cycles.finish_statement(
            cycle_id,
            status=status,  # type: ignore[arg-type]
            finished_at=clock.now(),
            tokens_used=totals["tokens_in"] + totals["tokens_out"],
            cost_usd=totals["cost_usd"],
            wall_ms=wall_ms,
            error=state.get("error"),
        )
    ]
    for final in finals:
        symbol = final.proto.instrument.symbol
        statements.append(
            decisions.insert_statement(
                final.proto,
                cycle_id=cycle_id,
                status=final.status,
                lineage=_lineage(state, symbol),
                metadata={
                    "round": state.get("round", 0),
                    "client_order_id": final.client_order_id,
                    "trigger": state.get("trigger", ""),
                    "constraints": _constraints_for(state, final.proto.decision_id),
                },
            )
        )
    for call in state.get("calls", []):
        output = (
            call["output"]
            if call.get("output") is not None
            else {
                "error_code": call.get("error_code"),
                "error": call.get("error"),
            }
        )
        statements.append(
            outputs.insert_statement(
                AgentOutputRecord(
                    id=f"{cycle_id}|{call['agent']}|{call['symbol']}|{call['round']}",
                    cycle_id=cycle_id,
                    agent=call["agent"],
                    output={**output, "_meta": _meta(call)},
                    symbol=call["symbol"],
                    round=call["round"],
                    model=call["model"],
                    tokens_in=call["tokens_in"],
                    tokens_out=call["tokens_out"],
                    cost_usd=call["cost_usd"],
                    latency_ms=call["latency_ms"],
                )
            )
        )
    for entry in state.get("rounds", []):
        statements.append(
            rounds.insert_statement(
                ConsensusRoundRecord(
                    id=f"{cycle_id}|round|{entry['round']}",
                    cycle_id=cycle_id,
                    round=entry["round"],
                    plan={"decisions": entry["plan"], "summary": entry["summary"]},
                    verdicts=[
                        {"agent": agent, **value} for agent, value in entry["verdicts"].items()
                    ],
                    approved=entry["approved"],
                )
            )
        )
    announced = [
        events.event(
            DECISION_MADE,
            {
                "cycle_id": cycle_id,
                "decision_id": f.proto.decision_id,
                "symbol": f.proto.instrument.symbol,
                "action": f.summary()["action"],
                "status": f.status,
                "reason_code": f.proto.reason_code,
            },
            cycle_id=cycle_id,
        )
        for f in finals
    ]
    announced += [
        events.event(
            ORDER_SUBMITTED,
            {
                "cycle_id": cycle_id,
                "decision_id": order["decision_id"],
                "client_order_id": order["client_order_id"],
                "symbol": order["symbol"],
                "side": order.get("side", ""),
                "quantity": order.get("quantity", ""),
                "status": order.get("status", ""),
            },
            cycle_id=cycle_id,
        )
        for order in state.get("orders", [])
        if order.get("accepted")
    ]
    announced.extend(before_completion)
    announced.append(
        events.event(
            CYCLE_COMPLETED if status == "completed" else CYCLE_FAILED,
            {
                "cycle_id": cycle_id,
                "status": status,
                "decisions": len(finals),
                "orders": sum(1 for o in state.get("orders", []) if o.get("accepted")),
                "wall_ms": wall_ms,
                "error": state.get("error"),
            },
            cycle_id=cycle_id,
        )
    )
    await events.commit(statements, announced)
    await _remember(state, finals, memory)
    return {"persisted": True}


def _constraints_for(state: CycleState, decision_id: str) -> dict[str, Any] | None:
    """This decision's CheckConstraints result (its check and violations), if it was checked."""
    found = state.get("constraints") or {}
    checks = [c for c in found.get("decisions", []) if c.get("decision_id") == decision_id]
    if not checks:
        return None
    return {
        "check": checks[0],
        "violations": [
            v for v in found.get("violations", []) if v.get("decision_id") in ("", decision_id)
        ],
        "trading_state": found.get("trading_state"),
        "policy_version": found.get("policy_version"),
    }


def _meta(call: dict[str, Any]) -> dict[str, Any]:
    return {
        key: call.get(key)
        for key in ("provider", "prompt_hash", "attempts", "error_code", "note", "tool_calls")
        if call.get(key) is not None
    }


async def _remember(
    state: CycleState, finals: list[FinalDecision], memory: CaseMemory | None
) -> None:
    """Records each decided (not failed) symbol in case memory; failures are not cases."""
    if memory is None:
        return
    situations = state.get("situations", {})
    entries: list[CaseEntry] = []
    for final in finals:
        symbol = final.proto.instrument.symbol
        raw = situations.get(symbol)
        if raw is None or final.planned is None or final.status == "no_trade":
            continue
        planned = final.planned
        situation = Situation(
            symbol=symbol,
            as_of=datetime.fromisoformat(raw["as_of"]),
            last_bar_close=datetime.fromisoformat(raw["last_bar_close"]),
            regime=Regime(raw["regime"]),
            values=np.asarray(raw["values"], dtype=np.float32),
            feature_version=raw["feature_version"],
        )
        case = CaseDecision(
            action=planned.action,  # type: ignore[arg-type]
            direction=planned.direction,  # type: ignore[arg-type]
            rationale=planned.rationale,
            confidence=planned.confidence,
            horizon_bars=HORIZON_BARS,
            quantity=planned.quantity if final.status == "executed" else 0.0,
            entry_price=planned.limit_price,
        )
        entries.append(
            CaseEntry(
                final.proto.decision_id, situation, case, state["config_version"], state["cycle_id"]
            )
        )
    try:
        # One transaction for the cycle's cases.
        await memory.record_many(entries)
    except Exception:  # memory is advisory; the decisions themselves are already stored
        log.exception("case memory could not record cycle %s", state["cycle_id"])
