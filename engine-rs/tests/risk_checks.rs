//! One case per risk check: the base plan passes, each mutation trips exactly its check.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod common;

use common::*;
use cream_engine::pb;
use rstest::rstest;

struct Scenario {
    policy: pb::RiskPolicy,
    portfolio: pb::PortfolioState,
    market: pb::MarketState,
    plan: pb::DecisionPlan,
}

impl Scenario {
    fn run(&self) -> pb::CheckConstraintsResponse {
        core_with(&self.policy, &self.portfolio)
            .check(&self.plan, &self.market)
            .expect("valid plan")
    }

    fn decision(&mut self) -> &mut pb::Decision {
        &mut self.plan.decisions[0]
    }
}

/// Buy 10 AAPL at 200 with stop 190 and target 220 on a 100k account: approved.
fn equity_base() -> Scenario {
    Scenario {
        policy: policy(),
        portfolio: portfolio(),
        market: market(vec![
            quote("AAPL", "199.90", "200.10"),
            quote("XOM", "99.9", "100.1"),
        ]),
        plan: plan(vec![buy("d1", "AAPL", "10", "200", "190", "220")]),
    }
}

fn spread_legs() -> Vec<pb::OptionLeg> {
    vec![
        option_leg(
            "SPY",
            "2025-03-21",
            pb::OptionType::Call,
            "500",
            pb::OrderSide::Buy,
            1,
        ),
        option_leg(
            "SPY",
            "2025-03-21",
            pb::OptionType::Call,
            "510",
            pb::OrderSide::Sell,
            1,
        ),
    ]
}

/// Buy 1 SPY 500/510 call spread for 5.00 debit, stop 490 / target 520 on the underlying.
fn option_base() -> Scenario {
    let legs = spread_legs();
    let mut m = market(vec![quote("SPY", "499.9", "500.1")]);
    m.option_quotes = vec![
        option_quote(&legs[0], "10.0", "10.2", 0.5),
        option_quote(&legs[1], "5.0", "5.2", 0.35),
    ];
    let mut d = option_decision("o1", "SPY", legs, "1", "5.0");
    d.risk_levels = Some(pb::RiskLevels {
        stop_loss: "490".into(),
        take_profit: "520".into(),
    });
    Scenario {
        policy: policy(),
        portfolio: portfolio(),
        market: m,
        plan: plan(vec![d]),
    }
}

#[test]
fn equity_base_plan_is_approved_with_resolved_quantity_and_price() {
    let response = equity_base().run();
    assert!(response.approved, "{:?}", response.violations);
    let check = &response.decisions[0];
    assert_eq!(
        (
            check.quantity.as_str(),
            check.reference_price.as_str(),
            check.notional.as_str()
        ),
        ("10", "200", "2000.00")
    );
    assert_eq!(check.side, pb::OrderSide::Buy as i32);
    assert_eq!(response.policy_version, 7);
    assert_eq!(response.trading_state, pb::TradingState::Active as i32);
}

#[test]
fn option_spread_base_plan_is_approved() {
    let response = option_base().run();
    assert!(response.approved, "{:?}", response.violations);
    assert_eq!(response.decisions[0].reference_price, "5");
    assert_eq!(response.decisions[0].notional, "500.00");
}

fn set_level(s: &mut Scenario, stop: &str, target: &str) {
    s.decision().risk_levels = Some(pb::RiskLevels {
        stop_loss: stop.into(),
        take_profit: target.into(),
    });
}

#[rstest]
#[case::missing_stop("MISSING_STOP_LOSS", |s: &mut Scenario| set_level(s, "", "220"))]
#[case::stop_wrong_side("STOP_WRONG_SIDE", |s: &mut Scenario| set_level(s, "205", "220"))]
#[case::missing_target("MISSING_TAKE_PROFIT", |s: &mut Scenario| set_level(s, "190", ""))]
#[case::target_wrong_side("TAKE_PROFIT_WRONG_SIDE", |s: &mut Scenario| set_level(s, "190", "195"))]
#[case::reward_risk("REWARD_RISK_TOO_LOW", |s: &mut Scenario| set_level(s, "190", "205"))]
#[case::risk_per_trade("MAX_RISK_PER_TRADE", |s: &mut Scenario| {
    s.decision().size = Some(pb::Size { value: "45".into(), unit: pb::SizeUnit::Shares as i32 });
    set_level(s, "150", "300");
})]
#[case::units("MAX_UNITS_EXCEEDED", |s: &mut Scenario| s.policy.per_instrument.as_mut().unwrap().max_units = "5".into())]
#[case::notional("MAX_NOTIONAL_EXCEEDED", |s: &mut Scenario| s.policy.per_instrument.as_mut().unwrap().max_notional = "1000".into())]
#[case::equity_pct("MAX_EQUITY_PCT_EXCEEDED", |s: &mut Scenario| s.policy.per_instrument.as_mut().unwrap().max_equity_pct = "0.01".into())]
#[case::gross("MAX_GROSS_NOTIONAL_EXCEEDED", |s: &mut Scenario| {
    let p = s.policy.portfolio.as_mut().unwrap();
    p.max_gross_notional = "1000".into();
    p.max_net_notional = "1000".into();
})]
#[case::net("MAX_NET_NOTIONAL_EXCEEDED", |s: &mut Scenario| s.policy.portfolio.as_mut().unwrap().max_net_notional = "1000".into())]
#[case::leverage("MAX_LEVERAGE_EXCEEDED", |s: &mut Scenario| s.policy.portfolio.as_mut().unwrap().max_leverage = "0.01".into())]
#[case::buying_power("INSUFFICIENT_BUYING_POWER", |s: &mut Scenario| s.portfolio.account.as_mut().unwrap().buying_power = "1500".into())]
#[case::open_orders_use_buying_power("INSUFFICIENT_BUYING_POWER", |s: &mut Scenario| {
    s.portfolio.account.as_mut().unwrap().buying_power = "3000".into();
    s.portfolio.open_orders.push(pb::Order {
        order_id: "o-open".into(),
        symbol: "XOM".into(),
        instrument_type: pb::InstrumentType::Equity as i32,
        side: pb::OrderSide::Buy as i32,
        order_type: pb::OrderType::Limit as i32,
        quantity: "20".into(),
        leaves_qty: "20".into(),
        limit_price: "100".into(),
        status: pb::OrderStatus::Accepted as i32,
        ..Default::default()
    });
})]
#[case::unknown_sector("UNKNOWN_SECTOR", |s: &mut Scenario| {
    s.market.quotes.push(quote("IBM", "199.9", "200.1"));
    s.decision().instrument.as_mut().unwrap().symbol = "IBM".into();
})]
#[case::sector("MAX_SECTOR_PCT_EXCEEDED", |s: &mut Scenario| s.policy.concentration.as_mut().unwrap().max_sector_pct = "0.01".into())]
#[case::conflict("CONFLICTING_DECISIONS", |s: &mut Scenario| s.plan.decisions.push(buy("d2", "AAPL", "1", "200", "190", "220")))]
#[case::collar("PRICE_OUTSIDE_COLLAR", |s: &mut Scenario| {
    s.decision().order_plan.as_mut().unwrap().limit_price = "215".into();
    set_level(s, "205", "260");
})]
#[case::halted("TRADING_HALTED", |s: &mut Scenario| s.portfolio.account.as_mut().unwrap().trading_state = pb::TradingState::Halted as i32)]
#[case::unspecified_account_state_halts("TRADING_HALTED", |s: &mut Scenario| s.portfolio.account.as_mut().unwrap().trading_state = 0)]
#[case::daily_loss_halts("TRADING_HALTED", |s: &mut Scenario| s.portfolio.account.as_mut().unwrap().equity = "94000".into())]
#[case::drawdown_halts("TRADING_HALTED", |s: &mut Scenario| {
    let a = s.portfolio.account.as_mut().unwrap();
    a.high_water_mark = "120000".into();
})]
#[case::daily_loss_reduces("TRADING_REDUCING", |s: &mut Scenario| s.portfolio.account.as_mut().unwrap().equity = "96000".into())]
#[case::missing_account("MISSING_ACCOUNT", |s: &mut Scenario| s.portfolio.account = None)]
#[case::zero_equity("MISSING_ACCOUNT", |s: &mut Scenario| s.portfolio.account.as_mut().unwrap().equity = "0".into())]
#[case::no_quote("QUOTE_UNAVAILABLE", |s: &mut Scenario| s.market.quotes.clear())]
#[case::feed_reason("UNKNOWN_SYMBOL", |s: &mut Scenario| {
    s.market.quotes.clear();
    s.market.unavailable.push(pb::Unavailable { symbol: "AAPL".into(), reason_code: "UNKNOWN_SYMBOL".into(), message: "not listed".into() });
})]
#[case::stale("STALE_QUOTE", |s: &mut Scenario| s.market.quotes[0].timestamp = ts(NOW - 500))]
#[case::stale_against_plan_as_of("STALE_QUOTE", |s: &mut Scenario| {
    s.market.now = None;
    s.plan.as_of = ts(NOW + 1000);
})]
#[case::invalid_quote("INVALID_QUOTE", |s: &mut Scenario| s.market.quotes[0].bid = "201".into())]
#[case::rounds_to_zero("SIZE_ROUNDS_TO_ZERO", |s: &mut Scenario| s.decision().size = Some(pb::Size { value: "100".into(), unit: pb::SizeUnit::Dollars as i32 }))]
#[case::no_position("NO_POSITION", |s: &mut Scenario| s.decision().action = pb::Action::Increase as i32)]
#[case::reduce_exceeds("REDUCE_EXCEEDS_POSITION", |s: &mut Scenario| {
    s.portfolio.positions.push(equity_position("AAPL", "5", "200"));
    s.decision().action = pb::Action::Reduce as i32;
})]
#[case::day_trade("DAY_TRADE_LIMIT", |s: &mut Scenario| {
    s.policy.day_trade = Some(pb::DayTradeRule { enabled: true, max_day_trades_5d: 3, min_equity: "250000".into() });
    s.portfolio.account.as_mut().unwrap().day_trades_5d = 3;
    s.portfolio.opened_today.push("AAPL".into());
    s.portfolio.positions.push(equity_position("AAPL", "10", "200"));
    s.decision().action = pb::Action::Close as i32;
})]
fn equity_check_trips_its_code(#[case] code: &str, #[case] mutate: fn(&mut Scenario)) {
    let mut scenario = equity_base();
    mutate(&mut scenario);
    let response = scenario.run();
    assert!(!response.approved);
    assert!(
        codes(&response).contains(&code),
        "expected {code}, got {:?}",
        codes(&response)
    );
    let v = response.violations.iter().find(|v| v.code == code).unwrap();
    assert_eq!(v.severity, pb::Severity::Critical as i32);
    assert!(!v.decision_id.is_empty() && !v.message.is_empty());
}

#[rstest]
#[case::option_quote_missing("OPTION_QUOTE_UNAVAILABLE", |s: &mut Scenario| { s.market.option_quotes.pop(); })]
#[case::underlying_quote_missing("QUOTE_UNAVAILABLE", |s: &mut Scenario| s.market.quotes.clear())]
#[case::greeks_missing("GREEKS_UNAVAILABLE", |s: &mut Scenario| {
    s.market.option_quotes[0].greeks = None;
    s.market.option_quotes[0].implied_volatility = 0.0;
})]
#[case::naked_short_call("UNDEFINED_RISK", |s: &mut Scenario| {
    let d = s.decision();
    d.instrument.as_mut().unwrap().legs.truncate(1);
    d.action = pb::Action::Sell as i32;
    d.direction = pb::Direction::Short as i32;
    d.order_plan.as_mut().unwrap().limit_price = "10".into();
    d.risk_levels = Some(pb::RiskLevels { stop_loss: "510".into(), take_profit: "480".into() });
})]
#[case::debit_risk("MAX_RISK_PER_TRADE", |s: &mut Scenario| s.decision().size = Some(pb::Size { value: "5".into(), unit: pb::SizeUnit::Contracts as i32 }))]
#[case::delta_per_underlying("MAX_DELTA_PER_UNDERLYING", |s: &mut Scenario| s.policy.options.as_mut().unwrap().max_delta_per_underlying = 10.0)]
#[case::portfolio_delta("MAX_PORTFOLIO_DELTA", |s: &mut Scenario| s.policy.options.as_mut().unwrap().max_portfolio_delta = 10.0)]
#[case::gamma("MAX_PORTFOLIO_GAMMA", |s: &mut Scenario| {
    s.market.option_quotes[1].greeks.as_mut().unwrap().gamma = 0.0;
    s.policy.options.as_mut().unwrap().max_portfolio_gamma = 1.0;
})]
#[case::vega("MAX_PORTFOLIO_VEGA", |s: &mut Scenario| {
    s.market.option_quotes[1].greeks.as_mut().unwrap().vega = 0.0;
    s.policy.options.as_mut().unwrap().max_portfolio_vega = 5.0;
})]
#[case::theta("MAX_PORTFOLIO_THETA", |s: &mut Scenario| {
    s.market.option_quotes[1].greeks.as_mut().unwrap().theta = 0.0;
    s.policy.options.as_mut().unwrap().max_portfolio_theta = -1.0;
})]
#[case::stop_on_underlying("STOP_WRONG_SIDE", |s: &mut Scenario| set_level(s, "505", "520"))]
#[case::spread_collar("PRICE_OUTSIDE_COLLAR", |s: &mut Scenario| s.decision().order_plan.as_mut().unwrap().limit_price = "6".into())]
fn option_check_trips_its_code(#[case] code: &str, #[case] mutate: fn(&mut Scenario)) {
    let mut scenario = option_base();
    mutate(&mut scenario);
    let response = scenario.run();
    assert!(
        codes(&response).contains(&code),
        "expected {code}, got {:?}",
        codes(&response)
    );
}

#[test]
fn greeks_are_computed_from_iv_when_the_chain_has_none() {
    let mut scenario = option_base();
    for q in &mut scenario.market.option_quotes {
        q.greeks = None;
    }
    let response = scenario.run();
    assert!(response.approved, "{:?}", response.violations);
}

#[test]
fn credit_spread_risk_is_width_minus_credit() {
    // Sell the 500/510 call spread for a 5.00 credit: max loss (10 - 5) x 100 = 500 per spread.
    let mut scenario = option_base();
    let d = scenario.decision();
    d.action = pb::Action::Sell as i32;
    d.direction = pb::Direction::Short as i32;
    d.order_plan.as_mut().unwrap().limit_price = "-5.0".into();
    d.size = Some(pb::Size {
        value: "5".into(),
        unit: pb::SizeUnit::Contracts as i32,
    });
    d.risk_levels = Some(pb::RiskLevels {
        stop_loss: "510".into(),
        take_profit: "480".into(),
    });
    let response = scenario.run();
    let risk = response
        .violations
        .iter()
        .find(|v| v.code == "MAX_RISK_PER_TRADE")
        .expect("5 x 500 > 2000");
    assert_eq!(risk.context["resulting"], "2500.00");
}

#[test]
fn cumulative_decisions_trip_a_limit_only_one_alone_would_not() {
    let mut scenario = equity_base();
    scenario
        .policy
        .concentration
        .as_mut()
        .unwrap()
        .max_sector_pct = "0.05".into();
    scenario.market.quotes.push(quote("MSFT", "399.9", "400.1"));
    scenario.plan.decisions = vec![
        buy("d1", "AAPL", "20", "200", "190", "220"),
        buy("d2", "MSFT", "5", "400", "390", "420"),
    ];
    let response = scenario.run();
    assert_eq!(codes(&response), vec!["MAX_SECTOR_PCT_EXCEEDED"]);
    assert_eq!(response.violations[0].decision_id, "d2");
    assert!(response.decisions[0].approved && !response.decisions[1].approved);
}

#[test]
fn portfolio_limit_is_not_violated_by_a_decision_that_reduces_the_metric() {
    let mut scenario = equity_base();
    scenario
        .portfolio
        .positions
        .push(equity_position("AAPL", "500", "200"));
    scenario
        .policy
        .portfolio
        .as_mut()
        .unwrap()
        .max_gross_notional = "50000".into();
    scenario.policy.portfolio.as_mut().unwrap().max_net_notional = "50000".into();
    let mut close = buy("d1", "AAPL", "100", "200", "", "");
    close.action = pb::Action::Reduce as i32;
    scenario.plan.decisions = vec![close];
    let response = scenario.run();
    assert!(response.approved, "{:?}", response.violations);
    assert_eq!(response.decisions[0].side, pb::OrderSide::Sell as i32);
}

#[test]
fn close_sells_the_whole_long_position() {
    let mut scenario = equity_base();
    scenario
        .portfolio
        .positions
        .push(equity_position("AAPL", "37", "200"));
    let mut close = buy("d1", "AAPL", "1", "200", "", "");
    close.action = pb::Action::Close as i32;
    scenario.plan.decisions = vec![close];
    let response = scenario.run();
    assert!(response.approved, "{:?}", response.violations);
    assert_eq!(response.decisions[0].quantity, "37");
}

#[test]
fn market_buy_is_priced_at_ask_plus_buffer_and_pct_sizes_floor() {
    let mut scenario = equity_base();
    let d = scenario.decision();
    d.order_plan.as_mut().unwrap().order_type = pb::OrderType::Market as i32;
    d.order_plan.as_mut().unwrap().limit_price = String::new();
    d.size = Some(pb::Size {
        value: "0.05".into(),
        unit: pb::SizeUnit::PctEquity as i32,
    });
    let response = scenario.run();
    // 200.10 x 1.005 = 201.1005; 5000 / 201.1005 = 24.86 -> 24.
    assert_eq!(response.decisions[0].reference_price, "201.1005");
    assert_eq!(response.decisions[0].quantity, "24");
}

#[test]
fn hold_and_no_trade_produce_no_order_and_pass() {
    let mut scenario = equity_base();
    let mut hold = buy("h", "AAPL", "1", "200", "", "");
    hold.action = pb::Action::Hold as i32;
    let mut skip = pb::Decision {
        decision_id: "n".into(),
        action: pb::Action::NoTrade as i32,
        reason_code: "INSUFFICIENT_EDGE".into(),
        ..Default::default()
    };
    skip.confidence = 0.2;
    scenario.plan.decisions = vec![hold, skip];
    scenario.portfolio.account = None;
    let response = scenario.run();
    assert!(response.approved);
    assert!(
        response
            .decisions
            .iter()
            .all(|d| d.side == 0 && d.quantity.is_empty())
    );
}

#[test]
fn same_inputs_give_bit_identical_responses() {
    use prost::Message;
    let scenario = option_base();
    let first = scenario.run().encode_to_vec();
    assert_eq!(first, scenario.run().encode_to_vec());
}
