//! Execution tactics (seed 001): how a parent order is split into child orders over time.
//!
//! Every schedule conserves quantity exactly (its children add up to the parent, in
//! `Decimal`), never holds an empty or negative child, and depends only on its request:
//! release-time jitter comes from a seeded generator, never from the clock. Limit prices
//! follow two rules ([`limit_price`]): at the near touch, or across the spread by a cap.

mod adaptive;
mod error;
mod iceberg;
mod lots;
mod model;
mod price;
mod rng;
mod twap;
mod vwap;

pub use adaptive::{LARGE_PARTICIPATION, MEDIUM_PARTICIPATION, TIGHT_SPREAD_BPS};
pub use error::TacticError;
pub use lots::Lots;
pub use model::{
    MAX_SLICES, Pricing, Release, Schedule, Slice, SliceRequest, Tactic, Touch, Urgency,
    side_from_wire,
};
pub use price::{MAX_AGGRESSION_BPS, limit_price};
pub use rng::SplitMix64;

use rust_decimal::Decimal;

/// The slice schedule of a request.
///
/// # Errors
/// A typed [`TacticError`] for any input the chosen tactic cannot use; nothing is scheduled.
pub fn schedule(req: &SliceRequest) -> Result<Schedule, TacticError> {
    let lots = Lots::new(req.quantity, req.lot)?;
    price::aggression(req.aggression_bps)?;
    let (effective, prefix) = if req.tactic == Tactic::Adaptive {
        let (chosen, why) = adaptive::choose(req, lots)?;
        (chosen, Some(why))
    } else {
        (req.clone(), None)
    };
    let (slices, shape) = match effective.tactic {
        Tactic::PassiveLimit | Tactic::AggressiveLimit => single(&effective, lots)?,
        Tactic::Twap => twap::schedule(&effective, lots)?,
        Tactic::Vwap => vwap::schedule(&effective, lots)?,
        Tactic::Iceberg => iceberg::schedule(&effective, lots)?,
        // `choose` never returns ADAPTIVE.
        Tactic::Adaptive => return Err(TacticError::UnknownTactic(Tactic::Adaptive.wire())),
    };
    let reason = match prefix {
        Some(why) => format!("{why}. {shape}"),
        None => shape,
    };
    Ok(Schedule {
        requested: req.tactic,
        tactic: effective.tactic,
        reason,
        slices,
    })
}

/// `PASSIVE_LIMIT` and `AGGRESSIVE_LIMIT`: the whole quantity in one child, priced now.
fn single(req: &SliceRequest, lots: Lots) -> Result<(Vec<Slice>, String), TacticError> {
    let (pricing, name) = match req.tactic {
        Tactic::PassiveLimit => (Pricing::Passive, "PASSIVE_LIMIT"),
        _ => (Pricing::Aggressive, "AGGRESSIVE_LIMIT"),
    };
    let touch = req.touch.ok_or(TacticError::MissingQuote(name))?;
    let price = limit_price(req.side, pricing, touch, req.aggression_bps)?;
    let slice = Slice {
        index: 0,
        quantity: lots.quantity(lots.units),
        release_at_ms: req.start_ms,
        release: Release::AtTime,
        pricing,
        limit_price: Some(price),
    };
    let how = match pricing {
        Pricing::Passive => "at the near touch".to_owned(),
        Pricing::Aggressive => format!(
            "across the spread, capped at {} bps beyond the far touch",
            crate::decimal::fmt(req.aggression_bps)
        ),
    };
    Ok((
        vec![slice],
        format!(
            "{name}: one child of {} {how} at {}",
            crate::decimal::fmt(req.quantity),
            crate::decimal::fmt(price)
        ),
    ))
}

/// A sliced child, priced at the request's touch when one was given.
fn child(
    req: &SliceRequest,
    index: u32,
    quantity: Decimal,
    release_at_ms: i64,
    release: Release,
) -> Result<Slice, TacticError> {
    let limit_price = req
        .touch
        .map(|t| limit_price(req.side, req.child_pricing, t, req.aggression_bps))
        .transpose()?;
    Ok(Slice {
        index,
        quantity,
        release_at_ms,
        release,
        pricing: req.child_pricing,
        limit_price,
    })
}

/// The duration as `i128`, positive and at least 1 ms per slice.
fn validate_duration(duration_ms: i64, slices: u64) -> Result<i128, TacticError> {
    let duration = i128::from(duration_ms);
    if duration <= 0 || duration < i128::from(slices) {
        return Err(TacticError::InvalidDuration(duration_ms));
    }
    Ok(duration)
}

/// Jitter of at most half an interval, so release times never reorder.
fn validate_jitter(jitter_pct: u32) -> Result<(), TacticError> {
    if jitter_pct > 50 {
        return Err(TacticError::InvalidJitter(jitter_pct));
    }
    Ok(())
}
