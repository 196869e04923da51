//! The exposure book: a baseline built once per portfolio and a cheap overlay per check.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::greeks::GreekVec;
use super::model::{AssetKind, Portfolio};
use crate::decimal::to_f64;
use crate::lookup::{FastMap, tag};

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

/// The baseline of one instrument key (symbol or underlying).
#[derive(Debug, Clone, Default, PartialEq)]
struct BaseKey {
    aggs: [KeyAgg; 2],
    delta: f64,
    /// The key's sector under the policy.
    sector: Option<String>,
}

/// What the baseline knows of one name: as a symbol held or ordered, and as a key.
#[derive(Debug, Clone, Default, PartialEq)]
struct BaseEntry {
    symbol: Option<BaseSymbol>,
    key: Option<BaseKey>,
}

/// The portfolio's aggregates before any decision, including open orders, indexed for the
/// lookups of a check: one table for symbols and keys, since an equity's symbol is its key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    entries: FastMap<String, BaseEntry>,
    gross: Decimal,
    net: Decimal,
    greeks: GreekVec,
    sector_gross: FastMap<String, Decimal>,
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
        // Sums run in symbol order so that floating-point totals do not depend on hashing.
        let mut by_key: BTreeMap<String, [KeyAgg; 2]> = BTreeMap::new();
        let mut sector_gross: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut delta_by_underlying: BTreeMap<String, f64> = BTreeMap::new();
        for state in symbols.values() {
            let view = borrow(state);
            let c = view.contribution();
            base.gross += c.value.abs();
            base.net += c.value;
            let agg = &mut by_key.entry(state.key.clone()).or_default()[slot(state.kind)];
            agg.units += c.units;
            agg.notional += c.value.abs();
            if let Some(sector) = &state.sector {
                *sector_gross.entry(sector.clone()).or_default() += c.value.abs();
            }
            if state.kind == AssetKind::Option {
                base.greeks.add(c.greeks);
                *delta_by_underlying.entry(state.key.clone()).or_default() += c.greeks.delta;
            }
        }
        let mut keys: FastMap<String, BaseKey> = sectors
            .iter()
            .map(|(key, sector)| {
                (
                    key.clone(),
                    BaseKey {
                        sector: Some(sector.clone()),
                        ..BaseKey::default()
                    },
                )
            })
            .collect();
        for (key, aggs) in by_key {
            keys.entry(key).or_default().aggs = aggs;
        }
        for (key, delta) in delta_by_underlying {
            keys.entry(key).or_default().delta = delta;
        }
        let mut entries: FastMap<String, BaseEntry> = FastMap::default();
        for (name, key) in keys {
            entries.entry(name).or_default().key = Some(key);
        }
        for (name, symbol) in symbols {
            entries.entry(name).or_default().symbol = Some(symbol);
        }
        base.entries = entries;
        base.sector_gross = sector_gross.into_iter().collect();
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

/// A key touched by the plan: its baseline and what the plan's decisions changed.
#[derive(Debug, Clone, Copy)]
struct KeySlot<'a> {
    tag: u64,
    key: &'a str,
    sector: Option<&'a str>,
    /// The sector's slot in the book.
    sector_slot: Option<usize>,
    base: [KeyAgg; 2],
    diff: [KeyAgg; 2],
    base_delta: f64,
    delta_diff: f64,
}

/// A sector touched by the plan.
#[derive(Debug, Clone, Copy)]
struct SectorSlot<'a> {
    tag: u64,
    sector: &'a str,
    base: Decimal,
    diff: Decimal,
}

/// A working copy of the baseline: decisions change symbols, aggregates follow.
///
/// Only what the plan touches is copied, into small vectors searched linearly (a plan
/// touches a few dozen symbols at most).
#[derive(Debug, Clone)]
pub struct Book<'a> {
    base: &'a Baseline,
    /// The baseline entry of the key looked up last: an equity decision looks its key up,
    /// then the same name as a symbol.
    recent: Option<(u64, &'a str, &'a BaseEntry)>,
    overlay: Vec<(u64, &'a str, SymbolState<'a>)>,
    keys: Vec<KeySlot<'a>>,
    sectors: Vec<SectorSlot<'a>>,
    pub gross: Decimal,
    pub net: Decimal,
    pub greeks: GreekVec,
}

/// Index of a key in the book, from [`Book::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyId(usize);

impl<'a> Book<'a> {
    /// A fresh working copy.
    #[must_use]
    pub fn new(base: &'a Baseline) -> Self {
        Self {
            base,
            recent: None,
            overlay: Vec::with_capacity(32),
            keys: Vec::with_capacity(32),
            sectors: Vec::with_capacity(8),
            gross: base.gross,
            net: base.net,
            greeks: base.greeks,
        }
    }

    /// The symbol's current state, if the book knows it.
    #[must_use]
    pub fn symbol(&self, symbol: &str) -> Option<SymbolState<'a>> {
        let t = tag(symbol);
        if let Some((_, _, state)) = self
            .overlay
            .iter()
            .find(|(o, s, _)| *o == t && *s == symbol)
        {
            return Some(*state);
        }
        let entry = match self.recent {
            Some((recent, name, entry)) if recent == t && name == symbol => Some(entry),
            _ => self.base.entries.get(symbol),
        };
        entry.and_then(|e| e.symbol.as_ref()).map(borrow)
    }

    /// Signed quantity held of a symbol.
    #[must_use]
    pub fn held(&self, symbol: &str) -> Decimal {
        self.symbol(symbol).map_or(Decimal::ZERO, |s| s.held)
    }

    /// The book's slot for a key (symbol or underlying), added on first use.
    pub fn key(&mut self, key: &'a str) -> KeyId {
        let t = tag(key);
        if let Some(index) = self.keys.iter().position(|s| s.tag == t && s.key == key) {
            return KeyId(index);
        }
        let base: &'a Baseline = self.base;
        let entry = base.entries.get(key);
        self.recent = entry.map(|entry| (t, key, entry));
        let (aggs, delta, sector) = entry
            .and_then(|e| e.key.as_ref())
            .map_or(([KeyAgg::default(); 2], 0.0, None), |k| {
                (k.aggs, k.delta, k.sector.as_deref())
            });
        let sector_slot = sector.map(|sector| self.sector_slot(sector));
        self.keys.push(KeySlot {
            tag: t,
            key,
            sector,
            sector_slot,
            base: aggs,
            diff: [KeyAgg::default(); 2],
            base_delta: delta,
            delta_diff: 0.0,
        });
        KeyId(self.keys.len() - 1)
    }

    fn sector_slot(&mut self, sector: &'a str) -> usize {
        let t = tag(sector);
        if let Some(index) = self
            .sectors
            .iter()
            .position(|s| s.tag == t && s.sector == sector)
        {
            return index;
        }
        let base = self
            .base
            .sector_gross
            .get(sector)
            .copied()
            .unwrap_or_default();
        self.sectors.push(SectorSlot {
            tag: t,
            sector,
            base,
            diff: Decimal::ZERO,
        });
        self.sectors.len() - 1
    }

    /// The key's sector under the policy.
    #[must_use]
    pub fn key_sector(&self, id: KeyId) -> Option<&'a str> {
        self.keys[id.0].sector
    }

    /// Units and notional of a key's instruments of one kind.
    #[must_use]
    pub fn key_agg(&self, id: KeyId, kind: AssetKind) -> KeyAgg {
        let entry = &self.keys[id.0];
        let (base, diff) = (entry.base[slot(kind)], entry.diff[slot(kind)]);
        KeyAgg {
            units: base.units + diff.units,
            notional: base.notional + diff.notional,
        }
    }

    /// Gross exposure of the key's sector, None when the key has no sector.
    #[must_use]
    pub fn key_sector_gross(&self, id: KeyId) -> Option<Decimal> {
        let slot = &self.sectors[self.keys[id.0].sector_slot?];
        Some(slot.base + slot.diff)
    }

    /// Options delta of an underlying.
    #[must_use]
    pub fn delta_of(&self, id: KeyId) -> f64 {
        let entry = &self.keys[id.0];
        entry.base_delta + entry.delta_diff
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
        let current = self.symbol(symbol);
        let key = self.key(current.unwrap_or(fresh).key);
        self.change_known(symbol, current, key, fresh, greeks, delta_qty);
    }

    /// [`Book::change`] with the symbol's current state (from [`Book::symbol`], unchanged
    /// since) and a key slot that is usually the state's key, both already looked up.
    pub fn change_known(
        &mut self,
        symbol: &'a str,
        current: Option<SymbolState<'a>>,
        key: KeyId,
        fresh: SymbolState<'a>,
        greeks: Option<GreekVec>,
        delta_qty: Decimal,
    ) {
        let current = current.unwrap_or(fresh);
        let before = current.contribution();
        let mut next = current;
        next.held += delta_qty;
        if let Some(greeks) = greeks {
            next.greeks = greeks;
        }
        let after = next.contribution();
        let gross_change = after.value.abs() - before.value.abs();
        self.gross += gross_change;
        self.net += after.value - before.value;
        let id = if self.keys[key.0].key == next.key {
            key
        } else {
            self.key(next.key)
        };
        let agg = &mut self.keys[id.0].diff[slot(next.kind)];
        agg.units += after.units - before.units;
        agg.notional += gross_change;
        if let Some(sector) = next.sector {
            let index = match self.keys[id.0] {
                KeySlot {
                    sector: Some(own),
                    sector_slot: Some(index),
                    ..
                } if own == sector => index,
                _ => self.sector_slot(sector),
            };
            self.sectors[index].diff += gross_change;
        }
        if next.kind == AssetKind::Option {
            self.greeks.add(after.greeks);
            self.greeks.add(before.greeks.scaled(-1.0));
            self.keys[id.0].delta_diff += after.greeks.delta - before.greeks.delta;
        }
        let t = tag(symbol);
        match self
            .overlay
            .iter_mut()
            .find(|(o, s, _)| *o == t && *s == symbol)
        {
            Some((_, _, state)) => *state = next,
            None => self.overlay.push((t, symbol, next)),
        }
    }
}
