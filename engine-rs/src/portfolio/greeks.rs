//! A vector of Greeks that adds and scales.

/// Delta, gamma, vega (per vol point) and theta (per day).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GreekVec {
    pub delta: f64,
    pub gamma: f64,
    pub vega: f64,
    pub theta: f64,
}

impl GreekVec {
    /// Each Greek times `factor`.
    #[must_use]
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            delta: self.delta * factor,
            gamma: self.gamma * factor,
            vega: self.vega * factor,
            theta: self.theta * factor,
        }
    }

    /// Adds `other` in place.
    pub fn add(&mut self, other: Self) {
        self.delta += other.delta;
        self.gamma += other.gamma;
        self.vega += other.vega;
        self.theta += other.theta;
    }

    /// From the wire Greeks.
    #[must_use]
    pub fn from_wire(greeks: &crate::pb::Greeks) -> Self {
        Self {
            delta: greeks.delta,
            gamma: greeks.gamma,
            vega: greeks.vega,
            theta: greeks.theta,
        }
    }

    /// True when every Greek is finite.
    #[must_use]
    pub fn is_finite(self) -> bool {
        self.delta.is_finite()
            && self.gamma.is_finite()
            && self.vega.is_finite()
            && self.theta.is_finite()
    }
}
