"""The trading cycle: parallelism against the critical path, calls and prompt size per symbol,
and the offline `rules` cycle's cost per symbol.

- `cycle_wall_over_critical_path`: 20 symbols; every LLM call takes exactly 200 ms from
  its start (the rules answer is worked out inside those 200 ms, after the calls started
  with it are under way, as a remote model thinks on its own machine), behind a
  per-provider limiter of 64 calls in flight. Wall time divided by the critical path:
  analyst + researcher + trader + one approval round = 4 calls = 800 ms; the median of 3
  cycles (7 without --quick). The engine runs in its own process, as `cream up` runs it,
  and the cycle's process freezes its startup heap first, as the worker does
  (`cream.heap`). `..._engine_in_process` (without --quick) is the same with the engine in
  the cycle's process; `..._16_in_flight` is one cycle under the default Gemini limiter
  (16 in flight), because that is what a real key gets by default.
- `cycle_llm_calls_per_symbol`, `cycle_prompt_tokens_per_symbol`: the same 20-symbol cycle,
  prompts as written (system and user message), counted exactly with the `cl100k_base`
  tokenizer (`agents.providers.tokens.count_tokens`, embedded in the Rust core).
- `cycle_rules_ms_per_symbol`: a full offline cycle with `rules`, per symbol (engine over
  gRPC, file database, persistence and events included).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agents.providers.base import Generation, GenerationRequest, Provider
from agents.providers.limits import LimitedProvider, ProviderLimiter
from agents.providers.prompting import user_message
from agents.providers.tokens import count_tokens
from agents.rules import RulesProvider
from cream.heap import freeze_startup_heap
from tests.workflows.harness import CycleHarness, start_harness
from workflows.trading_cycle.contract import CycleRequest

SYMBOLS = (
    "SPY", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "JPM", "XOM",
    "JNJ", "PG", "V", "MA", "HD", "KO", "PEP", "UNH", "BAC", "WMT",
)  # fmt: skip
CALL_SECONDS = 0.2
CRITICAL_PATH_CALLS = 4
# The 64-in-flight cycle is run several times and the median reported: one cycle's wall
# swings by about 5 % with whatever else the machine does.
WIDE_RUNS_QUICK = 3
WIDE_RUNS = 7


class TimedProvider:
    """The rules answers, each call taking exactly `delay_s`; keeps the requests to count later.

    Tokens are counted after the cycle (`prompt_tokens`), so the benchmark's own counting
    does not add to the wall time it measures.
    """

    def __init__(self, delay_s: float) -> None:
        self._inner = RulesProvider()
        self._delay_s = delay_s
        self.requests: list[GenerationRequest[Any]] = []

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def calls(self) -> int:
        return len(self.requests)

    def prompt_tokens(self) -> int:
        """The prompt tokens of every call made so far (system and user message)."""
        return sum(count_tokens(r.system) + count_tokens(user_message(r)) for r in self.requests)

    async def generate(self, request: GenerationRequest[Any]) -> Generation[Any]:
        # The call takes exactly `delay_s` from its start. A remote model thinks on its own
        # machine, so the scripted answer is worked out while the call waits: after yielding
        # once, when the calls started with it are under way, and within the 200 ms.
        deadline = time.monotonic() + self._delay_s
        self.requests.append(request)
        await asyncio.sleep(0)
        answer = await self._inner.generate(request)
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        return answer


async def _cycle(harness: CycleHarness, provider: Provider) -> float:
    runner = harness.runner(providers=lambda _name: provider)
    started = time.perf_counter()
    result = await runner.run(CycleRequest(symbols=SYMBOLS, provider="rules", trigger="benchmark"))
    elapsed = time.perf_counter() - started
    # The runner's housekeeping after the result (closing the checkpoint store) is not the
    # cycle's wall, but it must not spill into the next measured cycle either.
    await runner.aclose()
    if result.status != "completed":
        raise RuntimeError(f"benchmark cycle {result.status}: {result.error}")
    return elapsed


async def _wide(harness: CycleHarness, runs: int) -> tuple[float, TimedProvider]:
    """The median wall of `runs` 64-in-flight cycles, and the last run's provider."""
    walls: list[float] = []
    timed = TimedProvider(CALL_SECONDS)
    for _ in range(runs):
        timed = TimedProvider(CALL_SECONDS)
        wide = LimitedProvider(timed, ProviderLimiter(64, 100_000, key="bench-wide"))
        walls.append(await _cycle(harness, wide))
    return statistics.median(walls), timed


async def _run(quick: bool) -> dict[str, Any]:
    runs = WIDE_RUNS_QUICK if quick else WIDE_RUNS
    with tempfile.TemporaryDirectory() as tmp:
        # The engine in its own process, as `cream up` runs it.
        harness = await start_harness(Path(tmp), symbols=SYMBOLS, separate_engine=True)
        freeze_startup_heap()  # as the worker does once its setup is done
        try:
            rules_runs = 1 if quick else 3
            await _cycle(harness, RulesProvider())  # warm-up: imports, caches, first writes
            rules = min([await _cycle(harness, RulesProvider()) for _ in range(rules_runs)])
            wall, timed = await _wide(harness, runs)
            calls, tokens = timed.calls, timed.prompt_tokens()
            narrow = LimitedProvider(
                TimedProvider(CALL_SECONDS), ProviderLimiter(16, 100_000, key="bench-16")
            )
            wall_16 = await _cycle(harness, narrow)
        finally:
            await harness.close()
    critical = CRITICAL_PATH_CALLS * CALL_SECONDS
    n = len(SYMBOLS)
    figures = {
        "cycle_wall_over_critical_path": round(wall / critical, 3),
        "cycle_wall_over_critical_path_16_in_flight": round(wall_16 / critical, 3),
        "cycle_llm_calls_per_symbol": round(calls / n, 2),
        "cycle_prompt_tokens_per_symbol": round(tokens / n),
        "cycle_rules_ms_per_symbol": round(rules * 1000 / n, 1),
    }
    if not quick:
        with tempfile.TemporaryDirectory() as tmp:
            # The same cycles with the engine sharing the cycle's interpreter (its simulated
            # fills and background loops then compete with the cycle for the GIL).
            harness = await start_harness(Path(tmp), symbols=SYMBOLS)
            try:
                await _cycle(harness, RulesProvider())
                shared, _ = await _wide(harness, runs)
            finally:
                await harness.close()
        figures["cycle_wall_over_critical_path_engine_in_process"] = round(shared / critical, 3)
    return figures


def run(quick: bool) -> dict[str, Any]:
    """The cycle suite's figures."""
    return asyncio.run(_run(quick))
