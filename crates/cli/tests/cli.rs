//! The `loadline` command line, end to end: the built binary run as a user would, every
//! subcommand, bad input included. The physics it reports and the audio it renders are checked
//! against `physics` as the core's accuracy test does.

use assert_cmd::prelude::*;
use loadline_core::catalog::{self, find_headphone, find_output, headphone_models, output_stage};
use loadline_core::dsp::design::ACCURACY_DB_DEG;
use loadline_core::physics::Impedance;
use loadline_core::physics::impedance::log_spaced;
use loadline_core::physics::source::TheveninSource;
use loadline_core::units::gain_to_db;
use loadline_testkit::measure::{delay_factor, response_at_bins, worst_deviation};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `loadline` with no catalog of the user's (an empty configuration directory), so
/// that the machine's user cannot change what the tests see.
fn loadline(args: &[&str]) -> Output {
    let empty = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/no-user-catalog");
    loadline_with(&empty, args)
}

/// Runs `loadline` with its configuration directory (the user's catalog) in `config_dir`.
fn loadline_with(config_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadline"))
        .env("LOADLINE_CONFIG_DIR", config_dir)
        .args(args)
        .output()
        .expect("running loadline")
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = loadline(args);
    out.clone().assert().success();
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs and expects a clean failure (exit 1 or clap's 2, an error line, no panic); returns
/// stderr.
fn fails(args: &[&str]) -> String {
    let out = loadline(args);
    out.clone().assert().failure();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(err.contains("error"), "{args:?}: {err}");
    err
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A report's text with each wrapped line joined back to the one it continues (a line
/// indented under the labels' column), so that a phrase reads whole wherever it was wrapped.
fn unwrapped(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.strip_prefix(&" ".repeat(16)) {
            Some(rest) if !out.is_empty() => {
                out.push(' ');
                out.push_str(rest);
            }
            _ => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
    }
    out
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("JSON on stdout")
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn list_names_every_entry_and_filters() {
    let outputs = ok(&["list", "outputs"]);
    assert_eq!(
        outputs.lines().count(),
        loadline_core::catalog::outputs().len()
    );
    assert!(outputs.contains("Focusrite Scarlett 2i2 4th gen"));
    let hps = json(&["list", "headphones", "--search", "dt 770", "--json"]);
    let names: Vec<&str> = hps
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.contains("DT 770")));
    let err = fails(&["list", "headphones", "--search", "no such thing"]);
    assert!(err.contains("nothing matches"), "{err}");
    fails(&["list", "amplifiers"]);
}

#[test]
fn report_gives_the_figures_in_words_and_json() {
    let text = ok(&[
        "report",
        "--output",
        "Scarlett 2i2 4th gen",
        "--headphone",
        "DT 990 600",
    ]);
    for want in [
        "verdict",
        "dB SPL",
        "headroom",
        "noise floor",
        "damping factor",
        "1/8 rule",
        "span",
    ] {
        assert!(text.contains(want), "missing '{want}' in:\n{text}");
    }
    let r = json(&[
        "report",
        "--output",
        "scarlett 2i2 4th",
        "--headphone",
        "dt 990 600",
        "--target-spl",
        "100 dB SPL",
        "--json",
    ]);
    assert_eq!(r["target_spl_db"], 100.0);
    assert_eq!(r["needed_peak_spl_db"], 118.0);
    let short = r["short_db"].as_f64().unwrap();
    let peak = r["peak_spl_db"].as_f64().unwrap();
    assert!((short - (118.0 - peak)).abs() < 1e-9, "{r}");
    // The damping factor is the headphone's |Z| at 1 kHz over the output's resistance.
    let hp = &headphone_models()[find_headphone("dt 990 600").unwrap()];
    let stage = output_stage(find_output("scarlett 2i2 4th").unwrap()).unwrap();
    let df = hp.load.z_ohm(1000.0).norm() / stage.source.r_out_ohm;
    assert!((r["damping_factor"].as_f64().unwrap() - df).abs() < 1e-9);
    // The DT 990 600's sensitivity and curve are estimates: the verdict gives the shortfall
    // across their ranges, which hold the estimates' own.
    let g: [f64; 2] = serde_json::from_value(r["range"]["short_db"].clone()).unwrap();
    assert!(g[0] <= short && short <= g[1], "{r}");
    let words = if g[0] == 0.0 {
        format!("up to {:.1} dB short", g[1])
    } else {
        format!("{:.1}–{:.1} dB short", g[0], g[1])
    };
    assert!(r["verdict"].as_str().unwrap().contains(&words), "{r}");
}

#[test]
fn a_custom_output_defaults_to_ideal_figures() {
    let r = json(&[
        "report",
        "--zout",
        "47 ohm",
        "--coupling-uf",
        "100",
        "--headphone",
        "andromeda",
        "--json",
    ]);
    assert_eq!(r["r_out_ohm"], 47.0);
    assert_eq!(r["coupling_cap_uf"], 100.0);
    // No rails, current limit or noise given: only full scale limits, and nothing is heard.
    assert_eq!(r["max_sine_limit"], "full scale");
    assert!(r["noise_floor_db_spl_a"].is_null(), "{r}");
    // The deviation the figures cause is the physics' own.
    let hp = &headphone_models()[find_headphone("andromeda").unwrap()];
    let src = TheveninSource {
        r_out_ohm: 47.0,
        coupling_cap_f: Some(100e-6),
    };
    let devs: Vec<f64> = log_spaced(20.0, 20_000.0, 400)
        .map(|f| src.deviation_db(&hp.load, f))
        .collect();
    let span = devs.iter().cloned().fold(f64::MIN, f64::max)
        - devs.iter().cloned().fold(f64::MAX, f64::min);
    assert!((r["deviation_span_db"].as_f64().unwrap() - span).abs() < 1e-9);
}

#[test]
fn a_sagging_supply_lowers_the_maximum_by_its_divider() {
    // Rails of 5 V peak into the 37 Ω Sundara (a planar, nearly resistive): a 10 Ω sag holds
    // the EMF to 5·37/(37 + 10), 2.07 dB below the stiff supply's 5 V.
    let report = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--rail-v",
            "5 V",
            "--headphone",
            "sundara",
            "--json",
        ];
        args.extend_from_slice(extra);
        json(&args)
    };
    let stiff = report(&[]);
    let sagging = report(&["--sag-ohm", "10 ohm"]);
    assert_eq!(stiff["max_sine_limit"], "rails");
    assert_eq!(sagging["max_sine_limit"], "sagging rails");
    let drop =
        stiff["max_sine_spl_db"].as_f64().unwrap() - sagging["max_sine_spl_db"].as_f64().unwrap();
    let hp = &headphone_models()[find_headphone("sundara").unwrap()];
    let f = sagging["max_sine_freq_hz"].as_f64().unwrap();
    let want = gain_to_db(1.0 + 10.0 / hp.load.z_ohm(f).norm());
    println!("sag: {drop:.3} dB lower, physics {want:.3} dB");
    assert!(want > 1.5 && (drop - want).abs() < 0.01, "{drop} vs {want}");
    // The catalog's sagging output says so, in words.
    let magni = ok(&["report", "--output", "magni 2", "--headphone", "lcd-x"]);
    assert!(magni.contains("sagging rails"), "{magni}");
    let err = fails(&["report", "--sag-ohm", "-1", "--headphone", "sundara"]);
    assert!(
        err.contains("--sag-ohm: supply sag -1 Ω is outside the plausible 0 to 100 Ω"),
        "{err}"
    );
}

#[test]
fn bad_names_and_flags_are_refused_with_reasons() {
    let err = fails(&[
        "report",
        "--output",
        "nonexistent amp",
        "--headphone",
        "hd 600",
    ]);
    assert!(err.contains("no entry matches 'nonexistent amp'"), "{err}");
    let err = fails(&["report", "--output", "scarlett", "--headphone", "hd 600"]);
    assert!(err.contains("matches 3 entries"), "{err}");
    let err = fails(&[
        "report",
        "--output",
        "l30",
        "--zout",
        "2",
        "--headphone",
        "hd 600",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = fails(&["report", "--headphone", "hd 600"]);
    assert!(err.contains("no output"), "{err}");
    let err = fails(&["report", "--zout", "-3", "--headphone", "hd 600"]);
    assert!(err.contains("zout"), "{err}");
    let err = fails(&["report", "--zout", "ten", "--headphone", "hd 600"]);
    assert!(err.contains("not a number"), "{err}");
    let err = fails(&["report", "--output", "l30"]);
    assert!(err.contains("no headphone"), "{err}");
    let err = fails(&[
        "report",
        "--output",
        "l30",
        "--headphone",
        "hd 600",
        "--target-spl",
        "loud",
    ]);
    assert!(err.contains("not a level in dB"), "{err}");
    fails(&["frobnicate"]);
}

#[test]
fn rank_orders_outputs_and_skips_the_reference() {
    let ranked = json(&[
        "rank",
        "--headphone",
        "DT 990 600",
        "--target-spl",
        "95",
        "--json",
    ]);
    let ranked = ranked.as_array().unwrap();
    assert_eq!(ranked.len(), loadline_core::catalog::outputs().len() - 1);
    let shorts: Vec<f64> = ranked
        .iter()
        .map(|r| r["short_db"].as_f64().unwrap())
        .collect();
    assert!(
        shorts
            .windows(2)
            .all(|w| (w[0] * 10.0).round() <= (w[1] * 10.0).round())
    );
    assert!(
        shorts[0] == 0.0 && *shorts.last().unwrap() > 0.0,
        "{shorts:?}"
    );
    let table = ok(&["rank", "--headphone", "DT 990 600", "--target-spl", "95"]);
    let rows = table
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<usize>().is_ok())
        })
        .count();
    assert!(table.contains("enough") && rows == ranked.len(), "{table}");
    fails(&["rank", "--headphone", "nonexistent"]);
}

#[test]
fn response_writes_csv_png_and_zma() {
    let dir = scratch("response");
    let (csv, png, zma) = (dir.join("r.csv"), dir.join("r.png"), dir.join("hp.zma"));
    ok(&[
        "response",
        "--output",
        "iphone 6s",
        "--compare",
        "zout=10,coupling-uf=100",
        "--headphone",
        "andromeda",
        "--csv",
        s(&csv),
        "--png",
        s(&png),
        "--zma",
        s(&zma),
        "--points",
        "300",
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("freq"))
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 300);
    assert_eq!(rows[0].len(), 7);
    let hp = &headphone_models()[find_headphone("andromeda").unwrap()];
    let custom = TheveninSource {
        r_out_ohm: 10.0,
        coupling_cap_f: Some(100e-6),
    };
    for r in &rows {
        assert!((r[1] - hp.load.z_ohm(r[0]).norm()).abs() < 1e-5 * r[1]);
        assert!((r[5] - custom.deviation_db(&hp.load, r[0])).abs() < 1e-4);
    }
    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png_bytes.len() > 20_000, "{} bytes", png_bytes.len());
    let zma_text = std::fs::read_to_string(&zma).unwrap();
    assert!(zma_text.starts_with("* Campfire Audio Andromeda"));
    let err = fails(&["response", "--output", "l30", "--headphone", "hd 600"]);
    assert!(err.contains("nothing to write"), "{err}");
}

/// The impulse's height, full-scale units.
const IMPULSE: f32 = 1e-3;

/// Where the impulse sits, samples: the Exact filters ring ahead of their latency, and with
/// the latency removed that ringing lands before the impulse, so it needs room.
const IMPULSE_AT: usize = 1000;

/// Renders an impulse (32-bit float WAV) through the CLI and returns the response.
fn rendered_impulse(dir: &std::path::Path, rate: u32, extra: &[&str]) -> Vec<f64> {
    let input = dir.join("impulse.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&input, spec).unwrap();
    for i in 0..(rate as usize * 3 / 2) {
        // Small enough to stay below every limit: the limits stay on and must not act.
        w.write_sample(if i == IMPULSE_AT { IMPULSE } else { 0.0 })
            .unwrap();
    }
    w.finalize().unwrap();
    let output = dir.join("out.wav");
    let mut args = vec![
        "render",
        s(&input),
        s(&output),
        "--no-noise",
        "--mode",
        "exact",
    ];
    args.extend_from_slice(extra);
    ok(&args);
    let mut r = hound::WavReader::open(&output).unwrap();
    assert_eq!(r.spec().sample_rate, rate);
    r.samples::<f32>()
        .map(|v| (v.unwrap() / IMPULSE) as f64)
        .collect()
}

#[test]
fn a_rendered_wav_follows_the_physics_and_lines_up() {
    let dir = scratch("render-physics");
    for (rate, output, hp) in [
        (44_100, "iphone 6s", "andromeda"),
        (96_000, "scarlett 2i2 4th", "hd 600"),
    ] {
        let ir = rendered_impulse(&dir, rate, &["--output", output, "--headphone", hp]);
        let model = &headphone_models()[find_headphone(hp).unwrap()];
        let src = output_stage(find_output(output).unwrap()).unwrap().source;
        let freqs: Vec<f64> = log_spaced(20.0, 20_000.0, 200).collect();
        let (db, deg) =
            worst_deviation(response_at_bins(&ir, rate as f64, &freqs).into_iter().map(
                |(f, h)| {
                    (
                        h,
                        src.transfer(&model.load, f)
                            * delay_factor(IMPULSE_AT as f64, f, rate as f64),
                    )
                },
            ));
        // The latency is removed: the response is T delayed by the impulse's own position,
        // and by nothing else.
        eprintln!("rendered {rate} Hz, {output} → {hp}: {db:.4} dB, {deg:.3}°");
        assert!(
            db <= ACCURACY_DB_DEG.0 && deg <= ACCURACY_DB_DEG.1,
            "{rate} {output} {hp}: {db:.4} dB {deg:.3}°"
        );
    }
}

#[test]
fn a_zma_round_trip_gives_the_same_response() {
    let dir = scratch("zma-round-trip");
    let zma = dir.join("andromeda.zma");
    ok(&["response", "--headphone", "andromeda", "--zma", s(&zma)]);
    let ir_model = rendered_impulse(
        &dir,
        48_000,
        &["--output", "iphone 6s", "--headphone", "andromeda"],
    );
    let ir_file = rendered_impulse(
        &dir,
        48_000,
        &[
            "--output",
            "iphone 6s",
            "--headphone-file",
            s(&zma),
            "--sensitivity",
            "110 dB/V",
        ],
    );
    let freqs: Vec<f64> = log_spaced(20.0, 20_000.0, 200).collect();
    let a = response_at_bins(&ir_model, 48_000.0, &freqs);
    let b = response_at_bins(&ir_file, 48_000.0, &freqs);
    let (db, deg) = worst_deviation(a.iter().zip(&b).map(|(x, y)| (y.1, x.1)));
    eprintln!(".zma round trip: {db:.4} dB, {deg:.3}°");
    assert!(
        db <= ACCURACY_DB_DEG.0 && deg <= ACCURACY_DB_DEG.1,
        "{db:.4} dB {deg:.3}°"
    );
    // The report through the file agrees with the model's, sensitivity taken from the catalog.
    let via_file = json(&[
        "report",
        "--output",
        "iphone 6s",
        "--headphone",
        "andromeda",
        "--headphone-file",
        s(&zma),
        "--json",
    ]);
    let via_model = json(&[
        "report",
        "--output",
        "iphone 6s",
        "--headphone",
        "andromeda",
        "--json",
    ]);
    for key in [
        "peak_spl_db",
        "deviation_span_db",
        "damping_factor",
        "noise_floor_db_spl_a",
    ] {
        let (x, y) = (
            via_file[key].as_f64().unwrap(),
            via_model[key].as_f64().unwrap(),
        );
        assert!((x - y).abs() < 0.01, "{key}: {x} vs {y}");
    }
}

#[test]
fn a_magnitude_only_curve_gets_a_minimum_phase_and_says_so() {
    let dir = scratch("magnitude-only");
    let file = dir.join("hd600.csv");
    let hp = &headphone_models()[0];
    let mut text = String::from("frequency,impedance\n");
    for f in log_spaced(10.0, 40_000.0, 300) {
        text.push_str(&format!("{f},{}\n", hp.load.z_ohm(f).norm()));
    }
    std::fs::write(&file, text).unwrap();
    let out = loadline(&[
        "report",
        "--output",
        "dell inspiron",
        "--headphone-file",
        s(&file),
        "--sensitivity",
        "97 dB/mW",
        "--json",
    ]);
    out.clone().assert().success();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("minimum phase"), "{err}");
    let via_file: Value = serde_json::from_slice(&out.stdout).unwrap();
    let via_model = json(&[
        "report",
        "--output",
        "dell inspiron",
        "--headphone",
        "hd 600",
        "--json",
    ]);
    let (x, y) = (
        via_file["deviation_span_db"].as_f64().unwrap(),
        via_model["deviation_span_db"].as_f64().unwrap(),
    );
    eprintln!("magnitude-only curve: deviation span {x:.4} dB vs the model's {y:.4} dB");
    assert!((x - y).abs() < 0.02, "{x} vs {y}");
}

#[test]
fn bad_curve_files_name_the_line_and_never_panic() {
    let dir = scratch("bad-files");
    let cases: [(&str, &[u8], &str); 5] = [
        ("text.txt", b"* REW\n20 300 1\n100 abc 2\n", "line 3"),
        (
            "order.zma",
            b"20 300 1\n1000 310 2\n500 305 3\n",
            "does not rise",
        ),
        ("binary.zma", b"\x00\x01\x02\xff\xfe", "not text"),
        ("empty.csv", b"", "0 data lines"),
        ("phase.txt", b"20 300 1\n100 310 400\n", "line 2"),
    ];
    for (name, bytes, want) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let err = fails(&[
            "report",
            "--output",
            "l30",
            "--headphone-file",
            s(&p),
            "--sensitivity",
            "100 dB/V",
        ]);
        assert!(err.contains(want), "{name}: {err}");
    }
    let err = fails(&[
        "report",
        "--output",
        "l30",
        "--headphone-file",
        "/nonexistent/x.zma",
        "--sensitivity",
        "100 dB/V",
    ]);
    assert!(err.contains("cannot read"), "{err}");
    let good = dir.join("good.zma");
    std::fs::write(&good, "20 300 1\n20000 310 2\n").unwrap();
    let err = fails(&["report", "--output", "l30", "--headphone-file", s(&good)]);
    assert!(err.contains("needs a sensitivity"), "{err}");
    let err = fails(&[
        "report",
        "--output",
        "l30",
        "--headphone-file",
        s(&good),
        "--sensitivity",
        "100",
    ]);
    assert!(err.contains("dB/V"), "{err}");
}

#[test]
fn render_reads_integer_wavs_writes_pairs_and_reports_clipping() {
    let dir = scratch("render-pairs");
    let signal = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/test-signal.wav");
    // The ideal output gives the 16-bit input back as float.
    let same = dir.join("same.wav");
    ok(&[
        "render",
        signal,
        s(&same),
        "--zout",
        "0",
        "--headphone",
        "hd 600",
        "--no-noise",
    ]);
    let mut a = hound::WavReader::open(signal).unwrap();
    let mut b = hound::WavReader::open(&same).unwrap();
    assert_eq!(a.spec().channels, b.spec().channels);
    assert_eq!(b.spec().sample_format, hound::SampleFormat::Float);
    let xs: Vec<f32> = a
        .samples::<i16>()
        .map(|v| v.unwrap() as f32 / 32768.0)
        .collect();
    let ys: Vec<f32> = b.samples::<f32>().map(|v| v.unwrap()).collect();
    assert_eq!(xs.len(), ys.len());
    let worst = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(worst < 1e-4, "{worst}");
    // An A/B pair, level-matched: a 300 Ω headphone on a laptop jack and on an amp.
    let pair = dir.join("pair.wav");
    let out = loadline(&[
        "render",
        signal,
        s(&pair),
        "--output",
        "dell inspiron",
        "--compare",
        "topping l30",
        "--headphone",
        "hd 600",
        "--target-spl",
        "105",
        "--level-match",
    ]);
    out.clone().assert().success();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("target is out of reach"), "{err}");
    for l in ["A", "B"] {
        let p = dir.join(format!("pair.{l}.wav"));
        let r = hound::WavReader::open(&p).unwrap();
        assert_eq!(r.len() as usize, xs.len());
    }
    // Driven hard, a weak output clips, and says so.
    let hot = dir.join("hot.wav");
    let out = loadline(&[
        "render",
        signal,
        s(&hot),
        "--max-dbu",
        "0",
        "--rail-v",
        "0.2",
        "--headphone",
        "hd 600",
    ]);
    out.clone().assert().success();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    // "a limit acted in N of its M samples": some, and never more than were written.
    let counts: Vec<u64> = err
        .split("a limit acted in ")
        .nth(1)
        .expect("the clipping is reported")
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .take(2)
        .collect();
    assert!(
        counts.len() == 2 && counts[0] > 0 && counts[0] <= counts[1],
        "{err}"
    );
    // Bad input.
    let err = fails(&[
        "render",
        "/nonexistent.wav",
        s(&hot),
        "--zout",
        "1",
        "--headphone",
        "hd 600",
    ]);
    assert!(err.contains("nonexistent.wav"), "{err}");
    let not_wav = dir.join("not.wav");
    std::fs::write(&not_wav, b"RIFF....WAVEjunk").unwrap();
    fails(&[
        "render",
        s(&not_wav),
        s(&hot),
        "--zout",
        "1",
        "--headphone",
        "hd 600",
    ]);
    let err = fails(&[
        "render",
        signal,
        s(&hot),
        "--zout",
        "1",
        "--headphone",
        "hd 600",
        "--volume",
        "6",
    ]);
    assert!(
        err.contains("--volume") && err.contains("outside the plausible -80 to 0 dB"),
        "{err}"
    );
}

#[test]
fn estimated_figures_are_marked_wherever_they_decide() {
    use loadline_core::catalog::{Basis, Decides, estimated};
    let outputs = catalog::outputs();
    let by_name = |name: &str| &outputs[find_output(name).unwrap()];
    // The catalog decides what is marked: the 3rd gen's impedance is an estimate, the 4th
    // gen's is stated.
    let third = by_name("Scarlett 2i2 3rd gen");
    let fourth = by_name("Scarlett 2i2 4th gen");
    assert_eq!(third.r_out_ohm.basis, Basis::Estimated);
    assert_ne!(fourth.r_out_ohm.basis, Basis::Estimated);

    let ranked = json(&["rank", "--headphone", "HD 600", "--json"]);
    for r in ranked.as_array().unwrap() {
        let name = r["output"].as_str().unwrap();
        let mut want = estimated(
            &[
                by_name(name).provenance(),
                catalog::headphones()[hd600()].provenance(),
            ]
            .concat(),
        );
        want.sort();
        let got: Vec<Decides> = serde_json::from_value(r["estimated"].clone()).unwrap();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            r["verdict"]
                .as_str()
                .unwrap()
                .contains("estimated, not published"),
            !want.is_empty(),
            "{name}"
        );
    }

    let table = ok(&["rank", "--headphone", "HD 600"]);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not ranked:\n{table}"))
            .to_string()
    };
    assert!(row("Scarlett 2i2 3rd gen").contains("ESTIMATED: output impedance, maximum level"));
    assert!(!row("Scarlett 2i2 4th gen").contains("output impedance"));

    let listed = ok(&["list", "outputs", "--search", "scarlett 2i2"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("3rd gen") && l.contains("ESTIMATED"))
    );

    let report = ok(&[
        "report",
        "--output",
        "Scarlett 2i2 3rd gen",
        "--headphone",
        "HD 600",
        "--sources",
    ]);
    assert!(
        report.contains("basis         estimated: output impedance, maximum level"),
        "{report}"
    );
    assert!(
        report.contains(&third.r_out_ohm.note),
        "the estimate's note is shown:\n{report}"
    );
    assert!(report.contains(&third.r_out_ohm.source), "{report}");
}

/// What an estimate decides comes as a range, from the core's stages and headphone models
/// across the estimates, in the rank's JSON and columns and the report's words. The DT 990
/// 600's sensitivity and curve are estimates, so every output's figures on it are ranged; an
/// output whose own figures are sourced is ranged by the headphone's alone.
#[test]
fn estimates_come_as_ranges_in_the_rank_and_the_report() {
    use loadline_core::analysis::AnalysedOutput;
    let k_hp = find_headphone("DT 990 600").unwrap();
    let hp = &headphone_models()[k_hp];
    let hp_provenance = catalog::headphones()[k_hp].provenance();
    let across = catalog::headphones_across(k_hp);
    assert!(
        !across.is_empty(),
        "the test needs a headphone with estimates"
    );
    let expected = |name: &str| {
        AnalysedOutput::catalog(find_output(name).unwrap())
            .unwrap()
            .report(hp, &hp_provenance, across, 90.0)
    };
    let ranked = json(&[
        "rank",
        "--headphone",
        "DT 990 600",
        "--target-spl",
        "90",
        "--json",
    ]);
    for r in ranked.as_array().unwrap() {
        let name = r["output"].as_str().unwrap();
        let g = expected(name).range.unwrap();
        let got: [f64; 2] = serde_json::from_value(r["range"]["peak_spl_db"].clone()).unwrap();
        // JSON's decimal text parses back to within a unit in the last place.
        for (a, b) in got.iter().zip(g.peak_spl_db) {
            assert!(
                (a / b - 1.0).abs() < 1e-14,
                "{name}: {got:?} vs {:?}",
                g.peak_spl_db
            );
        }
        let peak = r["peak_spl_db"].as_f64().unwrap();
        assert!(got[0] <= peak + 1e-9 && peak <= got[1] + 1e-9, "{name}");
    }
    let table = ok(&["rank", "--headphone", "DT 990 600", "--target-spl", "90"]);
    for name in ["MOTU M2", "Scarlett 2i2 4th gen"] {
        let g = expected(name).range.unwrap();
        let peaks = format!("{:.1}–{:.1}", g.peak_spl_db[0], g.peak_spl_db[1]);
        let row = table
            .lines()
            .find(|l| l.contains(&format!("{name} ")))
            .unwrap();
        assert!(row.contains(&peaks), "{row}");
    }
    // The stated output's own figures are single: its impedance range is one value.
    let stated = expected("Scarlett 2i2 4th gen").range.unwrap();
    assert_eq!(stated.r_out_ohm[0], stated.r_out_ohm[1]);

    let report = ok(&[
        "report",
        "--output",
        "MOTU M2",
        "--headphone",
        "DT 990 600",
        "--target-spl",
        "90",
    ]);
    let report = unwrapped(&report);
    assert!(
        report.contains("across the estimates' ranges: up to"),
        "{report}"
    );
    assert!(
        report.contains("10 Ω (0.5–90.0 Ω across the estimates' ranges)"),
        "{report}"
    );
}

#[test]
fn the_users_own_figures_are_not_called_estimates() {
    let curve = hd600_curve(&scratch("own-figures"));
    let r = json(&[
        "report",
        "--zout",
        "10",
        "--max-dbu",
        "10",
        "--headphone-file",
        s(&curve),
        "--sensitivity",
        "102 dB/V",
        "--json",
    ]);
    assert_eq!(r["estimated"], serde_json::json!([]));
    assert!(!r["verdict"].as_str().unwrap().contains("estimated"));
    // The catalog's sensitivity taken for a measured curve keeps its basis.
    let r = json(&[
        "report",
        "--zout",
        "10",
        "--headphone",
        "Shure SE310",
        "--headphone-file",
        s(&curve),
        "--json",
    ]);
    assert_eq!(r["estimated"], serde_json::json!(["sensitivity"]));
}

/// The catalog's HD 600 model written as a measured curve (`.zma`) into `dir`.
fn hd600_curve(dir: &std::path::Path) -> PathBuf {
    let curve = dir.join("hd600.zma");
    ok(&[
        "response",
        "--output",
        "ideal",
        "--headphone",
        "HD 600",
        "--zma",
        s(&curve),
    ]);
    curve
}

fn hd600() -> usize {
    find_headphone("HD 600").unwrap()
}

#[test]
fn a_curve_without_a_sensitivity_is_refused_only_where_an_spl_needs_one() {
    let dir = scratch("no-sensitivity");
    let curve = hd600_curve(&dir);
    // The tone needs no sensitivity: the CSV is the same as through the catalog's model.
    let (from_file, from_model) = (dir.join("file.csv"), dir.join("model.csv"));
    ok(&[
        "response",
        "--zout",
        "75",
        "--headphone-file",
        s(&curve),
        "--csv",
        s(&from_file),
    ]);
    ok(&[
        "response",
        "--zout",
        "75",
        "--headphone",
        "HD 600",
        "--csv",
        s(&from_model),
    ]);
    let deviation = |p: &PathBuf| -> Vec<f64> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("freq"))
            .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
            .collect()
    };
    let (a, b) = (deviation(&from_file), deviation(&from_model));
    assert_eq!(a.len(), b.len());
    assert!(
        a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 0.05),
        "{a:?}\n{b:?}"
    );
    // A render at a stated volume, limits and all, needs none either, and plays what the
    // catalog's model of the same headphone plays: the same level, within the 0.05 dB the
    // tone is held to, and far from what a volume left out (6 dB louder) would give.
    let wav = dir.join("out.wav");
    let from_model_wav = dir.join("model.wav");
    let signal = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/test-signal.wav");
    for (out, headphone) in [
        (&wav, ["--headphone-file", s(&curve)]),
        (&from_model_wav, ["--headphone", "HD 600"]),
    ] {
        let mut args = vec!["render", signal, s(out), "--zout", "75", "--max-dbu", "4"];
        args.extend(headphone);
        args.extend(["--volume", "-6", "--no-noise"]);
        ok(&args);
    }
    let rms_dbfs = |p: &PathBuf| {
        let mut r = hound::WavReader::open(p).unwrap();
        let xs: Vec<f64> = r.samples::<f32>().map(|v| v.unwrap() as f64).collect();
        10.0 * (xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64).log10()
    };
    let (file_db, model_db) = (rms_dbfs(&wav), rms_dbfs(&from_model_wav));
    assert!(
        (file_db - model_db).abs() < 0.05,
        "from the curve {file_db:.3} dBFS, from the model {model_db:.3} dBFS"
    );
    // What gives or asks for an SPL says why it needs one.
    let err = fails(&[
        "render",
        signal,
        s(&wav),
        "--zout",
        "75",
        "--headphone-file",
        s(&curve),
        "--target-spl",
        "85",
    ]);
    assert!(
        err.contains("needs a sensitivity here (--target-spl"),
        "{err}"
    );
    let err = fails(&["report", "--zout", "75", "--headphone-file", s(&curve)]);
    assert!(
        err.contains("needs a sensitivity here (the report gives SPL)"),
        "{err}"
    );
    let err = fails(&["rank", "--headphone-file", s(&curve)]);
    assert!(
        err.contains("needs a sensitivity here (the rank compares SPL)"),
        "{err}"
    );
}

/// Runs with the user's catalog in `dir` and expects success; returns stdout.
fn ok_with(dir: &std::path::Path, args: &[&str]) -> String {
    let out = loadline_with(dir, args);
    out.clone().assert().success();
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

#[test]
fn the_users_own_output_is_added_found_ranked_and_removed() {
    let dir = scratch("user-catalog");
    let added = ok_with(
        &dir,
        &[
            "user",
            "add-output",
            "--maker",
            "Acme",
            "--model",
            "Box 2",
            "--zout",
            "4.7 ohm",
            "--max",
            "32:1.1",
            "--max",
            "300:2.9",
            "--noise-dbv",
            "-104",
            "--a-weighted",
        ],
    );
    assert!(added.contains("added Acme Box 2 (yours)"), "{added}");
    assert!(dir.join("catalog.toml").exists());

    // Listed with its provenance, found by name as typed, in the rank, marked as the user's.
    let listed = ok_with(&dir, &["user", "list"]);
    assert!(
        listed.contains("Acme Box 2 (yours) (output, line 1)"),
        "{listed}"
    );
    assert!(listed.contains("measured: own measurement"), "{listed}");
    let outputs = ok_with(&dir, &["list", "outputs", "--search", "acme"]);
    assert!(outputs.contains("Acme Box 2 (yours)"), "{outputs}");
    let report = ok_with(
        &dir,
        &["report", "--output", "acme box2", "--headphone", "hd600"],
    );
    assert!(report.contains("Acme Box 2 (yours)"), "{report}");
    let rank = ok_with(&dir, &["rank", "--headphone", "hd600"]);
    let row = rank
        .lines()
        .find(|l| l.contains("Acme Box 2 (yours)"))
        .expect("ranked");
    assert!(row.trim_end().ends_with("yours"), "{row}");

    let checked = ok_with(&dir, &["user", "check"]);
    assert!(
        checked.contains("1 outputs and 0 headphones, no problems"),
        "{checked}"
    );
    let removed = ok_with(&dir, &["user", "remove", "acme"]);
    assert!(removed.contains("removed Acme Box 2 (yours)"), "{removed}");
    let listed = ok_with(&dir, &["user", "list"]);
    assert!(listed.contains("no entries of yours"), "{listed}");
}

#[test]
fn a_bad_user_catalog_is_named_with_its_line_and_the_built_in_catalog_still_answers() {
    let dir = scratch("bad-user-catalog");
    let file = dir.join("catalog.toml");
    std::fs::write(&file, "[[output]]\nmaker = \"Acme\"\nmodel = Box\n").unwrap();
    let out = loadline_with(&dir, &["user", "check"]);
    out.clone().assert().failure();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", file.display())), "{err}");
    // Every other command still works with the built-in catalog, and says what it left out.
    let out = loadline_with(
        &dir,
        &["report", "--output", "motu m2", "--headphone", "hd600"],
    );
    out.clone().assert().success();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: your catalog is left out"), "{err}");
    assert!(err.contains(&format!("{}:3:", file.display())), "{err}");
    // Nothing is written over a file the user has to fix first.
    let out = loadline_with(
        &dir,
        &[
            "user",
            "add-output",
            "--maker",
            "A",
            "--model",
            "B",
            "--zout",
            "1",
            "--max",
            "32:1",
        ],
    );
    out.clone().assert().failure();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[[output]]\nmaker = \"Acme\"\nmodel = Box\n"
    );
}

#[test]
fn a_headphone_of_the_users_is_read_from_a_measured_curve() {
    let dir = scratch("user-headphone");
    let zma = dir.join("hd600.zma");
    ok(&["response", "--headphone", "hd 600", "--zma", s(&zma)]);
    let added = ok_with(
        &dir,
        &[
            "user",
            "add-headphone",
            "--maker",
            "Me",
            "--model",
            "HD 600 as measured",
            "--nominal-ohm",
            "300",
            "--sensitivity",
            "97 dB/V",
            "--curve-file",
            s(&zma),
        ],
    );
    assert!(
        added.contains("added Me HD 600 as measured (yours)"),
        "{added}"
    );
    let user = loadline_core::catalog::user::UserCatalog::load(&dir.join("catalog.toml")).unwrap();
    let got = &user.headphones[0].entry.points;
    let want = &catalog::headphones()[hd600()].points;
    // The curve is the catalog model's, which passes through its key points within 5 %.
    let near = |a: f64, b: f64| (a / b - 1.0).abs() <= 0.05;
    assert!(near(got.rdc_ohm.value, want.rdc_ohm.value), "{got:?}");
    assert!(near(got.z_1k_ohm.value, want.z_1k_ohm.value), "{got:?}");
    assert!(near(got.z_10k_ohm.value, want.z_10k_ohm.value), "{got:?}");
    assert!(near(
        got.z_res_ohm.as_ref().unwrap().value,
        want.z_res_ohm.as_ref().unwrap().value
    ));
    assert_eq!(got.rdc_ohm.source, "own measurement");
    assert!(user.headphones[0].entry.curve.contains("hd600.zma"));
    // Usable by name at once.
    let report = ok_with(
        &dir,
        &[
            "report",
            "--zout",
            "10",
            "--headphone",
            "hd 600 as measured",
        ],
    );
    assert!(report.contains("Me HD 600 as measured (yours)"), "{report}");
}

/// `--with` puts another headphone on the jack: the report is the shared jack's (the loads in
/// parallel behind the output's impedance, worked out here from the catalog's models), every
/// listener is told what they get, and a fourth `--with` or an unknown name is refused.
#[test]
fn another_headphone_on_the_jack_is_reported_for_every_listener() {
    let args = [
        "report",
        "--output",
        "Scarlett 2i2 4th gen",
        "--headphone",
        "HD 600",
        "--with",
        "dt770 32",
        "--json",
    ];
    let r = json(&args);
    let models = headphone_models();
    let hd600 = &models[find_headphone("hd 600").unwrap()];
    let dt770 = &models[find_headphone("dt 770 32").unwrap()];
    let source = output_stage(find_output("scarlett 2i2 4th").unwrap())
        .unwrap()
        .source;
    let z = |f: f64| {
        let (a, b) = (hd600.load.z_ohm(f), dt770.load.z_ohm(f));
        a * b / (a + b)
    };
    let r_out = source.r_out_ohm;
    let (shared, alone) = (z(1000.0), hd600.load.z_ohm(1000.0));
    let level_change = gain_to_db(
        (shared.norm() / (shared + r_out).norm()) / (alone.norm() / (alone + r_out).norm()),
    );
    let jack = &r["jack"];
    assert!((jack["load_1k_ohm"].as_f64().unwrap() - z(1000.0).norm()).abs() < 1e-9);
    let listeners = jack["listeners"].as_array().unwrap();
    assert_eq!(listeners.len(), 2);
    assert_eq!(listeners[0]["heard"], true);
    let got = listeners[0]["level_change_db"].as_f64().unwrap();
    assert!((got - level_change).abs() < 1e-9, "{got} vs {level_change}");
    assert!(r["headphone"].as_str().unwrap().contains("on the jack"));
    let text = ok(&args[..args.len() - 1]);
    assert!(
        text.contains("with Beyerdynamic DT 770 Pro 32 ohm on the same jack, loses"),
        "{text}"
    );
    // Alone, the JSON has no jack.
    assert!(
        json(
            &args[..5]
                .iter()
                .chain(&["--json"])
                .copied()
                .collect::<Vec<_>>()
        )
        .get("jack")
        .is_none()
    );

    let four = [
        "--with", "hd 650", "--with", "hd 650", "--with", "hd 650", "--with", "hd 650",
    ];
    let err = fails(&[&args[..5], &four].concat());
    assert!(
        err.contains("at most 3 other headphones share the jack (4 given)"),
        "{err}"
    );
    let err = fails(&[&args[..5], &["--with", "nothing like it"]].concat());
    assert!(err.contains("--with nothing like it"), "{err}");
}

/// `--own-outputs` puts the `--with` headphones on a distribution amplifier's other outputs:
/// the heard pair's load is its own (its level at 1 kHz is that of the amplifier alone), the
/// others' currents sag the shared supply (its clean peaks fall, by what the core's figures
/// for every listener say), each may have a volume of its own, and an output with one
/// headphone output leaves them out with a note.
#[test]
fn other_listeners_on_their_own_outputs_share_only_the_supply() {
    let alone_args = [
        "report",
        "--output",
        "HA8000",
        "--headphone",
        "HD 600",
        "--json",
    ];
    let with = [
        "--with",
        "dt770 32",
        "--with",
        "dt770 32",
        "--with",
        "dt770 32 at +6 dB",
        "--own-outputs",
    ];
    let alone = json(&alone_args);
    let own = json(&[&alone_args[..], &with].concat());
    let level = |r: &serde_json::Value| r["level_at_1k_db"].as_f64().unwrap();
    assert_eq!(
        level(&own),
        level(&alone),
        "the jack is the heard pair's own"
    );
    let peak = |r: &serde_json::Value| r["peak_spl_db"].as_f64().unwrap();
    let listeners = own["jack"]["listeners"].as_array().unwrap();
    assert_eq!(own["jack"]["others_on"], "own-outputs");
    assert_eq!(listeners.len(), 4);
    let cost = listeners[0]["peak_change_db"].as_f64().unwrap();
    assert!(cost < -0.1, "{cost}");
    assert!(
        (peak(&own) - peak(&alone) - cost).abs() < 1e-9,
        "{own} {alone}"
    );
    assert_eq!(listeners[3]["volume_offset_db"], 6.0);
    let text = ok(&[&alone_args[..5], &with].concat());
    assert!(text.contains("one supply for all"), "{text}");
    assert!(text.contains("6.0 dB over your volume"), "{text}");

    // On one jack a volume of its own makes no sense.
    let err = fails(&[&alone_args[..5], &["--with", "dt770 32 at -6 dB"]].concat());
    assert!(err.contains("needs --own-outputs"), "{err}");
    // The Scarlett has one headphone output.
    let scarlett = ok(&[
        "report",
        "--output",
        "Scarlett 2i2 4th gen",
        "--headphone",
        "HD 600",
        "--with",
        "dt770 32",
        "--own-outputs",
    ]);
    let scarlett = unwrapped(&scarlett);
    // The listener left out is named in the note only, not as if heard beside yours.
    let title_and_verdict: String = scarlett.lines().take(2).collect();
    assert!(!title_and_verdict.contains("DT 770"), "{scarlett}");
    assert!(
        scarlett
            .contains("has 1 headphone output with a stage of its own: 1 other listener left out"),
        "{scarlett}"
    );
}

#[test]
fn a_chain_reports_which_stage_clips_first_and_refuses_what_makes_no_sense() {
    use loadline_core::units::{db_to_gain, dbu_to_vrms};
    let hp = &headphone_models()[find_headphone("hd 600").unwrap()];
    let line = json(&[
        "report",
        "--output",
        "UMC202HD line out -> Magni 2",
        "--headphone",
        "HD 600",
        "--json",
    ]);
    let jack = json(&[
        "report",
        "--output",
        "UMC202HD -> Magni 2",
        "--headphone",
        "HD 600",
        "--json",
    ]);
    // The line output's +3 dBu through the link (25 kΩ against 100 Ω) and the ×6 gain: its
    // converter clips at that EMF across the HD 600 behind 0.2 Ω, at the band's weakest point.
    let emf_peak = dbu_to_vrms(3.0) * 2f64.sqrt() * 25_000.0 / 25_100.0 * 6.0;
    let converter_spl = log_spaced(20.0, 20_000.0, 400)
        .map(|f| {
            let z = hp.load.z_ohm(f);
            let v = emf_peak * (z / (z + 0.2)).norm();
            hp.sens_db_spl_per_v + gain_to_db(v / 2f64.sqrt())
        })
        .fold(f64::INFINITY, f64::min);
    let stages = line["stages"].as_array().expect("a chain's stages");
    assert_eq!(
        stages[0]["stage"], "the source's converter's full scale (0 dBFS)",
        "{line}"
    );
    let first = stages[0]["max_sine_spl_db"].as_f64().unwrap();
    // The catalog gives the gain to 0.001 dB (×6 is 15.563 dB).
    assert!(
        (first - converter_spl).abs() < 1e-3,
        "{first} vs {converter_spl}"
    );
    assert_eq!(line["max_sine_spl_db"].as_f64().unwrap(), first);
    // The headphone output's estimated 2 V RMS (×6) drives the amplifier into its rails first.
    let stages = jack["stages"].as_array().unwrap();
    assert_eq!(stages[0]["stage"], "the amplifier's rails", "{jack}");
    assert!(
        jack["verdict"]
            .as_str()
            .unwrap()
            .contains("first to clip: the amplifier's rails"),
        "{jack}"
    );
    // The amplifier's volume for the target: the reference's SPL at maximum volume, less it.
    let at_max = line["reference_spl_at_max_db"].as_f64().unwrap();
    let vol = line["volume_db"].as_f64().unwrap();
    assert!((at_max + vol - 85.0).abs() < 1e-9, "{line}");
    assert!(db_to_gain(vol) < 1.0);
    // A single output has no stages.
    let single = json(&[
        "report",
        "--output",
        "UMC202HD",
        "--headphone",
        "HD 600",
        "--json",
    ]);
    assert!(single.get("stages").is_none(), "{single}");
    for (chain, why) in [
        ("Element -> Element", "cannot feed itself"),
        ("UMC202HD -> Scarlett 2i2 4th gen", "nothing can feed it"),
        ("UMC202HD line out at -6 dB -> Magni 2", "no volume control"),
        (
            "UMC202HD line out -> Magni 2 -> Element",
            "one amplifier per chain",
        ),
        ("Element line out -> Magni 2", "no line output figures"),
        ("UMC202HD at loud -> Magni 2", "not a volume in dB"),
    ] {
        let err = fails(&["report", "--output", chain, "--headphone", "HD 600"]);
        assert!(err.contains(why), "{chain}: {err}");
    }
}

#[test]
fn rank_into_an_amplifier_ranks_every_source_feeding_it() {
    let rows = json(&[
        "rank",
        "--headphone",
        "HD 600",
        "--into",
        "Magni 2",
        "--json",
    ]);
    let rows = rows.as_array().unwrap();
    let devices = loadline_core::catalog::outputs()
        .iter()
        .filter(|e| {
            use loadline_core::catalog::OutputKind::*;
            !matches!(e.kind, Reference | DedicatedAmp | MultiChannelAmp)
        })
        .map(|e| 1 + usize::from(e.line_out.is_some()))
        .sum::<usize>();
    assert_eq!(rows.len(), devices);
    for r in rows {
        assert!(
            r["output"].as_str().unwrap().ends_with("-> Schiit Magni 2"),
            "{r}"
        );
        assert!(!r["stages"].as_array().unwrap().is_empty(), "{r}");
    }
}

/// An output and a headphone for the renders that test the files, not the sound.
const THROUGH: [&str; 4] = ["--output", "Topping L30", "--headphone", "HD 600"];

/// Writes a mono 32-bit float WAV of `frames` samples of a quiet 1 kHz sine at `rate`.
fn quiet_sine_wav(path: &std::path::Path, rate: u32, frames: usize) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    // hound refuses to write a 0 Hz header, which a damaged file can still have: that one is
    // written at 1 Hz and its rate (and byte rate) zeroed in the header by hand.
    let spec = hound::WavSpec {
        sample_rate: rate.max(1),
        ..spec
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        let t = i as f32 / spec.sample_rate as f32;
        w.write_sample(0.1 * (2.0 * std::f32::consts::PI * 1000.0 * t).sin())
            .unwrap();
    }
    w.finalize().unwrap();
    if rate == 0 {
        let mut bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[12..16], b"fmt ");
        bytes[24..32].fill(0);
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn render_never_overwrites_its_input() {
    let dir = scratch("render-input-kept");
    let input = dir.join("mix.wav");
    quiet_sine_wav(&input, 48_000, 4800);
    let before = std::fs::read(&input).unwrap();
    // The same path, the same file by another spelling, and --compare's B file on the input.
    let same_by_another_name = dir.join(".").join("mix.wav");
    let b_named = dir.join("take.B.wav");
    std::fs::copy(&input, &b_named).unwrap();
    for (input, output, extra) in [
        (&input, input.clone(), &[][..]),
        (&input, same_by_another_name, &[][..]),
        (
            &b_named,
            dir.join("take.wav"),
            &["--compare", "Topping L30"][..],
        ),
    ] {
        let mut args = [&["render", s(input), s(&output)][..], &THROUGH].concat();
        args.extend_from_slice(extra);
        let err = fails(&args);
        assert!(err.contains("that is the input file"), "{err}");
        assert_eq!(std::fs::read(input).unwrap(), before, "{args:?}");
    }
    // A render writes its file whole, under its own name only.
    let out = dir.join("out.wav");
    ok(&[&["render", s(&input), s(&out)][..], &THROUGH].concat());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(hound::WavReader::open(&out).unwrap().len(), 4800);
}

#[test]
fn render_refuses_rates_the_engine_is_not_made_for() {
    let dir = scratch("render-rates");
    for rate in [0, 1, 100, 7_999, 768_001, 1_536_000] {
        let input = dir.join(format!("{rate}.wav"));
        quiet_sine_wav(&input, rate, 64);
        let output = dir.join(format!("{rate}-out.wav"));
        let err = fails(&[&["render", s(&input), s(&output)][..], &THROUGH].concat());
        assert!(
            err.contains(&format!("{rate} Hz")) && err.contains("8000 to 768000 Hz"),
            "{rate}: {err}"
        );
        assert!(!output.exists(), "{rate}");
    }
    // The edges themselves render.
    for rate in [8_000, 768_000] {
        let input = dir.join(format!("{rate}.wav"));
        quiet_sine_wav(&input, rate, rate as usize / 10);
        let edge = dir.join("edge.wav");
        ok(&[&["render", s(&input), s(&edge)][..], &THROUGH].concat());
    }
}

#[test]
fn render_refuses_a_wav_with_no_audio() {
    let dir = scratch("render-empty");
    let input = dir.join("empty.wav");
    quiet_sine_wav(&input, 48_000, 0);
    let output = dir.join("out.wav");
    let err = fails(&[&["render", s(&input), s(&output)][..], &THROUGH].concat());
    assert!(err.contains("empty.wav: no audio (0 frames)"), "{err}");
    assert!(!output.exists());
}

#[test]
fn response_writes_to_stdout_says_what_it_wrote_and_keeps_its_input() {
    let dir = scratch("response-files");
    let response = |more: &[&str]| {
        let args = [
            &["response", "--output", "l30", "--headphone", "hd 600"][..],
            more,
        ]
        .concat();
        loadline(&args)
    };
    // `-` is standard output: the CSV is printed, and no file named "-" appears.
    let out = response(&["--csv", "-"]);
    out.clone().assert().success();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.lines().any(|l| l.starts_with("freq")), "{printed}");
    assert!(!std::path::Path::new("-").exists());
    // A file written is named on stderr with its size.
    let csv = dir.join("r.csv");
    let out = response(&["--csv", s(&csv)]);
    out.clone().assert().success();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    let size = std::fs::metadata(&csv).unwrap().len();
    assert!(said.contains(&format!("r.csv: {size} bytes")), "{said}");
    // A PNG must be named as one.
    let out = response(&["--png", s(&csv)]);
    out.clone().assert().failure();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("a PNG file's name ends in .png"), "{err}");
    // The measured curve read is never the file written.
    let curve = hd600_curve(&dir);
    let before = std::fs::read(&curve).unwrap();
    let err = fails(&[
        "response",
        "--zout",
        "10",
        "--headphone-file",
        s(&curve),
        "--zma",
        s(&curve),
    ]);
    assert!(err.contains("that is the input file"), "{err}");
    assert_eq!(std::fs::read(&curve).unwrap(), before);
}

/// Runs with the user's catalog in `dir` and expects a clean failure; returns stderr.
fn fails_with(dir: &std::path::Path, args: &[&str]) -> String {
    let out = loadline_with(dir, args);
    out.clone().assert().failure();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(err.contains("error"), "{args:?}: {err}");
    err
}

/// Adds to the catalog in `dir` an interface someone measured (4.7 Ω, 1.1 V RMS into 32 Ω,
/// 2.9 V RMS into 300 Ω, -104 dBV(A)), with their name as the source and a note.
fn add_box_2(dir: &std::path::Path) {
    ok_with(
        dir,
        &[
            "user",
            "add-output",
            "--maker",
            "Acme",
            "--model",
            "Box 2",
            "--zout",
            "4.7",
            "--max",
            "32:1.1",
            "--max",
            "300:2.9",
            "--noise-dbv",
            "-104",
            "--a-weighted",
            "--source",
            "Jo's measurement",
            "--note",
            "1 kHz, 1 % THD",
        ],
    );
}

/// Adds to the catalog in `dir` a headphone from its maker's figures.
fn add_open_1(dir: &std::path::Path) {
    ok_with(
        dir,
        &[
            "user",
            "add-headphone",
            "--maker",
            "Me",
            "--model",
            "Open 1",
            "--nominal-ohm",
            "250",
            "--sensitivity",
            "96 dB/mW",
            "--rdc-ohm",
            "240",
            "--z-1k-ohm",
            "260",
            "--z-10k-ohm",
            "300",
            "--f-res-hz",
            "90",
            "--z-res-ohm",
            "620",
            "--basis",
            "stated",
            "--source",
            "manual, p. 12",
        ],
    );
}

/// The 1-based line of `text` where `needle` first appears.
fn line_of(text: &str, needle: &str) -> usize {
    1 + text.lines().position(|l| l.contains(needle)).unwrap()
}

#[test]
fn an_exported_device_imports_into_another_catalog_with_its_figures_and_their_provenance() {
    let (mine, theirs, files) = (
        scratch("share-mine"),
        scratch("share-theirs"),
        scratch("share-files"),
    );
    add_box_2(&mine);
    add_open_1(&mine);
    let (box2, open1) = (files.join("box2.toml"), files.join("open1.toml"));
    let said = ok_with(&mine, &["user", "export", "box 2", s(&box2)]);
    assert!(said.contains("exported Acme Box 2 (yours) to"), "{said}");
    ok_with(&mine, &["user", "export", "open 1", s(&open1)]);
    // One table each, the same as written to standard output.
    let text = std::fs::read_to_string(&box2).unwrap();
    assert_eq!(text.matches("[[output]]").count(), 1, "{text}");
    assert!(!text.contains("[[headphone]]"), "{text}");
    assert_eq!(ok_with(&mine, &["user", "export", "box 2"]), text);
    assert_eq!(ok_with(&mine, &["user", "export", "box 2", "-"]), text);
    assert_eq!(
        std::fs::read_dir(&files).unwrap().count(),
        2,
        "no partial file is left"
    );

    let added = ok_with(&theirs, &["user", "import", s(&box2)]);
    assert!(
        added.contains("Acme Box 2 (yours) (output, line 1)"),
        "{added}"
    );
    assert!(added.contains("measured: Jo's measurement"), "{added}");
    ok_with(&theirs, &["user", "import", s(&open1)]);

    // Every figure with its basis, source and note, as in the first catalog.
    let load = |dir: &std::path::Path| {
        loadline_core::catalog::user::UserCatalog::load(&dir.join("catalog.toml")).unwrap()
    };
    let (a, b) = (load(&mine), load(&theirs));
    assert_eq!(a.outputs[0].entry, b.outputs[0].entry);
    assert_eq!(a.headphones[0].entry, b.headphones[0].entry);
    let listed = |dir: &std::path::Path| {
        let text = ok_with(dir, &["user", "list"]);
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    let theirs_listed = listed(&theirs);
    assert_eq!(listed(&mine), theirs_listed);
    assert!(
        theirs_listed.contains("4.7 Ω          measured: Jo's measurement"),
        "{theirs_listed}"
    );
    assert!(theirs_listed.contains("1 kHz, 1 % THD"), "{theirs_listed}");
    assert!(
        theirs_listed.contains("stated by the maker: manual, p. 12"),
        "{theirs_listed}"
    );
    // And the same report, verdict and all, from either catalog.
    for headphone in ["hd 600", "open 1"] {
        let args = [
            "report",
            "--output",
            "box 2",
            "--headphone",
            headphone,
            "--json",
        ];
        let report = |dir: &std::path::Path| -> Value {
            serde_json::from_str(&ok_with(dir, &args)).unwrap()
        };
        let (here, there) = (report(&mine), report(&theirs));
        assert!(
            here["verdict"]
                .as_str()
                .unwrap()
                .contains("Acme Box 2 (yours)"),
            "{here}"
        );
        assert_eq!(here["verdict"], there["verdict"]);
        assert_eq!(here, there);
    }
}

#[test]
fn export_never_writes_over_a_file() {
    let (dir, files) = (scratch("export-taken"), scratch("export-taken-files"));
    add_box_2(&dir);
    let taken = files.join("box2.toml");
    std::fs::write(&taken, "mine\n").unwrap();
    let err = fails_with(&dir, &["user", "export", "box 2", s(&taken)]);
    assert!(
        err.contains("the file exists, and no file is written over"),
        "{err}"
    );
    assert!(err.contains("give another file name"), "{err}");
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "mine\n");
    assert_eq!(std::fs::read_dir(&files).unwrap().count(), 1);
    // The user's own catalog is a file like any other.
    let catalog = dir.join("catalog.toml");
    let before = std::fs::read(&catalog).unwrap();
    fails_with(&dir, &["user", "export", "box 2", s(&catalog)]);
    assert_eq!(std::fs::read(&catalog).unwrap(), before);
}

#[test]
fn an_import_with_a_bad_figure_is_refused_at_its_line_and_leaves_the_catalog_as_it_was() {
    let (mine, theirs, files) = (
        scratch("import-bad-mine"),
        scratch("import-bad-theirs"),
        scratch("import-bad-files"),
    );
    add_box_2(&mine);
    add_open_1(&mine);
    let (box2, open1) = (files.join("box2.toml"), files.join("open1.toml"));
    ok_with(&mine, &["user", "export", "box 2", s(&box2)]);
    ok_with(&mine, &["user", "export", "open 1", s(&open1)]);
    // Their catalog has an entry of its own, with a comment, which must stay byte for byte.
    add_box_2(&theirs);
    let catalog = theirs.join("catalog.toml");
    let mut text = std::fs::read_to_string(&catalog).unwrap();
    text = format!("# my devices\n{}", text.replace("Box 2", "Box 3"));
    std::fs::write(&catalog, &text).unwrap();
    let before = std::fs::read(&catalog).unwrap();

    // An implausible figure, after a sound entry that is not added either.
    let bad = files.join("bad.toml");
    let good = std::fs::read_to_string(&open1).unwrap();
    let wrong = std::fs::read_to_string(&box2)
        .unwrap()
        .replace("value = 4.7", "value = 4700.0");
    let both = format!("{good}\n{wrong}");
    std::fs::write(&bad, &both).unwrap();
    let err = fails_with(&theirs, &["user", "import", s(&bad)]);
    let line = line_of(&both, "r_out_ohm");
    assert!(err.contains("is not imported"), "{err}");
    assert!(err.contains("is unchanged"), "{err}");
    assert!(
        err.contains(&format!("{}:{line}: Acme Box 2: ", bad.display())),
        "{err}"
    );
    assert!(err.contains("4700"), "{err}");
    assert_eq!(std::fs::read(&catalog).unwrap(), before);

    // Key points no model passes within 5 %, at the line of the first it misses.
    let misfit = files.join("misfit.toml");
    let text = good.replace("value = 300.0", "value = 2000.0");
    assert_ne!(text, good);
    std::fs::write(&misfit, &text).unwrap();
    let err = fails_with(&theirs, &["user", "import", s(&misfit)]);
    let line = line_of(&text, "z_1k_ohm");
    assert!(
        err.contains(&format!("{}:{line}: Me Open 1: ", misfit.display())),
        "{err}"
    );
    assert!(err.contains("strays by more than 5 %"), "{err}");
    // Not TOML in the catalog's format, at its line.
    let broken = files.join("broken.toml");
    let text = good.replace("model = \"Open 1\"", "model = Open 1");
    std::fs::write(&broken, &text).unwrap();
    let err = fails_with(&theirs, &["user", "import", s(&broken)]);
    let line = line_of(&text, "model = Open 1");
    assert!(
        err.contains(&format!("{}:{line}:", broken.display())),
        "{err}"
    );
    assert_eq!(std::fs::read(&catalog).unwrap(), before);
    let listed = ok_with(&theirs, &["user", "list"]);
    assert!(!listed.contains("Open 1"), "{listed}");
}

#[test]
fn an_import_of_a_name_already_in_the_catalog_is_refused() {
    let (dir, files) = (scratch("import-taken"), scratch("import-taken-files"));
    add_box_2(&dir);
    let box2 = files.join("box2.toml");
    ok_with(&dir, &["user", "export", "box 2", s(&box2)]);
    let catalog = dir.join("catalog.toml");
    let before = std::fs::read(&catalog).unwrap();
    // Spelt differently, the name is still the one the catalog has.
    let text = std::fs::read_to_string(&box2)
        .unwrap()
        .replace("Box 2", "box-2");
    std::fs::write(&box2, &text).unwrap();
    let err = fails_with(&dir, &["user", "import", s(&box2)]);
    let line = line_of(&text, "[[output]]");
    assert!(
        err.contains(&format!(
            "{}:{line}: Acme box-2: your catalog already has an entry of this name ({}, line 1)",
            box2.display(),
            catalog.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(&catalog).unwrap(), before);
    // A built-in entry's name is taken as well.
    let builtin = files.join("builtin.toml");
    std::fs::write(
        &builtin,
        text.replace("\"Acme\"", "\"Focusrite\"")
            .replace("box-2", "Scarlett 2i2 4th gen"),
    )
    .unwrap();
    let err = fails_with(&dir, &["user", "import", s(&builtin)]);
    assert!(err.contains("another entry has this name"), "{err}");
    assert_eq!(std::fs::read(&catalog).unwrap(), before);
}

#[test]
fn export_of_a_name_that_picks_none_of_yours_or_two_is_refused_with_the_candidates() {
    let (dir, files) = (scratch("export-unknown"), scratch("export-unknown-files"));
    add_box_2(&dir);
    let file = files.join("out.toml");
    let err = fails_with(&dir, &["user", "export", "no such box", s(&file)]);
    assert!(err.contains("no entry matches 'no such box'"), "{err}");
    assert!(err.contains("yours are Acme Box 2 (output)"), "{err}");
    // A built-in entry is not yours to export.
    let err = fails_with(&dir, &["user", "export", "scarlett 2i2 4th gen", s(&file)]);
    assert!(err.contains("no entry matches"), "{err}");
    assert!(!file.exists());
    // An output and a headphone of one name: each is named, with its line.
    ok_with(
        &dir,
        &[
            "user",
            "add-headphone",
            "--maker",
            "Acme",
            "--model",
            "Box 2",
            "--nominal-ohm",
            "32",
            "--sensitivity",
            "100 dB/mW",
            "--rdc-ohm",
            "30",
            "--z-1k-ohm",
            "32",
            "--z-10k-ohm",
            "34",
        ],
    );
    let catalog = std::fs::read_to_string(dir.join("catalog.toml")).unwrap();
    let headphone = line_of(&catalog, "[[headphone]]");
    let err = fails_with(&dir, &["user", "export", "acme box 2", s(&file)]);
    assert!(
        err.contains(&format!(
            "Acme Box 2: your output (line 1) or your headphone (line {headphone})?"
        )),
        "{err}"
    );
    assert!(!file.exists());
    let err = fails_with(&dir, &["user", "remove", "acme box 2"]);
    assert!(
        err.contains("your output (line 1) or your headphone"),
        "{err}"
    );
}

/// Every number in `a` and `b`, which must have one shape (names and texts aside).
fn same_numbers(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{at}: {x} ≠ {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                same_numbers(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (k, v) in x {
                same_numbers(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::String(_), Value::String(_)) => {}
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn your_devices_chain_and_listen_wherever_the_catalogs_do() {
    use loadline_core::catalog::user::UserCatalog;
    let dir = scratch("user-chain");
    let renamed_output = |name: &str, model: &str| {
        let mut e = catalog::outputs()[catalog::find_output(name).unwrap()].clone();
        (e.maker, e.model, e.variant) = ("Bench".into(), model.into(), String::new());
        e
    };
    let mut cans = catalog::headphones()[catalog::find_headphone("dt770 32").unwrap()].clone();
    (cans.maker, cans.model, cans.variant) = ("Bench".into(), "Cans".into(), String::new());
    let path = dir.join("catalog.toml");
    let empty = UserCatalog::parse(&path, "").unwrap();
    let user = (empty.add_output(&renamed_output("UMC202HD", "Source")))
        .and_then(|u| u.add_output(&renamed_output("Magni 2", "Amp")))
        .and_then(|u| u.add_headphone(&cans))
        .unwrap();
    assert_eq!(user.outputs.len(), 2);
    let report = |dir: &std::path::Path, output: &str, with: &str| {
        let args = [
            "report",
            "--output",
            output,
            "--headphone",
            "hd600",
            "--with",
            with,
            "--json",
        ];
        serde_json::from_str::<Value>(&ok_with(dir, &args)).unwrap()
    };
    // The user's source and amplifier, in a chain and as --into, with the user's headphone
    // on the jack: the figures of the catalog devices they copy.
    let theirs = report(&dir, "Bench Source line out -> Bench Amp", "bench cans");
    let catalogs = report(&dir, "UMC202HD line out -> Magni 2", "dt770 32");
    same_numbers(&theirs, &catalogs, "report");
    assert!(
        theirs["output"]
            .as_str()
            .unwrap()
            .contains("Bench Source (yours) line out -> Bench Amp (yours)"),
        "{theirs}"
    );
    // A user's amplifier takes every source the rank feeds it.
    let rank = |amp: &str| {
        let args = ["rank", "--headphone", "hd600", "--into", amp, "--json"];
        serde_json::from_str::<Value>(&ok_with(&dir, &args)).unwrap()
    };
    let (theirs, catalogs) = (rank("bench amp"), rank("magni 2"));
    assert!(theirs.as_array().unwrap().len() > 10, "{theirs}");
    same_numbers(&theirs, &catalogs, "rank");
    // An output that gives no input is no amplifier, the user's or the catalog's.
    let err = String::from_utf8(
        loadline_with(
            &dir,
            &[
                "report",
                "--output",
                "magni 2 -> bench source",
                "--headphone",
                "hd600",
            ],
        )
        .stderr,
    )
    .unwrap();
    assert!(
        err.contains("Bench Source (yours) has no input figures"),
        "{err}"
    );
}
