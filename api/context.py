"""`ApiContext`: everything a request handler needs, built once per process by the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.engine import EngineGateway
from api.market_publisher import MarketPublisher
from api.websocket_hub import EventHub
from api.worker_probe import WorkerProbe
from cream.clock import Clock
from cream.config.service import ConfigService
from cream.events.log import EventLog
from cream.settings import Settings
from cream.storage.agent_outputs import AgentOutputRepository
from cream.storage.api_sessions import SessionRepository
from cream.storage.audit_log import AuditLogRepository
from cream.storage.consensus_rounds import ConsensusRoundRepository
from cream.storage.cycles import CycleRepository
from cream.storage.database import Database
from cream.storage.decisions import DecisionRepository
from cream.storage.equity import EquityRepository
from cream.storage.orders import OrderRepository


@dataclass(frozen=True, slots=True)
class Repositories:
    """The environment's repositories the routes read and write."""

    cycles: CycleRepository
    decisions: DecisionRepository
    agent_outputs: AgentOutputRepository
    rounds: ConsensusRoundRepository
    orders: OrderRepository
    sessions: SessionRepository
    audit: AuditLogRepository
    equity: EquityRepository

    @classmethod
    def build(cls, db: Database, environment: str, clock: Clock) -> Repositories:
        """All repositories of `environment` over `db`."""
        return cls(
            cycles=CycleRepository(db, environment, clock=clock),
            decisions=DecisionRepository(db, environment, clock=clock),
            agent_outputs=AgentOutputRepository(db, environment, clock=clock),
            rounds=ConsensusRoundRepository(db, environment, clock=clock),
            orders=OrderRepository(db, environment, clock=clock),
            sessions=SessionRepository(db, environment, clock=clock),
            audit=AuditLogRepository(db, environment, clock=clock),
            equity=EquityRepository(db, environment, clock=clock),
        )


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The process's dependencies; one instance lives on `app.state.context`."""

    settings: Settings
    environment: str
    db: Database
    engine: EngineGateway
    config: ConfigService
    events: EventLog
    hub: EventHub
    market: MarketPublisher
    worker: WorkerProbe
    clock: Clock
    token: str
    repos: Repositories
    started_at: datetime
