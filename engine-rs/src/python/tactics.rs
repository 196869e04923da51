//! Slice schedules of the execution tactics for Python.

use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::decimal::{self, fmt};
use crate::tactics::{
    self, Pricing, Schedule, Slice, SliceRequest, Tactic, TacticError, Touch, Urgency,
    side_from_wire,
};

/// One child order of a schedule; decimals as strings, `limit_price` "" when not priced yet.
#[pyclass(name = "Slice", module = "cream._engine", frozen, get_all)]
#[derive(Clone)]
pub struct PySlice {
    index: u32,
    quantity: String,
    release_at_ms: i64,
    release: String,
    pricing: String,
    limit_price: String,
}

#[pymethods]
impl PySlice {
    fn __repr__(&self) -> String {
        format!(
            "Slice(index={}, quantity='{}', release_at_ms={}, release='{}', pricing='{}', limit_price='{}')",
            self.index,
            self.quantity,
            self.release_at_ms,
            self.release,
            self.pricing,
            self.limit_price
        )
    }
}

impl From<&Slice> for PySlice {
    fn from(s: &Slice) -> Self {
        Self {
            index: s.index,
            quantity: fmt(s.quantity),
            release_at_ms: s.release_at_ms,
            release: s.release.name().to_owned(),
            pricing: s.pricing.name().to_owned(),
            limit_price: s.limit_price.map(fmt).unwrap_or_default(),
        }
    }
}

/// A parent order split into children; `tactic` is the one used (ADAPTIVE resolves).
#[pyclass(name = "Schedule", module = "cream._engine", frozen, get_all)]
pub struct PySchedule {
    requested: i32,
    tactic: i32,
    reason: String,
    slices: Vec<PySlice>,
}

impl From<Schedule> for PySchedule {
    fn from(s: Schedule) -> Self {
        Self {
            requested: s.requested.wire(),
            tactic: s.tactic.wire(),
            reason: s.reason,
            slices: s.slices.iter().map(PySlice::from).collect(),
        }
    }
}

fn number(field: &'static str, text: &str) -> Result<Decimal, TacticError> {
    decimal::parse(text).map_err(|_| TacticError::InvalidNumber {
        field,
        text: text.to_owned(),
    })
}

fn optional(field: &'static str, text: &str) -> Result<Option<Decimal>, TacticError> {
    if text.is_empty() {
        Ok(None)
    } else {
        number(field, text).map(Some)
    }
}

fn touch(bid: &str, ask: &str) -> Result<Option<Touch>, TacticError> {
    match (optional("bid", bid)?, optional("ask", ask)?) {
        (Some(bid), Some(ask)) => Ok(Some(Touch { bid, ask })),
        (None, None) => Ok(None),
        (bid, ask) => Err(TacticError::InvalidQuote {
            bid: bid.unwrap_or_default(),
            ask: ask.unwrap_or_default(),
        }),
    }
}

/// The slice schedule of a parent order (see `cream.engine.core.slice_schedule`).
#[pyfunction]
#[pyo3(signature = (
    tactic, side, quantity, *, lot = "1", bid = "", ask = "", aggression_bps = "5",
    start_ms = 0, duration_ms = 0, slices = 0, jitter_pct = 0, seed = 0,
    volume_profile = Vec::new(), participation_cap = "1", peak = "",
    child_pricing = "AGGRESSIVE", urgency = "NORMAL", average_volume = "",
))]
#[expect(
    clippy::too_many_arguments,
    reason = "keyword-only arguments of one Python call; each tactic reads its own"
)]
#[expect(
    clippy::needless_pass_by_value,
    reason = "PyO3 extracts a Python list into an owned Vec"
)]
pub fn slice_schedule(
    tactic: i32,
    side: i32,
    quantity: &str,
    lot: &str,
    bid: &str,
    ask: &str,
    aggression_bps: &str,
    start_ms: i64,
    duration_ms: i64,
    slices: u32,
    jitter_pct: u32,
    seed: u64,
    volume_profile: Vec<String>,
    participation_cap: &str,
    peak: &str,
    child_pricing: &str,
    urgency: &str,
    average_volume: &str,
) -> PyResult<PySchedule> {
    let request = SliceRequest {
        tactic: Tactic::from_wire(tactic)?,
        side: side_from_wire(side)?,
        quantity: number("quantity", quantity)?,
        lot: number("lot", lot)?,
        touch: touch(bid, ask)?,
        aggression_bps: number("aggression_bps", aggression_bps)?,
        start_ms,
        duration_ms,
        slice_count: slices,
        jitter_pct,
        seed,
        volume_profile: volume_profile
            .iter()
            .map(|v| number("volume_profile", v))
            .collect::<Result<_, _>>()?,
        participation_cap: number("participation_cap", participation_cap)?,
        peak: optional("peak", peak)?.unwrap_or_default(),
        child_pricing: Pricing::parse(child_pricing)?,
        urgency: Urgency::parse(urgency)?,
        average_volume: optional("average_volume", average_volume)?,
    };
    Ok(tactics::schedule(&request)?.into())
}

/// The limit price of a child at the touch: "PASSIVE" (near touch) or "AGGRESSIVE" (capped).
#[pyfunction]
pub fn child_limit_price(
    side: i32,
    pricing: &str,
    bid: &str,
    ask: &str,
    aggression_bps: &str,
) -> PyResult<String> {
    let touch = Touch {
        bid: number("bid", bid)?,
        ask: number("ask", ask)?,
    };
    let price = tactics::limit_price(
        side_from_wire(side)?,
        Pricing::parse(pricing)?,
        touch,
        number("aggression_bps", aggression_bps)?,
    )?;
    Ok(fmt(price))
}
