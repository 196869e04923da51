"""Build and run the engine's gRPC server: ExecutionService, health and reflection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cream.clock import Clock, SystemClock
from cream.engine.broker.simulator import SimulatedBroker, SimulatorConfig
from cream.engine.core import OrderBook, RiskCore
from cream.engine.policy import DEFAULT_SECTORS, DEFAULT_UNIVERSE, default_policy
from cream.engine.service import ExecutionEngine
from cream.engine.servicer import ExecutionServicer
from cream.engine.stops import StopMonitor
from cream.market.feed import MarketFeed
from cream.market.synthetic import SyntheticFeed
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.storage.orders import OrderRepository
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2, execution_pb2_grpc

log = logging.getLogger(__name__)
# The transport refuses messages above this; the servicer's own plan limit is lower.
MAX_MESSAGE_BYTES = 8 << 20
SERVICE_NAMES = (
    execution_pb2.DESCRIPTOR.services_by_name["ExecutionService"].full_name,
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
    broker: SimulatedBroker
    db: Database
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop serving, then stop background work, then close the database."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.engine.close()
        await self.broker.close()
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
) -> EngineRuntime:
    """Open the database, restore state, and start serving on ``listen`` (port 0 = any)."""
    clock = clock or SystemClock()
    environment = proto_environment(settings.cream_env)
    feed = feed or SyntheticFeed(sorted({*DEFAULT_UNIVERSE, *DEFAULT_SECTORS}), clock)
    db = await Database.connect(settings.cream_db_url)
    orders = OrderRepository(db, settings.cream_env.value)
    broker = SimulatedBroker(feed, clock, simulator, environment=environment)
    executions = await _all_executions(orders)
    broker.restore(executions)
    broker.start()
    engine = ExecutionEngine(
        core=RiskCore(policy or default_policy()),
        book=OrderBook(),
        orders=orders,
        broker=broker,
        feed=feed,
        clock=clock,
        environment=environment,
    )
    engine.set_levels(
        {
            order.symbol: (order.stop_loss, order.take_profit)
            for order, fills in executions
            if fills and not order.reduce_only and order.stop_loss and not order.legs
        }
    )
    await engine.start()

    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
    )
    execution_pb2_grpc.add_ExecutionServiceServicer_to_server(ExecutionServicer(engine), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(SERVICE_NAMES, server)
    server.add_generic_rpc_handlers(tuple(extra_handlers))
    port = server.add_insecure_port(listen)
    await server.start()
    for name in ("", SERVICE_NAMES[0]):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    monitor = StopMonitor(engine, feed, clock, stop_interval_seconds)
    runtime = EngineRuntime(
        engine=engine, broker=broker, db=db, server=server, port=port, health=health_servicer
    )
    runtime.tasks.append(asyncio.create_task(monitor.run(), name="stop-monitor"))
    return runtime
