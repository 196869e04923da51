//! VWAP: slices in proportion to a volume profile, each capped at a share of its bucket.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::error::TacticError;
use super::lots::Lots;
use super::model::{MAX_SLICES, Release, Slice, SliceRequest};
use super::rng::SplitMix64;
use super::{child, validate_duration, validate_jitter};

/// One child per bucket of the profile (the duration split into equal buckets) that gets
/// quantity: bucket `k` targets `quantity · volume_k / total volume`; a child never exceeds
/// `participation_cap · volume_k`; what does not fit rolls into the next buckets. A child is
/// released at its bucket's start plus up to `jitter_pct` % of the bucket, from the seed.
///
/// # Errors
/// An empty, all-zero or negative profile; a cap outside (0, 1]; a bad duration or jitter;
/// `ParticipationShortfall` when the profile cannot absorb the whole quantity under the cap.
pub fn schedule(req: &SliceRequest, lots: Lots) -> Result<(Vec<Slice>, String), TacticError> {
    let cap = req.participation_cap;
    if cap <= Decimal::ZERO || cap > Decimal::ONE {
        return Err(TacticError::InvalidParticipationCap(cap));
    }
    validate_jitter(req.jitter_pct)?;
    let profile = &req.volume_profile;
    let buckets = u64::try_from(profile.len()).unwrap_or(u64::MAX);
    if buckets > u64::from(MAX_SLICES) {
        return Err(TacticError::TooManySlices {
            count: buckets,
            max: MAX_SLICES,
        });
    }
    if let Some((bucket, volume)) = profile
        .iter()
        .enumerate()
        .find(|(_, v)| **v < Decimal::ZERO)
    {
        return Err(TacticError::NegativeVolume {
            bucket,
            volume: *volume,
        });
    }
    let total_volume = profile
        .iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))
        .ok_or(TacticError::EmptyProfile)?;
    if buckets == 0 || total_volume.is_zero() {
        return Err(TacticError::EmptyProfile);
    }
    let duration = validate_duration(req.duration_ms, buckets)?;
    let bucket_ms = duration / i128::from(buckets);
    let jitter = i64::try_from(bucket_ms * i128::from(req.jitter_pct) / 100).unwrap_or(0);
    let takes = allocate(profile, total_volume, cap, lots)?;
    let mut rng = SplitMix64::new(req.seed);
    let mut slices = Vec::new();
    for (k, take) in takes.iter().enumerate() {
        // Drawn for every bucket so a bucket's timing does not depend on the others' sizes.
        let offset = rng.up_to(jitter);
        if *take == 0 {
            continue;
        }
        let start = i128::from(req.start_ms) + bucket_ms * i128::try_from(k).unwrap_or(0);
        let at = i64::try_from(start)
            .unwrap_or(i64::MAX)
            .saturating_add(offset);
        let index = u32::try_from(slices.len()).unwrap_or(u32::MAX);
        slices.push(child(
            req,
            index,
            lots.quantity(*take),
            at,
            Release::AtTime,
        )?);
    }
    let reason = format!(
        "VWAP: {} slices over {buckets} buckets of {bucket_ms} ms, participation cap {}",
        slices.len(),
        crate::decimal::fmt(cap)
    );
    Ok((slices, reason))
}

/// Lots per bucket: proportional targets (cumulative rounding, so they add up exactly), each
/// capped, with the excess carried forward.
fn allocate(
    profile: &[Decimal],
    total_volume: Decimal,
    cap: Decimal,
    lots: Lots,
) -> Result<Vec<u64>, TacticError> {
    let units = Decimal::from(lots.units);
    let cut = |cumulative: Decimal| -> u64 {
        if cumulative >= total_volume {
            return lots.units;
        }
        // Multiply first so exact proportions stay exact; divide first only on overflow.
        cumulative
            .checked_mul(units)
            .map_or_else(|| cumulative / total_volume * units, |c| c / total_volume)
            .floor()
            .to_u64()
            .unwrap_or(0)
            .min(lots.units)
    };
    let mut takes = Vec::with_capacity(profile.len());
    let mut cumulative = Decimal::ZERO;
    let mut carry = 0u64;
    let mut capacity_total = 0u64;
    for volume in profile {
        let before = cut(cumulative);
        cumulative += *volume;
        let target = cut(cumulative).saturating_sub(before);
        let capacity = lots.whole_lots_in(cap * *volume);
        capacity_total = capacity_total.saturating_add(capacity);
        let want = carry.saturating_add(target);
        let take = want.min(capacity);
        carry = want - take;
        takes.push(take);
    }
    if carry > 0 {
        return Err(TacticError::ParticipationShortfall {
            quantity: lots.quantity(lots.units),
            capacity: lots.quantity(capacity_total.min(lots.units)),
            shortfall: lots.quantity(carry),
        });
    }
    Ok(takes)
}
