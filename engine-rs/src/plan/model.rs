//! Validated plan types: everything here has passed structural validation.

use rust_decimal::Decimal;

use crate::calendar::Date;

/// A validated plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan<'a> {
    /// The trading cycle.
    pub cycle_id: &'a str,
    /// `as_of` in seconds since the epoch: the core's clock when the market has none.
    pub as_of_seconds: i64,
    /// The UTC date of `as_of`.
    pub as_of_date: Date,
    /// Decisions in plan order.
    pub decisions: Vec<Decision<'a>>,
}

/// What a decision does with its instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Buy,
    Sell,
    Hold,
    Increase,
    Reduce,
    Close,
    NoTrade,
}

impl Action {
    /// The wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
            Self::Hold => "HOLD",
            Self::Increase => "INCREASE",
            Self::Reduce => "REDUCE",
            Self::Close => "CLOSE",
            Self::NoTrade => "NO_TRADE",
        }
    }
}

/// The exposure a decision aims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Long,
    Short,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for buys, -1 for sells.
    #[must_use]
    pub fn sign(self) -> Decimal {
        match self {
            Self::Buy => Decimal::ONE,
            Self::Sell => Decimal::NEGATIVE_ONE,
        }
    }

    /// `self.sign() * value`, bit for bit, without a decimal multiplication.
    #[must_use]
    pub fn apply(self, value: Decimal) -> Decimal {
        if value.is_zero() {
            // The product of a zero keeps neither its sign nor its scale.
            Decimal::ZERO
        } else {
            match self {
                Self::Buy => value,
                Self::Sell => -value,
            }
        }
    }

    /// The other side.
    #[must_use]
    pub fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    /// The `OrderSide` enum value.
    #[must_use]
    pub fn wire(self) -> i32 {
        match self {
            Self::Buy => crate::pb::OrderSide::Buy as i32,
            Self::Sell => crate::pb::OrderSide::Sell as i32,
        }
    }
}

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Call,
    Put,
}

/// One validated option leg.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg<'a> {
    pub occ_symbol: &'a str,
    pub kind: OptionKind,
    pub strike: Decimal,
    pub expiry: Date,
    /// The leg's side when the decision's order is a buy.
    pub side: Side,
    pub ratio: u32,
}

/// What a decision trades.
#[derive(Debug, Clone, PartialEq)]
pub enum Instrument<'a> {
    Equity {
        symbol: &'a str,
    },
    Option {
        underlying: &'a str,
        legs: Vec<Leg<'a>>,
    },
}

impl<'a> Instrument<'a> {
    /// The symbol (equity) or underlying (options): the key for conflicts and limits.
    #[must_use]
    pub fn key(&self) -> &'a str {
        match self {
            Self::Equity { symbol } => symbol,
            Self::Option { underlying, .. } => underlying,
        }
    }
}

/// Units of a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    Shares,
    Contracts,
    Dollars,
    PctEquity,
}

/// How much to trade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub value: Decimal,
    pub unit: SizeUnit,
}

/// Order types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Market,
    Limit,
    Stop,
    StopLimit,
}

/// How the order is placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderSpec {
    pub kind: OrderKind,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
}

/// A decision that produces an order (BUY, SELL, INCREASE, REDUCE, CLOSE).
#[derive(Debug, Clone, PartialEq)]
pub struct TradeDecision<'a> {
    pub instrument: Instrument<'a>,
    pub direction: Direction,
    pub size: Size,
    pub order: OrderSpec,
    pub stop_loss: Option<Decimal>,
    pub take_profit: Option<Decimal>,
}

/// One validated decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    pub id: &'a str,
    pub action: Action,
    /// Present exactly for the order-producing actions.
    pub trade: Option<TradeDecision<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn applying_a_side_is_multiplying_by_its_sign(
            lo in proptest::num::u32::ANY,
            hi in proptest::num::u32::ANY,
            negative in proptest::bool::ANY,
            scale in 0u32..=28,
            zero in proptest::bool::ANY,
        ) {
            let value = Decimal::from_parts(if zero { 0 } else { lo }, 0, if zero { 0 } else { hi }, negative, scale);
            for side in [Side::Buy, Side::Sell] {
                proptest::prop_assert_eq!(side.apply(value).serialize(), (side.sign() * value).serialize());
            }
        }
    }
}
