"""The default risk policy: seed 001's config.yaml limits plus the checks of ARCHITECTURE §4.2.

Config governance replaces these with the active config version; until then the engine
runs under these defaults (version 0).
"""

from __future__ import annotations

from collections.abc import Mapping

from cream.v1 import execution_pb2 as ex

# GICS sectors of the default universe and of other liquid names the engine may be asked
# about. A symbol missing here is denied unless the policy allows unknown sectors.
DEFAULT_SECTORS: Mapping[str, str] = {
    "SPY": "INDEX",
    "QQQ": "INDEX",
    "IWM": "INDEX",
    "DIA": "INDEX",
    "AAPL": "INFORMATION_TECHNOLOGY",
    "MSFT": "INFORMATION_TECHNOLOGY",
    "NVDA": "INFORMATION_TECHNOLOGY",
    "AMD": "INFORMATION_TECHNOLOGY",
    "INTC": "INFORMATION_TECHNOLOGY",
    "IBM": "INFORMATION_TECHNOLOGY",
    "ORCL": "INFORMATION_TECHNOLOGY",
    "GOOGL": "COMMUNICATION_SERVICES",
    "META": "COMMUNICATION_SERVICES",
    "NFLX": "COMMUNICATION_SERVICES",
    "AMZN": "CONSUMER_DISCRETIONARY",
    "TSLA": "CONSUMER_DISCRETIONARY",
    "HD": "CONSUMER_DISCRETIONARY",
    "JPM": "FINANCIALS",
    "BAC": "FINANCIALS",
    "GS": "FINANCIALS",
    "XOM": "ENERGY",
    "CVX": "ENERGY",
    "JNJ": "HEALTH_CARE",
    "UNH": "HEALTH_CARE",
    "PFE": "HEALTH_CARE",
    "WMT": "CONSUMER_STAPLES",
    "KO": "CONSUMER_STAPLES",
    "PG": "CONSUMER_STAPLES",
    "CAT": "INDUSTRIALS",
    "BA": "INDUSTRIALS",
}

DEFAULT_UNIVERSE: tuple[str, ...] = ("SPY", "AAPL", "MSFT", "NVDA", "TSLA")


def default_policy(version: int = 0) -> ex.RiskPolicy:
    """The default policy, equal to seed 001's config.yaml where it speaks."""
    return ex.RiskPolicy(
        version=version,
        per_instrument=ex.PerInstrumentLimits(
            max_notional="50000", max_units="1000", max_equity_pct="0.10"
        ),
        portfolio=ex.PortfolioLimits(
            max_gross_notional="500000", max_net_notional="200000", max_leverage="2.0"
        ),
        options=ex.OptionsLimits(
            max_delta_per_underlying=100.0,
            max_portfolio_delta=500.0,
            max_portfolio_gamma=50.0,
            max_portfolio_vega=1000.0,
            max_portfolio_theta=-500.0,
        ),
        sizing=ex.SizingLimits(max_risk_per_trade_pct="0.02", min_reward_risk="1.5"),
        concentration=ex.ConcentrationLimits(
            max_sector_pct="0.35",
            sector_by_symbol=dict(DEFAULT_SECTORS),
            allow_unknown_sector=False,
        ),
        execution=ex.ExecutionLimits(
            price_collar_pct="0.05", market_order_buffer_pct="0.005", max_quote_age_seconds=120
        ),
        day_trade=ex.DayTradeRule(enabled=False, max_day_trades_5d=3, min_equity="25000"),
        breakers=ex.CircuitBreakers(
            daily_loss_reducing_pct="0.03", daily_loss_halt_pct="0.05", max_drawdown_pct="0.15"
        ),
    )
