//! Iceberg: only a peak is shown; the next peak is released when the previous one fills.

use super::child;
use super::error::TacticError;
use super::lots::Lots;
use super::model::{MAX_SLICES, Release, Slice, SliceRequest};

/// Children of `peak` each (the last one smaller), the first released at the start and each
/// next one once the previous has filled.
///
/// # Errors
/// A peak that is not a positive whole number of lots; more than `MAX_SLICES` children.
pub fn schedule(req: &SliceRequest, lots: Lots) -> Result<(Vec<Slice>, String), TacticError> {
    let bad_peak = || TacticError::InvalidPeak {
        peak: req.peak,
        lot: lots.lot,
    };
    let peak = Lots::new(req.peak, lots.lot).map_err(|_| bad_peak())?.units;
    let count = lots.units.div_ceil(peak);
    if count > u64::from(MAX_SLICES) {
        return Err(TacticError::TooManySlices {
            count,
            max: MAX_SLICES,
        });
    }
    let mut slices = Vec::new();
    let mut left = lots.units;
    for k in 0..count {
        let units = left.min(peak);
        left -= units;
        let release = if k == 0 {
            Release::AtTime
        } else {
            Release::OnFill
        };
        let index = u32::try_from(k).unwrap_or(u32::MAX);
        slices.push(child(
            req,
            index,
            lots.quantity(units),
            req.start_ms,
            release,
        )?);
    }
    let reason = format!(
        "ICEBERG: {count} peaks of {} shown one at a time, each released when the previous fills",
        crate::decimal::fmt(lots.quantity(peak.min(lots.units)))
    );
    Ok((slices, reason))
}
