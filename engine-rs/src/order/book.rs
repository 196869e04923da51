//! The book of orders by id, with the execution ids already applied.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::error::OrderError;
use super::state::{OrderState, Status};
use crate::pb;

#[derive(Debug, Clone)]
struct Entry {
    order: OrderState,
    exec_ids: BTreeSet<String>,
}

/// Orders by id; deterministic iteration by id.
#[derive(Debug, Clone, Default)]
pub struct OrderBook {
    orders: BTreeMap<String, Entry>,
}

impl OrderBook {
    /// An empty book.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts a new order (status NEW or unset, nothing filled) and returns it normalized.
    ///
    /// # Errors
    /// `Duplicate` when the id is taken; `InvalidOrder` when the order is not a fresh one.
    pub fn insert(&mut self, mut order: pb::Order) -> Result<pb::Order, OrderError> {
        if order.status == pb::OrderStatus::Unspecified as i32 {
            order.status = pb::OrderStatus::New as i32;
        }
        let state = OrderState::from_wire(order)?;
        if state.status != Status::New || !state.cum.is_zero() || !state.canceled.is_zero() {
            return Err(OrderError::InvalidOrder {
                code: "INVALID_ORDER",
                order_id: state.order_id().to_owned(),
                reason: format!(
                    "a new order has status NEW and nothing filled, got {} with cum_qty {}",
                    state.status.name(),
                    state.cum
                ),
            });
        }
        if state.quantity <= Decimal::ZERO {
            return Err(OrderError::InvalidOrder {
                code: "INVALID_ORDER",
                order_id: state.order_id().to_owned(),
                reason: "quantity must be positive".to_owned(),
            });
        }
        self.put(state, BTreeSet::new())
    }

    /// Reloads an order in any consistent state with the execution ids already applied to it.
    ///
    /// # Errors
    /// `Duplicate` when the id is taken; `InvalidOrder` when the order is inconsistent.
    pub fn restore(&mut self, order: pb::Order, exec_ids: &[String]) -> Result<(), OrderError> {
        let state = OrderState::from_wire(order)?;
        self.put(state, exec_ids.iter().cloned().collect())
            .map(|_| ())
    }

    fn put(
        &mut self,
        order: OrderState,
        exec_ids: BTreeSet<String>,
    ) -> Result<pb::Order, OrderError> {
        let id = order.order_id().to_owned();
        if self.orders.contains_key(&id) {
            return Err(OrderError::Duplicate(id));
        }
        let wire = order.to_wire();
        self.orders.insert(id, Entry { order, exec_ids });
        Ok(wire)
    }

    /// Applies an execution report: `(order after, applied)`; a repeated exec id is ignored.
    ///
    /// # Errors
    /// `NotFound`, `InvalidReport`, `InvalidTransition`, `Overfill`; the order is unchanged.
    pub fn apply(&mut self, report: &pb::ExecutionReport) -> Result<(pb::Order, bool), OrderError> {
        let entry = self
            .orders
            .get_mut(&report.order_id)
            .ok_or_else(|| OrderError::NotFound(report.order_id.clone()))?;
        if report.exec_id.is_empty() {
            return Err(OrderError::InvalidReport {
                order_id: report.order_id.clone(),
                reason: "exec_id is empty".to_owned(),
            });
        }
        if entry.exec_ids.contains(&report.exec_id) {
            return Ok((entry.order.to_wire(), false));
        }
        let next = entry.order.applied(report)?;
        entry.order = next;
        entry.exec_ids.insert(report.exec_id.clone());
        Ok((entry.order.to_wire(), true))
    }

    /// The order by id.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn get(&self, order_id: &str) -> Result<pb::Order, OrderError> {
        self.state(order_id).map(OrderState::to_wire)
    }

    /// The order's exact state by id.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn state(&self, order_id: &str) -> Result<&OrderState, OrderError> {
        self.orders
            .get(order_id)
            .map(|entry| &entry.order)
            .ok_or_else(|| OrderError::NotFound(order_id.to_owned()))
    }

    /// Non-terminal orders, by order id.
    #[must_use]
    pub fn open_orders(&self) -> Vec<pb::Order> {
        self.orders
            .values()
            .filter(|entry| !entry.order.status.is_terminal())
            .map(|entry| entry.order.to_wire())
            .collect()
    }

    /// Number of orders, terminal ones included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// True when the book holds no order.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }
}
