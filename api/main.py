"""The app factory: builds the dependencies, registers the routers, handles start and stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from api.context import ApiContext, Repositories
from api.correlation import CorrelationMiddleware
from api.engine import EngineGateway
from api.errors import install_error_handlers
from api.market_publisher import MarketPublisher
from api.options import ApiOptions
from api.routers import (
    audit,
    auth,
    config,
    cycles,
    decisions,
    health,
    market,
    orders,
    portfolio,
    system,
    ws,
)
from api.static import DEFAULT_DIST, mount_dashboard
from api.websocket_hub import EventHub
from api.worker_probe import WorkerProbe
from cream.clock import Clock, SystemClock
from cream.config.service import ConfigService
from cream.engine.client import EngineClient
from cream.events.log import EventLog, notifier_for
from cream.events.wakeups import Notifier
from cream.heap import freeze_startup_heap
from cream.security import DEFAULT_TOKEN_PATH, load_or_create_token
from cream.settings import Settings
from cream.storage.database import Database

API_VERSION = "1.0.0"


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    engine_client: EngineClient | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    token_path: Path = DEFAULT_TOKEN_PATH,
    dashboard_dist: Path = DEFAULT_DIST,
    hub_poll_interval: float = 0.5,
    options: ApiOptions | None = None,
) -> FastAPI:
    """The Cream API.

    Args:
        settings: Environment, database URL, engine address, Redis URL, API token.
        db: An open database to use (not closed on shutdown); else one is opened.
        engine_client: The engine client to use (not closed); else one for
            `settings.cream_engine_addr`.
        clock: Source of every timestamp.
        notifier: Event wake-ups; default from `settings.redis_url`.
        token_path: The token file used when `CREAM_API_TOKEN` is unset.
        dashboard_dist: The built dashboard.
        hub_poll_interval: Seconds between outbox reads of `/ws` without a wake-up.
        options: The API's knobs (default: from `CREAM_API_*`).
    """
    knobs = options or ApiOptions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        used_clock = clock or SystemClock()
        token = settings.cream_api_token or load_or_create_token(token_path)
        database = db or await Database.connect(settings.cream_db_url)
        wakeups = notifier or notifier_for(settings.redis_url)
        client = engine_client or EngineClient(settings.cream_engine_addr, attempts=2)
        gateway = EngineGateway(client)
        environment = settings.cream_env.value
        hub = EventHub(database, environment, notifier=wakeups, poll_interval=hub_poll_interval)
        publisher = MarketPublisher(
            hub, gateway, clock=used_clock, interval=knobs.market_poll_seconds
        )
        probe = WorkerProbe(settings.cream_worker_listen, timeout=knobs.worker_timeout_seconds)
        app.state.context = ApiContext(
            settings=settings,
            environment=environment,
            db=database,
            engine=gateway,
            config=ConfigService(database, clock=used_clock, notifier=wakeups),
            events=EventLog(
                database, environment, producer="api", notifier=wakeups, clock=used_clock
            ),
            hub=hub,
            market=publisher,
            worker=probe,
            clock=used_clock,
            token=token,
            repos=Repositories.build(database, environment, used_clock),
            started_at=used_clock.now(),
        )
        await hub.start()
        await publisher.start()
        freeze_startup_heap()
        try:
            yield
        finally:
            await publisher.stop()
            await hub.stop()
            await probe.close()
            if engine_client is None:
                await gateway.close()
            if notifier is None:
                await wakeups.close()
            if db is None:
                await database.close()

    app = FastAPI(
        title="Cream API",
        version=API_VERSION,
        description="REST and WebSocket API of the Cream trading service.",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.add_middleware(CorrelationMiddleware)
    install_error_handlers(app)
    for module in (
        health,
        auth,
        market,
        portfolio,
        decisions,
        cycles,
        orders,
        config,
        system,
        audit,
        ws,
    ):
        app.include_router(module.router)
    mount_dashboard(app, dashboard_dist)
    return app
