"""A circuit breaker: after repeated failures, stop calling a dependency for a while.

CLOSED counts failures in a sliding window; ``failure_threshold`` failures within
``window_seconds`` OPEN it. While OPEN every call is refused at once. After
``open_seconds`` it is HALF_OPEN: ``half_open_probes`` calls may go through; a success closes
it, a failure opens it again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

from cream.engine.errors import UnavailableError


class BreakerState(StrEnum):
    """Where the breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(UnavailableError):
    """The breaker is open: the dependency failed repeatedly and is not being called."""

    code = "CIRCUIT_OPEN"


class CircuitBreaker:
    """See the module docstring.

    Args:
        name: What it guards (for messages).
        failure_threshold: Failures within the window that open the breaker.
        window_seconds: The sliding window for counting failures.
        open_seconds: How long it stays open before probing.
        half_open_probes: Calls allowed through while half-open.
        monotonic: Time source (injected by tests).
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        window_seconds: float = 60.0,
        open_seconds: float = 30.0,
        half_open_probes: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._threshold = failure_threshold
        self._window = window_seconds
        self._open_seconds = open_seconds
        self._probes = half_open_probes
        self._monotonic = monotonic
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._probes_in_flight = 0

    @property
    def state(self) -> BreakerState:
        """CLOSED, OPEN or HALF_OPEN now."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._monotonic() - self._opened_at < self._open_seconds:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def before_call(self) -> None:
        """Admit a call or refuse it.

        Raises:
            CircuitOpenError: The breaker is open, or half-open with its probes taken.
        """
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and self._probes_in_flight < self._probes:
            self._probes_in_flight += 1
            return
        assert self._opened_at is not None
        retry_in = max(0.0, self._open_seconds - (self._monotonic() - self._opened_at))
        raise CircuitOpenError(
            f"{self.name} failed {self._threshold} times within {self._window:.0f} s; calls are "
            f"paused (next probe in {retry_in:.1f} s)",
            breaker=self.name,
        )

    def record_success(self) -> None:
        """A call succeeded: a half-open breaker closes."""
        self._failures.clear()
        self._opened_at = None
        self._probes_in_flight = 0

    def record_failure(self) -> None:
        """A call failed: count it; a half-open breaker opens again at once."""
        now = self._monotonic()
        if self._opened_at is not None:
            self._opened_at = now
            self._probes_in_flight = 0
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self._window:
            self._failures.popleft()
        if len(self._failures) >= self._threshold:
            self._opened_at = now
            self._failures.clear()
