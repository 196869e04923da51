//! The risk core: a policy and a portfolio held between checks.

use rust_decimal::Decimal;

use super::evaluate::evaluate;
use super::policy::Policy;
use super::response::Outcome;
use super::trading_state::{self, Verdict};
use crate::pb;
use crate::plan::{self, PlanError};
use crate::portfolio::{self, Baseline, Exposure, Portfolio};
use crate::wire::{MarketView, PlanView};

/// The deterministic risk core.
#[derive(Debug, Clone)]
pub struct RiskCore {
    policy: Policy,
    portfolio: Portfolio,
    baseline: Baseline,
    /// The trading state of the account under the policy, kept with them.
    verdict: Verdict,
    /// The policy's equity fractions in money at the account's equity.
    caps: Caps,
}

/// Limits that are fractions of equity, multiplied out once per policy and portfolio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Caps {
    /// `max_equity_pct` x equity.
    pub equity_pct: Decimal,
    /// `max_leverage` x equity.
    pub leverage: Decimal,
    /// `max_sector_pct` x equity.
    pub sector: Decimal,
    /// `max_risk_per_trade_pct` x equity.
    pub risk_per_trade: Decimal,
}

impl Caps {
    fn new(policy: &Policy, portfolio: &Portfolio) -> Self {
        let equity = portfolio
            .account
            .as_ref()
            .map_or(Decimal::ZERO, |a| a.equity);
        Self {
            equity_pct: policy.max_equity_pct * equity,
            leverage: policy.max_leverage * equity,
            sector: policy.max_sector_pct * equity,
            risk_per_trade: policy.max_risk_per_trade_pct * equity,
        }
    }
}

impl RiskCore {
    /// A core with a policy and an empty portfolio (no account: every order is denied).
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        let portfolio = Portfolio::default();
        let baseline = Baseline::build(&portfolio, &policy.sector_by_symbol);
        let verdict = trading_state::evaluate(portfolio.account.as_ref(), &policy);
        let caps = Caps::new(&policy, &portfolio);
        Self {
            policy,
            portfolio,
            baseline,
            verdict,
            caps,
        }
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The portfolio checks run against.
    #[must_use]
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    pub(super) fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    pub(super) fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    pub(super) fn caps(&self) -> &Caps {
        &self.caps
    }

    /// The sector of a symbol or underlying under the policy.
    #[must_use]
    pub fn policy_sector(&self, key: &str) -> Option<&str> {
        self.policy.sector_by_symbol.get(key).map(String::as_str)
    }

    /// Swaps the policy (hot reload); the portfolio stays.
    pub fn set_policy(&mut self, policy: Policy) {
        self.baseline = Baseline::build(&self.portfolio, &policy.sector_by_symbol);
        self.verdict = trading_state::evaluate(self.portfolio.account.as_ref(), &policy);
        self.caps = Caps::new(&policy, &self.portfolio);
        self.policy = policy;
    }

    /// Replaces the portfolio.
    pub fn set_portfolio(&mut self, portfolio: Portfolio) {
        self.baseline = Baseline::build(&portfolio, &self.policy.sector_by_symbol);
        self.verdict = trading_state::evaluate(portfolio.account.as_ref(), &self.policy);
        self.caps = Caps::new(&self.policy, &portfolio);
        self.portfolio = portfolio;
    }

    /// The trading state and why.
    #[must_use]
    pub fn trading_verdict(&self) -> Verdict {
        self.verdict.clone()
    }

    /// Validates a plan and checks it cumulatively against the policy and portfolio.
    ///
    /// # Errors
    /// `PlanError` for the first structural problem of the plan.
    pub fn check(
        &self,
        plan: &pb::DecisionPlan,
        market: &pb::MarketState,
    ) -> Result<pb::CheckConstraintsResponse, PlanError> {
        self.check_view(&PlanView::from_pb(plan), &MarketView::from_pb(market))
    }

    /// [`RiskCore::check`] on borrowed views of the messages.
    ///
    /// # Errors
    /// `PlanError` for the first structural problem of the plan.
    pub fn check_view(
        &self,
        plan: &PlanView<'_>,
        market: &MarketView<'_>,
    ) -> Result<pb::CheckConstraintsResponse, PlanError> {
        #[expect(
            clippy::redundant_closure_for_method_calls,
            reason = "the method path is not general over the outcome's lifetime"
        )]
        self.check_encoded(plan, market, |outcome| outcome.into_response())
    }

    /// Validates and checks the plan, writing the outcome out with `out`.
    pub(super) fn check_encoded<R>(
        &self,
        plan: &PlanView<'_>,
        market: &MarketView<'_>,
        out: impl FnOnce(Outcome<'_>) -> R,
    ) -> Result<R, PlanError> {
        let plan = plan::validate_view(plan)?;
        Ok(out(evaluate(self, &plan, market)))
    }

    /// The current exposure, marked at `market` where it has quotes.
    #[must_use]
    pub fn exposure(&self, market: &pb::MarketState) -> Exposure {
        portfolio::exposure(&self.portfolio, &self.policy.sector_by_symbol, market)
    }

    /// Equity of the account, zero without one.
    #[must_use]
    pub fn equity(&self) -> Decimal {
        self.portfolio
            .account
            .as_ref()
            .map_or(Decimal::ZERO, |a| a.equity)
    }
}
