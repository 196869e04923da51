//! Quantities as whole numbers of lots, so splitting is integer arithmetic and conserves exactly.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::error::TacticError;

/// A parent quantity expressed as `units` lots of size `lot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lots {
    pub units: u64,
    pub lot: Decimal,
}

impl Lots {
    /// Splits `quantity` into lots of `lot`.
    ///
    /// # Errors
    /// A non-positive quantity or lot, a quantity that is not a whole number of lots, or
    /// more lots than a `u64` holds.
    pub fn new(quantity: Decimal, lot: Decimal) -> Result<Self, TacticError> {
        if quantity <= Decimal::ZERO {
            return Err(TacticError::NonPositiveQuantity(quantity));
        }
        if lot <= Decimal::ZERO {
            return Err(TacticError::NonPositiveLot(lot));
        }
        let not_multiple = || TacticError::NotLotMultiple { quantity, lot };
        let ratio = quantity.checked_div(lot).ok_or_else(not_multiple)?;
        if !ratio.fract().is_zero() {
            return Err(not_multiple());
        }
        let units = ratio.to_u64().ok_or(TacticError::QuantityTooLarge {
            quantity,
            lot,
            max: u64::MAX,
        })?;
        // Division rounds to 28 digits: confirm the lots multiply back to the quantity exactly.
        if Decimal::from(units).checked_mul(lot) != Some(quantity) {
            return Err(not_multiple());
        }
        Ok(Self { units, lot })
    }

    /// The quantity of `units` lots (exact: never more than the parent's).
    #[must_use]
    pub fn quantity(self, units: u64) -> Decimal {
        Decimal::from(units) * self.lot
    }

    /// How many whole lots fit in `amount` (rounded down, saturating, 0 for negatives).
    #[must_use]
    pub fn whole_lots_in(self, amount: Decimal) -> u64 {
        amount.checked_div(self.lot).map_or(u64::MAX, |r| {
            r.floor()
                .to_u64()
                .unwrap_or(if r > Decimal::ZERO { u64::MAX } else { 0 })
        })
    }
}

/// `floor(total * (k+1) / n) - floor(total * k / n)`: `n` parts of `total` that differ by at
/// most one and add up to `total` exactly, the larger ones spread evenly.
#[must_use]
pub fn even_part(total: u64, k: u64, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let cut = |i: u64| u128::from(total) * u128::from(i) / u128::from(n);
    u64::try_from(cut(k + 1) - cut(k)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("0", "1", "INVALID_QUANTITY")]
    #[case("-5", "1", "INVALID_QUANTITY")]
    #[case("5", "0", "INVALID_LOT")]
    #[case("5.5", "1", "QUANTITY_NOT_LOT_MULTIPLE")]
    #[case("250", "100", "QUANTITY_NOT_LOT_MULTIPLE")]
    fn bad_quantities_are_refused(#[case] qty: &str, #[case] lot: &str, #[case] code: &str) {
        use crate::error::Coded;
        let err = Lots::new(qty.parse().unwrap(), lot.parse().unwrap()).unwrap_err();
        assert_eq!(err.code(), code);
    }

    #[test]
    fn fractional_lots_are_exact() {
        let lots = Lots::new("0.9".parse().unwrap(), "0.3".parse().unwrap()).unwrap();
        assert_eq!(lots.units, 3);
        assert_eq!(lots.quantity(3), "0.9".parse::<Decimal>().unwrap());
    }

    proptest::proptest! {
        #[test]
        fn even_parts_add_up_and_differ_by_at_most_one(total in 0u64..1_000_000, n in 1u64..500) {
            let parts: Vec<u64> = (0..n).map(|k| even_part(total, k, n)).collect();
            proptest::prop_assert_eq!(parts.iter().sum::<u64>(), total);
            let (lo, hi) = (parts.iter().min().copied().unwrap(), parts.iter().max().copied().unwrap());
            proptest::prop_assert!(hi - lo <= 1);
        }
    }
}
