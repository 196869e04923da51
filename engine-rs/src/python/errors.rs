//! The one mapping from core errors to the Python exception hierarchy rooted at `CoreError`.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::decimal::fmt;
use crate::error::{Coded, DecodeError as CoreDecodeError};
use crate::options::OptionMathError as CoreOptionMathError;
use crate::order::OrderError;
use crate::plan::PlanError;
use crate::portfolio::PortfolioError;
use crate::risk::{CheckError, PolicyError};
use crate::tactics::TacticError;

pyo3::create_exception!(
    cream._engine,
    CoreError,
    PyException,
    "Base of every core error. args == (code, message)."
);
pyo3::create_exception!(
    cream._engine,
    DecodeError,
    CoreError,
    "Bytes are not a valid protobuf message."
);
pyo3::create_exception!(
    cream._engine,
    InvalidPlanError,
    CoreError,
    "Structural plan error. args == (code, message, decision_id)."
);
pyo3::create_exception!(
    cream._engine,
    InvalidPolicyError,
    CoreError,
    "RiskPolicy missing or malformed."
);
pyo3::create_exception!(
    cream._engine,
    InvalidOrderError,
    CoreError,
    "An order that cannot be inserted or restored."
);
pyo3::create_exception!(
    cream._engine,
    DuplicateOrderError,
    CoreError,
    "The order id is already in the book."
);
pyo3::create_exception!(
    cream._engine,
    OrderNotFoundError,
    CoreError,
    "No order with this id."
);
pyo3::create_exception!(
    cream._engine,
    InvalidTransitionError,
    CoreError,
    "The execution report is not allowed in the order's status."
);
pyo3::create_exception!(
    cream._engine,
    OverfillError,
    CoreError,
    "A fill larger than the open quantity."
);
pyo3::create_exception!(
    cream._engine,
    OptionMathError,
    CoreError,
    "Bad Black-Scholes inputs or no implied volatility."
);

pyo3::create_exception!(
    cream._engine,
    InvalidTacticError,
    CoreError,
    "A slice schedule request the tactic cannot use."
);
pyo3::create_exception!(
    cream._engine,
    ParticipationShortfallError,
    CoreError,
    "The participation cap cannot absorb the quantity. args == (code, message, shortfall)."
);

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CoreError", py.get_type::<CoreError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    m.add("InvalidPlanError", py.get_type::<InvalidPlanError>())?;
    m.add("InvalidPolicyError", py.get_type::<InvalidPolicyError>())?;
    m.add("InvalidOrderError", py.get_type::<InvalidOrderError>())?;
    m.add("DuplicateOrderError", py.get_type::<DuplicateOrderError>())?;
    m.add("OrderNotFoundError", py.get_type::<OrderNotFoundError>())?;
    m.add(
        "InvalidTransitionError",
        py.get_type::<InvalidTransitionError>(),
    )?;
    m.add("OverfillError", py.get_type::<OverfillError>())?;
    m.add("OptionMathError", py.get_type::<OptionMathError>())?;
    m.add("InvalidTacticError", py.get_type::<InvalidTacticError>())?;
    m.add(
        "ParticipationShortfallError",
        py.get_type::<ParticipationShortfallError>(),
    )?;
    Ok(())
}

fn args(err: &impl Coded) -> (String, String) {
    (err.code().to_owned(), err.message())
}

impl From<CoreDecodeError> for PyErr {
    fn from(err: CoreDecodeError) -> Self {
        DecodeError::new_err(args(&err))
    }
}

impl From<PlanError> for PyErr {
    fn from(err: PlanError) -> Self {
        InvalidPlanError::new_err((err.code.to_owned(), err.message, err.decision_id))
    }
}

impl From<CheckError> for PyErr {
    fn from(err: CheckError) -> Self {
        match err {
            CheckError::Decode(err) => err.into(),
            CheckError::Plan(err) => err.into(),
        }
    }
}

impl From<PolicyError> for PyErr {
    fn from(err: PolicyError) -> Self {
        InvalidPolicyError::new_err(args(&err))
    }
}

impl From<PortfolioError> for PyErr {
    fn from(err: PortfolioError) -> Self {
        CoreError::new_err(args(&err))
    }
}

impl From<CoreOptionMathError> for PyErr {
    fn from(err: CoreOptionMathError) -> Self {
        OptionMathError::new_err(args(&err))
    }
}

impl From<OrderError> for PyErr {
    fn from(err: OrderError) -> Self {
        let args = args(&err);
        match err {
            OrderError::InvalidOrder { .. } => InvalidOrderError::new_err(args),
            OrderError::Duplicate(_) => DuplicateOrderError::new_err(args),
            OrderError::NotFound(_) => OrderNotFoundError::new_err(args),
            OrderError::InvalidTransition { .. } => InvalidTransitionError::new_err(args),
            OrderError::Overfill { .. } => OverfillError::new_err(args),
            OrderError::InvalidReport { .. } => CoreError::new_err(args),
        }
    }
}

impl From<TacticError> for PyErr {
    fn from(err: TacticError) -> Self {
        let (code, message) = args(&err);
        match err {
            TacticError::ParticipationShortfall { shortfall, .. } => {
                ParticipationShortfallError::new_err((code, message, fmt(shortfall)))
            }
            _ => InvalidTacticError::new_err((code, message)),
        }
    }
}
