"""In-process wake-ups: the `Notifier` protocol and its asyncio implementation.

A wake-up only says "the log of this environment grew"; it carries no event. Consumers
poll anyway, so a lost wake-up delays delivery by at most one poll interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol


class Wakeup:
    """One subscriber's flag: set by a publish, cleared when the subscriber wakes."""

    def __init__(self, on_close: Callable[[Wakeup], None] | None = None) -> None:
        self._event = asyncio.Event()
        self._on_close = on_close

    def set(self) -> None:
        """Marks the log as grown (safe to call from the subscriber's event loop only)."""
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Waits up to `timeout` seconds for a wake-up; True if one came. Clears the flag."""
        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True

    def close(self) -> None:
        """Stops receiving wake-ups."""
        if self._on_close is not None:
            self._on_close(self)
            self._on_close = None


class Notifier(Protocol):
    """Publishes "the log grew" after a commit and hands out `Wakeup`s to consumers."""

    async def publish(self, environment: str) -> bool:
        """Announces new events of `environment`; False when the announcement was lost."""
        ...

    async def subscribe(self, environment: str) -> Wakeup:
        """A `Wakeup` set by every later publish for `environment`."""
        ...

    async def close(self) -> None:
        """Releases connections and tasks."""
        ...


class InProcessNotifier:
    """Wake-ups within one process (the embedded default without `REDIS_URL`).

    Callbacks registered with `add_listener` run synchronously on publish, for code that
    wants a push (a dashboard fan-out) instead of a `Wakeup`.
    """

    def __init__(self) -> None:
        self._wakeups: dict[str, set[Wakeup]] = {}
        self._listeners: dict[str, list[Callable[[str], None]]] = {}

    async def publish(self, environment: str) -> bool:
        """Sets every `Wakeup` of the environment and calls its listeners."""
        for wakeup in list(self._wakeups.get(environment, ())):
            wakeup.set()
        for listener in list(self._listeners.get(environment, ())):
            listener(environment)
        return True

    async def subscribe(self, environment: str) -> Wakeup:
        """A new `Wakeup` for the environment."""
        wakeup = Wakeup(on_close=lambda w: self._wakeups[environment].discard(w))
        self._wakeups.setdefault(environment, set()).add(wakeup)
        return wakeup

    def add_listener(self, environment: str, callback: Callable[[str], None]) -> None:
        """Calls `callback(environment)` on every publish for the environment."""
        self._listeners.setdefault(environment, []).append(callback)

    async def close(self) -> None:
        """Forgets every subscriber."""
        self._wakeups.clear()
        self._listeners.clear()
