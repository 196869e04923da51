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
    let body = text.strip_prefix('-').unwrap_or(text);
    let mut digits = 0usize;
    let mut dots = 0usize;
    for byte in body.bytes() {
        match byte {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return Err(DecimalError::Malformed(text.to_owned())),
        }
    }
    if digits == 0 || dots > 1 || body.starts_with('.') || body.ends_with('.') {
        return Err(DecimalError::Malformed(text.to_owned()));
    }
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
        normalized.to_string()
    }
}

/// A money amount for messages and context: two decimals.
#[must_use]
pub fn money(value: Decimal) -> String {
    format!("{:.2}", value.round_dp(2))
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

    #[test]
    fn empty_optional_decimal_means_not_set() {
        assert_eq!(parse_opt("").unwrap(), None);
    }
}
