//! The structural plan error.

use crate::error::Coded;

/// The first structural problem of a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PlanError {
    /// Stable code, e.g. "`INVALID_SYMBOL`".
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The offending decision, empty for plan-level problems.
    pub decision_id: String,
}

impl PlanError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>, decision_id: &str) -> Self {
        Self {
            code,
            message: message.into(),
            decision_id: decision_id.to_owned(),
        }
    }

    pub(crate) fn plan(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, message, "")
    }
}

impl Coded for PlanError {
    fn code(&self) -> &str {
        self.code
    }
    fn message(&self) -> String {
        self.message.clone()
    }
}

/// Refuses an unspecified (zero) or unknown enum number; messages are built only on failure.
pub(crate) fn check_enum<E: TryFrom<i32>>(
    value: i32,
    field: &dyn std::fmt::Display,
    decision_id: &str,
) -> Result<E, PlanError> {
    let prefix = || {
        if decision_id.is_empty() {
            "plan".to_owned()
        } else {
            format!("decision {decision_id}")
        }
    };
    if value == 0 {
        return Err(PlanError::new(
            "UNSPECIFIED_ENUM",
            format!("{}: {field} is unspecified: set it explicitly", prefix()),
            decision_id,
        ));
    }
    E::try_from(value).map_err(|_| {
        PlanError::new(
            "UNKNOWN_ENUM",
            format!("{}: {field} has unknown value {value}", prefix()),
            decision_id,
        )
    })
}
