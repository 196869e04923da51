//! TEMPORARY golden harness (removed before hand-off): random bytes and structurally random plans go through
//! decode + validate + check, which must never panic.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod common;

use arbitrary::{Arbitrary, Unstructured};
use common::*;
use cream_engine::pb;
use cream_engine::risk::RiskCore;

/// splitmix64: a tiny seeded generator, so every run fuzzes the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
    }
}

const SYMBOLS: [&str; 8] = ["AAPL", "SPY", "XOM", "AAPL", "SPY", "aapl", "", "BRK.B"];
const DECIMALS: [&str; 16] = [
    "10", "200", "190", "220", "5", "1", "210", "180", "0.05", "", "0", "-5", "1.5", "NaN", "1e3",
    "100",
];
const EXPIRIES: [&str; 5] = ["2025-03-21", "2024-01-01", "2025-02-30", "", "2026-01-16"];

#[derive(Debug, Arbitrary)]
struct ArbLeg {
    kind: u8,
    strike: u8,
    expiry: u8,
    side: u8,
    ratio: u8,
    good_occ: u8,
}

#[derive(Debug, Arbitrary)]
struct ArbDecision {
    id: u8,
    symbol: u8,
    instrument_type: u8,
    action: u8,
    direction: u8,
    size: u8,
    unit: u8,
    order_type: u8,
    limit: u8,
    stop: u8,
    tif: u8,
    tactic: u8,
    stop_loss: u8,
    take_profit: u8,
    confidence: f64,
    reason: u8,
    legs: Vec<ArbLeg>,
}

#[derive(Debug, Arbitrary)]
struct ArbPlan {
    cycle: u8,
    as_of: u8,
    environment: u8,
    decisions: Vec<ArbDecision>,
}

fn pick<'a>(pool: &[&'a str], i: u8) -> &'a str {
    pool[usize::from(i) % pool.len()]
}

/// Mostly a valid enum value in 1..=n; now and then unspecified (0) or unknown (99).
fn small(i: u8, n: u8) -> i32 {
    match i % 32 {
        0 => 0,
        1 => 99,
        _ => 1 + i32::from(i % n),
    }
}

fn to_leg(leg: &ArbLeg, underlying: &str) -> pb::OptionLeg {
    let strike = pick(
        &[
            "500", "510", "520", "490", "500", "510", "0", "-1", "2.5001", "abc",
        ],
        leg.strike,
    )
    .to_owned();
    let expiry = if leg.expiry.is_multiple_of(4) {
        pick(&EXPIRIES, leg.expiry / 4)
    } else {
        "2025-03-21"
    }
    .to_owned();
    let mut out = pb::OptionLeg {
        occ_symbol: format!("{underlying}250321C00500000"),
        underlying: underlying.to_owned(),
        option_type: small(leg.kind, 2),
        strike,
        expiry,
        side: small(leg.side, 2),
        ratio: if leg.ratio.is_multiple_of(8) {
            u32::from(leg.ratio % 12)
        } else {
            1 + u32::from(leg.ratio % 3)
        },
    };
    if !leg.good_occ.is_multiple_of(8)
        && let (Some(date), Ok(strike)) = (
            cream_engine::calendar::Date::parse(&out.expiry),
            cream_engine::decimal::parse(&out.strike),
        )
    {
        let kind = if out.option_type == 2 {
            cream_engine::plan::OptionKind::Put
        } else {
            cream_engine::plan::OptionKind::Call
        };
        if let Some(occ) = cream_engine::plan::occ::build(underlying, date, kind, strike) {
            out.occ_symbol = occ;
        }
    }
    out
}

fn to_plan(arb: &ArbPlan) -> pb::DecisionPlan {
    pb::DecisionPlan {
        cycle_id: if arb.cycle.is_multiple_of(16) {
            String::new()
        } else {
            "c".into()
        },
        as_of: if arb.as_of.is_multiple_of(16) {
            None
        } else {
            ts(NOW)
        },
        environment: small(arb.environment, 3),
        config_version: 1,
        decisions: arb
            .decisions
            .iter()
            .take(4)
            .enumerate()
            .map(|(index, d)| {
                let symbol = pick(&SYMBOLS, d.symbol);
                pb::Decision {
                    decision_id: if d.id % 16 == 0 {
                        "dup".into()
                    } else {
                        format!("d{index}")
                    },
                    instrument: Some(pb::Instrument {
                        instrument_type: small(d.instrument_type, 2),
                        symbol: symbol.to_owned(),
                        legs: if d.instrument_type % 2 == 0 {
                            d.legs.iter().take(5).map(|l| to_leg(l, symbol)).collect()
                        } else {
                            Vec::new()
                        },
                    }),
                    action: small(d.action, 7),
                    direction: small(d.direction, 2),
                    size: Some(pb::Size {
                        value: pick(&DECIMALS, d.size).to_owned(),
                        unit: small(d.unit, 4),
                    }),
                    order_plan: Some(pb::OrderPlan {
                        order_type: small(d.order_type, 4),
                        limit_price: pick(&DECIMALS, d.limit).to_owned(),
                        stop_price: pick(&DECIMALS, d.stop).to_owned(),
                        time_in_force: small(d.tif, 6),
                        execution_tactic: small(d.tactic, 6),
                    }),
                    risk_levels: Some(pb::RiskLevels {
                        stop_loss: pick(&DECIMALS, d.stop_loss).to_owned(),
                        take_profit: pick(&DECIMALS, d.take_profit).to_owned(),
                    }),
                    confidence: if d.confidence.is_finite() {
                        d.confidence.abs().fract()
                    } else {
                        d.confidence
                    },
                    reason_code: if d.reason % 8 == 0 {
                        String::new()
                    } else {
                        "X".into()
                    },
                    ..Default::default()
                }
            })
            .collect(),
    }
}

fn fuzz_core() -> (RiskCore, pb::MarketState) {
    let mut state = portfolio();
    state.positions.push(equity_position("AAPL", "10", "200"));
    state.positions.push(equity_position("XOM", "-5", "100"));
    let mut core = core_with(&policy(), &state);
    core.set_portfolio(cream_engine::portfolio::Portfolio::from_wire(&state).unwrap());
    let legs = [
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
    ];
    let mut m = market(vec![
        quote("AAPL", "199.9", "200.1"),
        quote("SPY", "499", "501"),
        quote("XOM", "0", "1"),
    ]);
    m.option_quotes = vec![
        option_quote(&legs[0], "10", "10.2", 0.5),
        option_quote(&legs[1], "5", "5.2", 0.3),
    ];
    (core, m)
}


fn variants() -> Vec<(RiskCore, pb::MarketState)> {
    let (core, market) = fuzz_core();
    let mut out = vec![(core, market.clone())];
    // options held, open orders, short positions, opened today, day-trade rule, tiny limits
    let mut state = portfolio();
    state.positions.push(equity_position("AAPL", "10", "200"));
    state.positions.push(equity_position("XOM", "-5", "100"));
    let legs = [
        option_leg("SPY", "2025-03-21", pb::OptionType::Call, "500", pb::OrderSide::Buy, 1),
        option_leg("SPY", "2025-03-21", pb::OptionType::Call, "510", pb::OrderSide::Sell, 1),
    ];
    let mut opt = equity_position(&legs[0].occ_symbol, "3", "10.1");
    opt.instrument_type = pb::InstrumentType::Option as i32;
    opt.underlying = "SPY".into();
    opt.contract = Some(legs[0].clone());
    opt.greeks = Some(pb::Greeks { delta: 0.5, gamma: 0.01, vega: 0.2, theta: -0.05, rho: 0.0 });
    state.positions.push(opt);
    let mut opt2 = equity_position(&legs[1].occ_symbol, "-2", "5.1");
    opt2.instrument_type = pb::InstrumentType::Option as i32;
    opt2.underlying = "SPY".into();
    opt2.contract = Some(legs[1].clone());
    state.positions.push(opt2);
    state.open_orders.push(pb::Order {
        order_id: "o1".into(),
        symbol: "AAPL".into(),
        instrument_type: pb::InstrumentType::Equity as i32,
        side: pb::OrderSide::Buy as i32,
        quantity: "5".into(),
        limit_price: "199".into(),
        status: pb::OrderStatus::Accepted as i32,
        ..Default::default()
    });
    state.open_orders.push(pb::Order {
        order_id: "o2".into(),
        symbol: "MSFT".into(),
        instrument_type: pb::InstrumentType::Equity as i32,
        side: pb::OrderSide::Sell as i32,
        quantity: "5".into(),
        status: pb::OrderStatus::Accepted as i32,
        ..Default::default()
    });
    state.open_orders.push(pb::Order {
        order_id: "o3".into(),
        symbol: "SPY".into(),
        instrument_type: pb::InstrumentType::Option as i32,
        side: pb::OrderSide::Buy as i32,
        quantity: "2".into(),
        limit_price: "4.5".into(),
        legs: vec![
            pb::OrderLeg { symbol: legs[0].occ_symbol.clone(), side: pb::OrderSide::Buy as i32, ratio: 1 },
            pb::OrderLeg { symbol: legs[1].occ_symbol.clone(), side: pb::OrderSide::Sell as i32, ratio: 1 },
        ],
        status: pb::OrderStatus::Accepted as i32,
        ..Default::default()
    });
    state.opened_today.push("AAPL".into());
    state.account.as_mut().unwrap().day_trades_5d = 5;
    let mut pol = policy();
    pol.day_trade.as_mut().unwrap().enabled = true;
    pol.day_trade.as_mut().unwrap().min_equity = "1000000".into();
    pol.concentration.as_mut().unwrap().max_sector_pct = "0.01".into();
    let (_, m) = fuzz_core();
    out.push((core_with(&pol, &state), m.clone()));
    let mut pol2 = policy();
    pol2.concentration.as_mut().unwrap().allow_unknown_sector = true;
    pol2.per_instrument.as_mut().unwrap().max_units = "3".into();
    pol2.portfolio.as_mut().unwrap().max_gross_notional = "1000".into();
    pol2.portfolio.as_mut().unwrap().max_net_notional = "500".into();
    pol2.options.as_mut().unwrap().max_portfolio_delta = 0.1;
    pol2.options.as_mut().unwrap().max_delta_per_underlying = 0.1;
    pol2.options.as_mut().unwrap().max_portfolio_gamma = 0.001;
    pol2.options.as_mut().unwrap().max_portfolio_vega = 0.001;
    pol2.options.as_mut().unwrap().max_portfolio_theta = -0.001;
    let mut m2 = m.clone();
    m2.option_quotes[1].greeks = None;
    m2.option_quotes[1].implied_volatility = 0.25;
    m2.unavailable.push(pb::Unavailable { symbol: "XOM".into(), reason_code: "HALTED".into(), message: "halt".into() });
    m2.quotes.push(quote("BRK.B", "400", "401"));
    m2.quotes[0].timestamp = ts(NOW - 1000);
    out.push((core_with(&pol2, &state), m2));
    let mut halted = state.clone();
    halted.account.as_mut().unwrap().equity = "96000".into();
    out.push((core_with(&policy(), &halted), m.clone()));
    let mut halted2 = state.clone();
    halted2.account.as_mut().unwrap().equity = "94000".into();
    out.push((core_with(&policy(), &halted2), m));
    out
}

#[test]
fn golden_dump() {
    use std::fmt::Write as _;
    let variants = variants();
    let mut rng = Rng(7);
    let mut text = String::new();
    for i in 0..30_000 {
        let raw = rng.bytes(256);
        let Ok(arb) = ArbPlan::arbitrary(&mut Unstructured::new(&raw)) else { continue; };
        let plan = to_plan(&arb);
        let (core, market) = &variants[i % variants.len()];
        let r = core.check(&plan, market);
        writeln!(text, "{i} {r:?}").unwrap();
    }
    let path = std::env::var("GOLDEN_OUT").unwrap_or_else(|_| "/tmp/golden.txt".into());
    std::fs::write(path, text).unwrap();
}


fn opt_legs() -> Vec<pb::OptionLeg> {
    let mut v = Vec::new();
    for (k, s) in [(pb::OptionType::Call, "500"), (pb::OptionType::Call, "510"), (pb::OptionType::Put, "490"), (pb::OptionType::Put, "480"), (pb::OptionType::Call, "520")] {
        v.push(option_leg("SPY", "2025-03-21", k, s, pb::OrderSide::Buy, 1));
    }
    v
}

fn rich_market(rng: &mut Rng) -> pb::MarketState {
    let mut m = market(vec![
        quote("AAPL", "199.9", "200.1"),
        quote("SPY", "499", "501"),
        quote("XOM", "99.9", "100.1"),
        quote("MSFT", "399.5", "400.5"),
        quote("BRK.B", "450", "451"),
    ]);
    if rng.next() % 4 == 0 { m.quotes[2].bid = "0".into(); }
    if rng.next() % 5 == 0 { m.quotes.push(quote("AAPL", "150", "150.2")); }
    let bids = ["10", "5", "3", "2.1", "1.5"];
    for (i, leg) in opt_legs().iter().enumerate() {
        let mut q = option_quote(leg, bids[i], &format!("{}.2", bids[i].split('.').next().unwrap()), [0.5, 0.3, -0.3, -0.2, 0.1][i]);
        if rng.next() % 6 == 0 { q.greeks = None; q.implied_volatility = if rng.next() % 2 == 0 { 0.2 } else { 0.0 }; }
        m.option_quotes.push(q);
    }
    m
}

fn valid_plan(rng: &mut Rng) -> pb::DecisionPlan {
    let syms = ["AAPL", "XOM", "MSFT", "BRK.B", "NEWCO", "AAPL"];
    let pxs = ["200", "100", "400", "450", "50", "200"];
    let n = 1 + rng.next() % 6;
    let mut ds = Vec::new();
    for i in 0..n {
        let r = rng.next();
        if r % 5 == 0 {
            let legs_all = opt_legs();
            let nl = 1 + (rng.next() % 4) as usize;
            let mut legs = Vec::new();
            let start = (rng.next() % 5) as usize;
            for j in 0..nl {
                let mut l = legs_all[(start + j) % 5].clone();
                l.side = if rng.next() % 2 == 0 { pb::OrderSide::Buy as i32 } else { pb::OrderSide::Sell as i32 };
                l.ratio = 1 + (rng.next() % 2) as u32;
                legs.push(l);
            }
            let limit = ["-3.9", "2", "5.5", "-1", "0.5", "12"][(rng.next() % 6) as usize];
            let mut d = option_decision(&format!("o{i}"), "SPY", legs, ["1", "2", "10", "500"][(rng.next() % 4) as usize], limit);
            d.action = [pb::Action::Buy, pb::Action::Sell, pb::Action::Close, pb::Action::Increase][(rng.next() % 4) as usize] as i32;
            d.direction = if d.action == pb::Action::Sell as i32 || rng.next() % 3 == 0 { pb::Direction::Short as i32 } else { pb::Direction::Long as i32 };
            if d.action == pb::Action::Buy as i32 { d.direction = pb::Direction::Long as i32; }
            if rng.next() % 3 == 0 { d.order_plan.as_mut().unwrap().order_type = pb::OrderType::Market as i32; d.order_plan.as_mut().unwrap().limit_price.clear(); }
            if rng.next() % 2 == 0 { d.size.as_mut().unwrap().unit = pb::SizeUnit::Dollars as i32; d.size.as_mut().unwrap().value = "3000".into(); }
            d.risk_levels = Some(pb::RiskLevels { stop_loss: ["470", "520", ""][(rng.next() % 3) as usize].into(), take_profit: ["550", "480", ""][(rng.next() % 3) as usize].into() });
            ds.push(d);
            continue;
        }
        let k = (r / 7 % 6) as usize;
        let px: f64 = pxs[k].parse().unwrap();
        let lim = px * [1.0, 1.01, 0.9, 1.2, 0.999][(rng.next() % 5) as usize];
        let stop = px * [0.95, 0.99, 1.05, 0.5][(rng.next() % 4) as usize];
        let tp = px * [1.1, 1.01, 0.9, 1.3][(rng.next() % 4) as usize];
        let size = ["10", "1", "100", "1000", "37", "3"][(rng.next() % 6) as usize];
        let mut d = buy(&format!("d{i}"), syms[k], size, &format!("{lim:.2}"), &format!("{stop:.2}"), &format!("{tp:.2}"));
        let a = rng.next() % 7;
        let (action, dir) = match a {
            0 | 1 => (pb::Action::Buy, pb::Direction::Long),
            2 => (pb::Action::Sell, pb::Direction::Short),
            3 => (pb::Action::Reduce, if rng.next() % 2 == 0 { pb::Direction::Long } else { pb::Direction::Short }),
            4 => (pb::Action::Close, if rng.next() % 2 == 0 { pb::Direction::Long } else { pb::Direction::Short }),
            5 => (pb::Action::Increase, if rng.next() % 2 == 0 { pb::Direction::Long } else { pb::Direction::Short }),
            _ => (pb::Action::Hold, pb::Direction::Long),
        };
        d.action = action as i32;
        d.direction = dir as i32;
        match rng.next() % 6 {
            0 => { d.order_plan.as_mut().unwrap().order_type = pb::OrderType::Market as i32; d.order_plan.as_mut().unwrap().limit_price.clear(); }
            1 => { d.order_plan.as_mut().unwrap().order_type = pb::OrderType::Stop as i32; d.order_plan.as_mut().unwrap().limit_price.clear(); d.order_plan.as_mut().unwrap().stop_price = format!("{:.2}", px * 1.01); }
            2 => { d.order_plan.as_mut().unwrap().order_type = pb::OrderType::StopLimit as i32; d.order_plan.as_mut().unwrap().stop_price = format!("{:.2}", px * 0.99); }
            _ => {}
        }
        match rng.next() % 5 {
            0 => { d.size.as_mut().unwrap().unit = pb::SizeUnit::Dollars as i32; d.size.as_mut().unwrap().value = ["5000", "10", "123.45"][(rng.next() % 3) as usize].into(); }
            1 => { d.size.as_mut().unwrap().unit = pb::SizeUnit::PctEquity as i32; d.size.as_mut().unwrap().value = ["0.01", "0.5", "0.0001"][(rng.next() % 3) as usize].into(); }
            _ => {}
        }
        if rng.next() % 8 == 0 { d.risk_levels = None; }
        ds.push(d);
    }
    plan(ds)
}

#[test]
fn golden_dump_valid() {
    use std::fmt::Write as _;
    let variants = variants();
    let mut rng = Rng(11);
    let mut text = String::new();
    for i in 0..30_000 {
        let plan = valid_plan(&mut rng);
        let market = rich_market(&mut rng);
        let (core, _) = &variants[i % variants.len()];
        let r = core.check(&plan, &market);
        writeln!(text, "{i} {r:?}").unwrap();
    }
    let path = std::env::var("GOLDEN_OUT2").unwrap_or_else(|_| "/tmp/golden2.txt".into());
    std::fs::write(path, text).unwrap();
}
