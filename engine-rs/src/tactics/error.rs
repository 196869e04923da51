//! Why a slice schedule could not be computed.

use rust_decimal::Decimal;

use crate::error::Coded;

/// A refused schedule request; nothing is scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TacticError {
    #[error(
        "execution tactic {0} is not one of PASSIVE_LIMIT, AGGRESSIVE_LIMIT, TWAP, VWAP, ICEBERG, ADAPTIVE"
    )]
    UnknownTactic(i32),
    #[error("order side {0} is not BUY or SELL")]
    UnknownSide(i32),
    #[error("'{0}' is not a known {1}")]
    UnknownName(String, &'static str),
    #[error("{field} '{text}' is not a plain decimal number")]
    InvalidNumber { field: &'static str, text: String },
    #[error("quantity {0} must be positive")]
    NonPositiveQuantity(Decimal),
    #[error("lot size {0} must be positive")]
    NonPositiveLot(Decimal),
    #[error("quantity {quantity} is not a whole number of lots of {lot}")]
    NotLotMultiple { quantity: Decimal, lot: Decimal },
    #[error("quantity {quantity} is more than {max} lots of {lot}")]
    QuantityTooLarge {
        quantity: Decimal,
        lot: Decimal,
        max: u64,
    },
    #[error("duration {0} ms must be positive (and at least 1 ms per slice)")]
    InvalidDuration(i64),
    #[error("slice count {0} must be between 1 and {1}")]
    InvalidSliceCount(u32, u32),
    #[error("jitter {0}% must be between 0 and 50% of the slice interval")]
    InvalidJitter(u32),
    #[error("the {0} tactic needs the current bid and ask")]
    MissingQuote(&'static str),
    #[error("quote bid {bid} / ask {ask} is not a valid touch (0 < bid <= ask)")]
    InvalidQuote { bid: Decimal, ask: Decimal },
    #[error("aggression of {0} bps must be between 0 and {1} bps")]
    InvalidAggression(Decimal, u32),
    #[error("the volume profile is empty or all zero: VWAP needs historical volume per bucket")]
    EmptyProfile,
    #[error("volume profile bucket {bucket} has volume {volume}; volumes must be >= 0")]
    NegativeVolume { bucket: usize, volume: Decimal },
    #[error("participation cap {0} must be in (0, 1]")]
    InvalidParticipationCap(Decimal),
    #[error(
        "the participation cap leaves {shortfall} of {quantity} unscheduled: the profile can absorb only {capacity}; \
         lengthen the duration, raise the cap or reduce the quantity"
    )]
    ParticipationShortfall {
        quantity: Decimal,
        capacity: Decimal,
        shortfall: Decimal,
    },
    #[error("iceberg peak {peak} must be a positive whole number of lots of {lot}")]
    InvalidPeak { peak: Decimal, lot: Decimal },
    #[error("the adaptive tactic needs a positive average volume to size the order against")]
    MissingAverageVolume,
    #[error("the schedule would have {count} slices; at most {max} are allowed")]
    TooManySlices { count: u64, max: u32 },
}

impl Coded for TacticError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownTactic(_) => "UNKNOWN_TACTIC",
            Self::UnknownSide(_) => "UNKNOWN_SIDE",
            Self::UnknownName(..) => "UNKNOWN_NAME",
            Self::InvalidNumber { .. } => "INVALID_NUMBER",
            Self::NonPositiveQuantity(_) => "INVALID_QUANTITY",
            Self::NonPositiveLot(_) => "INVALID_LOT",
            Self::NotLotMultiple { .. } => "QUANTITY_NOT_LOT_MULTIPLE",
            Self::QuantityTooLarge { .. } => "QUANTITY_TOO_LARGE",
            Self::InvalidDuration(_) => "INVALID_DURATION",
            Self::InvalidSliceCount(..) => "INVALID_SLICE_COUNT",
            Self::InvalidJitter(_) => "INVALID_JITTER",
            Self::MissingQuote(_) => "MISSING_QUOTE",
            Self::InvalidQuote { .. } => "INVALID_QUOTE",
            Self::InvalidAggression(..) => "INVALID_AGGRESSION",
            Self::EmptyProfile => "EMPTY_VOLUME_PROFILE",
            Self::NegativeVolume { .. } => "INVALID_VOLUME_PROFILE",
            Self::InvalidParticipationCap(_) => "INVALID_PARTICIPATION_CAP",
            Self::ParticipationShortfall { .. } => "PARTICIPATION_SHORTFALL",
            Self::InvalidPeak { .. } => "INVALID_PEAK",
            Self::MissingAverageVolume => "MISSING_AVERAGE_VOLUME",
            Self::TooManySlices { .. } => "TOO_MANY_SLICES",
        }
    }
    fn message(&self) -> String {
        self.to_string()
    }
}
