//! Black-Scholes-Merton pricing, Greeks and implied volatility (continuous dividend yield).

mod black_scholes;
mod implied_vol;
mod normal;

pub use black_scholes::{Contract, PriceGreeks, price_greeks};
pub use implied_vol::implied_vol;

use crate::error::Coded;

/// Bad inputs to the option math.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionMathError {
    #[error("{field} must be a finite number, got {value}")]
    NonFinite { field: &'static str, value: f64 },
    #[error("{field} must be positive, got {value}")]
    NotPositive { field: &'static str, value: f64 },
    #[error("option_type {0} is not CALL (1) or PUT (2)")]
    UnknownOptionType(i32),
    #[error("price {price} is outside the no-arbitrage bounds [{lower}, {upper}]")]
    OutsideBounds { price: f64, lower: f64, upper: f64 },
    #[error("implied volatility did not converge for price {0}")]
    NoConvergence(f64),
}

impl Coded for OptionMathError {
    fn code(&self) -> &'static str {
        match self {
            Self::NonFinite { .. } | Self::NotPositive { .. } => "INVALID_OPTION_INPUT",
            Self::UnknownOptionType(_) => "UNKNOWN_ENUM",
            Self::OutsideBounds { .. } => "PRICE_OUTSIDE_BOUNDS",
            Self::NoConvergence(_) => "IV_NOT_FOUND",
        }
    }
    fn message(&self) -> String {
        self.to_string()
    }
}
