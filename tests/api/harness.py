"""A real API server for tests: uvicorn on a free loopback port over a migrated file database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from api.options import ApiOptions
from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.engine.client import EngineClient
from cream.events.wakeups import InProcessNotifier
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as dec
from tests.servers import free_port

TOKEN = "test-api-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class ApiServer:
    """A running API: its base URL, database, clock, and an authenticated-free HTTP client."""

    base_url: str
    db: Database
    clock: ManualClock
    http: httpx.AsyncClient
    notifier: InProcessNotifier
    app: FastAPI

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws"


@contextlib.asynccontextmanager
async def running_api(
    folder: Path,
    clock: ManualClock,
    *,
    engine_address: str | None = None,
    dashboard_dist: Path | None = None,
    seed: bool = True,
    worker_listen: str | None = None,
    market_poll_seconds: float = 0.05,
) -> AsyncIterator[ApiServer]:
    """Starts uvicorn with `create_app` in this event loop; stops it on exit."""
    from api.main import create_app

    settings = Settings(
        cream_env=Environment.PAPER,
        cream_db_url=f"file:{folder / 'api.db'}",
        cream_api_token=TOKEN,
        cream_engine_addr=engine_address or f"127.0.0.1:{free_port()}",
        cream_worker_listen=worker_listen or f"127.0.0.1:{free_port()}",
    )
    db = await Database.connect(settings.cream_db_url)
    if seed:
        await ConfigService(db, clock=clock).seed("PAPER")
    notifier = InProcessNotifier()
    engine = EngineClient(settings.cream_engine_addr, timeout=5, attempts=1)
    extra = {"dashboard_dist": dashboard_dist} if dashboard_dist is not None else {}
    app = create_app(
        settings,
        db=db,
        engine_client=engine,
        clock=clock,
        notifier=notifier,
        token_path=folder / "api-token",
        hub_poll_interval=0.05,
        options=ApiOptions(market_poll_seconds=market_poll_seconds, worker_timeout_seconds=5),
        **extra,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_level="warning",
            ws="websockets-sansio",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        try:
            yield ApiServer(base, db, clock, http, notifier, app)
        finally:
            server.should_exit = True
            await task
            await engine.close()
            await db.close()


def make_decision(
    decision_id: str,
    *,
    symbol: str = "AAPL",
    action: common.Action.ValueType = common.ACTION_BUY,
) -> dec.Decision:
    """A valid decision for the stores."""
    return dec.Decision(
        decision_id=decision_id,
        instrument=common.Instrument(instrument_type=common.INSTRUMENT_TYPE_EQUITY, symbol=symbol),
        action=action,
        direction=common.DIRECTION_LONG,
        size=dec.Size(value="10", unit=common.SIZE_UNIT_SHARES),
        order_plan=dec.OrderPlan(order_type=common.ORDER_TYPE_LIMIT, limit_price="189.25"),
        risk_levels=dec.RiskLevels(stop_loss="180.00", take_profit="205.50"),
        rationale=dec.Rationale(summary=f"{symbol} setup", bullish_factors=["trend"]),
        confidence=0.7,
    )


def tick(clock: ManualClock, seconds: float = 1) -> None:
    """Moves the clock so the next rows get a later created_at."""
    clock.advance(timedelta(seconds=seconds))


def assert_error_shape(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """Checks the one error shape and the echoed correlation id; returns the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details", "correlation_id"}, body
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body
