"""What the running worker knows about itself right now (reported by /health)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cream.storage.timestamps import format_utc


@dataclass(frozen=True, slots=True)
class RunningCycle:
    """The cycle this process is running."""

    cycle_id: str | None
    trigger: str
    run_key: str
    started_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "cycle_id": self.cycle_id,
            "trigger": self.trigger,
            "run_key": self.run_key,
            "started_at": format_utc(self.started_at),
        }


@dataclass
class WorkerState:
    """Mutable, process-local state; the durable record is `job_runs`."""

    started_at: datetime
    running: dict[str, datetime] = field(default_factory=dict)
    cycle: RunningCycle | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
