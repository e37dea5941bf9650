//! The output stage in the real-time engine against the physics: where clipping starts, the
//! maximum levels a configured output reaches, the noise level, transparency below the limits,
//! and the aliasing of the clipping.

use loadline_core::catalog::{self, headphone_models};
use loadline_core::dsp::design::{BAND_BOTTOM_HZ, DesignMode, band_top_hz, design};
use loadline_core::dsp::engine::{Engine, SUPPLY_SAG_S, StageNoise, StageSettings};
use loadline_core::dsp::noise::NoiseCoefs;
use loadline_core::physics::chain::{AmpInput, Chain, ChainStage};
use loadline_core::physics::impedance::{Impedance, Load, log_spaced};
use loadline_core::physics::output::{Limit, NoiseSpec, OperatingPoint, OutputStage};
use loadline_core::physics::source::TheveninSource;
use loadline_core::physics::supply::{OtherOutput, SupplyShare};
use loadline_core::units::{db_to_gain, dbu_to_vrms, gain_to_db, vrms_to_dbu};
use loadline_testkit::measure::{
    a_weighted_rms, current_clamped_voltage_peak, delay_factor, response_at_bins, worst_deviation,
    worst_non_harmonic_db,
};
use std::f64::consts::{PI, SQRT_2};

/// An output configured from the Focusrite Scarlett 2i2 4th gen figures in
/// Focusrite's user guide (maker's figures, quoted on audiosciencereview.com):
/// 50 Ω; +10 dBu into 300 Ω and +2.5 dBu into 33 Ω at maximum; DR 115 dB(A) into 300 Ω.
/// +10 dBu across 300 Ω behind 50 Ω pins the full-scale EMF; +2.5 dBu into 33 Ω is 0.83 dB
/// below what that EMF would give there, so the current limit sets it.
fn scarlett_2i2_4th() -> OutputStage {
    let v_fs_peak = dbu_to_vrms(10.0) * SQRT_2 * (300.0 + 50.0) / 300.0;
    OutputStage {
        v_fs_peak,
        source: TheveninSource {
            r_out_ohm: 50.0,
            coupling_cap_f: None,
        },
        rail_v_peak: f64::INFINITY,
        i_max_peak: dbu_to_vrms(2.5) * SQRT_2 / 33.0,
        noise_pre: OutputStage::noise_from_dynamic_range(v_fs_peak, 115.0, true, 0.0),
        noise_post: NoiseSpec::SILENT,
        ..OutputStage::IDEAL
    }
}

fn settings(stage: &OutputStage, volume_db: f64, noise_on: bool) -> StageSettings {
    StageSettings::for_stage(stage, volume_db, true, noise_on)
}

fn engine(
    stage: &OutputStage,
    load: &dyn Impedance,
    rate: f64,
    volume_db: f64,
    noise_on: bool,
) -> Engine {
    let d = design(&stage.source, load, rate, DesignMode::ZeroLatency)
        .and_then(|d| d.with_supply(&stage.source, &stage.supply))
        .expect("design");
    let mut e = Engine::new(1, d);
    e.set_stage(settings(stage, volume_db, noise_on));
    e.set_noise(StageNoise {
        pre: NoiseCoefs::new(&stage.noise_pre, rate, 1.0 / stage.v_fs_peak),
        post: NoiseCoefs::new(&stage.noise_post, rate, 1.0 / stage.v_fs_peak),
    });
    e
}

/// `stage` driving `load` at `volume_db`; these tests read voltages, so the sensitivity
/// (100 dB SPL/V) does not matter.
fn at_volume<'a>(
    stage: &'a OutputStage,
    load: &'a dyn Impedance,
    volume_db: f64,
) -> OperatingPoint<'a> {
    OperatingPoint {
        stage,
        load,
        sens_db_spl_per_v: 100.0,
        volume_db,
    }
}

fn sine(freq: f64, rate: f64, peak: f64, seconds: f64) -> Vec<f32> {
    (0..(seconds * rate) as usize)
        .map(|i| (peak * (2.0 * PI * freq * i as f64 / rate).sin()) as f32)
        .collect()
}

/// The lowest level (dBFS peak) of a `seconds`-long sine at which the output's second half
/// departs from the linear output (aligned for the limits' latency) by more than 1e-4 of the
/// signal, found by bisection to 0.001 dB.
fn clip_onset_dbfs(
    stage: &OutputStage,
    load: &dyn Impedance,
    rate: f64,
    volume_db: f64,
    freq: f64,
    seconds: f64,
) -> f64 {
    let linear = OutputStage {
        rail_v_peak: f64::INFINITY,
        i_max_peak: f64::INFINITY,
        ..*stage
    };
    let clips = |dbfs: f64| {
        let peak = db_to_gain(dbfs);
        let mut y = sine(freq, rate, peak, seconds);
        let mut y_lin = y.clone();
        let mut lin = engine(&linear, load, rate, volume_db, false);
        lin.set_stage(StageSettings {
            limits: false,
            ..settings(&linear, volume_db, false)
        });
        let mut limited = engine(stage, load, rate, volume_db, false);
        let extra = limited.limits_latency_samples();
        assert!(extra > 0);
        limited.process(&mut [&mut y]);
        lin.process(&mut [&mut y_lin]);
        let tail = y.len() / 2;
        y[tail..]
            .iter()
            .zip(&y_lin[tail - extra..])
            .any(|(a, b)| ((a - b).abs() as f64) > 1e-4 * peak)
    };
    let (mut lo, mut hi) = (-40.0, 12.0);
    assert!(!clips(lo) && clips(hi));
    while hi - lo > 0.001 {
        let mid = 0.5 * (lo + hi);
        if clips(mid) { hi = mid } else { lo = mid }
    }
    hi
}

#[test]
fn clipping_starts_where_the_chain_predicts() {
    let scarlett = scarlett_2i2_4th();
    // The same output with rails below full scale, so that they bite first on 300 Ω.
    let railed = OutputStage {
        rail_v_peak: 3.0,
        ..scarlett
    };
    let closed_38 = headphone_models()[1].load.clone();
    let cases: [(&OutputStage, &dyn Impedance, f64, f64); 6] = [
        (&scarlett, &Load::R(33.0), 0.0, 1000.0),
        (&scarlett, &Load::R(300.0), 0.0, 1000.0),
        (&railed, &Load::R(300.0), 0.0, 1000.0),
        (&scarlett, &Load::R(33.0), -6.0, 1000.0),
        // A reactive load: the current limit sits where |Z_hp + Z_out| puts it.
        (&scarlett, &closed_38, 0.0, 100.0),
        (&scarlett, &closed_38, 0.0, 5000.0),
    ];
    for (stage, load, volume_db, freq) in cases {
        for rate in [44_100.0, 96_000.0] {
            let op = at_volume(stage, load, volume_db);
            let (emf, limit) = op.emf_limit_peak(freq);
            let predicted = 20.0 * (emf / (stage.v_fs_peak * op.volume_gain())).log10();
            let measured = clip_onset_dbfs(stage, load, rate, volume_db, freq, 0.1);
            println!(
                "{freq} Hz, {volume_db} dB, {rate}: {limit:?} predicted {predicted:.3} dBFS, measured {measured:.3}"
            );
            assert!(
                (measured - predicted).abs() <= 0.1,
                "{freq} Hz {rate}: {measured} vs {predicted}"
            );
        }
    }
}

/// The Schiit Magni 2's catalog stage: rails that sag with the load current, fitted to the
/// maker's five maxima (catalog/outputs.toml).
fn magni_2() -> OutputStage {
    catalog::outputs()[catalog::find_output("Magni 2").unwrap()].stage()
}

#[test]
fn a_sagging_supply_clips_where_the_physics_predicts() {
    // Steady sines long enough for the supply to settle (ten of its time constants before the
    // half that is compared): the onset must sit where `emf_limit_peak` puts the sagged rail,
    // into loads from 16 Ω (most sag) to 600 Ω (almost none), in the bass and the midrange.
    let stage = magni_2();
    assert!(stage.r_sag_ohm > 0.0 && stage.rail_v_peak.is_finite());
    let seconds = 20.0 * SUPPLY_SAG_S;
    for (load_ohm, freq) in [(16.0, 1000.0), (32.0, 100.0), (600.0, 1000.0)] {
        let load = Load::R(load_ohm);
        let op = at_volume(&stage, &load, 0.0);
        let (emf, limit) = op.emf_limit_peak(freq);
        assert_eq!(limit, Limit::Rail);
        let predicted = gain_to_db(emf / stage.v_fs_peak);
        let stiff_db = gain_to_db(1.0 + stage.r_sag_ohm / (load_ohm + stage.source.r_out_ohm));
        let measured = clip_onset_dbfs(&stage, &load, 48_000.0, 0.0, freq, seconds);
        println!(
            "{load_ohm} Ω, {freq} Hz: sag {stiff_db:.2} dB, predicted {predicted:.3} dBFS, measured {measured:.3}"
        );
        assert!(
            (measured - predicted).abs() <= 0.1,
            "{load_ohm} Ω {freq} Hz: {measured} vs {predicted}"
        );
    }
}

/// The Behringer Powerplay HA8000's catalog stage: one of its eight outputs, whose rails sag
/// with the shared supply.
fn ha8000() -> (OutputStage, usize) {
    let entry = &catalog::outputs()[catalog::find_output("HA8000").unwrap()];
    (entry.stage(), entry.own_outputs())
}

#[test]
fn a_shared_supply_clips_where_the_physics_predicts() {
    // A distribution amplifier: the heard output drives 300 Ω, and the others on the supply
    // (32 Ω each, at the listener's volume and quieter) sag its rails. The engine's onset must
    // sit where `emf_limit_peak` puts the rail, every other output's current counted and held
    // to its own limit, in the bass and the midrange.
    let (alone, outputs) = ha8000();
    assert!(alone.r_sag_ohm > 0.0 && alone.rail_v_peak.is_finite() && outputs == 8);
    let other = |r_ohm: f64, ratio: f64| OtherOutput::of(&Load::R(r_ohm), ratio).unwrap();
    let seconds = 20.0 * SUPPLY_SAG_S;
    let shares: [&[OtherOutput]; 3] = [
        &[other(32.0, 1.0); 3],
        &[other(32.0, 0.3); 3],
        &[other(300.0, 2.0)],
    ];
    let heard = Load::R(300.0);
    let alone_db =
        gain_to_db(at_volume(&alone, &heard, 0.0).emf_limit_peak(1000.0).0 / alone.v_fs_peak);
    for (share, freq) in shares.iter().zip([100.0, 1000.0, 1000.0]) {
        let stage = OutputStage {
            supply: SupplyShare::new(share).unwrap(),
            ..alone
        };
        let (emf, limit) = at_volume(&stage, &heard, 0.0).emf_limit_peak(freq);
        assert_eq!(limit, Limit::Rail);
        let predicted = gain_to_db(emf / stage.v_fs_peak);
        let measured = clip_onset_dbfs(&stage, &heard, 48_000.0, 0.0, freq, seconds);
        println!(
            "{} others, {freq} Hz: alone {alone_db:.3} dBFS, predicted {predicted:.3}, measured {measured:.3}",
            share.len()
        );
        assert!(predicted < alone_db - 0.1, "the others must sag the rails");
        assert!(
            (measured - predicted).abs() <= 0.1,
            "{freq} Hz: {measured} vs {predicted}"
        );
    }
}

#[test]
fn a_sagging_supply_lets_a_short_burst_through() {
    // A supply sags over tens of milliseconds: a 2 ms burst 2 dB above the steady limit into
    // 16 Ω passes clean, and the same level held for half a second clips.
    let stage = magni_2();
    let load = Load::R(16.0);
    let op = at_volume(&stage, &load, 0.0);
    let peak = op.emf_limit_peak(1000.0).0 / stage.v_fs_peak * db_to_gain(2.0);
    assert!(peak < 1.0, "below full scale: only the sag can clip it");
    let rate = 48_000.0;
    for (seconds, clips) in [(0.002, false), (0.5, true)] {
        let mut e = engine(&stage, &load, rate, 0.0, false);
        let mut y = sine(1000.0, rate, peak, seconds);
        y.extend(vec![0.0; 4800]);
        e.process(&mut [&mut y]);
        let clipped = e.take_clipped_samples();
        println!("{} ms at +2 dB: {clipped} samples clipped", seconds * 1e3);
        assert_eq!(clipped > 0, clips, "{seconds} s");
    }
}

#[test]
fn scarlett_reaches_its_stated_maximum_levels() {
    let stage = scarlett_2i2_4th();
    for (load_ohm, stated_dbu) in [(33.0, 2.5), (300.0, 10.0)] {
        let load = Load::R(load_ohm);
        let op = at_volume(&stage, &load, 0.0);
        let physics_dbu = vrms_to_dbu(op.max_load_voltage_peak(1000.0) / SQRT_2);
        // The engine at its clip onset: output (in full-scale units) times V_fs is the load voltage.
        let onset = clip_onset_dbfs(&stage, &load, 48_000.0, 0.0, 1000.0, 0.1);
        let mut y = sine(1000.0, 48_000.0, db_to_gain(onset), 0.1);
        engine(&stage, &load, 48_000.0, 0.0, false).process(&mut [&mut y]);
        let peak = y[y.len() / 2..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
        let engine_dbu = vrms_to_dbu(peak * stage.v_fs_peak / SQRT_2);
        println!(
            "{load_ohm} Ω: stated {stated_dbu} dBu, physics {physics_dbu:.3}, engine {engine_dbu:.3}"
        );
        // The stage is made of these two figures, so the level chain must give them back
        // exactly (this holds `max_load_voltage_peak` to the figures it was built from); the
        // engine is held to the physics by the 0.1 dB every clip-onset test allows.
        assert!(
            (physics_dbu - stated_dbu).abs() <= 1e-6,
            "{load_ohm} Ω: physics {physics_dbu} dBu, stated {stated_dbu}"
        );
        assert!(
            (engine_dbu - physics_dbu).abs() <= 0.1,
            "{load_ohm} Ω: engine {engine_dbu} dBu, physics {physics_dbu}"
        );
    }
}

/// The noise floor of `stage` on `load` at `volume_db` (at 110 dB SPL/V), dB SPL(A): as the
/// physics predicts it, and as 7.5 s of the engine's silence at `rate` measures it.
fn noise_floors(
    stage: &OutputStage,
    load: &dyn Impedance,
    rate: f64,
    volume_db: f64,
) -> (f64, f64) {
    let op = OperatingPoint {
        stage,
        load,
        sens_db_spl_per_v: 110.0,
        volume_db,
    };
    let mut e = engine(stage, load, rate, volume_db, true);
    let mut y = vec![0.0f32; (8.0 * rate) as usize];
    e.process(&mut [&mut y]);
    let scale = stage.v_fs_peak * op.volume_gain();
    let volts: Vec<f64> = y[(0.5 * rate) as usize..]
        .iter()
        .map(|&v| v as f64 * scale)
        .collect();
    let measured_db = 110.0 + 20.0 * a_weighted_rms(&volts, rate).log10();
    (op.noise_floor_db_spl_a(), measured_db)
}

#[test]
fn noise_level_matches_the_prediction() {
    let hp = &headphone_models()[3]; // the single-BA IEM: sensitive, where hiss matters
    for (rate, corner_hz, volume_db) in [
        (44_100.0, 0.0, 0.0),
        (96_000.0, 0.0, -20.0),
        (48_000.0, 1000.0, -10.0),
    ] {
        let mut stage = scarlett_2i2_4th();
        stage.noise_pre.flicker_corner_hz = corner_hz;
        stage.noise_post = NoiseSpec {
            level_vrms: 5e-6,
            a_weighted: false,
            flicker_corner_hz: corner_hz,
        };
        let (predicted_db, measured_db) = noise_floors(&stage, &hp.load, rate, volume_db);
        println!(
            "{rate} Hz, 1/f corner {corner_hz}, volume {volume_db}: predicted {predicted_db:.2} dB SPL(A), measured {measured_db:.2}"
        );
        assert!(
            (measured_db - predicted_db).abs() <= 0.5,
            "{measured_db} vs {predicted_db}"
        );
    }
}

#[test]
fn below_the_limits_the_stage_changes_nothing() {
    // Limits configured 20 dB above the test impulse, noise off: the core's accuracy holds.
    for rate in [44_100.0, 96_000.0] {
        for hp in headphone_models() {
            let src = TheveninSource {
                r_out_ohm: 47.0,
                coupling_cap_f: Some(100e-6),
            };
            let d = design(&src, &hp.load, rate, DesignMode::Exact).unwrap();
            let mut e = Engine::new(1, d);
            e.set_stage(StageSettings {
                volume_gain: 1.0,
                limits: true,
                rail_over_fs: 10.0,
                imax_over_fs: 10.0
                    / (hp
                        .load
                        .z_ohm(20_000.0)
                        .norm()
                        .min(hp.load.z_ohm(20.0).norm())),
                r_sag_ohm: 0.0,
                source_clip_fs: 1.0,
                noise_on: false,
            });
            // The design's latency plus the limits' (their resampling).
            let latency = e.latency_samples() as f64;
            assert!(latency > d.latency_samples as f64);
            let mut x = vec![0.0f32; (1.5 * rate) as usize];
            x[0] = 1.0;
            e.process(&mut [&mut x]);
            assert_eq!(e.take_clipped_samples(), 0);
            let ir: Vec<f64> = x.iter().map(|&v| v as f64).collect();
            let freqs: Vec<f64> = log_spaced(BAND_BOTTOM_HZ, band_top_hz(rate), 200).collect();
            let (db, deg) = worst_deviation(response_at_bins(&ir, rate, &freqs).into_iter().map(
                |(f, h)| {
                    (
                        h,
                        src.transfer(&hp.load, f) * delay_factor(latency, f, rate),
                    )
                },
            ));
            assert!(
                db <= 0.05 && deg <= 0.5,
                "{rate} {}: {db} dB {deg}°",
                hp.name
            );
        }
    }
}

#[test]
fn deep_current_limiting_gives_the_clamped_steady_state() {
    // A full-scale sine asks about four times the current limit of the ATH-M50x model: the
    // stage delivers I_max, and the load voltage is T·e plus Z_hp times the clamped-away
    // current. Its peak must match that steady state, computed harmonic by harmonic apart from
    // the engine (analysis::current_clamped_voltage_peak) up to Nyquist, within 0.5 dB: the
    // engine passes the clamp's harmonics between 20 kHz and Nyquist only partly, and the
    // zero-latency mode's impedance is a magnitude match whose phase reshapes the peak.
    let load = headphone_models()[1].load.clone();
    let v_fs = dbu_to_vrms(10.0) * SQRT_2;
    let stage = OutputStage {
        v_fs_peak: v_fs,
        source: TheveninSource {
            r_out_ohm: 10.0,
            coupling_cap_f: None,
        },
        i_max_peak: 0.02,
        ..OutputStage::IDEAL
    };
    for (rate, mode) in [
        (48_000.0, DesignMode::ZeroLatency),
        (44_100.0, DesignMode::Exact),
        (96_000.0, DesignMode::ZeroLatency),
    ] {
        let mut e = Engine::new(1, design(&stage.source, &load, rate, mode).unwrap());
        e.set_stage(settings(&stage, 0.0, false));
        let mut y = sine(1000.0, rate, 1.0, 0.5);
        e.process(&mut [&mut y]);
        let peak = y[y.len() / 2..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
        let expected =
            current_clamped_voltage_peak(&stage.source, &load, 1000.0, v_fs, 0.02, rate / 2.0)
                / v_fs;
        let unlimited = stage.source.transfer(&load, 1000.0).norm();
        println!("{rate} {mode:?}: engine {peak:.4}, steady state {expected:.4}");
        assert!(
            expected < 0.4 * unlimited,
            "the test must drive well past the limit"
        );
        assert!(
            gain_to_db(peak / expected).abs() < 0.5,
            "{rate} {mode:?}: {peak} vs {expected}"
        );
        assert!(e.take_clipped_samples() > 0);
    }
}

/// The alias test: 1 kHz and 5 kHz sines (and two off the sample-rate grid, whose
/// aliases cannot land on harmonics) driven 6 dB past the clip point at 44.1 and 48 kHz, on
/// a rail-limited output into a resistor and a current-limited one into the reactive ATH-M50x
/// model (38 Ω). Every component in 20 Hz–20 kHz that is not a harmonic must sit 80 dB
/// below the fundamental. Prints the figures (`-- --nocapture`).
#[test]
fn clipping_aliases_stay_80_db_down() {
    let v_fs = dbu_to_vrms(10.0) * SQRT_2;
    let railed = OutputStage {
        v_fs_peak: v_fs,
        source: TheveninSource {
            r_out_ohm: 10.0,
            coupling_cap_f: None,
        },
        rail_v_peak: 0.5 * v_fs,
        ..OutputStage::IDEAL
    };
    let current_limited = OutputStage {
        rail_v_peak: f64::INFINITY,
        i_max_peak: 0.01,
        ..railed
    };
    let closed_38 = headphone_models()[1].load.clone();
    let cases: [(&str, &OutputStage, &dyn Impedance); 2] = [
        ("rails, 30 Ω", &railed, &Load::R(30.0)),
        ("current, ATH-M50x model", &current_limited, &closed_38),
    ];
    let mut worst_overall = f64::NEG_INFINITY;
    for rate in [44_100.0, 48_000.0] {
        for freq in [1000.0, 5000.0, 997.0, 4987.0] {
            for (name, stage, load) in cases {
                let op = at_volume(stage, load, 0.0);
                let onset_peak = op.emf_limit_peak(freq).0 / stage.v_fs_peak;
                let design = design(&stage.source, load, rate, DesignMode::ZeroLatency).unwrap();
                let mut e = Engine::new(1, design);
                e.set_stage(settings(stage, 0.0, false));
                // One second to settle, then two whole seconds (whole periods of every tone).
                let mut y = sine(freq, rate, 2.0 * onset_peak, 3.0);
                for block in y.chunks_mut(512) {
                    e.process(&mut [block]);
                }
                assert!(e.take_clipped_samples() > 0, "{name}: it clips");
                let tail: Vec<f64> = y[rate as usize..].iter().map(|&v| v as f64).collect();
                let (db, at_hz) = worst_non_harmonic_db(&tail, rate, freq);
                println!(
                    "{rate} Hz, {freq} Hz, {name}: worst non-harmonic {db:.1} dB at {at_hz:.0} Hz"
                );
                assert!(
                    db <= -80.0,
                    "{rate} {freq} {name}: {db:.1} dB at {at_hz:.0} Hz"
                );
                worst_overall = worst_overall.max(db);
            }
        }
    }
    println!("worst over all cases: {worst_overall:.1} dB");
}

/// A line output (2 V peak at full scale, rails at `source_rail_v_peak`, 100 Ω, white noise)
/// into an amplifier (×10 into 9.9 kΩ; swings `amp_rail_v_peak`, delivers 0.1 A peak, 1 Ω,
/// its own white floor after its volume).
fn line_out_into_amp(source_rail_v_peak: f64, amp_rail_v_peak: f64) -> Chain {
    let line = OutputStage {
        v_fs_peak: 2.0,
        source: TheveninSource {
            r_out_ohm: 100.0,
            coupling_cap_f: None,
        },
        rail_v_peak: source_rail_v_peak,
        noise_pre: OutputStage::noise_from_dynamic_range(2.0, 105.0, true, 0.0),
        noise_post: NoiseSpec {
            level_vrms: 3e-6,
            a_weighted: false,
            flicker_corner_hz: 0.0,
        },
        ..OutputStage::IDEAL
    };
    let amp = OutputStage {
        v_fs_peak: amp_rail_v_peak,
        source: TheveninSource {
            r_out_ohm: 1.0,
            coupling_cap_f: None,
        },
        i_max_peak: 0.1,
        noise_post: NoiseSpec {
            level_vrms: 2e-6,
            a_weighted: true,
            flicker_corner_hz: 0.0,
        },
        ..OutputStage::IDEAL
    };
    let input = AmpInput {
        input_ohm: 9_900.0,
        gain_db: 20.0,
    };
    Chain::new(line, 0.0, amp, input).expect("a chain")
}

#[test]
fn a_chain_clips_first_where_circuit_theory_puts_each_stage() {
    // Each case makes a different stage clip first; the onset is computed here by hand, in
    // dBFS of the source's converter, from the divider and the gains.
    let through = 0.99 * 10.0;
    let cases = [
        // Rails far off: the converter clips first, at 0 dBFS, at half the amp's volume.
        (100.0, 100.0, 300.0, -6.0, ChainStage::SourceConverter, 0.0),
        // The source's 1.5 V rails against its 2 V full scale.
        (
            1.5,
            100.0,
            300.0,
            -6.0,
            ChainStage::SourceOutput,
            (1.5f64 / 2.0).log10() * 20.0,
        ),
        // The amplifier's 6 V swing: 6 / (2 · 9.9 · g_a).
        (
            100.0,
            6.0,
            300.0,
            0.0,
            ChainStage::AmpRails,
            gain_to_db(6.0 / (2.0 * through)),
        ),
        // 0.1 A into 33 Ω of loop: 3.3 V of EMF.
        (
            100.0,
            100.0,
            32.0,
            0.0,
            ChainStage::AmpCurrent,
            gain_to_db(0.1 * 33.0 / (2.0 * through)),
        ),
    ];
    for (source_rail, amp_rail, load_ohm, amp_volume_db, stage, by_hand_dbfs) in cases {
        let chain = line_out_into_amp(source_rail, amp_rail);
        let s = chain.stage();
        let load = Load::R(load_ohm);
        let op = at_volume(&s, &load, amp_volume_db);
        let (emf, limit) = op.emf_limit_peak(1000.0);
        assert_eq!(ChainStage::of_limit(limit), stage);
        let predicted = gain_to_db(emf / (s.v_fs_peak * op.volume_gain()));
        let by_hand = by_hand_dbfs
            - if stage == ChainStage::AmpRails || stage == ChainStage::AmpCurrent {
                amp_volume_db
            } else {
                0.0
            };
        assert!(
            (predicted - by_hand).abs() < 1e-9,
            "{stage:?}: {predicted} vs {by_hand}"
        );
        let measured = clip_onset_dbfs(&s, &load, 48_000.0, amp_volume_db, 1000.0, 0.1);
        println!("{stage:?}: predicted {predicted:.3} dBFS, measured {measured:.3}");
        assert!(
            (measured - predicted).abs() <= 0.1,
            "{stage:?}: {measured} vs {predicted}"
        );
    }
}

#[test]
fn a_chains_noise_matches_the_prediction_at_both_volumes() {
    let hp = &headphone_models()[3]; // the single-BA IEM: sensitive, where hiss matters
    for (source_volume_db, amp_volume_db) in [(0.0, 0.0), (-10.0, -20.0)] {
        let mut chain = line_out_into_amp(100.0, 100.0);
        chain.source_volume_db = source_volume_db;
        let stage = chain.stage();
        let (predicted_db, measured_db) = noise_floors(&stage, &hp.load, 48_000.0, amp_volume_db);
        println!(
            "source {source_volume_db} dB, amp {amp_volume_db} dB: predicted {predicted_db:.2} dB SPL(A), measured {measured_db:.2}"
        );
        assert!(
            (measured_db - predicted_db).abs() <= 0.5,
            "{measured_db} vs {predicted_db}"
        );
    }
}
