//! TWAP: equal slices at equal intervals, release times jittered from the seed.

use std::fmt::Write as _;

use super::error::TacticError;
use super::lots::{Lots, even_part};
use super::model::{MAX_SLICES, Release, Slice, SliceRequest};
use super::rng::SplitMix64;
use super::{child, validate_duration, validate_jitter};

/// `n` children of equal size (differing by at most one lot, the larger ones spread evenly),
/// released at `start + k·duration/n`, each moved by up to ±`jitter_pct` % of the interval.
/// With fewer lots than requested slices, every lot becomes one child (never an empty one).
///
/// # Errors
/// A bad duration, slice count or jitter; an invalid touch when one is given.
pub fn schedule(req: &SliceRequest, lots: Lots) -> Result<(Vec<Slice>, String), TacticError> {
    if req.slice_count == 0 || req.slice_count > MAX_SLICES {
        return Err(TacticError::InvalidSliceCount(req.slice_count, MAX_SLICES));
    }
    validate_jitter(req.jitter_pct)?;
    let n = u64::from(req.slice_count).min(lots.units);
    let duration = validate_duration(req.duration_ms, n)?;
    let interval = duration / i128::from(n);
    let jitter = i64::try_from(interval * i128::from(req.jitter_pct) / 100).unwrap_or(0);
    let mut rng = SplitMix64::new(req.seed);
    let mut slices = Vec::new();
    for k in 0..n {
        let nominal = i128::from(req.start_ms) + duration * i128::from(k) / i128::from(n);
        let at = i64::try_from(nominal)
            .unwrap_or(i64::MAX)
            .saturating_add(rng.symmetric(jitter))
            .max(req.start_ms);
        let units = even_part(lots.units, k, n);
        let index = u32::try_from(k).unwrap_or(u32::MAX);
        slices.push(child(
            req,
            index,
            lots.quantity(units),
            at,
            Release::AtTime,
        )?);
    }
    let mut reason = format!(
        "TWAP: {n} slices every {interval} ms over {duration} ms, jitter ±{}%",
        req.jitter_pct
    );
    if n < u64::from(req.slice_count) {
        let _ = write!(
            reason,
            "; {} slices requested but only {} lots to split",
            req.slice_count, lots.units
        );
    }
    Ok((slices, reason))
}
