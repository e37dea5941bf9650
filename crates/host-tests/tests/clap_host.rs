//! Loads the bundled `Loadline.clap` in a real CLAP host (clack-host) and checks it like a DAW
//! would use it: parameters, activation at two rates, parameter events, audio against physics,
//! latency, mono and stereo, silence, click-free changes, state.

use loadline::params::ImportedHeadphone;
use loadline_core::catalog::{
    Basis, Figure, HeadphoneEntry, OutputEntry, OutputKind, find_headphone, headphone_models,
    headphones,
};
use loadline_core::physics::Impedance;
use loadline_core::physics::impedance::{MeasuredCurve, log_spaced};
use loadline_core::physics::output::{NoiseSpec, OperatingPoint, OutputFigures, OutputStage};
use loadline_core::physics::source::TheveninSource;
use loadline_core::units::{dbu_to_vrms, dbv_to_vrms};
use loadline_testkit::clap_host::{LoadedPlugin, framed_state, state_json};
use loadline_testkit::measure::{
    a_weighted_rms, current_clamped_voltage_peak, delay_factor, peak_index, response_at_bins,
    worst_deviation,
};
use std::f64::consts::{PI, SQRT_2};

const STEREO: usize = 2;

fn impulse(len: usize, at: usize, channels: usize) -> Vec<Vec<f32>> {
    let mut x = vec![vec![0.0f32; len]; channels];
    for c in x.iter_mut() {
        c[at] = 1.0;
    }
    x
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn lists_parameters_with_units_and_parses_text() {
    let mut p = LoadedPlugin::load();
    let names: Vec<&str> = p.params.keys().map(String::as_str).collect();
    for want in [
        "A output impedance",
        "A coupling capacitor",
        "A coupling capacitor value",
        "B output impedance",
        "Output A",
        "Output B",
        "Heard",
        "Headphone",
        "Mode",
        "Level match",
        "Bypass",
    ] {
        assert!(names.contains(&want), "missing {want}: {names:?}");
    }
    // nice-plug hands continuous parameters to CLAP normalised, enums as indices.
    let z = p.params["A output impedance"].clone();
    assert_eq!((z.min, z.max), (0.0, 1.0));
    assert_eq!(p.value_to_text("A output impedance", z.default), "10.0 Ω");
    let v = p.text_to_value("A output impedance", "47 ohm").unwrap();
    assert_eq!(p.value_to_text("A output impedance", v), "47.0 Ω");
    let v2 = p.text_to_value("A output impedance", "47Ω").unwrap();
    assert!((v - v2).abs() < 1e-9);
    assert!(p.text_to_value("A output impedance", "loud").is_none());
    let c = p
        .text_to_value("A coupling capacitor value", "100uF")
        .unwrap();
    assert_eq!(p.value_to_text("A coupling capacitor value", c), "100 µF");
    assert_eq!(p.value_to_text("Headphone", 1.0), "Audio-Technica ATH-M50x");
    // Every catalog headphone, then the imported curve.
    assert_eq!(p.params["Headphone"].max, headphone_models().len() as f64);
    assert_eq!(
        p.value_to_text("Headphone", headphone_models().len() as f64),
        "Imported curve"
    );
    // Devices are picked by name, in any host's generic UI.
    let hp = p.text_to_value("Headphone", "DT 770 Pro 80").unwrap();
    assert_eq!(
        p.value_to_text("Headphone", hp),
        "Beyerdynamic DT 770 Pro 80 ohm"
    );
    let out = p.text_to_value("Output A", "Scarlett 2i2 4th gen").unwrap();
    assert_eq!(
        p.value_to_text("Output A", out),
        "Focusrite Scarlett 2i2 4th gen"
    );
    assert_eq!(p.value_to_text("Output B", 0.0), "Custom");
    assert_eq!(p.value_to_text("Heard", 2.0), "Ideal");
}

/// The rendered impulse response against `T(jω)·e^{-jωD}` from physics; with `limits`, the
/// output's limits are on (at their defaults, far above the impulse).
#[allow(clippy::too_many_arguments)]
fn check_response(
    rate: f64,
    mode: f64,
    z_out: f64,
    hp: usize,
    limits: bool,
    expect_latency: u32,
    max_db: f64,
    max_deg: f64,
) {
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let ids = (p.id("A output impedance"), p.id("Headphone"), p.id("Mode"));
    let z_value = p
        .text_to_value("A output impedance", &format!("{z_out} ohm"))
        .unwrap();
    let limits_id = p.id("Output limits");
    let mut proc = p.activate(rate, 512, STEREO);
    let len = (1.5 * rate) as usize;
    let at = 64;
    let y = proc.render(
        &impulse(len, at, STEREO),
        512,
        &[
            (ids.0, z_value),
            (ids.1, hp as f64),
            (ids.2, mode),
            (limits_id, if limits { 1.0 } else { 0.0 }),
        ],
    );
    drop(proc);
    assert_eq!(p.latency(), expect_latency);
    assert_eq!(
        peak_index(&y[0]),
        at + expect_latency as usize,
        "impulse peak must land at the reported latency"
    );
    let model = &headphone_models()[hp];
    let src = TheveninSource {
        r_out_ohm: z_out,
        coupling_cap_f: None,
    };
    for ch in &y {
        let ir: Vec<f64> = ch[at..].iter().map(|&v| v as f64).collect();
        let freqs: Vec<f64> = log_spaced(20.0, (0.45 * rate).min(20_000.0), 150).collect();
        let bins = response_at_bins(&ir, rate, &freqs);
        let (db, deg) = worst_deviation(bins.iter().map(|&(f, h)| {
            (
                h,
                src.transfer(&model.load, f) * delay_factor(expect_latency as f64, f, rate),
            )
        }));
        assert!(
            db <= max_db && deg <= max_deg,
            "{rate} Hz, {z_out} Ω, {}: {db:.4} dB, {deg:.3}°",
            model.name
        );
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn exact_mode_matches_physics_at_two_rates() {
    // Mode 1 = Exact: 12 samples of latency below 60 kHz, 8 above.
    check_response(44_100.0, 1.0, 47.0, 1, false, 12, 0.05, 0.5);
    check_response(96_000.0, 1.0, 150.0, 0, false, 8, 0.05, 0.5);
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn limits_add_their_reported_latency_and_change_nothing_below_them() {
    // The oversampled limits' two round trips: 110 samples at 44.1 kHz, 74 at 48 kHz (plus
    // Exact mode's 12 below 60 kHz).
    check_response(44_100.0, 1.0, 47.0, 0, true, 12 + 110, 0.05, 0.5);
    check_response(48_000.0, 0.0, 10.0, 1, true, 74, 0.05, 45.0);
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn zero_latency_mode_matches_magnitude_and_reports_no_latency() {
    check_response(48_000.0, 0.0, 75.0, 4, false, 0, 0.05, 45.0);
    // At 96 kHz the complex match holds for most loads; an IEM behind 75 Ω gets the
    // magnitude match instead (docs/dsp.md).
    check_response(96_000.0, 0.0, 75.0, 4, false, 0, 0.05, 45.0);
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn mono_layout_processes_and_silence_stays_silent() {
    let mut p = LoadedPlugin::load();
    p.select_channels(1);
    let zid = p.id("A output impedance");
    let z = p.text_to_value("A output impedance", "33").unwrap();
    let mut proc = p.activate(48_000.0, 256, 1);
    let silent = vec![vec![0.0f32; 48_000]];
    let y = proc.render(&silent, 256, &[(zid, z)]);
    assert!(
        y[0].iter().all(|&v| v == 0.0),
        "silence in must give exact silence out"
    );
    let x = impulse(4096, 10, 1);
    let y = proc.render(&x, 256, &[]);
    assert_eq!(y.len(), 1);
    assert!(y[0][10].abs() > 0.5, "mono output carries the signal");
    assert!(y[0].iter().all(|v| v.is_finite()));
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn stereo_channels_are_processed_alike() {
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let zid = p.id("A output impedance");
    let z = p.text_to_value("A output impedance", "100").unwrap();
    let mut proc = p.activate(48_000.0, 512, STEREO);
    let x: Vec<Vec<f32>> = vec![(0..9600).map(|i| ((i as f32) * 0.05).sin() * 0.5).collect(); 2];
    let y = proc.render(&x, 512, &[(zid, z)]);
    assert_eq!(y[0], y[1]);
    assert_ne!(y[0], x[0], "a 100 Ω output changes the signal");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn parameter_changes_do_not_click() {
    // A 100 Hz sine at 0.5, and a change of output impedance, headphone (and another on the
    // jack, or on an output of its own), capacitor, level match, mode, bypass, volume, limits,
    // the heard slot (A/B/Ideal) or slot B's catalog output in every block, in real-time mode
    // (designs arrive asynchronously).
    // A sine's largest step is 2π·f/fs·A and its largest second difference (2π·f/fs)²·A; a
    // click is a jump of value or slope, far above both. The output may legitimately change
    // level (level match, a new headphone), so A is the output's own peak.
    let rate = 48_000.0;
    let mut p = LoadedPlugin::load();
    let ids: Vec<u32> = [
        "A output impedance",
        "Headphone",
        "A coupling capacitor",
        "Level match",
        "Mode",
        "Bypass",
        "Volume",
        "Output limits",
        "Heard",
        "Output B",
        "Also on the jack 1",
        "A into amplifier",
        "Other listeners",
    ]
    .iter()
    .map(|n| p.id(n))
    .collect();
    let z_values: Vec<f64> = ["0.1", "150", "10", "47"]
        .iter()
        .map(|t| p.text_to_value("A output impedance", t).unwrap())
        .collect();
    let magni = p.text_to_value("A into amplifier", "magni 2").unwrap();
    let no_amp = p.text_to_value("A into amplifier", "No amplifier").unwrap();
    let dt770 = p.text_to_value("Also on the jack 1", "dt770 32").unwrap();
    let nobody = p.text_to_value("Also on the jack 1", "Nobody").unwrap();
    let mut proc = p.activate(rate, 256, STEREO);
    let block = 256;
    let w = 2.0 * std::f32::consts::PI * 100.0 / rate as f32;
    let mut out = Vec::new();
    for b in 0..600 {
        let x: Vec<f32> = (0..block)
            .map(|i| (w * (b * block + i) as f32).sin() * 0.5)
            .collect();
        let changes = match b % 8 {
            0 => vec![(ids[0], z_values[(b / 8) % 4])],
            // A new headphone, and every other time the DT 770 Pro 32 Ω (8) joins the jack.
            1 => vec![
                (ids[1], ((b / 8) % 5) as f64),
                (ids[10], if (b / 16) % 2 == 1 { dt770 } else { nobody }),
            ],
            // The coupling capacitor, and every other time output A feeds the Magni 2 (a chain).
            2 => vec![
                (ids[2], ((b / 8) % 2) as f64),
                (ids[11], if (b / 16) % 2 == 1 { magni } else { no_amp }),
            ],
            // Level match, and every other time the others on outputs of their own (where
            // slot B is a distribution amplifier, they load its supply).
            3 => vec![
                (ids[3], ((b / 8) % 2) as f64),
                (ids[12], ((b / 32) % 2) as f64),
            ],
            4 => vec![(ids[4], ((b / 16) % 2) as f64)],
            5 => vec![(ids[5], ((b / 24) % 2) as f64)],
            // Volume between −30 dB and 0 dB (normalised), and the limits on and off: below
            // the limits neither may change the signal at all.
            6 => vec![(ids[6], ((b / 8) % 2) as f64 * 0.6 + 0.4)],
            7 if b % 16 == 7 => vec![(ids[7], ((b / 16) % 2) as f64)],
            // A/B/Ideal, and slot B through the catalog's outputs.
            _ => vec![
                (ids[8], ((b / 8) % 3) as f64),
                (ids[9], ((b / 24) % 30 + 1) as f64),
            ],
        };
        let y = proc.block(&[&x, &x], &changes);
        out.extend_from_slice(&y[0]);
        // Real time: give the designer thread the time a real audio callback would.
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(out.iter().all(|v| v.is_finite()));
    let settled = &out[block..];
    let peak = settled.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let step = settled
        .windows(2)
        .map(|d| (d[1] - d[0]).abs())
        .fold(0.0, f32::max);
    let d2 = settled
        .windows(3)
        .map(|d| (d[2] - 2.0 * d[1] + d[0]).abs())
        .fold(0.0, f32::max);
    println!(
        "max step {step} (sine: {}), max 2nd difference {d2} (sine: {})",
        w * peak,
        w * w * peak
    );
    assert!(
        step <= 1.1 * w * peak,
        "max step {step} vs the sine's own {}",
        w * peak
    );
    assert!(
        d2 <= 4.0 * w * w * peak,
        "max 2nd difference {d2} vs the sine's own {}",
        w * w * peak
    );
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn state_round_trips_through_the_host() {
    let mut p = LoadedPlugin::load();
    let (zid, hid, cid, bid, heard) = (
        p.id("A output impedance"),
        p.id("Headphone"),
        p.id("A coupling capacitor value"),
        p.id("Output B"),
        p.id("Heard"),
    );
    let b = p.text_to_value("Output B", "Topping A50s").unwrap();
    let z = p.text_to_value("A output impedance", "68").unwrap();
    let c = p
        .text_to_value("A coupling capacitor value", "470 uF")
        .unwrap();
    {
        let mut proc = p.activate(48_000.0, 128, STEREO);
        proc.render(
            &vec![vec![0.0; 128]; 2],
            128,
            &[(zid, z), (hid, 3.0), (cid, c), (bid, b), (heard, 1.0)],
        );
    }
    let saved = p.save_state();
    let mut q = LoadedPlugin::load();
    assert!(q.load_state(&saved));
    let z_back = q.get_value("A output impedance");
    assert_eq!(q.value_to_text("A output impedance", z_back), "68.0 Ω");
    assert_eq!(q.current_text("Headphone"), "Shure SE310");
    assert_eq!(q.current_text("Output B"), "Topping A50s");
    assert_eq!(q.current_text("Heard"), "B");
    let c_back = q.get_value("A coupling capacitor value");
    assert_eq!(
        q.value_to_text("A coupling capacitor value", c_back),
        "470 µF"
    );
    assert!(
        !q.load_state(b"not a state"),
        "garbage state must be refused"
    );
}

/// Sets parameters by the text a user would type.
fn typed(p: &mut LoadedPlugin, settings: &[(&str, &str)]) -> Vec<(u32, f64)> {
    settings
        .iter()
        .map(|(name, text)| {
            let v = p
                .text_to_value(name, text)
                .unwrap_or_else(|| panic!("{name} = {text}"));
            (p.id(name), v)
        })
        .collect()
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn driving_hot_clips_where_physics_says() {
    // +10 dBu full scale, 20 mA current limit, 10 Ω, into the ATH-M50x model: a full-scale
    // 1 kHz sine asks for about 85 mA; the limit shapes the load voltage as the clamped
    // current's steady state says.
    let rate = 48_000.0;
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let mut changes = typed(
        &mut p,
        &[
            ("A output impedance", "10"),
            ("A full-scale level", "10 dBu"),
            ("A current limit", "20 mA"),
            ("Output limits", "on"),
        ],
    );
    changes.push((p.id("Headphone"), 1.0));
    let mut proc = p.activate(rate, 512, STEREO);
    let x: Vec<Vec<f32>> = vec![
        (0..24_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin())
            .collect();
        2
    ];
    let y = proc.render(&x, 512, &changes);
    let peak = y[0][12_000..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    let v_fs = dbu_to_vrms(10.0) * SQRT_2;
    let load = &headphone_models()[1].load;
    let source = TheveninSource {
        r_out_ohm: 10.0,
        coupling_cap_f: None,
    };
    let unlimited = source.transfer(load, 1000.0).norm();
    // The periodic steady state of the clamped current (see tests/output_stage.rs).
    let limited =
        current_clamped_voltage_peak(&source, load, 1000.0, v_fs, 0.020, rate / 2.0) / v_fs;
    assert!(
        limited < 0.5 * unlimited,
        "the test must drive well past the limit"
    );
    assert!(
        (20.0 * (peak / limited).log10()).abs() < 0.5,
        "peak {peak} vs the clamped steady state {limited}"
    );
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_sagging_supply_clips_a_sine_the_stiff_one_passes() {
    // Rails of 5 V peak, +20 dBu full scale (the rails bite first), into the Sundara (37 Ω,
    // nearly resistive). A 1 kHz sine asking 4.5 V of EMF passes a stiff supply untouched.
    // With 10 Ω of sag the rails settle where they hold the clipped sine whose mean current
    // magnitude (times π/2, as the sag is scaled) sags them to that level, about 3.85 V (a
    // flat-topped sine draws more than the 5·|Z|/(|Z| + 10) = 3.94 V its onset would allow).
    let rate = 48_000.0;
    let hp = &headphone_models()[2];
    assert!(hp.name.contains("Sundara"));
    let v_fs = dbu_to_vrms(20.0) * SQRT_2;
    let ask = 4.5 / v_fs;
    let x: Vec<Vec<f32>> = vec![
        (0..48_000)
            .map(|i| (ask * (2.0 * PI * 1000.0 * i as f64 / rate).sin()) as f32)
            .collect();
        2
    ];
    let source = TheveninSource {
        r_out_ohm: 0.0,
        coupling_cap_f: None,
    };
    let t = source.transfer(&hp.load, 1000.0).norm();
    let z = hp.load.z_ohm(1000.0).norm();
    // The clipped sine's steady rail r: r = 5 − 10/|Z|·(A(1 − cos θ) + r(π/2 − θ)), where
    // θ = asin(r/A) is where the sine of peak A meets it (the bracket is π/2 times its mean).
    let a: f64 = 4.5;
    let mut r = 5.0;
    for _ in 0..200 {
        let theta = (r / a).min(1.0).asin();
        let next = 5.0 - 10.0 / z * (a * (1.0 - theta.cos()) + r * (PI / 2.0 - theta));
        r = 0.5 * (r + next);
    }
    for (sag, emf_peak) in [("0", a), ("10 ohm", r)] {
        let mut p = LoadedPlugin::load();
        p.set_offline(true);
        let mut changes = typed(
            &mut p,
            &[
                ("A output impedance", "0"),
                ("A full-scale level", "20 dBu"),
                ("A rail limit", "5 V"),
                ("A supply sag", sag),
                ("Output limits", "on"),
            ],
        );
        changes.push((p.id("Headphone"), 2.0));
        let mut proc = p.activate(rate, 512, STEREO);
        let y = proc.render(&x, 512, &changes);
        let peak = y[0][24_000..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
        let want = emf_peak / v_fs * t;
        println!("sag {sag}: peak {peak:.5}, expected {want:.5}");
        assert!(
            (20.0 * (peak / want).log10()).abs() < 0.1,
            "sag {sag}: {peak} vs {want}"
        );
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn noise_floor_shows_in_silence_at_the_predicted_level() {
    let rate = 48_000.0;
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let mut changes = typed(
        &mut p,
        &[
            ("A output impedance", "2"),
            ("A full-scale level", "4 dBu"),
            ("Output noise", "on"),
            ("A dynamic range", "100 dB"),
            ("A noise floor", "-100 dBV"),
            ("A noise floor A-weighted", "off"),
            ("Volume", "-12 dB"),
        ],
    );
    changes.push((p.id("Headphone"), 3.0));
    let mut proc = p.activate(rate, 512, STEREO);
    let silence = vec![vec![0.0f32; (6.0 * rate) as usize]; 2];
    let y = proc.render(&silence, 512, &changes);
    assert!(y[0] != y[1], "each channel has its own noise");
    let hp = &headphone_models()[3];
    let v_fs = dbu_to_vrms(4.0) * SQRT_2;
    let stage = OutputStage {
        v_fs_peak: v_fs,
        source: TheveninSource {
            r_out_ohm: 2.0,
            coupling_cap_f: None,
        },
        noise_pre: OutputStage::noise_from_dynamic_range(v_fs, 100.0, true, 0.0),
        noise_post: NoiseSpec {
            level_vrms: dbv_to_vrms(-100.0),
            a_weighted: false,
            flicker_corner_hz: 0.0,
        },
        ..OutputStage::IDEAL
    };
    let op = OperatingPoint {
        stage: &stage,
        load: &hp.load,
        sens_db_spl_per_v: hp.sens_db_spl_per_v,
        volume_db: -12.0,
    };
    let scale = v_fs * op.volume_gain();
    let volts: Vec<f64> = y[0][(0.5 * rate) as usize..]
        .iter()
        .map(|&v| v as f64 * scale)
        .collect();
    let measured = hp.sens_db_spl_per_v + 20.0 * a_weighted_rms(&volts, rate).log10();
    let predicted = op.noise_floor_db_spl_a();
    assert!(
        (measured - predicted).abs() <= 0.5,
        "{measured} vs {predicted} dB SPL(A)"
    );
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_project_saved_by_0_1_loads_with_its_settings() {
    // State as 0.1.0 wrote it (format captured from that version's bundle): the headphone as
    // a named model, one output, limits on.
    let old = framed_state(include_bytes!(
        "../../../tests/fixtures/state-0.1.0-before-catalog.json"
    ));
    let mut p = LoadedPlugin::load();
    assert!(p.load_state(&old));
    assert_eq!(p.current_text("Headphone"), "Audio-Technica ATH-M50x");
    assert_eq!(p.current_text("Output A"), "Custom");
    assert_eq!(p.current_text("Heard"), "A");
    let z = p.get_value("A output impedance");
    assert_eq!(p.value_to_text("A output impedance", z), "33.0 Ω");
    assert_eq!(p.get_value("Output limits"), 1.0);
    // Chains came later: the project plays its output alone.
    assert_eq!(p.current_text("A into amplifier"), "No amplifier");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn switching_a_b_and_ideal_is_heard_and_level_matched() {
    // A: a 75 Ω custom output; B: the ideal reference by way of the catalog's first entry;
    // "Ideal": the reference. On the 300 Ω HD 600, A loses level and colours it; with level
    // match on, the 1 kHz level of A equals the ideal's.
    let rate = 48_000.0;
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let z = p.text_to_value("A output impedance", "75").unwrap();
    let ids = (
        p.id("A output impedance"),
        p.id("Heard"),
        p.id("Level match"),
        p.id("Headphone"),
    );
    let mut proc = p.activate(rate, 512, STEREO);
    let tone: Vec<f32> = (0..48_000)
        .map(|i| (0.25 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / rate).sin()) as f32)
        .collect();
    let level = |y: &[Vec<f32>]| {
        (y[0][24_000..]
            .iter()
            .map(|v| (*v as f64).powi(2))
            .sum::<f64>()
            / 24_000.0)
            .sqrt()
    };
    let x = vec![tone.clone(), tone];
    let a = level(&proc.render(&x, 512, &[(ids.0, z), (ids.1, 0.0), (ids.3, 0.0)]));
    let ideal = level(&proc.render(&x, 512, &[(ids.1, 2.0)]));
    assert!(
        20.0 * (a / ideal).log10() < -0.5,
        "A (75 Ω) must be quieter than the ideal output: {a} vs {ideal}"
    );
    let a_matched = level(&proc.render(&x, 512, &[(ids.1, 0.0), (ids.2, 1.0)]));
    assert!(
        (20.0 * (a_matched / ideal).log10()).abs() < 0.05,
        "level-matched A {a_matched} vs ideal {ideal}"
    );
}

/// Loads a project whose headphone is the imported curve, saved as `field` (the JSON the
/// plugin persists), and renders an impulse through a 47 Ω custom output in Exact mode at
/// 48 kHz. Returns the plugin and the impulse response from the impulse on.
fn imported_project_impulse(field: String) -> (LoadedPlugin, Vec<f64>) {
    let mut p = LoadedPlugin::load();
    let mut state: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    state["params"]["hp"] = serde_json::json!({ "i32": headphone_models().len() as i32 });
    state["fields"]["imported-hp"] = serde_json::Value::String(field);
    assert!(p.load_state(&framed_state(state.to_string().as_bytes())));
    assert_eq!(p.current_text("Headphone"), "Imported curve");
    p.set_offline(true);
    let z = p.text_to_value("A output impedance", "47 ohm").unwrap();
    let ids = (p.id("A output impedance"), p.id("Mode"));
    let at = 64;
    let y = {
        let mut proc = p.activate(IMPORTED_RATE, 512, STEREO);
        proc.render(
            &impulse(72_000, at, STEREO),
            512,
            &[(ids.0, z), (ids.1, 1.0)],
        )
    };
    let ir = y[0][at..].iter().map(|&v| v as f64).collect();
    (p, ir)
}

/// The rate of `imported_project_impulse`.
const IMPORTED_RATE: f64 = 48_000.0;

/// The worst deviation of `ir` (from `imported_project_impulse`) from 47 Ω driving `load`,
/// with Exact mode's 12 samples: (dB, degrees).
fn deviation_from_47_ohm_into(ir: &[f64], load: &dyn Impedance) -> (f64, f64) {
    let src = TheveninSource {
        r_out_ohm: 47.0,
        coupling_cap_f: None,
    };
    let freqs: Vec<f64> = log_spaced(20.0, 20_000.0, 150).collect();
    worst_deviation(
        response_at_bins(ir, IMPORTED_RATE, &freqs)
            .into_iter()
            .map(|(f, h)| {
                (
                    h,
                    src.transfer(load, f) * delay_factor(12.0, f, IMPORTED_RATE),
                )
            }),
    )
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn an_imported_curve_is_saved_with_the_project_and_heard() {
    // A measured curve (the Andromeda model sampled as a measurement would be) put into a
    // project's state, as the editor's import does: the project reopens with it, it is heard
    // through its own impedance, and saving keeps it.
    let andromeda = &headphone_models()[4];
    let curve = MeasuredCurve::sampled_from(&andromeda.load, 5.0, 40_000.0, 400);
    let imported = ImportedHeadphone {
        name: "my IEM.zma".into(),
        sens_db_spl_per_v: 112.0,
        phase_derived: false,
        points: curve
            .points()
            .iter()
            .map(|p| [p.freq_hz, p.mag_ohm, p.phase_deg])
            .collect(),
        entry: None,
    };
    let (mut p, ir) =
        imported_project_impulse(serde_json::to_string(&Some(imported.clone())).unwrap());
    let (db, deg) = deviation_from_47_ohm_into(&ir, &curve);
    assert!(db <= 0.05 && deg <= 0.5, "{db:.4} dB {deg:.3}°");
    // It differs audibly from the catalog's first headphone, the fallback.
    let (db_other, _) = deviation_from_47_ohm_into(&ir, &headphone_models()[0].load);
    assert!(db_other > 1.0, "{db_other}");
    // Saved again, the curve is still there.
    let again: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    let field = again["fields"]["imported-hp"].as_str().unwrap();
    let back: ImportedHeadphone = serde_json::from_str::<Option<_>>(field).unwrap().unwrap();
    assert_eq!(back.name, imported.name);
    assert_eq!(back.points.len(), imported.points.len());
    // JSON numbers come back within an ulp or two (serde_json's default float parsing).
    for (a, b) in back.points.iter().zip(&imported.points) {
        for k in 0..3 {
            assert!(
                (a[k] - b[k]).abs() <= 1e-13 * b[k].abs().max(1.0),
                "{a:?} {b:?}"
            );
        }
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn the_users_devices_travel_in_the_project() {
    // A project that plays a headphone and an output of the user's catalog. The plugin never
    // reads that catalog (only the editor does, to offer its entries): what it plays and
    // keeps comes from the project's state alone, as on a machine without the user's file.
    let mine = HeadphoneEntry {
        index: 0,
        maker: "Mine".into(),
        model: "IEM".into(),
        variant: String::new(),
        ..headphones()[4].clone()
    };
    let field = serde_json::to_string(&Some(ImportedHeadphone::from_entry(mine.clone()))).unwrap();
    let (mut p, ir) = imported_project_impulse(field);
    let (db, deg) = deviation_from_47_ohm_into(&ir, &mine.model().load);
    assert!(db <= 0.05 && deg <= 0.5, "{db:.4} dB {deg:.3}°");
    let (db_other, _) = deviation_from_47_ohm_into(&ir, &headphone_models()[0].load);
    assert!(db_other > 1.0, "not the fallback: {db_other}");

    // The user's output, saved with slot A beside the figures it set there.
    let measured = |value: f64| Figure {
        value,
        basis: Basis::Measured,
        source: "own measurement".into(),
        note: String::new(),
        range: None,
    };
    let figures = OutputFigures {
        full_scale_dbu: Some(12.0),
        r_out_ohm: 47.0,
        rail_v_peak: Some(6.0),
        i_max_ma_peak: Some(80.0),
        noise_floor_dbv: Some((-100.0, true)),
        dynamic_range_db: Some((110.0, true)),
        ..OutputFigures::default()
    };
    let output = OutputEntry::from_figures(
        ["Acme", "Box 2", ""],
        OutputKind::AudioInterface,
        &figures,
        measured,
    );
    let mut state: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    state["fields"]["user-output-a"] =
        serde_json::Value::String(serde_json::to_string(&Some(output.clone())).unwrap());
    for (id, v) in [
        ("fsdbu", 12.0),
        ("zout", 47.0),
        ("rail", 6.0),
        ("imax", 80.0),
    ] {
        state["params"][id] = serde_json::json!({ "f32": v });
    }
    assert!(p.load_state(&framed_state(state.to_string().as_bytes())));
    assert_eq!(p.current_text("A output impedance"), "47.0 Ω");
    // Saved again, both entries are there whole.
    let again: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    let field = |key: &str| again["fields"][key].as_str().unwrap().to_string();
    let back: Option<OutputEntry> = serde_json::from_str(&field("user-output-a")).unwrap();
    assert_eq!(back, Some(output));
    let back: Option<ImportedHeadphone> = serde_json::from_str(&field("imported-hp")).unwrap();
    assert_eq!(back.and_then(|h| h.entry), Some(mine));
    assert_eq!(field("user-output-b"), "null");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_damaged_imported_curve_falls_back_and_keeps_playing() {
    // Frequencies out of order: refused as a curve; the catalog's first headphone plays.
    let (_, ir) = imported_project_impulse(
        r#"{"name":"bad","sens_db_spl_per_v":100.0,"phase_derived":false,"points":[[1000.0,30.0,0.0],[100.0,30.0,0.0]]}"#
            .into(),
    );
    let (db, deg) = deviation_from_47_ohm_into(&ir, &headphone_models()[0].load);
    assert!(db <= 0.05 && deg <= 0.5, "{db:.4} dB {deg:.3}°");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn the_editor_size_is_saved_with_the_project() {
    // The editor writes its size into this field when resized; the project keeps it.
    let mut p = LoadedPlugin::load();
    let mut state: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    let size = |s: &serde_json::Value| -> Vec<f64> {
        serde_json::from_str(s["fields"]["editor-size"].as_str().unwrap()).unwrap()
    };
    assert_eq!(size(&state), vec![1100.0, 800.0], "the default size");
    state["fields"]["editor-size"] = serde_json::Value::String("[1234.0,876.0]".into());
    assert!(p.load_state(&framed_state(state.to_string().as_bytes())));
    let again: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    assert_eq!(size(&again), vec![1234.0, 876.0]);
}

/// Processes silent blocks until the plugin asks for a restart (the designer thread delivers a
/// new design asynchronously), pumping the main-thread callback as a host's event loop would;
/// `changes` go with the first block. Returns whether the request came within two seconds of
/// audio.
fn run_until_restart_requested(
    proc: &mut loadline_testkit::clap_host::Processor<'_>,
    changes: &[(u32, f64)],
) -> bool {
    let silent = vec![0.0f32; 256];
    for b in 0..375 {
        proc.block(&[&silent, &silent], if b == 0 { changes } else { &[] });
        proc.pump_main_thread();
        if proc.restart_requested() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    false
}

/// CLAP lets the latency change only inside `activate`. Switching the mode or the limits while
/// processing must therefore end in a restart request, the host told the new latency inside
/// the next `activate` and nowhere else, and the audio aligned with what it was told.
#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn latency_changes_are_reported_inside_activate_only() {
    let rate = 48_000.0;
    let mut p = LoadedPlugin::load();
    let (mode, limits) = (p.id("Mode"), p.id("Output limits"));
    let flags = p.flags.clone();
    {
        let mut proc = p.activate(rate, 256, STEREO);
        assert_eq!(proc.latency(), 0);
        // Exact mode, then the oversampled limits on top (74 samples at 48 kHz), then back.
        for (changes, want) in [
            (vec![(mode, 1.0)], 12),
            (vec![(limits, 1.0)], 12 + 74),
            (vec![(mode, 0.0), (limits, 0.0)], 0),
        ] {
            assert!(
                run_until_restart_requested(&mut proc, &changes),
                "no restart requested for {changes:?}"
            );
            let (inside_before, elsewhere) = flags.latency_changed_calls();
            assert_eq!(elsewhere, 0, "latency changed() outside activate");
            proc.restart();
            let (inside, elsewhere) = flags.latency_changed_calls();
            assert_eq!(elsewhere, 0, "latency changed() outside activate");
            assert_eq!(
                inside,
                inside_before + 1,
                "changed() inside the new activate"
            );
            assert_eq!(proc.latency(), want);
            // The audio keeps what the host was told: the impulse lands at the latency.
            let y = proc.render(&impulse(4096, 64, STEREO), 256, &[]);
            assert_eq!(peak_index(&y[0]), 64 + want as usize, "{changes:?}");
            println!("latency {want} samples: told inside activate, impulse aligned");
            assert!(!proc.restart_requested(), "a restart asked for nothing");
        }
    }
    // While not active the host sets values through flush(); the next activate reports.
    p.flush(&[(mode, 1.0)]);
    let (inside_before, _) = flags.latency_changed_calls();
    let mut proc = p.activate(rate, 256, STEREO);
    assert_eq!(proc.latency(), 12);
    assert_eq!(flags.latency_changed_calls(), (inside_before + 1, 0));
    assert!(!proc.restart_requested());
}

/// The value of parameter `name` in a saved state, as a fresh instance shows it.
fn value_in_state(state: &[u8], name: &str) -> String {
    let mut q = LoadedPlugin::load();
    assert!(q.load_state(state), "the saved state loads");
    q.current_text(name)
}

/// A value the host sets is in the state the plugin saves right after, whether the plugin is
/// inactive (set through flush()) or processing (set by an event in a block).
#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_value_set_is_in_the_state_saved_at_once() {
    let mut p = LoadedPlugin::load();
    let zid = p.id("A output impedance");
    let z68 = p.text_to_value("A output impedance", "68").unwrap();
    let z22 = p.text_to_value("A output impedance", "22").unwrap();
    p.flush(&[(zid, z68)]);
    let saved = p.save_state();
    assert_eq!(value_in_state(&saved, "A output impedance"), "68.0 Ω");
    let mut proc = p.activate(48_000.0, 256, STEREO);
    let silent = vec![0.0f32; 256];
    proc.block(&[&silent, &silent], &[(zid, z22)]);
    let saved = proc.save_state();
    drop(proc);
    assert_eq!(value_in_state(&saved, "A output impedance"), "22.0 Ω");
}

/// What hosts and scanners show of the plugin: a real vendor, no placeholder addresses, the
/// package's version, and the features that file it with the utilities and analyzers.
#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn the_descriptor_names_the_plugin_honestly() {
    let p = LoadedPlugin::load();
    let d = &p.descriptor;
    assert_eq!(d.vendor, "Loadline");
    assert_eq!(d.version, env!("CARGO_PKG_VERSION"));
    for text in [&d.url, &d.support_url] {
        assert!(!text.contains("example"), "placeholder address {text:?}");
    }
    for want in ["audio-effect", "utility", "analyzer", "stereo", "mono"] {
        assert!(
            d.features.iter().any(|f| f == want),
            "{want}: {:?}",
            d.features
        );
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_second_headphone_on_the_jack_is_heard_and_kept() {
    // The HD 600 heard behind 47 Ω, with the DT 770 Pro 32 Ω on the same jack (set by its
    // name, as a user types it): the plugin plays the divider of the two in parallel, within
    // the accuracy the designs are held to, and clearly not the HD 600 alone.
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let mut settings = typed(
        &mut p,
        &[
            ("A output impedance", "47 ohm"),
            ("Headphone", "hd600"),
            ("Also on the jack 1", "dt770 32"),
        ],
    );
    // Exact mode (its 12 samples of latency are what the comparison expects), limits off.
    settings.extend([(p.id("Mode"), 1.0), (p.id("Output limits"), 0.0)]);
    let nobody = p.text_to_value("Also on the jack 2", "Nobody").unwrap();
    assert_eq!(p.value_to_text("Also on the jack 2", nobody), "Nobody");
    let at = 64;
    let y = {
        let mut proc = p.activate(IMPORTED_RATE, 512, STEREO);
        proc.render(&impulse(72_000, at, STEREO), 512, &settings)
    };
    let ir: Vec<f64> = y[0][at..].iter().map(|&v| v as f64).collect();
    let models = headphone_models();
    let hd600 = &models[find_headphone("hd 600").unwrap()];
    let dt770 = &models[find_headphone("dt 770 32").unwrap()];
    let shared = hd600.sharing(std::slice::from_ref(dt770));
    let (db, deg) = deviation_from_47_ohm_into(&ir, &shared.load);
    assert!(db <= 0.05 && deg <= 0.5, "{db:.4} dB {deg:.3}°");
    let (db_alone, _) = deviation_from_47_ohm_into(&ir, &hd600.load);
    println!(
        "shared jack: {db:.4} dB, {deg:.3}° from the physics; {db_alone:.2} dB from the HD 600 alone"
    );
    assert!(db_alone > 3.0, "the DT 770 takes level: {db_alone:.2} dB");

    // The project keeps the listener; an old project, without the parameter, has none.
    let saved = p.save_state();
    let mut q = LoadedPlugin::load();
    assert!(q.load_state(&saved));
    assert_eq!(q.current_text("Also on the jack 1"), dt770.name);
    assert_eq!(q.current_text("Also on the jack 3"), "Nobody");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_chain_clips_where_its_amplifier_does_and_is_kept() {
    // The UMC202HD's headphone output (2 V RMS, estimated) into the Magni 2 at its ×6 gain,
    // on the HD 600 at full volume: the chain's physics puts the Magni's sagging rails first,
    // below the converter's full scale. Just below that onset a 1 kHz sine passes untouched;
    // just above it, its peaks are held; the UMC202HD alone passes the louder one.
    use loadline_core::catalog::{ChainSpec, SourceJack, find_output};
    let rate = 48_000.0;
    let hd600 = &headphone_models()[find_headphone("hd 600").unwrap()];
    let spec = ChainSpec {
        source: loadline_core::catalog::ChainSource::Catalog(find_output("umc202hd").unwrap()),
        jack: SourceJack::HeadphoneOut,
        source_volume_db: 0.0,
        amp: loadline_core::catalog::ChainAmp::Catalog(find_output("magni 2").unwrap()),
        gain: loadline_core::catalog::AmpGain::High,
    };
    let stage = spec.stage().unwrap();
    let op = OperatingPoint {
        stage: &stage,
        load: &hd600.load,
        sens_db_spl_per_v: hd600.sens_db_spl_per_v,
        volume_db: 0.0,
    };
    let (emf, limit) = op.emf_limit_peak(1000.0);
    assert_eq!(limit, loadline_core::physics::output::Limit::Rail);
    let onset = emf / stage.v_fs_peak;
    assert!(
        onset < 0.8,
        "the amplifier must clip well below full scale: {onset}"
    );
    let through = stage.source.transfer(&hd600.load, 1000.0).norm();
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let mut settings = typed(
        &mut p,
        &[
            ("Output A", "umc202hd"),
            ("A into amplifier", "magni 2"),
            ("A source jack", "Headphone out"),
            ("Headphone", "hd600"),
            ("Output limits", "on"),
        ],
    );
    settings.push((p.id("Volume"), 1.0));
    let amp_id = p.id("A into amplifier");
    let no_amp = p.text_to_value("A into amplifier", "No amplifier").unwrap();
    let mut proc = p.activate(rate, 512, STEREO);
    // The output's peak over the sine's, relative to the linear divider, dB.
    let mut peak_short_db = |amplitude: f64, through: f64, settings: &[(u32, f64)]| {
        let x: Vec<f32> = (0..48_000)
            .map(|i| (amplitude * (2.0 * PI * 1000.0 * i as f64 / rate).sin()) as f32)
            .collect();
        let y = proc.render(&[x.clone(), x], 512, settings);
        let peak = y[0][24_000..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
        20.0 * (amplitude * through / peak).log10()
    };
    let below = peak_short_db(onset * 10f64.powf(-0.3 / 20.0), through, &settings);
    let above = peak_short_db(onset * 10f64.powf(1.0 / 20.0), through, &[]);
    println!(
        "chain onset {onset:.4} of full scale: {below:.3} dB short 0.3 dB below, {above:.3} dB above"
    );
    assert!(below.abs() < 0.05, "below the onset: {below} dB");
    assert!(above > 0.5, "1 dB above the onset: {above} dB");
    // Alone, the UMC202HD's own divider (10 Ω, estimated) sets the level.
    let umc = loadline_core::catalog::output_stage(spec.source.catalog().unwrap()).unwrap();
    let through_alone = umc.source.transfer(&hd600.load, 1000.0).norm();
    let alone = peak_short_db(
        onset * 10f64.powf(1.0 / 20.0),
        through_alone,
        &[(amp_id, no_amp)],
    );
    assert!(alone.abs() < 0.1, "the UMC202HD alone: {alone} dB");

    // The project keeps the chain.
    let mut r = LoadedPlugin::load();
    r.set_offline(true);
    let chained = typed(
        &mut r,
        &[
            ("A into amplifier", "magni 2"),
            ("A source jack", "Line out"),
            ("A amplifier gain", "Low gain"),
        ],
    );
    {
        let mut proc = r.activate(rate, 512, STEREO);
        proc.render(&impulse(4096, 0, STEREO), 512, &chained);
    }
    let saved = r.save_state();
    let mut q = LoadedPlugin::load();
    assert!(q.load_state(&saved));
    assert_eq!(q.current_text("A into amplifier"), "Schiit Magni 2");
    assert_eq!(q.current_text("A source jack"), "Line out");
    assert_eq!(q.current_text("A amplifier gain"), "Low gain");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn others_on_their_own_outputs_sag_a_distribution_amps_supply_and_are_kept() {
    // The Behringer Powerplay HA8000 on the HD 600 at full volume, with three DT 770 Pro 32 Ω
    // on outputs of their own at 6 dB over it: their currents sag the shared supply, so the
    // physics puts the HD 600's clip onset lower than with the amplifier to itself. A 1 kHz
    // sine between the two onsets passes untouched alone and is held with the others.
    use loadline_core::catalog::{find_output, other_output, outputs};
    use loadline_core::listeners::on_own_outputs;
    use loadline_core::units::db_to_gain;
    let rate = 48_000.0;
    let hd600 = &headphone_models()[find_headphone("hd 600").unwrap()];
    let ha8000 = find_output("ha8000").unwrap();
    let alone = loadline_core::catalog::output_stage(ha8000).unwrap();
    let dt770 = other_output(find_headphone("dt 770 32").unwrap()).unwrap();
    let loud = dt770.at_ratio(db_to_gain(6.0)).unwrap();
    let outputs_count = outputs()[ha8000].own_outputs();
    let (shared, left_out) = on_own_outputs(&alone, outputs_count, &[loud; 3]);
    assert_eq!(left_out, 0);
    let onset = |stage: &loadline_core::physics::output::OutputStage| {
        let op = OperatingPoint {
            stage,
            load: &hd600.load,
            sens_db_spl_per_v: hd600.sens_db_spl_per_v,
            volume_db: 0.0,
        };
        op.emf_limit_peak(1000.0).0 / stage.v_fs_peak
    };
    let (onset_alone, onset_shared) = (onset(&alone), onset(&shared));
    let gap_db = 20.0 * (onset_alone / onset_shared).log10();
    assert!(gap_db > 0.5, "the others must sag the rails: {gap_db} dB");
    let amplitude = (onset_alone * onset_shared).sqrt();
    let through = alone.source.transfer(&hd600.load, 1000.0).norm();
    // How far the sine's peaks fall short of the linear divider in `settings`' plugin, dB.
    let short_db = |p: &mut LoadedPlugin, settings: &[(&str, &str)]| {
        p.set_offline(true);
        let mut changes = typed(p, settings);
        changes.push((p.id("Volume"), 1.0));
        let x: Vec<f32> = (0..48_000)
            .map(|i| (amplitude * (2.0 * PI * 1000.0 * i as f64 / rate).sin()) as f32)
            .collect();
        let mut proc = p.activate(rate, 512, STEREO);
        let y = proc.render(&[x.clone(), x], 512, &changes);
        let peak = y[0][24_000..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
        20.0 * (amplitude * through / peak).log10()
    };
    let solo = [
        ("Output A", "ha8000"),
        ("Headphone", "hd600"),
        ("Output limits", "on"),
    ];
    let with_others = [
        ("Other listeners", "On their own outputs"),
        ("Also on the jack 1", "dt770 32"),
        ("Also on the jack 2", "dt770 32"),
        ("Also on the jack 3", "dt770 32"),
        ("Also on the jack 1 volume", "6 dB"),
        ("Also on the jack 2 volume", "+6"),
        ("Also on the jack 3 volume", "6"),
    ];
    let alone_short = short_db(&mut LoadedPlugin::load(), &solo);
    let mut p = LoadedPlugin::load();
    let shared_short = short_db(&mut p, &[&solo[..], &with_others].concat());
    println!(
        "onsets {onset_alone:.4} alone, {onset_shared:.4} with the others ({gap_db:.2} dB): \
         {alone_short:.3} dB short alone, {shared_short:.3} dB with the others on the supply"
    );
    assert!(
        alone_short.abs() < 0.05,
        "the HA8000 to itself: {alone_short} dB"
    );
    assert!(
        shared_short > 0.15,
        "held by the sagging supply: {shared_short} dB"
    );

    // The project keeps where the others are and their volumes; an old one has them on the jack.
    let saved = p.save_state();
    let mut r = LoadedPlugin::load();
    assert!(r.load_state(&saved));
    assert_eq!(r.current_text("Other listeners"), "On their own outputs");
    assert_eq!(r.current_text("Also on the jack 2 volume"), "6.00 dB");
    assert_eq!(
        LoadedPlugin::load().current_text("Other listeners"),
        "On the same jack"
    );
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn your_amplifier_and_a_listeners_headphone_saved_with_the_project_play_as_the_catalogs() {
    use loadline::params::SavedDevices;
    // The UMC202HD's line out into the Magni 2 on the HD 600, with the DT 770 Pro 32 Ω on
    // the jack, all from the catalog: the reference.
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let mut settings = typed(
        &mut p,
        &[
            ("Output A", "umc202hd"),
            ("A source jack", "Line out"),
            ("A into amplifier", "magni 2"),
            ("Headphone", "hd600"),
            ("Also on the jack 1", "dt770 32"),
        ],
    );
    settings.extend([(p.id("Mode"), 1.0), (p.id("Output limits"), 0.0)]);
    let at = 64;
    let catalogs = {
        let mut proc = p.activate(IMPORTED_RATE, 512, STEREO);
        proc.render(&impulse(24_000, at, STEREO), 512, &settings)
    };
    // The same devices as the user's own, under names of their own, saved with the project
    // and picked as "Saved with the project": what plays comes from the state alone.
    // Copies of the catalog's entries, under names of the user's (an index is the catalog's
    // alone: a saved entry has none).
    let renamed_output = |name: &str| OutputEntry {
        index: 0,
        maker: "Bench".into(),
        model: name.into(),
        variant: String::new(),
        ..loadline_core::catalog::outputs()[loadline_core::catalog::find_output("magni 2").unwrap()]
            .clone()
    };
    let cans = HeadphoneEntry {
        index: 0,
        maker: "Bench".into(),
        model: "Cans".into(),
        variant: String::new(),
        ..headphones()[find_headphone("dt770 32").unwrap()].clone()
    };
    let saved = SavedDevices {
        amps: [Some(renamed_output("Amp")), None],
        others: [Some(ImportedHeadphone::from_entry(cans)), None, None],
    };
    let mut state: serde_json::Value = serde_json::from_str(&state_json(&p.save_state())).unwrap();
    state["fields"]["saved-devices"] =
        serde_json::Value::String(serde_json::to_string(&saved).unwrap());
    state["params"]["into"] = serde_json::json!({ "i32": -1 });
    state["params"]["with1"] = serde_json::json!({ "i32": -1 });
    let mut q = LoadedPlugin::load();
    q.set_offline(true);
    assert!(q.load_state(&framed_state(state.to_string().as_bytes())));
    assert_eq!(q.current_text("A into amplifier"), "Saved with the project");
    assert_eq!(
        q.current_text("Also on the jack 1"),
        "Saved with the project"
    );
    let render = |q: &mut LoadedPlugin, settings: &[(u32, f64)]| {
        let mut proc = q.activate(IMPORTED_RATE, 512, STEREO);
        proc.render(&impulse(24_000, at, STEREO), 512, settings)
    };
    let yours = render(&mut q, &[]);
    let worst = (catalogs[0].iter().zip(&yours[0]))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-6,
        "the user's copies play as the catalog's: {worst}"
    );
    // Without them (no amplifier, nobody beside), it is another sound.
    let none = [
        (
            q.id("A into amplifier"),
            q.text_to_value("A into amplifier", "No amplifier").unwrap(),
        ),
        (
            q.id("Also on the jack 1"),
            q.text_to_value("Also on the jack 1", "Nobody").unwrap(),
        ),
    ];
    let alone = render(&mut q, &none);
    let apart = (catalogs[0].iter().zip(&alone[0]))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(apart > 1e-3, "the saved devices make a difference: {apart}");
    // Saved again, the devices are there whole.
    let again: serde_json::Value = serde_json::from_str(&state_json(&q.save_state())).unwrap();
    let back: SavedDevices =
        serde_json::from_str(again["fields"]["saved-devices"].as_str().unwrap()).unwrap();
    assert_eq!(back, saved);
}
