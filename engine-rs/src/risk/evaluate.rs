//! The cumulative evaluation of a plan: decisions applied in order to a working book.

use rust_decimal::Decimal;

use super::core::RiskCore;
use super::market::MarketIndex;
use super::pricing::{Priced, per_unit, price};
use super::response::{DecisionOutcome, Outcome};
use super::violation::Violations;
use crate::decimal::{fmt, money};
use crate::lookup::SeenSet;
use crate::pb::TradingState;
use crate::plan::{Action, Decision, Direction, Instrument, Plan, Side, SizeUnit, TradeDecision};
use crate::portfolio::{AssetKind, Book, GreekVec, KeyId, SymbolState};
use crate::wire::MarketView;

/// One order-producing decision being checked.
pub(super) struct Ctx<'a> {
    pub id: &'a str,
    pub action: Action,
    pub trade: &'a TradeDecision<'a>,
    pub key: &'a str,
    /// The key's slot in the working book.
    pub slot: KeyId,
    pub side: Side,
    pub opening: bool,
    /// Signed position in the decision's units before it (spread units for options).
    pub position: Decimal,
    /// An equity's state in the book before the decision, when the book has it.
    pub current: Option<SymbolState<'a>>,
    pub qty: Decimal,
    pub priced: Priced<'a>,
    pub multiplier: Decimal,
    pub equity: Decimal,
    /// |paid| x multiplier x quantity, worked out once.
    notional: Decimal,
}

impl Ctx<'_> {
    /// |paid| x multiplier x quantity.
    pub fn notional(&self) -> Decimal {
        self.notional
    }
}

/// State carried across the decisions of one plan.
pub(super) struct Run<'a> {
    pub core: &'a RiskCore,
    pub market: MarketIndex<'a>,
    pub book: Book<'a>,
    pub violations: Violations,
    pub state: TradingState,
    pub state_reason: &'a str,
    /// Buying power consumed by the plan's opening orders so far.
    pub bp_used: Decimal,
    seen_keys: SeenSet<'a>,
}

/// Checks a validated plan against the core's policy and portfolio.
pub(super) fn evaluate<'a>(
    core: &'a RiskCore,
    plan: &'a Plan<'a>,
    market: &'a MarketView<'a>,
) -> Outcome<'a> {
    let verdict = core.verdict();
    let mut run = Run {
        core,
        market: MarketIndex::new(
            market,
            plan.as_of_seconds,
            core.policy().max_quote_age_seconds,
        ),
        book: Book::new(core.baseline()),
        violations: Violations::default(),
        state: verdict.state,
        state_reason: &verdict.reason,
        bp_used: Decimal::ZERO,
        seen_keys: SeenSet::with_capacity(plan.decisions.len()),
    };
    let mut decisions = Vec::with_capacity(plan.decisions.len());
    for decision in &plan.decisions {
        let before = run.violations.len();
        let mut check = DecisionOutcome {
            id: decision.id,
            ..DecisionOutcome::default()
        };
        if let Some(trade) = &decision.trade {
            run.decision(decision, trade, &mut check);
        }
        check.approved = run.violations.len() == before;
        decisions.push(check);
    }
    Outcome {
        approved: run.violations.is_empty(),
        violations: run.violations.list,
        decisions,
        trading_state: run.state as i32,
        policy_version: core.policy().version,
    }
}

/// The position in the decision's units, and an equity's state in the book (kept for
/// applying the order: the book does not change in between).
fn units_of<'a>(book: &Book<'a>, trade: &TradeDecision<'_>) -> (Decimal, Option<SymbolState<'a>>) {
    match &trade.instrument {
        Instrument::Equity { symbol } => {
            let state = book.symbol(symbol);
            (state.map_or(Decimal::ZERO, |s| s.held), state)
        }
        Instrument::Option { legs, .. } => {
            let units = legs.first().map_or(Decimal::ZERO, |first| {
                let per_unit = first.side.apply(Decimal::from(first.ratio));
                (book.held(first.occ_symbol) / per_unit).trunc()
            });
            (units, None)
        }
    }
}

impl<'a> Run<'a> {
    fn decision(
        &mut self,
        decision: &'a Decision<'a>,
        trade: &'a TradeDecision<'a>,
        check: &mut DecisionOutcome<'a>,
    ) {
        let id = decision.id;
        let key = trade.instrument.key();
        let opening = matches!(
            decision.action,
            Action::Buy | Action::Sell | Action::Increase
        );
        let Some(equity) = self.gate(decision, key, opening) else {
            return;
        };
        // The key first: its baseline entry then serves the symbol lookup of an equity.
        let slot = self.book.key(key);
        let Some((side, position, current)) = self.side_and_position(decision, trade) else {
            return;
        };
        check.side = side.wire();
        let priced = match price(trade, side, &self.market, self.core.policy()) {
            Ok(priced) => priced,
            Err(problem) => {
                self.violations.push(
                    &problem.code,
                    id,
                    format!("decision {id}: {}", problem.message),
                    &[("symbol", problem.symbol)],
                );
                return;
            }
        };
        let multiplier = priced.kind.multiplier();
        let unit_cost = priced.kind.scale(priced.paid.abs());
        let mut qty = match trade.size.unit {
            SizeUnit::Shares | SizeUnit::Contracts => trade.size.value,
            SizeUnit::Dollars if unit_cost > Decimal::ZERO => {
                (trade.size.value / unit_cost).floor()
            }
            SizeUnit::PctEquity if unit_cost > Decimal::ZERO => {
                (trade.size.value * equity / unit_cost).floor()
            }
            SizeUnit::Dollars | SizeUnit::PctEquity => Decimal::ZERO,
        };
        if decision.action == Action::Close {
            qty = position.abs();
        }
        check.reference_price = Some(priced.reference_price);
        if crate::decimal::is_non_positive(qty) {
            self.violations.push(
                "SIZE_ROUNDS_TO_ZERO",
                id,
                format!(
                    "decision {id}: size {} {:?} buys no whole unit at {}",
                    fmt(trade.size.value),
                    trade.size.unit,
                    money(unit_cost)
                ),
                &[
                    ("unit_cost", money(unit_cost)),
                    ("size", fmt(trade.size.value)),
                ],
            );
            return;
        }
        if decision.action == Action::Reduce && qty > position.abs() {
            self.violations.push(
                "REDUCE_EXCEEDS_POSITION",
                id,
                format!(
                    "decision {id}: reducing {} exceeds the position of {} in {key}",
                    fmt(qty),
                    fmt(position.abs())
                ),
                &[("quantity", fmt(qty)), ("position", fmt(position.abs()))],
            );
            qty = position.abs();
        }
        let ctx = Ctx {
            id,
            action: decision.action,
            trade,
            key,
            slot,
            side,
            opening,
            position,
            current,
            qty,
            priced,
            multiplier,
            equity,
            notional: unit_cost * qty,
        };
        check.quantity = Some(ctx.qty);
        check.notional = Some(ctx.notional());
        self.collar(&ctx);
        if ctx.opening {
            self.levels(&ctx);
            self.risk_per_trade_and_buying_power(&ctx);
        }
        let before = self.snapshot(&ctx);
        self.apply(&ctx);
        self.limits(&ctx, &before);
        self.day_trade(&ctx);
    }

    /// `CONFLICTING_DECISIONS`, `TRADING_HALTED`/`REDUCING` and `MISSING_ACCOUNT`; the equity when
    /// the decision can be checked further.
    fn gate(&mut self, decision: &'a Decision<'a>, key: &'a str, opening: bool) -> Option<Decimal> {
        let id = decision.id;
        if !self.seen_keys.insert(key) {
            self.violations.push(
                "CONFLICTING_DECISIONS",
                id,
                format!("decision {id}: another decision of this plan already trades {key}: keep one per symbol"),
                &[("symbol", key.to_owned())],
            );
        }
        match self.state {
            TradingState::Halted | TradingState::Unspecified => self.violations.push(
                "TRADING_HALTED",
                id,
                format!("decision {id}: trading is halted ({})", self.state_reason),
                &[("reason", self.state_reason.to_owned())],
            ),
            TradingState::Reducing if opening => self.violations.push(
                "TRADING_REDUCING",
                id,
                format!(
                    "decision {id}: trading is reducing-only ({}); {} adds exposure",
                    self.state_reason,
                    decision.action.name()
                ),
                &[("reason", self.state_reason.to_owned())],
            ),
            _ => {}
        }
        let equity = match &self.core.portfolio().account {
            Some(account) if account.equity > Decimal::ZERO => account.equity,
            other => {
                let equity = other
                    .as_ref()
                    .map_or_else(|| "missing".to_owned(), |a| fmt(a.equity));
                self.violations.push(
                    "MISSING_ACCOUNT",
                    id,
                    format!("decision {id}: no account with positive equity (equity {equity}): orders are denied"),
                    &[("equity", equity)],
                );
                return None;
            }
        };
        Some(equity)
    }

    /// The order side and the position before the decision; `NO_POSITION` when an INCREASE,
    /// REDUCE or CLOSE has no position in its direction.
    fn side_and_position(
        &mut self,
        decision: &'a Decision<'a>,
        trade: &'a TradeDecision<'a>,
    ) -> Option<(Side, Decimal, Option<SymbolState<'a>>)> {
        let id = decision.id;
        let key = trade.instrument.key();
        let (position, state) = units_of(&self.book, trade);
        let side = match (decision.action, trade.direction) {
            (Action::Buy, _)
            | (Action::Increase, Direction::Long)
            | (Action::Reduce | Action::Close, Direction::Short) => Side::Buy,
            (Action::Sell | Action::Increase | Action::Reduce | Action::Close, _) => Side::Sell,
            (Action::Hold | Action::NoTrade, _) => return None,
        };
        if matches!(
            decision.action,
            Action::Increase | Action::Reduce | Action::Close
        ) {
            let wanted = if trade.direction == Direction::Long {
                position > Decimal::ZERO
            } else {
                position < Decimal::ZERO
            };
            if !wanted {
                let direction = if trade.direction == Direction::Long {
                    "LONG"
                } else {
                    "SHORT"
                };
                self.violations.push(
                    "NO_POSITION",
                    id,
                    format!("decision {id}: {} needs a {direction} position in {key}, the position is {}", decision.action.name(), fmt(position)),
                    &[("position", fmt(position)), ("direction", direction.to_owned())],
                );
                return None;
            }
        }
        Some((side, position, state))
    }

    /// Applies the decision's order to the working book.
    fn apply(&mut self, ctx: &Ctx<'a>) {
        let sector = self.book.key_sector(ctx.slot);
        match &ctx.trade.instrument {
            Instrument::Equity { symbol } => {
                let fresh = SymbolState {
                    kind: AssetKind::Equity,
                    key: symbol,
                    sector,
                    held: Decimal::ZERO,
                    pending: Decimal::ZERO,
                    unit_value: ctx.priced.reference_price,
                    greeks: GreekVec::default(),
                };
                let qty = ctx.side.apply(ctx.qty);
                self.book
                    .change_known(symbol, ctx.current, ctx.slot, fresh, None, qty);
            }
            Instrument::Option { underlying, .. } => {
                for leg in &ctx.priced.legs {
                    let greeks = leg.greeks.map(per_unit);
                    let fresh = SymbolState {
                        kind: AssetKind::Option,
                        key: underlying,
                        sector,
                        held: Decimal::ZERO,
                        pending: Decimal::ZERO,
                        unit_value: leg.mid * ctx.multiplier,
                        greeks: greeks.unwrap_or_default(),
                    };
                    self.book.change(
                        leg.symbol,
                        fresh,
                        greeks,
                        leg.side.apply(leg.ratio) * ctx.qty,
                    );
                }
            }
        }
    }
}
