//! OCC option symbols: root + YYMMDD + C/P + strike x 1000 zero-padded to 8 digits.

use rust_decimal::Decimal;

use crate::calendar::Date;
use crate::plan::OptionKind;

/// Builds the OCC symbol, or None when the strike has more than 3 decimals or is too large.
#[must_use]
pub fn build(underlying: &str, expiry: Date, kind: OptionKind, strike: Decimal) -> Option<String> {
    let milli = strike * Decimal::ONE_THOUSAND;
    if milli.fract() != Decimal::ZERO || milli <= Decimal::ZERO || milli > Decimal::from(99_999_999)
    {
        return None;
    }
    let milli = rust_decimal::prelude::ToPrimitive::to_u64(&milli)?;
    let (year, month, day) = expiry.civil();
    let letter = match kind {
        OptionKind::Call => 'C',
        OptionKind::Put => 'P',
    };
    Some(format!(
        "{underlying}{:02}{month:02}{day:02}{letter}{:08}",
        year.rem_euclid(100),
        milli
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn occ_symbol_matches_the_published_format() {
        let expiry = Date::parse("2025-01-17").unwrap();
        let strike = Decimal::from_str("150").unwrap();
        assert_eq!(
            build("AAPL", expiry, OptionKind::Call, strike).as_deref(),
            Some("AAPL250117C00150000")
        );
        let strike = Decimal::from_str("2.5").unwrap();
        assert_eq!(
            build("F", expiry, OptionKind::Put, strike).as_deref(),
            Some("F250117P00002500")
        );
    }

    #[test]
    fn strike_with_sub_tenth_of_a_cent_has_no_occ_symbol() {
        let expiry = Date::parse("2025-01-17").unwrap();
        assert!(
            build(
                "F",
                expiry,
                OptionKind::Put,
                Decimal::from_str("2.5001").unwrap()
            )
            .is_none()
        );
    }
}
