//! Decoding a `PortfolioState` into the portfolio model, refusing malformed input.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::greeks::GreekVec;
use super::model::{Account, AssetKind, Contract, Holding, OpenOrder, Portfolio};
use crate::calendar::Date;
use crate::decimal;
use crate::error::Coded;
use crate::pb;
use crate::plan::{OptionKind, Side};

/// A malformed portfolio field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("portfolio {field}: {reason}")]
pub struct PortfolioError {
    pub field: String,
    pub reason: String,
}

impl Coded for PortfolioError {
    fn code(&self) -> &'static str {
        "INVALID_PORTFOLIO"
    }
    fn message(&self) -> String {
        self.to_string()
    }
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> PortfolioError {
    PortfolioError {
        field: field.into(),
        reason: reason.into(),
    }
}

fn dec(field: &str, text: &str) -> Result<Option<Decimal>, PortfolioError> {
    decimal::parse_opt(text).map_err(|e| err(field, e.to_string()))
}

fn side(field: &str, value: i32) -> Result<Side, PortfolioError> {
    match pb::OrderSide::try_from(value) {
        Ok(pb::OrderSide::Buy) => Ok(Side::Buy),
        Ok(pb::OrderSide::Sell) => Ok(Side::Sell),
        _ => Err(err(
            field,
            format!("side {value} is unspecified or unknown"),
        )),
    }
}

fn kind(field: &str, value: i32) -> Result<AssetKind, PortfolioError> {
    match pb::InstrumentType::try_from(value) {
        Ok(pb::InstrumentType::Equity) => Ok(AssetKind::Equity),
        Ok(pb::InstrumentType::Option) => Ok(AssetKind::Option),
        _ => Err(err(
            field,
            format!("instrument_type {value} is unspecified or unknown"),
        )),
    }
}

impl Portfolio {
    /// Decodes and checks a portfolio.
    ///
    /// # Errors
    /// `PortfolioError` naming the first malformed field.
    pub fn from_wire(state: &pb::PortfolioState) -> Result<Self, PortfolioError> {
        let account = state.account.as_ref().map(account).transpose()?;
        let mut holdings = BTreeMap::new();
        for position in &state.positions {
            let holding = holding(position)?;
            if holdings.insert(holding.symbol.clone(), holding).is_some() {
                return Err(err(
                    format!("positions[{}]", position.symbol),
                    "symbol appears twice",
                ));
            }
        }
        let open_orders = state
            .open_orders
            .iter()
            .filter(|order| {
                !matches!(
                    pb::OrderStatus::try_from(order.status),
                    Ok(pb::OrderStatus::Filled
                        | pb::OrderStatus::Canceled
                        | pb::OrderStatus::Rejected
                        | pb::OrderStatus::Expired
                        | pb::OrderStatus::Replaced)
                )
            })
            .map(open_order)
            .collect::<Result<Vec<_>, _>>()?;
        let opened_today: BTreeSet<String> = state.opened_today.iter().cloned().collect();
        Ok(Self {
            account,
            holdings,
            open_orders,
            opened_today,
        })
    }
}

fn account(raw: &pb::AccountState) -> Result<Account, PortfolioError> {
    let equity = dec("account.equity", &raw.equity)?.unwrap_or_default();
    let buying_power = dec("account.buying_power", &raw.buying_power)?.unwrap_or_default();
    Ok(Account {
        equity,
        buying_power,
        day_start_equity: dec("account.day_start_equity", &raw.day_start_equity)?,
        high_water_mark: dec("account.high_water_mark", &raw.high_water_mark)?,
        trading_state: raw.trading_state,
        day_trades_5d: raw.day_trades_5d,
    })
}

fn holding(raw: &pb::Position) -> Result<Holding, PortfolioError> {
    let name = |field: &str| format!("positions[{}].{field}", raw.symbol);
    if raw.symbol.is_empty() {
        return Err(err("positions[].symbol", "is empty"));
    }
    let kind = kind(&name("instrument_type"), raw.instrument_type)?;
    let qty = dec(&name("quantity"), &raw.quantity)?
        .ok_or_else(|| err(name("quantity"), "is missing"))?;
    let mark = match dec(&name("market_price"), &raw.market_price)? {
        Some(price) => price,
        None => dec(&name("avg_entry_price"), &raw.avg_entry_price)?.ok_or_else(|| {
            err(
                name("market_price"),
                "neither market_price nor avg_entry_price is set",
            )
        })?,
    };
    let underlying = if raw.underlying.is_empty() && kind == AssetKind::Equity {
        raw.symbol.clone()
    } else if raw.underlying.is_empty() {
        raw.contract
            .as_ref()
            .map(|c| c.underlying.clone())
            .unwrap_or_default()
    } else {
        raw.underlying.clone()
    };
    if underlying.is_empty() {
        return Err(err(
            name("underlying"),
            "an option position needs its underlying",
        ));
    }
    let contract = match (&raw.contract, kind) {
        (Some(leg), AssetKind::Option) => Some(contract(leg, &name("contract"))?),
        _ => None,
    };
    let greeks = raw
        .greeks
        .as_ref()
        .map(GreekVec::from_wire)
        .filter(|g| g.is_finite());
    Ok(Holding {
        symbol: raw.symbol.clone(),
        kind,
        underlying,
        qty,
        mark,
        greeks,
        contract,
        stop_loss: dec(&name("stop_loss"), &raw.stop_loss)?,
        take_profit: dec(&name("take_profit"), &raw.take_profit)?,
    })
}

fn contract(leg: &pb::OptionLeg, field: &str) -> Result<Contract, PortfolioError> {
    let kind = match pb::OptionType::try_from(leg.option_type) {
        Ok(pb::OptionType::Call) => OptionKind::Call,
        Ok(pb::OptionType::Put) => OptionKind::Put,
        _ => return Err(err(field, "option_type is unspecified or unknown")),
    };
    let strike = dec(field, &leg.strike)?.ok_or_else(|| err(field, "strike is missing"))?;
    let expiry = Date::parse(&leg.expiry).ok_or_else(|| err(field, "expiry is not YYYY-MM-DD"))?;
    Ok(Contract {
        kind,
        strike,
        expiry,
    })
}

fn open_order(raw: &pb::Order) -> Result<OpenOrder, PortfolioError> {
    let name = |field: &str| format!("open_orders[{}].{field}", raw.order_id);
    let kind = kind(&name("instrument_type"), raw.instrument_type)?;
    let side = side(&name("side"), raw.side)?;
    let quantity = dec(&name("quantity"), &raw.quantity)?.unwrap_or_default();
    let cum = dec(&name("cum_qty"), &raw.cum_qty)?.unwrap_or_default();
    let leaves = dec(&name("leaves_qty"), &raw.leaves_qty)?.unwrap_or(quantity - cum);
    let legs = if raw.legs.is_empty() {
        vec![(raw.symbol.clone(), Side::Buy, 1)]
    } else {
        raw.legs
            .iter()
            .map(|leg| {
                Ok((
                    leg.symbol.clone(),
                    self::side(&name("legs.side"), leg.side)?,
                    leg.ratio.max(1),
                ))
            })
            .collect::<Result<Vec<_>, PortfolioError>>()?
    };
    let price = match dec(&name("limit_price"), &raw.limit_price)? {
        Some(price) => Some(price),
        None => dec(&name("stop_price"), &raw.stop_price)?,
    };
    Ok(OpenOrder {
        order_id: raw.order_id.clone(),
        kind,
        key: raw.symbol.clone(),
        side,
        legs,
        leaves: leaves.max(Decimal::ZERO),
        price,
        reduce_only: raw.reduce_only,
    })
}
