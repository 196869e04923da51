//! Cream's deterministic risk core: plan validation, cumulative risk checks, the FIX order
//! state machine, exposure and Greeks, stop triggers, Black-Scholes and execution-tactic
//! slice schedules.
//!
//! Domain modules are plain Rust; everything `PyO3` lives in [`python`] behind the `python`
//! feature, so `cargo test` runs without Python. Nothing here reads the clock: time arrives
//! with the messages.

pub mod calendar;
pub mod decimal;
pub mod error;
pub mod lookup;
pub mod options;
pub mod order;
pub mod plan;
pub mod portfolio;
#[cfg(feature = "python")]
pub mod python;
pub mod risk;
pub mod stops;
pub mod tactics;
pub mod wire;

/// The generated `cream.v1` wire types.
#[expect(clippy::pedantic, reason = "generated code")]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/cream.v1.rs"));
}
