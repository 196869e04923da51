//! Building `ConstraintViolation`s: one per failed check per decision.

use crate::pb;

/// The violations of one check run, in the order found.
#[derive(Debug, Default)]
pub struct Violations {
    pub list: Vec<pb::ConstraintViolation>,
}

impl Violations {
    /// Records a blocking violation.
    pub fn push(
        &mut self,
        code: &str,
        decision_id: &str,
        message: String,
        context: &[(&str, String)],
    ) {
        self.list.push(pb::ConstraintViolation {
            code: code.to_owned(),
            severity: pb::Severity::Critical as i32,
            decision_id: decision_id.to_owned(),
            message,
            context: context
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        });
    }

    /// Number recorded so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
