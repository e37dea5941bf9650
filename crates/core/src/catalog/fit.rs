//! A headphone's circuit model fitted to the key points of its published impedance curve.

use super::{DEFAULT_Q, KEY_FREQS_HZ, KeyPoints};
use crate::physics::impedance::{Impedance, Load, MeasuredCurve};

/// The model's shape for given unknowns (`res`, `le`, `l2`, `r2`, all ≥ 0).
fn model_load(p: &KeyPoints, res: f64, le: f64, l2: f64, r2: f64) -> Load {
    let re = p.rdc_ohm.value;
    match &p.f_res_hz {
        Some(f0) => Load::dynamic_driver(
            re,
            le,
            l2,
            r2,
            res,
            f0.value,
            p.q.as_ref().map_or(DEFAULT_Q, |q| q.value),
        ),
        None => {
            let mut series = vec![Load::R(re)];
            if le > 0.0 {
                series.push(Load::L(le));
            }
            if l2 > 0.0 {
                series.push(Load::Parallel(vec![Load::L(l2), Load::R(r2)]));
            }
            Load::Series(series)
        }
    }
}

/// The targets the fit passes through: (frequency, |Z|).
fn fit_targets(p: &KeyPoints) -> Vec<(f64, f64)> {
    let mut t = vec![
        (KEY_FREQS_HZ[0], p.z_1k_ohm.value),
        (KEY_FREQS_HZ[1], p.z_10k_ohm.value),
    ];
    if let (Some(f), Some(z)) = (&p.f_res_hz, &p.z_res_ohm) {
        t.push((f.value, z.value));
    }
    t
}

pub(super) fn fit_load(p: &KeyPoints) -> Load {
    // Several starting points (inductances and R_2 spread over two decades); the best fit
    // wins. With more unknowns than points the damped steps settle near their start.
    let mut best: Option<(f64, Load)> = None;
    for l_scale in [0.1, 1.0, 10.0] {
        for r2_scale in [0.25, 1.0, 4.0] {
            let (cost, load) = fit_from(p, l_scale, r2_scale);
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, load));
            }
        }
    }
    best.expect("at least one start").1
}

/// One Levenberg–Marquardt run from the given start; returns (cost, model).
fn fit_from(p: &KeyPoints, l_scale: f64, r2_scale: f64) -> (f64, Load) {
    let targets = fit_targets(p);
    let has_peak = targets.len() == 3;
    let (x0, bounds) = start_and_bounds(p, &targets, l_scale, r2_scale);
    let unpack = |x: &[f64]| -> (f64, f64, f64, f64) {
        let e = |k: usize| x[k].exp();
        if has_peak {
            (e(0), e(1), e(2), e(3))
        } else {
            (0.0, e(0), e(1), e(2))
        }
    };
    let residuals = |x: &[f64]| -> Vec<f64> {
        let (res, le, l2, r2) = unpack(x);
        let load = model_load(p, res, le, l2, r2);
        targets
            .iter()
            .map(|(f, z)| (load.z_ohm(*f).norm() / z).ln())
            .collect()
    };
    let (x, r) = levenberg_marquardt(x0, &bounds, residuals);
    let (res, le, l2, r2) = unpack(&x);
    (cost(&r), model_load(p, res, le, l2, r2))
}

/// The start and the bounds of the unknowns, as logarithms: res, le, l2, r2 (res only with a
/// peak among `targets`). Start: the peak's excess over R_dc, inductances giving `l_scale`
/// tenths of R_dc at 10 kHz, R_2 = `r2_scale`·R_dc. Physical bounds: a peak up to 100 × R_dc,
/// inductances from 10 nH to 1 H, R_2 within a decade and a half of R_dc. They keep the
/// circuit's poles where audio lives, which the filter design needs.
fn start_and_bounds(
    p: &KeyPoints,
    targets: &[(f64, f64)],
    l_scale: f64,
    r2_scale: f64,
) -> (Vec<f64>, Vec<(f64, f64)>) {
    let re = p.rdc_ohm.value;
    let has_peak = targets.len() == 3;
    let mut x: Vec<f64> = Vec::new();
    if has_peak {
        x.push((targets[2].1 - re).max(0.01 * re).ln());
    }
    let l0 = (l_scale * 0.1 * re / (2.0 * std::f64::consts::PI * 1e4)).max(1e-9);
    x.push(l0.ln());
    x.push(l0.ln());
    x.push((r2_scale * re).ln());
    let mut bounds: Vec<(f64, f64)> = Vec::new();
    if has_peak {
        bounds.push(((1e-3 * re).ln(), (100.0 * re).ln()));
    }
    bounds.push((1e-8f64.ln(), 0.0));
    bounds.push((1e-8f64.ln(), 0.0));
    bounds.push(((0.03 * re).ln(), (30.0 * re).ln()));
    (x, bounds)
}

/// The sum of squares of `r`.
fn cost(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum::<f64>()
}

/// Levenberg–Marquardt from `x` within `bounds`, on `residuals`: at most 200 steps, each
/// clamped to ±3 and into the bounds; returns the solution and its residuals.
fn levenberg_marquardt(
    mut x: Vec<f64>,
    bounds: &[(f64, f64)],
    residuals: impl Fn(&[f64]) -> Vec<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let mut lambda = 1e-3;
    let mut r = residuals(&x);
    for _ in 0..200 {
        if cost(&r) < 1e-14 {
            break;
        }
        let (a, g) = normal_equations(&x, &r, &residuals);
        let mut improved = false;
        for _ in 0..20 {
            let mut m = a.clone();
            for (i, row) in m.iter_mut().enumerate() {
                row[i] += lambda * (a[i][i] + 1e-12);
            }
            let Some(delta) = solve(m, g.clone()) else {
                lambda *= 10.0;
                continue;
            };
            let xn: Vec<f64> = x
                .iter()
                .zip(&delta)
                .zip(bounds)
                .map(|((v, d), (lo, hi))| (v + d.clamp(-3.0, 3.0)).clamp(*lo, *hi))
                .collect();
            let rn = residuals(&xn);
            if cost(&rn) < cost(&r) {
                x = xn;
                r = rn;
                lambda = (lambda / 3.0).max(1e-9);
                improved = true;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (x, r)
}

/// The step's normal equations at `x` (residuals `r`): `JᵀJ` and `−Jᵀr`, with the Jacobian
/// by forward differences in the log parameters.
fn normal_equations(
    x: &[f64],
    r: &[f64],
    residuals: &impl Fn(&[f64]) -> Vec<f64>,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = x.len();
    let jac: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let mut xp = x.to_vec();
            xp[j] += 1e-6;
            residuals(&xp)
                .iter()
                .zip(r)
                .map(|(a, b)| (a - b) / 1e-6)
                .collect()
        })
        .collect();
    let mut a = vec![vec![0.0; n]; n];
    let mut g = vec![0.0; n];
    for i in 0..n {
        for k in 0..n {
            a[i][k] = jac[i].iter().zip(&jac[k]).map(|(u, v)| u * v).sum();
        }
        g[i] = -jac[i].iter().zip(r).map(|(u, v)| u * v).sum::<f64>();
    }
    (a, g)
}

/// Solves the small dense system `a·x = b` (LU with partial pivoting), `None` if singular.
fn solve(a: Vec<Vec<f64>>, b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let m = nalgebra::DMatrix::from_fn(n, n, |i, k| a[i][k]);
    m.lu()
        .solve(&nalgebra::DVector::from_vec(b))
        .map(|x| x.as_slice().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Basis, Figure};

    #[test]
    fn the_fit_passes_through_consistent_key_points() {
        // Key points taken from a known circuit: the fit must find them again.
        let truth = Load::dynamic_driver(250.0, 0.2e-3, 0.5e-3, 500.0, 280.0, 90.0, DEFAULT_Q);
        let fig = |v: f64| Figure {
            value: v,
            basis: Basis::Estimated,
            source: "test".into(),
            note: "test".into(),
            range: None,
        };
        let p = KeyPoints {
            rdc_ohm: fig(250.0),
            f_res_hz: Some(fig(90.0)),
            z_res_ohm: Some(fig(truth.z_ohm(90.0).norm())),
            q: None,
            z_1k_ohm: fig(truth.z_ohm(1000.0).norm()),
            z_10k_ohm: fig(truth.z_ohm(10_000.0).norm()),
        };
        let fitted = fit_load(&p);
        for (f, z) in fit_targets(&p) {
            let got = fitted.z_ohm(f).norm();
            assert!((got / z - 1.0).abs() < 1e-4, "{f} Hz: {got} vs {z}");
        }
    }
}

/// The key points of a measured impedance curve, as the catalog's entries hold them (ohms and
/// hertz): what a user's headphone entry is made of when they give a curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveKeyPoints {
    /// |Z| at the curve's lowest frequency, ohms (the DC resistance, near enough, for a curve
    /// that starts low).
    pub rdc_ohm: f64,
    /// The impedance peak, as (frequency in Hz, |Z| in ohms), when the curve has one (a
    /// planar's flat curve has none).
    pub resonance: Option<(f64, f64)>,
    /// |Z| at 1 kHz, ohms.
    pub z_1k_ohm: f64,
    /// |Z| at 10 kHz, ohms.
    pub z_10k_ohm: f64,
}

impl CurveKeyPoints {
    /// The key points as a catalog entry holds them, each figure as `figure` makes it from its
    /// value (all of one curve share a basis and a source).
    pub fn key_points(&self, figure: impl Fn(f64) -> super::Figure) -> super::KeyPoints {
        super::KeyPoints {
            rdc_ohm: figure(self.rdc_ohm),
            f_res_hz: self.resonance.map(|(f, _)| figure(f)),
            z_res_ohm: self.resonance.map(|(_, z)| figure(z)),
            q: None,
            z_1k_ohm: figure(self.z_1k_ohm),
            z_10k_ohm: figure(self.z_10k_ohm),
        }
    }
}

/// How far above the curve's lowest-frequency point a peak must rise to count as a resonance:
/// 5 %, well above a measurement's ripple.
const PEAK_RISE: f64 = 1.05;

/// The key points of `curve`, or why it has none: it must reach from below 100 Hz to 10 kHz.
pub fn curve_key_points(curve: &MeasuredCurve) -> Result<CurveKeyPoints, String> {
    let points = curve.points();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Err("the curve has no points".into());
    };
    if first.freq_hz > 100.0 || last.freq_hz < KEY_FREQS_HZ[1] {
        return Err(format!(
            "the curve runs from {:.0} Hz to {:.0} Hz; key points need it from below 100 Hz to 10 kHz",
            first.freq_hz, last.freq_hz
        ));
    }
    let z_1k_ohm = curve.z_ohm(KEY_FREQS_HZ[0]).norm();
    // The highest local maximum inside the curve: a rise at either end (the coil's inductance
    // at the top) is not a resonance.
    let peak = points
        .windows(3)
        .filter(|w| w[1].mag_ohm > w[0].mag_ohm && w[1].mag_ohm >= w[2].mag_ohm)
        .map(|w| w[1])
        .max_by(|a, b| a.mag_ohm.total_cmp(&b.mag_ohm))
        .filter(|p| p.mag_ohm > PEAK_RISE * first.mag_ohm);
    Ok(CurveKeyPoints {
        rdc_ohm: first.mag_ohm,
        resonance: peak.map(|p| (p.freq_hz, p.mag_ohm)),
        z_1k_ohm,
        z_10k_ohm: curve.z_ohm(KEY_FREQS_HZ[1]).norm(),
    })
}

#[cfg(test)]
mod curve_tests {
    use super::*;
    use crate::catalog::headphones;

    /// Every catalog headphone's model, sampled as a measurement would be, gives back the key
    /// points it was fitted to: within the fit's 5 %, the peak's frequency within the
    /// sampling's step (about 2 %) on top; a curve with a peak has it found.
    #[test]
    fn a_models_curve_gives_back_its_key_points() {
        for h in headphones() {
            let curve = MeasuredCurve::sampled_from(&h.load(), 5.0, 40_000.0, 400);
            let k = curve_key_points(&curve).unwrap();
            let p = &h.points;
            let near = |got: f64, want: f64, tol: f64| (got / want - 1.0).abs() <= tol;
            let name = h.name();
            assert!(near(k.z_1k_ohm, p.z_1k_ohm.value, 0.05), "{name}: {k:?}");
            assert!(near(k.z_10k_ohm, p.z_10k_ohm.value, 0.05), "{name}: {k:?}");
            assert!(near(k.rdc_ohm, p.rdc_ohm.value, 0.05), "{name}: {k:?}");
            match (k.resonance, &p.f_res_hz, &p.z_res_ohm) {
                (Some((f, z)), Some(f0), Some(z0)) => {
                    assert!(near(f, f0.value, 0.07), "{name}: {k:?}");
                    assert!(near(z, z0.value, 0.05), "{name}: {k:?}");
                }
                (None, None, None) => {}
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_curve_that_stops_short_of_10_khz_has_no_key_points() {
        let curve = MeasuredCurve::sampled_from(&Load::R(32.0), 20.0, 8000.0, 50);
        assert!(curve_key_points(&curve).unwrap_err().contains("10 kHz"));
    }
}
