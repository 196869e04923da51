"""The trading-cycle graph (ARCHITECTURE §5): a LangGraph `StateGraph`.

    observe → orient → analyst ×(symbols × 3) → research_gate → researcher ×(symbols × 2)
      → trader → (risk_manager ∥ critic) → consensus → trader (revise, ≤ max rounds) | act
      → persist

The analyst and researcher fan-outs are `Send`s, so every call of a stage runs at once
(bounded only by the providers' rate limiters); the two approvers are parallel branches that
join at `consensus`. A failed OBSERVE goes straight to PERSIST, which records every symbol as
NO_TRADE with the reason.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from workflows.trading_cycle.state import CycleState

PersistNode = Any


def after_observe(state: CycleState) -> str:
    return "persist" if state.get("status") == "failed" else "orient"


def build_graph(nodes: Any, persist_node: PersistNode) -> StateGraph:  # type: ignore[type-arg]
    """The uncompiled graph over `nodes` (a `CycleNodes`) and the persist node."""
    graph = StateGraph(CycleState)
    graph.add_node("observe", nodes.observe)
    graph.add_node("orient", nodes.orient)
    graph.add_node("analyst", nodes.analyst)
    graph.add_node("research_gate", nodes.research_gate)
    graph.add_node("researcher", nodes.researcher)
    graph.add_node("trader", nodes.trader)
    graph.add_node("risk_manager", nodes.risk_manager)
    graph.add_node("critic", nodes.critic)
    graph.add_node("consensus", nodes.consensus)
    graph.add_node("act", nodes.act)
    graph.add_node("persist", persist_node)
    graph.add_edge(START, "observe")
    graph.add_conditional_edges("observe", after_observe, ["orient", "persist"])
    graph.add_conditional_edges("orient", nodes.fan_out_analysts, ["analyst", "research_gate"])
    graph.add_edge("analyst", "research_gate")
    graph.add_conditional_edges(
        "research_gate", nodes.fan_out_researchers, ["researcher", "trader"]
    )
    graph.add_edge("researcher", "trader")
    graph.add_edge("trader", "risk_manager")
    graph.add_edge("trader", "critic")
    graph.add_edge(["risk_manager", "critic"], "consensus")
    graph.add_conditional_edges("consensus", nodes.after_consensus, ["trader", "act"])
    graph.add_edge("act", "persist")
    graph.add_edge("persist", END)
    return graph
