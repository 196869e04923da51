//! Checks on the resulting book: per-instrument, portfolio, Greeks and sector limits.
//! A portfolio-wide limit is only violated by a decision that makes its metric worse.

use rust_decimal::Decimal;

use super::evaluate::{Ctx, Run};
use super::pricing::dec;
use crate::decimal::{fmt, money};
use crate::portfolio::{GreekVec, KeyAgg};

/// The book's metrics before a decision.
pub(super) struct Snapshot {
    key: KeyAgg,
    gross: Decimal,
    net: Decimal,
    greeks: GreekVec,
    delta: f64,
    sector: Decimal,
}

fn ratio_text(value: Decimal) -> String {
    fmt(value.round_dp(4))
}

impl Run<'_> {
    pub(super) fn snapshot(&self, ctx: &Ctx<'_>) -> Snapshot {
        Snapshot {
            key: self.book.key_agg(ctx.slot, ctx.priced.kind),
            gross: self.book.gross,
            net: self.book.net,
            greeks: self.book.greeks,
            delta: self.book.delta_of(ctx.slot),
            sector: self
                .book
                .key_sector_gross(ctx.slot)
                .unwrap_or(Decimal::ZERO),
        }
    }

    pub(super) fn limits(&mut self, ctx: &Ctx<'_>, before: &Snapshot) {
        self.instrument_limits(ctx, before);
        self.portfolio_limits(ctx, before);
        if !ctx.priced.legs.is_empty() {
            self.greek_limits(ctx, before);
        }
        self.sector_limits(ctx, before);
    }

    fn instrument_limits(&mut self, ctx: &Ctx<'_>, before: &Snapshot) {
        let after = self.book.key_agg(ctx.slot, ctx.priced.kind);
        if after.units <= before.key.units && after.notional <= before.key.notional {
            return;
        }
        let policy = self.core.policy();
        let id = ctx.id;
        let key = ctx.key;
        if after.units > policy.max_units {
            self.violations.push(
                "MAX_UNITS_EXCEEDED",
                id,
                format!("decision {id}: resulting {} units of {key} (open orders included) exceed the limit of {}", fmt(after.units), fmt(policy.max_units)),
                &[("limit", fmt(policy.max_units)), ("resulting", fmt(after.units)), ("symbol", key.to_owned())],
            );
        }
        if after.notional > policy.max_notional {
            self.violations.push(
                "MAX_NOTIONAL_EXCEEDED",
                id,
                format!(
                    "decision {id}: resulting notional {} in {key} exceeds the limit of {}",
                    money(after.notional),
                    money(policy.max_notional)
                ),
                &[
                    ("limit", money(policy.max_notional)),
                    ("resulting", money(after.notional)),
                    ("symbol", key.to_owned()),
                ],
            );
        }
        if after.notional > self.core.caps().equity_pct {
            let pct = after.notional / ctx.equity;
            self.violations.push(
                "MAX_EQUITY_PCT_EXCEEDED",
                id,
                format!(
                    "decision {id}: {key} would be {}% of equity, the limit is {}%",
                    fmt((pct * Decimal::ONE_HUNDRED).round_dp(2)),
                    fmt(policy.max_equity_pct * Decimal::ONE_HUNDRED)
                ),
                &[
                    ("limit", fmt(policy.max_equity_pct)),
                    ("resulting", ratio_text(pct)),
                    ("symbol", key.to_owned()),
                ],
            );
        }
    }

    fn portfolio_limits(&mut self, ctx: &Ctx<'_>, before: &Snapshot) {
        let policy = self.core.policy();
        let id = ctx.id;
        let (gross, net) = (self.book.gross, self.book.net);
        if gross > policy.max_gross_notional && gross > before.gross {
            self.violations.push(
                "MAX_GROSS_NOTIONAL_EXCEEDED",
                id,
                format!(
                    "decision {id}: gross notional would be {}, the limit is {}",
                    money(gross),
                    money(policy.max_gross_notional)
                ),
                &[
                    ("limit", money(policy.max_gross_notional)),
                    ("resulting", money(gross)),
                ],
            );
        }
        if net.abs() > policy.max_net_notional && net.abs() > before.net.abs() {
            self.violations.push(
                "MAX_NET_NOTIONAL_EXCEEDED",
                id,
                format!(
                    "decision {id}: net notional would be {}, the limit is ±{}",
                    money(net),
                    money(policy.max_net_notional)
                ),
                &[
                    ("limit", money(policy.max_net_notional)),
                    ("resulting", money(net)),
                ],
            );
        }
        if gross > self.core.caps().leverage && gross > before.gross {
            let leverage = gross / ctx.equity;
            self.violations.push(
                "MAX_LEVERAGE_EXCEEDED",
                id,
                format!(
                    "decision {id}: leverage would be {}, the limit is {}",
                    ratio_text(leverage),
                    fmt(policy.max_leverage)
                ),
                &[
                    ("limit", fmt(policy.max_leverage)),
                    ("resulting", ratio_text(leverage)),
                ],
            );
        }
    }

    fn greek_limits(&mut self, ctx: &Ctx<'_>, before: &Snapshot) {
        let policy = self.core.policy();
        let id = ctx.id;
        if let Some(symbol) = ctx.priced.greeks_missing {
            self.violations.push(
                "GREEKS_UNAVAILABLE",
                id,
                format!("decision {id}: {symbol} has neither Greeks nor an implied volatility: the Greek limits cannot be checked"),
                &[("symbol", symbol.to_owned())],
            );
            return;
        }
        let after = self.book.greeks;
        let delta = self.book.delta_of(ctx.slot);
        let key = ctx.key;
        let mut check = |code: &str, name: &str, value: f64, was: f64, limit: f64| {
            if value.abs() > limit && value.abs() > was.abs() {
                let name = if name.is_empty() {
                    format!("delta of {key}")
                } else {
                    name.to_owned()
                };
                self.violations.push(
                    code,
                    id,
                    format!(
                        "decision {id}: {name} would be {}, the limit is ±{}",
                        fmt(dec(value).round_dp(2)),
                        fmt(dec(limit))
                    ),
                    &[
                        ("limit", fmt(dec(limit))),
                        ("resulting", fmt(dec(value).round_dp(4))),
                    ],
                );
            }
        };
        // The per-underlying name is only written out when the check fails.
        check(
            "MAX_DELTA_PER_UNDERLYING",
            "",
            delta,
            before.delta,
            policy.max_delta_per_underlying,
        );
        check(
            "MAX_PORTFOLIO_DELTA",
            "portfolio delta",
            after.delta,
            before.greeks.delta,
            policy.max_portfolio_delta,
        );
        check(
            "MAX_PORTFOLIO_GAMMA",
            "portfolio gamma",
            after.gamma,
            before.greeks.gamma,
            policy.max_portfolio_gamma,
        );
        check(
            "MAX_PORTFOLIO_VEGA",
            "portfolio vega",
            after.vega,
            before.greeks.vega,
            policy.max_portfolio_vega,
        );
        if after.theta < policy.max_portfolio_theta && after.theta < before.greeks.theta {
            self.violations.push(
                "MAX_PORTFOLIO_THETA",
                id,
                format!(
                    "decision {id}: portfolio theta would be {} per day, the floor is {}",
                    fmt(dec(after.theta).round_dp(2)),
                    fmt(dec(policy.max_portfolio_theta))
                ),
                &[
                    ("limit", fmt(dec(policy.max_portfolio_theta))),
                    ("resulting", fmt(dec(after.theta).round_dp(4))),
                ],
            );
        }
    }

    fn sector_limits(&mut self, ctx: &Ctx<'_>, before: &Snapshot) {
        let policy = self.core.policy();
        let id = ctx.id;
        let Some(sector) = self.book.key_sector(ctx.slot) else {
            if ctx.opening && !policy.allow_unknown_sector {
                self.violations.push(
                    "UNKNOWN_SECTOR",
                    id,
                    format!("decision {id}: {} has no sector in the policy and unknown sectors are denied", ctx.key),
                    &[("symbol", ctx.key.to_owned())],
                );
            }
            return;
        };
        let after = self.book.key_sector_gross(ctx.slot).unwrap_or_default();
        if after > self.core.caps().sector && after > before.sector {
            let pct = after / ctx.equity;
            self.violations.push(
                "MAX_SECTOR_PCT_EXCEEDED",
                id,
                format!(
                    "decision {id}: sector {sector} would be {}% of equity, the limit is {}%",
                    fmt((pct * Decimal::ONE_HUNDRED).round_dp(2)),
                    fmt(policy.max_sector_pct * Decimal::ONE_HUNDRED)
                ),
                &[
                    ("limit", fmt(policy.max_sector_pct)),
                    ("resulting", ratio_text(pct)),
                    ("sector", sector.to_owned()),
                ],
            );
        }
    }
}
