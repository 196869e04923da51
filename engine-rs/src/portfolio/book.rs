//! The exposure book: a baseline built once per portfolio and a cheap overlay per check.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::greeks::GreekVec;
use super::model::{AssetKind, Portfolio};
use crate::decimal::to_f64;

/// Units and absolute notional of one instrument key (symbol or underlying) and kind.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KeyAgg {
    pub units: Decimal,
    pub notional: Decimal,
}

/// One symbol's position as the book sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolState<'a> {
    pub kind: AssetKind,
    /// The underlying (the symbol itself for equities).
    pub key: &'a str,
    pub sector: Option<&'a str>,
    /// Signed quantity held (after the plan's earlier decisions).
    pub held: Decimal,
    /// Signed quantity of open orders that may still fill.
    pub pending: Decimal,
    /// Value of one unit: price x multiplier.
    pub unit_value: Decimal,
    /// Greeks of one unit including the multiplier (zero for equities).
    pub greeks: GreekVec,
}

/// What one symbol adds to the aggregates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Contribution {
    pub value: Decimal,
    pub units: Decimal,
    pub greeks: GreekVec,
}

impl SymbolState<'_> {
    /// The symbol's share of the aggregates: held plus pending, valued at the unit value.
    #[must_use]
    pub fn contribution(&self) -> Contribution {
        let projected = self.held + self.pending;
        Contribution {
            value: projected * self.unit_value,
            units: projected.abs(),
            greeks: match self.kind {
                AssetKind::Equity => GreekVec::default(),
                AssetKind::Option => self.greeks.scaled(to_f64(projected)),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct BaseSymbol {
    kind: AssetKind,
    key: String,
    sector: Option<String>,
    held: Decimal,
    pending: Decimal,
    unit_value: Decimal,
    greeks: GreekVec,
}

/// The portfolio's aggregates before any decision, including open orders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    symbols: BTreeMap<String, BaseSymbol>,
    gross: Decimal,
    net: Decimal,
    greeks: GreekVec,
    by_key: BTreeMap<String, [KeyAgg; 2]>,
    sector_gross: BTreeMap<String, Decimal>,
    delta_by_underlying: BTreeMap<String, f64>,
    /// Cost of open orders that may still fill (buying power they hold).
    pub open_order_cost: Decimal,
    /// Open orders without any price to value them.
    pub unpriced_open_orders: usize,
}

fn slot(kind: AssetKind) -> usize {
    match kind {
        AssetKind::Equity => 0,
        AssetKind::Option => 1,
    }
}

impl Baseline {
    /// Builds the baseline of a portfolio under a sector map.
    #[must_use]
    pub fn build(portfolio: &Portfolio, sectors: &BTreeMap<String, String>) -> Self {
        let mut symbols = BTreeMap::new();
        for holding in portfolio.holdings.values() {
            let mult = holding.kind.multiplier();
            symbols.insert(
                holding.symbol.clone(),
                BaseSymbol {
                    kind: holding.kind,
                    key: holding.underlying.clone(),
                    sector: sectors.get(&holding.underlying).cloned(),
                    held: holding.qty,
                    pending: Decimal::ZERO,
                    unit_value: holding.mark * mult,
                    greeks: holding.greeks.unwrap_or_default().scaled(to_f64(mult)),
                },
            );
        }
        let mut base = Self::default();
        for order in portfolio.open_orders.iter().filter(|o| !o.reduce_only) {
            let mult = order.kind.multiplier();
            let price = order
                .price
                .or_else(|| portfolio.holdings.get(&order.key).map(|h| h.mark));
            match price {
                Some(price) => base.open_order_cost += order.leaves * price.abs() * mult,
                None => base.unpriced_open_orders += 1,
            }
            for (symbol, leg_side, ratio) in &order.legs {
                let signed =
                    order.side.sign() * leg_side.sign() * Decimal::from(*ratio) * order.leaves;
                let entry = symbols.entry(symbol.clone()).or_insert_with(|| BaseSymbol {
                    kind: order.kind,
                    key: order.key.clone(),
                    sector: sectors.get(&order.key).cloned(),
                    held: Decimal::ZERO,
                    pending: Decimal::ZERO,
                    unit_value: if order.legs.len() == 1 {
                        price.unwrap_or_default().abs() * mult
                    } else {
                        Decimal::ZERO
                    },
                    greeks: GreekVec::default(),
                });
                entry.pending += signed;
            }
        }
        for state in symbols.values() {
            let view = borrow(state);
            let c = view.contribution();
            base.gross += c.value.abs();
            base.net += c.value;
            let agg = &mut base.by_key.entry(state.key.clone()).or_default()[slot(state.kind)];
            agg.units += c.units;
            agg.notional += c.value.abs();
            if let Some(sector) = &state.sector {
                *base.sector_gross.entry(sector.clone()).or_default() += c.value.abs();
            }
            if state.kind == AssetKind::Option {
                base.greeks.add(c.greeks);
                *base
                    .delta_by_underlying
                    .entry(state.key.clone())
                    .or_default() += c.greeks.delta;
            }
        }
        base.symbols = symbols;
        base
    }
}

fn borrow(state: &BaseSymbol) -> SymbolState<'_> {
    SymbolState {
        kind: state.kind,
        key: &state.key,
        sector: state.sector.as_deref(),
        held: state.held,
        pending: state.pending,
        unit_value: state.unit_value,
        greeks: state.greeks,
    }
}

/// A working copy of the baseline: decisions change symbols, aggregates follow.
#[derive(Debug, Clone)]
pub struct Book<'a> {
    base: &'a Baseline,
    overlay: BTreeMap<&'a str, SymbolState<'a>>,
    pub gross: Decimal,
    pub net: Decimal,
    pub greeks: GreekVec,
    key_diff: BTreeMap<(&'a str, usize), KeyAgg>,
    sector_diff: BTreeMap<&'a str, Decimal>,
    delta_diff: BTreeMap<&'a str, f64>,
}

impl<'a> Book<'a> {
    /// A fresh working copy.
    #[must_use]
    pub fn new(base: &'a Baseline) -> Self {
        Self {
            base,
            overlay: BTreeMap::new(),
            gross: base.gross,
            net: base.net,
            greeks: base.greeks,
            key_diff: BTreeMap::new(),
            sector_diff: BTreeMap::new(),
            delta_diff: BTreeMap::new(),
        }
    }

    /// The symbol's current state, if the book knows it.
    #[must_use]
    pub fn symbol(&self, symbol: &str) -> Option<SymbolState<'a>> {
        self.overlay
            .get(symbol)
            .copied()
            .or_else(|| self.base.symbols.get(symbol).map(borrow))
    }

    /// Signed quantity held of a symbol.
    #[must_use]
    pub fn held(&self, symbol: &str) -> Decimal {
        self.symbol(symbol).map_or(Decimal::ZERO, |s| s.held)
    }

    /// Units and notional of a key's instruments of one kind.
    #[must_use]
    pub fn key_agg(&self, key: &str, kind: AssetKind) -> KeyAgg {
        let base = self
            .base
            .by_key
            .get(key)
            .map_or_else(KeyAgg::default, |aggs| aggs[slot(kind)]);
        let diff = self
            .key_diff
            .get(&(key, slot(kind)))
            .copied()
            .unwrap_or_default();
        KeyAgg {
            units: base.units + diff.units,
            notional: base.notional + diff.notional,
        }
    }

    /// Gross exposure of a sector.
    #[must_use]
    pub fn sector_gross(&self, sector: &str) -> Decimal {
        self.base
            .sector_gross
            .get(sector)
            .copied()
            .unwrap_or_default()
            + self.sector_diff.get(sector).copied().unwrap_or_default()
    }

    /// Options delta of an underlying.
    #[must_use]
    pub fn delta_of(&self, underlying: &str) -> f64 {
        self.base
            .delta_by_underlying
            .get(underlying)
            .copied()
            .unwrap_or_default()
            + self.delta_diff.get(underlying).copied().unwrap_or_default()
    }

    /// Adds `delta_qty` to a symbol; `fresh` describes a symbol the book does not know yet,
    /// and `greeks` (per unit, multiplier included) refreshes an option's Greeks.
    pub fn change(
        &mut self,
        symbol: &'a str,
        fresh: SymbolState<'a>,
        greeks: Option<GreekVec>,
        delta_qty: Decimal,
    ) {
        let current = self.symbol(symbol).unwrap_or(fresh);
        let before = current.contribution();
        let mut next = current;
        next.held += delta_qty;
        if let Some(greeks) = greeks {
            next.greeks = greeks;
        }
        let after = next.contribution();
        self.gross += after.value.abs() - before.value.abs();
        self.net += after.value - before.value;
        let agg = self
            .key_diff
            .entry((next.key, slot(next.kind)))
            .or_default();
        agg.units += after.units - before.units;
        agg.notional += after.value.abs() - before.value.abs();
        if let Some(sector) = next.sector {
            *self.sector_diff.entry(sector).or_default() += after.value.abs() - before.value.abs();
        }
        if next.kind == AssetKind::Option {
            self.greeks.add(after.greeks);
            self.greeks.add(before.greeks.scaled(-1.0));
            *self.delta_diff.entry(next.key).or_default() +=
                after.greeks.delta - before.greeks.delta;
        }
        self.overlay.insert(symbol, next);
    }
}
