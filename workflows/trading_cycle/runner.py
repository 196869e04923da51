"""Running one trading cycle: config, providers, the graph with its checkpointer, results.

`CycleRunner.run(request)` starts a cycle (or resumes one whose `cycle_id` has a checkpoint),
streams node updates as progress, and returns a `CycleResult`. Checkpoints are stored with
`thread_id = cycle_id` (LangGraph's SQLite checkpointer), so an interrupted cycle — a crash,
or a `stop` event between steps — resumes where it stopped; the `client_order_id` of every
order is derived from (cycle, decision, leg), so a resume never submits twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import grpc
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from pydantic import ValidationError

from agents.providers.base import DEFAULT_MAX_TOOL_ROUNDS, Provider
from agents.tools import ToolData
from cream.clock import Clock, SystemClock
from cream.config.models import DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL
from cream.config.reader import ConfigReader
from cream.config.schema import AGENT_MODEL_CLASS, ConfigDocument
from cream.context.source import ContextSource
from cream.engine.client import EngineClient
from cream.events.envelope import EventEnvelope
from cream.events.log import EventLog, notifier_for
from cream.events.types import CYCLE_STAGE, CYCLE_STARTED
from cream.memory.store import CaseMemory
from cream.settings import Environment, Settings
from cream.storage.cycles import CycleRepository
from cream.storage.database import Database
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from workflows.trading_cycle.budget import BudgetLimits, CycleBudget
from workflows.trading_cycle.calls import (
    AgentCaller,
    EngineOptionChains,
    RequestBuilder,
    ResolvedAgent,
    tool_data_from_state,
)
from workflows.trading_cycle.checkpoints import open_checkpointer
from workflows.trading_cycle.contract import (
    CycleRequest,
    CycleResult,
    Progress,
    ProgressCallback,
)
from workflows.trading_cycle.graph import CycleRun, compiled_graph, unknown_steps
from workflows.trading_cycle.nodes import CycleDeps, CycleNodes
from workflows.trading_cycle.persist import cycle_status, final_decisions, persist, usage_totals
from workflows.trading_cycle.state import CycleState

log = logging.getLogger(__name__)

SYMBOL: Final = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")
RULES_MODEL: Final = "rules-v1"
KEY_ENV: Final = {"gemini": "GOOGLE_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
OTHER_PROVIDER_MODELS: Final = {
    ("gemini", "pro"): DEFAULT_PRO_MODEL,
    ("gemini", "flash"): DEFAULT_FLASH_MODEL,
    # claude-sonnet-4-5 reaches end-of-life on 2026-11-30 (the SDK warns on every call).
    ("anthropic", "pro"): "claude-opus-4-5",
    ("anthropic", "flash"): "claude-haiku-4-5",
}
ProviderFactory = Callable[[str], Provider]


class CycleSetupError(Exception):
    """The cycle cannot start; nothing was traded. `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def new_cycle_id(now: datetime) -> str:
    """A sortable, unique cycle id: `c-YYYYMMDDTHHMMSSZ-<6 hex>`."""
    return f"c-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _has_key(settings: Settings, provider: str) -> bool:
    if provider == "gemini":
        return bool(settings.google_api_key)
    if provider == "anthropic":
        return bool(settings.anthropic_api_key)
    return True


def resolve_agents(
    document: ConfigDocument, settings: Settings, override: str | None
) -> dict[str, ResolvedAgent]:
    """The provider and model each agent runs on.

    An explicit `override` is obeyed or refused, never swapped. A configured LLM provider
    without its key falls back to the offline `rules` model outside LIVE (the embedded
    default of ARCHITECTURE §2), and the swap is recorded in every call's lineage; in LIVE it
    is refused.

    Raises:
        CycleSetupError: PROVIDER_KEY_MISSING or UNKNOWN_PROVIDER.
    """
    resolved: dict[str, ResolvedAgent] = {}
    for name, agent in document.agents.by_name().items():
        provider = override or agent.provider
        if provider not in ("rules", "gemini", "anthropic", "replay"):
            raise CycleSetupError("UNKNOWN_PROVIDER", f"unknown provider {provider!r}")
        model, note = agent.model, None
        if override in ("gemini", "anthropic") and override != agent.provider:
            model = OTHER_PROVIDER_MODELS[(override, AGENT_MODEL_CLASS[name])]
        if not _has_key(settings, provider):
            if override or settings.cream_env == Environment.LIVE:
                raise CycleSetupError(
                    "PROVIDER_KEY_MISSING",
                    f"{name} needs the {provider} provider but {KEY_ENV[provider]} is not set",
                )
            note = f"{KEY_ENV[provider]} is not set; the offline rules model ran instead"
            provider = "rules"
        if provider == "rules":
            model = RULES_MODEL
        resolved[name] = ResolvedAgent(
            provider, agent.model_copy(update={"model": model, "provider": provider}), note
        )
    return resolved


def budget_limits(document: ConfigDocument) -> BudgetLimits:
    trading = document.trading
    return BudgetLimits(
        max_tokens=trading.cycle_token_budget,
        max_cost_usd=Decimal(str(trading.cycle_cost_budget_usd)),
        max_wall_ms=trading.cycle_wall_budget_ms,
    )


@dataclass
class RunnerParts:
    """What a runner is built from; `from_settings` opens them, tests pass their own."""

    settings: Settings
    db: Database
    engine: EngineClient
    market: md_grpc.MarketDataServiceStub
    events: EventLog
    checkpoints: Path
    clock: Clock = field(default_factory=SystemClock)
    memory: CaseMemory | None = None
    context_sources: Sequence[ContextSource] = ()
    providers: ProviderFactory | None = None
    build_request: RequestBuilder | None = None
    budget_limits: BudgetLimits | None = None
    after_submit: Any = None
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS


class CycleRunner:
    """Runs trading cycles for one environment."""

    def __init__(self, parts: RunnerParts) -> None:
        self.parts = parts
        self._providers: dict[str, Provider] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @classmethod
    @asynccontextmanager
    async def from_settings(
        cls, settings: Settings, *, clock: Clock | None = None
    ) -> AsyncIterator[CycleRunner]:
        """A runner wired from the process settings (database, engine, events, memory)."""
        async with AsyncExitStack() as stack:
            db = await Database.connect(settings.cream_db_url)
            stack.push_async_callback(db.close)
            engine = EngineClient(settings.cream_engine_addr)
            stack.push_async_callback(engine.close)
            channel = grpc.aio.insecure_channel(settings.cream_engine_addr)
            stack.push_async_callback(channel.close)
            env = settings.cream_env.value
            the_clock = clock or SystemClock()
            events = EventLog(
                db,
                env,
                producer="cycle",
                notifier=notifier_for(settings.redis_url),
                clock=the_clock,
            )
            memory = await CaseMemory.open(db, env, clock=the_clock)
            sources, close_sources = await _context_sources(the_clock)
            stack.push_async_callback(close_sources)
            checkpoints = Path("var") / f"checkpoints-{env.lower()}.sqlite"
            runner = cls(
                RunnerParts(
                    settings=settings,
                    db=db,
                    engine=engine,
                    market=md_grpc.MarketDataServiceStub(channel),
                    events=events,
                    checkpoints=checkpoints,
                    clock=the_clock,
                    memory=memory,
                    context_sources=sources,
                )
            )
            stack.push_async_callback(runner.aclose)
            yield runner

    @asynccontextmanager
    async def _checkpointer(self) -> AsyncIterator[AsyncSqliteSaver]:
        """The checkpoint store for one run; closed in the background after the run.

        Closing the last connection of a WAL database copies the WAL back into it (about
        10 ms for a 20-symbol cycle's 2.5 MB). Every commit is durable before that, so the
        cycle's result need not wait for it; `aclose` (and the process's shutdown) does.
        """
        stack = AsyncExitStack()
        saver = await stack.enter_async_context(open_checkpointer(self.parts.checkpoints))
        try:
            yield saver
        finally:
            task = asyncio.create_task(stack.aclose(), name="cream-checkpoints-close")
            self._closing.add(task)
            task.add_done_callback(self._closed)

    def _closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("the checkpoint store did not close cleanly", exc_info=task.exception())

    async def aclose(self) -> None:
        """Waits for the checkpoint stores of finished runs to close, and closes the providers
        this runner built (their HTTP connections)."""
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        for provider in self._providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
        self._providers.clear()

    def _provider(self, name: str) -> Provider:
        if name not in self._providers:
            factory = self.parts.providers or _default_provider_factory(self.parts.settings)
            self._providers[name] = factory(name)
        return self._providers[name]

    async def _config(self, request: CycleRequest) -> tuple[ConfigDocument, int]:
        env = self.parts.settings.cream_env.value
        reader = ConfigReader(self.parts.db, clock=self.parts.clock)
        if request.use_draft:
            version = await reader.draft(env)
            if version is None:
                raise CycleSetupError(
                    "CONFIG_DRAFT_MISSING",
                    f"there is no draft config in {env} to try; create one with "
                    "`cream config set` or the dashboard",
                )
            number = version.parent_version or 0
        else:
            active = await reader.active(env)
            if active is None:
                raise CycleSetupError(
                    "CONFIG_NOT_ACTIVE",
                    f"no active config in {env}; run `cream db seed` or promote a draft",
                )
            version, number = active, active.version or 0
        try:
            return ConfigDocument.model_validate(version.data), number
        except ValidationError as exc:
            raise CycleSetupError(
                "CONFIG_INVALID", f"config version {number} does not validate: {exc}"
            ) from None

    def _symbols(self, request: CycleRequest, document: ConfigDocument) -> list[str]:
        symbols = list(dict.fromkeys(request.symbols or document.universe.symbols))
        bad = [s for s in symbols if not SYMBOL.match(s)]
        if bad:
            raise CycleSetupError(
                "INVALID_SYMBOL", f"not ticker symbols: {', '.join(bad)} (use e.g. AAPL, BRK.B)"
            )
        if not symbols:
            raise CycleSetupError("NO_SYMBOLS", "the cycle has no symbols to trade")
        return symbols

    async def run(
        self,
        request: CycleRequest,
        *,
        stop: asyncio.Event | None = None,
        progress: ProgressCallback | None = None,
    ) -> CycleResult:
        """Runs (or resumes) one cycle to its end, or to the checkpoint after `stop` is set.

        Raises:
            CycleSetupError: The cycle could not start (config, symbols, providers).
        """
        parts = self.parts
        env = parts.settings.cream_env.value
        cycles = CycleRepository(parts.db, env, clock=parts.clock)
        cycle_id = request.cycle_id or new_cycle_id(parts.clock.now())
        async with self._checkpointer() as saver:
            config: Any = {"configurable": {"thread_id": cycle_id}, "recursion_limit": 100}
            previous = await saver.aget_tuple(config)
            resume = previous is not None
            if previous is not None:
                stale = unknown_steps(previous, compiled_graph().nodes)
                if stale:
                    raise CycleSetupError(
                        "CHECKPOINT_INCOMPATIBLE",
                        f"cycle {cycle_id} was checkpointed by an older version of the cycle "
                        f"with work queued for {', '.join(sorted(stale))}, which this version "
                        "has no longer; it cannot be resumed: start a new cycle",
                    )
                values: dict[str, Any] = dict(previous.checkpoint["channel_values"])
                document, number = await self._config(CycleRequest(use_draft=request.use_draft))
                number = int(values.get("config_version", number))
                symbols = list(values.get("symbols", []))
            else:
                document, number = await self._config(request)
                symbols = self._symbols(request, document)
            agents = resolve_agents(document, parts.settings, request.provider)
            providers = {a.provider: self._provider(a.provider) for a in agents.values()}
            budget = CycleBudget(parts.budget_limits or budget_limits(document))
            started = time.monotonic()
            as_of = parts.clock.now()
            if not resume:
                existing = await cycles.get(cycle_id)
                if existing is None or existing.status == "queued":
                    await parts.events.commit(
                        [
                            cycles.start_statement(
                                cycle_id,
                                config_version=number,
                                symbols=symbols,
                                started_at=as_of,
                                trigger=request.trigger,
                            )
                        ],
                        [
                            parts.events.event(
                                CYCLE_STARTED,
                                {
                                    "cycle_id": cycle_id,
                                    "symbols": symbols,
                                    "config_version": number,
                                    "trigger": request.trigger,
                                    "environment": env,
                                    "use_draft": request.use_draft,
                                },
                                cycle_id=cycle_id,
                            )
                        ],
                    )
            option_chains = EngineOptionChains(parts.market)

            async def tool_data() -> ToolData:
                # A resumed run's agents read what OBSERVE and ORIENT checkpointed (every
                # symbol's context and the portfolio): agents run after ORIENT, whose
                # checkpoint is durable before they start (durability="sync"). A fresh run's
                # ORIENT hands the same values over directly (`prime_tool_data`).
                snapshot = await graph.aget_state(config)
                return tool_data_from_state(snapshot.values, option_chains)

            caller = AgentCaller(
                providers,
                agents,
                budget,
                parts.build_request or _default_request_builder(),
                tool_data=tool_data,
                max_tool_rounds=parts.max_tool_rounds,
                tool_feed=option_chains,
            )

            def stage_event(name: str, state: str, round_: int, detail: str) -> EventEnvelope:
                return parts.events.event(
                    CYCLE_STAGE,
                    {
                        "cycle_id": cycle_id,
                        "stage": name,
                        "state": state,
                        "round": round_,
                        "detail": detail,
                    },
                    cycle_id=cycle_id,
                )

            reporter = StageReporter(parts.events)

            async def stage(name: str, state: str, round_: int, detail: str) -> None:
                reporter.put(stage_event(name, state, round_, detail))
                if progress is not None:
                    await progress(Progress(cycle_id, name, state, round_, detail))  # type: ignore[arg-type]

            deps = CycleDeps(
                environment=env,
                config=document,
                caller=caller,
                engine=parts.engine,
                market=parts.market,
                clock=parts.clock,
                memory=parts.memory,
                context_sources=parts.context_sources,
                stage=stage,
                after_submit=parts.after_submit,
                db=parts.db,
            )
            nodes = CycleNodes(deps)

            async def persist_node(state: CycleState) -> dict[str, Any]:
                await stage("persist", "started", 0, "")
                await reporter.flush()
                result = await persist(
                    state,
                    db=parts.db,
                    events=parts.events,
                    clock=parts.clock,
                    memory=parts.memory,
                    wall_ms=int((time.monotonic() - started) * 1000),
                    before_completion=[stage_event("persist", "completed", 0, "")],
                )
                if progress is not None:
                    await progress(Progress(cycle_id, "persist", "completed"))
                return result

            graph = compiled_graph().copy(update={"checkpointer": saver})
            run = CycleRun(nodes, persist_node)
            initial: CycleState | None = None
            if not resume:
                initial = {
                    "cycle_id": cycle_id,
                    "environment": env,
                    "config_version": number,
                    "as_of": as_of.isoformat(),
                    "trigger": request.trigger,
                    "symbols": symbols,
                    "max_rounds": document.trading.max_consensus_iterations,
                    "round": 0,
                    "failures": {},
                }
            interrupted = False
            final: dict[str, Any] | None = None
            try:
                async for values in graph.astream(
                    initial, config, context=run, stream_mode="values", durability="sync"
                ):
                    final = values
                    if stop is not None and stop.is_set():
                        interrupted = True
                        break
            finally:
                await reporter.close()
            if final is not None and not interrupted:
                # The stream ran to END: its last values are the final state.
                state: CycleState = final  # type: ignore[assignment]
                pending: tuple[str, ...] = ()
            else:
                snapshot = await graph.aget_state(config)
                state, pending = snapshot.values, snapshot.next  # type: ignore[assignment]
            if interrupted or pending:
                return CycleResult(
                    cycle_id=cycle_id,
                    status="interrupted",
                    environment=env,
                    config_version=number,
                    wall_ms=int((time.monotonic() - started) * 1000),
                    error="stopped at a checkpoint; run the cycle again with its id to resume",
                )
            return result_of(state, env, number, int((time.monotonic() - started) * 1000))


class StageReporter:
    """Commits progress events off the critical path, in order, batching what piles up.

    Stage events are written by one background task so the graph never waits on a database
    round trip to say where it is; `flush` waits until everything queued is committed (PERSIST
    calls it so every stage event precedes the cycle's closing event).
    """

    def __init__(self, events: EventLog) -> None:
        self._events = events
        self._queue: asyncio.Queue[EventEnvelope | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._write())

    def put(self, event: EventEnvelope) -> None:
        self._queue.put_nowait(event)

    async def _write(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            found = [e for e in batch if e is not None]
            if found:
                try:
                    await self._events.commit([], found)
                except Exception:  # progress is informative: never fail the cycle for it
                    log.exception("could not record %d progress event(s)", len(found))
            for _ in batch:
                self._queue.task_done()
            if any(e is None for e in batch):
                return

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        if not self._task.done():
            self._queue.put_nowait(None)
            await self._task


def result_of(state: CycleState, env: str, number: int, wall_ms: int) -> CycleResult:
    """The JSON-ready result of a finished cycle's state."""
    finals = final_decisions(state)
    return CycleResult(
        cycle_id=state["cycle_id"],
        status=cycle_status(state),  # type: ignore[arg-type]
        environment=env,
        config_version=number,
        decisions=[f.summary() for f in finals],
        rounds=list(state.get("rounds", [])),
        constraints=dict(state.get("constraints", {})),
        orders=[
            {k: v for k, v in order.items() if k != "order"} for order in state.get("orders", [])
        ],
        usage={**usage_totals(state), "snapshot_hash": state.get("snapshot_hash", "")},
        wall_ms=wall_ms,
        error=state.get("error"),
    )


def _default_provider_factory(settings: Settings) -> ProviderFactory:
    from agents.providers.registry import build_provider

    def factory(name: str) -> Provider:
        if name == "rules":
            from agents.rules import RulesProvider

            return RulesProvider()
        return build_provider(name, settings, redis_url=settings.redis_url)

    return factory


def _default_request_builder() -> RequestBuilder:
    from agents.roles import build_request

    return build_request


async def _context_sources(clock: Clock) -> tuple[list[ContextSource], Any]:
    import httpx

    from cream.context.config import ContextSettings, build_sources

    client = httpx.AsyncClient()
    sources = build_sources(ContextSettings(), client, clock=clock)
    return sources, client.aclose
