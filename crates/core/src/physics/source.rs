//! The headphone output as a Thevenin source, and the tonal change it causes on a load.

use super::impedance::{Impedance, Load};
use super::poly::Poly;
use crate::units::gain_to_db;
use num_complex::Complex64;

/// A headphone output's linear part: an EMF behind a resistance and an optional series
/// coupling capacitor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TheveninSource {
    /// Output resistance, ohms.
    pub r_out_ohm: f64,
    /// Series coupling capacitor in farads, or `None` for a DC-coupled output.
    pub coupling_cap_f: Option<f64>,
}

impl TheveninSource {
    /// The output's own impedance as a circuit.
    pub fn z_out(&self) -> Load {
        match self.coupling_cap_f {
            Some(c) => Load::Series(vec![Load::R(self.r_out_ohm), Load::C(c)]),
            None => Load::R(self.r_out_ohm),
        }
    }

    /// `T(jω) = Z_hp / (Z_hp + Z_out)`: the voltage reaching the headphone relative to an
    /// ideal (0 Ω) output, at `freq_hz`.
    pub fn transfer(&self, load: &dyn Impedance, freq_hz: f64) -> Complex64 {
        let z_hp = load.z_ohm(freq_hz);
        z_hp / (z_hp + self.z_out().z_ohm(freq_hz))
    }

    /// The tonal deviation at `freq_hz`: `|T|` in dB relative to `|T|` at 1 kHz (what remains
    /// once the broadband level loss is matched away).
    pub fn deviation_db(&self, load: &dyn Impedance, freq_hz: f64) -> f64 {
        gain_to_db(self.transfer(load, freq_hz).norm() / self.transfer(load, 1000.0).norm())
    }

    /// `T(s)` as numerator / denominator polynomials, when the load is a circuit.
    pub fn transfer_polys(&self, load: &dyn Impedance) -> Option<(Poly, Poly)> {
        let (n_hp, d_hp) = load.rational()?;
        let (n_o, d_o) = self.z_out().polys();
        let num = n_hp.mul(&d_o);
        let den = num.add(&n_o.mul(&d_hp));
        Some((num, den))
    }

    /// Damping factor `|Z_hp| / |Z_out|` at `freq_hz`.
    pub fn damping_factor(&self, load: &dyn Impedance, freq_hz: f64) -> f64 {
        load.z_ohm(freq_hz).norm() / self.z_out().z_ohm(freq_hz).norm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn divider_on_a_resistor() {
        let src = TheveninSource {
            r_out_ohm: 10.0,
            coupling_cap_f: None,
        };
        let t = src.transfer(&Load::R(30.0), 1000.0);
        assert!((t - Complex64::new(0.75, 0.0)).norm() < 1e-12);
    }

    #[test]
    fn polys_match_direct_transfer_with_cap() {
        let load = Load::dynamic_driver(32.0, 0.1e-3, 0.1e-3, 40.0, 40.0, 100.0, 1.5);
        let src = TheveninSource {
            r_out_ohm: 47.0,
            coupling_cap_f: Some(100e-6),
        };
        let (n, d) = src.transfer_polys(&load).unwrap();
        for f in [20.0, 100.0, 3000.0, 20000.0] {
            let s = Complex64::new(0.0, 2.0 * PI * f);
            let a = src.transfer(&load, f);
            let b = n.eval(s) / d.eval(s);
            assert!((a - b).norm() < 1e-9, "{f}: {a} {b}");
        }
    }
}
