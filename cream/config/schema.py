"""The config document: trading settings, universe, risk constraints and per-agent settings.

Field types and bounds live here; rules that relate several fields live in `validation.py`.
Defaults are seed 000 §9 (`trading_config`, `universe_configs`), seed 001's risk limits and
seed 000 §6's models (Pro-class for analysts, researchers and trader, Flash-class for the
risk manager and critic).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cream.config.models import DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL, ModelClass, Provider
from cream.config.risk import RiskSettings
from cream.engine.policy import DEFAULT_UNIVERSE

PositiveMs = Annotated[int, Field(gt=0)]

AGENT_NAMES: Final = (
    "technical_analyst",
    "news_analyst",
    "fundamentals_analyst",
    "bullish_researcher",
    "bearish_researcher",
    "trader",
    "risk_manager",
    "critic",
)
# The class of model each agent needs (seed 000 §6).
AGENT_MODEL_CLASS: Final[dict[str, ModelClass]] = {
    name: ("flash" if name in ("risk_manager", "critic") else "pro") for name in AGENT_NAMES
}
# Agents that run inside the consensus loop, so one call must fit the consensus timeout.
CONSENSUS_AGENTS: Final = ("trader", "risk_manager", "critic")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TradingSettings(_Section):
    """Cycle cadence and consensus limits (seed 000 `trading_config`)."""

    trading_cycle_interval_ms: PositiveMs = 3_600_000
    prediction_markets_interval_ms: PositiveMs = 900_000
    max_consensus_iterations: Annotated[int, Field(ge=1, le=10)] = 3
    agent_timeout_ms: PositiveMs = 1_800_000
    total_consensus_timeout_ms: PositiveMs = 300_000
    # Per-cycle budgets (ARCHITECTURE §5): reaching one stops new LLM calls and turns what is
    # left into NO_TRADE with reason BUDGET_EXHAUSTED.
    cycle_token_budget: Annotated[int, Field(gt=0)] = 2_000_000
    cycle_cost_budget_usd: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 25.0
    cycle_wall_budget_ms: PositiveMs = 1_800_000


class UniverseSettings(_Section):
    """What the cycle trades (seed 000 `universe_configs`).

    `symbols` is the static list, and the fallback for `index`/`screener` sources, which
    name their source in `index` or `screener`.
    """

    source: Literal["static", "index", "screener"] = "static"
    symbols: list[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9.]{0,9}$")]] = Field(
        default_factory=lambda: list(DEFAULT_UNIVERSE)
    )
    index: str | None = None
    screener: str | None = None


class AgentSettings(_Section):
    """How one agent runs: provider, model, sampling temperature, timeout, prompt version."""

    provider: Provider = "gemini"
    model: str = DEFAULT_PRO_MODEL
    temperature: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = 0.2
    timeout_ms: PositiveMs = 120_000
    prompt_version: Annotated[str, Field(min_length=1)] = "v1"


def _agent(model_class: ModelClass) -> AgentSettings:
    if model_class == "flash":
        return AgentSettings(model=DEFAULT_FLASH_MODEL, temperature=0.0, timeout_ms=60_000)
    return AgentSettings()


class AgentsSettings(_Section):
    """The eight agents of the consensus network."""

    technical_analyst: AgentSettings = Field(default_factory=lambda: _agent("pro"))
    news_analyst: AgentSettings = Field(default_factory=lambda: _agent("pro"))
    fundamentals_analyst: AgentSettings = Field(default_factory=lambda: _agent("pro"))
    bullish_researcher: AgentSettings = Field(default_factory=lambda: _agent("pro"))
    bearish_researcher: AgentSettings = Field(default_factory=lambda: _agent("pro"))
    trader: AgentSettings = Field(default_factory=lambda: _agent("pro"))
    risk_manager: AgentSettings = Field(default_factory=lambda: _agent("flash"))
    critic: AgentSettings = Field(default_factory=lambda: _agent("flash"))

    def by_name(self) -> dict[str, AgentSettings]:
        """The agents keyed by name, in network order."""
        return {name: getattr(self, name) for name in AGENT_NAMES}


class ConfigDocument(_Section):
    """One config version's content."""

    trading: TradingSettings = Field(default_factory=TradingSettings)
    universe: UniverseSettings = Field(default_factory=UniverseSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    agents: AgentsSettings = Field(default_factory=AgentsSettings)


SECTIONS: Final[dict[str, type[BaseModel]]] = {
    "trading": TradingSettings,
    "universe": UniverseSettings,
    "risk": RiskSettings,
    "agents": AgentsSettings,
}


def default_document() -> ConfigDocument:
    """The defaults `cream db seed` activates."""
    return ConfigDocument()
