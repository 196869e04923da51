//! Builders of wire messages shared by the integration tests.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the builders"
)]

use cream_engine::pb;
use cream_engine::portfolio::Portfolio;
use cream_engine::risk::{Policy, RiskCore};
use prost_types::Timestamp;

/// 2025-01-02T15:00:00Z.
pub const NOW: i64 = 1_735_830_000;

#[expect(
    clippy::unnecessary_wraps,
    reason = "message fields take Option<Timestamp>"
)]
pub fn ts(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// The defaults of seed 001 (ARCHITECTURE §4.2).
pub fn policy() -> pb::RiskPolicy {
    pb::RiskPolicy {
        version: 7,
        per_instrument: Some(pb::PerInstrumentLimits {
            max_notional: "50000".into(),
            max_units: "1000".into(),
            max_equity_pct: "0.10".into(),
        }),
        portfolio: Some(pb::PortfolioLimits {
            max_gross_notional: "500000".into(),
            max_net_notional: "200000".into(),
            max_leverage: "2.0".into(),
        }),
        options: Some(pb::OptionsLimits {
            max_delta_per_underlying: 100.0,
            max_portfolio_delta: 500.0,
            max_portfolio_gamma: 50.0,
            max_portfolio_vega: 1000.0,
            max_portfolio_theta: -500.0,
        }),
        sizing: Some(pb::SizingLimits {
            max_risk_per_trade_pct: "0.02".into(),
            min_reward_risk: "1.5".into(),
        }),
        concentration: Some(pb::ConcentrationLimits {
            max_sector_pct: "0.35".into(),
            sector_by_symbol: [
                ("AAPL", "TECH"),
                ("MSFT", "TECH"),
                ("XOM", "ENERGY"),
                ("SPY", "INDEX"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            allow_unknown_sector: false,
        }),
        execution: Some(pb::ExecutionLimits {
            price_collar_pct: "0.05".into(),
            market_order_buffer_pct: "0.005".into(),
            max_quote_age_seconds: 120,
        }),
        day_trade: Some(pb::DayTradeRule {
            enabled: false,
            max_day_trades_5d: 3,
            min_equity: "25000".into(),
        }),
        breakers: Some(pb::CircuitBreakers {
            daily_loss_reducing_pct: "0.03".into(),
            daily_loss_halt_pct: "0.05".into(),
            max_drawdown_pct: "0.15".into(),
        }),
    }
}

pub fn account(equity: &str) -> pb::AccountState {
    pb::AccountState {
        account_id: "acct".into(),
        environment: pb::Environment::Paper as i32,
        equity: equity.into(),
        cash: equity.into(),
        buying_power: equity.into(),
        day_start_equity: equity.into(),
        high_water_mark: equity.into(),
        trading_state: pb::TradingState::Active as i32,
        as_of: ts(NOW),
        day_trades_5d: 0,
    }
}

pub fn portfolio() -> pb::PortfolioState {
    pb::PortfolioState {
        account: Some(account("100000")),
        ..Default::default()
    }
}

pub fn equity_position(symbol: &str, qty: &str, price: &str) -> pb::Position {
    pb::Position {
        symbol: symbol.into(),
        instrument_type: pb::InstrumentType::Equity as i32,
        underlying: symbol.into(),
        quantity: qty.into(),
        avg_entry_price: price.into(),
        market_price: price.into(),
        ..Default::default()
    }
}

pub fn quote(symbol: &str, bid: &str, ask: &str) -> pb::Quote {
    pb::Quote {
        symbol: symbol.into(),
        bid: bid.into(),
        ask: ask.into(),
        last: bid.into(),
        bid_size: 100,
        ask_size: 100,
        timestamp: ts(NOW - 5),
        ..Default::default()
    }
}

pub fn market(quotes: Vec<pb::Quote>) -> pb::MarketState {
    pb::MarketState {
        quotes,
        now: ts(NOW),
        ..Default::default()
    }
}

/// A limit BUY LONG of `qty` shares at `limit` with stop and target.
pub fn buy(
    id: &str,
    symbol: &str,
    qty: &str,
    limit: &str,
    stop: &str,
    target: &str,
) -> pb::Decision {
    pb::Decision {
        decision_id: id.into(),
        instrument: Some(pb::Instrument {
            instrument_type: pb::InstrumentType::Equity as i32,
            symbol: symbol.into(),
            legs: vec![],
        }),
        action: pb::Action::Buy as i32,
        direction: pb::Direction::Long as i32,
        size: Some(pb::Size {
            value: qty.into(),
            unit: pb::SizeUnit::Shares as i32,
        }),
        order_plan: Some(pb::OrderPlan {
            order_type: pb::OrderType::Limit as i32,
            limit_price: limit.into(),
            stop_price: String::new(),
            time_in_force: pb::TimeInForce::Day as i32,
            execution_tactic: pb::ExecutionTactic::PassiveLimit as i32,
        }),
        risk_levels: Some(pb::RiskLevels {
            stop_loss: stop.into(),
            take_profit: target.into(),
        }),
        confidence: 0.7,
        ..Default::default()
    }
}

pub fn option_leg(
    underlying: &str,
    expiry: &str,
    kind: pb::OptionType,
    strike: &str,
    side: pb::OrderSide,
    ratio: u32,
) -> pb::OptionLeg {
    let date = cream_engine::calendar::Date::parse(expiry).expect("test expiry");
    let option_kind = if kind == pb::OptionType::Call {
        cream_engine::plan::OptionKind::Call
    } else {
        cream_engine::plan::OptionKind::Put
    };
    let strike_dec = cream_engine::decimal::parse(strike).expect("test strike");
    pb::OptionLeg {
        occ_symbol: cream_engine::plan::occ::build(underlying, date, option_kind, strike_dec)
            .expect("occ"),
        underlying: underlying.into(),
        option_type: kind as i32,
        strike: strike.into(),
        expiry: expiry.into(),
        side: side as i32,
        ratio,
    }
}

pub fn option_decision(
    id: &str,
    underlying: &str,
    legs: Vec<pb::OptionLeg>,
    qty: &str,
    limit: &str,
) -> pb::Decision {
    let mut d = buy(id, underlying, qty, limit, "", "");
    d.instrument = Some(pb::Instrument {
        instrument_type: pb::InstrumentType::Option as i32,
        symbol: underlying.into(),
        legs,
    });
    d.size = Some(pb::Size {
        value: qty.into(),
        unit: pb::SizeUnit::Contracts as i32,
    });
    d
}

pub fn option_quote(leg: &pb::OptionLeg, bid: &str, ask: &str, delta: f64) -> pb::OptionQuote {
    pb::OptionQuote {
        contract: Some(leg.clone()),
        quote: Some(quote(&leg.occ_symbol, bid, ask)),
        greeks: Some(pb::Greeks {
            delta,
            gamma: 0.02,
            vega: 0.1,
            theta: -0.05,
            rho: 0.01,
        }),
        implied_volatility: 0.3,
        open_interest: 100,
    }
}

pub fn plan(decisions: Vec<pb::Decision>) -> pb::DecisionPlan {
    pb::DecisionPlan {
        cycle_id: "cycle-1".into(),
        as_of: ts(NOW),
        environment: pb::Environment::Paper as i32,
        config_version: 1,
        decisions,
    }
}

pub fn core_with(policy: &pb::RiskPolicy, portfolio: &pb::PortfolioState) -> RiskCore {
    let mut core = RiskCore::new(Policy::from_wire(policy).expect("test policy"));
    core.set_portfolio(Portfolio::from_wire(portfolio).expect("test portfolio"));
    core
}

pub fn codes(response: &pb::CheckConstraintsResponse) -> Vec<&str> {
    response
        .violations
        .iter()
        .map(|v| v.code.as_str())
        .collect()
}
