//! The simulated loopback interface against the circuit it models: levels at the analytic
//! divider, the coupling capacitor's complex divider, the rails, the current limit, the noise
//! at the asked RMS, the latency and the converter's clipping.

use loadline_core::units::gain_to_db;
use loadline_testkit::interface::{Pass, SimInput, SimOutput, SimPass, record, white_sigma};
use loadline_testkit::measure::welch_psd;
use std::f64::consts::PI;

/// A 10 Ω, DC-coupled output of 2 V peak at full scale, with neither rails nor a current limit
/// nor noise: each test adds what it examines.
fn output() -> SimOutput {
    SimOutput {
        full_scale_v_peak: 2.0,
        r_out_ohm: 10.0,
        coupling_cap_uf: None,
        rail_v_peak: None,
        i_max_ma_peak: None,
        noise_vrms: 0.0,
    }
}

/// A 10 kΩ line input recording 2 V peak as full scale, noiseless, with a latency and a tail.
fn input() -> SimInput {
    SimInput {
        input_full_scale_v_peak: 2.0,
        input_ohm: 10_000.0,
        input_noise_vrms: 0.0,
        latency_samples: 317,
        tail_samples: 1000,
    }
}

fn pass(pass: Pass, seed: u64) -> SimPass {
    SimPass {
        pass,
        volume_gain: 1.0,
        seed,
    }
}

const LOADED: Pass = Pass::Loaded { load_ohm: 33.0 };

/// `frames` of a sine of `amplitude` (1.0 = 0 dBFS) at `freq_hz` on both channels.
fn sine(freq_hz: f64, sample_rate_hz: f64, amplitude: f64, frames: usize) -> Vec<[f32; 2]> {
    (0..frames)
        .map(|n| {
            let x = (amplitude * (2.0 * PI * freq_hz * n as f64 / sample_rate_hz).sin()) as f32;
            [x, x]
        })
        .collect()
}

/// One channel of a recording as `f64`.
fn channel(rec: &[[f32; 2]], ch: usize) -> Vec<f64> {
    rec.iter().map(|f| f64::from(f[ch])).collect()
}

/// The least-squares fit of `a·sin(ωn) + b·cos(ωn) + c` to `x` (whose first sample is sample
/// `first` of the recording), with `n` counted from `phase_origin`, the sample where the played
/// sine's phase was zero; returned as `(amplitude, phase in degrees)` of
/// `amplitude·sin(ωn + phase)`. The constant absorbs what is left of a start-up transient.
fn fit_sine(
    x: &[f64],
    first: usize,
    freq_hz: f64,
    sample_rate_hz: f64,
    phase_origin: usize,
) -> (f64, f64) {
    let w = 2.0 * PI * freq_hz / sample_rate_hz;
    // The normal equations of the three basis functions.
    let mut m = [[0.0f64; 3]; 3];
    let mut v = [0.0f64; 3];
    for (i, &y) in x.iter().enumerate() {
        let t = w * (first + i) as f64 - w * phase_origin as f64;
        let basis = [t.sin(), t.cos(), 1.0];
        for r in 0..3 {
            v[r] += basis[r] * y;
            for c in 0..3 {
                m[r][c] += basis[r] * basis[c];
            }
        }
    }
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    let solve = |col: usize| {
        let mut mc = m;
        for r in 0..3 {
            mc[r][col] = v[r];
        }
        det(&mc) / d
    };
    let (a, b) = (solve(0), solve(1));
    // a·sin t + b·cos t = A·sin(t + φ) with A = |a + jb|, φ = arg(a + jb).
    (a.hypot(b), b.atan2(a).to_degrees())
}

/// The sine's level and phase in `rec`'s channel `ch`, over `fit_frames` after `settle_frames`
/// of the played signal (which starts at the latency).
fn measured(
    rec: &[[f32; 2]],
    ch: usize,
    freq_hz: f64,
    rate: f64,
    latency: usize,
    settle_frames: usize,
    fit_frames: usize,
) -> (f64, f64) {
    let x = channel(rec, ch);
    let first = latency + settle_frames;
    fit_sine(&x[first..first + fit_frames], first, freq_hz, rate, latency)
}

/// A 1 kHz sine at −20 dBFS records, open and loaded by 33 Ω, at the resistive divider's level;
/// the right output, never loaded, records the open level in both passes; a drift of the volume
/// moves the loaded level by just that much. Small noise on both sides is left in, as it would
/// be in a real recording: a fit over a thousand cycles averages it away.
#[test]
fn a_sine_records_at_the_resistive_divider_open_and_loaded() {
    let rate = 48_000.0;
    let out = SimOutput {
        noise_vrms: 2e-6,
        ..output()
    };
    let inp = SimInput {
        input_noise_vrms: 1e-6,
        ..input()
    };
    let played = sine(1000.0, rate, 0.1, 60_000);
    let emf = 0.1 * 2.0;
    let open_jack = emf * 10_000.0 / (10_000.0 + 10.0);
    let r_l = 1.0 / (1.0 / 10_000.0 + 1.0 / 33.0);
    let loaded_jack = emf * r_l / (r_l + 10.0);
    let expect_db = |volts: f64| gain_to_db(volts / 2.0);
    // The library's analytic divider agrees with the hand-written one.
    assert!((out.divider(r_l, 1000.0).norm() - r_l / (r_l + 10.0)).abs() < 1e-15);
    assert!((inp.load_ohm(&LOADED) - r_l).abs() < 1e-12);

    let level = |rec: &[[f32; 2]], ch: usize| {
        gain_to_db(measured(rec, ch, 1000.0, rate, inp.latency_samples, 480, 48_000).0)
    };
    let open = record(&played, rate, &out, &inp, &pass(Pass::Open, 1));
    let loaded = record(&played, rate, &out, &inp, &pass(LOADED, 2));
    let drifted = record(
        &played,
        rate,
        &out,
        &inp,
        &pass(LOADED, 3).with_drift_db(0.05),
    );
    let cases = [
        ("open left", level(&open, 0), expect_db(open_jack)),
        ("open right", level(&open, 1), expect_db(open_jack)),
        ("loaded left", level(&loaded, 0), expect_db(loaded_jack)),
        ("loaded right", level(&loaded, 1), expect_db(open_jack)),
        (
            "drifted left",
            level(&drifted, 0),
            expect_db(loaded_jack) + 0.05,
        ),
    ];
    for (name, got, want) in cases {
        eprintln!(
            "{name}: {got:.5} dBFS, divider {want:.5} dBFS, off {:+.2e} dB",
            got - want
        );
        assert!(
            (got - want).abs() < 0.01,
            "{name}: {got} dB, want {want} dB"
        );
    }
    // The load matters: the two passes' left levels differ by the divider's ratio, 1.19 dB.
    assert!(level(&open, 0) - level(&loaded, 0) > 1.0);
}

/// With a 100 µF coupling capacitor the steady state of a sine matches the complex divider
/// `R_L / (R_L + r_out + 1/(jωC))` within 0.01 dB at 20 Hz, 1 kHz and 20 kHz, at 44.1 and
/// 96 kHz, open and loaded; and in phase within 0.1°, which the trapezoidal rule's frequency
/// warping of the capacitor's reactance nearly uses up at 20 kHz and 44.1 kHz (0.08°: the
/// reactance, a fraction of an ohm there, comes out 4.8 times too small). At 20 Hz loaded the capacitor's reactance (80 Ω) is
/// larger than the loop's resistance, so a model without it would miss by 6.5 dB.
#[test]
fn a_coupling_capacitor_gives_the_complex_divider() {
    let out = SimOutput {
        coupling_cap_uf: Some(100.0),
        ..output()
    };
    let inp = input();
    let cap_f = 100e-6;
    let mut worst: (f64, f64) = (0.0, 0.0);
    for rate in [44_100.0, 96_000.0] {
        for freq in [20.0, 1000.0, 20_000.0] {
            for (p, seed) in [(Pass::Open, 5), (LOADED, 6)] {
                let r_l = inp.load_ohm(&p);
                // Settle for eight time constants of the loop (the start-up transient is
                // under 1 % of the signal at 20 Hz and decays to 3e-4 of that), then fit one
                // second: a whole number of cycles of each frequency.
                let tau = (10.0 + r_l) * cap_f;
                let settle = (8.0 * tau * rate).ceil() as usize;
                let fit = rate as usize;
                let played = sine(freq, rate, 0.5, settle + fit);
                let rec = record(&played, rate, &out, &inp, &pass(p, seed));
                let x_c = num_complex::Complex64::new(0.0, -1.0 / (2.0 * PI * freq * cap_f));
                let want = r_l / (r_l + 10.0 + x_c) * (0.5 * 2.0 / 2.0);
                let (amp, phase) = measured(&rec, 0, freq, rate, inp.latency_samples, settle, fit);
                let db = gain_to_db(amp / want.norm());
                let deg = phase - want.arg().to_degrees();
                eprintln!(
                    "{rate} Hz, {freq} Hz, R_L {r_l:.3} Ω: level off {db:+.2e} dB, phase off {deg:+.2e}°"
                );
                assert!(db.abs() < 0.01, "{rate} {freq} {r_l}: {db} dB");
                assert!(deg.abs() < 0.1, "{rate} {freq} {r_l}: {deg}°");
                worst = (worst.0.max(db.abs()), worst.1.max(deg.abs()));
            }
        }
    }
    eprintln!("worst: {:.2e} dB, {:.2e}°", worst.0, worst.1);
}

/// Rails clip the EMF: a 0 dBFS sine (2 V peak EMF) against 1.5 V rails records, open, with
/// its peaks at `rail·R_L/(R_L + r_out)`, flat for a stretch around each crest; without the
/// rails the same sine reaches the full 2 V through the divider.
#[test]
fn rails_clip_the_peaks_at_the_rail_through_the_divider() {
    let rate = 48_000.0;
    let played = sine(1000.0, rate, 1.0, 4800);
    let inp = input();
    let railed = SimOutput {
        rail_v_peak: Some(1.5),
        ..output()
    };
    let divider = 10_000.0 / 10_010.0;
    let peak = |rec: &[[f32; 2]], ch: usize| {
        rec.iter()
            .map(|f| f64::from(f[ch]).abs())
            .fold(0.0, f64::max)
    };
    let rec = record(&played, rate, &railed, &inp, &pass(Pass::Open, 7));
    let want = 1.5 * divider / 2.0;
    for ch in 0..2 {
        let got = peak(&rec, ch);
        eprintln!("railed peak, channel {ch}: {got:.7}, want {want:.7}");
        assert!((got / want - 1.0).abs() < 1e-6, "{got} vs {want}");
        // 2·|sin| stays above 1.5 from 48.6° to 131.4° of each half cycle: 46 % of the
        // 4800 played samples sit at the rail.
        let flat = rec
            .iter()
            .filter(|f| (f64::from(f[ch]).abs() / want - 1.0).abs() < 1e-6)
            .count();
        assert!((2100..2300).contains(&flat), "{flat} samples at the rail");
    }
    let free = record(&played, rate, &output(), &inp, &pass(Pass::Open, 7));
    let got = peak(&free, 0);
    assert!((got / (2.0 * divider / 2.0) - 1.0).abs() < 1e-6, "{got}");
}

/// A current limit of 20 mA clamps the loaded left output (a 2 V EMF would push 46.6 mA into
/// 42.9 Ω) at `i_max·R_L`, while the open right output (0.2 mA) and a −20 dBFS sine into the
/// load (4.7 mA) are untouched.
#[test]
fn a_current_limit_clips_the_loaded_peaks_at_i_max_times_the_load() {
    let rate = 48_000.0;
    let inp = input();
    let limited = SimOutput {
        i_max_ma_peak: Some(20.0),
        ..output()
    };
    let r_l = inp.load_ohm(&LOADED);
    let peak = |rec: &[[f32; 2]], ch: usize| {
        rec.iter()
            .map(|f| f64::from(f[ch]).abs())
            .fold(0.0, f64::max)
    };
    let loud = record(
        &sine(1000.0, rate, 1.0, 4800),
        rate,
        &limited,
        &inp,
        &pass(LOADED, 8),
    );
    let want_left = 0.020 * r_l / 2.0;
    let want_right = 2.0 * 10_000.0 / 10_010.0 / 2.0;
    let (left, right) = (peak(&loud, 0), peak(&loud, 1));
    eprintln!(
        "limited peaks: left {left:.7} (want {want_left:.7}), right {right:.7} (want {want_right:.7})"
    );
    assert!(
        (left / want_left - 1.0).abs() < 1e-6,
        "{left} vs {want_left}"
    );
    assert!(
        (right / want_right - 1.0).abs() < 1e-6,
        "{right} vs {want_right}"
    );

    let quiet = record(
        &sine(1000.0, rate, 0.1, 4800),
        rate,
        &limited,
        &inp,
        &pass(LOADED, 9),
    );
    let want_quiet = 0.2 * r_l / (r_l + 10.0) / 2.0;
    let got = peak(&quiet, 0);
    assert!(
        (got / want_quiet - 1.0).abs() < 1e-3,
        "{got} vs {want_quiet}"
    );
}

/// The in-band RMS (20 Hz–20 kHz) of one channel, from its Welch PSD.
fn band_rms(x: &[f64], rate: f64) -> f64 {
    let (df, psd) = welch_psd(x, rate, 16_384);
    psd.iter()
        .enumerate()
        .filter(|(k, _)| (20.0..=20_000.0).contains(&(*k as f64 * df)))
        .map(|(_, p)| p * df)
        .sum::<f64>()
        .sqrt()
}

/// In silence the noise has the RMS asked for over 20 Hz–20 kHz, within 0.3 dB, at 44.1, 48 and
/// 96 kHz: the input's alone (nothing plugged in), the output's alone through the divider and
/// at a quarter of the volume (its floor does not follow the volume), and both together (they
/// add in power). The channels' noises are independent, the floor's independent of a
/// recording's with the same seed, and the same seed repeats the same noise.
#[test]
fn the_noise_in_silence_has_the_rms_asked_for() {
    let (out_vrms, in_vrms) = (20e-6, 5e-6);
    let divider = 10_000.0 / 10_010.0;
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        let frames = (10.0 * rate) as usize;
        let silence = vec![[0.0f32; 2]; frames];
        let noisy_in = SimInput {
            input_noise_vrms: in_vrms,
            latency_samples: 0,
            tail_samples: 0,
            ..input()
        };
        let noisy_out = SimOutput {
            noise_vrms: out_vrms,
            ..output()
        };
        let quiet_in = SimInput {
            latency_samples: 0,
            tail_samples: 0,
            ..input()
        };
        let floor = noisy_in.recorded_floor(frames, rate, 11);
        let quarter = SimPass {
            volume_gain: 0.25,
            ..pass(Pass::Open, 12)
        };
        let out_only = record(&silence, rate, &noisy_out, &quiet_in, &quarter);
        let both = record(&silence, rate, &noisy_out, &noisy_in, &pass(Pass::Open, 13));
        let cases = [
            ("input floor", &floor, in_vrms),
            ("output", &out_only, out_vrms * divider),
            ("both", &both, (out_vrms * divider).hypot(in_vrms)),
        ];
        for (name, rec, vrms) in cases {
            for ch in 0..2 {
                let got = band_rms(&channel(rec, ch), rate) * 2.0;
                let db = gain_to_db(got / vrms);
                eprintln!("{rate} Hz, {name}, channel {ch}: {got:.4e} V, off {db:+.3} dB");
                assert!(db.abs() < 0.3, "{rate} {name} {ch}: {db} dB");
            }
        }
        // The whole-band RMS per sample is the in-band one scaled to Nyquist.
        let sigma = white_sigma(in_vrms, rate);
        let total =
            (channel(&floor, 0).iter().map(|v| v * v).sum::<f64>() / frames as f64).sqrt() * 2.0;
        assert!(gain_to_db(total / sigma).abs() < 0.1, "{total} vs {sigma}");

        let (l, r) = (channel(&both, 0), channel(&both, 1));
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let corr = dot(&l, &r) / (dot(&l, &l) * dot(&r, &r)).sqrt();
        assert!(corr.abs() < 0.01, "left and right correlate: {corr}");
    }
    let rate = 48_000.0;
    let silence = vec![[0.0f32; 2]; 4800];
    let noisy_in = SimInput {
        input_noise_vrms: 5e-6,
        latency_samples: 0,
        tail_samples: 0,
        ..input()
    };
    let a = record(&silence, rate, &output(), &noisy_in, &pass(Pass::Open, 21));
    let b = record(&silence, rate, &output(), &noisy_in, &pass(Pass::Open, 21));
    let c = record(&silence, rate, &output(), &noisy_in, &pass(Pass::Open, 22));
    let floor = noisy_in.recorded_floor(4800, rate, 21);
    assert_eq!(a, b, "the same seed repeats the same noise");
    assert!(
        a.iter().zip(&c).all(|(x, y)| x != y),
        "another seed draws other noise"
    );
    assert!(
        a.iter().zip(&floor).all(|(x, y)| x != y),
        "the floor has its own noise"
    );
}

/// The played signal arrives exactly `latency_samples` into the recording: before it the
/// recording is silent (no noise here), after it come `tail_samples` of silence, and in between
/// every sample is the played one through the gain chain. With noise, the cross-correlation
/// with the played signal peaks at the same lag.
#[test]
fn the_latency_shifts_the_signal_by_exactly_its_samples() {
    let rate = 48_000.0;
    let inp = SimInput {
        latency_samples: 1234,
        tail_samples: 567,
        ..input()
    };
    // A chirp-like, aperiodic signal, so that no other lag can match.
    let played: Vec<[f32; 2]> = (0..4000)
        .map(|n| {
            let t = n as f64 / rate;
            let x = 0.5 * (2.0 * PI * (200.0 + 40_000.0 * t) * t).sin();
            [x as f32, (-x) as f32]
        })
        .collect();
    let rec = record(&played, rate, &output(), &inp, &pass(LOADED, 31));
    assert_eq!(rec.len(), 1234 + 4000 + 567);
    assert!(rec[..1234].iter().all(|f| *f == [0.0, 0.0]));
    assert!(rec[1234 + 4000..].iter().all(|f| *f == [0.0, 0.0]));
    let r_l = inp.load_ohm(&LOADED);
    let gains = [r_l / (r_l + 10.0), 10_000.0 / 10_010.0];
    for (n, p) in played.iter().enumerate() {
        for ch in 0..2 {
            let want = f64::from(p[ch]) * 2.0 * gains[ch] / 2.0;
            let got = f64::from(rec[1234 + n][ch]);
            assert!(
                (got - want).abs() < 1e-7,
                "sample {n}, channel {ch}: {got} vs {want}"
            );
        }
    }

    let noisy = SimOutput {
        noise_vrms: 1e-3,
        ..output()
    };
    let noisy_in = SimInput {
        input_noise_vrms: 1e-3,
        ..inp
    };
    let rec = record(&played, rate, &noisy, &noisy_in, &pass(Pass::Open, 32));
    let x = channel(&rec, 0);
    let p: Vec<f64> = played.iter().map(|f| f64::from(f[0])).collect();
    let best = (0..=x.len() - p.len())
        .max_by(|&a, &b| {
            let corr = |lag: usize| -> f64 { p.iter().zip(&x[lag..]).map(|(u, v)| u * v).sum() };
            corr(a).total_cmp(&corr(b))
        })
        .expect("some lag");
    assert_eq!(best, 1234);
}

/// The converter clips at ±1.0: with an input whose full scale is 0.5 V, a 2 V peak sine
/// records flat at exactly ±1.0, and wherever it stays below full scale it records what an
/// input of 100 V full scale records, scaled by 200.
#[test]
fn the_converter_clips_at_full_scale() {
    let rate = 48_000.0;
    let played = sine(1000.0, rate, 1.0, 4800);
    let small = SimInput {
        input_full_scale_v_peak: 0.5,
        ..input()
    };
    let large = SimInput {
        input_full_scale_v_peak: 100.0,
        ..input()
    };
    let clipped = record(&played, rate, &output(), &small, &pass(Pass::Open, 41));
    let reference = record(&played, rate, &output(), &large, &pass(Pass::Open, 41));
    for ch in 0..2 {
        let x = channel(&clipped, ch);
        let max = x.iter().copied().fold(f64::MIN, f64::max);
        let min = x.iter().copied().fold(f64::MAX, f64::min);
        assert_eq!((max, min), (1.0, -1.0));
        let at_full_scale = x.iter().filter(|v| v.abs() == 1.0).count();
        // 2·0.999 V exceeds 0.5 V beyond 14.5° of each zero crossing. The 1 kHz sine at
        // 48 kHz is sampled every 7.5°, so of each cycle's 48 samples only those at 0°, ±7.5°,
        // 180° and 180° ± 7.5° stay below full scale: 42 of 48, 4200 of the 4800 played.
        assert_eq!(at_full_scale, 4200);
        for (got, r) in x.iter().zip(channel(&reference, ch)) {
            let unclipped = r * 200.0;
            if unclipped.abs() < 0.999 {
                assert!((got - unclipped).abs() < 1e-5, "{got} vs {unclipped}");
            }
        }
    }
}
