"""Validation of a config document that reports EVERY problem with its dotted field path.

Each section is parsed on its own, so a type error in one section does not hide the rules
of another; rules relating several fields run on every section that parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from cream.config.errors import ConfigValidationError, FieldError
from cream.config.models import model_problem
from cream.config.risk import RiskSettings
from cream.config.schema import (
    AGENT_MODEL_CLASS,
    CONSENSUS_AGENTS,
    SECTIONS,
    AgentsSettings,
    ConfigDocument,
    TradingSettings,
    UniverseSettings,
)


def validate_document(data: Any) -> ConfigDocument:
    """Parses and checks a config document.

    Raises:
        ConfigValidationError: With every field problem found, in document order.
    """
    if not isinstance(data, Mapping):
        raise ConfigValidationError([FieldError("(document)", "must be a mapping of sections")])
    errors = [
        FieldError(str(key), f"unknown section; sections are {', '.join(SECTIONS)}")
        for key in data
        if key not in SECTIONS
    ]
    parsed: dict[str, BaseModel] = {}
    for name, model in SECTIONS.items():
        if name not in data:
            errors.append(FieldError(name, "is missing"))
            continue
        try:
            parsed[name] = model.model_validate(data[name])
        except ValidationError as exc:
            errors += pydantic_errors(exc, prefix=name)
    trading, universe = parsed.get("trading"), parsed.get("universe")
    risk, agents = parsed.get("risk"), parsed.get("agents")
    if isinstance(trading, TradingSettings):
        errors += _trading_rules(trading)
    if isinstance(universe, UniverseSettings):
        errors += _universe_rules(universe)
    if isinstance(risk, RiskSettings):
        errors += _risk_rules(risk)
    if isinstance(universe, UniverseSettings) and isinstance(risk, RiskSettings):
        errors += _sector_rules(universe, risk)
    if isinstance(agents, AgentsSettings):
        errors += _agent_rules(agents, trading if isinstance(trading, TradingSettings) else None)
    if errors:
        raise ConfigValidationError(errors)
    return ConfigDocument.model_validate(parsed)


def pydantic_errors(exc: ValidationError, *, prefix: str) -> list[FieldError]:
    """Pydantic's errors as `FieldError`s with dotted paths under `prefix`."""
    found = []
    for error in exc.errors():
        path = ".".join([prefix, *(str(part) for part in error["loc"])])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "is missing"
        found.append(FieldError(path, message))
    return found


def _trading_rules(trading: TradingSettings) -> list[FieldError]:
    errors = []
    interval = trading.trading_cycle_interval_ms
    if trading.total_consensus_timeout_ms > interval:
        errors.append(
            FieldError(
                "trading.total_consensus_timeout_ms",
                f"{trading.total_consensus_timeout_ms} ms exceeds the trading cycle interval "
                f"({interval} ms): a consensus must end before the next cycle starts",
            )
        )
    if trading.agent_timeout_ms > interval:
        errors.append(
            FieldError(
                "trading.agent_timeout_ms",
                f"{trading.agent_timeout_ms} ms exceeds the trading cycle interval ({interval} ms)",
            )
        )
    return errors


def _universe_rules(universe: UniverseSettings) -> list[FieldError]:
    errors = []
    if not universe.symbols:
        errors.append(FieldError("universe.symbols", "the universe is empty; name at least one"))
    repeated = sorted({s for s in universe.symbols if universe.symbols.count(s) > 1})
    if repeated:
        errors.append(FieldError("universe.symbols", f"repeated symbols: {', '.join(repeated)}"))
    if universe.source == "index" and not universe.index:
        errors.append(FieldError("universe.index", "source 'index' needs the index name"))
    if universe.source == "screener" and not universe.screener:
        errors.append(FieldError("universe.screener", "source 'screener' needs the screener name"))
    return errors


def _risk_rules(risk: RiskSettings) -> list[FieldError]:
    errors = []
    portfolio = risk.portfolio
    if portfolio.max_net_notional > portfolio.max_gross_notional:
        errors.append(
            FieldError(
                "risk.portfolio.max_net_notional",
                f"{portfolio.max_net_notional} is above max_gross_notional "
                f"({portfolio.max_gross_notional}); net exposure can never exceed gross",
            )
        )
    if risk.per_instrument.max_notional > portfolio.max_gross_notional:
        errors.append(
            FieldError(
                "risk.per_instrument.max_notional",
                f"{risk.per_instrument.max_notional} is above the portfolio's "
                f"max_gross_notional ({portfolio.max_gross_notional})",
            )
        )
    if risk.options.max_portfolio_theta >= 0:
        errors.append(
            FieldError(
                "risk.options.max_portfolio_theta",
                f"{risk.options.max_portfolio_theta} is not negative; it is the most negative "
                f"theta allowed, e.g. -500",
            )
        )
    if risk.options.max_delta_per_underlying > risk.options.max_portfolio_delta:
        errors.append(
            FieldError(
                "risk.options.max_delta_per_underlying",
                f"{risk.options.max_delta_per_underlying} is above max_portfolio_delta "
                f"({risk.options.max_portfolio_delta})",
            )
        )
    breakers = risk.breakers
    if breakers.daily_loss_reducing_pct >= breakers.daily_loss_halt_pct:
        errors.append(
            FieldError(
                "risk.breakers.daily_loss_reducing_pct",
                f"{breakers.daily_loss_reducing_pct} must be below daily_loss_halt_pct "
                f"({breakers.daily_loss_halt_pct}): trading reduces before it halts",
            )
        )
    empty = sorted(s for s, sector in risk.concentration.sector_by_symbol.items() if not sector)
    if empty:
        errors.append(
            FieldError(
                "risk.concentration.sector_by_symbol", f"empty sector for {', '.join(empty)}"
            )
        )
    return errors


def _sector_rules(universe: UniverseSettings, risk: RiskSettings) -> list[FieldError]:
    if risk.concentration.allow_unknown_sector:
        return []
    sectors = risk.concentration.sector_by_symbol
    missing = [symbol for symbol in universe.symbols if symbol not in sectors]
    if not missing:
        return []
    return [
        FieldError(
            "universe.symbols",
            f"{', '.join(missing)} have no sector in risk.concentration.sector_by_symbol and "
            f"allow_unknown_sector is false, so the engine would deny every order for them",
        )
    ]


def _agent_rules(agents: AgentsSettings, trading: TradingSettings | None) -> list[FieldError]:
    errors = []
    for name, settings in agents.by_name().items():
        problem = model_problem(settings.provider, settings.model, AGENT_MODEL_CLASS[name])
        if problem is not None:
            errors.append(FieldError(f"agents.{name}.model", problem))
        if trading is not None and settings.timeout_ms > trading.agent_timeout_ms:
            errors.append(
                FieldError(
                    f"agents.{name}.timeout_ms",
                    f"{settings.timeout_ms} ms exceeds trading.agent_timeout_ms "
                    f"({trading.agent_timeout_ms} ms), the ceiling of every agent call",
                )
            )
    if trading is not None:
        # Only the agents inside the consensus loop are bounded by its total timeout; the
        # analysts and researchers run before it, under agent_timeout_ms alone.
        slow = [
            f"{name} ({getattr(agents, name).timeout_ms} ms)"
            for name in CONSENSUS_AGENTS
            if getattr(agents, name).timeout_ms > trading.total_consensus_timeout_ms
        ]
        if slow:
            errors.append(
                FieldError(
                    "trading.total_consensus_timeout_ms",
                    f"{trading.total_consensus_timeout_ms} ms is below the timeout of "
                    f"{', '.join(slow)}, which run inside the consensus loop: one call could "
                    f"outlast the whole consensus",
                )
            )
    return errors
