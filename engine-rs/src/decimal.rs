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
    // Digits are accumulated with wrapping arithmetic; the value is used only when it fits.
    let mut mantissa = 0u64;
    let mut index = 0;
    while let Some(digit) = body
        .get(index)
        .map(|b| b.wrapping_sub(b'0'))
        .filter(|d| *d <= 9)
    {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        index += 1;
    }
    let whole_digits = index;
    let mut scale = 0;
    if body.get(index) == Some(&b'.') {
        index += 1;
        let start = index;
        while let Some(digit) = body
            .get(index)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|d| *d <= 9)
        {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
            index += 1;
        }
        scale = index - start;
        if scale == 0 {
            return Err(DecimalError::Malformed(text.to_owned()));
        }
    }
    if index != body.len() || whole_digits == 0 {
        return Err(DecimalError::Malformed(text.to_owned()));
    }
    // Up to 18 digits fit exactly: the same mantissa and scale the exact parser keeps
    // (trailing zeros included); longer numbers and "-0" take the general parser.
    if whole_digits + scale <= MAX_FAST_DIGITS && !(negative && mantissa == 0) {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "splits the 64-bit mantissa into its two 32-bit words; the scale is <= 18"
        )]
        return Ok(Decimal::from_parts(
            mantissa as u32,
            (mantissa >> 32) as u32,
            0,
            negative,
            scale as u32,
        ));
    }
    parse_general(text)
}

/// Most digits the fast path of [`parse`] accumulates in an `i64`.
const MAX_FAST_DIGITS: usize = 18;

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

/// A decimal formatted on the stack (the longest is a sign, 29 digits, a point and a zero).
#[derive(Clone, Copy)]
pub struct Text {
    buf: [u8; 40],
    len: usize,
}

impl Text {
    fn new() -> Self {
        Self {
            buf: [0; 40],
            len: 0,
        }
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// The formatted number.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// Where [`write_fmt_to`] and [`write_money_to`] put their bytes.
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Text {
    fn put(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.push(*byte);
        }
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl std::fmt::Write for Text {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        for byte in text.bytes() {
            self.push(byte);
        }
        Ok(())
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The canonical wire form: no trailing zeros, no exponent, "0" for zero.
#[must_use]
pub fn fmt(value: Decimal) -> String {
    fmt_text(value).as_str().to_owned()
}

/// [`fmt`] without allocating.
#[must_use]
pub fn fmt_text(value: Decimal) -> Text {
    let mut out = Text::new();
    write_fmt_to(&mut out, value);
    out
}

/// Appends [`fmt`]'s text to `out`.
pub fn write_fmt_to(out: &mut impl Sink, value: Decimal) {
    let normalized = value.normalize();
    if normalized.is_zero() {
        out.put(b"0");
    } else {
        write_plain(out, normalized);
    }
}

/// A money amount for messages and context: two decimals.
#[must_use]
pub fn money(value: Decimal) -> String {
    money_text(value).as_str().to_owned()
}

/// [`money`] without allocating.
#[must_use]
pub fn money_text(value: Decimal) -> Text {
    let mut out = Text::new();
    write_money_to(&mut out, value);
    out
}

/// Appends [`money`]'s text to `out`.
pub fn write_money_to(out: &mut impl Sink, value: Decimal) {
    let mut rounded = value.round_dp(2);
    let negative_zero = rounded.is_zero() && rounded.is_sign_negative();
    rounded.rescale(2);
    if negative_zero || rounded.scale() != 2 {
        // A negative zero, or too many integer digits to carry two decimals: the formatter.
        out.put(format!("{:.2}", value.round_dp(2)).as_bytes());
    } else {
        write_plain(out, rounded);
    }
}

/// Writes the digits of a decimal at its own scale, as `Display` does, without the
/// formatting machinery (the check formats a few numbers per decision).
fn write_plain(out: &mut impl Sink, value: Decimal) {
    let mantissa = value.mantissa().unsigned_abs();
    let scale = value.scale() as usize;
    // Digits from the right, at least one before the point.
    let mut digits = [0u8; 40];
    let mut len = 0;
    if let Ok(mut small) = u64::try_from(mantissa) {
        loop {
            digits[len] = b'0' + u8::try_from(small % 10).unwrap_or(0);
            len += 1;
            small /= 10;
            if small == 0 {
                break;
            }
        }
    } else {
        let mut big = mantissa;
        loop {
            digits[len] = b'0' + u8::try_from(big % 10).unwrap_or(0);
            len += 1;
            big /= 10;
            if big == 0 {
                break;
            }
        }
    }
    while len <= scale {
        digits[len] = b'0';
        len += 1;
    }
    let mut text = [0u8; 48];
    let mut at = 0;
    if value.is_sign_negative() {
        text[0] = b'-';
        at = 1;
    }
    for (index, digit) in digits[..len].iter().enumerate().rev() {
        if index + 1 == scale {
            text[at] = b'.';
            at += 1;
        }
        text[at] = *digit;
        at += 1;
    }
    out.put(&text[..at]);
}

/// `value <= 0`, without a decimal comparison.
#[must_use]
pub fn is_non_positive(value: Decimal) -> bool {
    value.is_zero() || value.is_sign_negative()
}

/// 10^0 ..= 10^28: the scales a decimal can have.
const POW10: [u128; 29] = {
    let mut table = [1u128; 29];
    let mut i = 1;
    while i < 29 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `|value|` against a whole number up to 10^10, exactly, on the mantissa.
#[must_use]
pub fn cmp_abs_whole(value: Decimal, whole: u64) -> std::cmp::Ordering {
    let scaled = POW10
        .get(value.scale() as usize)
        .and_then(|pow| pow.checked_mul(u128::from(whole)));
    match scaled {
        Some(limit) => value.mantissa().unsigned_abs().cmp(&limit),
        None => value.abs().cmp(&Decimal::from(whole)),
    }
}

/// True when the value has no fractional digits.
#[must_use]
pub fn is_whole(value: Decimal) -> bool {
    POW10
        .get(value.scale() as usize)
        .is_some_and(|pow| value.mantissa().unsigned_abs().is_multiple_of(*pow))
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

    proptest::proptest! {
        #[test]
        fn mantissa_comparisons_match_decimal_ones(
            mantissa in proptest::num::i64::ANY,
            scale in 0u32..=28,
            whole in 0u64..=10_000_000_000,
        ) {
            let value = Decimal::new(mantissa, scale);
            proptest::prop_assert_eq!(is_non_positive(value), value <= Decimal::ZERO);
            proptest::prop_assert_eq!(
                cmp_abs_whole(value, whole),
                value.abs().cmp(&Decimal::from(whole))
            );
            proptest::prop_assert_eq!(is_whole(value), value.fract() == Decimal::ZERO);
        }
    }

    /// The acceptance rule of the parser before its fast path.
    fn accepted_before(text: &str) -> bool {
        let body = text.strip_prefix('-').unwrap_or(text);
        body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && body.bytes().any(|b| b.is_ascii_digit())
            && body.bytes().filter(|b| *b == b'.').count() <= 1
            && !body.starts_with('.')
            && !body.ends_with('.')
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_accepted_exactly_as_before(text in "[-+.0-9a ]{0,12}") {
            let parsed = parse(&text);
            proptest::prop_assert_eq!(
                matches!(parsed, Err(DecimalError::Malformed(_))),
                !accepted_before(&text)
            );
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
