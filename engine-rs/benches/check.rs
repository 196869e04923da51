//! Times `RiskCore::check` of a 20-decision plan (one a 4-leg option spread) against 200 held
//! positions, next to a reference measured in the same run (decoding the plan's bytes), and the
//! bytes-in, bytes-out path the Python boundary takes (`check_serialized`) with its stages.
#![expect(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::time::Instant;

use cream_engine::pb;
use cream_engine::portfolio::Portfolio;
use cream_engine::risk::{Policy, RiskCore};
use cream_engine::wire::{MarketView, PlanView};
use prost::Message;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{
    buy, equity_position, market, option_decision, option_leg, option_quote, plan, policy,
    portfolio, quote,
};

fn symbol(i: usize) -> String {
    let a = u8::try_from(b'A' as usize + i / 26 % 26).unwrap() as char;
    let b = u8::try_from(b'A' as usize + i % 26).unwrap() as char;
    format!("Z{a}{b}")
}

fn setup() -> (RiskCore, pb::DecisionPlan, pb::MarketState) {
    let mut raw_policy = policy();
    raw_policy
        .concentration
        .as_mut()
        .unwrap()
        .allow_unknown_sector = true;
    let mut state = portfolio();
    state.account.as_mut().unwrap().equity = "10000000".into();
    state.account.as_mut().unwrap().buying_power = "10000000".into();
    let mut quotes = vec![quote("SPY", "499.9", "500.1")];
    for i in 0..200 {
        state
            .positions
            .push(equity_position(&symbol(i), "10", "50"));
    }
    let mut decisions = Vec::new();
    for i in 0..19 {
        quotes.push(quote(&symbol(i), "49.95", "50.05"));
        decisions.push(buy(&format!("d{i}"), &symbol(i), "10", "50", "48", "54"));
    }
    let legs = vec![
        option_leg(
            "SPY",
            "2025-03-21",
            pb::OptionType::Put,
            "480",
            pb::OrderSide::Buy,
            1,
        ),
        option_leg(
            "SPY",
            "2025-03-21",
            pb::OptionType::Put,
            "490",
            pb::OrderSide::Sell,
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
        option_leg(
            "SPY",
            "2025-03-21",
            pb::OptionType::Call,
            "520",
            pb::OrderSide::Buy,
            1,
        ),
    ];
    let mut m = market(quotes);
    m.option_quotes = vec![
        option_quote(&legs[0], "3.0", "3.2", -0.2),
        option_quote(&legs[1], "5.0", "5.2", -0.3),
        option_quote(&legs[2], "5.0", "5.2", 0.3),
        option_quote(&legs[3], "3.0", "3.2", 0.2),
    ];
    let mut condor = option_decision("condor", "SPY", legs, "2", "-3.9");
    condor.action = pb::Action::Buy as i32;
    condor.risk_levels = Some(pb::RiskLevels {
        stop_loss: "470".into(),
        take_profit: "550".into(),
    });
    decisions.push(condor);
    let mut core = RiskCore::new(Policy::from_wire(&raw_policy).unwrap());
    core.set_portfolio(Portfolio::from_wire(&state).unwrap());
    (core, plan(decisions), m)
}

/// Microseconds per call: the fastest of ten batches, so that other work on the machine
/// inflates the figure as little as possible.
fn per_call(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        f();
    }
    let batch = (iterations / 10).max(1);
    (0..10)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                f();
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(batch)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let (core, plan, market) = setup();
    let response = core.check(&plan, &market).expect("valid plan");
    assert!(response.approved, "{:?}", response.violations);
    assert_eq!(response.decisions.len(), 20);
    let bytes = plan.encode_to_vec();
    let iterations = 20_000;
    let check_us = per_call(iterations, || {
        black_box(core.check(black_box(&plan), black_box(&market)).unwrap());
    });
    let decode_us = per_call(iterations, || {
        black_box(pb::DecisionPlan::decode(black_box(bytes.as_slice())).unwrap());
    });
    let validate_us = per_call(iterations, || {
        black_box(cream_engine::plan::validate(black_box(&plan)).unwrap());
    });
    let market_bytes = market.encode_to_vec();
    let serialized_us = per_call(iterations, || {
        black_box(
            core.check_serialized(black_box(&bytes), black_box(&market_bytes))
                .unwrap(),
        );
    });
    let view_us = per_call(iterations, || {
        black_box(PlanView::decode(black_box(&bytes)).unwrap());
        black_box(MarketView::decode(black_box(&market_bytes)).unwrap());
    });
    let plan_view = PlanView::decode(&bytes).unwrap();
    let market_view = MarketView::decode(&market_bytes).unwrap();
    let view_validate_us = per_call(iterations, || {
        black_box(cream_engine::plan::validate_view(black_box(&plan_view)).unwrap());
    });
    let view_check_us = per_call(iterations, || {
        black_box(
            core.check_view(black_box(&plan_view), black_box(&market_view))
                .unwrap(),
        );
    });
    let encode_us = per_call(iterations, || {
        black_box(black_box(&response).encode_to_vec());
    });
    println!(
        "bytes in, bytes out (check_serialized) {serialized_us:.2} us: zero-copy decode of plan and market \
         {view_us:.2} us, validation {view_validate_us:.2} us, validation + check of the views \
         {view_check_us:.2} us; prost encode of the response message {encode_us:.2} us"
    );
    println!("plan validation alone {validate_us:.2} us");
    println!(
        "RiskCore::check, 20 decisions (one 4-leg spread) x 200 positions: {check_us:.2} us/call; \
         plan decode reference {decode_us:.2} us; ratio {:.2}x; approved={} violations={}",
        check_us / decode_us,
        response.approved,
        response.violations.len()
    );
}
