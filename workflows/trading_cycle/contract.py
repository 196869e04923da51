"""What callers (CLI, worker, benchmarks) hand the trading cycle and what they get back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Trigger = Literal["schedule", "api", "cli", "benchmark", "test"]
# "interrupted": stopped at a checkpoint; running the same cycle_id again resumes it.
CycleStatus = Literal["completed", "failed", "cancelled", "interrupted"]


@dataclass(frozen=True, slots=True)
class CycleRequest:
    """One cycle to run.

    `cycle_id` is given when the cycle was requested earlier (API trigger, or a resume of an
    interrupted cycle); otherwise one is made. `symbols` overrides the config's universe.
    """

    cycle_id: str | None = None
    symbols: tuple[str, ...] | None = None
    use_draft: bool = False
    trigger: Trigger = "cli"
    requested_by: str = "system"
    # Forces one provider for every agent ("rules", "gemini", "anthropic", "replay").
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class CycleResult:
    """The cycle's outcome, JSON-ready (`cream cycle --json` prints `as_dict()`)."""

    cycle_id: str
    status: CycleStatus
    environment: str
    config_version: int
    decisions: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    constraints: dict[str, Any] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    wall_ms: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle_id": self.cycle_id,
            "status": self.status,
            "environment": self.environment,
            "config_version": self.config_version,
            "decisions": self.decisions,
            "rounds": self.rounds,
            "constraints": self.constraints,
            "orders": self.orders,
            "usage": self.usage,
            "wall_ms": self.wall_ms,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress update: a stage starting, finishing or failing."""

    cycle_id: str
    stage: str
    state: Literal["started", "completed", "failed"]
    round: int = 0
    detail: str = ""


ProgressCallback = Callable[[Progress], Awaitable[None]]
