//! The test kit's measurements against signals whose answers are known.

use loadline_core::units::db_to_gain;
use loadline_testkit::measure::{excess_phase_deg, worst_non_harmonic_db};
use std::f64::consts::PI;

/// A −90 dB tone off the harmonic grid is found at its level and place; harmonics are not
/// counted.
#[test]
fn finds_a_non_harmonic_tone_and_ignores_harmonics() {
    let rate = 48_000.0;
    let x: Vec<f64> = (0..96_000)
        .map(|i| {
            let t = i as f64 / rate;
            (2.0 * PI * 1000.0 * t).sin()
                + 0.1 * (2.0 * PI * 3000.0 * t).sin()
                + db_to_gain(-90.0) * (2.0 * PI * 7_250.0 * t).sin()
        })
        .collect();
    let (db, at_hz) = worst_non_harmonic_db(&x, rate, 1000.0);
    assert!((db + 90.0).abs() < 0.5, "{db}");
    assert!((at_hz - 7_250.0).abs() < 2.0, "{at_hz}");
}

/// The impulse response of `b(z)/a(z)` (`a[0]` = 1), `len` samples.
fn impulse_response(b: &[f64], a: &[f64], len: usize) -> Vec<f64> {
    let mut y = vec![0.0; len];
    for n in 0..len {
        let feed: f64 = b.get(n).copied().unwrap_or(0.0);
        let back: f64 = (1..a.len().min(n + 1)).map(|k| a[k] * y[n - k]).sum();
        y[n] = feed - back;
    }
    y
}

/// A minimum-phase filter has no excess phase; the same magnitude with its zero reflected
/// outside the unit circle has the excess phase that zero adds, worked out by hand.
#[test]
fn excess_phase_is_zero_for_minimum_phase_and_the_reflected_zeros_phase_otherwise() {
    let rate = 48_000.0;
    // A zero at 0.5 and a pole at 0.9: minimum phase.
    let minimum = impulse_response(&[1.0, -0.5], &[1.0, -0.9], 4096);
    let excess = excess_phase_deg(&minimum, rate, 20.0, 20_000.0);
    assert!(excess < 1e-6, "{excess}");
    // The zero moved to 2 (the same magnitude, doubled): its excess over the minimum phase
    // is the all-pass (1 − 2z⁻¹)/(2 − z⁻¹), 180° at DC and falling from there, so the worst in
    // the band is at 20 Hz. The measurement's first bin may lie up to a bin (under 1.5 Hz)
    // higher, where the all-pass's three samples of group delay take 0.034° off at most.
    let maximum = impulse_response(&[1.0, -2.0], &[1.0, -0.9], 4096);
    let z_inv = num_complex::Complex64::from_polar(1.0, -2.0 * PI * 20.0 / rate);
    let expected = ((1.0 - 2.0 * z_inv) / (2.0 - z_inv))
        .arg()
        .to_degrees()
        .abs();
    let excess = excess_phase_deg(&maximum, rate, 20.0, 20_000.0);
    assert!(
        (excess - expected).abs() < 0.05,
        "{excess} against {expected}"
    );
    assert!(excess > 170.0, "{excess}");
}
