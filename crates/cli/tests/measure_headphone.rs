//! `loadline measure headphone` end to end: the jig's signal written by `measure signal --jig`,
//! played through a simulated sense-resistor jig (the test kit's), recorded as a 24-bit WAV,
//! measured, written as a .zma, saved, and used by `report`; damaged recordings and missing
//! flags refused with a non-zero exit and no panic.

use assert_cmd::assert::OutputAssertExt;
use loadline_testkit::jig::{SimHeadphone, SimJig, Wiring, record_jig};
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
        .join("measure-headphone")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_stereo(path: &Path) -> (Vec<[f32; 2]>, f64) {
    let mut r = hound::WavReader::open(path).unwrap();
    let rate = f64::from(r.spec().sample_rate);
    let samples: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
    (samples.chunks(2).map(|c| [c[0], c[1]]).collect(), rate)
}

/// Writes `frames` as a 24-bit WAV, as a DAW records.
fn write_24(path: &Path, frames: &[[f32; 2]], rate: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate as u32,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for f in frames {
        for v in f {
            w.write_sample((f64::from(*v) * 8_388_607.0).round() as i32)
                .unwrap();
        }
    }
    w.finalize().unwrap();
}

/// The bench's headphone: 32 Ω, resonating at 80 Hz (+30 Ω, Q 2).
fn cans() -> SimHeadphone {
    SimHeadphone::dynamic(32.0, 0.1e-3, 80.0, 30.0, 2.0)
}

/// The jig's signal written by `loadline measure signal --jig` and recorded through a 100.4 Ω
/// sense resistor wired as `wiring`, as `name` in `dir`.
fn recorded(dir: &Path, name: &str, wiring: Wiring) -> PathBuf {
    let signal = dir.join("jig-signal.wav");
    if !signal.exists() {
        let out = loadline(dir, &["measure", "signal", "--jig", s(&signal)]);
        out.clone().assert().success();
        assert!(stderr(&out).contains("wrote"), "{}", stderr(&out));
    }
    let (played, rate) = read_stereo(&signal);
    assert_eq!(rate, 48_000.0);
    assert!(played.iter().all(|f| f[0] == f[1]));
    let path = dir.join(name);
    let jig = SimJig::new(100.4);
    write_24(&path, &record_jig(&played, rate, &jig, wiring, 1), rate);
    path
}

#[test]
fn a_measured_headphone_is_written_saved_and_reported() {
    let dir = scratch("round-trip");
    let h = cans();
    let rec = recorded(&dir, "jig.wav", Wiring::Headphone(&h));
    let base = [
        "measure",
        "headphone",
        "--jig",
        s(&rec),
        "--sense-ohm",
        "100 ohm",
        "--input-ohm",
        "10k",
    ];

    let out = loadline(&dir, &[&base[..], &["--json"]].concat());
    out.clone().assert().success();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 241);
    for row in rows {
        let f = row["freq_hz"].as_f64().unwrap();
        let z = h.z_ohm(f);
        let mag = row["mag_ohm"].as_f64().unwrap();
        let phase = row["phase_deg"].as_f64().unwrap();
        assert!((mag / z.norm() - 1.0).abs() < 0.02, "{row}");
        assert!((phase - z.arg().to_degrees()).abs() < 3.0, "{row}");
        let [lo, hi] = [0, 1].map(|i| row["mag_ohm_range"][i].as_f64().unwrap());
        assert!(lo <= z.norm() && z.norm() <= hi, "{row}");
    }
    let f_res = v["f_res_hz"].as_f64().unwrap();
    assert!((f_res / 80.0 - 1.0).abs() < 0.03, "{f_res}");
    assert!((v["z_1k_ohm"].as_f64().unwrap() / h.z_ohm(1000.0).norm() - 1.0).abs() < 0.01);

    let text = loadline(&dir, &base);
    text.clone().assert().success();
    let text = String::from_utf8_lossy(&text.stdout);
    for label in ["R_dc", "1 kHz", "10 kHz", "resonance", "frequency"] {
        assert!(text.contains(label), "{label}: {text}");
    }

    let zma = dir.join("cans.zma");
    let written = loadline(&dir, &[&base[..], &["--zma", s(&zma)]].concat());
    written.clone().assert().success();
    let curve = loadline_core::import::read_impedance_file(&zma).unwrap();
    assert!(!curve.phase_derived);
    assert_eq!(curve.curve.points().len(), 241);
    let again = loadline(&dir, &[&base[..], &["--zma", s(&zma)]].concat());
    again.clone().assert().failure();
    assert!(
        stderr(&again).contains("the file exists"),
        "{}",
        stderr(&again)
    );
    let over_input = loadline(&dir, &[&base[..], &["--zma", s(&rec)]].concat());
    over_input.clone().assert().failure();

    let unsaved = loadline(&dir, &[&base[..], &["--save", "Bench Cans"]].concat());
    unsaved.clone().assert().failure();
    assert!(
        stderr(&unsaved).contains("--save needs --sensitivity"),
        "{}",
        stderr(&unsaved)
    );

    let saved = loadline(
        &dir,
        &[
            &base[..],
            &["--save", "Bench Cans", "--sensitivity", "100 dB/V"],
        ]
        .concat(),
    );
    saved.clone().assert().success();
    let said = String::from_utf8_lossy(&saved.stdout);
    assert!(said.contains("added Bench Cans (yours)"), "{said}");
    let listed = loadline(&dir, &["user", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("measured: own measurement"), "{listed}");
    assert!(listed.contains("sense-resistor jig"), "{listed}");

    let report = loadline(
        &dir,
        &[
            "report",
            "--headphone",
            "Bench Cans",
            "--output",
            "Scarlett 2i2 4th gen",
            "--json",
        ],
    );
    report.clone().assert().success();
    let rep: Value = serde_json::from_slice(&report.stdout).unwrap();
    let text = rep.to_string();
    assert!(text.contains("Bench Cans (yours)"), "{text}");
}

#[test]
fn bad_recordings_and_flags_are_refused_without_a_panic() {
    let dir = scratch("refused");
    let open = recorded(&dir, "open.wav", Wiring::Open);
    let run = |args: &[&str]| {
        let out = loadline(&dir, args);
        out.clone().assert().failure();
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let measure = |jig: &Path| {
        run(&[
            "measure",
            "headphone",
            "--jig",
            s(jig),
            "--sense-ohm",
            "100",
        ])
    };
    let err = measure(&open);
    assert!(
        err.contains("open.wav") && err.contains("the headphone is not connected"),
        "{err}"
    );
    let text = dir.join("text.wav");
    std::fs::write(&text, "not audio").unwrap();
    assert!(measure(&text).contains("text.wav"));
    assert!(measure(&dir.join("missing.wav")).contains("missing.wav"));
    let err = run(&[
        "measure",
        "headphone",
        "--jig",
        s(&open),
        "--sense-ohm",
        "100",
        "--save",
        "Cans",
        "--sensitivity",
        "100 dB/V",
    ]);
    assert!(err.contains("give the maker and the model"), "{err}");
    let err = run(&[
        "measure",
        "headphone",
        "--jig",
        s(&open),
        "--sense-ohm",
        "0",
    ]);
    assert!(err.contains("--sense-ohm"), "{err}");
    let err = run(&[
        "measure",
        "signal",
        "--jig",
        s(&dir.join("x.wav")),
        "--rate",
        "22050",
    ]);
    assert!(err.contains("44100 Hz or more"), "{err}");
}
