//! Borrowed views of a `MarketState`: quotes, option quotes and unavailable symbols.

use super::plan::LegView;
use super::reader::{Malformed, Reader, Timestamp, skip_string};
use crate::pb;
use crate::portfolio::GreekVec;

/// A `MarketState`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketView<'a> {
    pub quotes: Vec<QuoteView<'a>>,
    pub option_quotes: Vec<OptionQuoteView<'a>>,
    pub unavailable: Vec<UnavailableView<'a>>,
    pub now: Option<Timestamp>,
}

/// A `Quote` (symbol, bid, ask and timestamp; the other fields are checked, then dropped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuoteView<'a> {
    pub symbol: &'a str,
    pub bid: &'a str,
    pub ask: &'a str,
    pub timestamp: Option<Timestamp>,
}

/// An `OptionQuote`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OptionQuoteView<'a> {
    pub contract: Option<LegView<'a>>,
    pub quote: Option<QuoteView<'a>>,
    /// Delta, gamma, vega and theta (rho is not used).
    pub greeks: Option<GreekVec>,
    pub implied_volatility: f64,
}

/// An `Unavailable` entry: why the feed has no quote for a symbol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnavailableView<'a> {
    pub symbol: &'a str,
    pub reason_code: &'a str,
    pub message: &'a str,
}

fn timestamp(ts: Option<prost_types::Timestamp>) -> Option<Timestamp> {
    ts.map(|ts| Timestamp {
        seconds: ts.seconds,
        nanos: ts.nanos,
    })
}

impl<'a> MarketView<'a> {
    /// Decodes a `MarketState`'s bytes.
    ///
    /// # Errors
    /// `Malformed` when the bytes are not accepted (decode them with `prost` for the reason).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, Malformed> {
        let mut market = Self::default();
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => {
                    let bytes = r.bytes(wire)?;
                    if market.quotes.capacity() == 0 {
                        market.quotes.reserve(32);
                    }
                    market.quotes.push(QuoteView::default());
                    if let Some(quote) = market.quotes.last_mut() {
                        quote.merge(bytes)?;
                    }
                }
                2 => {
                    let bytes = r.bytes(wire)?;
                    if market.option_quotes.capacity() == 0 {
                        market.option_quotes.reserve(8);
                    }
                    market.option_quotes.push(OptionQuoteView::default());
                    if let Some(quote) = market.option_quotes.last_mut() {
                        quote.merge(bytes)?;
                    }
                }
                3 => {
                    let mut entry = UnavailableView::default();
                    entry.merge(r.bytes(wire)?)?;
                    market.unavailable.push(entry);
                }
                4 => market
                    .now
                    .get_or_insert_with(Timestamp::default)
                    .merge(r.bytes(wire)?)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(market)
    }

    /// A view of a decoded `prost` market.
    #[must_use]
    pub fn from_pb(market: &'a pb::MarketState) -> Self {
        Self {
            quotes: market.quotes.iter().map(QuoteView::from_pb).collect(),
            option_quotes: market
                .option_quotes
                .iter()
                .map(|q| OptionQuoteView {
                    contract: q.contract.as_ref().map(LegView::from_pb),
                    quote: q.quote.as_ref().map(QuoteView::from_pb),
                    greeks: q.greeks.as_ref().map(GreekVec::from_wire),
                    implied_volatility: q.implied_volatility,
                })
                .collect(),
            unavailable: market
                .unavailable
                .iter()
                .map(|u| UnavailableView {
                    symbol: &u.symbol,
                    reason_code: &u.reason_code,
                    message: &u.message,
                })
                .collect(),
            now: timestamp(market.now),
        }
    }
}

impl<'a> QuoteView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.symbol = r.string(wire)?,
                2 => self.bid = r.string(wire)?,
                3 => self.ask = r.string(wire)?,
                4 => skip_string(&mut r, wire)?,
                5 | 6 => drop(r.int64(wire)?),
                7 => self
                    .timestamp
                    .get_or_insert_with(Timestamp::default)
                    .merge(r.bytes(wire)?)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }

    fn from_pb(raw: &'a pb::Quote) -> Self {
        Self {
            symbol: &raw.symbol,
            bid: &raw.bid,
            ask: &raw.ask,
            timestamp: timestamp(raw.timestamp),
        }
    }
}

impl<'a> OptionQuoteView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self
                    .contract
                    .get_or_insert_with(LegView::default)
                    .merge(r.bytes(wire)?)?,
                2 => self
                    .quote
                    .get_or_insert_with(QuoteView::default)
                    .merge(r.bytes(wire)?)?,
                3 => merge_greeks(
                    self.greeks.get_or_insert_with(GreekVec::default),
                    r.bytes(wire)?,
                )?,
                4 => self.implied_volatility = r.double(wire)?,
                5 => drop(r.int64(wire)?),
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}

fn merge_greeks(greeks: &mut GreekVec, bytes: &[u8]) -> Result<(), Malformed> {
    let mut r = Reader::new(bytes);
    while let Some((tag, wire)) = r.key()? {
        match tag {
            1 => greeks.delta = r.double(wire)?,
            2 => greeks.gamma = r.double(wire)?,
            3 => greeks.vega = r.double(wire)?,
            4 => greeks.theta = r.double(wire)?,
            5 => drop(r.double(wire)?),
            _ => r.skip(wire)?,
        }
    }
    Ok(())
}

impl<'a> UnavailableView<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.symbol = r.string(wire)?,
                2 => self.reason_code = r.string(wire)?,
                3 => self.message = r.string(wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}
