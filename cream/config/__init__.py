"""Config governance: the versioned config schema, its lifecycle service and hot reload."""

from cream.config.content import DiffEntry, content_hash, diff
from cream.config.errors import (
    ConfigConflictError,
    ConfigError,
    ConfigNotFoundError,
    ConfigNotProvenInPaperError,
    ConfigNotValidatedError,
    ConfigUnchangedError,
    ConfigValidationError,
    FieldError,
    UnknownConfigKeyError,
)
from cream.config.models import KNOWN_MODELS
from cream.config.risk import RiskSettings, to_risk_policy
from cream.config.schema import (
    AGENT_NAMES,
    AgentSettings,
    AgentsSettings,
    ConfigDocument,
    TradingSettings,
    UniverseSettings,
    default_document,
)
from cream.config.service import PROMOTED_EVENT, ConfigService
from cream.config.validation import validate_document
from cream.config.versions import ConfigVersion
from cream.config.watcher import ActiveConfigWatcher

__all__ = [
    "AGENT_NAMES",
    "KNOWN_MODELS",
    "PROMOTED_EVENT",
    "ActiveConfigWatcher",
    "AgentSettings",
    "AgentsSettings",
    "ConfigConflictError",
    "ConfigDocument",
    "ConfigError",
    "ConfigNotFoundError",
    "ConfigNotProvenInPaperError",
    "ConfigNotValidatedError",
    "ConfigService",
    "ConfigUnchangedError",
    "ConfigValidationError",
    "ConfigVersion",
    "DiffEntry",
    "FieldError",
    "RiskSettings",
    "TradingSettings",
    "UniverseSettings",
    "UnknownConfigKeyError",
    "content_hash",
    "default_document",
    "diff",
    "to_risk_policy",
    "validate_document",
]
