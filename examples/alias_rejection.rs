//! Measures aliasing of the output stage: 1 kHz and 5 kHz sines driven 6 dB past the clip
//! point (rail-limited and current-limited outputs), at 44.1 and 48 kHz. Prints the strongest
//! component that is not a harmonic, relative to the fundamental.
use loadline::analysis::welch_psd;
use loadline::dsp::design::{DesignMode, design};
use loadline::dsp::engine::{Engine, StageSettings};
use loadline::physics::impedance::{Impedance, Load};
use std::f64::consts::PI;

fn worst_alias_db(
    load: &dyn Impedance,
    stage: StageSettings,
    rate: f64,
    freq: f64,
    peak: f64,
) -> f64 {
    let src = loadline::physics::source::TheveninSource {
        r_out_ohm: 10.0,
        coupling_cap_f: None,
    };
    let mut e = Engine::new(
        1,
        design(&src, load, rate, DesignMode::ZeroLatency).unwrap(),
    );
    e.set_stage(stage);
    let n = (4.0 * rate) as usize;
    let mut y: Vec<f32> = (0..n)
        .map(|i| (peak * (2.0 * PI * freq * i as f64 / rate).sin()) as f32)
        .collect();
    e.process(&mut [&mut y]);
    let x: Vec<f64> = y[n / 4..].iter().map(|&v| v as f64).collect();
    let (df, psd) = welch_psd(&x, rate, 65_536);
    let fund = psd[(freq / df).round() as usize - 3..=(freq / df).round() as usize + 3]
        .iter()
        .sum::<f64>();
    let mut worst = 0.0f64;
    for k in 0..psd.len() {
        let f = k as f64 * df;
        let h = (f / freq).round();
        let near_harmonic = h >= 1.0 && (f - h * freq).abs() < 8.0 * df;
        if !near_harmonic && f > 20.0 {
            let local: f64 = psd[k.saturating_sub(3)..(k + 4).min(psd.len())]
                .iter()
                .sum();
            worst = worst.max(local);
        }
    }
    10.0 * (worst / fund).log10()
}

fn main() {
    for rate in [44_100.0, 48_000.0] {
        for freq in [1000.0, 5000.0] {
            let rail = StageSettings {
                rail_over_fs: 0.5,
                ..StageSettings::TRANSPARENT
            };
            let current = StageSettings {
                imax_over_fs: 0.5 / 40.0,
                ..StageSettings::TRANSPARENT
            };
            // 6 dB past the clip point: twice the limit's amplitude.
            let r = worst_alias_db(&Load::R(30.0), rail, rate, freq, 1.0);
            let c = worst_alias_db(&Load::R(30.0), current, rate, freq, 1.0);
            println!("{rate} Hz, {freq} Hz sine: rail clip {r:.1} dB, current limit {c:.1} dB");
        }
    }
}
