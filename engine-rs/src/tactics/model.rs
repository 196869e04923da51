//! The inputs and outputs of slice scheduling.

use rust_decimal::Decimal;

use crate::pb;
use crate::plan::Side;

use super::error::TacticError;

/// Most child orders one schedule may hold: a bound on memory and on broker traffic.
pub const MAX_SLICES: u32 = 10_000;

/// The seed-001 execution tactics, numbered as `cream.v1.ExecutionTactic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tactic {
    PassiveLimit,
    AggressiveLimit,
    Twap,
    Vwap,
    Iceberg,
    Adaptive,
}

impl Tactic {
    /// The tactic of a wire enum value; UNSPECIFIED and unknown values are refused.
    ///
    /// # Errors
    /// `UnknownTactic` for anything but the six tactics.
    pub fn from_wire(value: i32) -> Result<Self, TacticError> {
        match pb::ExecutionTactic::try_from(value) {
            Ok(pb::ExecutionTactic::PassiveLimit) => Ok(Self::PassiveLimit),
            Ok(pb::ExecutionTactic::AggressiveLimit) => Ok(Self::AggressiveLimit),
            Ok(pb::ExecutionTactic::Twap) => Ok(Self::Twap),
            Ok(pb::ExecutionTactic::Vwap) => Ok(Self::Vwap),
            Ok(pb::ExecutionTactic::Iceberg) => Ok(Self::Iceberg),
            Ok(pb::ExecutionTactic::Adaptive) => Ok(Self::Adaptive),
            _ => Err(TacticError::UnknownTactic(value)),
        }
    }

    /// The wire enum value.
    #[must_use]
    pub fn wire(self) -> i32 {
        let tactic = match self {
            Self::PassiveLimit => pb::ExecutionTactic::PassiveLimit,
            Self::AggressiveLimit => pb::ExecutionTactic::AggressiveLimit,
            Self::Twap => pb::ExecutionTactic::Twap,
            Self::Vwap => pb::ExecutionTactic::Vwap,
            Self::Iceberg => pb::ExecutionTactic::Iceberg,
            Self::Adaptive => pb::ExecutionTactic::Adaptive,
        };
        tactic as i32
    }

    /// The short name used in reasons, e.g. "TWAP".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::PassiveLimit => "PASSIVE_LIMIT",
            Self::AggressiveLimit => "AGGRESSIVE_LIMIT",
            Self::Twap => "TWAP",
            Self::Vwap => "VWAP",
            Self::Iceberg => "ICEBERG",
            Self::Adaptive => "ADAPTIVE",
        }
    }
}

/// The side of a wire `OrderSide`.
///
/// # Errors
/// `UnknownSide` for UNSPECIFIED or unknown values.
pub fn side_from_wire(value: i32) -> Result<Side, TacticError> {
    match pb::OrderSide::try_from(value) {
        Ok(pb::OrderSide::Buy) => Ok(Side::Buy),
        Ok(pb::OrderSide::Sell) => Ok(Side::Sell),
        _ => Err(TacticError::UnknownSide(value)),
    }
}

/// How urgently the parent must be done (an input of the adaptive tactic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    Low,
    Normal,
    High,
}

impl Urgency {
    /// "LOW", "NORMAL" or "HIGH".
    ///
    /// # Errors
    /// `UnknownName` for anything else.
    pub fn parse(text: &str) -> Result<Self, TacticError> {
        match text {
            "LOW" => Ok(Self::Low),
            "NORMAL" => Ok(Self::Normal),
            "HIGH" => Ok(Self::High),
            _ => Err(TacticError::UnknownName(
                text.to_owned(),
                "urgency (LOW, NORMAL, HIGH)",
            )),
        }
    }
}

/// Where a child's limit price sits against the touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pricing {
    /// At the near touch: the bid for buys, the ask for sells.
    Passive,
    /// Across the spread by at most the aggression cap: ask + x bps for buys.
    Aggressive,
}

impl Pricing {
    /// "PASSIVE" or "AGGRESSIVE".
    ///
    /// # Errors
    /// `UnknownName` for anything else.
    pub fn parse(text: &str) -> Result<Self, TacticError> {
        match text {
            "PASSIVE" => Ok(Self::Passive),
            "AGGRESSIVE" => Ok(Self::Aggressive),
            _ => Err(TacticError::UnknownName(
                text.to_owned(),
                "pricing (PASSIVE, AGGRESSIVE)",
            )),
        }
    }

    /// The name `parse` accepts.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Passive => "PASSIVE",
            Self::Aggressive => "AGGRESSIVE",
        }
    }
}

/// When a child is released to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Release {
    /// At its `release_at_ms`.
    AtTime,
    /// Once the previous child has filled completely (iceberg peaks).
    OnFill,
}

impl Release {
    /// "`AT_TIME`" or "`ON_FILL`".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::AtTime => "AT_TIME",
            Self::OnFill => "ON_FILL",
        }
    }
}

/// The best bid and ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub bid: Decimal,
    pub ask: Decimal,
}

impl Touch {
    /// Checks `0 < bid <= ask`.
    ///
    /// # Errors
    /// `InvalidQuote` otherwise.
    pub fn validated(self) -> Result<Self, TacticError> {
        if self.bid > Decimal::ZERO && self.bid <= self.ask {
            Ok(self)
        } else {
            Err(TacticError::InvalidQuote {
                bid: self.bid,
                ask: self.ask,
            })
        }
    }

    /// The spread in basis points of the mid.
    #[must_use]
    pub fn spread_bps(self) -> Decimal {
        let mid = (self.bid + self.ask) / Decimal::TWO;
        (self.ask - self.bid) / mid * Decimal::from(10_000)
    }
}

/// Everything a schedule may need; each tactic reads the fields it uses and validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceRequest {
    pub tactic: Tactic,
    pub side: Side,
    /// The parent quantity (positive, a whole number of lots).
    pub quantity: Decimal,
    /// Child size granularity: 1 = whole shares.
    pub lot: Decimal,
    /// The current touch; required by the limit tactics and ADAPTIVE, optional otherwise
    /// (children are priced at release time from the quote then).
    pub touch: Option<Touch>,
    /// The most an aggressive child may cross the spread, in bps of the far touch.
    pub aggression_bps: Decimal,
    /// Schedule start, milliseconds since the epoch.
    pub start_ms: i64,
    /// Over how long TWAP and VWAP spread the children.
    pub duration_ms: i64,
    /// TWAP: how many children.
    pub slice_count: u32,
    /// TWAP/VWAP: release times move by up to this % of the interval (0..=50).
    pub jitter_pct: u32,
    /// Fixes the jitter: same seed, same schedule.
    pub seed: u64,
    /// VWAP: expected volume per equal time bucket over the duration.
    pub volume_profile: Vec<Decimal>,
    /// VWAP: a child may be at most this fraction of its bucket's expected volume, in (0, 1].
    pub participation_cap: Decimal,
    /// ICEBERG: the visible size of each child.
    pub peak: Decimal,
    /// How sliced children are priced.
    pub child_pricing: Pricing,
    /// ADAPTIVE: how urgent the parent is.
    pub urgency: Urgency,
    /// ADAPTIVE: typical volume over the horizon the order is worked in (e.g. daily volume).
    pub average_volume: Option<Decimal>,
}

/// One child order of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// 0-based position in the schedule.
    pub index: u32,
    pub quantity: Decimal,
    /// Earliest release time, milliseconds since the epoch.
    pub release_at_ms: i64,
    pub release: Release,
    pub pricing: Pricing,
    /// The limit price at the request's touch, when a touch was given.
    pub limit_price: Option<Decimal>,
}

/// A parent order split into children whose quantities add up to the parent's exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The tactic the request named.
    pub requested: Tactic,
    /// The tactic that produced the slices (differs from `requested` only for ADAPTIVE).
    pub tactic: Tactic,
    /// Why this tactic and shape: thresholds met, slices merged, and similar facts.
    pub reason: String,
    pub slices: Vec<Slice>,
}

impl Schedule {
    /// The sum of the children's quantities.
    #[must_use]
    pub fn total(&self) -> Decimal {
        self.slices.iter().map(|s| s.quantity).sum()
    }
}
