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
