//! The FIX order state machine: every (status, event) pair, and invariants over random sequences.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod common;

use common::*;
use cream_engine::decimal;
use cream_engine::order::{ExecType, OrderBook, Status};
use cream_engine::pb;
use proptest::prelude::*;
use rstest::rstest;

fn order(id: &str) -> pb::Order {
    pb::Order {
        order_id: id.into(),
        client_order_id: format!("c-{id}"),
        symbol: "AAPL".into(),
        instrument_type: pb::InstrumentType::Equity as i32,
        side: pb::OrderSide::Buy as i32,
        order_type: pb::OrderType::Limit as i32,
        time_in_force: pb::TimeInForce::Day as i32,
        quantity: "10".into(),
        limit_price: "100.00".into(),
        status: pb::OrderStatus::New as i32,
        ..Default::default()
    }
}

/// A consistent order in `status`: 4 of 10 filled where that makes sense.
fn order_in(status: Status) -> pb::Order {
    let mut o = order("o1");
    o.status = status.wire() as i32;
    let (quantity, cum, leaves, canceled) = match status {
        Status::New | Status::PendingNew | Status::Accepted => ("10", "0", "10", "0"),
        Status::PartiallyFilled | Status::PendingCancel | Status::PendingReplace => {
            ("10", "4", "6", "0")
        }
        Status::Filled => ("10", "10", "0", "0"),
        Status::Canceled | Status::Expired | Status::Replaced => ("4", "4", "0", "6"),
        Status::Rejected => ("0", "0", "0", "10"),
    };
    o.quantity = quantity.into();
    o.cum_qty = cum.into();
    o.leaves_qty = leaves.into();
    o.canceled_qty = canceled.into();
    if cum != "0" {
        o.avg_fill_price = "100".into();
    }
    o
}

fn report(exec: ExecType, exec_id: &str) -> pb::ExecutionReport {
    let mut r = pb::ExecutionReport {
        order_id: "o1".into(),
        exec_id: exec_id.into(),
        exec_type: exec.wire(),
        timestamp: ts(NOW),
        ..Default::default()
    };
    if exec == ExecType::Trade {
        r.last_qty = "1".into();
        r.last_price = "101".into();
    }
    if exec == ExecType::Replaced {
        r.new_quantity = "12".into();
        r.new_limit_price = "99".into();
    }
    r
}

/// The allowed events of each status, written out independently of the implementation.
fn allowed(status: Status) -> &'static [ExecType] {
    use ExecType as E;
    match status {
        Status::New => &[
            E::PendingNew,
            E::New,
            E::Trade,
            E::Canceled,
            E::Rejected,
            E::Expired,
        ],
        Status::PendingNew => &[E::New, E::Trade, E::Canceled, E::Rejected, E::Expired],
        Status::Accepted => &[
            E::Trade,
            E::PendingCancel,
            E::Canceled,
            E::PendingReplace,
            E::Replaced,
            E::Expired,
        ],
        Status::PartiallyFilled => &[
            E::New,
            E::Trade,
            E::PendingCancel,
            E::Canceled,
            E::PendingReplace,
            E::Replaced,
            E::Expired,
        ],
        Status::PendingCancel => &[E::Trade, E::Canceled, E::Expired, E::CancelRejected],
        Status::PendingReplace => &[
            E::Trade,
            E::Canceled,
            E::Replaced,
            E::Expired,
            E::CancelRejected,
        ],
        Status::Canceled | Status::Expired => &[E::Trade],
        Status::Filled | Status::Replaced | Status::Rejected => &[],
    }
}

#[test]
fn every_status_and_event_pair_follows_the_transition_table() {
    for status in Status::ALL {
        for exec in ExecType::ALL {
            let mut book = OrderBook::new();
            book.restore(order_in(status), &[]).unwrap();
            let before = book.get("o1").unwrap();
            let result = book.apply(&report(exec, "x1"));
            if allowed(status).contains(&exec) {
                let (after, applied) =
                    result.unwrap_or_else(|e| panic!("{status:?} + {exec:?}: {e}"));
                assert!(applied);
                assert_invariant(&after);
            } else {
                let err = result.expect_err(&format!("{status:?} + {exec:?} must be refused"));
                let code = cream_engine::error::Coded::code(&err).to_owned();
                let expected = if status == Status::Filled && exec == ExecType::Trade {
                    "OVERFILL"
                } else {
                    "INVALID_TRANSITION"
                };
                assert_eq!(code, expected, "{status:?} + {exec:?}");
                assert_eq!(
                    book.get("o1").unwrap(),
                    before,
                    "a refused event leaves the order unchanged"
                );
            }
        }
    }
}

fn dec(text: &str) -> rust_decimal::Decimal {
    if text.is_empty() {
        rust_decimal::Decimal::ZERO
    } else {
        decimal::parse(text).unwrap()
    }
}

fn assert_invariant(o: &pb::Order) {
    assert_eq!(
        dec(&o.cum_qty) + dec(&o.leaves_qty),
        dec(&o.quantity),
        "cum + leaves == quantity: {o:?}"
    );
}

#[rstest]
#[case::ack_then_fills(&[ExecType::PendingNew, ExecType::New, ExecType::Trade], Status::PartiallyFilled)]
#[case::fill_before_ack(&[ExecType::Trade, ExecType::New], Status::PartiallyFilled)]
#[case::cancel_rejected_back_to_accepted(&[ExecType::New, ExecType::PendingCancel, ExecType::CancelRejected], Status::Accepted)]
#[case::replace_in_place(&[ExecType::New, ExecType::PendingReplace, ExecType::Replaced], Status::Accepted)]
#[case::cancel_then_late_fill(&[ExecType::New, ExecType::Canceled, ExecType::Trade], Status::Canceled)]
fn event_sequences_end_in_the_expected_status(#[case] events: &[ExecType], #[case] status: Status) {
    let mut book = OrderBook::new();
    book.insert(order("o1")).unwrap();
    let mut last = None;
    for (i, exec) in events.iter().enumerate() {
        last = Some(book.apply(&report(*exec, &format!("e{i}"))).unwrap().0);
    }
    let last = last.unwrap();
    assert_eq!(last.status, status.wire() as i32);
    assert_invariant(&last);
}

#[test]
fn late_fill_after_cancel_moves_quantity_back_from_the_canceled_remainder() {
    let mut book = OrderBook::new();
    book.insert(order("o1")).unwrap();
    book.apply(&report(ExecType::New, "a")).unwrap();
    let (canceled, _) = book.apply(&report(ExecType::Canceled, "b")).unwrap();
    assert_eq!(
        (
            canceled.quantity.as_str(),
            canceled.leaves_qty.as_str(),
            canceled.canceled_qty.as_str()
        ),
        ("0", "0", "10")
    );
    let (late, applied) = book.apply(&report(ExecType::Trade, "c")).unwrap();
    assert!(applied);
    assert_eq!(
        (
            late.quantity.as_str(),
            late.cum_qty.as_str(),
            late.canceled_qty.as_str()
        ),
        ("1", "1", "9")
    );
    assert_eq!(late.status, pb::OrderStatus::Canceled as i32);
    let mut big = report(ExecType::Trade, "d");
    big.last_qty = "10".into();
    assert_eq!(
        cream_engine::error::Coded::code(&book.apply(&big).unwrap_err()),
        "OVERFILL"
    );
}

#[test]
fn average_fill_price_is_the_exact_quantity_weighted_mean() {
    let mut book = OrderBook::new();
    book.insert(order("o1")).unwrap();
    for (id, qty, px) in [("a", "3", "100.10"), ("b", "7", "100.20")] {
        let mut r = report(ExecType::Trade, id);
        r.last_qty = qty.into();
        r.last_price = px.into();
        book.apply(&r).unwrap();
    }
    let o = book.get("o1").unwrap();
    assert_eq!(o.avg_fill_price, "100.17");
    assert_eq!(o.status, pb::OrderStatus::Filled as i32);
}

#[test]
fn restored_order_keeps_its_exec_ids_and_canceled_remainder() {
    let mut book = OrderBook::new();
    book.restore(order_in(Status::Canceled), &["seen".to_owned()])
        .unwrap();
    let (o, applied) = book.apply(&report(ExecType::Trade, "seen")).unwrap();
    assert!(!applied);
    assert_eq!(o.canceled_qty, "6");
    assert_eq!(book.open_orders().len(), 0);
    assert_eq!(
        cream_engine::error::Coded::code(&book.restore(order_in(Status::New), &[]).unwrap_err()),
        "DUPLICATE_ORDER"
    );
}

#[test]
fn inconsistent_orders_cannot_be_inserted_or_restored() {
    let mut book = OrderBook::new();
    let mut bad = order_in(Status::PartiallyFilled);
    bad.leaves_qty = "7".into();
    assert!(book.restore(bad, &[]).is_err());
    assert!(
        book.insert(order_in(Status::PartiallyFilled)).is_err(),
        "insert takes NEW orders only"
    );
    let mut zero = order("z");
    zero.quantity = "0".into();
    assert!(book.insert(zero).is_err());
    assert_eq!(
        cream_engine::error::Coded::code(&book.get("nope").unwrap_err()),
        "ORDER_NOT_FOUND"
    );
}

fn event() -> impl Strategy<Value = (usize, u8, u8)> {
    (0usize..10, 0u8..12, 1u8..6)
}

fn to_report((exec, id, qty): (usize, u8, u8)) -> pb::ExecutionReport {
    let exec = ExecType::ALL[exec];
    let mut r = report(exec, &format!("e{id}"));
    if exec == ExecType::Trade {
        r.last_qty = qty.to_string();
    }
    if exec == ExecType::Replaced && qty % 2 == 0 {
        r.new_quantity.clear();
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_event_sequences_keep_every_invariant(events in prop::collection::vec(event(), 1..40)) {
        let mut book = OrderBook::new();
        book.insert(order("o1")).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut outputs = Vec::new();
        for raw in &events {
            let r = to_report(*raw);
            let before = book.get("o1").unwrap();
            let was_terminal = Status::ALL.iter().any(|s| s.wire() as i32 == before.status && s.is_terminal());
            if let Ok((after, applied)) = book.apply(&r) {
                prop_assert_eq!(applied, !seen.contains(&r.exec_id), "a repeated exec id is ignored");
                if applied {
                    seen.insert(r.exec_id.clone());
                } else {
                    prop_assert_eq!(&after, &before);
                }
                if was_terminal {
                    prop_assert_eq!(after.status, before.status, "terminal states stay terminal");
                }
                let original = dec(&after.quantity) + dec(&after.canceled_qty);
                prop_assert!(dec(&after.cum_qty) <= original);
                assert_invariant(&after);
                outputs.push(after);
            } else { prop_assert_eq!(book.get("o1").unwrap(), before, "an error leaves the order unchanged") }
        }
        let mut replay = OrderBook::new();
        replay.insert(order("o1")).unwrap();
        let replayed: Vec<pb::Order> = events.iter().filter_map(|raw| replay.apply(&to_report(*raw)).ok().map(|(o, _)| o)).collect();
        prop_assert_eq!(outputs, replayed, "same inputs, bit-identical outputs");
    }
}
