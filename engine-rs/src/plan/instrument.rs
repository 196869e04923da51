//! Structural validation of a decision's instrument and option legs.

use super::decision::price_field;
use super::error::{PlanError, check_enum};
use super::model::{Instrument, Leg, OptionKind, Side};
use super::occ;
use crate::calendar::Date;
use crate::pb;
use crate::wire::{InstrumentView, LegView};

/// Most legs one option instrument may have.
pub const MAX_LEGS: usize = 4;
/// Largest leg ratio.
pub const MAX_RATIO: u32 = 10;

/// `^[A-Z][A-Z0-9.]{0,9}$`.
#[must_use]
pub fn is_valid_symbol(symbol: &str) -> bool {
    let bytes = symbol.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 10
        && bytes[0].is_ascii_uppercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'.')
}

static NO_INSTRUMENT: InstrumentView<'static> = InstrumentView {
    instrument_type: 0,
    symbol: "",
    legs: Vec::new(),
};

pub(super) fn validate<'a>(
    raw: Option<&InstrumentView<'a>>,
    id: &str,
    as_of: Date,
) -> Result<Instrument<'a>, PlanError> {
    let raw = raw.unwrap_or(&NO_INSTRUMENT);
    let kind =
        check_enum::<pb::InstrumentType>(raw.instrument_type, &"instrument.instrument_type", id)?;
    if !is_valid_symbol(raw.symbol) {
        return Err(PlanError::new(
            "INVALID_SYMBOL",
            format!(
                "decision {id}: symbol '{}' must be 1-10 characters of A-Z, 0-9 and '.', starting with a letter",
                raw.symbol
            ),
            id,
        ));
    }
    if kind == pb::InstrumentType::Equity {
        if !raw.legs.is_empty() {
            return Err(PlanError::new(
                "LEGS_ON_EQUITY",
                format!("decision {id}: an equity instrument has no option legs: remove them"),
                id,
            ));
        }
        return Ok(Instrument::Equity { symbol: raw.symbol });
    }
    if raw.legs.is_empty() {
        return Err(PlanError::new(
            "MISSING_LEGS",
            format!("decision {id}: an option instrument needs 1-{MAX_LEGS} legs"),
            id,
        ));
    }
    if raw.legs.len() > MAX_LEGS {
        return Err(PlanError::new(
            "TOO_MANY_LEGS",
            format!(
                "decision {id}: {} legs, at most {MAX_LEGS} are allowed",
                raw.legs.len()
            ),
            id,
        ));
    }
    let mut seen = crate::lookup::SeenSet::with_capacity(raw.legs.len());
    let mut legs = Vec::with_capacity(raw.legs.len());
    for (index, leg) in raw.legs.iter().enumerate() {
        let leg = validate_leg(leg, raw.symbol, index + 1, id, as_of)?;
        if !seen.insert(leg.occ_symbol) {
            return Err(PlanError::new(
                "DUPLICATE_LEG",
                format!(
                    "decision {id}: leg {} repeats {}: merge the legs",
                    index + 1,
                    leg.occ_symbol
                ),
                id,
            ));
        }
        legs.push(leg);
    }
    Ok(Instrument::Option {
        underlying: raw.symbol,
        legs,
    })
}

fn validate_leg<'a>(
    raw: &LegView<'a>,
    underlying: &str,
    number: usize,
    id: &str,
    as_of: Date,
) -> Result<Leg<'a>, PlanError> {
    let kind = match check_enum::<pb::OptionType>(
        raw.option_type,
        &format_args!("leg {number} option_type"),
        id,
    )? {
        pb::OptionType::Call => OptionKind::Call,
        pb::OptionType::Put | pb::OptionType::Unspecified => OptionKind::Put,
    };
    let side = match check_enum::<pb::OrderSide>(raw.side, &format_args!("leg {number} side"), id)?
    {
        pb::OrderSide::Buy => Side::Buy,
        pb::OrderSide::Sell | pb::OrderSide::Unspecified => Side::Sell,
    };
    if raw.ratio == 0 || raw.ratio > MAX_RATIO {
        return Err(PlanError::new(
            "INVALID_RATIO",
            format!(
                "decision {id}: leg {number} ratio {} must be 1-{MAX_RATIO}",
                raw.ratio
            ),
            id,
        ));
    }
    if raw.underlying != underlying {
        return Err(PlanError::new(
            "LEG_UNDERLYING_MISMATCH",
            format!(
                "decision {id}: leg {number} underlying '{}' differs from the instrument's '{underlying}'",
                raw.underlying
            ),
            id,
        ));
    }
    let Some(strike) = price_field(raw.strike, &format_args!("leg {number} strike"), id)? else {
        return Err(PlanError::new(
            "INVALID_PRICE",
            format!("decision {id}: leg {number} strike is missing"),
            id,
        ));
    };
    if raw.expiry.is_empty() {
        return Err(PlanError::new(
            "LEG_MISSING_EXPIRY",
            format!("decision {id}: leg {number} has no expiry: set YYYY-MM-DD"),
            id,
        ));
    }
    let expiry = Date::parse(raw.expiry).filter(|date| *date >= as_of).ok_or_else(|| {
        PlanError::new(
            "LEG_INVALID_EXPIRY",
            format!(
                "decision {id}: leg {number} expiry '{}' must be a YYYY-MM-DD date not before the plan's as_of",
                raw.expiry
            ),
            id,
        )
    })?;
    let mut buf = occ::Buffer::default();
    let expected = occ::write(&mut buf, underlying, expiry, kind, strike).ok_or_else(|| {
        PlanError::new(
            "INVALID_PRICE",
            format!(
                "decision {id}: leg {number} strike {strike} has no OCC form (at most 3 decimals)"
            ),
            id,
        )
    })?;
    if raw.occ_symbol != expected {
        return Err(PlanError::new(
            "OCC_SYMBOL_MISMATCH",
            format!(
                "decision {id}: leg {number} occ_symbol '{}' should be '{expected}' for its underlying, expiry, type and strike",
                raw.occ_symbol
            ),
            id,
        ));
    }
    Ok(Leg {
        occ_symbol: raw.occ_symbol,
        kind,
        strike,
        expiry,
        side,
        ratio: raw.ratio,
    })
}
