//! Stop-loss and take-profit triggers of held positions against the current quotes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::decimal;
use crate::pb;
use crate::plan::Side;
use crate::portfolio::{AssetKind, Portfolio};

/// Which level fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    StopLoss,
    TakeProfit,
}

impl TriggerKind {
    /// "`STOP_LOSS`" or "`TAKE_PROFIT`".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::StopLoss => "STOP_LOSS",
            Self::TakeProfit => "TAKE_PROFIT",
        }
    }
}

/// A position whose exit level was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopTrigger {
    pub symbol: String,
    pub kind: TriggerKind,
    /// SELL for longs, BUY for shorts.
    pub exit_side: Side,
    pub quantity: Decimal,
    pub level: Decimal,
    /// The bid (longs) or ask (shorts) that crossed the level.
    pub trigger_price: Decimal,
}

/// Longs exit when bid <= stop or bid >= target; shorts when ask >= stop or ask <= target.
/// Option positions compare the underlying's quote. Ordered by symbol; a stop wins a tie.
#[must_use]
pub fn evaluate_stops(portfolio: &Portfolio, market: &pb::MarketState) -> Vec<StopTrigger> {
    let quotes: BTreeMap<&str, (Decimal, Decimal)> = market
        .quotes
        .iter()
        .filter_map(|q| {
            let bid = decimal::parse(&q.bid).ok()?;
            let ask = decimal::parse(&q.ask).ok()?;
            (bid > Decimal::ZERO && ask >= bid).then_some((q.symbol.as_str(), (bid, ask)))
        })
        .collect();
    let mut triggers = Vec::new();
    for holding in portfolio.holdings.values() {
        if holding.qty.is_zero() || (holding.stop_loss.is_none() && holding.take_profit.is_none()) {
            continue;
        }
        let priced_by = match holding.kind {
            AssetKind::Equity => holding.symbol.as_str(),
            AssetKind::Option => holding.underlying.as_str(),
        };
        let Some(&(bid, ask)) = quotes.get(priced_by) else {
            continue;
        };
        let long = holding.qty > Decimal::ZERO;
        let price = if long { bid } else { ask };
        let stop_hit = holding
            .stop_loss
            .filter(|&stop| if long { price <= stop } else { price >= stop });
        let target_hit = holding
            .take_profit
            .filter(|&tp| if long { price >= tp } else { price <= tp });
        let fired = stop_hit
            .map(|l| (TriggerKind::StopLoss, l))
            .or(target_hit.map(|l| (TriggerKind::TakeProfit, l)));
        if let Some((kind, level)) = fired {
            triggers.push(StopTrigger {
                symbol: holding.symbol.clone(),
                kind,
                exit_side: if long { Side::Sell } else { Side::Buy },
                quantity: holding.qty.abs(),
                level,
                trigger_price: price,
            });
        }
    }
    triggers
}
