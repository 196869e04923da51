"""Waiting on the engine without sleeps: wake on each execution message, then re-probe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from cream.engine.server import EngineRuntime

T = TypeVar("T")


class HasRuntime(Protocol):
    runtime: EngineRuntime


class Watch:
    """Wakes on every execution message the engine publishes; ``until`` re-probes each time.

    Enter it before triggering what is awaited, so no message is missed.
    """

    def __init__(self, harness: HasRuntime) -> None:
        self._engine = harness.runtime.engine
        self._event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watch:
        self._task = asyncio.create_task(self._listen())
        await asyncio.sleep(0)  # subscribed before anything is triggered
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _listen(self) -> None:
        async for _ in self._engine.executions([]):
            self._event.set()

    async def until(self, probe: Callable[[], Awaitable[T]], ready: Callable[[T], bool]) -> T:
        """The first probed value ``ready`` accepts, probing after every message."""
        async with asyncio.timeout(10):  # a hang guard, not a timing assertion
            while True:
                self._event.clear()
                value = await probe()
                if ready(value):
                    return value
                await self._event.wait()


def kick(harness: HasRuntime) -> None:
    """Wake the engine's schedules (after the test moved the clock)."""
    assert harness.runtime.schedules is not None
    harness.runtime.schedules.kick()
