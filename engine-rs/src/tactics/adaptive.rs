//! ADAPTIVE: picks one of the other tactics from the order's size, the spread and the urgency.
//!
//! Rules, in order (participation = quantity / average volume):
//! 1. participation >= [`LARGE_PARTICIPATION`] (5 %): the order would move the market, so it
//!    is sliced over time — TWAP when urgency is HIGH (a fixed pace, whatever the volume
//!    shape), else VWAP when a volume profile is given, else TWAP.
//! 2. participation >= [`MEDIUM_PARTICIPATION`] (1 %): HIGH urgency crosses now
//!    (`AGGRESSIVE_LIMIT`); otherwise ICEBERG hides the size (peak = the request's, or a fifth
//!    of the order rounded down to lots).
//! 3. smaller: crossing costs at most the spread, so HIGH urgency or a spread within
//!    [`TIGHT_SPREAD_BPS`] (10 bps) crosses (`AGGRESSIVE_LIMIT`); a wider spread with no hurry
//!    rests at the near touch (`PASSIVE_LIMIT`).

use rust_decimal::Decimal;

use crate::decimal::fmt;

use super::error::TacticError;
use super::lots::Lots;
use super::model::{SliceRequest, Tactic, Urgency};

/// Participation of the average volume from which an order is sliced over time.
pub const LARGE_PARTICIPATION: Decimal = Decimal::from_parts(5, 0, 0, false, 2);
/// Participation from which an order's size is hidden.
pub const MEDIUM_PARTICIPATION: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// A spread this tight (in bps of the mid) is cheap to cross.
pub const TIGHT_SPREAD_BPS: Decimal = Decimal::from_parts(10, 0, 0, false, 0);
/// The iceberg an adaptive order becomes shows about this fraction of it.
const ICEBERG_PARTS: u64 = 5;

/// The request for the chosen tactic, and why it was chosen.
///
/// # Errors
/// `MissingQuote` without a touch; `MissingAverageVolume` without a positive average volume.
pub fn choose(req: &SliceRequest, lots: Lots) -> Result<(SliceRequest, String), TacticError> {
    let touch = req
        .touch
        .ok_or(TacticError::MissingQuote("ADAPTIVE"))?
        .validated()?;
    let average = req
        .average_volume
        .filter(|v| *v > Decimal::ZERO)
        .ok_or(TacticError::MissingAverageVolume)?;
    let participation = req.quantity / average;
    let spread = touch.spread_bps();
    let facts = format!(
        "participation {}% of average volume {}, spread {} bps, urgency {:?}",
        fmt((participation * Decimal::ONE_HUNDRED).round_dp(2)),
        fmt(average),
        fmt(spread.round_dp(2)),
        req.urgency
    );
    let has_profile = req.volume_profile.iter().any(|v| *v > Decimal::ZERO);
    let mut chosen = req.clone();
    let why = if participation >= LARGE_PARTICIPATION {
        chosen.tactic = if req.urgency == Urgency::High || !has_profile {
            Tactic::Twap
        } else {
            Tactic::Vwap
        };
        match (chosen.tactic, req.urgency) {
            (Tactic::Vwap, _) => "large (>= 5%): sliced along the volume profile",
            (_, Urgency::High) => "large (>= 5%) and urgent: sliced at a fixed pace",
            _ => "large (>= 5%) and no volume profile: sliced at a fixed pace",
        }
    } else if participation >= MEDIUM_PARTICIPATION {
        if req.urgency == Urgency::High {
            chosen.tactic = Tactic::AggressiveLimit;
            "medium (1-5%) and urgent: crosses the spread now"
        } else {
            chosen.tactic = Tactic::Iceberg;
            if chosen.peak <= Decimal::ZERO {
                chosen.peak = lots.quantity((lots.units / ICEBERG_PARTS).max(1));
            }
            "medium (1-5%): size hidden behind an iceberg peak"
        }
    } else if req.urgency == Urgency::High || spread <= TIGHT_SPREAD_BPS {
        chosen.tactic = Tactic::AggressiveLimit;
        "small (< 1%) with a tight spread (<= 10 bps) or urgent: crossing is cheap"
    } else {
        chosen.tactic = Tactic::PassiveLimit;
        "small (< 1%), wide spread (> 10 bps), not urgent: rests at the near touch"
    };
    let reason = format!("ADAPTIVE chose {}: {facts}; {why}", chosen.tactic.name());
    Ok((chosen, reason))
}
