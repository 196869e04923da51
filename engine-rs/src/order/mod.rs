//! The FIX order state machine and the book of orders it drives.

mod book;
mod error;
mod state;
mod transition;

pub use book::OrderBook;
pub use error::OrderError;
pub use state::{OrderState, Status};
pub use transition::{ExecType, Outcome};
