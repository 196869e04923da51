//! Black-Scholes-Merton price and Greeks.

use super::OptionMathError;
use super::normal::{cdf, pdf};
use crate::plan::OptionKind;

/// The inputs of one European option valuation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contract {
    pub kind: OptionKind,
    pub spot: f64,
    pub strike: f64,
    /// Years to expiry.
    pub t_years: f64,
    /// Continuously compounded risk-free rate.
    pub rate: f64,
    /// Continuous dividend yield.
    pub dividend: f64,
}

/// Price and Greeks: vega and rho per 1 point (0.01), theta per calendar day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceGreeks {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub vega: f64,
    pub theta: f64,
    pub rho: f64,
}

pub(super) fn check_inputs(contract: &Contract) -> Result<(), OptionMathError> {
    for (field, value) in [
        ("spot", contract.spot),
        ("strike", contract.strike),
        ("t_years", contract.t_years),
        ("rate", contract.rate),
        ("dividend", contract.dividend),
    ] {
        if !value.is_finite() {
            return Err(OptionMathError::NonFinite { field, value });
        }
    }
    for (field, value) in [
        ("spot", contract.spot),
        ("strike", contract.strike),
        ("t_years", contract.t_years),
    ] {
        if value <= 0.0 {
            return Err(OptionMathError::NotPositive { field, value });
        }
    }
    Ok(())
}

/// Prices a European option and its Greeks.
///
/// # Errors
/// `OptionMathError` for non-finite inputs or a non-positive spot, strike, time or volatility.
pub fn price_greeks(contract: &Contract, vol: f64) -> Result<PriceGreeks, OptionMathError> {
    check_inputs(contract)?;
    if !vol.is_finite() {
        return Err(OptionMathError::NonFinite {
            field: "vol",
            value: vol,
        });
    }
    if vol <= 0.0 {
        return Err(OptionMathError::NotPositive {
            field: "vol",
            value: vol,
        });
    }
    Ok(unchecked(contract, vol))
}

/// The formulas, for inputs already checked.
pub(super) fn unchecked(c: &Contract, vol: f64) -> PriceGreeks {
    let sqrt_t = c.t_years.sqrt();
    let d1 = ((c.spot / c.strike).ln() + (c.rate - c.dividend + 0.5 * vol * vol) * c.t_years)
        / (vol * sqrt_t);
    let d2 = d1 - vol * sqrt_t;
    let q_disc = (-c.dividend * c.t_years).exp();
    let r_disc = (-c.rate * c.t_years).exp();
    let gamma = q_disc * pdf(d1) / (c.spot * vol * sqrt_t);
    let vega = c.spot * q_disc * pdf(d1) * sqrt_t;
    let decay = -c.spot * q_disc * pdf(d1) * vol / (2.0 * sqrt_t);
    let (price, delta, theta, rho) = match c.kind {
        OptionKind::Call => (
            c.spot * q_disc * cdf(d1) - c.strike * r_disc * cdf(d2),
            q_disc * cdf(d1),
            decay - c.rate * c.strike * r_disc * cdf(d2) + c.dividend * c.spot * q_disc * cdf(d1),
            c.strike * c.t_years * r_disc * cdf(d2),
        ),
        OptionKind::Put => (
            c.strike * r_disc * cdf(-d2) - c.spot * q_disc * cdf(-d1),
            -q_disc * cdf(-d1),
            decay + c.rate * c.strike * r_disc * cdf(-d2) - c.dividend * c.spot * q_disc * cdf(-d1),
            -c.strike * c.t_years * r_disc * cdf(-d2),
        ),
    };
    PriceGreeks {
        price,
        delta,
        gamma,
        vega: vega / 100.0,
        theta: theta / 365.0,
        rho: rho / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(kind: OptionKind, spot: f64, strike: f64, t: f64, rate: f64) -> Contract {
        Contract {
            kind,
            spot,
            strike,
            t_years: t,
            rate,
            dividend: 0.0,
        }
    }

    #[test]
    fn hull_example_15_6_call_and_put_prices() {
        let call = price_greeks(&contract(OptionKind::Call, 42.0, 40.0, 0.5, 0.10), 0.2).unwrap();
        let put = price_greeks(&contract(OptionKind::Put, 42.0, 40.0, 0.5, 0.10), 0.2).unwrap();
        assert!((call.price - 4.76).abs() < 0.005, "{}", call.price);
        assert!((put.price - 0.81).abs() < 0.005, "{}", put.price);
    }

    #[test]
    fn hull_greeks_example_call_on_non_dividend_stock() {
        let g = price_greeks(&contract(OptionKind::Call, 49.0, 50.0, 0.3846, 0.05), 0.2).unwrap();
        assert!((g.price - 2.40).abs() < 0.005, "price {}", g.price);
        assert!((g.delta - 0.522).abs() < 0.0005, "delta {}", g.delta);
        assert!((g.gamma - 0.066).abs() < 0.0005, "gamma {}", g.gamma);
        assert!((g.vega - 0.121).abs() < 0.0005, "vega {}", g.vega);
        assert!(
            (g.theta - (-4.31 / 365.0)).abs() < 0.0001,
            "theta {}",
            g.theta
        );
        assert!((g.rho - 0.0891).abs() < 0.0001, "rho {}", g.rho);
    }

    #[test]
    fn put_call_parity_holds_with_dividends() {
        let mut c = contract(OptionKind::Call, 100.0, 95.0, 0.75, 0.03);
        c.dividend = 0.02;
        let call = price_greeks(&c, 0.3).unwrap();
        let put = price_greeks(
            &Contract {
                kind: OptionKind::Put,
                ..c
            },
            0.3,
        )
        .unwrap();
        let parity = 100.0 * (-0.02f64 * 0.75).exp() - 95.0 * (-0.03f64 * 0.75).exp();
        assert!((call.price - put.price - parity).abs() < 1e-10);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let c = contract(OptionKind::Call, 100.0, 100.0, 0.0, 0.01);
        assert!(price_greeks(&c, 0.2).is_err());
        let c = contract(OptionKind::Call, f64::NAN, 100.0, 1.0, 0.01);
        assert!(price_greeks(&c, 0.2).is_err());
        let c = contract(OptionKind::Call, 100.0, 100.0, 1.0, 0.01);
        assert!(price_greeks(&c, 0.0).is_err());
    }
}
