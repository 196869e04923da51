//! Limit prices of the two child styles: at the near touch, or across the spread by a cap.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::plan::Side;

use super::error::TacticError;
use super::model::{Pricing, Touch};

/// The widest an aggressive child may cross: 10 % beyond the far touch.
pub const MAX_AGGRESSION_BPS: u32 = 1_000;

/// US equities quote in cents from $1 and in hundredths of a cent below (Reg NMS 612).
fn tick(price: Decimal) -> Decimal {
    if price >= Decimal::ONE {
        Decimal::new(1, 2)
    } else {
        Decimal::new(1, 4)
    }
}

/// The aggression cap, validated.
///
/// # Errors
/// `InvalidAggression` outside `[0, MAX_AGGRESSION_BPS]`.
pub fn aggression(bps: Decimal) -> Result<Decimal, TacticError> {
    if bps < Decimal::ZERO || bps > Decimal::from(MAX_AGGRESSION_BPS) {
        return Err(TacticError::InvalidAggression(bps, MAX_AGGRESSION_BPS));
    }
    Ok(bps)
}

/// The limit price of a child.
///
/// Passive: the bid for buys, the ask for sells. Aggressive: the far touch moved by at most
/// `aggression_bps` (ask + x bps for buys, bid − x bps for sells), rounded to the tick towards
/// the touch so the cap is never exceeded, and never inside the far touch.
///
/// # Errors
/// An invalid touch or aggression.
pub fn limit_price(
    side: Side,
    pricing: Pricing,
    touch: Touch,
    aggression_bps: Decimal,
) -> Result<Decimal, TacticError> {
    let touch = touch.validated()?;
    let bps = aggression(aggression_bps)?;
    let cross = bps / Decimal::from(10_000);
    Ok(match (pricing, side) {
        (Pricing::Passive, Side::Buy) => touch.bid,
        (Pricing::Passive, Side::Sell) => touch.ask,
        (Pricing::Aggressive, Side::Buy) => {
            let capped = touch.ask * (Decimal::ONE + cross);
            round_to_tick(capped, RoundingStrategy::ToNegativeInfinity).max(touch.ask)
        }
        (Pricing::Aggressive, Side::Sell) => {
            let capped = touch.bid * (Decimal::ONE - cross);
            round_to_tick(capped, RoundingStrategy::ToPositiveInfinity).min(touch.bid)
        }
    })
}

fn round_to_tick(price: Decimal, strategy: RoundingStrategy) -> Decimal {
    let step = tick(price);
    (price / step).round_dp_with_strategy(0, strategy) * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn touch(bid: &str, ask: &str) -> Touch {
        Touch {
            bid: bid.parse().unwrap(),
            ask: ask.parse().unwrap(),
        }
    }

    #[rstest]
    #[case(Side::Buy, Pricing::Passive, "0", "100.00")]
    #[case(Side::Sell, Pricing::Passive, "0", "100.04")]
    #[case(Side::Buy, Pricing::Aggressive, "10", "100.14")]
    #[case(Side::Sell, Pricing::Aggressive, "10", "99.90")]
    #[case(Side::Buy, Pricing::Aggressive, "0", "100.04")]
    #[case(Side::Sell, Pricing::Aggressive, "0", "100.00")]
    fn prices_follow_the_side_and_style(
        #[case] side: Side,
        #[case] pricing: Pricing,
        #[case] bps: &str,
        #[case] expected: &str,
    ) {
        let price = limit_price(
            side,
            pricing,
            touch("100.00", "100.04"),
            bps.parse().unwrap(),
        );
        assert_eq!(price.unwrap(), expected.parse::<Decimal>().unwrap());
    }

    #[test]
    fn sub_dollar_prices_use_hundredths_of_a_cent() {
        let price = limit_price(
            Side::Buy,
            Pricing::Aggressive,
            touch("0.5", "0.51"),
            "25".parse().unwrap(),
        );
        assert_eq!(price.unwrap(), "0.5112".parse::<Decimal>().unwrap());
    }

    #[rstest]
    #[case("0", "1", "0", "INVALID_QUOTE")]
    #[case("2", "1", "0", "INVALID_QUOTE")]
    #[case("1", "2", "-1", "INVALID_AGGRESSION")]
    #[case("1", "2", "1001", "INVALID_AGGRESSION")]
    fn bad_touch_or_cap_is_refused(
        #[case] bid: &str,
        #[case] ask: &str,
        #[case] bps: &str,
        #[case] code: &str,
    ) {
        use crate::error::Coded;
        let err = limit_price(
            Side::Buy,
            Pricing::Aggressive,
            touch(bid, ask),
            bps.parse().unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code(), code);
    }

    proptest::proptest! {
        #[test]
        fn aggressive_prices_never_pass_the_cap_nor_stay_inside_the_touch(
            bid_cents in 1i64..1_000_000, spread in 0i64..500, bps in 0u32..=1000,
        ) {
            let t = Touch { bid: Decimal::new(bid_cents, 2), ask: Decimal::new(bid_cents + spread, 2) };
            let cross = Decimal::from(bps) / Decimal::from(10_000);
            let buy = limit_price(Side::Buy, Pricing::Aggressive, t, Decimal::from(bps)).unwrap();
            proptest::prop_assert!(buy >= t.ask && buy <= (t.ask * (Decimal::ONE + cross)).max(t.ask));
            let sell = limit_price(Side::Sell, Pricing::Aggressive, t, Decimal::from(bps)).unwrap();
            proptest::prop_assert!(sell <= t.bid && sell >= (t.bid * (Decimal::ONE - cross)).min(t.bid));
        }
    }
}
