//! Complex impedances of headphone loads: circuit models and measured curves.

use super::poly::Poly;
use num_complex::Complex64;
use std::f64::consts::PI;

/// Anything with a complex impedance as a function of frequency.
pub trait Impedance {
    /// The complex impedance in ohms at `freq_hz`.
    fn z_ohm(&self, freq_hz: f64) -> Complex64;

    /// The impedance as numerator / denominator polynomials in `s`, when it is a circuit.
    /// Measured curves have none; the filter design then uses a generic pole set.
    fn rational(&self) -> Option<(Poly, Poly)>;
}

/// A load built from ideal circuit elements (values in SI units: ohm, henry, farad).
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// A resistor, in ohms.
    R(f64),
    /// An inductor, in henries.
    L(f64),
    /// A capacitor, in farads.
    C(f64),
    /// Elements in series.
    Series(Vec<Load>),
    /// Elements in parallel.
    Parallel(Vec<Load>),
}

impl Load {
    /// The impedance at the complex frequency `s` (rad/s).
    pub fn z_at_s(&self, s: Complex64) -> Complex64 {
        match self {
            Load::R(r) => Complex64::new(*r, 0.0),
            Load::L(l) => s * *l,
            Load::C(c) => 1.0 / (s * *c),
            Load::Series(parts) => parts.iter().map(|p| p.z_at_s(s)).sum(),
            Load::Parallel(parts) => {
                1.0 / parts.iter().map(|p| 1.0 / p.z_at_s(s)).sum::<Complex64>()
            }
        }
    }

    /// Numerator and denominator polynomials of the impedance.
    pub fn polys(&self) -> (Poly, Poly) {
        match self {
            Load::R(r) => (Poly::constant(*r), Poly::constant(1.0)),
            Load::L(l) => (Poly::linear(*l), Poly::constant(1.0)),
            Load::C(c) => (Poly::constant(1.0), Poly::linear(*c)),
            Load::Series(parts) => parts
                .iter()
                .map(Load::polys)
                .reduce(|(n1, d1), (n2, d2)| (n1.mul(&d2).add(&n2.mul(&d1)), d1.mul(&d2)))
                .expect("a series of no elements"),
            Load::Parallel(parts) => parts
                .iter()
                .map(Load::polys)
                .reduce(|(n1, d1), (n2, d2)| (n1.mul(&n2), n1.mul(&d2).add(&n2.mul(&d1))))
                .expect("a parallel of no elements"),
        }
    }

    /// A dynamic driver's usual electrical equivalent: DC resistance `re_ohm`, a lossy
    /// voice-coil inductance (`le_h` in series with `l2_h ∥ r2_ohm`, the LR-2 model), and the
    /// motional branch `R_es ∥ L_ces ∥ C_mes` resonating at `f0_hz` with a peak of
    /// `res_ohm` above `re_ohm` and the branch's quality factor `q_mes`.
    pub fn dynamic_driver(
        re_ohm: f64,
        le_h: f64,
        l2_h: f64,
        r2_ohm: f64,
        res_ohm: f64,
        f0_hz: f64,
        q_mes: f64,
    ) -> Load {
        let w0 = 2.0 * PI * f0_hz;
        // For R ∥ L ∥ C, Q = R·sqrt(C/L) and w0 = 1/sqrt(LC).
        let l_ces = res_ohm / (q_mes * w0);
        let c_mes = 1.0 / (w0 * w0 * l_ces);
        let mut series = vec![Load::R(re_ohm)];
        if le_h > 0.0 {
            series.push(Load::L(le_h));
        }
        if l2_h > 0.0 && r2_ohm > 0.0 {
            series.push(Load::Parallel(vec![Load::L(l2_h), Load::R(r2_ohm)]));
        }
        if res_ohm > 0.0 {
            series.push(Load::Parallel(vec![
                Load::R(res_ohm),
                Load::L(l_ces),
                Load::C(c_mes),
            ]));
        }
        Load::Series(series)
    }
}

impl Impedance for Load {
    fn z_ohm(&self, freq_hz: f64) -> Complex64 {
        self.z_at_s(Complex64::new(0.0, 2.0 * PI * freq_hz))
    }

    fn rational(&self) -> Option<(Poly, Poly)> {
        Some(self.polys())
    }
}

/// One point of a measured impedance curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImpedancePoint {
    /// Frequency in Hz.
    pub freq_hz: f64,
    /// Magnitude in ohms.
    pub mag_ohm: f64,
    /// Phase in degrees.
    pub phase_deg: f64,
}

/// A measured impedance curve (REW / ARTA / DATS style), interpolated linearly in
/// log-frequency, on log-magnitude and phase; held constant beyond its ends.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredCurve {
    points: Vec<ImpedancePoint>,
}

/// Why a measured curve was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurveError(pub String);

impl std::fmt::Display for CurveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CurveError {}

impl MeasuredCurve {
    /// Builds a curve from points sorted by strictly rising frequency, with positive
    /// frequencies and magnitudes.
    pub fn new(points: Vec<ImpedancePoint>) -> Result<Self, CurveError> {
        if points.len() < 2 {
            return Err(CurveError("a curve needs at least two points".into()));
        }
        for (i, p) in points.iter().enumerate() {
            if !(p.freq_hz.is_finite() && p.freq_hz > 0.0) {
                return Err(CurveError(format!(
                    "point {}: frequency must be positive",
                    i + 1
                )));
            }
            if !(p.mag_ohm.is_finite() && p.mag_ohm > 0.0) {
                return Err(CurveError(format!(
                    "point {}: magnitude must be positive",
                    i + 1
                )));
            }
            if !p.phase_deg.is_finite() || p.phase_deg.abs() > 90.0 {
                return Err(CurveError(format!(
                    "point {}: a passive load's phase lies within ±90°",
                    i + 1
                )));
            }
            if i > 0 && p.freq_hz <= points[i - 1].freq_hz {
                return Err(CurveError(format!(
                    "point {}: frequencies must rise",
                    i + 1
                )));
            }
        }
        Ok(MeasuredCurve { points })
    }

    /// Samples any impedance at `n` log-spaced frequencies from `f_lo_hz` to `f_hi_hz`.
    pub fn sampled_from(z: &dyn Impedance, f_lo_hz: f64, f_hi_hz: f64, n: usize) -> Self {
        let points = log_spaced(f_lo_hz, f_hi_hz, n)
            .map(|f| {
                let v = z.z_ohm(f);
                ImpedancePoint {
                    freq_hz: f,
                    mag_ohm: v.norm(),
                    phase_deg: v.arg().to_degrees(),
                }
            })
            .collect();
        MeasuredCurve { points }
    }

    /// The curve's points.
    pub fn points(&self) -> &[ImpedancePoint] {
        &self.points
    }

    /// Builds a curve from magnitudes alone (`(freq_hz, mag_ohm)`, rising frequencies), with
    /// the phase of the minimum-phase impedance of that magnitude. A passive one-port's
    /// impedance is positive-real, without zeros or poles in the right half-plane, so its
    /// phase follows from its magnitude by Bode's gain–phase relation,
    /// `φ(ω₀) = (1/π) ∫ (d ln|Z| / du) · ln coth(|u|/2) du` with `u = ln(ω/ω₀)`.
    ///
    /// ln|Z| is taken as piecewise linear in `u` on a grid of 48 points per octave, so each
    /// piece contributes its slope times the kernel's integral over it, which is exact (a
    /// dilogarithm). Below the curve |Z| is held (a headphone is resistive there); above it
    /// the last third-octave's log-log slope continues, to infinity, which keeps the phase of
    /// an impedance still rising at the curve's top end.
    pub fn from_magnitude(points: &[(f64, f64)]) -> Result<Self, CurveError> {
        let flat = MeasuredCurve::new(
            points
                .iter()
                .map(|&(freq_hz, mag_ohm)| ImpedancePoint {
                    freq_hz,
                    mag_ohm,
                    phase_deg: 0.0,
                })
                .collect(),
        )?;
        let p = &flat.points;
        let (f_first, f_last) = (p[0].freq_hz, p[p.len() - 1].freq_hz);
        // The end slope, d ln|Z| / d ln f, over the last third of an octave (at least one
        // segment); a passive impedance's slope lies within ±1.
        let last = p.len() - 1;
        let from = p
            .iter()
            .rposition(|q| q.freq_hz <= f_last / 2f64.powf(1.0 / 3.0))
            .unwrap_or(0)
            .min(last - 1);
        let end_slope = ((p[last].mag_ohm / p[from].mag_ohm).ln()
            / (p[last].freq_hz / p[from].freq_hz).ln())
        .clamp(-1.0, 1.0);
        let ln_mag = |u: f64| {
            let f = u.exp();
            if f <= f_last {
                flat.z_ohm(f).norm().ln()
            } else {
                p[last].mag_ohm.ln() + end_slope * (f / f_last).ln()
            }
        };
        // The grid: 12 octaves below the curve, where ln|Z| is flat, to 12 above it; the
        // kernel beyond 12 octaves weighs less than 1e-3 of its total. Its step is `du`, so
        // the kernel's integrals between nodes come from one table.
        let du = std::f64::consts::LN_2 / MIN_PHASE_POINTS_PER_OCTAVE;
        let margin = (12.0 * MIN_PHASE_POINTS_PER_OCTAVE) as usize;
        let span = ((f_last / f_first).ln() / du).ceil() as usize;
        if span > MAX_MIN_PHASE_NODES {
            return Err(CurveError(format!(
                "a curve from {f_first} Hz to {f_last} Hz spans too many octaves"
            )));
        }
        let n = span + 2 * margin;
        let u_start = f_first.ln() - margin as f64 * du;
        let slopes: Vec<f64> = (0..n)
            .map(|k| {
                let u = u_start + k as f64 * du;
                (ln_mag(u + du) - ln_mag(u)) / du
            })
            .collect();
        let table: Vec<f64> = (0..=n).map(|k| ln_coth_integral(k as f64 * du)).collect();
        let quarter_pi2 = std::f64::consts::PI.powi(2) / 4.0;
        // The phase at node j: each segment's slope times the kernel's integral over it, and
        // the end slope continued past the grid's top.
        let phase_at_node = |j: usize| {
            let below: f64 = (0..j)
                .map(|k| slopes[k] * (table[j - k] - table[j - k - 1]))
                .sum();
            let above: f64 = (j..n)
                .map(|k| slopes[k] * (table[k + 1 - j] - table[k - j]))
                .sum();
            (below + above + end_slope * (quarter_pi2 - table[n - j])) / std::f64::consts::PI
        };
        let nodes: Vec<f64> = (margin..=margin + span + 1).map(phase_at_node).collect();
        let points = p
            .iter()
            .map(|q| {
                let x = (q.freq_hz / f_first).ln() / du;
                let k = (x.floor().max(0.0) as usize).min(nodes.len() - 2);
                let t = x - k as f64;
                let phase_rad = nodes[k] * (1.0 - t) + nodes[k + 1] * t;
                ImpedancePoint {
                    phase_deg: phase_rad.to_degrees().clamp(-90.0, 90.0),
                    ..*q
                }
            })
            .collect();
        MeasuredCurve::new(points)
    }
}

/// Grid density of the minimum-phase integral.
const MIN_PHASE_POINTS_PER_OCTAVE: f64 = 48.0;

/// Most grid nodes a curve may span (40 octaves: far beyond any measurement).
const MAX_MIN_PHASE_NODES: usize = 40 * 48;

/// `∫_0^u ln coth(t/2) dt` for `u ≥ 0`: `Li₂(−e^{−u}) − Li₂(e^{−u}) + π²/4`.
fn ln_coth_integral(u: f64) -> f64 {
    let x = (-u).exp();
    dilog(-x) - dilog(x) + std::f64::consts::PI.powi(2) / 4.0
}

/// The dilogarithm `Li₂(x)` for `x ∈ [−1, 1]`, to about 1e-15.
fn dilog(x: f64) -> f64 {
    let pi2_6 = std::f64::consts::PI.powi(2) / 6.0;
    if x < 0.0 {
        // Li₂(−y) = ½·Li₂(y²) − Li₂(y).
        let y = -x;
        return 0.5 * dilog(y * y) - dilog(y);
    }
    if x > 0.5 {
        // Euler's reflection: Li₂(x) = π²/6 − ln x · ln(1 − x) − Li₂(1 − x).
        let tail = if x < 1.0 {
            x.ln() * (1.0 - x).ln()
        } else {
            0.0
        };
        return pi2_6 - tail - dilog(1.0 - x);
    }
    // The series converges at least as fast as 2^-k here.
    let mut sum = 0.0;
    let mut power = x;
    for k in 1..=60 {
        let term = power / (k * k) as f64;
        sum += term;
        if term.abs() < 1e-17 {
            break;
        }
        power *= x;
    }
    sum
}

impl Impedance for MeasuredCurve {
    fn z_ohm(&self, freq_hz: f64) -> Complex64 {
        let p = &self.points;
        let (mag, ph) = if freq_hz <= p[0].freq_hz {
            (p[0].mag_ohm, p[0].phase_deg)
        } else if freq_hz >= p[p.len() - 1].freq_hz {
            (p[p.len() - 1].mag_ohm, p[p.len() - 1].phase_deg)
        } else {
            let i = p.partition_point(|q| q.freq_hz <= freq_hz);
            let (a, b) = (&p[i - 1], &p[i]);
            let t = (freq_hz / a.freq_hz).ln() / (b.freq_hz / a.freq_hz).ln();
            (
                (a.mag_ohm.ln() * (1.0 - t) + b.mag_ohm.ln() * t).exp(),
                a.phase_deg * (1.0 - t) + b.phase_deg * t,
            )
        };
        Complex64::from_polar(mag, ph.to_radians())
    }

    fn rational(&self) -> Option<(Poly, Poly)> {
        None
    }
}

/// `n` log-spaced values from `lo` to `hi` inclusive.
pub fn log_spaced(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..n).map(move |i| log_spaced_at(lo, hi, n, i))
}

/// The `i`-th of [`log_spaced`]`(lo, hi, n)`'s points, the same value
/// to the bit.
pub fn log_spaced_at(lo: f64, hi: f64, n: usize, i: usize) -> f64 {
    lo * ((hi / lo).ln() * i as f64 / (n.max(2) - 1) as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polys_agree_with_direct_evaluation() {
        let load = Load::dynamic_driver(32.0, 0.1e-3, 0.1e-3, 40.0, 40.0, 100.0, 1.5);
        let (n, d) = load.polys();
        for f in [20.0, 100.0, 1000.0, 19000.0] {
            let s = Complex64::new(0.0, 2.0 * PI * f);
            let direct = load.z_at_s(s);
            let rational = n.eval(s) / d.eval(s);
            assert!(
                (direct - rational).norm() < 1e-9 * direct.norm(),
                "{f}: {direct} {rational}"
            );
        }
    }

    #[test]
    fn resonance_peak_sits_at_f0() {
        let load = Load::dynamic_driver(250.0, 0.0, 0.0, 0.0, 300.0, 95.0, 1.2);
        let z = load.z_ohm(95.0);
        assert!((z.re - 550.0).abs() < 1e-6 && z.im.abs() < 1e-6, "{z}");
    }

    #[test]
    fn dilogarithm_matches_known_values() {
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((dilog(1.0) - pi2 / 6.0).abs() < 1e-14);
        assert!((dilog(-1.0) + pi2 / 12.0).abs() < 1e-14);
        let ln2 = std::f64::consts::LN_2;
        assert!((dilog(0.5) - (pi2 / 12.0 - ln2 * ln2 / 2.0)).abs() < 1e-14);
        assert!((ln_coth_integral(60.0) - pi2 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn minimum_phase_recovers_a_drivers_phase_from_its_magnitude() {
        // A dynamic driver with a bass resonance and a lossy voice coil, measured 10 Hz–40 kHz
        // without phase: the derived phase follows the circuit's own.
        let load = Load::dynamic_driver(32.0, 0.1e-3, 0.2e-3, 40.0, 40.0, 100.0, 1.5);
        let mags: Vec<(f64, f64)> = log_spaced(10.0, 40_000.0, 400)
            .map(|f| (f, load.z_ohm(f).norm()))
            .collect();
        let curve = MeasuredCurve::from_magnitude(&mags).unwrap();
        // Up to 5 kHz the curve's end is far away; toward 20 kHz the lossy coil's slope is
        // still steepening beyond the curve, which the continued end slope cannot know.
        for (f_hi, bound_deg) in [(1_000.0, 0.25), (5_000.0, 0.6), (20_000.0, 2.0)] {
            let worst_deg = log_spaced(20.0, f_hi, 200)
                .map(|f| {
                    (curve.z_ohm(f).arg() - load.z_ohm(f).arg())
                        .to_degrees()
                        .abs()
                })
                .fold(0.0, f64::max);
            eprintln!("minimum phase, to {f_hi} Hz: worst {worst_deg:.3}°");
            assert!(worst_deg < bound_deg, "to {f_hi} Hz: {worst_deg:.3}°");
        }
    }

    #[test]
    fn measured_curve_interpolates_and_rejects_bad_input() {
        let load = Load::dynamic_driver(32.0, 0.1e-3, 0.0, 0.0, 40.0, 100.0, 1.5);
        let curve = MeasuredCurve::sampled_from(&load, 10.0, 40_000.0, 2000);
        for f in [20.0, 97.0, 1234.0, 15000.0] {
            let e = (curve.z_ohm(f) / load.z_ohm(f) - 1.0).norm();
            assert!(e < 2e-3, "{f}: {e}");
        }
        let bad = vec![
            ImpedancePoint {
                freq_hz: 100.0,
                mag_ohm: 10.0,
                phase_deg: 0.0,
            },
            ImpedancePoint {
                freq_hz: 50.0,
                mag_ohm: 10.0,
                phase_deg: 0.0,
            },
        ];
        assert!(MeasuredCurve::new(bad).is_err());
    }
}
