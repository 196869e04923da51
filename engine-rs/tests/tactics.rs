//! Slice schedules: conservation, determinism and bounds over random requests; typed refusals.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use cream_engine::error::Coded;
use cream_engine::plan::Side;
use cream_engine::tactics::{
    Pricing, Release, Schedule, SliceRequest, Tactic, Touch, Urgency, schedule,
};
use proptest::prelude::*;
use rstest::rstest;
use rust_decimal::Decimal;

const START: i64 = 1_795_100_400_000;
const HOUR: i64 = 3_600_000;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn request(tactic: Tactic, quantity: &str) -> SliceRequest {
    SliceRequest {
        tactic,
        side: Side::Buy,
        quantity: dec(quantity),
        lot: Decimal::ONE,
        touch: Some(Touch {
            bid: dec("100.00"),
            ask: dec("100.04"),
        }),
        aggression_bps: dec("10"),
        start_ms: START,
        duration_ms: HOUR,
        slice_count: 6,
        jitter_pct: 20,
        seed: 7,
        volume_profile: ["1000", "3000", "2000", "500"].map(dec).to_vec(),
        participation_cap: dec("0.1"),
        peak: dec("100"),
        child_pricing: Pricing::Aggressive,
        urgency: Urgency::Normal,
        average_volume: Some(dec("100000")),
    }
}

fn quantities(s: &Schedule) -> Vec<Decimal> {
    s.slices.iter().map(|x| x.quantity).collect()
}

fn assert_well_formed(req: &SliceRequest, s: &Schedule) {
    assert_eq!(s.total(), req.quantity, "children add up to the parent");
    assert!(
        s.slices.iter().all(|x| x.quantity > Decimal::ZERO),
        "no empty child"
    );
    assert!(
        s.slices
            .iter()
            .enumerate()
            .all(|(i, x)| x.index as usize == i)
    );
    assert!(
        s.slices
            .iter()
            .all(|x| (x.quantity / req.lot).fract().is_zero())
    );
}

#[test]
fn twap_splits_evenly_and_spreads_the_remainder() {
    let req = request(Tactic::Twap, "100");
    let s = schedule(&req).unwrap();
    assert_well_formed(&req, &s);
    assert_eq!(
        quantities(&s),
        ["16", "17", "17", "16", "17", "17"].map(dec)
    );
    assert_eq!(s.slices[0].limit_price, Some(dec("100.14")));
}

#[test]
fn twap_without_jitter_releases_on_the_interval() {
    let mut req = request(Tactic::Twap, "60");
    req.jitter_pct = 0;
    let s = schedule(&req).unwrap();
    let times: Vec<i64> = s.slices.iter().map(|x| x.release_at_ms - START).collect();
    assert_eq!(
        times,
        [0, 600_000, 1_200_000, 1_800_000, 2_400_000, 3_000_000]
    );
}

#[test]
fn twap_with_fewer_lots_than_slices_makes_one_child_per_lot() {
    let req = request(Tactic::Twap, "4");
    let s = schedule(&req).unwrap();
    assert_eq!(quantities(&s), ["1", "1", "1", "1"].map(dec));
    assert!(s.reason.contains("only 4 lots"));
}

#[test]
fn vwap_follows_the_profile() {
    let mut req = request(Tactic::Vwap, "130");
    req.participation_cap = Decimal::ONE;
    let s = schedule(&req).unwrap();
    assert_well_formed(&req, &s);
    // 130 · (1000, 3000, 2000, 500) / 6500 = 20, 60, 40, 10.
    assert_eq!(quantities(&s), ["20", "60", "40", "10"].map(dec));
}

#[test]
fn vwap_rolls_what_the_cap_refuses_into_later_buckets() {
    let mut req = request(Tactic::Vwap, "4");
    req.volume_profile = ["10", "1", "10"].map(dec).to_vec();
    req.participation_cap = dec("0.5");
    // Targets 1, 1, 2; bucket 1 can take no whole share (0.5), so its share moves to bucket 2.
    let s = schedule(&req).unwrap();
    assert_well_formed(&req, &s);
    assert_eq!(quantities(&s), ["1", "3"].map(dec));
    assert!(s.slices[1].release_at_ms >= START + 2 * HOUR / 3);
}

#[test]
fn vwap_reports_the_shortfall_the_cap_leaves() {
    let mut rolled = request(Tactic::Vwap, "300");
    rolled.volume_profile = ["1000", "10000"].map(dec).to_vec();
    rolled.participation_cap = dec("0.02");
    // Capacity 20 + 200 = 220 of 300.
    let err = schedule(&rolled).unwrap_err();
    assert_eq!(err.code(), "PARTICIPATION_SHORTFALL");
    assert!(
        err.message().contains("leaves 80 of 300"),
        "{}",
        err.message()
    );
}

#[test]
fn iceberg_shows_one_peak_at_a_time_and_the_last_is_smaller() {
    let req = request(Tactic::Iceberg, "350");
    let s = schedule(&req).unwrap();
    assert_well_formed(&req, &s);
    assert_eq!(quantities(&s), ["100", "100", "100", "50"].map(dec));
    let releases: Vec<Release> = s.slices.iter().map(|x| x.release).collect();
    assert_eq!(
        releases,
        [
            Release::AtTime,
            Release::OnFill,
            Release::OnFill,
            Release::OnFill
        ]
    );
}

#[rstest]
#[case(Side::Buy, Tactic::PassiveLimit, "100.00")]
#[case(Side::Sell, Tactic::PassiveLimit, "100.04")]
#[case(Side::Buy, Tactic::AggressiveLimit, "100.14")]
#[case(Side::Sell, Tactic::AggressiveLimit, "99.90")]
fn limit_tactics_are_one_child_priced_by_their_rule(
    #[case] side: Side,
    #[case] tactic: Tactic,
    #[case] price: &str,
) {
    let mut req = request(tactic, "25");
    req.side = side;
    let s = schedule(&req).unwrap();
    assert_eq!(s.slices.len(), 1);
    assert_eq!(s.slices[0].quantity, dec("25"));
    assert_eq!(s.slices[0].limit_price, Some(dec(price)));
}

#[rstest]
// participation, urgency, bid/ask, profile? -> tactic
#[case("10000", Urgency::Normal, "100.00", "100.04", true, Tactic::Vwap)]
#[case("10000", Urgency::Normal, "100.00", "100.04", false, Tactic::Twap)]
#[case("10000", Urgency::High, "100.00", "100.04", true, Tactic::Twap)]
#[case("2000", Urgency::Normal, "100.00", "100.04", true, Tactic::Iceberg)]
#[case(
    "2000",
    Urgency::High,
    "100.00",
    "100.04",
    true,
    Tactic::AggressiveLimit
)]
#[case(
    "500",
    Urgency::Normal,
    "100.00",
    "100.04",
    true,
    Tactic::AggressiveLimit
)]
#[case("500", Urgency::Low, "100.00", "100.50", true, Tactic::PassiveLimit)]
#[case(
    "500",
    Urgency::High,
    "100.00",
    "100.50",
    true,
    Tactic::AggressiveLimit
)]
fn adaptive_picks_by_size_spread_and_urgency(
    #[case] quantity: &str,
    #[case] urgency: Urgency,
    #[case] bid: &str,
    #[case] ask: &str,
    #[case] profile: bool,
    #[case] expected: Tactic,
) {
    let mut req = request(Tactic::Adaptive, quantity);
    req.urgency = urgency;
    req.touch = Some(Touch {
        bid: dec(bid),
        ask: dec(ask),
    });
    req.participation_cap = Decimal::ONE;
    req.volume_profile = if profile {
        ["50000", "50000", "100000"].map(dec).to_vec()
    } else {
        vec![]
    };
    let s = schedule(&req).unwrap();
    assert_eq!(
        (s.requested, s.tactic),
        (Tactic::Adaptive, expected),
        "{}",
        s.reason
    );
    assert!(
        s.reason
            .starts_with(&format!("ADAPTIVE chose {}", expected.name())),
        "{}",
        s.reason
    );
    assert_well_formed(&req, &s);
}

#[rstest]
#[case::zero_quantity(|r: &mut SliceRequest| r.quantity = Decimal::ZERO, "INVALID_QUANTITY")]
#[case::negative_quantity(|r: &mut SliceRequest| r.quantity = dec("-1"), "INVALID_QUANTITY")]
#[case::fractional_shares(|r: &mut SliceRequest| r.quantity = dec("10.5"), "QUANTITY_NOT_LOT_MULTIPLE")]
#[case::zero_duration(|r: &mut SliceRequest| r.duration_ms = 0, "INVALID_DURATION")]
#[case::zero_slices(|r: &mut SliceRequest| r.slice_count = 0, "INVALID_SLICE_COUNT")]
#[case::too_much_jitter(|r: &mut SliceRequest| r.jitter_pct = 51, "INVALID_JITTER")]
#[case::crossed_quote(|r: &mut SliceRequest| r.touch = Some(Touch { bid: dec("2"), ask: dec("1") }), "INVALID_QUOTE")]
#[case::negative_aggression(|r: &mut SliceRequest| r.aggression_bps = dec("-1"), "INVALID_AGGRESSION")]
fn bad_twap_requests_are_refused_with_their_code(
    #[case] spoil: fn(&mut SliceRequest),
    #[case] code: &str,
) {
    let mut req = request(Tactic::Twap, "100");
    spoil(&mut req);
    assert_eq!(schedule(&req).unwrap_err().code(), code);
}

#[rstest]
#[case::empty_profile(Tactic::Vwap, |r: &mut SliceRequest| r.volume_profile.clear(), "EMPTY_VOLUME_PROFILE")]
#[case::all_zero_profile(Tactic::Vwap, |r: &mut SliceRequest| r.volume_profile = vec![Decimal::ZERO; 3], "EMPTY_VOLUME_PROFILE")]
#[case::negative_volume(Tactic::Vwap, |r: &mut SliceRequest| r.volume_profile[1] = dec("-5"), "INVALID_VOLUME_PROFILE")]
#[case::zero_cap(Tactic::Vwap, |r: &mut SliceRequest| r.participation_cap = Decimal::ZERO, "INVALID_PARTICIPATION_CAP")]
#[case::cap_above_one(Tactic::Vwap, |r: &mut SliceRequest| r.participation_cap = dec("1.01"), "INVALID_PARTICIPATION_CAP")]
#[case::zero_peak(Tactic::Iceberg, |r: &mut SliceRequest| r.peak = Decimal::ZERO, "INVALID_PEAK")]
#[case::fractional_peak(Tactic::Iceberg, |r: &mut SliceRequest| r.peak = dec("2.5"), "INVALID_PEAK")]
#[case::too_many_peaks(Tactic::Iceberg, |r: &mut SliceRequest| { r.quantity = dec("100000"); r.peak = Decimal::ONE; }, "TOO_MANY_SLICES")]
#[case::passive_without_quote(Tactic::PassiveLimit, |r: &mut SliceRequest| r.touch = None, "MISSING_QUOTE")]
#[case::adaptive_without_quote(Tactic::Adaptive, |r: &mut SliceRequest| r.touch = None, "MISSING_QUOTE")]
#[case::adaptive_without_volume(Tactic::Adaptive, |r: &mut SliceRequest| r.average_volume = None, "MISSING_AVERAGE_VOLUME")]
fn bad_requests_are_refused_with_their_code(
    #[case] tactic: Tactic,
    #[case] spoil: fn(&mut SliceRequest),
    #[case] code: &str,
) {
    let mut req = request(tactic, "100");
    spoil(&mut req);
    assert_eq!(schedule(&req).unwrap_err().code(), code);
}

#[test]
fn unspecified_tactic_and_side_are_refused() {
    assert_eq!(Tactic::from_wire(0).unwrap_err().code(), "UNKNOWN_TACTIC");
    assert_eq!(Tactic::from_wire(99).unwrap_err().code(), "UNKNOWN_TACTIC");
    assert_eq!(
        cream_engine::tactics::side_from_wire(0).unwrap_err().code(),
        "UNKNOWN_SIDE"
    );
}

fn arb_request() -> impl Strategy<Value = SliceRequest> {
    (
        prop_oneof![
            Just(Tactic::Twap),
            Just(Tactic::Vwap),
            Just(Tactic::Iceberg),
            Just(Tactic::Adaptive)
        ],
        1u64..5_000,
        prop_oneof![Just("1"), Just("10"), Just("0.5")],
        1i64..8 * HOUR,
        1u32..60,
        0u32..=50,
        any::<u64>(),
        proptest::collection::vec(0u32..50_000, 1..20),
        1u32..=100,
        1u64..500,
        prop_oneof![
            Just(Urgency::Low),
            Just(Urgency::Normal),
            Just(Urgency::High)
        ],
        1u64..1_000_000,
    )
        .prop_map(
            |(tactic, units, lot, duration, n, jitter, seed, profile, cap, peak, urgency, adv)| {
                let lot = dec(lot);
                let mut req = request(tactic, "1");
                req.lot = lot;
                req.quantity = Decimal::from(units) * lot;
                req.duration_ms = duration;
                req.slice_count = n;
                req.jitter_pct = jitter;
                req.seed = seed;
                req.volume_profile = profile.into_iter().map(Decimal::from).collect();
                req.participation_cap = Decimal::new(i64::from(cap), 2);
                req.peak = Decimal::from(peak) * lot;
                req.urgency = urgency;
                req.average_volume = Some(Decimal::from(adv));
                req
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_schedule_conserves_quantity_and_has_no_empty_child(req in arb_request()) {
        if let Ok(s) = schedule(&req) {
            prop_assert_eq!(s.total(), req.quantity);
            prop_assert!(s.slices.iter().all(|x| x.quantity > Decimal::ZERO));
            prop_assert!(s.slices.iter().all(|x| (x.quantity / req.lot).fract().is_zero()));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule(req in arb_request()) {
        prop_assert_eq!(schedule(&req), schedule(&req.clone()));
    }

    #[test]
    fn another_seed_moves_times_but_not_quantities(req in arb_request(), other: u64) {
        let mut reseeded = req.clone();
        reseeded.seed = other;
        match (schedule(&req), schedule(&reseeded)) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(quantities(&a), quantities(&b));
                prop_assert_eq!(a.tactic, b.tactic);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "seed changed the outcome: {a:?} vs {b:?}"),
        }
    }

    #[test]
    fn twap_times_stay_in_the_window_in_order(req in arb_request()) {
        let mut req = req;
        req.tactic = Tactic::Twap;
        if let Ok(s) = schedule(&req) {
            let times: Vec<i64> = s.slices.iter().map(|x| x.release_at_ms).collect();
            prop_assert!(times.iter().all(|t| *t >= START && *t < START + req.duration_ms));
            prop_assert!(times.windows(2).all(|w| w[0] <= w[1]));
            let n = i64::try_from(s.slices.len()).unwrap();
            let jitter = req.duration_ms / n * i64::from(req.jitter_pct) / 100;
            for (k, t) in times.iter().enumerate() {
                let nominal = START + req.duration_ms * i64::try_from(k).unwrap() / n;
                prop_assert!((t - nominal).abs() <= jitter);
            }
        }
    }

    #[test]
    fn vwap_children_respect_the_cap_of_their_bucket(req in arb_request()) {
        let mut req = req;
        req.tactic = Tactic::Vwap;
        if let Ok(s) = schedule(&req) {
            let buckets = i64::try_from(req.volume_profile.len()).unwrap();
            let bucket_ms = req.duration_ms / buckets;
            for x in &s.slices {
                let bucket = usize::try_from((x.release_at_ms - START) / bucket_ms).unwrap();
                let bucket = bucket.min(req.volume_profile.len() - 1);
                prop_assert!(x.quantity <= req.participation_cap * req.volume_profile[bucket]);
            }
        }
    }

    #[test]
    fn iceberg_children_are_peaks_except_the_last(req in arb_request()) {
        let mut req = req;
        req.tactic = Tactic::Iceberg;
        let s = schedule(&req).unwrap();
        let (last, full) = s.slices.split_last().unwrap();
        prop_assert!(full.iter().all(|x| x.quantity == req.peak));
        prop_assert!(last.quantity <= req.peak);
    }
}
