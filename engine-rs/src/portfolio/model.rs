//! The decoded portfolio the risk core holds between checks.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::greeks::GreekVec;
use crate::calendar::Date;
use crate::plan::{OptionKind, Side};

/// Shares per option contract.
pub const OPTION_MULTIPLIER: Decimal = Decimal::ONE_HUNDRED;

/// The account figures the checks and breakers use.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub equity: Decimal,
    pub buying_power: Decimal,
    pub day_start_equity: Option<Decimal>,
    pub high_water_mark: Option<Decimal>,
    /// Raw `TradingState` value (unspecified and unknown values halt).
    pub trading_state: i32,
    pub day_trades_5d: u32,
}

/// Equity or option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssetKind {
    Equity,
    Option,
}

impl AssetKind {
    /// Value of one unit per unit of price.
    #[must_use]
    pub fn multiplier(self) -> Decimal {
        match self {
            Self::Equity => Decimal::ONE,
            Self::Option => OPTION_MULTIPLIER,
        }
    }

    /// `value * self.multiplier()`, bit for bit, multiplying only for options.
    #[must_use]
    pub fn scale(self, value: Decimal) -> Decimal {
        match self {
            Self::Equity if value.is_zero() => Decimal::ZERO,
            Self::Equity => value,
            Self::Option => value * OPTION_MULTIPLIER,
        }
    }
}

/// Terms of a held option contract.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contract {
    pub kind: OptionKind,
    pub strike: Decimal,
    pub expiry: Date,
}

/// One held position.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub symbol: String,
    pub kind: AssetKind,
    /// The underlying (the symbol itself for equities).
    pub underlying: String,
    /// Signed: negative is short.
    pub qty: Decimal,
    /// Price per share or per contract (market price, else average entry).
    pub mark: Decimal,
    /// Per-contract Greeks of an option, when known.
    pub greeks: Option<GreekVec>,
    pub contract: Option<Contract>,
    pub stop_loss: Option<Decimal>,
    pub take_profit: Option<Decimal>,
}

/// The part of an open order that still consumes limits and buying power.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenOrder {
    pub order_id: String,
    pub kind: AssetKind,
    /// Symbol (equity) or underlying (options).
    pub key: String,
    pub side: Side,
    /// (symbol, side, ratio) of each leg; one leg (the symbol) for equities.
    pub legs: Vec<(String, Side, u32)>,
    pub leaves: Decimal,
    /// Limit (else stop) price per unit; None for market orders.
    pub price: Option<Decimal>,
    pub reduce_only: bool,
}

/// Account, positions by symbol, open orders and today's opening symbols.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Portfolio {
    pub account: Option<Account>,
    pub holdings: BTreeMap<String, Holding>,
    pub open_orders: Vec<OpenOrder>,
    pub opened_today: BTreeSet<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn scaling_by_the_kind_is_multiplying_by_its_multiplier(
            lo in proptest::num::u32::ANY,
            negative in proptest::bool::ANY,
            scale in 0u32..=28,
            zero in proptest::bool::ANY,
        ) {
            let value = Decimal::from_parts(if zero { 0 } else { lo }, 0, 0, negative, scale);
            for kind in [AssetKind::Equity, AssetKind::Option] {
                proptest::prop_assert_eq!(kind.scale(value).serialize(), (value * kind.multiplier()).serialize());
            }
        }
    }
}
