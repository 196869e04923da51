//! `RiskCore` and `Exposure` for Python.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::decimal::fmt;
use crate::error::decode;
use crate::pb;
use crate::portfolio::Portfolio;
use crate::risk::{self, Policy, RiskCore};

fn policy_from(bytes: &[u8]) -> PyResult<Policy> {
    let raw: pb::RiskPolicy = decode("RiskPolicy", bytes)?;
    Ok(Policy::from_wire(&raw)?)
}

/// The risk core: a policy and a portfolio, checking plans against a market.
#[pyclass(name = "RiskCore", module = "cream._engine")]
pub struct PyRiskCore {
    core: RiskCore,
}

#[pymethods]
impl PyRiskCore {
    #[new]
    fn new(policy: &[u8]) -> PyResult<Self> {
        Ok(Self {
            core: RiskCore::new(policy_from(policy)?),
        })
    }

    /// The version of the policy in force.
    #[getter]
    fn policy_version(&self) -> i64 {
        self.core.policy().version
    }

    /// Swaps the policy atomically: a bad policy leaves the old one in force.
    fn set_policy(&mut self, policy: &[u8]) -> PyResult<()> {
        let policy = policy_from(policy)?;
        self.core.set_policy(policy);
        Ok(())
    }

    /// Replaces the portfolio (account, positions, open orders, opened today).
    fn set_portfolio(&mut self, portfolio: &[u8]) -> PyResult<()> {
        let raw: pb::PortfolioState = decode("PortfolioState", portfolio)?;
        let portfolio = Portfolio::from_wire(&raw)?;
        self.core.set_portfolio(portfolio);
        Ok(())
    }

    /// Checks a `DecisionPlan` against a `MarketState`; returns a `CheckConstraintsResponse`.
    fn check<'py>(
        &self,
        py: Python<'py>,
        plan: &[u8],
        market: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let response = self.core.check_serialized(plan, market)?;
        Ok(PyBytes::new(py, &response))
    }

    /// Checks the plan of a `CheckConstraintsRequest` against a `MarketState`; returns a
    /// `CheckConstraintsResponse`. A request without a plan raises `MISSING_PLAN`.
    fn check_request<'py>(
        &self,
        py: Python<'py>,
        request: &[u8],
        market: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let response = self.core.check_request(request, market)?;
        Ok(PyBytes::new(py, &response))
    }

    /// The `TradingState` enum value: the account's state combined with the breakers.
    fn trading_state(&self) -> i32 {
        self.core.trading_verdict().state as i32
    }

    /// The current exposure, marked at the market's quotes where given.
    fn exposure(&self, market: &[u8]) -> PyResult<PyExposure> {
        let market: pb::MarketState = decode("MarketState", market)?;
        let e = self.core.exposure(&market);
        Ok(PyExposure {
            gross_notional: fmt(e.gross_notional.round_dp(8)),
            net_notional: fmt(e.net_notional.round_dp(8)),
            leverage: fmt(e.leverage.round_dp(8)),
            delta: e.greeks.delta,
            gamma: e.greeks.gamma,
            vega: e.greeks.vega,
            theta: e.greeks.theta,
            delta_by_underlying: e.delta_by_underlying,
            gross_by_sector: e
                .gross_by_sector
                .into_iter()
                .map(|(k, v)| (k, fmt(v.round_dp(8))))
                .collect(),
        })
    }
}

/// The portfolio's exposure: notionals as decimal strings, options Greeks x100.
#[pyclass(name = "Exposure", module = "cream._engine", frozen, get_all)]
pub struct PyExposure {
    gross_notional: String,
    net_notional: String,
    leverage: String,
    delta: f64,
    gamma: f64,
    vega: f64,
    theta: f64,
    delta_by_underlying: BTreeMap<String, f64>,
    gross_by_sector: BTreeMap<String, String>,
}

#[pymethods]
impl PyExposure {
    fn __repr__(&self) -> String {
        format!(
            "Exposure(gross_notional='{}', net_notional='{}', leverage='{}', delta={}, gamma={}, vega={}, theta={})",
            self.gross_notional,
            self.net_notional,
            self.leverage,
            self.delta,
            self.gamma,
            self.vega,
            self.theta
        )
    }
}

/// (environment, sorted unique symbols and underlyings, sorted unique OCC symbols) of a
/// `CheckConstraintsRequest`: the quotes its check needs.
#[pyfunction]
pub fn request_instruments(request: &[u8]) -> PyResult<(i32, Vec<String>, Vec<String>)> {
    let found = risk::request_instruments(request)?;
    Ok((found.environment, found.symbols, found.occ_symbols))
}
