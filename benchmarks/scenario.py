"""The benchmark scenario: 200 held positions and a 20-decision plan with a 4-leg spread."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cream.engine.policy import default_policy
from cream.v1 import common_pb2 as c
from cream.v1 import decision_pb2 as d
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md

AS_OF = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
SECTORS = ("TECH", "HEALTH", "ENERGY", "FIN", "INDUSTRIAL", "STAPLES", "UTIL", "MATERIALS")
N_POSITIONS = 200
N_DECISIONS = 20


def _ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def symbols() -> list[str]:
    return [f"SYM{i:03d}" for i in range(N_POSITIONS)]


def price_of(i: int) -> int:
    return 20 + (i * 37) % 300


def policy() -> ex.RiskPolicy:
    p = default_policy(version=1)
    # Large enough limits that a realistic plan passes; the work is the same either way.
    p.portfolio.max_gross_notional = "50000000"
    p.portfolio.max_net_notional = "50000000"
    p.portfolio.max_leverage = "4"
    p.concentration.max_sector_pct = "1.0"
    p.options.max_delta_per_underlying = 10000
    p.options.max_portfolio_delta = 100000
    p.options.max_portfolio_gamma = 10000
    p.options.max_portfolio_vega = 100000
    p.options.max_portfolio_theta = -100000
    for i, sym in enumerate(symbols()):
        p.concentration.sector_by_symbol[sym] = SECTORS[i % len(SECTORS)]
    p.concentration.sector_by_symbol["SPY"] = "INDEX"
    return p


def portfolio() -> ex.PortfolioState:
    state = ex.PortfolioState(
        account=ex.AccountState(
            account_id="BENCH",
            environment=c.ENVIRONMENT_PAPER,
            equity="10000000",
            cash="5000000",
            buying_power="20000000",
            day_start_equity="10000000",
            high_water_mark="10000000",
            trading_state=c.TRADING_STATE_ACTIVE,
            as_of=_ts(AS_OF),
        )
    )
    for i, sym in enumerate(symbols()):
        px = price_of(i)
        qty = 50 + i % 100
        state.positions.append(
            ex.Position(
                symbol=sym,
                instrument_type=c.INSTRUMENT_TYPE_EQUITY,
                underlying=sym,
                quantity=str(qty if i % 5 else -qty),
                avg_entry_price=f"{px}.00",
                market_price=f"{px}.10",
                market_value=f"{(qty if i % 5 else -qty) * px}.00",
                stop_loss=f"{px * 0.9:.2f}" if i % 5 else f"{px * 1.1:.2f}",
            )
        )
    return state


def _leg(strike: int, kind: c.OptionType.ValueType, side: c.OrderSide.ValueType) -> c.OptionLeg:
    cp = "C" if kind == c.OPTION_TYPE_CALL else "P"
    return c.OptionLeg(
        occ_symbol=f"SPY261218{cp}{strike * 1000:08d}",
        underlying="SPY",
        option_type=kind,
        strike=str(strike),
        expiry="2026-12-18",
        side=side,
        ratio=1,
    )


def plan() -> d.DecisionPlan:
    decisions = []
    for k in range(N_DECISIONS - 1):
        i = k * 7 + 3
        px = price_of(i)
        decisions.append(
            d.Decision(
                decision_id=f"d{k:02d}",
                instrument=c.Instrument(
                    instrument_type=c.INSTRUMENT_TYPE_EQUITY, symbol=f"SYM{i:03d}"
                ),
                action=c.ACTION_BUY,
                direction=c.DIRECTION_LONG,
                size=d.Size(value="20", unit=c.SIZE_UNIT_SHARES),
                order_plan=d.OrderPlan(
                    order_type=c.ORDER_TYPE_LIMIT,
                    limit_price=f"{px}.10",
                    time_in_force=c.TIME_IN_FORCE_DAY,
                    execution_tactic=c.EXECUTION_TACTIC_PASSIVE_LIMIT,
                ),
                risk_levels=d.RiskLevels(
                    stop_loss=f"{px * 0.97:.2f}", take_profit=f"{px * 1.06:.2f}"
                ),
                strategy_family=c.STRATEGY_FAMILY_TREND_FOLLOWING,
                time_horizon=c.TIME_HORIZON_SWING,
                confidence=0.6,
            )
        )
    # An iron condor on SPY: the 4-leg option spread, opened for a credit.
    decisions.append(
        d.Decision(
            decision_id="condor",
            instrument=c.Instrument(
                instrument_type=c.INSTRUMENT_TYPE_OPTION,
                symbol="SPY",
                legs=[
                    _leg(480, c.OPTION_TYPE_PUT, c.ORDER_SIDE_BUY),
                    _leg(490, c.OPTION_TYPE_PUT, c.ORDER_SIDE_SELL),
                    _leg(510, c.OPTION_TYPE_CALL, c.ORDER_SIDE_SELL),
                    _leg(520, c.OPTION_TYPE_CALL, c.ORDER_SIDE_BUY),
                ],
            ),
            action=c.ACTION_BUY,
            direction=c.DIRECTION_LONG,
            size=d.Size(value="2", unit=c.SIZE_UNIT_CONTRACTS),
            order_plan=d.OrderPlan(
                order_type=c.ORDER_TYPE_LIMIT,
                limit_price="-3.00",
                time_in_force=c.TIME_IN_FORCE_DAY,
                execution_tactic=c.EXECUTION_TACTIC_PASSIVE_LIMIT,
            ),
            risk_levels=d.RiskLevels(stop_loss="470", take_profit="550"),
            strategy_family=c.STRATEGY_FAMILY_INCOME,
            time_horizon=c.TIME_HORIZON_SWING,
            confidence=0.55,
        )
    )
    return d.DecisionPlan(
        cycle_id="bench-cycle",
        as_of=_ts(AS_OF),
        environment=c.ENVIRONMENT_PAPER,
        config_version=1,
        decisions=decisions,
    )


def market() -> ex.MarketState:
    """Quotes for the plan's instruments only, as the engine sends them with every check."""
    state = ex.MarketState(now=_ts(AS_OF))
    for k in range(N_DECISIONS - 1):
        i = k * 7 + 3
        sym = f"SYM{i:03d}"
        px = price_of(i)
        state.quotes.append(
            md.Quote(
                symbol=sym, bid=f"{px}.05", ask=f"{px}.15", last=f"{px}.10", timestamp=_ts(AS_OF)
            )
        )
    state.quotes.append(
        md.Quote(symbol="SPY", bid="499.95", ask="500.05", last="500.00", timestamp=_ts(AS_OF))
    )
    marks = {
        480: ("2.10", "2.20", -0.18),
        490: ("3.50", "3.62", -0.28),
        510: ("3.40", "3.52", 0.27),
        520: ("1.90", "2.00", 0.17),
    }
    for strike, (bid, ask, delta) in marks.items():
        kind = c.OPTION_TYPE_PUT if strike < 500 else c.OPTION_TYPE_CALL
        leg = _leg(strike, kind, c.ORDER_SIDE_BUY)
        quote = md.Quote(symbol=leg.occ_symbol, bid=bid, ask=ask, timestamp=_ts(AS_OF))
        state.option_quotes.append(
            md.OptionQuote(
                contract=leg,
                quote=quote,
                greeks=c.Greeks(delta=delta, gamma=0.012, vega=0.55, theta=-0.09, rho=0.05),
                implied_volatility=0.18,
            )
        )
        state.quotes.append(quote)
    return state
