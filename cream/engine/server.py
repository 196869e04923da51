"""Build and run the engine's gRPC server: Execution and MarketData services, health, reflection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cream.clock import Clock, SystemClock
from cream.config.service import ConfigService
from cream.config.versions import ConfigVersion
from cream.config.watcher import ActiveConfigWatcher
from cream.engine.broker.alpaca.errors import LiveRefusedError
from cream.engine.broker.alpaca.reconcile import Reconciler
from cream.engine.broker.alpaca.runtime import (
    AlpacaOptions,
    AlpacaSupervisor,
    build_broker,
    uses_alpaca,
)
from cream.engine.broker.alpaca.safety import check_live_preconditions
from cream.engine.broker.port import BrokerPort
from cream.engine.broker.simulator import SimulatedBroker, SimulatorConfig
from cream.engine.core import OrderBook, RiskCore
from cream.engine.market_service import MarketDataServicer
from cream.engine.policy import DEFAULT_SECTORS, DEFAULT_UNIVERSE, default_policy
from cream.engine.schedules import ScheduleRunner
from cream.engine.service import ExecutionEngine
from cream.engine.servicer import ExecutionServicer, register_execution_service
from cream.engine.stops import StopMonitor
from cream.engine.tactic_plan import TacticDefaults
from cream.events.log import notifier_for
from cream.events.wakeups import Notifier
from cream.market.feed import MarketFeed
from cream.market.select import build_feed
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.storage.exit_legs import ExitLegRepository
from cream.storage.order_schedules import OrderScheduleRepository
from cream.storage.orders import OrderRepository
from cream.v1 import common_pb2 as common
from cream.v1 import (
    execution_pb2,
    market_snapshot_pb2,
    market_snapshot_pb2_grpc,
)

log = logging.getLogger(__name__)
# The transport refuses messages above this; the servicer's own plan limit is lower.
MAX_MESSAGE_BYTES = 8 << 20
SERVICE_NAMES = (
    execution_pb2.DESCRIPTOR.services_by_name["ExecutionService"].full_name,
    market_snapshot_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name,
    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
    reflection.SERVICE_NAME,
)


def proto_environment(environment: Environment) -> common.Environment.ValueType:
    """The protobuf enum value of a settings environment."""
    return common.Environment.Value(f"ENVIRONMENT_{environment.value}")


@dataclass
class EngineRuntime:
    """Everything a running engine owns, so it can be stopped in order."""

    engine: ExecutionEngine
    broker: BrokerPort
    db: Database
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    watcher: ActiveConfigWatcher
    notifier: Notifier
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    alpaca: AlpacaSupervisor | None = None
    schedules: ScheduleRunner | None = None

    async def reload_config(self) -> ConfigVersion | None:
        """Re-read the active config now (SIGHUP) and swap the risk policy if it changed."""
        return await self.watcher.reload()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop serving, then stop background work, then close the database."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        self.stopping.set()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.schedules is not None:
            await self.schedules.close()
        await self.engine.close()
        if self.alpaca is not None:
            await self.alpaca.close()
        await self.broker.close()
        await self.notifier.close()
        await self.db.close()


async def _all_executions(
    orders: OrderRepository,
) -> list[tuple[execution_pb2.Order, list[execution_pb2.Fill]]]:
    """Every stored order of the environment with its fills (to rebuild the simulator)."""
    result = []
    offset = 0
    while page := await orders.list(limit=1000, offset=offset):
        for order in page:
            result.append((order, await orders.fills(order.order_id)))
        offset += len(page)
    return result


async def start_engine(
    settings: Settings,
    *,
    listen: str,
    clock: Clock | None = None,
    feed: MarketFeed | None = None,
    simulator: SimulatorConfig | None = None,
    stop_interval_seconds: float = 1.0,
    policy: execution_pb2.RiskPolicy | None = None,
    extra_handlers: Sequence[grpc.GenericRpcHandler] = (),
    config_poll_seconds: float = 1.0,
    alpaca: AlpacaOptions | None = None,
    tactics: TacticDefaults | None = None,
    schedule_tick_seconds: float = 1.0,
) -> EngineRuntime:
    """Open the database, restore state, and start serving on ``listen`` (port 0 = any).

    The risk policy comes from the environment's active config version and follows every
    promotion or rollback without a restart; ``policy`` overrides it (benchmarks, tests),
    and the seed defaults apply while no version is active. Sliced execution tactics run
    in the background, paced by ``clock`` and re-checked every ``schedule_tick_seconds``.
    """
    clock = clock or SystemClock()
    environment = proto_environment(settings.cream_env)
    # Market feed chosen by CREAM_ENV / CREAM_MARKET_FEED / ALPACA_* (cream.market.select).
    feed = feed or build_feed(settings, clock, universe={*DEFAULT_UNIVERSE, *DEFAULT_SECTORS})
    db = await Database.connect(settings.cream_db_url)
    orders = OrderRepository(db, settings.cream_env.value)
    executions = await _all_executions(orders)
    # --- broker selection: Alpaca with keys in PAPER/LIVE, else the simulator ---
    if settings.cream_env == Environment.LIVE:
        await check_live_preconditions(settings, db)
    alpaca = alpaca or AlpacaOptions(
        mass_cancel_grace_seconds=30.0 if settings.cream_env == Environment.LIVE else None
    )
    broker: BrokerPort
    alpaca_broker = (
        build_broker(settings, clock=clock, options=alpaca) if uses_alpaca(settings) else None
    )
    if alpaca_broker is not None:
        broker = alpaca_broker
    else:
        simulated = SimulatedBroker(feed, clock, simulator, environment=environment)
        simulated.restore(executions)
        simulated.start()
        broker = simulated
    # --- end broker selection ---
    engine = ExecutionEngine(
        core=RiskCore(policy or default_policy()),
        book=OrderBook(),
        orders=orders,
        broker=broker,
        feed=feed,
        clock=clock,
        environment=environment,
        exit_legs=ExitLegRepository(db, settings.cream_env.value, clock=clock),
        tactics=tactics,
    )
    schedules = ScheduleRunner(
        engine,
        OrderScheduleRepository(db, settings.cream_env.value, clock=clock),
        orders,
        feed=feed,
        clock=clock,
        defaults=tactics,
        tick_seconds=schedule_tick_seconds,
    )
    notifier = notifier_for(settings.redis_url)
    watcher = ActiveConfigWatcher(
        ConfigService(db, notifier=notifier),
        settings.cream_env.value,
        consumer_name="engine.config",
        db=db,
        notifier=notifier,
        on_change=_policy_applier(engine, pinned=policy is not None),
        poll_interval=config_poll_seconds,
    )
    if await watcher.start() is None and policy is None:
        log.warning(
            "no active config for %s: running the seed defaults (run `cream db seed`)",
            settings.cream_env.value,
        )
    engine.set_levels(
        {
            order.symbol: (order.stop_loss, order.take_profit)
            for order, fills in executions
            if fills and not order.reduce_only and order.stop_loss and not order.legs
        }
    )
    await engine.start()
    # Children wait (not fail) while submissions are held for reconciliation.
    await schedules.start()
    # --- Alpaca: hold submissions until reconciled; LIVE refuses to serve without it ---
    supervisor = None
    if alpaca_broker is not None:
        supervisor = AlpacaSupervisor(
            alpaca_broker,
            Reconciler(
                alpaca_broker,
                orders,
                db,
                engine.apply_report,
                environment=settings.cream_env.value,
                clock=clock,
            ),
            engine,
            db=db,
            environment=settings.cream_env.value,
            clock=clock,
            options=alpaca,
        )
        await supervisor.start()
        if settings.cream_env == Environment.LIVE:
            try:
                await asyncio.wait_for(supervisor.reconciled.wait(), 60)
            except TimeoutError as exc:
                await supervisor.close()
                raise LiveRefusedError(
                    "LIVE did not complete reconciliation with Alpaca within 60 s",
                    code="LIVE_NOT_RECONCILED",
                ) from exc
    # --- end Alpaca ---

    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
    )
    register_execution_service(ExecutionServicer(engine), server)
    market_snapshot_pb2_grpc.add_MarketDataServiceServicer_to_server(
        MarketDataServicer(feed, clock), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(SERVICE_NAMES, server)
    server.add_generic_rpc_handlers(tuple(extra_handlers))
    port = server.add_insecure_port(listen)
    await server.start()
    for name in ("", *SERVICE_NAMES[:2]):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    monitor = StopMonitor(engine, feed, clock, stop_interval_seconds)
    runtime = EngineRuntime(
        engine=engine,
        broker=broker,
        db=db,
        server=server,
        port=port,
        health=health_servicer,
        watcher=watcher,
        notifier=notifier,
        alpaca=supervisor,
        schedules=schedules,
    )
    runtime.tasks.append(asyncio.create_task(monitor.run(), name="stop-monitor"))
    runtime.tasks.append(asyncio.create_task(watcher.run(runtime.stopping), name="config-watcher"))
    return runtime


def _policy_applier(
    engine: ExecutionEngine, *, pinned: bool
) -> Callable[[ConfigVersion], Awaitable[None]]:
    async def apply(version: ConfigVersion) -> None:
        if pinned:
            log.info("config %s ignored: this engine runs a pinned policy", version.label)
            return
        # An invalid policy raises and leaves the previous one in force (fail closed).
        engine.core.set_policy(version.risk_policy())
        log.info("risk policy now from config %s", version.label)

    return apply
