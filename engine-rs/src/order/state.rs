//! One order's state: the wire `Order` plus exact decimals for the quantities.

use rust_decimal::Decimal;

use super::error::OrderError;
use crate::decimal::{self, fmt};
use crate::pb;

/// FIX order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    New,
    PendingNew,
    Accepted,
    PartiallyFilled,
    Filled,
    PendingCancel,
    Canceled,
    PendingReplace,
    Replaced,
    Rejected,
    Expired,
}

impl Status {
    /// Every status, in wire order.
    pub const ALL: [Self; 11] = [
        Self::New,
        Self::PendingNew,
        Self::Accepted,
        Self::PartiallyFilled,
        Self::Filled,
        Self::PendingCancel,
        Self::Canceled,
        Self::PendingReplace,
        Self::Replaced,
        Self::Rejected,
        Self::Expired,
    ];

    /// No further events except a late fill after CANCELED/EXPIRED.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Canceled | Self::Rejected | Self::Expired | Self::Replaced
        )
    }

    /// The wire enum value.
    #[must_use]
    pub fn wire(self) -> pb::OrderStatus {
        match self {
            Self::New => pb::OrderStatus::New,
            Self::PendingNew => pb::OrderStatus::PendingNew,
            Self::Accepted => pb::OrderStatus::Accepted,
            Self::PartiallyFilled => pb::OrderStatus::PartiallyFilled,
            Self::Filled => pb::OrderStatus::Filled,
            Self::PendingCancel => pb::OrderStatus::PendingCancel,
            Self::Canceled => pb::OrderStatus::Canceled,
            Self::PendingReplace => pb::OrderStatus::PendingReplace,
            Self::Replaced => pb::OrderStatus::Replaced,
            Self::Rejected => pb::OrderStatus::Rejected,
            Self::Expired => pb::OrderStatus::Expired,
        }
    }

    /// From the wire enum value (None for unspecified or unknown).
    #[must_use]
    pub fn from_wire(value: i32) -> Option<Self> {
        let index = usize::try_from(value).ok()?.checked_sub(1)?;
        Self::ALL.get(index).copied()
    }

    /// The wire name without prefix.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.wire()
            .as_str_name()
            .trim_start_matches("ORDER_STATUS_")
    }
}

/// An order with exact quantities; `quantity` + `canceled` is the size ever open.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderState {
    /// The wire order: identity and terms, rewritten from the fields below on output.
    pub(super) wire: pb::Order,
    pub status: Status,
    /// Current order quantity: always `cum + leaves`.
    pub quantity: Decimal,
    pub cum: Decimal,
    pub leaves: Decimal,
    /// Unfilled remainder removed by a cancel, expiry, replace or reject.
    pub canceled: Decimal,
    /// Σ fill qty × price, for the exact average.
    pub(super) fill_value: Decimal,
}

fn field(order: &pb::Order, name: &str, text: &str) -> Result<Option<Decimal>, OrderError> {
    decimal::parse_opt(text).map_err(|err| OrderError::InvalidOrder {
        code: "INVALID_ORDER",
        order_id: order.order_id.clone(),
        reason: format!("{name}: {err}"),
    })
}

fn invalid(order: &pb::Order, reason: impl Into<String>) -> OrderError {
    OrderError::InvalidOrder {
        code: "INVALID_ORDER",
        order_id: order.order_id.clone(),
        reason: reason.into(),
    }
}

impl OrderState {
    /// Reads any internally consistent order.
    ///
    /// # Errors
    /// `InvalidOrder` when ids, enums or quantities are missing or inconsistent.
    pub fn from_wire(order: pb::Order) -> Result<Self, OrderError> {
        if order.order_id.is_empty() {
            return Err(invalid(&order, "order_id is empty"));
        }
        let status = Status::from_wire(order.status).ok_or_else(|| {
            invalid(
                &order,
                format!("status {} is not a valid OrderStatus", order.status),
            )
        })?;
        for (name, value, known) in [
            (
                "side",
                order.side,
                pb::OrderSide::try_from(order.side).is_ok(),
            ),
            (
                "order_type",
                order.order_type,
                pb::OrderType::try_from(order.order_type).is_ok(),
            ),
            (
                "instrument_type",
                order.instrument_type,
                pb::InstrumentType::try_from(order.instrument_type).is_ok(),
            ),
        ] {
            if value == 0 || !known {
                return Err(invalid(
                    &order,
                    format!("{name} {value} is unspecified or unknown"),
                ));
            }
        }
        let quantity = field(&order, "quantity", &order.quantity)?
            .ok_or_else(|| invalid(&order, "quantity is missing"))?;
        let cum = field(&order, "cum_qty", &order.cum_qty)?.unwrap_or_default();
        let leaves = field(&order, "leaves_qty", &order.leaves_qty)?.unwrap_or(quantity - cum);
        let canceled = field(&order, "canceled_qty", &order.canceled_qty)?.unwrap_or_default();
        let avg = field(&order, "avg_fill_price", &order.avg_fill_price)?.unwrap_or_default();
        if quantity < Decimal::ZERO
            || cum < Decimal::ZERO
            || leaves < Decimal::ZERO
            || canceled < Decimal::ZERO
        {
            return Err(invalid(&order, "quantities must not be negative"));
        }
        if cum + leaves != quantity {
            return Err(invalid(
                &order,
                format!("cum_qty {cum} + leaves_qty {leaves} != quantity {quantity}"),
            ));
        }
        if quantity + canceled <= Decimal::ZERO {
            return Err(invalid(&order, "quantity must be positive"));
        }
        if status.is_terminal() && leaves != Decimal::ZERO {
            return Err(invalid(
                &order,
                format!("a {} order has no leaves_qty", status.name()),
            ));
        }
        if status == Status::Filled && canceled != Decimal::ZERO {
            return Err(invalid(&order, "a FILLED order has no canceled_qty"));
        }
        if !status.is_terminal() && canceled != Decimal::ZERO {
            return Err(invalid(&order, "only a terminal order has a canceled_qty"));
        }
        if cum > Decimal::ZERO && avg <= Decimal::ZERO {
            return Err(invalid(
                &order,
                "a filled quantity needs a positive avg_fill_price",
            ));
        }
        Ok(Self {
            fill_value: avg * cum,
            wire: order,
            status,
            quantity,
            cum,
            leaves,
            canceled,
        })
    }

    /// The order id.
    #[must_use]
    pub fn order_id(&self) -> &str {
        &self.wire.order_id
    }

    /// The size ever open: the current quantity plus the canceled remainder.
    #[must_use]
    pub fn original(&self) -> Decimal {
        self.quantity + self.canceled
    }

    /// The wire order with canonical quantity strings.
    #[must_use]
    pub fn to_wire(&self) -> pb::Order {
        let mut order = self.wire.clone();
        order.status = self.status.wire() as i32;
        order.quantity = fmt(self.quantity);
        order.cum_qty = fmt(self.cum);
        order.leaves_qty = fmt(self.leaves);
        order.canceled_qty = fmt(self.canceled);
        order.avg_fill_price = if self.cum.is_zero() {
            String::new()
        } else {
            fmt(self.fill_value / self.cum)
        };
        order.limit_price = match decimal::parse_opt(&order.limit_price) {
            Ok(Some(price)) => fmt(price),
            _ => order.limit_price,
        };
        order
    }
}
