//! The check on serialized messages (the gRPC hot path): bytes in, bytes out.
//!
//! Messages are decoded into borrowed views without copying their strings; bytes the fast
//! decoder does not accept are decoded with `prost`, which has the last word (the same
//! answer, or its own error).

use std::collections::BTreeSet;

use super::core::RiskCore;
use crate::error::{DecodeError, decode};
use crate::pb;
use crate::plan::PlanError;
use crate::wire::{self, MarketView, PlanView};

/// Why a serialized check could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// A message is not valid protobuf.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The plan is structurally invalid (or missing from the request).
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// What a `CheckConstraintsRequest` trades: the market the check needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInstruments {
    /// The plan's `Environment` value (0 without a plan).
    pub environment: i32,
    /// Sorted unique instrument symbols: equities and option underlyings.
    pub symbols: Vec<String>,
    /// Sorted unique OCC symbols of the option legs.
    pub occ_symbols: Vec<String>,
}

fn with_market<R>(bytes: &[u8], f: impl FnOnce(&MarketView<'_>) -> R) -> Result<R, DecodeError> {
    if let Ok(view) = MarketView::decode(bytes) {
        return Ok(f(&view));
    }
    let market: pb::MarketState = decode("MarketState", bytes)?;
    Ok(f(&MarketView::from_pb(&market)))
}

fn with_plan<R>(bytes: &[u8], f: impl FnOnce(&PlanView<'_>) -> R) -> Result<R, DecodeError> {
    if let Ok(view) = PlanView::decode(bytes) {
        return Ok(f(&view));
    }
    let plan: pb::DecisionPlan = decode("DecisionPlan", bytes)?;
    Ok(f(&PlanView::from_pb(&plan)))
}

/// The plan of a request, None when it has none.
fn with_request_plan<R>(
    bytes: &[u8],
    f: impl FnOnce(Option<&PlanView<'_>>) -> R,
) -> Result<R, DecodeError> {
    if let Ok(view) = wire::request_plan(bytes) {
        return Ok(f(view.as_ref()));
    }
    let request: pb::CheckConstraintsRequest = decode("CheckConstraintsRequest", bytes)?;
    Ok(f(request.plan.as_ref().map(PlanView::from_pb).as_ref()))
}

impl RiskCore {
    fn encode_check(
        &self,
        plan: &PlanView<'_>,
        market: &MarketView<'_>,
    ) -> Result<Vec<u8>, PlanError> {
        self.check_encoded(plan, market, |outcome| outcome.encode())
    }

    /// Checks a serialized `DecisionPlan` against a serialized `MarketState`; returns the
    /// serialized `CheckConstraintsResponse`.
    ///
    /// # Errors
    /// `CheckError::Decode` for bytes that are not the message (the plan's are decoded
    /// first), `CheckError::Plan` for a structurally invalid plan.
    pub fn check_serialized(&self, plan: &[u8], market: &[u8]) -> Result<Vec<u8>, CheckError> {
        with_plan(plan, |plan| {
            with_market(market, |market| self.encode_check(plan, market))
        })??
        .map_err(CheckError::from)
    }

    /// As [`RiskCore::check_serialized`], with the plan inside a serialized
    /// `CheckConstraintsRequest`.
    ///
    /// # Errors
    /// `CheckError::Decode` for bytes that are not the message (the request's are decoded
    /// first), `CheckError::Plan` with code `MISSING_PLAN` when the request has no plan, or for
    /// a structurally invalid plan.
    pub fn check_request(&self, request: &[u8], market: &[u8]) -> Result<Vec<u8>, CheckError> {
        with_request_plan(request, |plan| {
            let plan = plan.ok_or_else(|| {
                CheckError::Plan(PlanError::plan("MISSING_PLAN", "the request has no plan"))
            })?;
            Ok(with_market(market, |market| {
                self.encode_check(plan, market)
            })??)
        })?
    }
}

/// The environment and instruments of a serialized `CheckConstraintsRequest`, without
/// validating the plan (the check does that).
///
/// # Errors
/// `DecodeError` when the bytes are not a `CheckConstraintsRequest`.
pub fn request_instruments(request: &[u8]) -> Result<RequestInstruments, DecodeError> {
    with_request_plan(request, |plan| {
        let Some(plan) = plan else {
            return RequestInstruments::default();
        };
        let mut symbols = BTreeSet::new();
        let mut occ_symbols = BTreeSet::new();
        for instrument in plan.decisions.iter().filter_map(|d| d.instrument.as_ref()) {
            if !instrument.symbol.is_empty() {
                symbols.insert(instrument.symbol);
            }
            for leg in &instrument.legs {
                if !leg.occ_symbol.is_empty() {
                    occ_symbols.insert(leg.occ_symbol);
                }
            }
        }
        RequestInstruments {
            environment: plan.environment,
            symbols: symbols.into_iter().map(str::to_owned).collect(),
            occ_symbols: occ_symbols.into_iter().map(str::to_owned).collect(),
        }
    })
}
