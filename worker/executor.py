"""The trading cycle as the worker sees it: one awaitable that runs a `CycleRequest`.

The worker does not use the graph's internals; it needs `run(request, stop=...)` and
nothing else, so tests hand in their own executors and the process uses the real runner
(`workflows.trading_cycle.runner.CycleRunner`).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from cream.settings import Settings
from workflows.trading_cycle.contract import CycleRequest, CycleResult


class CycleExecutor(Protocol):
    """Runs one trading cycle to completion, or to the next checkpoint once `stop` is set."""

    async def run(self, request: CycleRequest, *, stop: asyncio.Event) -> CycleResult:
        """The cycle's result; one stopped at a checkpoint returns status `interrupted`."""
        ...


class RunnerUnavailableError(Exception):
    """The trading-cycle runner cannot be loaded, so the worker cannot run cycles."""

    code = "CYCLE_RUNNER_UNAVAILABLE"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def load_cycle_runner(settings: Settings) -> AbstractAsyncContextManager[CycleExecutor]:
    """`CycleRunner.from_settings(settings)`: an async context manager yielding the runner.

    Imported on use: the graph pulls in LangGraph and the providers, which tests of the
    scheduler do not need.

    Raises:
        RunnerUnavailableError: The runner cannot be imported (a broken install).
    """
    try:
        from workflows.trading_cycle.runner import CycleRunner
    except ImportError as exc:
        raise RunnerUnavailableError(
            f"the trading-cycle runner cannot be loaded ({exc}); the worker cannot run cycles"
        ) from exc
    return CycleRunner.from_settings(settings)
