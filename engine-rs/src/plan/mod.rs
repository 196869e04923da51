//! Decoding and structural validation of a `DecisionPlan` into domain types.

mod decision;
mod error;
mod instrument;
mod model;
pub mod occ;

pub use error::PlanError;
pub use instrument::{MAX_LEGS, MAX_RATIO};
pub use model::{
    Action, Decision, Direction, Instrument, Leg, OptionKind, OrderKind, OrderSpec, Plan, Side,
    Size, SizeUnit, TradeDecision,
};

use crate::calendar::Date;
use crate::pb;
use crate::wire::PlanView;

/// Most decisions one plan may carry.
pub const MAX_DECISIONS: usize = 500;

/// Validates a decoded plan; the first structural problem is returned as an error.
///
/// # Errors
/// `PlanError` with a stable code (`PLAN_EMPTY`, `INVALID_SYMBOL`, ...) and the decision id.
pub fn validate(plan: &pb::DecisionPlan) -> Result<Plan<'_>, PlanError> {
    validate_view(&PlanView::from_pb(plan))
}

/// Validates a borrowed plan view; the validated plan borrows the view's strings.
///
/// # Errors
/// As [`validate`].
pub fn validate_view<'a>(plan: &PlanView<'a>) -> Result<Plan<'a>, PlanError> {
    if plan.decisions.is_empty() {
        return Err(PlanError::plan(
            "PLAN_EMPTY",
            "the plan has no decisions: add at least one",
        ));
    }
    if plan.decisions.len() > MAX_DECISIONS {
        return Err(PlanError::plan(
            "PLAN_TOO_LARGE",
            format!(
                "the plan has {} decisions, at most {MAX_DECISIONS} are allowed: split it",
                plan.decisions.len()
            ),
        ));
    }
    if plan.cycle_id.is_empty() {
        return Err(PlanError::plan(
            "MISSING_CYCLE_ID",
            "the plan has no cycle_id: set it",
        ));
    }
    let Some(as_of) = plan.as_of else {
        return Err(PlanError::plan(
            "MISSING_AS_OF",
            "the plan has no as_of timestamp: set it",
        ));
    };
    error::check_enum::<pb::Environment>(plan.environment, &"environment", "")?;
    let as_of_date = Date::of_timestamp(&prost_types::Timestamp {
        seconds: as_of.seconds,
        nanos: as_of.nanos,
    });
    let mut decisions = Vec::with_capacity(plan.decisions.len());
    let mut seen = crate::lookup::SeenSet::with_capacity(plan.decisions.len());
    for raw in &plan.decisions {
        if raw.decision_id.is_empty() {
            return Err(PlanError::plan(
                "MISSING_DECISION_ID",
                format!(
                    "decision #{} has no decision_id: set one",
                    decisions.len() + 1
                ),
            ));
        }
        if !seen.insert(raw.decision_id) {
            return Err(PlanError::new(
                "DUPLICATE_DECISION_ID",
                format!(
                    "decision id '{}' appears more than once: make ids unique",
                    raw.decision_id
                ),
                raw.decision_id,
            ));
        }
        decisions.push(decision::validate(raw, as_of_date)?);
    }
    Ok(Plan {
        cycle_id: plan.cycle_id,
        as_of_seconds: as_of.seconds,
        as_of_date,
        decisions,
    })
}
