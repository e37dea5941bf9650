//! `loadline measure` end to end: the signal written, played through a simulated interface
//! (the test kit's), recorded as 24-bit WAVs, measured, saved, and used by `report`; damaged
//! recordings refused with their file and a non-zero exit.

use assert_cmd::assert::OutputAssertExt;
use loadline_testkit::loopback;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn loadline(config_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadline"))
        .env("LOADLINE_CONFIG_DIR", config_dir)
        .args(args)
        .output()
        .expect("running loadline")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("measure")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_stereo(path: &Path) -> (Vec<[f32; 2]>, f64) {
    let mut r = hound::WavReader::open(path).unwrap();
    let rate = f64::from(r.spec().sample_rate);
    let samples: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
    (samples.chunks(2).map(|c| [c[0], c[1]]).collect(), rate)
}

/// The signal written by `loadline measure signal`, recorded by the test kit's loopback
/// interface (a 10 Ω output with a 40 mA current limit, the resistor 33.1 Ω), open and loaded,
/// and the inputs' floor, in `dir`.
fn recorded(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let signal = dir.join("signal.wav");
    loadline(dir, &["measure", "signal", s(&signal)])
        .assert()
        .success();
    let (played, rate) = read_stereo(&signal);
    assert_eq!(rate, 48_000.0);
    let [open, loaded, floor] = loopback::write_recordings(dir, &played, rate).unwrap();
    (open, loaded, floor)
}

#[test]
fn a_measured_output_is_saved_and_reported_with_its_figures() {
    let dir = scratch("round-trip");
    let (open, loaded, floor) = recorded(&dir);
    let dbu = format!("{:.4}", loopback::input_full_scale_dbu());
    let args = [
        "measure",
        "output",
        "--open",
        s(&open),
        "--loaded",
        s(&loaded),
        "--load-ohm",
        "33 ohm",
        "--input-full-scale-dbu",
        &dbu,
        "--input-ohm",
        "10k",
        "--input-floor",
        s(&floor),
    ];
    let out = loadline(&dir, &[&args[..], &["--json"]].concat());
    out.clone().assert().success();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = v["r_out_ohm"].as_f64().unwrap();
    assert!((r - 10.0).abs() < 0.25, "{v}");
    let [lo, hi] = [0, 1].map(|i| v["r_out_ohm_range"][i].as_f64().unwrap());
    assert!(lo <= 10.0 && 10.0 <= hi, "{v}");
    assert!(
        v["coupling_cap_uf"].is_null() && v["rail_v_peak"].is_null(),
        "{v}"
    );
    let i_max = v["i_max_ma_peak"].as_f64().unwrap();
    assert!((i_max - 40.0).abs() < 2.0, "{v}");
    let fs = v["full_scale_v_peak"].as_f64().unwrap();
    assert!((20.0 * (fs / 3.0).log10()).abs() < 0.1, "{v}");
    for key in ["noise_dbv", "noise_dbv_a", "dynamic_range_db"] {
        assert!(v[key].as_f64().is_some(), "{key}: {v}");
    }
    assert_eq!(v["rows"].as_array().unwrap().len(), 31);

    let saved = loadline(&dir, &[&args[..], &["--save", "Bench Box"]].concat());
    saved.clone().assert().success();
    let said = String::from_utf8_lossy(&saved.stdout);
    assert!(said.contains("added Bench Box (yours)"), "{said}");
    let listed = loadline(&dir, &["user", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("measured: own measurement"), "{listed}");
    let report = loadline(
        &dir,
        &[
            "report",
            "--output",
            "Bench Box",
            "--headphone",
            "HD 600",
            "--json",
        ],
    );
    report.clone().assert().success();
    let rep: Value = serde_json::from_slice(&report.stdout).unwrap();
    let text = rep.to_string();
    assert!(text.contains("Bench Box (yours)"), "{text}");
    // The report's figures are those of the measured stage: its output impedance gives the
    // damping factor into the HD 600's 300 Ω, within the measurement's range.
    let df = rep["damping_factor"].as_f64().unwrap_or(f64::NAN);
    assert!(
        df > 300.0 / hi * 0.99 && df < 300.0 / lo * 1.01,
        "damping factor {df}: {text}"
    );
}

#[test]
fn damaged_recordings_are_refused_with_their_file_and_a_failure() {
    let dir = scratch("damaged");
    let (open, loaded, _) = recorded(&dir);
    let dbu = format!("{:.4}", loopback::input_full_scale_dbu());
    let run = |open: &Path, loaded: &Path| {
        let out = loadline(
            &dir,
            &[
                "measure",
                "output",
                "--open",
                s(open),
                "--loaded",
                s(loaded),
                "--load-ohm",
                "33",
                "--input-full-scale-dbu",
                &dbu,
            ],
        );
        out.clone().assert().failure();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let swapped = run(&loaded, &open);
    assert!(
        swapped.contains("louder than") && swapped.contains("open.wav"),
        "{swapped}"
    );
    let mono = dir.join("mono.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&mono, spec).unwrap();
    for i in 0..48_000 {
        w.write_sample(((i % 100) * 100) as i16).unwrap();
    }
    w.finalize().unwrap();
    let err = run(&mono, &loaded);
    assert!(err.contains("mono.wav: 1 channel(s)"), "{err}");
    let err = run(&dir.join("missing.wav"), &loaded);
    assert!(err.contains("missing.wav"), "{err}");
    let text = dir.join("text.wav");
    std::fs::write(&text, "not audio").unwrap();
    let err = run(&open, &text);
    assert!(err.contains("text.wav"), "{err}");
}
