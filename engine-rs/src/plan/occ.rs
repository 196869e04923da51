//! OCC option symbols: root + YYMMDD + C/P + strike x 1000 zero-padded to 8 digits.

use rust_decimal::Decimal;

use crate::calendar::Date;
use crate::plan::OptionKind;

/// Builds the OCC symbol, or None when the strike has more than 3 decimals or is too large.
#[must_use]
pub fn build(underlying: &str, expiry: Date, kind: OptionKind, strike: Decimal) -> Option<String> {
    let milli = milli_strike(strike)?;
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

fn milli_strike(strike: Decimal) -> Option<u64> {
    let milli = strike * Decimal::ONE_THOUSAND;
    if milli.fract() != Decimal::ZERO || milli <= Decimal::ZERO || milli > Decimal::from(99_999_999)
    {
        return None;
    }
    rust_decimal::prelude::ToPrimitive::to_u64(&milli)
}

/// Room for an OCC symbol with a root of any length a plan may carry.
#[derive(Debug)]
pub struct Buffer([u8; 64]);

impl Default for Buffer {
    fn default() -> Self {
        Self([0; 64])
    }
}

/// Writes the OCC symbol into `buf` without allocating; None as for [`build`], or when the
/// root does not fit the buffer.
pub fn write<'b>(
    buf: &'b mut Buffer,
    underlying: &str,
    expiry: Date,
    kind: OptionKind,
    strike: Decimal,
) -> Option<&'b str> {
    let milli = milli_strike(strike)?;
    let (year, month, day) = expiry.civil();
    let root = underlying.as_bytes();
    let out = buf.0.get_mut(..root.len() + 15)?;
    let (head, tail) = out.split_at_mut(root.len());
    head.copy_from_slice(root);
    let digits = |slot: &mut [u8], mut value: u64| {
        for byte in slot.iter_mut().rev() {
            *byte = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    };
    digits(&mut tail[0..2], year.rem_euclid(100).unsigned_abs());
    digits(&mut tail[2..4], month.unsigned_abs());
    digits(&mut tail[4..6], day.unsigned_abs());
    tail[6] = match kind {
        OptionKind::Call => b'C',
        OptionKind::Put => b'P',
    };
    digits(&mut tail[7..15], milli);
    std::str::from_utf8(out).ok()
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
    fn written_symbol_equals_the_built_one() {
        let mut buf = Buffer::default();
        for (root, expiry, strike) in [
            ("AAPL", "2025-01-17", "150"),
            ("F", "2099-12-31", "2.5"),
            ("BRK.B", "2030-06-01", "99999.999"),
            ("SPY", "2026-12-18", "0.001"),
        ] {
            let expiry = Date::parse(expiry).unwrap();
            let strike = Decimal::from_str(strike).unwrap();
            for kind in [OptionKind::Call, OptionKind::Put] {
                assert_eq!(
                    write(&mut buf, root, expiry, kind, strike).map(str::to_owned),
                    build(root, expiry, kind, strike)
                );
            }
        }
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
