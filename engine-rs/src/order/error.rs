//! Order and execution-report errors.

use crate::error::Coded;

/// Why an order or execution report was refused; the order is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// An order that cannot be inserted or restored.
    #[error("order '{order_id}': {reason}")]
    InvalidOrder {
        code: &'static str,
        order_id: String,
        reason: String,
    },
    #[error("order '{0}' is already in the book")]
    Duplicate(String),
    #[error("order '{0}' is not in the book")]
    NotFound(String),
    /// A malformed execution report.
    #[error("execution report for order '{order_id}': {reason}")]
    InvalidReport { order_id: String, reason: String },
    #[error("order '{order_id}': {exec_type} is not allowed in status {status}")]
    InvalidTransition {
        order_id: String,
        status: &'static str,
        exec_type: &'static str,
    },
    #[error("order '{order_id}': fill of {last_qty} exceeds the {available} still open")]
    Overfill {
        order_id: String,
        last_qty: String,
        available: String,
    },
}

impl Coded for OrderError {
    fn code(&self) -> &str {
        match self {
            Self::InvalidOrder { code, .. } => code,
            Self::Duplicate(_) => "DUPLICATE_ORDER",
            Self::NotFound(_) => "ORDER_NOT_FOUND",
            Self::InvalidReport { .. } => "INVALID_REPORT",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::Overfill { .. } => "OVERFILL",
        }
    }
    fn message(&self) -> String {
        self.to_string()
    }
}
