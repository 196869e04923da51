"""The graph's state: JSON-ready values only, so every checkpoint can be stored and resumed.

Fan-out nodes write disjoint keys into merged dicts; `failures` keeps the FIRST failure of a
symbol (the step that actually failed, not what followed from it); `calls` and `rounds`
accumulate.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


def merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Later writes win per key."""
    return {**(left or {}), **(right or {})}


def keep_first(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """The first write of a key wins."""
    return {**(right or {}), **(left or {})}


class CycleState(TypedDict, total=False):
    cycle_id: str
    environment: str
    config_version: int
    as_of: str
    trigger: str
    symbols: list[str]
    max_rounds: int
    snapshot_hash: str
    # symbol → SymbolContext (JSON); symbol → SymbolLimits (JSON)
    contexts: dict[str, dict[str, Any]]
    limits: dict[str, dict[str, Any]]
    portfolio: dict[str, Any]
    risk_limits: dict[str, str]
    # symbol → the engine's SymbolSnapshot (JSON), kept for ORIENT after a resume
    entries: dict[str, dict[str, Any]]
    # symbol → the memory situation (for recording the case after the cycle)
    situations: dict[str, dict[str, Any]]
    # "SYMBOL|agent" → output JSON
    analyses: Annotated[dict[str, dict[str, Any]], merge]
    theses: Annotated[dict[str, dict[str, Any]], merge]
    # symbol → {reason_code, failed_step, error}
    failures: Annotated[dict[str, dict[str, Any]], keep_first]
    calls: Annotated[list[dict[str, Any]], operator.add]
    # The consensus loop.
    round: int
    pending: list[str]
    plan: dict[str, dict[str, Any]]
    plan_summary: str
    problems: dict[str, list[str]]
    # "round|agent" → {"verdicts": {symbol: verdict JSON}} or {"error": ..., "code": ...}
    verdicts: Annotated[dict[str, dict[str, Any]], merge]
    feedback: dict[str, list[str]]
    approved: dict[str, dict[str, Any]]
    rounds: Annotated[list[dict[str, Any]], operator.add]
    # ACT
    constraints: dict[str, Any]
    outcomes: dict[str, dict[str, Any]]
    orders: list[dict[str, Any]]
    status: str
    error: str | None
    persisted: bool
