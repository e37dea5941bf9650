//! A distribution amplifier's outputs: each listener has an output stage of their own, and the
//! stages share the amplifier's input and its supply.
//!
//! The stages do not load each other (each has its own output impedance into its own
//! headphone), so the tone a listener hears is their own output's alone. What they share is
//! the supply: its sag follows the sum of every output's current, so a listener on a heavy
//! load, or one who plays loud, lowers the rails of everyone else. [`SupplyShare`] holds the
//! other outputs' loads in a fixed-size form, so that it travels inside an
//! [`OutputStage`](super::output::OutputStage) (which crosses to the audio thread by value)
//! and is evaluated without allocating.

use super::impedance::Impedance;
use super::poly::{Poly, S_NORM_RAD_PER_S};
use super::source::TheveninSource;
use num_complex::Complex64;
use std::f64::consts::PI;

/// Most other outputs that share the heard output's supply.
pub const MAX_OTHER_OUTPUTS: usize = 3;
/// Most coefficients of an impedance's numerator or denominator a supply share keeps: the
/// catalog's circuit models need at most five.
pub const MAX_COEFS: usize = 8;

/// Another output of the same amplifier: its headphone's impedance (a circuit, kept as the
/// coefficients of its rational function in the normalised variable of [`Poly`]) and its
/// volume relative to the heard output's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OtherOutput {
    num: [f64; MAX_COEFS],
    den: [f64; MAX_COEFS],
    /// Its EMF over the heard output's EMF: its volume setting relative to the heard one's
    /// (1: the same setting).
    pub volume_ratio: f64,
}

impl OtherOutput {
    /// A placeholder that fills fixed-size arrays past the outputs in use; it is never
    /// evaluated.
    pub const NONE: OtherOutput = OtherOutput {
        num: [0.0; MAX_COEFS],
        den: [0.0; MAX_COEFS],
        volume_ratio: 0.0,
    };

    /// The output driving `load` (a circuit) at `volume_ratio` times the heard output's EMF.
    pub fn of(load: &dyn Impedance, volume_ratio: f64) -> Result<Self, SupplyShareError> {
        let (num, den) = load.rational().ok_or(SupplyShareError::NotACircuit)?;
        if num.0.len() > MAX_COEFS || den.0.len() > MAX_COEFS {
            return Err(SupplyShareError::NotACircuit);
        }
        let mut out = OtherOutput::NONE;
        out.num[..num.0.len()].copy_from_slice(&num.0);
        out.den[..den.0.len()].copy_from_slice(&den.0);
        out.at_ratio(volume_ratio)
    }

    /// The same output at `volume_ratio` times the heard output's EMF.
    pub fn at_ratio(self, volume_ratio: f64) -> Result<Self, SupplyShareError> {
        if !(volume_ratio.is_finite() && volume_ratio >= 0.0) {
            return Err(SupplyShareError::BadRatio(volume_ratio.to_string()));
        }
        Ok(OtherOutput {
            volume_ratio,
            ..self
        })
    }

    /// The peak current this output draws per volt of the heard output's EMF at `freq_hz`,
    /// through its own output impedance `source` (the same stage as the heard one's), amps per
    /// volt: `r / |Z_out + Z_hp|`.
    pub fn siemens(&self, source: &TheveninSource, freq_hz: f64) -> f64 {
        let z_out = match source.coupling_cap_f {
            Some(c) => Complex64::new(source.r_out_ohm, -1.0 / (2.0 * PI * freq_hz * c)),
            None => Complex64::new(source.r_out_ohm, 0.0),
        };
        self.volume_ratio / (self.z_ohm(freq_hz) + z_out).norm()
    }
}

/// π/2 times the mean magnitude of a sine of peak `a` held to `±cap`: `a` below the cap, else
/// `a·(1 − cos θ) + cap·(π/2 − θ)` with `sin θ = cap/a` (the sine up to θ, then the flat top).
fn held_sine_drain(a: f64, cap: f64) -> f64 {
    if a <= cap {
        return a;
    }
    let theta = (cap / a).asin();
    a * (1.0 - theta.cos()) + cap * (PI / 2.0 - theta)
}

/// Evaluates ascending coefficients in the normalised variable at the physical `s`.
fn eval(coefs: &[f64; MAX_COEFS], s: Complex64) -> Complex64 {
    let x = s / S_NORM_RAD_PER_S;
    coefs
        .iter()
        .rev()
        .fold(Complex64::new(0.0, 0.0), |acc, c| acc * x + c)
}

impl Impedance for OtherOutput {
    fn z_ohm(&self, freq_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, 2.0 * PI * freq_hz);
        eval(&self.num, s) / eval(&self.den, s)
    }

    fn rational(&self) -> Option<(Poly, Poly)> {
        Some((Poly(self.num.to_vec()), Poly(self.den.to_vec())))
    }
}

/// Why a supply share could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplyShareError {
    /// More other outputs than [`MAX_OTHER_OUTPUTS`].
    #[error("at most {MAX_OTHER_OUTPUTS} other outputs share the supply ({0} given)")]
    TooMany(usize),
    /// A load that is no circuit (a measured curve), or one too complex to keep.
    #[error(
        "another output's headphone must be a circuit model of at most {MAX_COEFS} coefficients"
    )]
    NotACircuit,
    /// A volume ratio that is negative or not finite.
    #[error("another output's volume ratio must be finite and not negative ({0})")]
    BadRatio(String),
}

/// The other outputs on the heard output's supply (none for an output with the supply to
/// itself).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupplyShare {
    others: [OtherOutput; MAX_OTHER_OUTPUTS],
    n: usize,
}

impl Default for SupplyShare {
    fn default() -> Self {
        Self::NONE
    }
}

impl SupplyShare {
    /// The supply to the heard output alone.
    pub const NONE: SupplyShare = SupplyShare {
        others: [OtherOutput::NONE; MAX_OTHER_OUTPUTS],
        n: 0,
    };

    /// The share of the `others`' outputs (at most [`MAX_OTHER_OUTPUTS`]); allocation-free.
    pub fn new(others: &[OtherOutput]) -> Result<Self, SupplyShareError> {
        if others.len() > MAX_OTHER_OUTPUTS {
            return Err(SupplyShareError::TooMany(others.len()));
        }
        let mut share = SupplyShare::NONE;
        share.others[..others.len()].copy_from_slice(others);
        share.n = others.len();
        Ok(share)
    }

    /// The other outputs, in order.
    pub fn others(&self) -> &[OtherOutput] {
        &self.others[..self.n]
    }

    /// Whether the heard output has the supply to itself.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The peak current the other outputs draw per volt of the heard output's EMF in a steady
    /// sine at `freq_hz`, amps per volt: `Σ r_k / |Z_out + Z_k|`. The supply feeds each
    /// output's current through its own rail, so the magnitudes add whatever their phases.
    pub fn siemens(&self, source: &TheveninSource, freq_hz: f64) -> f64 {
        self.others()
            .iter()
            .map(|o| o.siemens(source, freq_hz))
            .sum()
    }

    /// What the other outputs draw from the supply when the heard output's EMF is a steady
    /// sine of `emf_peak` at `freq_hz`, each held to its own current limit `i_max_peak`, amps:
    /// as the sag counts a current, its mean magnitude times π/2 (a sine's peak; a held one's
    /// flat tops count for more).
    pub fn current_peak(
        &self,
        source: &TheveninSource,
        freq_hz: f64,
        emf_peak: f64,
        i_max_peak: f64,
    ) -> f64 {
        self.others()
            .iter()
            .map(|o| held_sine_drain(o.siemens(source, freq_hz) * emf_peak, i_max_peak))
            .sum()
    }

    /// The largest EMF (volts peak) of a steady sine at `freq_hz` that the rails `rail_v_peak`
    /// of a supply sagging `r_sag_ohm` let through, when the heard output draws
    /// `heard_siemens` per volt and the others draw [`SupplyShare::current_peak`]: the root of
    /// `g(e) = e·(1 + R_sag·Y) + R_sag·I_others(e) − V_rail`. `g` rises and is concave (a held
    /// current grows ever slower), so Newton's method from the left converges from below; its
    /// first step, from the rail the heard output alone allows, lands there.
    pub fn sagged_rail_peak(
        &self,
        source: &TheveninSource,
        freq_hz: f64,
        (rail_v_peak, r_sag_ohm, i_max_peak): (f64, f64, f64),
        heard_siemens: f64,
    ) -> f64 {
        let slope_alone = 1.0 + r_sag_ohm * heard_siemens;
        let alone = rail_v_peak / slope_alone;
        if self.is_empty() || r_sag_ohm == 0.0 || !alone.is_finite() {
            return alone;
        }
        let siemens: [f64; MAX_OTHER_OUTPUTS] = std::array::from_fn(|k| {
            self.others()
                .get(k)
                .map_or(0.0, |o| o.siemens(source, freq_hz))
        });
        // g and its slope at `e`.
        let g = |e: f64| {
            let (mut drain, mut slope) = (0.0, 0.0);
            for y in siemens {
                let a = y * e;
                drain += held_sine_drain(a, i_max_peak);
                // d/da of the drain: 1 below the limit, 1 − cos θ above it.
                slope += y * if a <= i_max_peak {
                    1.0
                } else {
                    1.0 - (i_max_peak / a).asin().cos()
                };
            }
            (
                e * slope_alone + r_sag_ohm * drain - rail_v_peak,
                slope_alone + r_sag_ohm * slope,
            )
        };
        let mut e = alone;
        for _ in 0..50 {
            let (value, slope) = g(e);
            let next = (e - value / slope).max(0.0);
            if (next - e).abs() <= 1e-13 * rail_v_peak {
                return next;
            }
            e = next;
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::Load;

    fn other(r_ohm: f64, volume_ratio: f64) -> OtherOutput {
        OtherOutput::of(&Load::R(r_ohm), volume_ratio).unwrap()
    }

    #[test]
    fn another_output_keeps_its_impedance_exactly() {
        let load = Load::dynamic_driver(32.0, 0.1e-3, 0.1e-3, 40.0, 40.0, 100.0, 1.5);
        let share = SupplyShare::new(&[OtherOutput::of(&load, 0.5).unwrap()]).unwrap();
        for f in [20.0, 100.0, 1000.0, 20_000.0] {
            let (a, b) = (share.others()[0].z_ohm(f), load.z_ohm(f));
            assert!((a - b).norm() < 1e-9 * b.norm(), "{f} Hz: {a} against {b}");
        }
    }

    #[test]
    fn the_others_draw_their_currents_through_their_own_output_impedance() {
        // 10 Ω outputs: a 32 Ω pair at the same volume draws 1/42 A per volt, a 300 Ω pair at
        // half the volume 0.5/310.
        let src = TheveninSource {
            r_out_ohm: 10.0,
            coupling_cap_f: None,
        };
        let others = [other(32.0, 1.0), other(300.0, 0.5)];
        let share = SupplyShare::new(&others).unwrap();
        let expected = 1.0 / 42.0 + 0.5 / 310.0;
        assert!((share.siemens(&src, 1000.0) - expected).abs() < 1e-12);
        assert_eq!(SupplyShare::NONE.siemens(&src, 1000.0), 0.0);
    }

    #[test]
    fn the_rails_sag_with_every_outputs_current_each_held_to_its_limit() {
        // 9.9 V rails, 2 Ω of sag, 10 Ω outputs with 100 mA limits. The heard output drives
        // 300 Ω; three others drive 32 Ω each at the same volume and hit their limits, so each
        // draws a sine with flat tops at 0.1 A: e·(1 + 2/310) + 2·3·(π/2)·mean|i| = 9.9.
        let src = TheveninSource {
            r_out_ohm: 10.0,
            coupling_cap_f: None,
        };
        let share = SupplyShare::new(&[other(32.0, 1.0); 3]).unwrap();
        let limits = (9.9, 2.0, 0.1);
        let e = share.sagged_rail_peak(&src, 1000.0, limits, 1.0 / 310.0);
        // Each other output's held current, its mean magnitude summed over a period.
        let n = 100_000;
        let mean_held = (0..n)
            .map(|k| {
                (e / 42.0 * (2.0 * PI * (k as f64 + 0.5) / n as f64).sin())
                    .abs()
                    .min(0.1)
            })
            .sum::<f64>()
            / n as f64;
        let residual = e * (1.0 + 2.0 / 310.0) + 2.0 * 3.0 * mean_held * PI / 2.0 - 9.9;
        assert!(residual.abs() < 1e-6, "{e}: residual {residual}");
        assert!(e / 42.0 > 0.1, "the others are held to their limits");
        // At a tenth of the volume the others stay below their limits: 0.1·e/42 each.
        let quiet = SupplyShare::new(&[other(32.0, 0.1); 3]).unwrap();
        let e = quiet.sagged_rail_peak(&src, 1000.0, limits, 1.0 / 310.0);
        let expected = 9.9 / (1.0 + 2.0 / 310.0 + 2.0 * 0.3 / 42.0);
        assert!((e - expected).abs() < 1e-9, "{e} against {expected}");
        // Alone, the familiar sagging rail.
        let alone = SupplyShare::NONE.sagged_rail_peak(&src, 1000.0, limits, 1.0 / 310.0);
        assert_eq!(alone, 9.9 / (1.0 + 2.0 / 310.0));
    }

    #[test]
    fn a_share_refuses_what_it_cannot_hold() {
        let four = [other(32.0, 1.0); 4];
        assert_eq!(SupplyShare::new(&four), Err(SupplyShareError::TooMany(4)));
        assert!(matches!(
            OtherOutput::of(&Load::R(32.0), f64::NAN),
            Err(SupplyShareError::BadRatio(_))
        ));
    }
}
