//! Risk checks: the policy, the trading state and the cumulative evaluation of a plan.

mod core;
mod evaluate;
mod limit_checks;
pub mod market;
pub mod policy;
pub mod pricing;
mod response;
mod serialized;
mod trade_checks;
pub mod trading_state;
mod violation;

pub use core::RiskCore;
pub use policy::{Policy, PolicyError};
pub use serialized::{CheckError, RequestInstruments, request_instruments};
