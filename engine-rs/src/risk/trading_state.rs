//! The trading state: the account's state combined with the loss and drawdown breakers.

use rust_decimal::Decimal;

use super::policy::Policy;
use crate::decimal::fmt;
use crate::pb::TradingState;
use crate::portfolio::Account;

/// The state and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: TradingState,
    pub reason: String,
}

fn rank(state: TradingState) -> u8 {
    match state {
        TradingState::Active => 0,
        TradingState::Reducing => 1,
        TradingState::Unspecified | TradingState::Halted => 2,
    }
}

/// The worst of the account's state and the breakers.
#[must_use]
pub fn evaluate(account: Option<&Account>, policy: &Policy) -> Verdict {
    let Some(account) = account else {
        return Verdict {
            state: TradingState::Halted,
            reason: "no account state".to_owned(),
        };
    };
    let mut verdict = match TradingState::try_from(account.trading_state) {
        Ok(TradingState::Unspecified) | Err(_) => {
            return Verdict {
                state: TradingState::Halted,
                reason: format!(
                    "account trading_state {} is unspecified or unknown",
                    account.trading_state
                ),
            };
        }
        Ok(state) => Verdict {
            state,
            reason: format!("account state {}", state.as_str_name()),
        },
    };
    let mut worsen = |state: TradingState, reason: String| {
        if rank(state) > rank(verdict.state) {
            verdict = Verdict { state, reason };
        }
    };
    if let Some(start) = account.day_start_equity.filter(|v| *v > Decimal::ZERO) {
        let loss = (start - account.equity) / start;
        if loss >= policy.daily_loss_halt_pct {
            worsen(
                TradingState::Halted,
                format!(
                    "daily loss {} >= halt {}",
                    fmt(loss.round_dp(4)),
                    fmt(policy.daily_loss_halt_pct)
                ),
            );
        } else if loss >= policy.daily_loss_reducing_pct {
            worsen(
                TradingState::Reducing,
                format!(
                    "daily loss {} >= reducing {}",
                    fmt(loss.round_dp(4)),
                    fmt(policy.daily_loss_reducing_pct)
                ),
            );
        }
    }
    if let Some(peak) = account.high_water_mark.filter(|v| *v > Decimal::ZERO) {
        let drawdown = (peak - account.equity) / peak;
        if drawdown >= policy.max_drawdown_pct {
            worsen(
                TradingState::Halted,
                format!(
                    "drawdown {} >= max {}",
                    fmt(drawdown.round_dp(4)),
                    fmt(policy.max_drawdown_pct)
                ),
            );
        }
    }
    verdict
}
