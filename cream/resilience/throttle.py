"""A local submit throttle: a second guard against a runaway loop sending orders.

Unlike the token bucket it never waits: a submission beyond ``max_submits`` within
``window_seconds`` is refused, because a burst of orders that large is a bug, not load.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SubmitThrottle:
    """At most ``max_submits`` admissions within any ``window_seconds``.

    Args:
        max_submits: Admissions allowed per window.
        window_seconds: The sliding window.
        monotonic: Time source (injected by tests).
    """

    def __init__(
        self,
        max_submits: int = 20,
        window_seconds: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_submits < 1 or window_seconds <= 0:
            raise ValueError("a throttle needs max_submits >= 1 and window_seconds > 0")
        self.max_submits = max_submits
        self.window_seconds = window_seconds
        self._monotonic = monotonic
        self._admitted: deque[float] = deque()

    def admit(self) -> bool:
        """Record a submission and return True, or return False when over the limit."""
        now = self._monotonic()
        while self._admitted and now - self._admitted[0] >= self.window_seconds:
            self._admitted.popleft()
        if len(self._admitted) >= self.max_submits:
            return False
        self._admitted.append(now)
        return True
