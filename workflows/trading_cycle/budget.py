"""Per-cycle budgets: tokens, dollars and wall time (ARCHITECTURE §5 Budgets).

Every LLM call asks the budget first; once a limit is reached no new call starts, and what is
left becomes NO_TRADE with reason BUDGET_EXHAUSTED. Calls already in flight finish and are
counted (their tokens were spent), so the totals may end slightly above a token or dollar
limit, never far above: at most the calls that were already running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from agents.providers.base import Usage


class BudgetExhaustedError(Exception):
    """No new LLM call may start in this cycle."""

    code = "BUDGET_EXHAUSTED"

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.code}: {message}")
        self.message = message


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """The limits of one cycle; `None` means unlimited."""

    max_tokens: int | None = None
    max_cost_usd: Decimal | None = None
    max_wall_ms: int | None = None


class CycleBudget:
    """What one cycle has spent, checked before every call."""

    def __init__(
        self,
        limits: BudgetLimits,
        *,
        elapsed_ms: int = 0,
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._limits = limits
        self._monotonic_ns = monotonic_ns
        # A resumed cycle carries the wall time it had already used.
        self._started_ns = monotonic_ns() - elapsed_ms * 1_000_000
        self.spent = Usage()
        self.calls = 0

    def add(self, usage: Usage) -> None:
        """Counts one finished (or failed) call."""
        self.spent = self.spent + usage
        self.calls += 1

    def elapsed_ms(self) -> int:
        return max(0, (self._monotonic_ns() - self._started_ns) // 1_000_000)

    def remaining_s(self) -> float | None:
        """Seconds of wall time left, or None without a wall limit."""
        if self._limits.max_wall_ms is None:
            return None
        return max(0.0, (self._limits.max_wall_ms - self.elapsed_ms()) / 1000)

    def check(self) -> None:
        """Raises `BudgetExhaustedError` when any limit has been reached."""
        limits = self._limits
        tokens = self.spent.input_tokens + self.spent.output_tokens
        if limits.max_tokens is not None and tokens >= limits.max_tokens:
            raise BudgetExhaustedError(
                f"token budget of {limits.max_tokens} reached ({tokens} used)"
            )
        if limits.max_cost_usd is not None and self.spent.cost_usd >= limits.max_cost_usd:
            raise BudgetExhaustedError(
                f"cost budget of ${limits.max_cost_usd} reached (${self.spent.cost_usd} used)"
            )
        if limits.max_wall_ms is not None and self.elapsed_ms() >= limits.max_wall_ms:
            raise BudgetExhaustedError(
                f"wall-time budget of {limits.max_wall_ms} ms reached ({self.elapsed_ms()} ms)"
            )
