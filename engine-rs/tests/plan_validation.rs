//! Structural plan validation: each malformed plan is refused with its stable code.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod common;

use common::*;
use cream_engine::pb;
use cream_engine::plan::validate;
use rstest::rstest;

fn base() -> pb::DecisionPlan {
    plan(vec![buy("d1", "AAPL", "10", "200", "190", "220")])
}

fn d(p: &mut pb::DecisionPlan) -> &mut pb::Decision {
    &mut p.decisions[0]
}

fn spread() -> pb::DecisionPlan {
    let legs = vec![
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
    plan(vec![option_decision("o1", "SPY", legs, "1", "-2.5")])
}

#[test]
fn well_formed_plans_validate() {
    assert!(validate(&base()).is_ok());
    assert!(
        validate(&spread()).is_ok(),
        "a spread's net limit may be a credit"
    );
}

#[rstest]
#[case::empty("PLAN_EMPTY", |p: &mut pb::DecisionPlan| p.decisions.clear())]
#[case::too_large("PLAN_TOO_LARGE", |p: &mut pb::DecisionPlan| {
    p.decisions = (0..501).map(|i| buy(&format!("d{i}"), "AAPL", "1", "200", "190", "220")).collect();
})]
#[case::cycle("MISSING_CYCLE_ID", |p: &mut pb::DecisionPlan| p.cycle_id.clear())]
#[case::as_of("MISSING_AS_OF", |p: &mut pb::DecisionPlan| p.as_of = None)]
#[case::environment("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| p.environment = 0)]
#[case::environment_unknown("UNKNOWN_ENUM", |p: &mut pb::DecisionPlan| p.environment = 99)]
#[case::decision_id("MISSING_DECISION_ID", |p: &mut pb::DecisionPlan| d(p).decision_id.clear())]
#[case::duplicate_id("DUPLICATE_DECISION_ID", |p: &mut pb::DecisionPlan| { let x = p.decisions[0].clone(); p.decisions.push(x); })]
#[case::action("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| d(p).action = 0)]
#[case::action_unknown("UNKNOWN_ENUM", |p: &mut pb::DecisionPlan| d(p).action = 42)]
#[case::direction("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| d(p).direction = 0)]
#[case::size_unit("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| d(p).size.as_mut().unwrap().unit = 0)]
#[case::order_type("UNKNOWN_ENUM", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().order_type = 9)]
#[case::tif("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().time_in_force = 0)]
#[case::tactic("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().execution_tactic = 0)]
#[case::instrument_type("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| d(p).instrument = None)]
#[case::symbol("INVALID_SYMBOL", |p: &mut pb::DecisionPlan| d(p).instrument.as_mut().unwrap().symbol = "aapl".into())]
#[case::symbol_long("INVALID_SYMBOL", |p: &mut pb::DecisionPlan| d(p).instrument.as_mut().unwrap().symbol = "ABCDEFGHIJK".into())]
#[case::decimal("INVALID_DECIMAL", |p: &mut pb::DecisionPlan| d(p).size.as_mut().unwrap().value = "1e3".into())]
#[case::nan("INVALID_DECIMAL", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().limit_price = "NaN".into())]
#[case::quantity("INVALID_QUANTITY", |p: &mut pb::DecisionPlan| d(p).size.as_mut().unwrap().value = "0".into())]
#[case::quantity_range("QUANTITY_OUT_OF_RANGE", |p: &mut pb::DecisionPlan| d(p).size.as_mut().unwrap().value = "10000001".into())]
#[case::dollars_range("QUANTITY_OUT_OF_RANGE", |p: &mut pb::DecisionPlan| *d(p).size.as_mut().unwrap() = pb::Size { value: "20000000000".into(), unit: pb::SizeUnit::Dollars as i32 })]
#[case::fractional("FRACTIONAL_QUANTITY", |p: &mut pb::DecisionPlan| d(p).size.as_mut().unwrap().value = "1.5".into())]
#[case::pct("PCT_EQUITY_OUT_OF_RANGE", |p: &mut pb::DecisionPlan| *d(p).size.as_mut().unwrap() = pb::Size { value: "5".into(), unit: pb::SizeUnit::PctEquity as i32 })]
#[case::unit_mismatch("SIZE_UNIT_MISMATCH", |p: &mut pb::DecisionPlan| d(p).size.as_mut().unwrap().unit = pb::SizeUnit::Contracts as i32)]
#[case::price("INVALID_PRICE", |p: &mut pb::DecisionPlan| d(p).risk_levels.as_mut().unwrap().stop_loss = "-5".into())]
#[case::price_absurd("INVALID_PRICE", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().limit_price = "10000000".into())]
#[case::limit_required("LIMIT_PRICE_REQUIRED", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().limit_price.clear())]
#[case::stop_required("STOP_PRICE_REQUIRED", |p: &mut pb::DecisionPlan| d(p).order_plan.as_mut().unwrap().order_type = pb::OrderType::StopLimit as i32)]
#[case::mismatch("ACTION_DIRECTION_MISMATCH", |p: &mut pb::DecisionPlan| d(p).direction = pb::Direction::Short as i32)]
#[case::flat_increase("ACTION_DIRECTION_MISMATCH", |p: &mut pb::DecisionPlan| { d(p).action = pb::Action::Increase as i32; d(p).direction = pb::Direction::Flat as i32; })]
#[case::confidence("CONFIDENCE_OUT_OF_RANGE", |p: &mut pb::DecisionPlan| d(p).confidence = 1.5)]
#[case::confidence_nan("CONFIDENCE_OUT_OF_RANGE", |p: &mut pb::DecisionPlan| d(p).confidence = f64::NAN)]
#[case::no_trade_reason("NO_TRADE_REASON_REQUIRED", |p: &mut pb::DecisionPlan| d(p).action = pb::Action::NoTrade as i32)]
#[case::legs_on_equity("LEGS_ON_EQUITY", |p: &mut pb::DecisionPlan| d(p).instrument.as_mut().unwrap().legs.push(option_leg("AAPL", "2025-03-21", pb::OptionType::Call, "200", pb::OrderSide::Buy, 1)))]
fn malformed_equity_plan_is_refused_with_its_code(
    #[case] code: &str,
    #[case] mutate: fn(&mut pb::DecisionPlan),
) {
    let mut p = base();
    mutate(&mut p);
    let err = validate(&p).expect_err("must be refused");
    assert_eq!(err.code, code, "{err}");
}

fn legs(p: &mut pb::DecisionPlan) -> &mut Vec<pb::OptionLeg> {
    &mut p.decisions[0].instrument.as_mut().unwrap().legs
}

#[rstest]
#[case::too_many("TOO_MANY_LEGS", |p: &mut pb::DecisionPlan| {
    for strike in ["520", "530", "540"] {
        legs(p).push(option_leg("SPY", "2025-03-21", pb::OptionType::Call, strike, pb::OrderSide::Buy, 1));
    }
})]
#[case::missing("MISSING_LEGS", |p: &mut pb::DecisionPlan| legs(p).clear())]
#[case::duplicate("DUPLICATE_LEG", |p: &mut pb::DecisionPlan| { let l = legs(p)[0].clone(); legs(p)[1] = l; })]
#[case::expiry_missing("LEG_MISSING_EXPIRY", |p: &mut pb::DecisionPlan| legs(p)[0].expiry.clear())]
#[case::expiry_bad("LEG_INVALID_EXPIRY", |p: &mut pb::DecisionPlan| legs(p)[0].expiry = "2025-02-30".into())]
#[case::expired("LEG_INVALID_EXPIRY", |p: &mut pb::DecisionPlan| legs(p)[0] = option_leg("SPY", "2024-12-20", pb::OptionType::Call, "500", pb::OrderSide::Buy, 1))]
#[case::underlying("LEG_UNDERLYING_MISMATCH", |p: &mut pb::DecisionPlan| legs(p)[0].underlying = "QQQ".into())]
#[case::occ("OCC_SYMBOL_MISMATCH", |p: &mut pb::DecisionPlan| legs(p)[0].occ_symbol = "SPY250321C00505000".into())]
#[case::ratio_zero("INVALID_RATIO", |p: &mut pb::DecisionPlan| legs(p)[0].ratio = 0)]
#[case::ratio_big("INVALID_RATIO", |p: &mut pb::DecisionPlan| legs(p)[0].ratio = 11)]
#[case::leg_type("UNSPECIFIED_ENUM", |p: &mut pb::DecisionPlan| legs(p)[0].option_type = 0)]
#[case::leg_side("UNKNOWN_ENUM", |p: &mut pb::DecisionPlan| legs(p)[0].side = 7)]
#[case::shares("SIZE_UNIT_MISMATCH", |p: &mut pb::DecisionPlan| p.decisions[0].size.as_mut().unwrap().unit = pb::SizeUnit::Shares as i32)]
#[case::single_leg_negative("INVALID_PRICE", |p: &mut pb::DecisionPlan| legs(p).truncate(1))]
fn malformed_option_plan_is_refused_with_its_code(
    #[case] code: &str,
    #[case] mutate: fn(&mut pb::DecisionPlan),
) {
    let mut p = spread();
    mutate(&mut p);
    let err = validate(&p).expect_err("must be refused");
    assert_eq!(err.code, code, "{err}");
}

#[test]
fn plan_error_names_the_decision_and_says_what_to_fix() {
    let mut p = base();
    p.decisions[0].decision_id = "d2".into();
    p.decisions[0].risk_levels.as_mut().unwrap().stop_loss = "-5".into();
    let err = validate(&p).unwrap_err();
    assert_eq!(err.decision_id, "d2");
    assert!(
        err.message
            .contains("decision d2: stop_loss '-5' must be a positive price"),
        "{}",
        err.message
    );
}
