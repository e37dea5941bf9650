//! Real polynomials in a normalised Laplace variable, and their complex roots.
//!
//! Circuit impedances are rational in `s`; their poles and zeros span 1 Hz to 1 MHz, so the
//! polynomials are kept in `s / S_NORM_RAD_PER_S` to stay well conditioned.

use num_complex::Complex64;

/// The normalising angular frequency of every polynomial here (1 kHz).
pub const S_NORM_RAD_PER_S: f64 = 2.0 * std::f64::consts::PI * 1000.0;

/// A real polynomial, coefficients in ascending powers of the normalised variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Poly(pub Vec<f64>);

impl Poly {
    /// The constant polynomial `c`.
    pub fn constant(c: f64) -> Self {
        Poly(vec![c])
    }

    /// `c · s` in the physical variable `s` (rad/s), stored normalised.
    pub fn linear(c_per_rad_per_s: f64) -> Self {
        Poly(vec![0.0, c_per_rad_per_s * S_NORM_RAD_PER_S])
    }

    /// Product of two polynomials.
    pub fn mul(&self, other: &Poly) -> Poly {
        let mut out = vec![0.0; self.0.len() + other.0.len() - 1];
        for (i, a) in self.0.iter().enumerate() {
            for (j, b) in other.0.iter().enumerate() {
                out[i + j] += a * b;
            }
        }
        Poly(out)
    }

    /// Sum of two polynomials.
    pub fn add(&self, other: &Poly) -> Poly {
        let n = self.0.len().max(other.0.len());
        Poly(
            (0..n)
                .map(|i| {
                    self.0.get(i).copied().unwrap_or(0.0) + other.0.get(i).copied().unwrap_or(0.0)
                })
                .collect(),
        )
    }

    /// Value at the physical complex frequency `s` (rad/s).
    pub fn eval(&self, s: Complex64) -> Complex64 {
        let x = s / S_NORM_RAD_PER_S;
        self.0
            .iter()
            .rev()
            .fold(Complex64::new(0.0, 0.0), |acc, c| acc * x + c)
    }

    /// Drops leading coefficients that are negligible against the largest one.
    fn trimmed(&self) -> Vec<f64> {
        let max = self.0.iter().fold(0.0f64, |m, c| m.max(c.abs()));
        let mut c = self.0.clone();
        while c.len() > 1 && c.last().is_some_and(|v| v.abs() <= max * 1e-14) {
            c.pop();
        }
        c
    }

    /// The roots, in physical rad/s, from the eigenvalues of the companion matrix.
    pub fn roots(&self) -> Vec<Complex64> {
        let c = self.trimmed();
        let n = c.len() - 1;
        if n == 0 {
            return Vec::new();
        }
        let lead = c[n];
        let mut m = nalgebra::DMatrix::<f64>::zeros(n, n);
        for i in 1..n {
            m[(i, i - 1)] = 1.0;
        }
        for i in 0..n {
            m[(i, n - 1)] = -c[i] / lead;
        }
        m.complex_eigenvalues()
            .iter()
            .map(|r| r * S_NORM_RAD_PER_S)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_a_resonance() {
        // s^2 + s·w0/Q + w0^2 at 100 Hz, Q = 2, written in normalised units.
        let w0 = 2.0 * std::f64::consts::PI * 100.0;
        let q = 2.0;
        let k = S_NORM_RAD_PER_S;
        let p = Poly(vec![w0 * w0 / (k * k), w0 / q / k, 1.0]);
        let roots = p.roots();
        assert_eq!(roots.len(), 2);
        for r in roots {
            assert!((r.norm() - w0).abs() < 1e-6 * w0, "{r}");
            assert!((-r.re / r.norm() - 1.0 / (2.0 * q)).abs() < 1e-9);
        }
    }

    #[test]
    fn eval_matches_hand_value() {
        let p = Poly::constant(3.0).add(&Poly::linear(2e-3));
        let s = Complex64::new(0.0, 1000.0);
        let v = p.eval(s);
        assert!((v - Complex64::new(3.0, 2.0)).norm() < 1e-12);
    }
}
