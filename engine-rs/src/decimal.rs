//! Strict parsing and canonical formatting of the decimal strings on the wire.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("'{0}' is not a plain decimal number (digits, one optional '.', optional leading '-')")]
    Malformed(String),
    #[error("'{0}' does not fit a 28-digit decimal")]
    OutOfRange(String),
}

/// Parses a plain decimal string: `-?digits(.digits)?`, no exponent, blanks or separators.
///
/// # Errors
/// `Malformed` for anything else (NaN, inf, "1e5", " 1", "1,000"); `OutOfRange` beyond 28 digits.
pub fn parse(text: &str) -> Result<Decimal, DecimalError> {
    let bytes = text.as_bytes();
    let (negative, body) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let mut mantissa = 0i64;
    let mut digits = 0u32;
    let mut scale = 0u32;
    let mut dots = 0u32;
    for &byte in body {
        match byte {
            b'0'..=b'9' => {
                digits += 1;
                scale += dots;
                if digits <= MAX_FAST_DIGITS {
                    mantissa = mantissa * 10 + i64::from(byte - b'0');
                }
            }
            b'.' => dots += 1,
            _ => return Err(DecimalError::Malformed(text.to_owned())),
        }
    }
    if digits == 0 || dots > 1 || body.first() == Some(&b'.') || body.last() == Some(&b'.') {
        return Err(DecimalError::Malformed(text.to_owned()));
    }
    // Up to 18 digits fit an i64 exactly: the same mantissa and scale the exact parser keeps
    // (trailing zeros included); longer numbers and "-0" take the general parser.
    if digits <= MAX_FAST_DIGITS && !(negative && mantissa == 0) {
        return Ok(Decimal::new(
            if negative { -mantissa } else { mantissa },
            scale,
        ));
    }
    parse_general(text)
}

/// Most digits the fast path of [`parse`] accumulates in an `i64`.
const MAX_FAST_DIGITS: u32 = 18;

fn parse_general(text: &str) -> Result<Decimal, DecimalError> {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_str(text))
        .map_err(|_| DecimalError::OutOfRange(text.to_owned()))
}

/// Parses an optional decimal: the empty string means "not set".
///
/// # Errors
/// As [`parse`] for a non-empty string.
pub fn parse_opt(text: &str) -> Result<Option<Decimal>, DecimalError> {
    if text.is_empty() {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

/// The canonical wire form: no trailing zeros, no exponent, "0" for zero.
#[must_use]
pub fn fmt(value: Decimal) -> String {
    let normalized = value.normalize();
    if normalized.is_zero() {
        "0".to_owned()
    } else {
        let mut out = String::with_capacity(24);
        write_plain(&mut out, normalized);
        out
    }
}

/// A money amount for messages and context: two decimals.
#[must_use]
pub fn money(value: Decimal) -> String {
    let mut rounded = value.round_dp(2);
    if rounded.is_zero() && rounded.is_sign_negative() {
        return format!("{rounded:.2}");
    }
    rounded.rescale(2);
    if rounded.scale() != 2 {
        // Too many integer digits to carry two decimals: the formatter's own rounding.
        return format!("{:.2}", value.round_dp(2));
    }
    let mut out = String::with_capacity(24);
    write_plain(&mut out, rounded);
    out
}

/// Writes the digits of a decimal at its own scale, as `Display` does, without the
/// formatting machinery (the check formats a few numbers per decision).
fn write_plain(out: &mut String, value: Decimal) {
    let mantissa = value.mantissa().unsigned_abs();
    let scale = value.scale() as usize;
    let mut buf = [0u8; 40];
    let mut len = 0;
    if let Ok(mut small) = u64::try_from(mantissa) {
        loop {
            buf[len] = b'0' + u8::try_from(small % 10).unwrap_or(0);
            len += 1;
            small /= 10;
            if small == 0 {
                break;
            }
        }
    } else {
        let mut big = mantissa;
        loop {
            buf[len] = b'0' + u8::try_from(big % 10).unwrap_or(0);
            len += 1;
            big /= 10;
            if big == 0 {
                break;
            }
        }
    }
    while len <= scale {
        buf[len] = b'0';
        len += 1;
    }
    if value.is_sign_negative() {
        out.push('-');
    }
    for (index, digit) in buf[..len].iter().enumerate().rev() {
        if index + 1 == scale {
            out.push('.');
        }
        out.push(char::from(*digit));
    }
    if scale == len {
        out.push('.');
    }
}

/// Converts to `f64` for the Greeks and Black-Scholes, which work in floating point.
#[must_use]
pub fn to_f64(value: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value.to_f64().unwrap_or(f64::NAN)
}

/// Converts a finite `f64` to a decimal (None for NaN or infinities).
#[must_use]
pub fn from_f64(value: f64) -> Option<Decimal> {
    use rust_decimal::prelude::FromPrimitive;
    if value.is_finite() {
        Decimal::from_f64(value)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("0", "0")]
    #[case("12.50", "12.5")]
    #[case("-3", "-3")]
    #[case("0.0001", "0.0001")]
    fn plain_decimals_parse_and_format_canonically(#[case] text: &str, #[case] canonical: &str) {
        assert_eq!(fmt(parse(text).unwrap()), canonical);
    }

    #[rstest]
    #[case("")]
    #[case("NaN")]
    #[case("inf")]
    #[case("1e5")]
    #[case(" 1")]
    #[case("1,000")]
    #[case("1_000")]
    #[case(".5")]
    #[case("5.")]
    #[case("1.2.3")]
    #[case("+1")]
    #[case("--1")]
    fn anything_but_a_plain_decimal_is_refused(#[case] text: &str) {
        assert!(parse(text).is_err());
    }

    proptest::proptest! {
        #[test]
        fn fast_parse_matches_the_exact_parser(text in "-?[0-9]{0,30}(\\.[0-9]{0,30})?") {
            let fast = parse(&text);
            let general = if text.trim_start_matches('-').is_empty() { None } else { Some(parse_general(&text)) };
            match (fast, general) {
                (Ok(a), Some(Ok(b))) => proptest::prop_assert_eq!(a.serialize(), b.serialize()),
                (Ok(a), other) => proptest::prop_assert!(false, "{text}: fast {a:?}, general {other:?}"),
                (Err(_), _) => {}
            }
        }

        #[test]
        fn fast_formats_match_display(mantissa in proptest::num::i64::ANY, scale in 0u32..=28, wide in proptest::bool::ANY) {
            let value = if wide {
                Decimal::try_from_i128_with_scale(i128::from(mantissa) * 1_000_000_000, scale)
                    .unwrap_or_default()
            } else {
                Decimal::new(mantissa, scale)
            };
            let normalized = value.normalize();
            let expected = if normalized.is_zero() { "0".to_owned() } else { normalized.to_string() };
            proptest::prop_assert_eq!(fmt(value), expected);
            proptest::prop_assert_eq!(money(value), format!("{:.2}", value.round_dp(2)));
        }
    }

    #[rstest]
    #[case("0.001")]
    #[case("-0.001")]
    #[case("-0.005")]
    #[case("-12.345")]
    #[case("79228162514264337593543950335")]
    #[case("-0.5")]
    fn money_matches_display_at_the_edges(#[case] text: &str) {
        let value = parse(text).unwrap();
        assert_eq!(money(value), format!("{:.2}", value.round_dp(2)));
    }

    #[test]
    fn empty_optional_decimal_means_not_set() {
        assert_eq!(parse_opt("").unwrap(), None);
    }
}
