//! A measured output's round trip, with the bundled `Loadline.clap` at its end: the test kit's
//! loopback interface recorded open and loaded, measured, saved in one producer's catalog,
//! exported, imported into another's clean catalog, and heard in the plugin through the slot's
//! figures set from the imported entry: its tone is the measured impedance's, and a hot sine
//! clips where the measured current limit says, within what the measurement's range allows of
//! the simulated device's own.

use loadline_core::catalog::headphone_models;
use loadline_core::catalog::user::{UserCatalog, YourEntry};
use loadline_core::measure::output::{Calibration, OutputSetup, measure_output};
use loadline_core::measure::recording::Recording;
use loadline_core::measure::signal::signal;
use loadline_core::physics::impedance::log_spaced;
use loadline_core::physics::source::TheveninSource;
use loadline_core::units::dbu_to_vrms;
use loadline_testkit::clap_host::LoadedPlugin;
use loadline_testkit::loopback;
use loadline_testkit::measure::{
    current_clamped_voltage_peak, delay_factor, response_at_bins, worst_deviation,
};
use std::f64::consts::SQRT_2;
use std::path::PathBuf;

const RATE: f64 = 48_000.0;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("measured")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn as_recording(name: &str, frames: &[[f32; 2]]) -> Recording {
    Recording {
        name: name.into(),
        rate_hz: RATE,
        left: frames.iter().map(|f| f64::from(f[0])).collect(),
        right: frames.iter().map(|f| f64::from(f[1])).collect(),
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn a_measured_output_is_exported_imported_and_heard_in_the_plugin() {
    let (played, _) = signal(RATE);
    let [open, loaded, floor] = loopback::recordings(&played, RATE);
    let setup = OutputSetup {
        load_ohm: loopback::LOAD_OHM.0,
        load_tolerance: 0.01,
        input_ohm: Some(loopback::input().input_ohm),
        calibration: Calibration::InputFullScaleDbu(loopback::input_full_scale_dbu()),
    };
    let m = measure_output(
        &as_recording("open", &open),
        &as_recording("loaded", &loaded),
        Some(&as_recording("floor", &floor)),
        setup,
    )
    .unwrap();
    let entry = m.to_entry(
        "Bench",
        "Box",
        loadline_core::catalog::OutputKind::AudioInterface,
        "2026-12-07",
    );

    // Saved in one catalog, exported, imported into a clean one.
    let mine = scratch("mine").join("catalog.toml");
    let saved = UserCatalog::load(&mine)
        .unwrap()
        .add_output(&entry)
        .unwrap();
    let shared = scratch("shared").join("bench-box.toml");
    std::fs::write(&shared, saved.entry_text(YourEntry::Output(0)).unwrap()).unwrap();
    let theirs = scratch("theirs").join("catalog.toml");
    let imported = UserCatalog::load(&theirs).unwrap().import(&shared).unwrap();
    let back = UserCatalog::load(&imported.path).unwrap();
    let got = &back.outputs[0].entry;
    assert_eq!(
        got, &entry,
        "the entry travels whole: figures, bases, sources, notes, ranges"
    );

    // Heard: slot A set to the imported entry's figures (as the editor sets a user's output).
    let figures = got.model_figures();
    let full_scale_dbu = figures.full_scale_dbu.unwrap();
    let i_max_ma = figures.i_max_ma_peak.unwrap();
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    let mut changes: Vec<(u32, f64)> = [
        ("A output impedance", format!("{} ohm", figures.r_out_ohm)),
        ("A full-scale level", format!("{full_scale_dbu} dBu")),
        ("A current limit", format!("{i_max_ma} mA")),
    ]
    .iter()
    .map(|(name, text)| {
        let v = p
            .text_to_value(name, text)
            .unwrap_or_else(|| panic!("{name} = {text}"));
        (p.id(name), v)
    })
    .collect();
    // The ATH-M50x, in Exact mode (the second of the modes).
    changes.extend([(p.id("Headphone"), 1.0), (p.id("Mode"), 1.0)]);
    // The impedance as the parameter holds it (single precision).
    let r_out_heard = f64::from(figures.r_out_ohm as f32);
    let load = &headphone_models()[1].load;

    // Its tone: an impulse heard through the measured impedance, within the engine's 0.05 dB
    // and 0.5°, with the limits off (Exact mode's 12 samples of latency alone).
    let at = 64;
    let mut x = vec![vec![0.0f32; 72_000]; 2];
    for c in &mut x {
        c[at] = 0.01;
    }
    let y = p.activate(RATE, 512, 2).render(&x, 512, &changes);
    let ir: Vec<f64> = y[0][at..].iter().map(|&v| f64::from(v) / 0.01).collect();
    let src = TheveninSource {
        r_out_ohm: r_out_heard,
        coupling_cap_f: None,
    };
    let freqs: Vec<f64> = log_spaced(20.0, 20_000.0, 150).collect();
    let (db, deg) = worst_deviation(
        response_at_bins(&ir, RATE, &freqs)
            .into_iter()
            .map(|(f, h)| (h, src.transfer(load, f) * delay_factor(12.0, f, RATE))),
    );
    assert!(db <= 0.05 && deg <= 0.5, "{db:.4} dB {deg:.3}°");

    // Its clipping: a full-scale 1 kHz sine into the ATH-M50x asks far more than 40 mA; the
    // peak is the clamped current's, at the measured limit, and within the measurement's
    // range of the simulated device's own 40 mA.
    let sine: Vec<Vec<f32>> = vec![
        (0..24_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / RATE as f32).sin())
            .collect();
        2
    ];
    // With the limits on (they add their own latency, which the tone above leaves out).
    changes.push((p.id("Output limits"), 1.0));
    let y = p.activate(RATE, 512, 2).render(&sine, 512, &changes);
    let peak = f64::from(y[0][12_000..].iter().fold(0.0f32, |m, v| m.max(v.abs())));
    let v_fs = dbu_to_vrms(full_scale_dbu) * SQRT_2;
    let clamped = |i_max_a: f64| {
        current_clamped_voltage_peak(&src, load, 1000.0, v_fs, i_max_a, RATE / 2.0) / v_fs
    };
    let heard_db = 20.0 * (peak / clamped(i_max_ma / 1000.0)).log10();
    assert!(
        heard_db.abs() < 0.5,
        "{heard_db} dB from the measured limit's clamp"
    );
    let [lo, hi] = m.i_max_ma_peak.unwrap().range;
    let true_ma = loopback::output().i_max_ma_peak.unwrap();
    assert!(lo <= true_ma && true_ma <= hi, "[{lo}, {hi}] mA");
}
