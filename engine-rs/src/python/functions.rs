//! Stop triggers and Black-Scholes for Python.

use pyo3::prelude::*;

use crate::decimal::fmt;
use crate::error::decode;
use crate::options::{self, Contract, OptionMathError};
use crate::pb;
use crate::plan::OptionKind;
use crate::portfolio::Portfolio;
use crate::stops;

/// A position whose stop loss or take profit was reached.
#[pyclass(name = "StopTrigger", module = "cream._engine", frozen, get_all)]
pub struct PyStopTrigger {
    symbol: String,
    kind: String,
    exit_side: i32,
    quantity: String,
    level: String,
    trigger_price: String,
}

#[pymethods]
impl PyStopTrigger {
    fn __repr__(&self) -> String {
        format!(
            "StopTrigger(symbol='{}', kind='{}', exit_side={}, quantity='{}', level='{}', trigger_price='{}')",
            self.symbol, self.kind, self.exit_side, self.quantity, self.level, self.trigger_price
        )
    }
}

/// The stop and take-profit triggers of a `PortfolioState`'s positions at a `MarketState`.
#[pyfunction]
pub fn evaluate_stops(portfolio: &[u8], market: &[u8]) -> PyResult<Vec<PyStopTrigger>> {
    let raw: pb::PortfolioState = decode("PortfolioState", portfolio)?;
    let market: pb::MarketState = decode("MarketState", market)?;
    let portfolio = Portfolio::from_wire(&raw)?;
    Ok(stops::evaluate_stops(&portfolio, &market)
        .into_iter()
        .map(|t| PyStopTrigger {
            symbol: t.symbol,
            kind: t.kind.name().to_owned(),
            exit_side: t.exit_side.wire(),
            quantity: fmt(t.quantity),
            level: fmt(t.level),
            trigger_price: fmt(t.trigger_price),
        })
        .collect())
}

fn contract(
    option_type: i32,
    spot: f64,
    strike: f64,
    t_years: f64,
    rate: f64,
    dividend: f64,
) -> Result<Contract, OptionMathError> {
    let kind = match pb::OptionType::try_from(option_type) {
        Ok(pb::OptionType::Call) => OptionKind::Call,
        Ok(pb::OptionType::Put) => OptionKind::Put,
        _ => return Err(OptionMathError::UnknownOptionType(option_type)),
    };
    Ok(Contract {
        kind,
        spot,
        strike,
        t_years,
        rate,
        dividend,
    })
}

/// (price, delta, gamma, vega per vol point, theta per day, rho per rate point).
#[pyfunction]
#[pyo3(signature = (option_type, spot, strike, t_years, rate, vol, dividend = 0.0))]
pub fn bs_price_greeks(
    option_type: i32,
    spot: f64,
    strike: f64,
    t_years: f64,
    rate: f64,
    vol: f64,
    dividend: f64,
) -> PyResult<(f64, f64, f64, f64, f64, f64)> {
    let c = contract(option_type, spot, strike, t_years, rate, dividend)?;
    let g = options::price_greeks(&c, vol)?;
    Ok((g.price, g.delta, g.gamma, g.vega, g.theta, g.rho))
}

/// The Black-Scholes implied volatility of a price.
#[pyfunction]
#[pyo3(signature = (option_type, price, spot, strike, t_years, rate, dividend = 0.0))]
pub fn implied_vol(
    option_type: i32,
    price: f64,
    spot: f64,
    strike: f64,
    t_years: f64,
    rate: f64,
    dividend: f64,
) -> PyResult<f64> {
    let c = contract(option_type, spot, strike, t_years, rate, dividend)?;
    Ok(options::implied_vol(&c, price)?)
}
