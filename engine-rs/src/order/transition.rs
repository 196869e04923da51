//! The explicit transition table: which execution type is allowed in which status.

use rust_decimal::Decimal;

use super::error::OrderError;
use super::state::{OrderState, Status};
use crate::decimal;
use crate::pb;

/// FIX execution type: the event of an execution report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExecType {
    PendingNew,
    New,
    Trade,
    PendingCancel,
    Canceled,
    PendingReplace,
    Replaced,
    Rejected,
    Expired,
    CancelRejected,
}

impl ExecType {
    /// Every execution type, in wire order.
    pub const ALL: [Self; 10] = [
        Self::PendingNew,
        Self::New,
        Self::Trade,
        Self::PendingCancel,
        Self::Canceled,
        Self::PendingReplace,
        Self::Replaced,
        Self::Rejected,
        Self::Expired,
        Self::CancelRejected,
    ];

    /// From the wire enum value (None for unspecified or unknown).
    #[must_use]
    pub fn from_wire(value: i32) -> Option<Self> {
        let index = usize::try_from(value).ok()?.checked_sub(1)?;
        Self::ALL.get(index).copied()
    }

    /// The wire enum value.
    #[must_use]
    pub fn wire(self) -> i32 {
        i32::try_from(Self::ALL.iter().position(|t| *t == self).unwrap_or(0) + 1).unwrap_or(0)
    }

    fn name(self) -> &'static str {
        pb::ExecType::try_from(self.wire())
            .map_or("EXEC_TYPE_UNSPECIFIED", |t| t.as_str_name())
            .trim_start_matches("EXEC_TYPE_")
    }
}

/// What the table says about an (status, exec type) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed; the new status is decided by the quantities (fills, replaces).
    Allowed,
    /// A late fill on a CANCELED/EXPIRED order: drawn from the canceled remainder.
    LateFill,
    /// A fill on a FILLED order.
    Overfill,
    Forbidden,
}

/// The transition table.
#[must_use]
pub fn outcome(status: Status, exec: ExecType) -> Outcome {
    use ExecType as E;
    use Status as S;
    let live = !status.is_terminal();
    let allowed = match exec {
        E::PendingNew => status == S::New,
        E::New => matches!(status, S::New | S::PendingNew | S::PartiallyFilled),
        E::Trade => {
            return match status {
                S::Canceled | S::Expired => Outcome::LateFill,
                S::Filled => Outcome::Overfill,
                _ if live => Outcome::Allowed,
                _ => Outcome::Forbidden,
            };
        }
        E::PendingCancel | E::PendingReplace => matches!(status, S::Accepted | S::PartiallyFilled),
        E::CancelRejected => matches!(status, S::PendingCancel | S::PendingReplace),
        E::Canceled | E::Expired => live,
        E::Rejected => matches!(status, S::New | S::PendingNew),
        E::Replaced => matches!(status, S::Accepted | S::PartiallyFilled | S::PendingReplace),
    };
    if allowed {
        Outcome::Allowed
    } else {
        Outcome::Forbidden
    }
}

fn report_decimal(
    report: &pb::ExecutionReport,
    name: &str,
    text: &str,
) -> Result<Option<Decimal>, OrderError> {
    decimal::parse_opt(text).map_err(|err| OrderError::InvalidReport {
        order_id: report.order_id.clone(),
        reason: format!("{name}: {err}"),
    })
}

fn positive(report: &pb::ExecutionReport, name: &str, text: &str) -> Result<Decimal, OrderError> {
    match report_decimal(report, name, text)? {
        Some(value) if value > Decimal::ZERO => Ok(value),
        _ => Err(OrderError::InvalidReport {
            order_id: report.order_id.clone(),
            reason: format!("{name} '{text}' must be a positive decimal"),
        }),
    }
}

impl OrderState {
    /// Applies one report, returning the new state; `self` is never modified.
    ///
    /// # Errors
    /// `InvalidReport`, `InvalidTransition` or `Overfill`.
    pub fn applied(&self, report: &pb::ExecutionReport) -> Result<Self, OrderError> {
        let exec =
            ExecType::from_wire(report.exec_type).ok_or_else(|| OrderError::InvalidReport {
                order_id: report.order_id.clone(),
                reason: format!("exec_type {} is unspecified or unknown", report.exec_type),
            })?;
        let forbidden = || OrderError::InvalidTransition {
            order_id: self.order_id().to_owned(),
            status: self.status.name(),
            exec_type: exec.name(),
        };
        let mut next = self.clone();
        match outcome(self.status, exec) {
            Outcome::Forbidden => return Err(forbidden()),
            Outcome::Overfill => {
                return Err(OrderError::Overfill {
                    order_id: self.order_id().to_owned(),
                    last_qty: report.last_qty.clone(),
                    available: "0".to_owned(),
                });
            }
            Outcome::LateFill => {
                let (qty, price) = Self::fill_terms(report)?;
                if qty > self.canceled {
                    return Err(self.overfill(report, self.canceled));
                }
                next.canceled -= qty;
                next.quantity += qty;
                next.cum += qty;
                next.fill_value += qty * price;
            }
            Outcome::Allowed => self.apply_allowed(&mut next, exec, report)?,
        }
        if let Some(ts) = report.timestamp {
            next.wire.updated_at = Some(ts);
        }
        if !report.broker_order_id.is_empty() {
            next.wire
                .broker_order_id
                .clone_from(&report.broker_order_id);
        }
        Ok(next)
    }

    fn fill_terms(report: &pb::ExecutionReport) -> Result<(Decimal, Decimal), OrderError> {
        Ok((
            positive(report, "last_qty", &report.last_qty)?,
            positive(report, "last_price", &report.last_price)?,
        ))
    }

    fn overfill(&self, report: &pb::ExecutionReport, available: Decimal) -> OrderError {
        OrderError::Overfill {
            order_id: self.order_id().to_owned(),
            last_qty: report.last_qty.clone(),
            available: decimal::fmt(available),
        }
    }

    fn by_fill(&self) -> Status {
        if self.cum.is_zero() {
            Status::Accepted
        } else {
            Status::PartiallyFilled
        }
    }

    /// Moves the unfilled remainder out of the quantity (cancel, expiry, replace, reject).
    fn close_out(&mut self, status: Status) {
        self.canceled += self.leaves;
        self.quantity = self.cum;
        self.leaves = Decimal::ZERO;
        self.status = status;
    }

    fn apply_allowed(
        &self,
        next: &mut Self,
        exec: ExecType,
        report: &pb::ExecutionReport,
    ) -> Result<(), OrderError> {
        match exec {
            ExecType::PendingNew => next.status = Status::PendingNew,
            ExecType::New => {
                if self.status != Status::PartiallyFilled {
                    next.status = Status::Accepted;
                }
            }
            ExecType::Trade => {
                let (qty, price) = Self::fill_terms(report)?;
                if qty > self.leaves {
                    return Err(self.overfill(report, self.leaves));
                }
                next.cum += qty;
                next.leaves -= qty;
                next.fill_value += qty * price;
                if next.leaves.is_zero() {
                    next.status = Status::Filled;
                } else if !matches!(self.status, Status::PendingCancel | Status::PendingReplace) {
                    // A pending cancel or replace stays pending through partial fills (FIX).
                    next.status = Status::PartiallyFilled;
                }
            }
            ExecType::PendingCancel => next.status = Status::PendingCancel,
            ExecType::PendingReplace => next.status = Status::PendingReplace,
            ExecType::CancelRejected => next.status = next.by_fill(),
            ExecType::Canceled => next.close_out(Status::Canceled),
            ExecType::Expired => next.close_out(Status::Expired),
            ExecType::Rejected => {
                next.close_out(Status::Rejected);
                next.wire.reject_reason.clone_from(&report.reason);
            }
            ExecType::Replaced => {
                let new_quantity = report_decimal(report, "new_quantity", &report.new_quantity)?;
                let new_limit = report_decimal(report, "new_limit_price", &report.new_limit_price)?;
                match new_quantity {
                    None => next.close_out(Status::Replaced),
                    Some(quantity) => {
                        if quantity < self.cum || quantity <= Decimal::ZERO {
                            return Err(OrderError::InvalidReport {
                                order_id: report.order_id.clone(),
                                reason: format!(
                                    "new_quantity {quantity} is below the filled {}",
                                    decimal::fmt(self.cum)
                                ),
                            });
                        }
                        next.quantity = quantity;
                        next.leaves = quantity - self.cum;
                        next.status = if next.leaves.is_zero() {
                            Status::Filled
                        } else {
                            next.by_fill()
                        };
                        if let Some(limit) = new_limit {
                            next.wire.limit_price = decimal::fmt(limit);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
