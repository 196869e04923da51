//! The risk core: a policy and a portfolio held between checks.

use rust_decimal::Decimal;

use super::evaluate::evaluate;
use super::policy::Policy;
use super::trading_state::{self, Verdict};
use crate::pb;
use crate::plan::{self, PlanError};
use crate::portfolio::{self, Baseline, Exposure, Portfolio};

/// The deterministic risk core.
#[derive(Debug, Clone)]
pub struct RiskCore {
    policy: Policy,
    portfolio: Portfolio,
    baseline: Baseline,
}

impl RiskCore {
    /// A core with a policy and an empty portfolio (no account: every order is denied).
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        let portfolio = Portfolio::default();
        let baseline = Baseline::build(&portfolio, &policy.sector_by_symbol);
        Self {
            policy,
            portfolio,
            baseline,
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

    /// The sector of a symbol or underlying under the policy.
    #[must_use]
    pub fn policy_sector(&self, key: &str) -> Option<&str> {
        self.policy.sector_by_symbol.get(key).map(String::as_str)
    }

    /// Swaps the policy (hot reload); the portfolio stays.
    pub fn set_policy(&mut self, policy: Policy) {
        self.baseline = Baseline::build(&self.portfolio, &policy.sector_by_symbol);
        self.policy = policy;
    }

    /// Replaces the portfolio.
    pub fn set_portfolio(&mut self, portfolio: Portfolio) {
        self.baseline = Baseline::build(&portfolio, &self.policy.sector_by_symbol);
        self.portfolio = portfolio;
    }

    /// The trading state and why.
    #[must_use]
    pub fn trading_verdict(&self) -> Verdict {
        trading_state::evaluate(self.portfolio.account.as_ref(), &self.policy)
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
        let plan = plan::validate(plan)?;
        Ok(evaluate(self, &plan, market))
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
