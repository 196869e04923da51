//! Borrowed views of a `DecisionPlan` and its decisions.

use super::reader::{Malformed, Reader, Timestamp, skip_string};
use crate::pb;

/// A `DecisionPlan` (the fields the core reads; the others are checked, then dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanView<'a> {
    pub cycle_id: &'a str,
    pub as_of: Option<Timestamp>,
    pub environment: i32,
    pub decisions: Vec<DecisionView<'a>>,
}

/// A `Decision`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecisionView<'a> {
    pub decision_id: &'a str,
    pub instrument: Option<InstrumentView<'a>>,
    pub action: i32,
    pub direction: i32,
    pub size: Option<SizeView<'a>>,
    pub order_plan: Option<OrderPlanView<'a>>,
    pub risk_levels: Option<RiskLevelsView<'a>>,
    pub confidence: f64,
    pub reason_code: &'a str,
}

/// An `Instrument`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstrumentView<'a> {
    pub instrument_type: i32,
    pub symbol: &'a str,
    pub legs: Vec<LegView<'a>>,
}

/// An `OptionLeg`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegView<'a> {
    pub occ_symbol: &'a str,
    pub underlying: &'a str,
    pub option_type: i32,
    pub strike: &'a str,
    pub expiry: &'a str,
    pub side: i32,
    pub ratio: u32,
}

/// A `Size`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeView<'a> {
    pub value: &'a str,
    pub unit: i32,
}

/// An `OrderPlan`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderPlanView<'a> {
    pub order_type: i32,
    pub limit_price: &'a str,
    pub stop_price: &'a str,
    pub time_in_force: i32,
    pub execution_tactic: i32,
}

/// `RiskLevels`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskLevelsView<'a> {
    pub stop_loss: &'a str,
    pub take_profit: &'a str,
}

/// The plan of a `CheckConstraintsRequest`'s bytes: None when the request has none.
///
/// # Errors
/// `Malformed` when the bytes are not accepted (decode them with `prost` for the reason).
pub fn request_plan(bytes: &[u8]) -> Result<Option<PlanView<'_>>, Malformed> {
    let mut plan: Option<PlanView<'_>> = None;
    let mut r = Reader::new(bytes);
    while let Some((tag, wire)) = r.key()? {
        match tag {
            1 => plan
                .get_or_insert_with(PlanView::default)
                .merge(r.bytes(wire)?)?,
            _ => r.skip(wire)?,
        }
    }
    Ok(plan)
}

impl<'a> PlanView<'a> {
    /// Decodes a `DecisionPlan`'s bytes.
    ///
    /// # Errors
    /// `Malformed` when the bytes are not accepted (decode them with `prost` for the reason).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, Malformed> {
        let mut plan = Self::default();
        plan.merge(bytes)?;
        Ok(plan)
    }

    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.cycle_id = r.string(wire)?,
                2 => self
                    .as_of
                    .get_or_insert_with(Timestamp::default)
                    .merge(r.bytes(wire)?)?,
                3 => self.environment = r.int32(wire)?,
                4 => drop(r.int64(wire)?),
                5 => {
                    let bytes = r.bytes(wire)?;
                    if self.decisions.capacity() == 0 {
                        self.decisions.reserve(32);
                    }
                    // Decoded in place: a decision view is a few hundred bytes.
                    self.decisions.push(DecisionView::default());
                    if let Some(decision) = self.decisions.last_mut() {
                        decision.merge(bytes)?;
                    }
                }
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }

    /// A view of a decoded `prost` plan.
    #[must_use]
    pub fn from_pb(plan: &'a pb::DecisionPlan) -> Self {
        Self {
            cycle_id: &plan.cycle_id,
            as_of: plan.as_of.map(|ts| Timestamp {
                seconds: ts.seconds,
                nanos: ts.nanos,
            }),
            environment: plan.environment,
            decisions: plan.decisions.iter().map(DecisionView::from_pb).collect(),
        }
    }
}

impl<'a> DecisionView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.decision_id = r.string(wire)?,
                2 => self
                    .instrument
                    .get_or_insert_with(InstrumentView::default)
                    .merge(r.bytes(wire)?)?,
                3 => self.action = r.int32(wire)?,
                4 => self.direction = r.int32(wire)?,
                5 => self
                    .size
                    .get_or_insert_with(SizeView::default)
                    .merge(r.bytes(wire)?)?,
                6 => self
                    .order_plan
                    .get_or_insert_with(OrderPlanView::default)
                    .merge(r.bytes(wire)?)?,
                7 => self
                    .risk_levels
                    .get_or_insert_with(RiskLevelsView::default)
                    .merge(r.bytes(wire)?)?,
                8 | 9 => drop(r.int32(wire)?),
                10 => check_rationale(r.bytes(wire)?)?,
                11 => self.confidence = r.double(wire)?,
                12 => self.reason_code = r.string(wire)?,
                13 => skip_string(&mut r, wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }

    fn from_pb(raw: &'a pb::Decision) -> Self {
        Self {
            decision_id: &raw.decision_id,
            instrument: raw.instrument.as_ref().map(|i| InstrumentView {
                instrument_type: i.instrument_type,
                symbol: &i.symbol,
                legs: i.legs.iter().map(LegView::from_pb).collect(),
            }),
            action: raw.action,
            direction: raw.direction,
            size: raw.size.as_ref().map(|s| SizeView {
                value: &s.value,
                unit: s.unit,
            }),
            order_plan: raw.order_plan.as_ref().map(|o| OrderPlanView {
                order_type: o.order_type,
                limit_price: &o.limit_price,
                stop_price: &o.stop_price,
                time_in_force: o.time_in_force,
                execution_tactic: o.execution_tactic,
            }),
            risk_levels: raw.risk_levels.as_ref().map(|l| RiskLevelsView {
                stop_loss: &l.stop_loss,
                take_profit: &l.take_profit,
            }),
            confidence: raw.confidence,
            reason_code: &raw.reason_code,
        }
    }
}

/// The rationale is not checked by the core, but its strings must be valid UTF-8.
fn check_rationale(bytes: &[u8]) -> Result<(), Malformed> {
    let mut r = Reader::new(bytes);
    while let Some((tag, wire)) = r.key()? {
        match tag {
            1..=4 => skip_string(&mut r, wire)?,
            _ => r.skip(wire)?,
        }
    }
    Ok(())
}

impl<'a> InstrumentView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.instrument_type = r.int32(wire)?,
                2 => self.symbol = r.string(wire)?,
                3 => {
                    let bytes = r.bytes(wire)?;
                    if self.legs.capacity() == 0 {
                        self.legs.reserve(4);
                    }
                    self.legs.push(LegView::default());
                    if let Some(leg) = self.legs.last_mut() {
                        leg.merge(bytes)?;
                    }
                }
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}

impl<'a> LegView<'a> {
    pub(super) fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.occ_symbol = r.string(wire)?,
                2 => self.underlying = r.string(wire)?,
                3 => self.option_type = r.int32(wire)?,
                4 => self.strike = r.string(wire)?,
                5 => self.expiry = r.string(wire)?,
                6 => self.side = r.int32(wire)?,
                7 => self.ratio = r.uint32(wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }

    pub(super) fn from_pb(raw: &'a pb::OptionLeg) -> Self {
        Self {
            occ_symbol: &raw.occ_symbol,
            underlying: &raw.underlying,
            option_type: raw.option_type,
            strike: &raw.strike,
            expiry: &raw.expiry,
            side: raw.side,
            ratio: raw.ratio,
        }
    }
}

impl<'a> SizeView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.value = r.string(wire)?,
                2 => self.unit = r.int32(wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}

impl<'a> OrderPlanView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.order_type = r.int32(wire)?,
                2 => self.limit_price = r.string(wire)?,
                3 => self.stop_price = r.string(wire)?,
                4 => self.time_in_force = r.int32(wire)?,
                5 => self.execution_tactic = r.int32(wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}

impl<'a> RiskLevelsView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.stop_loss = r.string(wire)?,
                2 => self.take_profit = r.string(wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}
