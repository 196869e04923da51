//! The portfolio's current exposure, marked at the market where a quote is given.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::greeks::GreekVec;
use super::model::{AssetKind, Portfolio};
use crate::decimal::{self, to_f64};
use crate::pb;

/// Sector name for symbols without one.
pub const UNKNOWN_SECTOR: &str = "UNKNOWN";

/// Gross/net notional, leverage, options Greeks (x100) and sector exposure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposure {
    pub gross_notional: Decimal,
    pub net_notional: Decimal,
    pub leverage: Decimal,
    pub greeks: GreekVec,
    pub delta_by_underlying: BTreeMap<String, f64>,
    pub gross_by_sector: BTreeMap<String, Decimal>,
}

fn mid(quote: &pb::Quote) -> Option<Decimal> {
    let bid = decimal::parse(&quote.bid).ok()?;
    let ask = decimal::parse(&quote.ask).ok()?;
    (bid > Decimal::ZERO && ask >= bid).then(|| (bid + ask) / Decimal::TWO)
}

/// The exposure of held positions (open orders excluded).
#[must_use]
pub fn exposure(
    portfolio: &Portfolio,
    sectors: &BTreeMap<String, String>,
    market: &pb::MarketState,
) -> Exposure {
    let quotes: BTreeMap<&str, &pb::Quote> = market
        .quotes
        .iter()
        .map(|q| (q.symbol.as_str(), q))
        .collect();
    let option_quotes: BTreeMap<&str, &pb::OptionQuote> = market
        .option_quotes
        .iter()
        .filter_map(|q| q.contract.as_ref().map(|c| (c.occ_symbol.as_str(), q)))
        .collect();
    let mut out = Exposure::default();
    for holding in portfolio.holdings.values() {
        let option_quote = option_quotes.get(holding.symbol.as_str());
        let mark = quotes
            .get(holding.symbol.as_str())
            .copied()
            .or_else(|| option_quote.and_then(|q| q.quote.as_ref()))
            .and_then(mid)
            .unwrap_or(holding.mark);
        let value = holding.qty * mark * holding.kind.multiplier();
        out.gross_notional += value.abs();
        out.net_notional += value;
        let sector = sectors
            .get(&holding.underlying)
            .map_or(UNKNOWN_SECTOR, String::as_str);
        *out.gross_by_sector.entry(sector.to_owned()).or_default() += value.abs();
        if holding.kind == AssetKind::Option {
            let per_contract = option_quote
                .and_then(|q| q.greeks.as_ref())
                .map(GreekVec::from_wire)
                .or(holding.greeks)
                .unwrap_or_default();
            let greeks = per_contract.scaled(to_f64(holding.qty) * 100.0);
            out.greeks.add(greeks);
            *out.delta_by_underlying
                .entry(holding.underlying.clone())
                .or_default() += greeks.delta;
        }
    }
    if let Some(account) = &portfolio.account
        && account.equity > Decimal::ZERO
    {
        out.leverage = out.gross_notional / account.equity;
    }
    out
}
