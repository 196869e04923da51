//! Borrowed views of the hot-path messages (`CheckConstraintsRequest`, `DecisionPlan`,
//! `MarketState`), decoded without copying strings out of the caller's bytes.
//!
//! The views are built either from bytes ([`PlanView::decode`], [`MarketView::decode`]) or
//! from the `prost` messages ([`PlanView::from_pb`], [`MarketView::from_pb`]), so every check
//! runs the same code. The byte decoder accepts exactly what `prost` accepts or refuses:
//! anything it is unsure of (groups, a wrong wire type, bad UTF-8, truncation) is refused, and
//! the caller then decodes with `prost`, which gives the authoritative answer and message.

mod market;
mod plan;
mod reader;

pub use market::{MarketView, OptionQuoteView, QuoteView, UnavailableView};
pub use plan::{
    DecisionView, InstrumentView, LegView, OrderPlanView, PlanView, RiskLevelsView, SizeView,
    request_plan,
};
pub use reader::{Malformed, Timestamp};
