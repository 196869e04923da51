//! The market a check prices at: quotes by symbol, validated for freshness and sanity.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::decimal::{self, fmt};
use crate::pb;

/// A usable two-sided quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Px {
    pub bid: Decimal,
    pub ask: Decimal,
}

impl Px {
    /// (bid + ask) / 2.
    #[must_use]
    pub fn mid(self) -> Decimal {
        (self.bid + self.ask) / Decimal::TWO
    }
}

/// Why a symbol cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteProblem {
    pub code: String,
    pub symbol: String,
    pub message: String,
}

/// Quotes of one check, by symbol.
#[derive(Debug)]
pub struct MarketIndex<'m> {
    quotes: BTreeMap<&'m str, &'m pb::Quote>,
    options: BTreeMap<&'m str, &'m pb::OptionQuote>,
    unavailable: BTreeMap<&'m str, &'m pb::Unavailable>,
    /// The check's clock, seconds since the epoch.
    pub now: i64,
    max_age: i64,
}

impl<'m> MarketIndex<'m> {
    /// Indexes a market; `fallback_now` is used when the market has no clock.
    #[must_use]
    pub fn new(market: &'m pb::MarketState, fallback_now: i64, max_age: i64) -> Self {
        Self {
            quotes: market
                .quotes
                .iter()
                .map(|q| (q.symbol.as_str(), q))
                .collect(),
            options: market
                .option_quotes
                .iter()
                .filter_map(|q| {
                    let symbol = q
                        .contract
                        .as_ref()
                        .map(|c| c.occ_symbol.as_str())
                        .filter(|s| !s.is_empty());
                    symbol
                        .or_else(|| q.quote.as_ref().map(|q| q.symbol.as_str()))
                        .map(|s| (s, q))
                })
                .collect(),
            unavailable: market
                .unavailable
                .iter()
                .map(|u| (u.symbol.as_str(), u))
                .collect(),
            now: market.now.map_or(fallback_now, |ts| ts.seconds),
            max_age,
        }
    }

    fn missing(&self, symbol: &str, default_code: &str) -> QuoteProblem {
        match self.unavailable.get(symbol) {
            Some(u) if !u.reason_code.is_empty() => QuoteProblem {
                code: u.reason_code.clone(),
                symbol: symbol.to_owned(),
                message: format!("no quote for {symbol}: {} {}", u.reason_code, u.message)
                    .trim_end()
                    .to_owned(),
            },
            _ => QuoteProblem {
                code: default_code.to_owned(),
                symbol: symbol.to_owned(),
                message: format!("no quote for {symbol} in the market state"),
            },
        }
    }

    fn check(&self, symbol: &str, quote: &pb::Quote) -> Result<Px, QuoteProblem> {
        let problem = |code: &str, message: String| QuoteProblem {
            code: code.to_owned(),
            symbol: symbol.to_owned(),
            message,
        };
        let (Ok(bid), Ok(ask)) = (decimal::parse(&quote.bid), decimal::parse(&quote.ask)) else {
            return Err(problem(
                "INVALID_QUOTE",
                format!(
                    "quote for {symbol} has unparseable bid '{}' / ask '{}'",
                    quote.bid, quote.ask
                ),
            ));
        };
        if bid <= Decimal::ZERO || ask <= Decimal::ZERO || bid > ask {
            return Err(problem(
                "INVALID_QUOTE",
                format!(
                    "quote for {symbol} is not sane: bid {} ask {}",
                    fmt(bid),
                    fmt(ask)
                ),
            ));
        }
        let age = quote.timestamp.map(|ts| self.now - ts.seconds);
        match age {
            Some(age) if age <= self.max_age => Ok(Px { bid, ask }),
            Some(age) => Err(problem(
                "STALE_QUOTE",
                format!(
                    "quote for {symbol} is {age}s old, the limit is {}s",
                    self.max_age
                ),
            )),
            None => Err(problem(
                "STALE_QUOTE",
                format!("quote for {symbol} has no timestamp"),
            )),
        }
    }

    /// A fresh, sane equity quote.
    ///
    /// # Errors
    /// The feed's reason code, `QUOTE_UNAVAILABLE`, `INVALID_QUOTE` or `STALE_QUOTE`.
    pub fn quote(&self, symbol: &str) -> Result<Px, QuoteProblem> {
        let quote = self
            .quotes
            .get(symbol)
            .ok_or_else(|| self.missing(symbol, "QUOTE_UNAVAILABLE"))?;
        self.check(symbol, quote)
    }

    /// A fresh, sane option quote and the chain's entry (Greeks, IV).
    ///
    /// # Errors
    /// The feed's reason code, `OPTION_QUOTE_UNAVAILABLE`, `INVALID_QUOTE` or `STALE_QUOTE`.
    pub fn option(&self, occ: &str) -> Result<(Px, &'m pb::OptionQuote), QuoteProblem> {
        let entry = self
            .options
            .get(occ)
            .ok_or_else(|| self.missing(occ, "OPTION_QUOTE_UNAVAILABLE"))?;
        let quote = entry
            .quote
            .as_ref()
            .ok_or_else(|| self.missing(occ, "OPTION_QUOTE_UNAVAILABLE"))?;
        Ok((self.check(occ, quote)?, entry))
    }
}
