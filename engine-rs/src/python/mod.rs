//! The `PyO3` boundary: the `cream._engine` module. Messages cross as serialized protobuf bytes.

mod errors;
mod functions;
mod orders;
mod risk;
mod tactics;
mod tokens;

use pyo3::prelude::*;

/// The compiled core, imported by Python as `cream._engine`.
#[pymodule]
#[pyo3(name = "_engine")]
fn engine(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<risk::PyRiskCore>()?;
    m.add_class::<risk::PyExposure>()?;
    m.add_class::<functions::PyStopTrigger>()?;
    m.add_class::<orders::PyOrderBook>()?;
    m.add_function(wrap_pyfunction!(functions::evaluate_stops, m)?)?;
    m.add_function(wrap_pyfunction!(functions::bs_price_greeks, m)?)?;
    m.add_function(wrap_pyfunction!(functions::implied_vol, m)?)?;
    m.add_function(wrap_pyfunction!(risk::request_instruments, m)?)?;
    m.add_class::<tactics::PySchedule>()?;
    m.add_class::<tactics::PySlice>()?;
    m.add_function(wrap_pyfunction!(tactics::slice_schedule, m)?)?;
    m.add_function(wrap_pyfunction!(tactics::child_limit_price, m)?)?;
    m.add_function(wrap_pyfunction!(tokens::count_tokens_cl100k, m)?)?;
    Ok(())
}
