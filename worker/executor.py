"""The trading cycle as the worker sees it: one awaitable that runs a `CycleRequest`.

The worker does not import the graph's internals; it needs `run(request, stop=...)` and
nothing else, so tests hand in their own executors and the process loads the real runner
(`workflows.trading_cycle.runner.CycleRunner`) by name.
"""

from __future__ import annotations

import asyncio
import importlib
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, cast

from cream.settings import Settings
from workflows.trading_cycle.contract import CycleRequest, CycleResult

RUNNER_MODULE = "workflows.trading_cycle.runner"


class CycleExecutor(Protocol):
    """Runs one trading cycle to completion, or to the next checkpoint once `stop` is set."""

    async def run(self, request: CycleRequest, *, stop: asyncio.Event) -> CycleResult:
        """The cycle's result; a cycle stopped at a checkpoint returns status `cancelled`."""
        ...


class RunnerUnavailableError(Exception):
    """The trading-cycle runner cannot be loaded, so the worker cannot run cycles."""

    code = "CYCLE_RUNNER_UNAVAILABLE"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def load_cycle_runner(settings: Settings) -> AbstractAsyncContextManager[CycleExecutor]:
    """`CycleRunner.from_settings(settings)`: an async context manager yielding the runner.

    Raises:
        RunnerUnavailableError: The runner module or class is missing.
    """
    try:
        module = importlib.import_module(RUNNER_MODULE)
    except ModuleNotFoundError as exc:
        raise RunnerUnavailableError(
            f"{RUNNER_MODULE} is not installed ({exc}); the worker cannot run trading cycles"
        ) from exc
    runner_class: Any = getattr(module, "CycleRunner", None)
    if runner_class is None:
        raise RunnerUnavailableError(f"{RUNNER_MODULE} has no CycleRunner")
    return cast(AbstractAsyncContextManager[CycleExecutor], runner_class.from_settings(settings))
