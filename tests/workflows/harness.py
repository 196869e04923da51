"""A real engine (gRPC, simulator broker, synthetic feed) and a cycle runner wired to it.

Everything runs in-process on loopback with one file database and a manual clock at a
Wednesday market open, so cycles are deterministic. `FaultyProvider` wraps a real provider
and injects one scripted fault per call of a chosen agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


@dataclass
class CycleHarness:
    runtime: EngineRuntime
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


async def start_harness(tmp: Path, *, symbols: tuple[str, ...] = ()) -> CycleHarness:
    clock = ManualClock(MARKET_OPEN)
    url = f"file:{tmp / 'cream.db'}"
    settings = Settings(cream_env=Environment.PAPER, cream_db_url=url)
    db = await Database.connect(url)
    await ConfigService(db, clock=clock).seed("PAPER")
    feed = SyntheticFeed(sorted({*DEFAULT_UNIVERSE, *DEFAULT_SECTORS, *symbols}), clock)
    runtime = await start_engine(
        settings,
        listen="127.0.0.1:0",
        clock=clock,
        feed=feed,
        simulator=SimulatorConfig(tick_seconds=0.02),
        stop_interval_seconds=0.05,
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
