//! Reading a recording: a sine's amplitude by least squares, a waveform's peaks, a marker by
//! correlation, and the noise in the audio band.

use crate::physics::output::{AUDIO_BAND_HZ, a_weighting};
use nalgebra::{Matrix4, Vector4};
use realfft::RealFftPlanner;
use std::f64::consts::PI;

/// A sine fitted to a stretch of recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SineFit {
    /// Its amplitude (peak), in the recording's unit.
    pub amp: f64,
    /// The RMS of what the sine does not explain (noise and distortion).
    pub residual_rms: f64,
    /// How many samples it was fitted to.
    pub samples: usize,
}

impl SineFit {
    /// The standard deviation of `amp` from the residual: a least-squares amplitude over `n`
    /// samples of white residual `σ` has `σ·√(2/n)`.
    pub fn amp_sigma(&self) -> f64 {
        self.residual_rms * (2.0 / self.samples.max(1) as f64).sqrt()
    }
}

/// The sine of `freq_hz` in `x` (sampled at `rate_hz`) by least squares, beside a constant and
/// a straight line: a coupling capacitor charging through the input's impedance drifts slowly,
/// and the line takes that up instead of the sine.
pub fn sine_fit(x: &[f64], freq_hz: f64, rate_hz: f64) -> SineFit {
    let n = x.len();
    let w = 2.0 * PI * freq_hz / rate_hz;
    let mid = (n as f64 - 1.0) / 2.0;
    let basis = |i: usize| {
        let t = i as f64;
        Vector4::new(
            (w * t).cos(),
            (w * t).sin(),
            1.0,
            (t - mid) / n.max(1) as f64,
        )
    };
    let mut ata = Matrix4::zeros();
    let mut atb = Vector4::zeros();
    for (i, &v) in x.iter().enumerate() {
        let b = basis(i);
        ata += b * b.transpose();
        atb += b * v;
    }
    let coef = ata.lu().solve(&atb).unwrap_or_else(Vector4::zeros);
    let residual: f64 = x
        .iter()
        .enumerate()
        .map(|(i, &v)| (v - basis(i).dot(&coef)).powi(2))
        .sum();
    SineFit {
        amp: coef[0].hypot(coef[1]),
        residual_rms: (residual / n.max(1) as f64).sqrt(),
        samples: n,
    }
}

/// The waveform's peak, cycle by cycle: the median over whole cycles of `freq_hz` of half
/// each cycle's peak-to-peak. A clipped sine's peak stays at the clip while its fundamental
/// grows past it; the median is deaf to a stray spike.
pub fn cycle_peak(x: &[f64], freq_hz: f64, rate_hz: f64) -> f64 {
    let per_cycle = (rate_hz / freq_hz).round().max(2.0) as usize;
    let mut peaks: Vec<f64> = x
        .chunks_exact(per_cycle)
        .map(|c| {
            let (lo, hi) = c
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            (hi - lo) / 2.0
        })
        .collect();
    if peaks.is_empty() {
        return 0.0;
    }
    peaks.sort_by(f64::total_cmp);
    peaks[peaks.len() / 2]
}

/// The normalised correlation of `template` with `x` at every lag (lag `i`: `template`
/// against `x[i..i + len]`), from −1 to 1: 1 where `x` holds the template scaled.
pub fn correlation(x: &[f64], template: &[f64]) -> Vec<f64> {
    let m = template.len();
    if x.len() < m || m == 0 {
        return Vec::new();
    }
    let n = (x.len() + m).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(n);
    let mut a = forward.make_input_vec();
    a[..x.len()].copy_from_slice(x);
    let mut b = forward.make_input_vec();
    // The template reversed: a convolution with it is a correlation.
    for (i, &v) in template.iter().rev().enumerate() {
        b[i] = v;
    }
    let mut fa = forward.make_output_vec();
    let mut fb = forward.make_output_vec();
    forward.process(&mut a, &mut fa).expect("sizes match");
    forward.process(&mut b, &mut fb).expect("sizes match");
    for (p, q) in fa.iter_mut().zip(&fb) {
        *p *= q;
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut fa, &mut out).expect("sizes match");
    let template_norm = template.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut energy: f64 = x[..m].iter().map(|v| v * v).sum();
    let lags = x.len() - m + 1;
    let mut corr = Vec::with_capacity(lags);
    for i in 0..lags {
        if i > 0 {
            energy += x[i + m - 1].powi(2) - x[i - 1].powi(2);
        }
        let norm = template_norm * energy.max(0.0).sqrt();
        let c = out[i + m - 1] / n as f64;
        corr.push(if norm > 0.0 { c / norm } else { 0.0 });
    }
    corr
}

/// The noise of a stretch of recording over 20 Hz–20 kHz, and how sure each figure is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandNoise {
    /// Its mean square, unweighted.
    pub flat: f64,
    /// Its mean square, A-weighted.
    pub weighted: f64,
    /// The independent estimates the unweighted figure averages: its relative standard
    /// deviation is one over the square root.
    pub estimates_flat: f64,
    /// The same for the A-weighted figure.
    pub estimates_weighted: f64,
}

/// Welch's averaged periodogram of `x`: segments of `seg` samples under a Hann window, half
/// overlapped, each with its mean removed. Each bin's mean |X|² over the window's power (Σw²),
/// and the number of segments; `None` when `x` is shorter than one segment.
pub fn welch(x: &[f64], seg: usize) -> Option<(Vec<f64>, usize)> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(seg);
    let window: Vec<f64> = (0..seg)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / seg as f64).cos())
        .collect();
    let window_power: f64 = window.iter().map(|w| w * w).sum();
    let mut psd = vec![0.0; seg / 2 + 1];
    let mut count = 0;
    let mut start = 0;
    while start + seg <= x.len() {
        let chunk = &x[start..start + seg];
        let mean = chunk.iter().sum::<f64>() / seg as f64;
        let mut input: Vec<f64> = chunk
            .iter()
            .zip(&window)
            .map(|(v, w)| (v - mean) * w)
            .collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut input, &mut spectrum).expect("sizes match");
        for (p, c) in psd.iter_mut().zip(&spectrum) {
            *p += c.norm_sqr();
        }
        count += 1;
        start += seg / 2;
    }
    if count == 0 {
        return None;
    }
    let scale = 1.0 / (count as f64 * window_power);
    psd.iter_mut().for_each(|p| *p *= scale);
    Some((psd, count))
}

/// The noise of `x` over 20 Hz–20 kHz, by Welch's method ([`welch`]; `None` when `x` is
/// shorter than a segment).
pub fn band_noise(x: &[f64], rate_hz: f64) -> Option<BandNoise> {
    let seg = 8192.min(x.len().next_power_of_two() / 2).max(256);
    let (psd, count) = welch(x, seg)?;
    let bin_hz = rate_hz / seg as f64;
    let (mut flat, mut weighted, mut flat_sq, mut weighted_sq) = (0.0, 0.0, 0.0, 0.0);
    for (k, p) in psd.iter().enumerate() {
        let f = k as f64 * bin_hz;
        if f < AUDIO_BAND_HZ.0 || f > AUDIO_BAND_HZ.1 {
            continue;
        }
        // One-sided: each bin's power counts twice but DC and Nyquist, which lie outside.
        let power = 2.0 * p / seg as f64;
        let a = power * a_weighting(f).powi(2);
        flat += power;
        weighted += a;
        flat_sq += power * power;
        weighted_sq += a * a;
    }
    // Half-overlapped Hann segments are worth about count / 1.9 independent ones; a Hann
    // window's bins overlap over 1.5 bins; and a sum of bins is as sure as the number of
    // bins that carry it (its participation ratio: all of them for white noise, one for hum).
    let segments = count as f64 / 1.9;
    let estimates = |sum: f64, sum_sq: f64| {
        if sum_sq > 0.0 {
            segments * sum * sum / sum_sq / 1.5
        } else {
            segments
        }
    };
    Some(BandNoise {
        flat,
        weighted,
        estimates_flat: estimates(flat, flat_sq).max(1.0),
        estimates_weighted: estimates(weighted, weighted_sq).max(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_is_fitted_beside_a_drift_and_a_clipped_ones_peak_is_its_clip() {
        let rate = 48_000.0;
        let x: Vec<f64> = (0..4800)
            .map(|i| 0.3 * (2.0 * PI * 1000.0 * i as f64 / rate + 0.4).sin() + 1e-5 * i as f64)
            .collect();
        let fit = sine_fit(&x, 1000.0, rate);
        assert!(
            (fit.amp - 0.3).abs() < 1e-9 && fit.residual_rms < 1e-9,
            "{fit:?}"
        );
        let clipped: Vec<f64> = x.iter().map(|v| v.clamp(-0.25, 0.25)).collect();
        let peak = cycle_peak(&clipped, 1000.0, rate);
        assert!((peak - 0.25).abs() < 0.01, "{peak}");
        assert!(sine_fit(&clipped, 1000.0, rate).amp > 0.25);
    }

    #[test]
    fn a_template_is_found_at_its_lag() {
        let t: Vec<f64> = (0..64).map(|i| ((i * i) as f64 * 0.01).sin()).collect();
        let mut x = vec![0.0; 1000];
        for (i, v) in t.iter().enumerate() {
            x[321 + i] = 0.5 * v;
        }
        let c = correlation(&x, &t);
        let best = (0..c.len()).max_by(|&a, &b| c[a].total_cmp(&c[b])).unwrap();
        assert_eq!(best, 321);
        assert!((c[best] - 1.0).abs() < 1e-9);
    }
}
