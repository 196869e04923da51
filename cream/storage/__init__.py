"""Persistence on libSQL: the `Database`, its migrations, and the repositories."""

from cream.storage.agent_outputs import AgentOutputRecord, AgentOutputRepository
from cream.storage.config_versions import ConfigVersionRow, ConfigVersionStore
from cream.storage.consensus_rounds import ConsensusRoundRecord, ConsensusRoundRepository
from cream.storage.cycles import CycleNotFoundError, CycleRecord, CycleRepository
from cream.storage.database import DEFAULT_DATABASE_URL, Database, ExecResult, Row, Statement
from cream.storage.decisions import DecisionLineage, DecisionRepository, StoredDecision
from cream.storage.errors import (
    DatabaseUnavailableError,
    DuplicateClientOrderIdError,
    StorageError,
)
from cream.storage.orders import ExecutionSaved, OrderRepository

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AgentOutputRecord",
    "AgentOutputRepository",
    "ConfigVersionRow",
    "ConfigVersionStore",
    "ConsensusRoundRecord",
    "ConsensusRoundRepository",
    "CycleNotFoundError",
    "CycleRecord",
    "CycleRepository",
    "Database",
    "DatabaseUnavailableError",
    "DecisionLineage",
    "DecisionRepository",
    "DuplicateClientOrderIdError",
    "ExecResult",
    "ExecutionSaved",
    "OrderRepository",
    "Row",
    "Statement",
    "StorageError",
    "StoredDecision",
]
