"""The risk constraints of a config version: every field of `cream.v1.RiskPolicy`, typed.

Defaults are `cream.engine.policy.default_policy()` (seed 001's limits plus the §4.2 checks);
`to_risk_policy` turns a version's constraints into the proto the Rust core enforces.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cream.engine.policy import default_policy
from cream.v1 import execution_pb2 as ex

Fraction = Annotated[Decimal, Field(gt=0, le=1, allow_inf_nan=False)]
NonNegativeFraction = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]
Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]

_DEFAULT = default_policy()


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PerInstrumentRisk(_Section):
    """Limits for one symbol or underlying."""

    max_notional: Positive = Decimal(_DEFAULT.per_instrument.max_notional)
    max_units: Positive = Decimal(_DEFAULT.per_instrument.max_units)
    max_equity_pct: Fraction = Decimal(_DEFAULT.per_instrument.max_equity_pct)


class PortfolioRisk(_Section):
    """Gross and net notional and leverage of the whole portfolio."""

    max_gross_notional: Positive = Decimal(_DEFAULT.portfolio.max_gross_notional)
    max_net_notional: Positive = Decimal(_DEFAULT.portfolio.max_net_notional)
    max_leverage: Positive = Decimal(_DEFAULT.portfolio.max_leverage)


class OptionsRisk(_Section):
    """Greeks limits; theta is the most negative theta allowed."""

    max_delta_per_underlying: PositiveFloat = _DEFAULT.options.max_delta_per_underlying
    max_portfolio_delta: PositiveFloat = _DEFAULT.options.max_portfolio_delta
    max_portfolio_gamma: PositiveFloat = _DEFAULT.options.max_portfolio_gamma
    max_portfolio_vega: PositiveFloat = _DEFAULT.options.max_portfolio_vega
    max_portfolio_theta: Annotated[float, Field(allow_inf_nan=False)] = (
        _DEFAULT.options.max_portfolio_theta
    )


class SizingRisk(_Section):
    """Risk per trade (fraction of equity) and minimum reward/risk."""

    max_risk_per_trade_pct: Fraction = Decimal(_DEFAULT.sizing.max_risk_per_trade_pct)
    min_reward_risk: Positive = Decimal(_DEFAULT.sizing.min_reward_risk)


class ConcentrationRisk(_Section):
    """Sector concentration and the symbol → sector map."""

    max_sector_pct: Fraction = Decimal(_DEFAULT.concentration.max_sector_pct)
    sector_by_symbol: dict[str, str] = Field(
        default_factory=lambda: dict(sorted(_DEFAULT.concentration.sector_by_symbol.items()))
    )
    allow_unknown_sector: bool = _DEFAULT.concentration.allow_unknown_sector


class ExecutionRisk(_Section):
    """Price collar, market order buffer and quote freshness."""

    price_collar_pct: Fraction = Decimal(_DEFAULT.execution.price_collar_pct)
    market_order_buffer_pct: NonNegativeFraction = Decimal(
        _DEFAULT.execution.market_order_buffer_pct
    )
    max_quote_age_seconds: Annotated[int, Field(gt=0)] = _DEFAULT.execution.max_quote_age_seconds


class DayTradeRisk(_Section):
    """The configurable day-trade house rule."""

    enabled: bool = _DEFAULT.day_trade.enabled
    max_day_trades_5d: Annotated[int, Field(ge=0)] = _DEFAULT.day_trade.max_day_trades_5d
    min_equity: NonNegative = Decimal(_DEFAULT.day_trade.min_equity)


class BreakersRisk(_Section):
    """Daily loss and drawdown circuit breakers (fractions)."""

    daily_loss_reducing_pct: Fraction = Decimal(_DEFAULT.breakers.daily_loss_reducing_pct)
    daily_loss_halt_pct: Fraction = Decimal(_DEFAULT.breakers.daily_loss_halt_pct)
    max_drawdown_pct: Fraction = Decimal(_DEFAULT.breakers.max_drawdown_pct)


class RiskSettings(_Section):
    """Everything the Rust core's `RiskPolicy` holds."""

    per_instrument: PerInstrumentRisk = Field(default_factory=PerInstrumentRisk)
    portfolio: PortfolioRisk = Field(default_factory=PortfolioRisk)
    options: OptionsRisk = Field(default_factory=OptionsRisk)
    sizing: SizingRisk = Field(default_factory=SizingRisk)
    concentration: ConcentrationRisk = Field(default_factory=ConcentrationRisk)
    execution: ExecutionRisk = Field(default_factory=ExecutionRisk)
    day_trade: DayTradeRisk = Field(default_factory=DayTradeRisk)
    breakers: BreakersRisk = Field(default_factory=BreakersRisk)


def to_risk_policy(risk: RiskSettings, version: int) -> ex.RiskPolicy:
    """The `cream.v1.RiskPolicy` of these constraints, stamped with the config version."""
    return ex.RiskPolicy(
        version=version,
        per_instrument=ex.PerInstrumentLimits(
            max_notional=str(risk.per_instrument.max_notional),
            max_units=str(risk.per_instrument.max_units),
            max_equity_pct=str(risk.per_instrument.max_equity_pct),
        ),
        portfolio=ex.PortfolioLimits(
            max_gross_notional=str(risk.portfolio.max_gross_notional),
            max_net_notional=str(risk.portfolio.max_net_notional),
            max_leverage=str(risk.portfolio.max_leverage),
        ),
        options=ex.OptionsLimits(
            max_delta_per_underlying=risk.options.max_delta_per_underlying,
            max_portfolio_delta=risk.options.max_portfolio_delta,
            max_portfolio_gamma=risk.options.max_portfolio_gamma,
            max_portfolio_vega=risk.options.max_portfolio_vega,
            max_portfolio_theta=risk.options.max_portfolio_theta,
        ),
        sizing=ex.SizingLimits(
            max_risk_per_trade_pct=str(risk.sizing.max_risk_per_trade_pct),
            min_reward_risk=str(risk.sizing.min_reward_risk),
        ),
        concentration=ex.ConcentrationLimits(
            max_sector_pct=str(risk.concentration.max_sector_pct),
            sector_by_symbol=dict(risk.concentration.sector_by_symbol),
            allow_unknown_sector=risk.concentration.allow_unknown_sector,
        ),
        execution=ex.ExecutionLimits(
            price_collar_pct=str(risk.execution.price_collar_pct),
            market_order_buffer_pct=str(risk.execution.market_order_buffer_pct),
            max_quote_age_seconds=risk.execution.max_quote_age_seconds,
        ),
        day_trade=ex.DayTradeRule(
            enabled=risk.day_trade.enabled,
            max_day_trades_5d=risk.day_trade.max_day_trades_5d,
            min_equity=str(risk.day_trade.min_equity),
        ),
        breakers=ex.CircuitBreakers(
            daily_loss_reducing_pct=str(risk.breakers.daily_loss_reducing_pct),
            daily_loss_halt_pct=str(risk.breakers.daily_loss_halt_pct),
            max_drawdown_pct=str(risk.breakers.max_drawdown_pct),
        ),
    )
