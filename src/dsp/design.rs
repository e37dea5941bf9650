//! Designs the digital realisation of `T(jω) = Z_hp / (Z_hp + Z_out)`.
//!
//! Method (docs/dsp.md has the reasoning and the measured figures): the analog poles of
//! `T(s)` are mapped exactly by `z = e^{sT}`; the filter is a parallel bank of first- and
//! second-order sections on those poles plus a short FIR, and the numerators and FIR taps are
//! solved by weighted complex least squares against `T(jω)·e^{-jωD/fs}` on a log grid from
//! 20 Hz to min(20 kHz, 0.45·fs), refined by Lawson reweighting toward minimax.
//!
//! A real-coefficient filter is real at Nyquist, while `T` of an inductive load still has
//! 15–20° of phase at 0.45·fs, so at 44.1/48 kHz no zero-latency filter of sane order meets
//! 0.5°. The `Exact` mode therefore allows `D` samples of latency below 60 kHz; the
//! `ZeroLatency` mode there matches the magnitude only (phase iterations).
//! Runs off the audio thread; it allocates.

use crate::physics::impedance::{Impedance, log_spaced};
use crate::physics::source::TheveninSource;
use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;
use std::f64::consts::PI;

/// Most parallel sections a design may have.
pub const MAX_SECTIONS: usize = 32;
/// Most FIR taps a design may have.
pub const MAX_FIR: usize = 40;

/// How the design trades latency for phase accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignMode {
    /// No latency at any rate. Below 60 kHz only the magnitude is matched.
    ZeroLatency,
    /// Magnitude and phase matched at every rate; `EXACT_LATENCY_LOW_RATE` samples of
    /// latency below 60 kHz, none above.
    Exact,
}

/// Latency of the `Exact` mode below 60 kHz, in samples.
pub const EXACT_LATENCY_LOW_RATE: usize = 12;
/// Below this sample rate the 20 Hz–20 kHz band comes too close to Nyquist for a
/// zero-latency complex match.
const LOW_RATE_LIMIT_HZ: f64 = 60_000.0;

impl DesignMode {
    /// The latency in samples this mode needs at `sample_rate_hz`.
    pub fn latency_samples(self, sample_rate_hz: f64) -> usize {
        match self {
            DesignMode::Exact if sample_rate_hz < LOW_RATE_LIMIT_HZ => EXACT_LATENCY_LOW_RATE,
            _ => 0,
        }
    }
}

/// One parallel section `(b0 + b1 z⁻¹) / (1 + a1 z⁻¹ + a2 z⁻²)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Section {
    /// Numerator, z⁰.
    pub b0: f64,
    /// Numerator, z⁻¹.
    pub b1: f64,
    /// Denominator, z⁻¹.
    pub a1: f64,
    /// Denominator, z⁻².
    pub a2: f64,
}

/// A finished design: fixed-size, so it crosses to the audio thread without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterDesign {
    /// Parallel sections in use.
    pub n_sections: usize,
    /// The sections; only the first `n_sections` count.
    pub sections: [Section; MAX_SECTIONS],
    /// FIR taps in use.
    pub n_fir: usize,
    /// FIR taps, `fir[m]` multiplies `x[n−m]`.
    pub fir: [f64; MAX_FIR],
    /// The pure delay the design realises, samples (reported to the host as latency).
    pub latency_samples: usize,
    /// Sample rate the design is for, Hz.
    pub sample_rate_hz: f64,
    /// Worst magnitude error against the target on the check grid, dB.
    pub check_err_db: f64,
    /// Worst phase error against the target on the check grid, degrees (excluding the
    /// design's own latency).
    pub check_err_deg: f64,
}

impl FilterDesign {
    /// The identity filter (`T = 1`) with `latency_samples` of pure delay.
    pub fn identity(sample_rate_hz: f64, latency_samples: usize) -> Self {
        let mut fir = [0.0; MAX_FIR];
        fir[latency_samples] = 1.0;
        FilterDesign {
            n_sections: 0,
            sections: [Section::default(); MAX_SECTIONS],
            n_fir: latency_samples + 1,
            fir,
            latency_samples,
            sample_rate_hz,
            check_err_db: 0.0,
            check_err_deg: 0.0,
        }
    }

    /// The design's frequency response at `freq_hz` (including its latency).
    pub fn response(&self, freq_hz: f64) -> Complex64 {
        let zi = Complex64::from_polar(1.0, -2.0 * PI * freq_hz / self.sample_rate_hz);
        let fir: Complex64 = (0..self.n_fir)
            .map(|m| self.fir[m] * zi.powu(m as u32))
            .sum();
        let iir: Complex64 = self.sections[..self.n_sections]
            .iter()
            .map(|s| (s.b0 + s.b1 * zi) / (1.0 + s.a1 * zi + s.a2 * zi * zi))
            .sum();
        fir + iir
    }

    /// The largest numerator coefficient or FIR tap, in absolute value. A well-conditioned
    /// design of a `T` near unity keeps this near 1; huge values mean cancelling terms.
    pub fn max_coefficient(&self) -> f64 {
        let fir = self.fir[..self.n_fir].iter().copied();
        let iir = self.sections[..self.n_sections]
            .iter()
            .flat_map(|s| [s.b0, s.b1]);
        fir.chain(iir).fold(0.0f64, |m, c| m.max(c.abs()))
    }

    /// The largest gain of the design between `from_hz` and Nyquist (sampled finely).
    pub fn max_gain_above(&self, from_hz: f64) -> f64 {
        let nyq = self.sample_rate_hz / 2.0;
        (0..=400)
            .map(|i| {
                self.response(from_hz + (nyq - from_hz) * i as f64 / 400.0)
                    .norm()
            })
            .fold(0.0, f64::max)
    }

    /// Multiplies the whole response by `gain`.
    pub fn scale(&mut self, gain: f64) {
        self.fir.iter_mut().for_each(|c| *c *= gain);
        for s in self.sections.iter_mut() {
            s.b0 *= gain;
            s.b1 *= gain;
        }
    }
}

/// Why a design could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum DesignError {
    /// The model needs more sections than `MAX_SECTIONS`.
    TooManyPoles(usize),
    /// The least-squares solve failed (non-finite values in the model).
    Solve,
}

impl std::fmt::Display for DesignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DesignError::TooManyPoles(n) => write!(f, "the load model needs {n} sections"),
            DesignError::Solve => f.write_str("the filter fit did not converge"),
        }
    }
}

impl std::error::Error for DesignError {}

/// The upper edge of the band the design is held to at `sample_rate_hz`, Hz.
pub fn band_top_hz(sample_rate_hz: f64) -> f64 {
    (0.45 * sample_rate_hz).min(20_000.0)
}

/// The lower edge of the band, Hz.
pub const BAND_BOTTOM_HZ: f64 = 20.0;

/// Digital poles of one section: a real pole, or a complex pair given by its upper member.
#[derive(Debug, Clone, Copy)]
enum DigitalPole {
    Real(f64),
    Pair(Complex64),
}

/// Poles that a measured curve (no rational model) is fitted with: log-spaced, lightly damped
/// pairs across the band, as in fixed-pole parallel filters (Bank 2007), plus the coupling
/// capacitor's high-pass pole, which the source fixes whatever the load: `-1/(C·(R + R_low))`
/// with `R_low` the load's resistance at the bottom of the band.
fn generic_poles(
    source: &TheveninSource,
    load: &dyn Impedance,
    sample_rate_hz: f64,
) -> Vec<Complex64> {
    let top = band_top_hz(sample_rate_hz);
    let mut poles: Vec<Complex64> = log_spaced(10.0, top * 1.2, GENERIC_PAIRS)
        .map(|f| {
            let w = 2.0 * PI * f;
            Complex64::new(
                -w * GENERIC_DAMPING,
                w * (1.0 - GENERIC_DAMPING * GENERIC_DAMPING).sqrt(),
            )
        })
        .collect();
    if let Some(c) = source.coupling_cap_f {
        let r_low = load.z_ohm(BAND_BOTTOM_HZ).re;
        poles.push(Complex64::new(-1.0 / (c * (source.r_out_ohm + r_low)), 0.0));
    }
    poles
}

/// Number of generic pole pairs for measured curves.
const GENERIC_PAIRS: usize = 28;
/// Damping ratio of the generic pole pairs.
const GENERIC_DAMPING: f64 = 0.3;

/// FIR taps at rates of 60 kHz and above, where the taps shape the ultrasonic roll-back of
/// the phase to zero at Nyquist.
const HIGH_RATE_FIR: usize = 12;

fn digital_poles(analog: &[Complex64], sample_rate_hz: f64, aux: &[f64]) -> Vec<DigitalPole> {
    let mut out: Vec<DigitalPole> = Vec::new();
    let mut push = |p: DigitalPole| {
        let dup = out.iter().any(|q| match (q, &p) {
            (DigitalPole::Real(a), DigitalPole::Real(b)) => (a - b).abs() < 1e-9,
            (DigitalPole::Pair(a), DigitalPole::Pair(b)) => (a - b).norm() < 1e-9,
            _ => false,
        });
        if !dup {
            out.push(p);
        }
    };
    for &pa in analog {
        if !(pa.re.is_finite() && pa.im.is_finite()) || pa.re >= 0.0 {
            continue;
        }
        let pd = (pa / sample_rate_hz).exp();
        // A pole this fast decays within a sample: the FIR taps carry its effect.
        if pd.norm() < 1e-4 {
            continue;
        }
        if pd.im.abs() < 1e-12 * pd.norm().max(1.0) || pa.im.abs() < 1e-9 * pa.norm() {
            push(DigitalPole::Real(pd.re));
        } else if pd.im > 0.0 {
            push(DigitalPole::Pair(pd));
        }
    }
    for &a in aux {
        push(DigitalPole::Real(a));
    }
    out
}

/// Designs the filter for `source` driving `load` at `sample_rate_hz`.
pub fn design(
    source: &TheveninSource,
    load: &dyn Impedance,
    sample_rate_hz: f64,
    mode: DesignMode,
) -> Result<FilterDesign, DesignError> {
    let latency = mode.latency_samples(sample_rate_hz);
    let low_rate = sample_rate_hz < LOW_RATE_LIMIT_HZ;
    let magnitude_only = low_rate && mode == DesignMode::ZeroLatency;
    let (n_fir, aux): (usize, &[f64]) = if latency > 0 {
        (2 * latency + 7, &[])
    } else if low_rate {
        (5, &[])
    } else {
        (HIGH_RATE_FIR, &[])
    };
    let analog: Vec<Complex64> = match source.transfer_polys(load) {
        Some((_, den)) => den.roots(),
        None => generic_poles(source, load, sample_rate_hz),
    };
    let poles = digital_poles(&analog, sample_rate_hz, aux);
    if poles.len() > MAX_SECTIONS {
        return Err(DesignError::TooManyPoles(poles.len()));
    }

    // At high rates the fit also covers the ultrasonic band up to 0.3·fs, at a lower weight:
    // T is defined there too, and an unconstrained fit rings and amplifies ultrasonics. Above
    // that the response is left free, so that its phase can return to zero at Nyquist.
    let top = band_top_hz(sample_rate_hz);
    // Only where 0.3·fs lies above the band (rates of 88.2 kHz and up) is there room for the
    // ultrasonic fit and the roll-back region; below, the grid ends at the band's top.
    let fit_top = (ULTRASONIC_FIT_TOP * sample_rate_hz).max(top);
    let nyquist = sample_rate_hz / 2.0;
    let mut grid: Vec<f64> = log_spaced(BAND_BOTTOM_HZ * 0.9, top, 480).collect();
    if fit_top > top * 1.01 {
        grid.extend(log_spaced(top, fit_top, 60).skip(1));
        // Above 0.3·fs: |T| with its phase ramped to zero at Nyquist, which a real filter
        // can follow, so the gain up there stays near |T| instead of running free.
        grid.extend((1..=40).map(|i| fit_top + (nyquist - fit_top) * i as f64 / 40.0));
    }
    let delay =
        |f: f64| Complex64::from_polar(1.0, -2.0 * PI * f * latency as f64 / sample_rate_hz);
    let target: Vec<Complex64> = grid
        .iter()
        .map(|&f| {
            let t = source.transfer(load, f) * delay(f);
            if f > fit_top * 1.001 {
                Complex64::from_polar(t.norm(), t.arg() * (nyquist - f) / (nyquist - fit_top))
            } else {
                t
            }
        })
        .collect();

    let cols = n_fir
        + poles
            .iter()
            .map(|p| {
                if matches!(p, DigitalPole::Pair(_)) {
                    2
                } else {
                    1
                }
            })
            .sum::<usize>();
    // The complex basis: each column's response on the grid.
    let mut basis = DMatrix::<Complex64>::zeros(grid.len(), cols);
    for (i, &f) in grid.iter().enumerate() {
        let zi = Complex64::from_polar(1.0, -2.0 * PI * f / sample_rate_hz);
        let mut c = 0;
        for m in 0..n_fir {
            basis[(i, c)] = zi.powu(m as u32);
            c += 1;
        }
        for p in &poles {
            match *p {
                DigitalPole::Real(r) => {
                    basis[(i, c)] = 1.0 / (1.0 - r * zi);
                    c += 1;
                }
                DigitalPole::Pair(q) => {
                    let a = 1.0 - 2.0 * q.re * zi + q.norm_sqr() * zi * zi;
                    basis[(i, c)] = 1.0 / a;
                    basis[(i, c + 1)] = zi / a;
                    c += 2;
                }
            }
        }
    }

    let base_weight: Vec<f64> = grid
        .iter()
        .zip(&target)
        .map(|(&f, t)| {
            let w = if f > fit_top * 1.001 {
                ROLLBACK_WEIGHT
            } else if f > top * 1.001 {
                ULTRASONIC_WEIGHT
            } else {
                1.0
            };
            w / t.norm().max(1e-9)
        })
        .collect();
    // Where only the magnitude is held, the phase is left to the fit (updated each pass).
    let phase_free = vec![magnitude_only; grid.len()];
    let mut lawson = vec![1.0; grid.len()];
    let mut goal = target.clone();
    let mut x = DVector::<f64>::zeros(cols);
    let magnitude_passes = if phase_free.iter().any(|&p| p) {
        100
    } else {
        0
    };
    let lawson_passes = 4;
    let mut solver = None;
    for pass in 0..=(magnitude_passes + lawson_passes) {
        let reweight = pass == 0 || pass > magnitude_passes;
        if reweight {
            solver = Some(Solver::new(&basis, &base_weight, &lawson)?);
        }
        x = solver
            .as_ref()
            .expect("built on pass 0")
            .solve(&goal, &base_weight, &lawson)?;
        let fit: Vec<Complex64> = (0..grid.len())
            .map(|i| (0..cols).map(|c| basis[(i, c)] * x[c]).sum())
            .collect();
        if pass < magnitude_passes {
            for i in (0..grid.len()).filter(|&i| phase_free[i]) {
                goal[i] = Complex64::from_polar(target[i].norm(), fit[i].arg());
            }
        } else {
            // Lawson: weight grows where the error is largest, pushing toward minimax, but only
            // inside the band the accuracy figures hold for (the rest keeps its fixed weight).
            let in_band = grid.iter().take_while(|&&f| f <= top * 1.001).count();
            let err: Vec<f64> = (0..in_band)
                .map(|i| (fit[i] / goal[i] - 1.0).norm())
                .collect();
            let mean = err.iter().zip(&lawson).map(|(e, l)| e * l).sum::<f64>() / in_band as f64;
            if mean <= 0.0 || !mean.is_finite() {
                break;
            }
            for i in 0..in_band {
                lawson[i] *= err[i] / mean;
                lawson[i] = lawson[i].clamp(1e-3, 1e3);
            }
        }
    }

    let mut out = FilterDesign::identity(sample_rate_hz, 0);
    out.fir = [0.0; MAX_FIR];
    out.n_fir = n_fir;
    out.latency_samples = latency;
    out.fir[..n_fir].copy_from_slice(&x.as_slice()[..n_fir]);
    let mut c = n_fir;
    for (k, p) in poles.iter().enumerate() {
        out.sections[k] = match *p {
            DigitalPole::Real(r) => {
                c += 1;
                Section {
                    b0: x[c - 1],
                    b1: 0.0,
                    a1: -r,
                    a2: 0.0,
                }
            }
            DigitalPole::Pair(q) => {
                c += 2;
                Section {
                    b0: x[c - 2],
                    b1: x[c - 1],
                    a1: -2.0 * q.re,
                    a2: q.norm_sqr(),
                }
            }
        };
    }
    out.n_sections = poles.len();
    let (db, deg) = check_error(&out, source, load, magnitude_only);
    out.check_err_db = db;
    out.check_err_deg = deg;
    Ok(out)
}

/// Top of the fitted ultrasonic band, as a fraction of the sample rate.
const ULTRASONIC_FIT_TOP: f64 = 0.3;

/// Relative weight of the fit above 20 kHz (outside the band held to the accuracy figures).
const ULTRASONIC_WEIGHT: f64 = 0.1;

/// Relative weight of the phase roll-back region between 0.3·fs and Nyquist.
const ROLLBACK_WEIGHT: f64 = 0.03;

/// Tikhonov weight, relative to the largest singular value of the normalised basis.
const REGULARISATION: f64 = 1e-7;

/// Weighted least squares on a fixed basis, factored once per weighting.
struct Solver {
    pinv: DMatrix<f64>,
}

impl Solver {
    fn new(basis: &DMatrix<Complex64>, w: &[f64], lawson: &[f64]) -> Result<Self, DesignError> {
        let (rows, cols) = basis.shape();
        let mut a = DMatrix::<f64>::zeros(2 * rows, cols);
        for i in 0..rows {
            let wi = w[i] * lawson[i].sqrt();
            for c in 0..cols {
                a[(i, c)] = basis[(i, c)].re * wi;
                a[(rows + i, c)] = basis[(i, c)].im * wi;
            }
        }
        // Columns differ by orders of magnitude (poles near z = 1): normalise, solve, undo.
        let norms: Vec<f64> = (0..cols).map(|c| a.column(c).norm().max(1e-300)).collect();
        for (c, n) in norms.iter().enumerate() {
            a.column_mut(c).scale_mut(1.0 / n);
        }
        // Tikhonov regularisation: basis functions of nearby poles and FIR taps are nearly
        // collinear, and an unregularised solve cancels huge coefficients against each other.
        let svd = a.svd(true, true);
        let (Some(u), Some(v_t)) = (svd.u.as_ref(), svd.v_t.as_ref()) else {
            return Err(DesignError::Solve);
        };
        let s_max = svd.singular_values.max();
        let lambda = s_max * REGULARISATION;
        let filt = svd.singular_values.map(|s| s / (s * s + lambda * lambda));
        let mut pinv = v_t.transpose() * DMatrix::from_diagonal(&filt) * u.transpose();
        for (c, n) in norms.iter().enumerate() {
            pinv.row_mut(c).scale_mut(1.0 / n);
        }
        if pinv.iter().any(|v| !v.is_finite()) {
            return Err(DesignError::Solve);
        }
        Ok(Solver { pinv })
    }

    fn solve(
        &self,
        goal: &[Complex64],
        w: &[f64],
        lawson: &[f64],
    ) -> Result<DVector<f64>, DesignError> {
        let rows = goal.len();
        let mut b = DVector::<f64>::zeros(2 * rows);
        for i in 0..rows {
            let wi = w[i] * lawson[i].sqrt();
            b[i] = goal[i].re * wi;
            b[rows + i] = goal[i].im * wi;
        }
        let x = &self.pinv * b;
        if x.iter().all(|v| v.is_finite()) {
            Ok(x)
        } else {
            Err(DesignError::Solve)
        }
    }
}

/// Worst error of `design` against `T·e^{-jωD}` on a dense log grid over the band:
/// (magnitude dB, phase degrees). With `magnitude_only` the phase figure is still reported.
pub fn check_error(
    design: &FilterDesign,
    source: &TheveninSource,
    load: &dyn Impedance,
    _magnitude_only: bool,
) -> (f64, f64) {
    let fs = design.sample_rate_hz;
    let mut worst = (0.0f64, 0.0f64);
    for f in log_spaced(BAND_BOTTOM_HZ, band_top_hz(fs), 1500) {
        let delay = Complex64::from_polar(1.0, -2.0 * PI * f * design.latency_samples as f64 / fs);
        let ratio = design.response(f) / (source.transfer(load, f) * delay);
        worst.0 = worst.0.max((20.0 * ratio.norm().log10()).abs());
        worst.1 = worst.1.max(ratio.arg().to_degrees().abs());
    }
    worst
}
