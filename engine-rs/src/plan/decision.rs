//! Structural validation of one decision.

use rust_decimal::Decimal;

use super::error::{PlanError, check_enum};
use super::instrument;
use super::model::{
    Action, Decision, Direction, Instrument, OrderKind, OrderSpec, Size, SizeUnit, TradeDecision,
};
use crate::calendar::Date;
use crate::decimal::{self, cmp_abs_whole};
use crate::pb;
use crate::wire::{DecisionView, OrderPlanView, SizeView};

/// Largest share or contract count a decision may ask for.
const MAX_UNITS: u64 = 10_000_000;
/// Largest dollar size a decision may ask for.
const MAX_DOLLARS: u64 = 10_000_000_000;
/// Prices at or above this are absurd.
pub(super) const MAX_PRICE: u64 = 10_000_000;

pub(super) fn validate<'a>(raw: &DecisionView<'a>, as_of: Date) -> Result<Decision<'a>, PlanError> {
    let id = raw.decision_id;
    let action = match check_enum::<pb::Action>(raw.action, &"action", id)? {
        pb::Action::Buy => Action::Buy,
        pb::Action::Sell => Action::Sell,
        pb::Action::Hold => Action::Hold,
        pb::Action::Increase => Action::Increase,
        pb::Action::Reduce => Action::Reduce,
        pb::Action::Close => Action::Close,
        pb::Action::NoTrade => Action::NoTrade,
        pb::Action::Unspecified => unreachable_enum(id, "action")?,
    };
    if raw.confidence.is_nan() || !(0.0..=1.0).contains(&raw.confidence) {
        return Err(PlanError::new(
            "CONFIDENCE_OUT_OF_RANGE",
            format!(
                "decision {id}: confidence {} must be between 0 and 1",
                raw.confidence
            ),
            id,
        ));
    }
    if action == Action::NoTrade && raw.reason_code.is_empty() {
        return Err(PlanError::new(
            "NO_TRADE_REASON_REQUIRED",
            format!("decision {id}: NO_TRADE needs a reason_code, e.g. INSUFFICIENT_EDGE"),
            id,
        ));
    }
    if matches!(action, Action::Hold | Action::NoTrade) {
        return Ok(Decision {
            id,
            action,
            trade: None,
        });
    }
    let trade = validate_trade(raw, action, as_of)?;
    Ok(Decision {
        id,
        action,
        trade: Some(trade),
    })
}

fn unreachable_enum<T>(id: &str, field: &str) -> Result<T, PlanError> {
    Err(PlanError::new(
        "UNSPECIFIED_ENUM",
        format!("decision {id}: {field} is unspecified"),
        id,
    ))
}

fn validate_trade<'a>(
    raw: &DecisionView<'a>,
    action: Action,
    as_of: Date,
) -> Result<TradeDecision<'a>, PlanError> {
    let id = raw.decision_id;
    let direction = match check_enum::<pb::Direction>(raw.direction, &"direction", id)? {
        pb::Direction::Long => Some(Direction::Long),
        pb::Direction::Short => Some(Direction::Short),
        pb::Direction::Flat | pb::Direction::Unspecified => None,
    };
    let expected = match action {
        Action::Buy => "LONG",
        Action::Sell => "SHORT",
        _ => "LONG or SHORT",
    };
    let direction = match (action, direction) {
        (Action::Buy, Some(Direction::Long))
        | (Action::Sell, Some(Direction::Short))
        | (Action::Increase | Action::Reduce | Action::Close, Some(_)) => direction,
        _ => None,
    }
    .ok_or_else(|| {
        PlanError::new(
            "ACTION_DIRECTION_MISMATCH",
            format!(
                "decision {id}: action {} needs direction {expected}",
                action.name()
            ),
            id,
        )
    })?;
    let instrument = instrument::validate(raw.instrument.as_ref(), id, as_of)?;
    let size = validate_size(raw.size.unwrap_or_default(), &instrument, id)?;
    let order = validate_order(raw.order_plan.unwrap_or_default(), &instrument, id)?;
    let (stop_loss, take_profit) = match &raw.risk_levels {
        Some(levels) => (
            price_field(levels.stop_loss, &"stop_loss", id)?,
            price_field(levels.take_profit, &"take_profit", id)?,
        ),
        None => (None, None),
    };
    Ok(TradeDecision {
        instrument,
        direction,
        size,
        order,
        stop_loss,
        take_profit,
    })
}

fn decimal_field(
    text: &str,
    field: &dyn std::fmt::Display,
    id: &str,
) -> Result<Option<Decimal>, PlanError> {
    decimal::parse_opt(text).map_err(|err| {
        PlanError::new(
            "INVALID_DECIMAL",
            format!("decision {id}: {field}: {err}"),
            id,
        )
    })
}

/// A positive price below the absurd bound, or not set.
pub(super) fn price_field(
    text: &str,
    field: &dyn std::fmt::Display,
    id: &str,
) -> Result<Option<Decimal>, PlanError> {
    let value = decimal_field(text, field, id)?;
    if let Some(price) = value
        && (decimal::is_non_positive(price) || cmp_abs_whole(price, MAX_PRICE).is_ge())
    {
        return Err(PlanError::new(
            "INVALID_PRICE",
            format!("decision {id}: {field} '{text}' must be a positive price below {MAX_PRICE}"),
            id,
        ));
    }
    Ok(value)
}

fn validate_size(raw: SizeView<'_>, instrument: &Instrument, id: &str) -> Result<Size, PlanError> {
    let unit = match check_enum::<pb::SizeUnit>(raw.unit, &"size.unit", id)? {
        pb::SizeUnit::Shares => SizeUnit::Shares,
        pb::SizeUnit::Contracts => SizeUnit::Contracts,
        pb::SizeUnit::Dollars => SizeUnit::Dollars,
        pb::SizeUnit::PctEquity | pb::SizeUnit::Unspecified => SizeUnit::PctEquity,
    };
    let is_option = matches!(instrument, Instrument::Option { .. });
    if (is_option && unit == SizeUnit::Shares) || (!is_option && unit == SizeUnit::Contracts) {
        let kind = if is_option {
            "options trade in contracts"
        } else {
            "equities trade in shares"
        };
        return Err(PlanError::new(
            "SIZE_UNIT_MISMATCH",
            format!("decision {id}: {kind}, dollars or pct of equity, not {unit:?}"),
            id,
        ));
    }
    let Some(value) = decimal_field(raw.value, &"size.value", id)? else {
        return Err(PlanError::new(
            "INVALID_QUANTITY",
            format!("decision {id}: size.value is missing: set a positive size"),
            id,
        ));
    };
    if decimal::is_non_positive(value) {
        return Err(PlanError::new(
            "INVALID_QUANTITY",
            format!("decision {id}: size.value '{}' must be positive", raw.value),
            id,
        ));
    }
    match unit {
        SizeUnit::Shares | SizeUnit::Contracts => {
            if cmp_abs_whole(value, MAX_UNITS).is_gt() {
                return Err(PlanError::new(
                    "QUANTITY_OUT_OF_RANGE",
                    format!("decision {id}: size {value} exceeds {MAX_UNITS} units"),
                    id,
                ));
            }
            if !decimal::is_whole(value) {
                return Err(PlanError::new(
                    "FRACTIONAL_QUANTITY",
                    format!("decision {id}: size {value} must be a whole number of {unit:?}"),
                    id,
                ));
            }
        }
        SizeUnit::Dollars => {
            if cmp_abs_whole(value, MAX_DOLLARS).is_gt() {
                return Err(PlanError::new(
                    "QUANTITY_OUT_OF_RANGE",
                    format!("decision {id}: size ${value} exceeds ${MAX_DOLLARS}"),
                    id,
                ));
            }
        }
        SizeUnit::PctEquity => {
            if cmp_abs_whole(value, 1).is_gt() {
                return Err(PlanError::new(
                    "PCT_EQUITY_OUT_OF_RANGE",
                    format!("decision {id}: pct_equity {value} is a fraction: 0 < value <= 1"),
                    id,
                ));
            }
        }
    }
    Ok(Size { value, unit })
}

fn validate_order(
    raw: OrderPlanView<'_>,
    instrument: &Instrument,
    id: &str,
) -> Result<OrderSpec, PlanError> {
    let kind = match check_enum::<pb::OrderType>(raw.order_type, &"order_plan.order_type", id)? {
        pb::OrderType::Market => OrderKind::Market,
        pb::OrderType::Limit => OrderKind::Limit,
        pb::OrderType::Stop => OrderKind::Stop,
        pb::OrderType::StopLimit | pb::OrderType::Unspecified => OrderKind::StopLimit,
    };
    check_enum::<pb::TimeInForce>(raw.time_in_force, &"order_plan.time_in_force", id)?;
    check_enum::<pb::ExecutionTactic>(raw.execution_tactic, &"order_plan.execution_tactic", id)?;
    let is_spread = matches!(instrument, Instrument::Option { legs, .. } if legs.len() > 1);
    let limit_price = if is_spread {
        // A spread's net price is negative for a credit.
        let value = decimal_field(raw.limit_price, &"order_plan.limit_price", id)?;
        if let Some(price) = value
            && cmp_abs_whole(price, MAX_PRICE).is_ge()
        {
            return Err(PlanError::new(
                "INVALID_PRICE",
                format!("decision {id}: net limit_price '{price}' is out of range"),
                id,
            ));
        }
        value
    } else {
        price_field(raw.limit_price, &"order_plan.limit_price", id)?
    };
    let stop_price = price_field(raw.stop_price, &"order_plan.stop_price", id)?;
    if matches!(kind, OrderKind::Limit | OrderKind::StopLimit) && limit_price.is_none() {
        return Err(PlanError::new(
            "LIMIT_PRICE_REQUIRED",
            format!("decision {id}: a {kind:?} order needs order_plan.limit_price"),
            id,
        ));
    }
    if matches!(kind, OrderKind::Stop | OrderKind::StopLimit) && stop_price.is_none() {
        return Err(PlanError::new(
            "STOP_PRICE_REQUIRED",
            format!("decision {id}: a {kind:?} order needs order_plan.stop_price"),
            id,
        ));
    }
    Ok(OrderSpec {
        kind,
        limit_price,
        stop_price,
    })
}
