//! The standard normal density and distribution function in double precision.

use std::f64::consts::PI;

/// Standard normal density.
#[must_use]
pub fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// Standard normal cumulative distribution (Hart 1968 / West 2005, ~1e-15 absolute).
#[must_use]
#[expect(
    clippy::many_single_char_names,
    reason = "the published algorithm's names"
)]
pub fn cdf(x: f64) -> f64 {
    let z = x.abs();
    let tail = if z > 37.0 {
        0.0
    } else {
        let e = (-z * z / 2.0).exp();
        if z < 7.071_067_811_865_47 {
            let mut n = 3.526_249_659_989_11e-2 * z + 0.700_383_064_443_688;
            n = n * z + 6.373_962_203_531_65;
            n = n * z + 33.912_866_078_383;
            n = n * z + 112.079_291_497_871;
            n = n * z + 221.213_596_169_931;
            n = n * z + 220.206_867_912_376;
            let mut d = 8.838_834_764_831_84e-2 * z + 1.755_667_163_182_64;
            d = d * z + 16.064_177_579_207;
            d = d * z + 86.780_732_202_946_1;
            d = d * z + 296.564_248_779_674;
            d = d * z + 637.333_633_378_831;
            d = d * z + 793.826_512_519_948;
            d = d * z + 440.413_735_824_752;
            e * n / d
        } else {
            let mut b = z + 0.65;
            b = z + 4.0 / b;
            b = z + 3.0 / b;
            b = z + 2.0 / b;
            b = z + 1.0 / b;
            e / b / 2.506_628_274_631
        }
    };
    if x > 0.0 { 1.0 - tail } else { tail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_matches_known_values() {
        assert!((cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert!((cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-12);
        assert!((cdf(3.0) + cdf(-3.0) - 1.0).abs() < 1e-15);
    }
}
