//! A stable-toolchain fuzz harness: random bytes and structurally random plans go through
//! decode + validate + check, which must never panic; the zero-copy decoder of the hot path
//! must agree with `prost` on every input it accepts.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod common;

use arbitrary::{Arbitrary, Unstructured};
use common::*;
use cream_engine::error::decode;
use cream_engine::pb;
use cream_engine::risk::{RiskCore, request_instruments};
use cream_engine::wire::{MarketView, PlanView, request_plan};
use prost::Message;

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

#[test]
fn random_bytes_never_panic_the_decoder_or_the_checks() {
    let (core, market) = fuzz_core();
    let mut rng = Rng(1);
    for _ in 0..20_000 {
        let len = usize::try_from(rng.next() % 200).unwrap();
        let bytes = rng.bytes(len);
        if let Ok(plan) = decode::<pb::DecisionPlan>("DecisionPlan", &bytes) {
            let _ = core.check(&plan, &market);
        }
        let _ = decode::<pb::MarketState>("MarketState", &bytes)
            .map(|m| core.check(&to_plan_default(), &m));
    }
}

fn to_plan_default() -> pb::DecisionPlan {
    plan(vec![buy("d1", "AAPL", "10", "200", "190", "220")])
}

#[test]
fn structurally_random_plans_never_panic_and_give_identical_answers_twice() {
    let (core, market) = fuzz_core();
    let mut rng = Rng(2);
    let mut checked = 0usize;
    for _ in 0..20_000 {
        let raw = rng.bytes(256);
        let Ok(arb) = ArbPlan::arbitrary(&mut Unstructured::new(&raw)) else {
            continue;
        };
        let plan = to_plan(&arb);
        let first = core.check(&plan, &market);
        assert_eq!(first, core.check(&plan, &market));
        checked += usize::from(first.is_ok());
    }
    assert!(
        checked >= 1_000,
        "too few random plans got past validation: {checked}"
    );
}

/// Random edits of a valid encoding: flipped, dropped, inserted and truncated bytes.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..=rng.next() % 3 {
        if out.is_empty() {
            break;
        }
        let at = usize::try_from(rng.next()).unwrap() % out.len();
        match rng.next() % 4 {
            0 => out[at] ^= 1 << (rng.next() % 8),
            1 => drop(out.remove(at)),
            2 => out.insert(at, rng.bytes(1)[0]),
            _ => out.truncate(at),
        }
    }
    out
}

fn random_plan_bytes(rng: &mut Rng) -> Option<Vec<u8>> {
    let raw = rng.bytes(256);
    let arb = ArbPlan::arbitrary(&mut Unstructured::new(&raw)).ok()?;
    Some(to_plan(&arb).encode_to_vec())
}

#[test]
fn random_bytes_never_panic_the_request_entry_points() {
    let (core, market) = fuzz_core();
    let market = market.encode_to_vec();
    let mut rng = Rng(3);
    for _ in 0..20_000 {
        let len = usize::try_from(rng.next() % 200).unwrap();
        let bytes = rng.bytes(len);
        let _ = request_instruments(&bytes);
        let _ = core.check_request(&bytes, &market);
        let _ = core.check_serialized(&bytes, &market);
        let _ = core.check_serialized(&market, &bytes);
    }
}

#[test]
fn zero_copy_decoder_agrees_with_prost_on_valid_and_mutated_plans() {
    let mut rng = Rng(4);
    let (mut accepted, mut fast) = (0usize, 0usize);
    for _ in 0..20_000 {
        let Some(valid) = random_plan_bytes(&mut rng) else {
            continue;
        };
        let request = pb::CheckConstraintsRequest {
            plan: pb::DecisionPlan::decode(valid.as_slice()).ok(),
        }
        .encode_to_vec();
        for bytes in [mutate(&mut rng, &valid), valid] {
            let reference = pb::DecisionPlan::decode(bytes.as_slice());
            accepted += usize::from(reference.is_ok());
            if let Ok(view) = PlanView::decode(&bytes) {
                fast += 1;
                let reference = reference.expect("prost accepts what the fast decoder accepts");
                assert_eq!(
                    format!("{view:?}"),
                    format!("{:?}", PlanView::from_pb(&reference))
                );
            }
        }
        let mutated = mutate(&mut rng, &request);
        for bytes in [request, mutated] {
            let reference = pb::CheckConstraintsRequest::decode(bytes.as_slice());
            if let Ok(view) = request_plan(&bytes) {
                let reference = reference.expect("prost accepts what the fast decoder accepts");
                assert_eq!(
                    format!("{view:?}"),
                    format!("{:?}", reference.plan.as_ref().map(PlanView::from_pb))
                );
            }
        }
    }
    assert!(
        fast * 10 >= accepted * 9,
        "fast path took {fast} of {accepted}"
    );
}

#[test]
fn zero_copy_decoder_agrees_with_prost_on_mutated_markets() {
    let (_, market) = fuzz_core();
    let mut rich = market.clone();
    rich.unavailable.push(pb::Unavailable {
        symbol: "XOM".into(),
        reason_code: "HALTED".into(),
        message: "halted".into(),
    });
    let valid = rich.encode_to_vec();
    let mut rng = Rng(5);
    for _ in 0..20_000 {
        let bytes = mutate(&mut rng, &valid);
        if let Ok(view) = MarketView::decode(&bytes) {
            let reference = pb::MarketState::decode(bytes.as_slice())
                .expect("prost accepts what the fast decoder accepts");
            assert_eq!(
                format!("{view:?}"),
                format!("{:?}", MarketView::from_pb(&reference))
            );
        }
    }
    assert_eq!(
        MarketView::decode(&valid).expect("a valid market"),
        MarketView::from_pb(&rich)
    );
}

#[test]
fn serialized_check_answers_byte_for_byte_as_the_message_check() {
    let (core, market) = fuzz_core();
    let market_bytes = market.encode_to_vec();
    let mut rng = Rng(6);
    let mut checked = 0usize;
    for _ in 0..10_000 {
        let Some(valid) = random_plan_bytes(&mut rng) else {
            continue;
        };
        for bytes in [mutate(&mut rng, &valid), valid] {
            let fast = core.check_serialized(&bytes, &market_bytes);
            let Ok(plan) = pb::DecisionPlan::decode(bytes.as_slice()) else {
                assert!(fast.is_err());
                continue;
            };
            let reference = core.check(&plan, &market);
            match (fast, reference) {
                (Ok(fast), Ok(reference)) => {
                    checked += 1;
                    assert_eq!(fast, reference.encode_to_vec());
                }
                (Err(fast), Err(reference)) => assert_eq!(fast.to_string(), reference.to_string()),
                (fast, reference) => panic!("{fast:?} vs {reference:?}"),
            }
            let request = pb::CheckConstraintsRequest { plan: Some(plan) }.encode_to_vec();
            assert_eq!(
                core.check_request(&request, &market_bytes),
                core.check_serialized(&bytes, &market_bytes)
            );
        }
    }
    assert!(
        checked >= 500,
        "too few plans got past validation: {checked}"
    );
}
