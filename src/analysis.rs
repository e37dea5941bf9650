//! Measuring what the engine does: the frequency response of a rendered impulse response,
//! compared with the analytic `T(jω)`. Used by the tests and the command line; not real-time.

use num_complex::Complex64;
use realfft::RealFftPlanner;
use std::f64::consts::PI;

/// The DFT of `impulse` (zero-padded to a power of two), as `(bin frequency Hz, value)` at
/// the bins nearest to each of `freqs_hz`.
pub fn response_at_bins(
    impulse: &[f64],
    sample_rate_hz: f64,
    freqs_hz: &[f64],
) -> Vec<(f64, Complex64)> {
    let n = impulse.len().next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input = fft.make_input_vec();
    input[..impulse.len()].copy_from_slice(impulse);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum)
        .expect("FFT sizes match their plan");
    let bin_hz = sample_rate_hz / n as f64;
    freqs_hz
        .iter()
        .map(|&f| {
            let k = ((f / bin_hz).round() as usize).clamp(1, n / 2);
            (k as f64 * bin_hz, spectrum[k])
        })
        .collect()
}

/// Worst deviation between measured and expected responses: (magnitude dB, phase degrees).
pub fn worst_deviation(pairs: impl IntoIterator<Item = (Complex64, Complex64)>) -> (f64, f64) {
    pairs
        .into_iter()
        .fold((0.0f64, 0.0f64), |(db, deg), (measured, expected)| {
            let r = measured / expected;
            (
                db.max((20.0 * r.norm().log10()).abs()),
                deg.max(r.arg().to_degrees().abs()),
            )
        })
}

/// The phase factor of a pure delay of `samples` at `freq_hz`.
pub fn delay_factor(samples: f64, freq_hz: f64, sample_rate_hz: f64) -> Complex64 {
    Complex64::from_polar(1.0, -2.0 * PI * freq_hz * samples / sample_rate_hz)
}

/// Index of the largest absolute sample.
pub fn peak_index(x: &[f32]) -> usize {
    x.iter()
        .enumerate()
        .fold((0, 0.0f32), |(bi, bv), (i, v)| {
            if v.abs() > bv { (i, v.abs()) } else { (bi, bv) }
        })
        .0
}

/// One-sided power spectral density of `x` (units²/Hz) by Welch's method: Hann-windowed
/// segments of `segment` samples (a power of two), half overlapping. Returns
/// `(bin width Hz, density per bin)`.
pub fn welch_psd(x: &[f64], sample_rate_hz: f64, segment: usize) -> (f64, Vec<f64>) {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(segment);
    let window: Vec<f64> = (0..segment)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / segment as f64).cos())
        .collect();
    let window_power: f64 = window.iter().map(|w| w * w).sum();
    let mut acc = vec![0.0; segment / 2 + 1];
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut count = 0;
    let mut start = 0;
    while start + segment <= x.len() {
        for (dst, (s, w)) in input
            .iter_mut()
            .zip(x[start..start + segment].iter().zip(&window))
        {
            *dst = s * w;
        }
        fft.process(&mut input, &mut spectrum)
            .expect("FFT sizes match their plan");
        for (a, c) in acc.iter_mut().zip(&spectrum) {
            *a += c.norm_sqr();
        }
        count += 1;
        start += segment / 2;
    }
    let scale = 2.0 / (sample_rate_hz * window_power * count.max(1) as f64);
    (
        sample_rate_hz / segment as f64,
        acc.into_iter().map(|a| a * scale).collect(),
    )
}

/// The A-weighted RMS of `x` over 20 Hz–20 kHz, from its Welch PSD (16384-sample segments).
pub fn a_weighted_rms(x: &[f64], sample_rate_hz: f64) -> f64 {
    use crate::physics::output::{AUDIO_BAND_HZ, a_weighting};
    let (df, psd) = welch_psd(x, sample_rate_hz, 16_384);
    psd.iter()
        .enumerate()
        .map(|(k, p)| (k as f64 * df, p))
        .filter(|(f, _)| (AUDIO_BAND_HZ.0..=AUDIO_BAND_HZ.1).contains(f))
        .map(|(f, p)| p * a_weighting(f).powi(2) * df)
        .sum::<f64>()
        .sqrt()
}
