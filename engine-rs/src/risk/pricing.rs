//! Pricing a decision's order for risk: conservative reference prices, mids and option legs.

use rust_decimal::Decimal;

use super::market::{MarketIndex, QuoteProblem};
use super::policy::Policy;
use crate::decimal::{from_f64, to_f64};
use crate::options::{Contract, price_greeks};
use crate::plan::{Instrument, Leg, OptionKind, OrderKind, OrderSpec, Side, TradeDecision};
use crate::portfolio::{AssetKind, GreekVec};
use crate::wire::OptionQuoteView;

const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;
/// Options stop trading at 20:00 UTC (16:00 New York in summer; conservative in winter).
const EXPIRY_HOUR_UTC: i64 = 20;

/// One option leg as the order executes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PricedLeg<'a> {
    pub symbol: &'a str,
    /// The side this leg is traded on (inverted when the order sells the spread).
    pub side: Side,
    pub ratio: Decimal,
    pub kind: OptionKind,
    pub strike: Decimal,
    pub mid: Decimal,
    /// Per-contract Greeks (without the x100 multiplier), when known.
    pub greeks: Option<GreekVec>,
}

/// A decision's order, priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced<'a> {
    pub kind: AssetKind,
    /// Signed cash per unit before the multiplier: positive pays (debit), negative receives.
    pub paid: Decimal,
    /// The `DecisionCheck.reference_price`: a positive price, or a spread's signed net.
    pub reference_price: Decimal,
    /// Cash per unit at the mid, same sign convention as `paid`.
    pub mid_paid: Decimal,
    /// Σ ratio x mid over legs (the mid itself for equities).
    pub gross_mid: Decimal,
    /// The limit price in `paid` terms.
    pub limit_paid: Option<Decimal>,
    /// The price the stop and take-profit levels are compared with.
    pub entry: Decimal,
    pub legs: Vec<PricedLeg<'a>>,
    /// The first leg without Greeks or IV.
    pub greeks_missing: Option<&'a str>,
}

/// Prices the order of `trade` on `side`.
///
/// # Errors
/// The first quote problem met (missing, stale or insane quote).
pub fn price<'a>(
    trade: &TradeDecision<'a>,
    side: Side,
    market: &MarketIndex<'_>,
    policy: &Policy,
) -> Result<Priced<'a>, QuoteProblem> {
    match &trade.instrument {
        Instrument::Equity { symbol } => price_equity(symbol, trade.order, side, market, policy),
        Instrument::Option { underlying, legs } => {
            price_option(underlying, legs, trade.order, side, market, policy)
        }
    }
}

fn price_equity<'a>(
    symbol: &str,
    order: OrderSpec,
    side: Side,
    market: &MarketIndex<'_>,
    policy: &Policy,
) -> Result<Priced<'a>, QuoteProblem> {
    let buffer = policy.market_order_buffer_pct;
    let px = market.quote(symbol)?;
    let mid = px.mid();
    let price = match (order.kind, side, order.limit_price) {
        (OrderKind::Limit | OrderKind::StopLimit, _, Some(limit)) => limit,
        (OrderKind::Stop, Side::Buy, _) => {
            order.stop_price.unwrap_or(px.ask).max(px.ask) * (Decimal::ONE + buffer)
        }
        (OrderKind::Stop, Side::Sell, _) => {
            order.stop_price.unwrap_or(px.bid).min(px.bid) * (Decimal::ONE - buffer)
        }
        (_, Side::Buy, _) => px.ask * (Decimal::ONE + buffer),
        (_, Side::Sell, _) => px.bid * (Decimal::ONE - buffer),
    };
    Ok(Priced {
        kind: AssetKind::Equity,
        paid: side.apply(price),
        reference_price: price,
        mid_paid: side.apply(mid),
        gross_mid: mid,
        limit_paid: order.limit_price.map(|limit| side.apply(limit)),
        entry: price,
        legs: Vec::new(),
        greeks_missing: None,
    })
}

/// Per-contract Greeks from the chain, else Black-Scholes from the chain's implied volatility.
fn leg_greeks(
    leg: &Leg<'_>,
    chain: &OptionQuoteView<'_>,
    spot: Decimal,
    now: i64,
) -> Option<GreekVec> {
    if let Some(greeks) = chain.greeks {
        return greeks.is_finite().then_some(greeks);
    }
    if chain.implied_volatility <= 0.0 {
        return None;
    }
    let seconds = (leg.expiry.seconds_at(EXPIRY_HOUR_UTC) - now).max(3600);
    #[expect(
        clippy::cast_precision_loss,
        reason = "seconds to expiry are far below 2^52"
    )]
    let t_years = seconds as f64 / SECONDS_PER_YEAR;
    let contract = Contract {
        kind: leg.kind,
        spot: to_f64(spot),
        strike: to_f64(leg.strike),
        t_years,
        rate: 0.0,
        dividend: 0.0,
    };
    let g = price_greeks(&contract, chain.implied_volatility).ok()?;
    Some(GreekVec {
        delta: g.delta,
        gamma: g.gamma,
        vega: g.vega,
        theta: g.theta,
    })
}

fn price_option<'a>(
    underlying: &str,
    legs: &[Leg<'a>],
    order: OrderSpec,
    side: Side,
    market: &MarketIndex<'_>,
    policy: &Policy,
) -> Result<Priced<'a>, QuoteProblem> {
    let spot = market.quote(underlying)?.mid();
    let mut priced = Priced {
        kind: AssetKind::Option,
        paid: Decimal::ZERO,
        reference_price: Decimal::ZERO,
        mid_paid: Decimal::ZERO,
        gross_mid: Decimal::ZERO,
        limit_paid: None,
        entry: spot,
        legs: Vec::with_capacity(legs.len()),
        greeks_missing: None,
    };
    let mut gross = Decimal::ZERO;
    for leg in legs {
        let (px, chain) = market.option(leg.occ_symbol)?;
        let leg_side = if side == Side::Buy {
            leg.side
        } else {
            leg.side.opposite()
        };
        let ratio = Decimal::from(leg.ratio);
        let conservative = if leg_side == Side::Buy {
            px.ask
        } else {
            px.bid
        };
        priced.paid += leg_side.apply(ratio) * conservative;
        gross += ratio * conservative;
        let mid = px.mid();
        priced.mid_paid += leg_side.apply(ratio) * mid;
        priced.gross_mid += ratio * mid;
        let greeks = leg_greeks(leg, chain, spot, market.now);
        if greeks.is_none() && priced.greeks_missing.is_none() {
            priced.greeks_missing = Some(leg.occ_symbol);
        }
        priced.legs.push(PricedLeg {
            symbol: leg.occ_symbol,
            side: leg_side,
            ratio,
            kind: leg.kind,
            strike: leg.strike,
            mid,
            greeks,
        });
    }
    if matches!(order.kind, OrderKind::Market | OrderKind::Stop) {
        priced.paid += policy.market_order_buffer_pct * gross;
    }
    let single = priced.legs.len() == 1;
    // A single leg's limit is its premium; a spread's is the signed net of the executed legs.
    let first_sign = priced
        .legs
        .first()
        .map_or(Decimal::ONE, |leg| leg.side.sign());
    priced.limit_paid = order
        .limit_price
        .map(|limit| if single { first_sign * limit } else { limit });
    if let (Some(limit), OrderKind::Limit | OrderKind::StopLimit) = (priced.limit_paid, order.kind)
    {
        priced.paid = limit;
    }
    priced.reference_price = if single {
        priced.paid.abs()
    } else {
        priced.paid
    };
    Ok(priced)
}

/// Largest loss of one unit at expiry in price terms (x1), or None when unbounded or naked.
#[must_use]
pub fn max_loss(legs: &[PricedLeg<'_>], paid: Decimal) -> Option<Decimal> {
    // side x ratio of each leg, worked out once for the payoffs below.
    let mut signed = [Decimal::ZERO; crate::plan::MAX_LEGS];
    if legs.len() > signed.len() {
        return max_loss_general(legs, paid);
    }
    for (slot, leg) in signed.iter_mut().zip(legs) {
        *slot = leg.side.apply(leg.ratio);
    }
    let signed = &signed[..legs.len()];
    let net = |kind: OptionKind| -> Decimal {
        legs.iter()
            .zip(signed)
            .filter(|(l, _)| l.kind == kind)
            .map(|(_, s)| *s)
            .sum()
    };
    // A net short call is unbounded; a net short put is a naked short the policy treats alike.
    if net(OptionKind::Call) < Decimal::ZERO || net(OptionKind::Put) < Decimal::ZERO {
        return None;
    }
    let payoff = |spot: Decimal| -> Decimal {
        legs.iter()
            .zip(signed)
            .map(|(l, s)| {
                let intrinsic = match l.kind {
                    OptionKind::Call => (spot - l.strike).max(Decimal::ZERO),
                    OptionKind::Put => (l.strike - spot).max(Decimal::ZERO),
                };
                *s * intrinsic
            })
            .sum::<Decimal>()
            - paid
    };
    let worst = legs
        .iter()
        .map(|l| payoff(l.strike))
        .fold(payoff(Decimal::ZERO), Decimal::min);
    Some((-worst).max(Decimal::ZERO))
}

/// [`max_loss`] for any number of legs.
fn max_loss_general(legs: &[PricedLeg<'_>], paid: Decimal) -> Option<Decimal> {
    let net = |kind: OptionKind| -> Decimal {
        legs.iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.side.sign() * l.ratio)
            .sum()
    };
    // A net short call is unbounded; a net short put is a naked short the policy treats alike.
    if net(OptionKind::Call) < Decimal::ZERO || net(OptionKind::Put) < Decimal::ZERO {
        return None;
    }
    let payoff = |spot: Decimal| -> Decimal {
        legs.iter()
            .map(|l| {
                let intrinsic = match l.kind {
                    OptionKind::Call => (spot - l.strike).max(Decimal::ZERO),
                    OptionKind::Put => (l.strike - spot).max(Decimal::ZERO),
                };
                l.side.sign() * l.ratio * intrinsic
            })
            .sum::<Decimal>()
            - paid
    };
    let worst = legs
        .iter()
        .map(|l| payoff(l.strike))
        .fold(payoff(Decimal::ZERO), Decimal::min);
    Some((-worst).max(Decimal::ZERO))
}

/// Converts Greeks per contract to per unit of the book (x100).
#[must_use]
pub fn per_unit(greeks: GreekVec) -> GreekVec {
    // The multiplier (100) is exact in f64.
    const MULTIPLIER: f64 = 100.0;
    greeks.scaled(MULTIPLIER)
}

/// A decimal from an f64 for messages (0 when not finite).
#[must_use]
pub fn dec(value: f64) -> Decimal {
    from_f64(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::to_f64;

    #[test]
    fn the_multiplier_is_exact_in_floating_point() {
        assert_eq!(
            to_f64(crate::portfolio::OPTION_MULTIPLIER).to_bits(),
            100.0f64.to_bits()
        );
    }

    proptest::proptest! {
        #[test]
        fn max_loss_with_signed_ratios_worked_out_once_is_the_general_one(
            legs in proptest::collection::vec((0u8..4, 1u32..4, 1i64..100_000), 1..=4),
            paid in -100_000i64..100_000,
        ) {
            let legs: Vec<PricedLeg<'_>> = legs
                .into_iter()
                .map(|(shape, ratio, strike)| PricedLeg {
                    symbol: "X",
                    side: if shape % 2 == 0 { Side::Buy } else { Side::Sell },
                    ratio: Decimal::from(ratio),
                    kind: if shape < 2 { OptionKind::Call } else { OptionKind::Put },
                    strike: Decimal::new(strike, 2),
                    mid: Decimal::ONE,
                    greeks: None,
                })
                .collect();
            let paid = Decimal::new(paid, 3);
            proptest::prop_assert_eq!(
                max_loss(&legs, paid).map(|d| d.serialize()),
                max_loss_general(&legs, paid).map(|d| d.serialize())
            );
        }
    }
}
