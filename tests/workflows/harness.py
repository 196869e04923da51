"""A real engine (gRPC, simulator broker, synthetic feed) and a cycle runner wired to it.

Everything runs on loopback with one file database and a manual clock at a Wednesday market
open, so cycles are deterministic. The engine runs in-process, or in a child process of its
own (`separate_engine=True`) as `cream up` runs it, so that its background work (simulated
fills, stop monitor, config watcher) does not share the cycle's interpreter. `FaultyProvider`
wraps a real provider and injects one scripted fault per call of a chosen agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

import grpc
from pydantic import BaseModel

from agents.providers.base import Generation, GenerationRequest, Provider, Usage
from agents.providers.output import parse_output
from agents.rules.provider import RulesProvider
from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.engine.broker.simulator import SimulatorConfig
from cream.engine.client import EngineClient
from cream.engine.policy import DEFAULT_SECTORS, DEFAULT_UNIVERSE
from cream.engine.server import EngineRuntime, start_engine
from cream.events.log import EventLog
from cream.market.synthetic import SyntheticFeed
from cream.memory.store import CaseMemory
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from workflows.trading_cycle.runner import CycleRunner, RunnerParts

# A Wednesday, 10:00 in New York: the market is open.
MARKET_OPEN = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)

# A fault: given the request, return an answer (model or raw text), raise, or return None to
# let the wrapped provider answer.
Fault = Callable[[GenerationRequest[Any]], Any]


class FaultyProvider:
    """Delegates to `inner`, except for scripted faults per agent (consumed in order)."""

    def __init__(self, inner: Provider, faults: dict[str, list[Fault]] | None = None) -> None:
        self.inner = inner
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.requests: list[GenerationRequest[Any]] = []

    @property
    def name(self) -> str:
        return self.inner.name

    async def generate(self, request: GenerationRequest[Any]) -> Generation[Any]:
        self.requests.append(request)
        queue = self.faults.get(request.agent)
        if queue:
            fault = queue.pop(0)
            result = fault(request)
            if asyncio.iscoroutine(result):
                result = await result
            if isinstance(result, str):
                # Raw text, validated like an LLM's answer.
                output = parse_output(request.schema, result, source="fault", usage=Usage())
                return Generation(output, Usage(), self.name, request.model, "", result)
            if isinstance(result, BaseModel):
                return Generation(result, Usage(), self.name, request.model, "", "")
        return await self.inner.generate(request)


class EngineHandle(Protocol):
    """What the harness needs of a running engine."""

    @property
    def port(self) -> int: ...

    async def stop(self, grace: float = 5.0) -> None: ...


class EngineProcess:
    """The harness's engine in a child process: same database, clock time and feed."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self._process = process
        self._conn = conn
        self.port = 0

    @classmethod
    async def start(cls, db_url: str, symbols: tuple[str, ...]) -> EngineProcess:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve_engine, args=(db_url, symbols, theirs), name="cream-engine", daemon=True
        )
        process.start()
        engine = cls(process, ours)

        def started() -> bool:
            # Whichever comes first: the port on the pipe, or the child's death.
            return ours in wait([ours, process.sentinel], 120)

        if not await asyncio.to_thread(started):
            process.kill()
            raise RuntimeError(
                f"the engine process did not start (exit code {process.exitcode}); see its stderr"
            )
        engine.port = int(ours.recv())
        return engine

    async def stop(self, grace: float = 5.0) -> None:
        with contextlib.suppress(OSError):  # the child is gone already
            self._conn.send("stop")
        await asyncio.to_thread(self._process.join, max(grace, 10.0))
        if self._process.is_alive():
            self._process.kill()
            await asyncio.to_thread(self._process.join, 10.0)


def _serve_engine(db_url: str, symbols: tuple[str, ...], conn: Connection) -> None:
    async def serve() -> None:
        runtime = await _start_engine(db_url, symbols)
        conn.send(runtime.port)
        await asyncio.to_thread(conn.recv)
        await runtime.stop(0)

    asyncio.run(serve())


async def _start_engine(db_url: str, symbols: tuple[str, ...]) -> EngineRuntime:
    clock = ManualClock(MARKET_OPEN)
    settings = Settings(cream_env=Environment.PAPER, cream_db_url=db_url)
    feed = SyntheticFeed(sorted({*DEFAULT_UNIVERSE, *DEFAULT_SECTORS, *symbols}), clock)
    return await start_engine(
        settings,
        listen="127.0.0.1:0",
        clock=clock,
        feed=feed,
        simulator=SimulatorConfig(tick_seconds=0.02),
        stop_interval_seconds=0.05,
    )


@dataclass
class CycleHarness:
    runtime: EngineHandle
    engine: EngineClient
    channel: grpc.aio.Channel
    db: Database
    clock: ManualClock
    settings: Settings
    tmp: Path
    provider: FaultyProvider
    events: EventLog
    memory: CaseMemory
    runners: list[CycleRunner] = field(default_factory=list)

    def runner(self, **overrides: Any) -> CycleRunner:
        parts = RunnerParts(
            settings=self.settings,
            db=self.db,
            engine=self.engine,
            market=md_grpc.MarketDataServiceStub(self.channel),
            events=self.events,
            checkpoints=self.tmp / "checkpoints.sqlite",
            clock=self.clock,
            memory=self.memory,
            providers=lambda _name: self.provider,
        )
        for key, value in overrides.items():
            setattr(parts, key, value)
        runner = CycleRunner(parts)
        self.runners.append(runner)
        return runner

    async def configure(self, *assignments: str) -> None:
        """Promotes a config with these `key=value` changes (the real promote workflow)."""
        service = ConfigService(self.db, clock=self.clock)
        env = self.settings.cream_env.value
        await service.set_values(env, list(assignments), by="test")
        await service.validate(env, by="test")
        await service.promote(env, by="test")

    async def close(self) -> None:
        for runner in self.runners:
            await runner.aclose()
        await self.engine.close()
        await self.channel.close()
        await self.runtime.stop(0)
        await self.db.close()


async def start_harness(
    tmp: Path, *, symbols: tuple[str, ...] = (), separate_engine: bool = False
) -> CycleHarness:
    clock = ManualClock(MARKET_OPEN)
    url = f"file:{tmp / 'cream.db'}"
    settings = Settings(cream_env=Environment.PAPER, cream_db_url=url)
    db = await Database.connect(url)
    await ConfigService(db, clock=clock).seed("PAPER")
    runtime: EngineHandle = (
        await EngineProcess.start(url, symbols)
        if separate_engine
        else await _start_engine(url, symbols)
    )
    address = f"127.0.0.1:{runtime.port}"
    engine = EngineClient(address, timeout=10)
    channel = grpc.aio.insecure_channel(address)
    events = EventLog(db, "PAPER", producer="cycle", clock=clock)
    memory = await CaseMemory.open(db, "PAPER", clock=clock)
    return CycleHarness(
        runtime=runtime,
        engine=engine,
        channel=channel,
        db=db,
        clock=clock,
        settings=settings,
        tmp=tmp,
        provider=FaultyProvider(RulesProvider()),
        events=events,
        memory=memory,
    )
