//! `OrderBook` for Python.

use prost::Message;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::decode;
use crate::order::OrderBook;
use crate::pb;

/// Orders by id driven by execution reports (FIX state machine).
#[pyclass(name = "OrderBook", module = "cream._engine")]
#[derive(Default)]
pub struct PyOrderBook {
    book: OrderBook,
}

#[pymethods]
impl PyOrderBook {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Inserts a NEW order with nothing filled; returns the normalized Order.
    fn insert<'py>(&mut self, py: Python<'py>, order: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let order: pb::Order = decode("Order", order)?;
        let order = self.book.insert(order)?;
        Ok(PyBytes::new(py, &order.encode_to_vec()))
    }

    /// Reloads an order in any consistent state with the exec ids already applied.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "PyO3 extracts a Python list into an owned Vec"
    )]
    fn restore(&mut self, order: &[u8], exec_ids: Vec<String>) -> PyResult<()> {
        let order: pb::Order = decode("Order", order)?;
        Ok(self.book.restore(order, &exec_ids)?)
    }

    /// Applies an `ExecutionReport`: (Order after, applied?); a repeated `exec_id` is not applied.
    fn apply<'py>(
        &mut self,
        py: Python<'py>,
        report: &[u8],
    ) -> PyResult<(Bound<'py, PyBytes>, bool)> {
        let report: pb::ExecutionReport = decode("ExecutionReport", report)?;
        let (order, applied) = self.book.apply(&report)?;
        Ok((PyBytes::new(py, &order.encode_to_vec()), applied))
    }

    /// The order by id.
    fn get<'py>(&self, py: Python<'py>, order_id: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.book.get(order_id)?.encode_to_vec()))
    }

    /// Non-terminal orders, ordered by `order_id`.
    fn open_orders<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.book
            .open_orders()
            .iter()
            .map(|o| PyBytes::new(py, &o.encode_to_vec()))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.book.len()
    }
}
