//! The market a check prices at: quotes by symbol, validated for freshness and sanity.

use rust_decimal::Decimal;

use crate::decimal::{self, fmt};
use crate::lookup::tag;
use crate::wire::{MarketView, OptionQuoteView, QuoteView};

/// A usable two-sided quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Px {
    pub bid: Decimal,
    pub ask: Decimal,
}

/// One half, to take a mid without a decimal division.
const HALF: Decimal = Decimal::from_parts(5, 0, 0, false, 1);

impl Px {
    /// (bid + ask) / 2.
    #[must_use]
    pub fn mid(self) -> Decimal {
        let sum = self.bid + self.ask;
        // x * 0.5 is exact, like x / 2, while the product keeps a spare digit of scale.
        if sum.scale() < 27 {
            sum * HALF
        } else {
            sum / Decimal::TWO
        }
    }
}

/// Why a symbol cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteProblem {
    pub code: String,
    pub symbol: String,
    pub message: String,
}

/// Quotes of one check, by symbol (the last entry wins when a symbol repeats).
#[derive(Debug)]
pub struct MarketIndex<'m> {
    market: &'m MarketView<'m>,
    /// (tag, symbol, position in `market.quotes`), sorted.
    quotes: Vec<Entry<'m>>,
    /// (tag, OCC symbol, position in `market.option_quotes`), sorted.
    options: Vec<Entry<'m>>,
    /// The check's clock, seconds since the epoch.
    pub now: i64,
    max_age: i64,
}

/// A symbol's tag (compared first), the symbol and its position in the market.
type Entry<'m> = (u64, &'m str, usize);

fn index<'m>(symbols: impl Iterator<Item = (&'m str, usize)>) -> Vec<Entry<'m>> {
    let mut entries: Vec<Entry<'m>> = symbols.map(|(s, i)| (tag(s), s, i)).collect();
    entries.sort_unstable();
    entries
}

/// The position of the last occurrence of `symbol` in a sorted index.
fn find(index: &[Entry<'_>], symbol: &str) -> Option<usize> {
    let wanted = tag(symbol);
    // Probe on tags alone; the few entries sharing the tag are then compared in full.
    let end = index.partition_point(|(t, _, _)| *t <= wanted);
    index[..end]
        .iter()
        .rev()
        .take_while(|(t, _, _)| *t == wanted)
        .find(|(_, s, _)| *s == symbol)
        .map(|(_, _, position)| *position)
}

impl<'m> MarketIndex<'m> {
    /// Indexes a market; `fallback_now` is used when the market has no clock.
    #[must_use]
    pub fn new(market: &'m MarketView<'m>, fallback_now: i64, max_age: i64) -> Self {
        let quotes = index(market.quotes.iter().enumerate().map(|(i, q)| (q.symbol, i)));
        let options = index(
            market
                .option_quotes
                .iter()
                .enumerate()
                .filter_map(|(i, q)| {
                    let symbol = q.contract.map(|c| c.occ_symbol).filter(|s| !s.is_empty());
                    symbol.or_else(|| q.quote.map(|q| q.symbol)).map(|s| (s, i))
                }),
        );
        Self {
            market,
            quotes,
            options,
            now: market.now.map_or(fallback_now, |ts| ts.seconds),
            max_age,
        }
    }

    fn missing(&self, symbol: &str, default_code: &str) -> QuoteProblem {
        let unavailable = self
            .market
            .unavailable
            .iter()
            .rev()
            .find(|u| u.symbol == symbol);
        match unavailable {
            Some(u) if !u.reason_code.is_empty() => QuoteProblem {
                code: u.reason_code.to_owned(),
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

    fn check(&self, symbol: &str, quote: &QuoteView<'_>) -> Result<Px, QuoteProblem> {
        let problem = |code: &str, message: String| QuoteProblem {
            code: code.to_owned(),
            symbol: symbol.to_owned(),
            message,
        };
        let (Ok(bid), Ok(ask)) = (decimal::parse(quote.bid), decimal::parse(quote.ask)) else {
            return Err(problem(
                "INVALID_QUOTE",
                format!(
                    "quote for {symbol} has unparseable bid '{}' / ask '{}'",
                    quote.bid, quote.ask
                ),
            ));
        };
        if decimal::is_non_positive(bid) || decimal::is_non_positive(ask) || bid > ask {
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
        let position =
            find(&self.quotes, symbol).ok_or_else(|| self.missing(symbol, "QUOTE_UNAVAILABLE"))?;
        self.check(symbol, &self.market.quotes[position])
    }

    /// A fresh, sane option quote and the chain's entry (Greeks, IV).
    ///
    /// # Errors
    /// The feed's reason code, `OPTION_QUOTE_UNAVAILABLE`, `INVALID_QUOTE` or `STALE_QUOTE`.
    pub fn option(&self, occ: &str) -> Result<(Px, &'m OptionQuoteView<'m>), QuoteProblem> {
        let position = find(&self.options, occ)
            .ok_or_else(|| self.missing(occ, "OPTION_QUOTE_UNAVAILABLE"))?;
        let entry = &self.market.option_quotes[position];
        let quote = entry
            .quote
            .as_ref()
            .ok_or_else(|| self.missing(occ, "OPTION_QUOTE_UNAVAILABLE"))?;
        Ok((self.check(occ, quote)?, entry))
    }
}
