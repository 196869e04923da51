"""The trading-cycle graph (ARCHITECTURE §5): a LangGraph `StateGraph`.

    observe → orient → research ×symbols → trader → (risk_manager ∥ critic) → consensus
      → trader (revise, ≤ max rounds) | act → persist

`research` is one `Send` per symbol: the symbol's three analysts at once, then its bull and
bear researchers at once, so all 60 analyst calls of a 20-symbol cycle run together (bounded
only by the providers' rate limiters) and no symbol waits for another before its researchers
start. The two approvers are parallel branches that join at `consensus`. A failed OBSERVE
goes straight to PERSIST, which records every symbol as NO_TRADE with the reason.

The topology does not depend on the cycle, so it is compiled once per process
(`compiled_graph`); each run binds its own `CycleNodes` and PERSIST through LangGraph's
runtime context (`CycleRun`), and its checkpointer with `Pregel.copy`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import CheckpointTuple
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from workflows.trading_cycle.nodes import CycleNodes
from workflows.trading_cycle.state import CycleState

PersistNode = Callable[[CycleState], Awaitable[dict[str, Any]]]
NodeFunction = Callable[[Any, Runtime["CycleRun"]], Awaitable[dict[str, Any]]]

# Nodes bound to the run's `CycleNodes` method of the same name.
_BOUND = (
    "observe",
    "orient",
    "research",
    "trader",
    "risk_manager",
    "critic",
    "consensus",
    "act",
)


@dataclass(frozen=True, slots=True)
class CycleRun:
    """What one run's nodes execute: its `CycleNodes` and its PERSIST node."""

    nodes: CycleNodes
    persist: PersistNode


def after_observe(state: CycleState) -> str:
    return "persist" if state.get("status") == "failed" else "orient"


def _bound(name: str) -> NodeFunction:
    async def node(state: Any, runtime: Runtime[CycleRun]) -> dict[str, Any]:
        method: Callable[[Any], Awaitable[dict[str, Any]]] = getattr(runtime.context.nodes, name)
        return await method(state)

    node.__name__ = node.__qualname__ = name
    return node


async def _persist(state: CycleState, runtime: Runtime[CycleRun]) -> dict[str, Any]:
    return await runtime.context.persist(state)


def build_graph() -> StateGraph[CycleState, CycleRun, CycleState, CycleState]:
    """The uncompiled graph; run it with `context=CycleRun(...)`."""
    graph = StateGraph(CycleState, context_schema=CycleRun)
    for name in _BOUND:
        graph.add_node(name, _bound(name))  # type: ignore[call-overload]
    graph.add_node("persist", _persist)
    graph.add_edge(START, "observe")
    graph.add_conditional_edges("observe", after_observe, ["orient", "persist"])
    graph.add_conditional_edges("orient", CycleNodes.fan_out_research, ["research", "trader"])
    graph.add_edge("research", "trader")
    graph.add_edge("trader", "risk_manager")
    graph.add_edge("trader", "critic")
    graph.add_edge(["risk_manager", "critic"], "consensus")
    graph.add_conditional_edges("consensus", CycleNodes.after_consensus, ["trader", "act"])
    graph.add_edge("act", "persist")
    graph.add_edge("persist", END)
    return graph


@functools.cache
def compiled_graph() -> CompiledStateGraph[CycleState, CycleRun, CycleState, CycleState]:
    """The compiled graph without a checkpointer (shared; `copy` it to attach one)."""
    return build_graph().compile()


_TASKS = "__pregel_tasks"
_BRANCH = "branch:to:"


def unknown_steps(saved: CheckpointTuple, steps: Collection[str]) -> set[str]:
    """Steps a checkpoint still has work queued for that `steps` (this graph) lacks.

    LangGraph drops such work without a word when it resumes ("Ignoring unknown node name"),
    so a cycle checkpointed by an older topology would skip it and carry on as if it had run.
    Queued work is a pending `Send`, or an edge into a step whose trigger is not consumed.
    """
    checkpoint = saved.checkpoint
    pending = [
        *checkpoint["channel_values"].get(_TASKS, []),
        *(value for _, channel, value in saved.pending_writes or () if channel == _TASKS),
    ]
    unknown = {p.node for p in pending if isinstance(p, Send) and p.node not in steps}
    # An edge's trigger channel holds a value until its step has run.
    for channel in checkpoint["channel_values"]:
        target = channel.removeprefix(_BRANCH)
        if channel.startswith(_BRANCH) and target not in steps:
            unknown.add(target)
    return unknown
