//! Implied volatility by a bracketed Newton iteration that falls back to bisection.

use super::OptionMathError;
use super::black_scholes::{Contract, check_inputs, unchecked};
use crate::plan::OptionKind;

const VOL_LOW: f64 = 1e-6;
const VOL_HIGH: f64 = 10.0;
const TOLERANCE: f64 = 1e-10;
const MAX_ITERATIONS: usize = 200;

/// The volatility at which the model price equals `price`.
///
/// # Errors
/// `OptionMathError` for bad inputs, a price outside the no-arbitrage bounds, or no root in
/// (1e-6, 10).
pub fn implied_vol(contract: &Contract, price: f64) -> Result<f64, OptionMathError> {
    check_inputs(contract)?;
    if !price.is_finite() {
        return Err(OptionMathError::NonFinite {
            field: "price",
            value: price,
        });
    }
    let forward_spot = contract.spot * (-contract.dividend * contract.t_years).exp();
    let pv_strike = contract.strike * (-contract.rate * contract.t_years).exp();
    let (lower, upper) = match contract.kind {
        OptionKind::Call => ((forward_spot - pv_strike).max(0.0), forward_spot),
        OptionKind::Put => ((pv_strike - forward_spot).max(0.0), pv_strike),
    };
    if price <= lower || price >= upper {
        return Err(OptionMathError::OutsideBounds {
            price,
            lower,
            upper,
        });
    }
    let (mut low, mut high) = (VOL_LOW, VOL_HIGH);
    if unchecked(contract, low).price > price || unchecked(contract, high).price < price {
        return Err(OptionMathError::NoConvergence(price));
    }
    let mut vol = 0.3;
    for _ in 0..MAX_ITERATIONS {
        let model = unchecked(contract, vol);
        let diff = model.price - price;
        if diff.abs() < TOLERANCE {
            return Ok(vol);
        }
        if diff > 0.0 {
            high = vol;
        } else {
            low = vol;
        }
        // vega is per point: the derivative per unit of vol is 100x.
        let slope = model.vega * 100.0;
        let newton = vol - diff / slope;
        vol = if slope > 1e-12 && newton > low && newton < high {
            newton
        } else {
            0.5 * (low + high)
        };
        if high - low < 1e-14 {
            return Ok(vol);
        }
    }
    Err(OptionMathError::NoConvergence(price))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::price_greeks;

    #[test]
    fn implied_vol_recovers_the_pricing_vol() {
        for (kind, strike, vol) in [
            (OptionKind::Call, 100.0, 0.25),
            (OptionKind::Put, 80.0, 0.6),
            (OptionKind::Call, 150.0, 1.5),
            (OptionKind::Put, 120.0, 0.05),
        ] {
            let c = Contract {
                kind,
                spot: 100.0,
                strike,
                t_years: 0.5,
                rate: 0.04,
                dividend: 0.01,
            };
            let price = price_greeks(&c, vol).unwrap().price;
            let found = implied_vol(&c, price).unwrap();
            assert!(
                (found - vol).abs() < 1e-6,
                "{kind:?} {strike}: {found} vs {vol}"
            );
        }
    }

    #[test]
    fn price_outside_no_arbitrage_bounds_has_no_implied_vol() {
        let c = Contract {
            kind: OptionKind::Call,
            spot: 100.0,
            strike: 90.0,
            t_years: 0.5,
            rate: 0.0,
            dividend: 0.0,
        };
        assert!(implied_vol(&c, 5.0).is_err(), "below intrinsic");
        assert!(implied_vol(&c, 100.5).is_err(), "above the spot");
    }
}
