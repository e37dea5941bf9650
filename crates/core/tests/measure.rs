//! The loopback measurement against simulated interfaces (the test kit's, written apart from
//! the analysis): every figure recovered within its tolerance and inside its printed range, and
//! every recording that cannot support the figures refused with its file and second.

use loadline_core::measure::output::{
    Calibration, OutputMeasurement, OutputSetup, Ranged, measure_output,
};
use loadline_core::measure::recording::Recording;
use loadline_core::measure::signal::signal;
use loadline_core::physics::output::NoiseSpec;
use loadline_core::units::{gain_to_db, vrms_to_dbu};
use loadline_testkit::interface::{Pass, SimInput, SimOutput, SimPass, record};
use std::f64::consts::SQRT_2;

const RATE: f64 = 48_000.0;
/// The resistor's marked value, and what the simulated one really is (within its 1 %).
const LOAD_OHM: f64 = 33.0;
const LOAD_TRUE_OHM: f64 = 33.2;

/// A simulated interface: its output, its input and whether the input's impedance is given.
struct Device {
    name: &'static str,
    out: SimOutput,
    input_ohm: f64,
    input_given: bool,
    load_ohm: f64,
    load_true_ohm: f64,
    latency_samples: usize,
    drift_db: f64,
}

fn devices() -> Vec<Device> {
    let out = |r_out_ohm, cap, fs, rail, imax, noise_uv: f64| SimOutput {
        full_scale_v_peak: fs,
        r_out_ohm,
        coupling_cap_uf: cap,
        rail_v_peak: rail,
        i_max_ma_peak: imax,
        noise_vrms: noise_uv * 1e-6,
    };
    let device = |name, out, input_ohm, input_given, latency_samples, drift_db| Device {
        name,
        out,
        input_ohm,
        input_given,
        load_ohm: LOAD_OHM,
        load_true_ohm: LOAD_TRUE_OHM,
        latency_samples,
        drift_db,
    };
    vec![
        Device {
            load_ohm: 16.0,
            load_true_ohm: 15.95,
            ..device(
                "a clean 0.1 Ω amplifier, rails below full scale",
                out(0.1, None, 2.0, Some(1.6), None, 3.0),
                10_000.0,
                true,
                117,
                0.02,
            )
        },
        device(
            "an interface of 10 Ω with a 40 mA current limit",
            out(10.0, None, 3.0, None, Some(40.0), 40.0),
            10_000.0,
            true,
            1500,
            -0.04,
        ),
        device(
            "a laptop of 2 Ω behind 220 µF",
            out(2.0, Some(220.0), 1.2, None, None, 10.0),
            47_000.0,
            false,
            333,
            0.0,
        ),
        device(
            "a 100 Ω output with rails",
            out(100.0, None, 5.0, Some(4.0), None, 60.0),
            20_000.0,
            true,
            2900,
            0.03,
        ),
        device(
            "a 47 Ω output behind 100 µF, rails and an 18 mA limit",
            out(47.0, Some(100.0), 2.5, Some(2.0), Some(18.0), 30.0),
            10_000.0,
            true,
            64,
            -0.01,
        ),
        Device {
            load_ohm: 16.0,
            load_true_ohm: 16.1,
            ..device(
                "a 0.5 Ω output with a 50 mA limit",
                out(0.5, None, 1.0, None, Some(50.0), 4.0),
                10_000.0,
                true,
                800,
                0.0,
            )
        },
    ]
}

/// The input for `d`: its full scale puts the pilot near −20 dBFS and the staircase's top near
/// −8 dBFS; its floor 112 dB below its full scale.
fn input_for(d: &Device) -> SimInput {
    let input_full_scale_v_peak = 2.5 * d.out.full_scale_v_peak;
    SimInput {
        input_full_scale_v_peak,
        input_ohm: d.input_ohm,
        input_noise_vrms: input_full_scale_v_peak / SQRT_2 * 10f64.powf(-112.0 / 20.0),
        latency_samples: d.latency_samples,
        tail_samples: 24_000,
    }
}

fn as_recording(name: &str, frames: &[[f32; 2]]) -> Recording {
    Recording {
        name: name.into(),
        rate_hz: RATE,
        left: frames.iter().map(|f| f64::from(f[0])).collect(),
        right: frames.iter().map(|f| f64::from(f[1])).collect(),
    }
}

/// The open and loaded recordings and the input's floor of `d`.
fn recordings(d: &Device, played: &[[f32; 2]]) -> (Recording, Recording, Recording) {
    let input = input_for(d);
    let open = SimPass {
        pass: Pass::Open,
        volume_gain: 1.0,
        seed: 11,
    };
    let loaded = SimPass {
        pass: Pass::Loaded {
            load_ohm: d.load_true_ohm,
        },
        volume_gain: 1.0,
        seed: 12,
    }
    .with_drift_db(d.drift_db);
    let floor = input.recorded_floor(4 * RATE as usize, RATE, 13);
    (
        as_recording("open.wav", &record(played, RATE, &d.out, &input, &open)),
        as_recording("loaded.wav", &record(played, RATE, &d.out, &input, &loaded)),
        as_recording("floor.wav", &floor),
    )
}

fn setup_for(d: &Device) -> OutputSetup {
    let input = input_for(d);
    OutputSetup {
        load_ohm: d.load_ohm,
        load_tolerance: 0.01,
        input_ohm: d.input_given.then_some(d.input_ohm),
        calibration: Calibration::InputFullScaleDbu(vrms_to_dbu(
            input.input_full_scale_v_peak / SQRT_2,
        )),
    }
}

/// The A-weighted level of white noise of `vrms` over 20 Hz–20 kHz.
fn a_weighted(vrms: f64) -> f64 {
    let white = NoiseSpec {
        level_vrms: vrms,
        ..NoiseSpec::SILENT
    };
    let a = NoiseSpec {
        a_weighted: true,
        ..NoiseSpec::SILENT
    };
    vrms * (a.band_integral_hz() / white.band_integral_hz()).sqrt()
}

fn holds(what: &str, r: &Ranged, truth: f64, failures: &mut Vec<String>) {
    if !(r.range[0] <= truth && truth <= r.range[1]) {
        failures.push(format!(
            "{what}: the true {truth} lies outside the printed range {:?} (value {})",
            r.range, r.value
        ));
    }
}

fn near(what: &str, got: f64, truth: f64, tolerance: f64, failures: &mut Vec<String>) {
    if (got - truth).abs() > tolerance {
        failures.push(format!(
            "{what}: {got} recovered, {truth} true, beyond ±{tolerance}"
        ));
    }
}

fn check(d: &Device, m: &OutputMeasurement, failures: &mut Vec<String>) {
    let name = d.name;
    let o = &d.out;
    let r = &m.r_out_ohm;
    near(
        &format!("{name}: output impedance"),
        r.value,
        o.r_out_ohm,
        0.02 * o.r_out_ohm + 0.05,
        failures,
    );
    holds(
        &format!("{name}: output impedance"),
        r,
        o.r_out_ohm,
        failures,
    );
    match (o.coupling_cap_uf, &m.coupling_cap_uf) {
        (Some(c), Some(got)) => {
            near(
                &format!("{name}: capacitor"),
                got.value,
                c,
                0.1 * c,
                failures,
            );
            holds(&format!("{name}: capacitor"), got, c, failures);
        }
        (None, None) => {}
        (truth, got) => failures.push(format!("{name}: capacitor {truth:?}, found {got:?}")),
    }
    let fs = &m.full_scale_v_peak;
    near(
        &format!("{name}: full scale (dB)"),
        gain_to_db(fs.value / o.full_scale_v_peak),
        0.0,
        0.1,
        failures,
    );
    holds(
        &format!("{name}: full scale"),
        fs,
        o.full_scale_v_peak,
        failures,
    );
    match (o.rail_v_peak, &m.rail_v_peak) {
        (Some(rail), Some(got)) => {
            near(
                &format!("{name}: rails (dB)"),
                gain_to_db(got.value / rail),
                0.0,
                0.2,
                failures,
            );
            holds(&format!("{name}: rails"), got, rail, failures);
        }
        (None, None) => {}
        (truth, got) => failures.push(format!("{name}: rails {truth:?}, found {got:?}")),
    }
    match (o.i_max_ma_peak, &m.i_max_ma_peak) {
        (Some(i), Some(got)) => {
            near(
                &format!("{name}: current limit"),
                got.value,
                i,
                0.05 * i,
                failures,
            );
            holds(&format!("{name}: current limit"), got, i, failures);
        }
        (None, None) => {}
        (truth, got) => failures.push(format!("{name}: current limit {truth:?}, found {got:?}")),
    }
    let input_floor_vrms = input_for(d).input_noise_vrms;
    let noise_dbv = gain_to_db(o.noise_vrms);
    let noise_dbv_a = gain_to_db(a_weighted(o.noise_vrms));
    holds(&format!("{name}: noise"), &m.noise.dbv, noise_dbv, failures);
    holds(
        &format!("{name}: noise (A)"),
        &m.noise.dbv_a,
        noise_dbv_a,
        failures,
    );
    if o.noise_vrms >= 2.0 * input_floor_vrms {
        if m.noise.upper_bound {
            failures.push(format!(
                "{name}: noise 6 dB above the input's given as a bound"
            ));
        }
        near(
            &format!("{name}: noise"),
            m.noise.dbv.value,
            noise_dbv,
            1.0,
            failures,
        );
        near(
            &format!("{name}: noise (A)"),
            m.noise.dbv_a.value,
            noise_dbv_a,
            1.0,
            failures,
        );
    }
    for row in &m.rows {
        let zo = num_complex::Complex64::new(
            o.r_out_ohm,
            o.coupling_cap_uf.map_or(0.0, |c| {
                -1.0 / (2.0 * std::f64::consts::PI * row.freq_hz * c * 1e-6)
            }),
        )
        .norm();
        holds(
            &format!("{name}: |Zo| at {} Hz", row.freq_hz),
            &row.z_out_ohm,
            zo,
            failures,
        );
    }
}

#[test]
fn simulated_interfaces_are_recovered_within_their_ranges() {
    let (played, _) = signal(RATE);
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for d in devices() {
        let (open, loaded, floor) = recordings(&d, &played);
        let m = measure_output(&open, &loaded, Some(&floor), setup_for(&d))
            .unwrap_or_else(|e| panic!("{}: {e}", d.name));
        table.push(format!("{}\n{}", d.name, m.text()));
        check(&d, &m, &mut failures);
    }
    println!("{}", table.join("\n\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The open and loaded recordings of the 10 Ω interface, with `edit` applied to the pair.
fn refused(edit: impl FnOnce(&mut Recording, &mut Recording)) -> String {
    let d = &devices()[1];
    let (played, _) = signal(RATE);
    let (mut open, mut loaded, _) = recordings(d, &played);
    edit(&mut open, &mut loaded);
    match measure_output(&open, &loaded, None, setup_for(d)) {
        Ok(_) => panic!("the damaged recordings were measured"),
        Err(e) => e.to_string(),
    }
}

/// The second `message` names, as "FILE at S s".
fn second_in(message: &str) -> f64 {
    let at = message.split(" at ").nth(1).expect("a second");
    at.split(' ').next().unwrap().parse().expect("a number")
}

#[test]
fn a_clipped_input_is_named_at_its_second() {
    let e = refused(|open, _| {
        for v in &mut open.left[700_000..700_010] {
            *v = 1.0;
        }
    });
    assert!(
        e.starts_with("open.wav at ") && e.contains("input 1 clipped"),
        "{e}"
    );
    assert!((second_in(&e) - 700_000.0 / RATE).abs() < 0.01, "{e}");
}

#[test]
fn a_recording_without_the_signal_is_refused() {
    let e = refused(|open, _| {
        let noise: Vec<f64> = (0..open.left.len())
            .map(|i| 0.01 * ((i * 7919) % 13) as f64 / 13.0)
            .collect();
        open.left = noise.clone();
        open.right = noise;
    });
    assert!(e.starts_with("open.wav: no signal found"), "{e}");
}

#[test]
fn a_dropout_is_named_at_its_second() {
    let e = refused(|_, loaded| {
        for c in [&mut loaded.left, &mut loaded.right] {
            for v in &mut c[600_000..600_200] {
                *v = 0.0;
            }
        }
    });
    assert!(
        e.starts_with("loaded.wav at ") && e.contains("dropout"),
        "{e}"
    );
    assert!((second_in(&e) - 600_000.0 / RATE).abs() < 0.01, "{e}");
}

#[test]
fn lost_samples_between_the_markers_are_a_dropout() {
    let e = refused(|open, _| {
        open.left.drain(500_000..500_048);
        open.right.drain(500_000..500_048);
    });
    assert!(
        e.starts_with("open.wav at ") && e.contains("48 samples were lost"),
        "{e}"
    );
}

#[test]
fn a_signal_made_at_another_rate_is_refused_with_both_rates() {
    let d = &devices()[1];
    let (played, _) = signal(44_100.0);
    let (open, loaded, _) = recordings(d, &played);
    let e = measure_output(&open, &loaded, None, setup_for(d))
        .unwrap_err()
        .to_string();
    assert!(e.contains("made at 44100 Hz and played at 48000 Hz"), "{e}");
}

#[test]
fn swapped_passes_are_refused() {
    let e = refused(std::mem::swap);
    assert!(
        e.starts_with("open.wav: it is +") && e.contains("louder than loaded.wav"),
        "{e}"
    );
}

#[test]
fn passes_at_two_volumes_are_refused() {
    let e = refused(|_, loaded| {
        for c in [&mut loaded.left, &mut loaded.right] {
            for v in c.iter_mut() {
                *v *= 0.9;
            }
        }
    });
    // 0.9 is −0.92 dB, beside the device's own −0.04 dB drift.
    assert!(
        e.starts_with("loaded.wav: the pilot on input 2 is -0.96 dB"),
        "{e}"
    );
    assert!(e.contains("the volume changed between the passes"), "{e}");
}

#[test]
fn a_silent_channel_is_named() {
    let e = refused(|_, loaded| loaded.right.iter_mut().for_each(|v| *v *= 1e-4));
    assert!(
        e.starts_with("loaded.wav: the right channel (input 2, the pilot) is silent"),
        "{e}"
    );
}

#[test]
fn a_recording_cut_short_is_refused() {
    let e = refused(|open, _| {
        open.left.truncate(open.left.len() / 2);
        open.right.truncate(open.right.len() / 2);
    });
    assert!(
        e.starts_with("open.wav at ") && e.contains("only one marker found"),
        "{e}"
    );
}
