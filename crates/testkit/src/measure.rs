//! Measuring what the engine does: the frequency response of a rendered impulse response,
//! compared with the analytic `T(jω)`; noise spectra and A-weighted levels. Not real-time.

use loadline_core::units::gain_to_db;
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

/// The worst phase difference, in degrees, between `impulse`'s response and the minimum phase
/// of its own magnitude, over the bins from `from_hz` to `to_hz`.
///
/// A causal, stable filter has at least the minimum phase of its magnitude, and exactly that
/// when none of its zeros lies outside the unit circle; so this is how much phase a filter
/// adds beyond what causality demands. The minimum phase comes from the folded real cepstrum
/// of `ln|H|` (Oppenheim & Schafer), on an FFT of twice the padded length of the response until
/// it dies away.
///
/// A zero on the unit circle (a coupling capacitor's, at DC) makes `ln|H|` singular and the
/// cepstrum decay too slowly to fold without aliasing. So the response is measured on a circle
/// just outside the unit circle, `h[k]·αᵏ` with `α^(n/2) = e⁻²⁰`: every zero and pole moves in by
/// the same small factor (one close to 1 − 40/n), a zero outside stays outside unless it was
/// within that factor of the circle (where its phase is negligible), and the cepstrum's
/// aliasing falls below e⁻²⁰.
pub fn excess_phase_deg(impulse: &[f64], sample_rate_hz: f64, from_hz: f64, to_hz: f64) -> f64 {
    // Only the response up to where it has died away (1e-12 of its peak, far below an f32
    // engine's resolution) counts; the FFT need not span the silence after it. At least 2¹⁵
    // points, so that the weighting below stays within 0.13 % of the unit circle.
    let peak = impulse.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let alive = impulse
        .iter()
        .rposition(|x| x.abs() > 1e-12 * peak)
        .map_or(1, |last| last + 1);
    let impulse = &impulse[..alive];
    let n = (2 * alive.next_power_of_two()).max(1 << 15);
    let mut planner = RealFftPlanner::<f64>::new();
    let (forward, inverse) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
    let mut input = forward.make_input_vec();
    let alpha = (-40.0 / n as f64).exp();
    for (k, (x, h)) in input.iter_mut().zip(impulse).enumerate() {
        *x = h * alpha.powi(k as i32);
    }
    let mut spectrum = forward.make_output_vec();
    forward
        .process(&mut input, &mut spectrum)
        .expect("FFT sizes match their plan");
    // ln|H| is real and even: its inverse transform is the real cepstrum.
    let mut log_magnitude: Vec<Complex64> = spectrum
        .iter()
        .map(|h| Complex64::new(h.norm().max(1e-300).ln(), 0.0))
        .collect();
    let mut cepstrum = inverse.make_output_vec();
    inverse
        .process(&mut log_magnitude, &mut cepstrum)
        .expect("FFT sizes match their plan");
    // Folded onto positive quefrencies (the inverse is unnormalised: divide by n).
    for (q, c) in cepstrum.iter_mut().enumerate() {
        *c *= match q {
            0 => 1.0,
            q if q < n / 2 => 2.0,
            q if q == n / 2 => 1.0,
            _ => 0.0,
        } / n as f64;
    }
    let mut minimum = forward.make_output_vec();
    forward
        .process(&mut cepstrum, &mut minimum)
        .expect("FFT sizes match their plan");
    let bin_hz = sample_rate_hz / n as f64;
    let bins = (from_hz / bin_hz).ceil() as usize..=((to_hz / bin_hz).floor() as usize).min(n / 2);
    bins.map(|k| {
        let minimum_phase = Complex64::from_polar(1.0, minimum[k].im);
        (spectrum[k] / minimum_phase).arg().to_degrees().abs()
    })
    .fold(0.0, f64::max)
}

/// Worst deviation between measured and expected responses: (magnitude dB, phase degrees).
pub fn worst_deviation(pairs: impl IntoIterator<Item = (Complex64, Complex64)>) -> (f64, f64) {
    pairs
        .into_iter()
        .fold((0.0f64, 0.0f64), |(db, deg), (measured, expected)| {
            let r = measured / expected;
            (
                db.max(gain_to_db(r.norm()).abs()),
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
    use loadline_core::physics::output::{AUDIO_BAND_HZ, a_weighting};
    let (df, psd) = welch_psd(x, sample_rate_hz, 16_384);
    psd.iter()
        .enumerate()
        .map(|(k, p)| (k as f64 * df, p))
        .filter(|(f, _)| (AUDIO_BAND_HZ.0..=AUDIO_BAND_HZ.1).contains(f))
        .map(|(f, p)| p * a_weighting(f).powi(2) * df)
        .sum::<f64>()
        .sqrt()
}

/// The strongest spectral component of `x` in 20 Hz–20 kHz that is not a harmonic of
/// `fundamental_hz`, relative to the fundamental: `(dB, where in Hz)`. For the alias test of
/// the clipping: one FFT over all of `x` with a 4-term Blackman–Harris window (sidelobes
/// below −92 dB), so `x` should hold a whole number of the fundamental's periods (then every
/// harmonic sits on a bin and its leakage stays in its main lobe, ±4 bins). A component's
/// power is summed over its main lobe.
pub fn worst_non_harmonic_db(x: &[f64], sample_rate_hz: f64, fundamental_hz: f64) -> (f64, f64) {
    use loadline_core::physics::output::AUDIO_BAND_HZ;
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let a = [0.35875, 0.48829, 0.14128, 0.01168];
    let mut input: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let t = 2.0 * PI * i as f64 / n as f64;
            v * (a[0] - a[1] * t.cos() + a[2] * (2.0 * t).cos() - a[3] * (3.0 * t).cos())
        })
        .collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum)
        .expect("FFT sizes match their plan");
    let power: Vec<f64> = spectrum.iter().map(|c| c.norm_sqr()).collect();
    let df = sample_rate_hz / n as f64;
    let lobe = |k: usize| -> f64 {
        power[k.saturating_sub(4)..(k + 5).min(power.len())]
            .iter()
            .sum()
    };
    let fund = lobe((fundamental_hz / df).round() as usize);
    let mut worst = (0.0, 0.0);
    for k in 0..power.len() {
        let f = k as f64 * df;
        if !(AUDIO_BAND_HZ.0..=AUDIO_BAND_HZ.1).contains(&f) {
            continue;
        }
        let h = (f / fundamental_hz).round();
        if h >= 1.0 && (f - h * fundamental_hz).abs() <= 8.0 * df {
            continue;
        }
        let p = lobe(k);
        if p > worst.0 {
            worst = (p, f);
        }
    }
    (10.0 * (worst.0 / fund).log10(), worst.1)
}

/// The peak load voltage when a sine of EMF amplitude `emf_peak` at `freq_hz` drives `load`
/// from `source` and the current is clamped at `±i_max_peak`: the periodic steady state,
/// computed harmonic by harmonic up to `band_top_hz` (as the engine band-limits what the clamp
/// removes). `v = T·e + Z_hp·(clamp(i) − i)`, the engine's own relation, evaluated here
/// independently of its filters.
pub fn current_clamped_voltage_peak(
    source: &loadline_core::physics::source::TheveninSource,
    load: &dyn loadline_core::physics::impedance::Impedance,
    freq_hz: f64,
    emf_peak: f64,
    i_max_peak: f64,
    band_top_hz: f64,
) -> f64 {
    use loadline_core::physics::impedance::Impedance;
    let n = 4096;
    let z_out = source.z_out();
    let y = 1.0 / (load.z_ohm(freq_hz) + z_out.z_ohm(freq_hz));
    let t = source.transfer(load, freq_hz);
    let phasor = |c: Complex64, k: usize, i: usize| {
        (c * Complex64::from_polar(1.0, 2.0 * PI * (k * i) as f64 / n as f64)).re
    };
    let mut removed: Vec<f64> = (0..n)
        .map(|i| {
            let i_lin = phasor(y * emf_peak, 1, i);
            i_lin.clamp(-i_max_peak, i_max_peak) - i_lin
        })
        .collect();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut removed, &mut spectrum)
        .expect("FFT sizes match their plan");
    (0..n)
        .map(|i| {
            let mut v = phasor(t * emf_peak, 1, i);
            for (k, c) in spectrum.iter().enumerate().skip(1) {
                if k as f64 * freq_hz > band_top_hz {
                    break;
                }
                // One-sided spectrum of a real signal: amplitude 2|c|/n per harmonic.
                let z = load.z_ohm(k as f64 * freq_hz);
                v += phasor(z * *c * (2.0 / n as f64), k, i);
            }
            v.abs()
        })
        .fold(0.0, f64::max)
}
