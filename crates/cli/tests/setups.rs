//! `loadline setup` and `report --setup`, end to end: the built binary with a configuration
//! directory of the test's own, as a producer would use them, broken files included.

use assert_cmd::prelude::*;
use loadline_core::setups::{self, Setup};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `loadline` with its configuration directory (catalog and setups) in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadline"))
        .env("LOADLINE_CONFIG_DIR", dir)
        .args(args)
        .output()
        .expect("running loadline")
}

/// Runs and expects success; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    out.clone().assert().success();
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs and expects a clean failure; returns stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    out.clone().assert().failure();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    err
}

/// The JSON `args` print.
fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, args)).expect("JSON on stdout")
}

/// A scratch configuration directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("setups")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files in the user's setups folder.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("setups"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_setup_is_listed_shown_exported_imported_used_and_removed() {
    let dir = scratch("round-trip");
    let listed = ok(&dir, &["setup", "list"]);
    for s in setups::factory() {
        assert!(listed.contains(&s.name), "{} not in:\n{listed}", s.name);
        assert!(listed.contains(&s.question), "{listed}");
    }
    assert!(listed.contains("none yet"), "{listed}");
    // Shown as its file holds it.
    let shown = ok(&dir, &["setup", "show", "two listeners"]);
    let factory = setups::find_factory("two listeners").unwrap();
    assert_eq!(&Setup::parse(Path::new("-"), &shown).unwrap(), factory);
    // Exported to a file, never over one.
    let file = dir.join("two.toml");
    ok(
        &dir,
        &["setup", "export", "two listeners", file.to_str().unwrap()],
    );
    let err = fails(
        &dir,
        &["setup", "export", "two listeners", file.to_str().unwrap()],
    );
    assert!(err.contains("the file exists"), "{err}");
    // Renamed by hand and imported: it is the user's, and reports as the factory's.
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "name = \"Two listeners on one jack\"",
        "name = \"Our control room\"",
    );
    std::fs::write(&file, text).unwrap();
    let imported = ok(&dir, &["setup", "import", file.to_str().unwrap()]);
    assert!(
        imported.contains("imported Our control room (yours)"),
        "{imported}"
    );
    assert_eq!(files(&dir).len(), 1);
    let err = fails(&dir, &["setup", "import", file.to_str().unwrap()]);
    assert!(err.contains("already named"), "{err}");
    let listed = ok(&dir, &["setup", "list"]);
    assert!(listed.contains("Our control room (yours)"), "{listed}");
    let theirs = json(&dir, &["report", "--setup", "control room", "--json"]);
    let factorys = json(&dir, &["report", "--setup", "two listeners", "--json"]);
    assert_eq!(theirs, factorys);
    // Only the user's are removed.
    let err = fails(&dir, &["setup", "remove", "two listeners"]);
    assert!(err.contains("factory setup"), "{err}");
    let removed = ok(&dir, &["setup", "remove", "control room"]);
    assert!(
        removed.contains("removed Our control room (yours)"),
        "{removed}"
    );
    assert!(files(&dir).is_empty());
}

#[test]
fn a_report_of_a_setup_is_the_report_of_its_flags() {
    let dir = scratch("report");
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--setup", "line out or headphone out"],
            &[
                "--output",
                "UMC202HD line out -> Magni 2",
                "--headphone",
                "DT 990 600",
                "--target-spl",
                "90",
            ],
        ),
        (
            &["--setup", "line out or headphone out", "--slot", "b"],
            &[
                "--output",
                "UMC202HD -> Magni 2",
                "--headphone",
                "DT 990 600",
                "--target-spl",
                "90",
            ],
        ),
        (
            &["--setup", "distribution amp", "--target-spl", "85"],
            &[
                "--output",
                "HA8000",
                "--headphone",
                "HD 280 Pro",
                "--with",
                "DT 770 32 at +6 dB",
                "--with",
                "ATH-M50x",
                "--with",
                "SE215",
                "--own-outputs",
                "--target-spl",
                "85",
            ],
        ),
        // The flags given beside a setup take their place.
        (
            &["--setup", "laptop jack", "--headphone", "DT 770 80"],
            &[
                "--output",
                "Apple Mac (Apple silicon) jack, 150 Ω–1 kΩ",
                "--headphone",
                "DT 770 80",
            ],
        ),
    ];
    for (with_setup, flags) in cases {
        let a = json(&dir, &[&["report", "--json"], with_setup].concat());
        let b = json(&dir, &[&["report", "--json"], flags].concat());
        assert_eq!(a, b, "{with_setup:?} against {flags:?}");
    }
    let err = fails(&dir, &["report", "--setup", "nonesuch"]);
    assert!(err.contains("setup (see `loadline setup list`)"), "{err}");
}

#[test]
fn a_broken_setup_file_is_named_with_its_line_and_the_others_still_load() {
    let dir = scratch("broken");
    let folder = dir.join("setups");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("broken.toml"),
        "name = \"Broken\"\na = { output = { name = \"UMC202HD\" } }\nb = oops\n",
    )
    .unwrap();
    let mut good = setups::find_factory("a phone on an in-ear")
        .unwrap()
        .clone();
    good.name = "My phone".into();
    setups::save(&folder, &good).unwrap();
    let listed = ok(&dir, &["setup", "list"]);
    assert!(listed.contains("broken.toml:3:"), "{listed}");
    assert!(listed.contains("My phone (yours)"), "{listed}");
    ok(&dir, &["report", "--setup", "my phone"]);
    // Files that do not load are refused whole: nothing is added.
    let unknown = dir.join("unknown.toml");
    let mut bad = good.clone();
    bad.name = "Unknown".into();
    bad.headphone.name = "Nonesuch 9000".into();
    std::fs::write(&unknown, bad.to_toml()).unwrap();
    let err = fails(&dir, &["setup", "import", unknown.to_str().unwrap()]);
    assert!(err.contains("the headphone 'Nonesuch 9000'"), "{err}");
    let err = fails(
        &dir,
        &[
            "setup",
            "import",
            folder.join("broken.toml").to_str().unwrap(),
        ],
    );
    assert!(err.contains("broken.toml:3:"), "{err}");
    assert_eq!(files(&dir).len(), 2);
}

#[test]
fn a_render_of_a_setup_is_the_render_of_its_flags() {
    let dir = scratch("render");
    // A short tone, so that the limits and the level both act on something.
    let input = dir.join("in.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&input, spec).unwrap();
    for i in 0..24_000 {
        let v = 0.5 * (2.0 * std::f32::consts::PI * 100.0 * i as f32 / 48_000.0).sin();
        w.write_sample(v).unwrap();
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    let render = |name: &str, args: &[&str]| {
        let out = dir.join(name);
        let all = [
            &[
                "render",
                input.to_str().unwrap(),
                out.to_str().unwrap(),
                "--no-noise",
            ],
            args,
        ]
        .concat();
        ok(&dir, &all);
        ["A", "B"].map(|l| std::fs::read(out.with_extension(format!("{l}.wav"))).unwrap())
    };
    let cases: [(&str, &[&str]); 2] = [
        (
            "line out or headphone out",
            &[
                "--output",
                "UMC202HD line out -> Magni 2",
                "--compare",
                "UMC202HD -> Magni 2",
                "--headphone",
                "DT 990 600",
                "--target-spl",
                "90",
                "--mode",
                "zero-latency",
            ],
        ),
        (
            "interface jack or a dedicated amp",
            &[
                "--output",
                "Scarlett 2i2 4th gen",
                "--compare",
                "Magni 2",
                "--headphone",
                "DT 990 600",
                "--target-spl",
                "90",
                "--mode",
                "zero-latency",
            ],
        ),
    ];
    for (k, (setup, flags)) in cases.into_iter().enumerate() {
        let with_setup = render(&format!("s{k}.wav"), &["--setup", setup]);
        let with_flags = render(&format!("f{k}.wav"), flags);
        assert!(
            with_setup == with_flags,
            "{setup}: the setup's render differs from its flags'"
        );
        if k == 1 {
            // The Scarlett's 50 ohms and its clipping against the Magni 2: two sounds.
            assert!(
                with_setup[0] != with_setup[1],
                "{setup}: A and B are one sound"
            );
        }
    }
}
