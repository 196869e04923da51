//! The risk policy, decoded and checked: every limit present, parseable and sane.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::decimal;
use crate::error::Coded;
use crate::pb;

/// A missing or malformed policy field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("risk policy {field}: {reason}")]
pub struct PolicyError {
    pub field: String,
    pub reason: String,
}

impl Coded for PolicyError {
    fn code(&self) -> &'static str {
        "INVALID_POLICY"
    }
    fn message(&self) -> String {
        self.to_string()
    }
}

/// The day-trade house rule, when enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTradeRule {
    pub max_day_trades_5d: u32,
    pub min_equity: Decimal,
}

/// Every limit the core enforces.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: i64,
    pub max_notional: Decimal,
    pub max_units: Decimal,
    pub max_equity_pct: Decimal,
    pub max_gross_notional: Decimal,
    pub max_net_notional: Decimal,
    pub max_leverage: Decimal,
    pub max_delta_per_underlying: f64,
    pub max_portfolio_delta: f64,
    pub max_portfolio_gamma: f64,
    pub max_portfolio_vega: f64,
    /// The most negative theta allowed.
    pub max_portfolio_theta: f64,
    pub max_risk_per_trade_pct: Decimal,
    pub min_reward_risk: Decimal,
    pub max_sector_pct: Decimal,
    pub sector_by_symbol: BTreeMap<String, String>,
    pub allow_unknown_sector: bool,
    pub price_collar_pct: Decimal,
    pub market_order_buffer_pct: Decimal,
    pub max_quote_age_seconds: i64,
    pub day_trade: Option<DayTradeRule>,
    pub daily_loss_reducing_pct: Decimal,
    pub daily_loss_halt_pct: Decimal,
    pub max_drawdown_pct: Decimal,
}

fn err(field: &str, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn section<'a, T>(value: Option<&'a T>, field: &str) -> Result<&'a T, PolicyError> {
    value.ok_or_else(|| err(field, "section is missing"))
}

/// A required decimal in (0, max].
fn limit(text: &str, field: &str, max: Option<Decimal>) -> Result<Decimal, PolicyError> {
    let value = decimal::parse(text).map_err(|e| err(field, e.to_string()))?;
    if value <= Decimal::ZERO {
        return Err(err(field, format!("{value} must be positive")));
    }
    if let Some(max) = max
        && value > max
    {
        return Err(err(field, format!("{value} must be at most {max}")));
    }
    Ok(value)
}

fn greek(value: f64, field: &str) -> Result<f64, PolicyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(err(
            field,
            format!("{value} must be a finite non-negative number"),
        ))
    }
}

impl Policy {
    /// Decodes and checks a policy.
    ///
    /// # Errors
    /// `PolicyError` naming the first missing or malformed field.
    #[expect(
        clippy::too_many_lines,
        reason = "a flat table of fields, one check each"
    )]
    pub fn from_wire(raw: &pb::RiskPolicy) -> Result<Self, PolicyError> {
        let one = Some(Decimal::ONE);
        if raw.version < 0 {
            return Err(err(
                "version",
                format!("{} must not be negative", raw.version),
            ));
        }
        let per = section(raw.per_instrument.as_ref(), "per_instrument")?;
        let portfolio = section(raw.portfolio.as_ref(), "portfolio")?;
        let options = section(raw.options.as_ref(), "options")?;
        let sizing = section(raw.sizing.as_ref(), "sizing")?;
        let concentration = section(raw.concentration.as_ref(), "concentration")?;
        let execution = section(raw.execution.as_ref(), "execution")?;
        let breakers = section(raw.breakers.as_ref(), "breakers")?;
        let max_gross_notional = limit(
            &portfolio.max_gross_notional,
            "portfolio.max_gross_notional",
            None,
        )?;
        let max_net_notional = limit(
            &portfolio.max_net_notional,
            "portfolio.max_net_notional",
            None,
        )?;
        if max_net_notional > max_gross_notional {
            return Err(err(
                "portfolio.max_net_notional",
                format!("{max_net_notional} exceeds max_gross_notional {max_gross_notional}"),
            ));
        }
        if !options.max_portfolio_theta.is_finite() || options.max_portfolio_theta > 0.0 {
            return Err(err(
                "options.max_portfolio_theta",
                format!(
                    "{} must be a finite number <= 0",
                    options.max_portfolio_theta
                ),
            ));
        }
        let daily_loss_reducing_pct = limit(
            &breakers.daily_loss_reducing_pct,
            "breakers.daily_loss_reducing_pct",
            one,
        )?;
        let daily_loss_halt_pct = limit(
            &breakers.daily_loss_halt_pct,
            "breakers.daily_loss_halt_pct",
            one,
        )?;
        if daily_loss_reducing_pct > daily_loss_halt_pct {
            return Err(err(
                "breakers.daily_loss_reducing_pct",
                format!(
                    "{daily_loss_reducing_pct} exceeds daily_loss_halt_pct {daily_loss_halt_pct}"
                ),
            ));
        }
        if execution.max_quote_age_seconds == 0 {
            return Err(err("execution.max_quote_age_seconds", "must be positive"));
        }
        let day_trade = match &raw.day_trade {
            Some(rule) if rule.enabled => Some(DayTradeRule {
                max_day_trades_5d: rule.max_day_trades_5d,
                min_equity: limit(&rule.min_equity, "day_trade.min_equity", None)?,
            }),
            _ => None,
        };
        let market_order_buffer_pct = decimal::parse(&execution.market_order_buffer_pct)
            .map_err(|e| err("execution.market_order_buffer_pct", e.to_string()))?;
        if market_order_buffer_pct < Decimal::ZERO || market_order_buffer_pct >= Decimal::ONE {
            return Err(err(
                "execution.market_order_buffer_pct",
                format!("{market_order_buffer_pct} must be in [0, 1)"),
            ));
        }
        Ok(Self {
            version: raw.version,
            max_notional: limit(&per.max_notional, "per_instrument.max_notional", None)?,
            max_units: limit(&per.max_units, "per_instrument.max_units", None)?,
            max_equity_pct: limit(&per.max_equity_pct, "per_instrument.max_equity_pct", one)?,
            max_gross_notional,
            max_net_notional,
            max_leverage: limit(&portfolio.max_leverage, "portfolio.max_leverage", None)?,
            max_delta_per_underlying: greek(
                options.max_delta_per_underlying,
                "options.max_delta_per_underlying",
            )?,
            max_portfolio_delta: greek(options.max_portfolio_delta, "options.max_portfolio_delta")?,
            max_portfolio_gamma: greek(options.max_portfolio_gamma, "options.max_portfolio_gamma")?,
            max_portfolio_vega: greek(options.max_portfolio_vega, "options.max_portfolio_vega")?,
            max_portfolio_theta: options.max_portfolio_theta,
            max_risk_per_trade_pct: limit(
                &sizing.max_risk_per_trade_pct,
                "sizing.max_risk_per_trade_pct",
                one,
            )?,
            min_reward_risk: limit(&sizing.min_reward_risk, "sizing.min_reward_risk", None)?,
            max_sector_pct: limit(
                &concentration.max_sector_pct,
                "concentration.max_sector_pct",
                one,
            )?,
            sector_by_symbol: concentration.sector_by_symbol.clone(),
            allow_unknown_sector: concentration.allow_unknown_sector,
            price_collar_pct: limit(
                &execution.price_collar_pct,
                "execution.price_collar_pct",
                one,
            )?,
            market_order_buffer_pct,
            max_quote_age_seconds: i64::from(execution.max_quote_age_seconds),
            day_trade,
            daily_loss_reducing_pct,
            daily_loss_halt_pct,
            max_drawdown_pct: limit(&breakers.max_drawdown_pct, "breakers.max_drawdown_pct", one)?,
        })
    }
}
