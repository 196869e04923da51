"""Runs one cycle in this process against an engine elsewhere and dies (`os._exit`, like a
kill -9: no cleanup, no further checkpoint) right after the first SubmitOrder is accepted.

    python -m tests.workflows.crash_cycle ENGINE_ADDR DB_URL CHECKPOINTS CYCLE_ID SYMBOLS
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import grpc

from agents.rules import RulesProvider
from cream.clock import ManualClock
from cream.engine.client import EngineClient
from cream.events.log import EventLog
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from tests.workflows.harness import MARKET_OPEN
from workflows.trading_cycle.contract import CycleRequest
from workflows.trading_cycle.runner import CycleRunner, RunnerParts


async def main(address: str, url: str, checkpoints: str, cycle_id: str, symbols: str) -> None:
    clock = ManualClock(MARKET_OPEN)
    db = await Database.connect(url)
    channel = grpc.aio.insecure_channel(address)

    async def die(_order: dict[str, Any]) -> None:
        os._exit(137)

    parts = RunnerParts(
        settings=Settings(cream_env=Environment.PAPER, cream_db_url=url),
        db=db,
        engine=EngineClient(address, timeout=10),
        market=md_grpc.MarketDataServiceStub(channel),
        events=EventLog(db, "PAPER", producer="cycle", clock=clock),
        checkpoints=Path(checkpoints),
        clock=clock,
        providers=lambda _name: RulesProvider(),
        after_submit=die,
    )
    request = CycleRequest(
        cycle_id=cycle_id, symbols=tuple(symbols.split(",")), provider="rules", trigger="test"
    )
    await CycleRunner(parts).run(request)
    print("the cycle finished without submitting an order", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
