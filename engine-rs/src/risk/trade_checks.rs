//! Checks of one order on its own: price collar, exit levels, risk per trade, buying power,
//! day trades.

use rust_decimal::Decimal;

use super::evaluate::{Ctx, Run};
use super::pricing::max_loss;
use crate::decimal::{fmt, money};
use crate::plan::{Action, Direction, Side};
use crate::portfolio::AssetKind;

impl Run<'_> {
    /// `PRICE_OUTSIDE_COLLAR`: a limit price too far from the quote's mid.
    pub(super) fn collar(&mut self, ctx: &Ctx<'_>) {
        let Some(limit) = ctx.priced.limit_paid else {
            return;
        };
        let mid = ctx.priced.mid_paid;
        let base = if mid.is_zero() {
            ctx.priced.gross_mid
        } else {
            mid.abs()
        };
        if base.is_zero() {
            return;
        }
        let collar = self.core.policy().price_collar_pct;
        if (limit - mid).abs() > collar * base {
            let distance = (limit - mid).abs() / base;
            self.violations.push(
                "PRICE_OUTSIDE_COLLAR",
                ctx.id,
                format!(
                    "decision {}: limit {} is {}% from the mid {}, the collar is {}%",
                    ctx.id,
                    fmt(limit.abs()),
                    fmt((distance * Decimal::ONE_HUNDRED).round_dp(2)),
                    fmt(mid.abs().round_dp(4)),
                    fmt(collar * Decimal::ONE_HUNDRED)
                ),
                &[
                    ("limit", fmt(limit)),
                    ("mid", fmt(mid.round_dp(4))),
                    ("distance", fmt(distance.round_dp(4))),
                    ("collar", fmt(collar)),
                ],
            );
        }
    }

    /// `MISSING_STOP_LOSS`, `STOP_WRONG_SIDE`, `MISSING_TAKE_PROFIT`, `TAKE_PROFIT_WRONG_SIDE`,
    /// `REWARD_RISK_TOO_LOW` for an opening decision.
    pub(super) fn levels(&mut self, ctx: &Ctx<'_>) {
        let id = ctx.id;
        let entry = ctx.priced.entry;
        let long = ctx.trade.direction == Direction::Long;
        let what = if ctx.priced.kind == AssetKind::Option {
            "the underlying's price"
        } else {
            "entry"
        };
        let stop = match ctx.trade.stop_loss {
            None => {
                self.violations.push(
                    "MISSING_STOP_LOSS",
                    id,
                    format!("decision {id}: an opening decision needs risk_levels.stop_loss"),
                    &[("entry", fmt(entry))],
                );
                None
            }
            Some(stop) if (long && stop >= entry) || (!long && stop <= entry) => {
                let should = if long { "below" } else { "above" };
                self.violations.push(
                    "STOP_WRONG_SIDE",
                    id,
                    format!(
                        "decision {id}: stop_loss {} must be {should} {what} {}",
                        fmt(stop),
                        fmt(entry)
                    ),
                    &[("stop_loss", fmt(stop)), ("entry", fmt(entry))],
                );
                None
            }
            Some(stop) => Some(stop),
        };
        let target = match ctx.trade.take_profit {
            None => {
                self.violations.push(
                    "MISSING_TAKE_PROFIT",
                    id,
                    format!("decision {id}: an opening decision needs risk_levels.take_profit for the reward/risk check"),
                    &[("entry", fmt(entry))],
                );
                None
            }
            Some(tp) if (long && tp <= entry) || (!long && tp >= entry) => {
                let should = if long { "above" } else { "below" };
                self.violations.push(
                    "TAKE_PROFIT_WRONG_SIDE",
                    id,
                    format!(
                        "decision {id}: take_profit {} must be {should} {what} {}",
                        fmt(tp),
                        fmt(entry)
                    ),
                    &[("take_profit", fmt(tp)), ("entry", fmt(entry))],
                );
                None
            }
            Some(tp) => Some(tp),
        };
        if let (Some(stop), Some(target)) = (stop, target) {
            let min = self.core.policy().min_reward_risk;
            if (target - entry).abs() < min * (entry - stop).abs() {
                let ratio = (target - entry).abs() / (entry - stop).abs();
                self.violations.push(
                    "REWARD_RISK_TOO_LOW",
                    id,
                    format!(
                        "decision {id}: reward/risk {} is below the minimum {}",
                        fmt(ratio.round_dp(2)),
                        fmt(min)
                    ),
                    &[("reward_risk", fmt(ratio.round_dp(4))), ("limit", fmt(min))],
                );
            }
        }
    }

    /// `MAX_RISK_PER_TRADE` / `UNDEFINED_RISK` and `INSUFFICIENT_BUYING_POWER` for an opening order.
    pub(super) fn risk_per_trade_and_buying_power(&mut self, ctx: &Ctx<'_>) {
        let id = ctx.id;
        let policy = self.core.policy();
        let limit = self.core.caps().risk_per_trade;
        let (risk, cost) = match ctx.priced.kind {
            AssetKind::Equity => {
                let risk = ctx
                    .trade
                    .stop_loss
                    .map(|stop| ctx.qty * (ctx.priced.entry - stop).abs());
                (risk, ctx.notional())
            }
            AssetKind::Option => match max_loss(&ctx.priced.legs, ctx.priced.paid) {
                None => {
                    self.violations.push(
                        "UNDEFINED_RISK",
                        id,
                        format!("decision {id}: the order leaves short options uncovered (unbounded or naked risk)"),
                        &[("legs", ctx.priced.legs.len().to_string())],
                    );
                    (None, ctx.notional())
                }
                Some(loss) => {
                    let risk = loss * ctx.multiplier * ctx.qty;
                    (Some(risk), risk)
                }
            },
        };
        if let Some(risk) = risk
            && risk > limit
        {
            self.violations.push(
                "MAX_RISK_PER_TRADE",
                id,
                format!(
                    "decision {id}: risk to the stop {} exceeds {} ({}% of equity)",
                    money(risk),
                    money(limit),
                    fmt(policy.max_risk_per_trade_pct * Decimal::ONE_HUNDRED)
                ),
                &[("limit", money(limit)), ("resulting", money(risk))],
            );
        }
        self.bp_used += cost;
        let Some(account) = &self.core.portfolio().account else {
            return;
        };
        let baseline = self.core.baseline();
        let needed = baseline.open_order_cost + self.bp_used;
        if needed > account.buying_power || baseline.unpriced_open_orders > 0 {
            self.violations.push(
                "INSUFFICIENT_BUYING_POWER",
                id,
                format!(
                    "decision {id}: needs {} of buying power with open orders and earlier decisions, {} is available{}",
                    money(needed),
                    money(account.buying_power),
                    if baseline.unpriced_open_orders > 0 { " (some open orders have no price)" } else { "" }
                ),
                &[
                    ("limit", money(account.buying_power)),
                    ("resulting", money(needed)),
                    ("open_orders", money(baseline.open_order_cost)),
                    ("unpriced_open_orders", baseline.unpriced_open_orders.to_string()),
                ],
            );
        }
    }

    /// `DAY_TRADE_LIMIT`: closing a position opened today when the house rule forbids it.
    pub(super) fn day_trade(&mut self, ctx: &Ctx<'_>) {
        let policy = self.core.policy();
        let Some(rule) = policy.day_trade else { return };
        let Some(account) = &self.core.portfolio().account else {
            return;
        };
        let reduces = matches!(ctx.action, Action::Reduce | Action::Close)
            || (ctx.position > Decimal::ZERO && ctx.side == Side::Sell)
            || (ctx.position < Decimal::ZERO && ctx.side == Side::Buy);
        if reduces
            && account.equity < rule.min_equity
            && account.day_trades_5d >= rule.max_day_trades_5d
            && self.core.portfolio().opened_today.contains(ctx.key)
        {
            self.violations.push(
                "DAY_TRADE_LIMIT",
                ctx.id,
                format!(
                    "decision {}: {} was opened today and {} day trades in 5 sessions reach the limit of {} below equity {}",
                    ctx.id,
                    ctx.key,
                    account.day_trades_5d,
                    rule.max_day_trades_5d,
                    money(rule.min_equity)
                ),
                &[("limit", rule.max_day_trades_5d.to_string()), ("day_trades_5d", account.day_trades_5d.to_string()), ("min_equity", money(rule.min_equity))],
            );
        }
    }
}
