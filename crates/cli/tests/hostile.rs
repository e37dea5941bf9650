//! Careless and hostile input to the `loadline` command line, table-driven: numbers at the
//! edges of their ranges and beyond, units, files of every kind of damage, paths, and broken
//! user catalogs. Every case runs the built binary and must end as the table says (a clean
//! answer, or a refusal that names the culprit), within a time bound, without printing or
//! writing a non-finite or absurd number, and without changing any file it was given.
//!
//! The table of outcomes is printed (`cargo test --test hostile -- --nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Longer than any case takes in a debug build; a run past it is a hang.
const HANG: Duration = Duration::from_secs(120);

/// How a case must end.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Exit 0, every number printed finite and plausible.
    Answers,
    /// Exit 1 or 2 with an error that contains the culprit.
    Refuses(&'static str),
}

/// One case: its name, the configuration directory's catalog (if any), the arguments.
struct Case {
    name: &'static str,
    catalog: Option<&'static str>,
    args: Vec<String>,
    expect: Expect,
}

/// The inputs every case may read: WAVs, impedance files and user catalogs, in `dir`.
struct Inputs {
    dir: PathBuf,
}

impl Inputs {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

/// A WAV file's bytes: a canonical header (format 1 = integer, 3 = float) over `data`, with
/// the data chunk's length as given (so that a header may promise more than follows).
fn wav_bytes(
    format: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    data: &[u8],
    data_len: u32,
) -> Vec<u8> {
    let block = channels * bits / 8;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&format.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    v.extend_from_slice(&block.to_le_bytes());
    v.extend_from_slice(&bits.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    v.extend_from_slice(data);
    v
}

/// `frames` stereo frames of a 1 kHz sine at `amplitude` (full scale 1) at `rate`, as 16-bit
/// integers, or as 32-bit floats when `float` (where the amplitude may pass full scale).
fn sine(rate: u32, frames: usize, amplitude: f64, float: bool) -> Vec<u8> {
    let mut data = Vec::new();
    for i in 0..frames {
        let x =
            amplitude * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / f64::from(rate)).sin();
        for _ in 0..2 {
            if float {
                data.extend_from_slice(&(x as f32).to_le_bytes());
            } else {
                data.extend_from_slice(&((x * 32767.0) as i16).to_le_bytes());
            }
        }
    }
    let (format, bits) = if float { (3, 32) } else { (1, 16) };
    wav_bytes(format, 2, rate, bits, &data, data.len() as u32)
}

/// A user catalog with one sound output, for the damaged variants below to start from.
const SOUND_OUTPUT: &str = r#"[[output]]
maker = "Acme"
model = "Box"
kind = "audio-interface"
r_out_ohm = { value = 4.7, basis = "measured", source = "own measurement" }
max_output = [{ load_ohm = 32.0, vrms = 1.1, basis = "measured", source = "own measurement" }]
"#;

/// Writes every input file.
fn inputs() -> Inputs {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    let good = sine(48_000, 4800, 0.5, false);
    write("good.wav", &good);
    write("hot.wav", &sine(48_000, 4800, 10_000.0, true));
    write("rate-8k.wav", &sine(8_000, 800, 0.5, false));
    write("rate-768k.wav", &sine(768_000, 7680, 0.5, false));
    for (name, rate) in [
        ("rate-0.wav", 0),
        ("rate-1.wav", 1),
        ("rate-100.wav", 100),
        ("rate-1536k.wav", 1_536_000),
    ] {
        write(
            name,
            &wav_bytes(1, 2, rate, 16, &good[44..], (good.len() - 44) as u32),
        );
    }
    write("empty.wav", b"");
    write("header-cut.wav", &good[..30]);
    write("data-cut.wav", &good[..good.len() / 2]);
    write(
        "float64.wav",
        &wav_bytes(3, 2, 48_000, 64, &[0; 1600], 1600),
    );
    write("zero-frames.wav", &wav_bytes(1, 2, 48_000, 16, &[], 0));
    write("text.wav", b"this is not audio\n");
    std::fs::create_dir_all(dir.join("a-directory.wav")).unwrap();
    write(
        "z-good.txt",
        b"20 300 0\n100 500 10\n1000 300 0\n10000 330 5\n20000 340 6\n",
    );
    write("z-empty.txt", b"");
    write("z-binary.txt", &[0, 159, 146, 150, 255, 0, 1, 2]);
    write("z-nan.txt", b"20 300 0\n100 NaN 0\n");
    write("z-tiny.txt", b"20 300 0\n100 1e-308 0\n1000 300 0\n");
    write("z-huge.txt", b"20 300 0\n100 1e300 0\n");
    write("z-unsorted.txt", b"1000 300 0\n20 300 0\n");
    write("z-negative-f.txt", b"-20 300 0\n100 300 0\n");
    let catalog = |name: &str, text: &str| {
        let d = dir.join("catalogs").join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("catalog.toml"), text).unwrap();
    };
    catalog("sound", SOUND_OUTPUT);
    catalog("not-toml", "[[output]\nmaker = \n");
    catalog(
        "unknown-key",
        &SOUND_OUTPUT.replace("kind =", "colour = \"red\"\nkind ="),
    );
    catalog(
        "negative",
        &SOUND_OUTPUT.replace("value = 4.7", "value = -4.7"),
    );
    catalog(
        "absurd",
        &SOUND_OUTPUT.replace("value = 4.7", "value = 1e308"),
    );
    catalog(
        "no-maker",
        &SOUND_OUTPUT.replace("maker = \"Acme\"", "maker = \"\""),
    );
    catalog(
        "control",
        &SOUND_OUTPUT.replace("model = \"Box\"", "model = \"Box\\u001b[2J\""),
    );
    catalog("twice", &format!("{SOUND_OUTPUT}\n{SOUND_OUTPUT}"));
    catalog(
        "inverted-maxima",
        &SOUND_OUTPUT.replace(
            "max_output = [{",
            "max_output = [{ load_ohm = 300.0, vrms = 0.5, basis = \"measured\", source = \"own measurement\" }, {",
        ),
    );
    Inputs { dir }
}

/// Every file under `dir` with its bytes, to tell whether a case changed one.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The arguments, as owned strings.
fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// A report's arguments with the custom output's `flag` set to `value`, beside a 10 Ω,
/// +10 dBu output's other figures.
fn custom(flag: &str, value: &str) -> Vec<String> {
    let mut a = args(&["report", flag, value, "--headphone", "HD 600"]);
    for (f, v) in [("--zout", "10"), ("--max-dbu", "10")] {
        if f != flag {
            a.extend(args(&[f, v]));
        }
    }
    a
}

/// The table.
fn cases(i: &Inputs) -> Vec<Case> {
    use Expect::{Answers, Refuses};
    let case = |name, a: Vec<String>, expect| Case {
        name,
        catalog: None,
        args: a,
        expect,
    };
    let with_catalog = |name, catalog, a: &[&str], expect| Case {
        name,
        catalog: Some(catalog),
        args: args(a),
        expect,
    };
    let render = |input: &str, extra: &[&str]| {
        let mut a = args(&[
            "render",
            &i.path(input),
            &i.path("out/render.wav"),
            "--output",
            "Scarlett 2i2 4th",
            "--headphone",
            "HD 600",
        ]);
        a.extend(args(extra));
        a
    };
    let report_file = |file: &str| {
        args(&[
            "report",
            "--output",
            "Scarlett 2i2 4th",
            "--headphone-file",
            &i.path(file),
            "--sensitivity",
            "100 dB/V",
        ])
    };
    vec![
        // Numbers at the edges and beyond.
        case("zout 0 (the edge)", custom("--zout", "0"), Answers),
        case("zout 1000 (the edge)", custom("--zout", "1000"), Answers),
        case("zout 1e308", custom("--zout", "1e308"), Refuses("--zout")),
        case("zout -1", custom("--zout", "-1"), Refuses("--zout")),
        case("zout nan", custom("--zout", "nan"), Refuses("--zout")),
        case("zout inf", custom("--zout", "inf"), Refuses("--zout")),
        case("zout empty", custom("--zout", ""), Refuses("--zout")),
        case(
            "zout 1 Mohm (mega)",
            custom("--zout", "1 Mohm"),
            Refuses("1000000 Ω"),
        ),
        case(
            "zout 470 mohm (milli)",
            custom("--zout", "470 mohm"),
            Answers,
        ),
        case(
            "zout 4.7K (not SI)",
            custom("--zout", "4.7K"),
            Refuses("--zout"),
        ),
        case(
            "max-dbu 1e308",
            custom("--max-dbu", "1e308"),
            Refuses("--max-dbu"),
        ),
        case(
            "max-dbu -1e308",
            custom("--max-dbu", "-1e308"),
            Refuses("--max-dbu"),
        ),
        case(
            "coupling 1e-300 uF",
            custom("--coupling-uf", "1e-300"),
            Refuses("--coupling-uf"),
        ),
        case(
            "coupling 0",
            custom("--coupling-uf", "0"),
            Refuses("--coupling-uf"),
        ),
        case("rails 0", custom("--rail-v", "0"), Refuses("--rail-v")),
        case(
            "current 1e9 mA",
            custom("--imax-ma", "1e9"),
            Refuses("--imax-ma"),
        ),
        case("sag -1", custom("--sag-ohm", "-1"), Refuses("--sag-ohm")),
        case(
            "dynamic range 0 dB",
            custom("--dynamic-range-db", "0"),
            Refuses("--dynamic-range-db"),
        ),
        case(
            "noise +100 dBV",
            custom("--noise-dbv", "100"),
            Refuses("--noise-dbv"),
        ),
        case(
            "noise -150 dBV (the edge)",
            custom("--noise-dbv", "-150"),
            Answers,
        ),
        case(
            "target 200 dB SPL",
            args(&[
                "report",
                "--output",
                "O2",
                "--headphone",
                "HD 600",
                "--target-spl",
                "200",
            ]),
            Refuses("--target-spl"),
        ),
        case(
            "target 130 (the edge)",
            args(&[
                "report",
                "--output",
                "O2",
                "--headphone",
                "HD 600",
                "--target-spl",
                "130",
            ]),
            Answers,
        ),
        case(
            "target nan",
            args(&[
                "report",
                "--output",
                "O2",
                "--headphone",
                "HD 600",
                "--target-spl",
                "nan",
            ]),
            Refuses("--target-spl"),
        ),
        case(
            "chain source at -7000 dB",
            args(&[
                "report",
                "--output",
                "UMC202HD at -7000 dB -> Magni 2",
                "--headphone",
                "HD 600",
            ]),
            Refuses("source volume"),
        ),
        case(
            "listener at +100 dB",
            args(&[
                "report",
                "--output",
                "HA8000",
                "--headphone",
                "HD 600",
                "--with",
                "HD 600 at +100 dB",
                "--own-outputs",
            ]),
            Refuses("--with"),
        ),
        case(
            "sensitivity 1000 dB/V",
            args(&[
                "report",
                "--output",
                "O2",
                "--headphone-file",
                &i.path("z-good.txt"),
                "--sensitivity",
                "1000 dB/V",
            ]),
            Refuses("sensitivity"),
        ),
        case(
            "sensitivity without unit",
            args(&[
                "report",
                "--output",
                "O2",
                "--headphone-file",
                &i.path("z-good.txt"),
                "--sensitivity",
                "100",
            ]),
            Refuses("sensitivity"),
        ),
        case(
            "points 0",
            args(&[
                "response",
                "--output",
                "O2",
                "--headphone",
                "HD 600",
                "--points",
                "0",
                "--csv",
                "-",
            ]),
            Refuses("--points"),
        ),
        case(
            "compare key twice",
            args(&[
                "response",
                "--output",
                "O2",
                "--compare",
                "zout=1,zout=2",
                "--headphone",
                "HD 600",
                "--csv",
                "-",
            ]),
            Refuses("zout is given twice"),
        ),
        case(
            "compare unknown key",
            args(&[
                "response",
                "--output",
                "O2",
                "--compare",
                "zoot=1",
                "--headphone",
                "HD 600",
                "--csv",
                "-",
            ]),
            Refuses("zoot"),
        ),
        // Render: volumes, rates and damaged WAVs.
        case(
            "volume -400 dB",
            render("good.wav", &["--volume", "-400"]),
            Refuses("--volume"),
        ),
        case(
            "volume -1e308 dB",
            render("good.wav", &["--volume", "-1e308"]),
            Refuses("--volume"),
        ),
        case(
            "volume +6 dB",
            render("good.wav", &["--volume", "6"]),
            Refuses("--volume"),
        ),
        case(
            "volume -80 dB (the edge)",
            render("good.wav", &["--volume", "-80"]),
            Answers,
        ),
        case("float input at +80 dBFS", render("hot.wav", &[]), Answers),
        case("rate 8 kHz (the edge)", render("rate-8k.wav", &[]), Answers),
        case(
            "rate 768 kHz (the edge)",
            render("rate-768k.wav", &[]),
            Answers,
        ),
        case(
            "rate 0 Hz",
            render("rate-0.wav", &[]),
            Refuses("rate-0.wav"),
        ),
        case(
            "rate 1 Hz",
            render("rate-1.wav", &[]),
            Refuses("sample rate 1 Hz"),
        ),
        case(
            "rate 100 Hz",
            render("rate-100.wav", &[]),
            Refuses("sample rate 100 Hz"),
        ),
        case(
            "rate 1.536 MHz",
            render("rate-1536k.wav", &[]),
            Refuses("sample rate 1536000 Hz"),
        ),
        case("empty WAV", render("empty.wav", &[]), Refuses("empty.wav")),
        case(
            "header cut short",
            render("header-cut.wav", &[]),
            Refuses("header-cut.wav"),
        ),
        case(
            "audio cut short",
            render("data-cut.wav", &[]),
            Refuses("the audio ends at frame 2394"),
        ),
        case(
            "64-bit float WAV",
            render("float64.wav", &[]),
            Refuses("float64.wav"),
        ),
        case(
            "0-frame WAV",
            render("zero-frames.wav", &[]),
            Refuses("0 frames"),
        ),
        case(
            "text named .wav",
            render("text.wav", &[]),
            Refuses("text.wav"),
        ),
        case(
            "a directory named .wav",
            render("a-directory.wav", &[]),
            Refuses("a-directory.wav"),
        ),
        case(
            "missing WAV",
            render("missing.wav", &[]),
            Refuses("missing.wav"),
        ),
        // Paths.
        case(
            "render onto its input",
            args(&[
                "render",
                &i.path("good.wav"),
                &i.path("good.wav"),
                "--output",
                "O2",
                "--headphone",
                "HD 600",
            ]),
            Refuses("input file"),
        ),
        case(
            "render into a missing directory",
            args(&[
                "render",
                &i.path("good.wav"),
                &i.path("no/such/dir/out.wav"),
                "--output",
                "O2",
                "--headphone",
                "HD 600",
            ]),
            Refuses("out.wav"),
        ),
        case(
            "png named .csv",
            args(&[
                "response",
                "--output",
                "O2",
                "--headphone",
                "HD 600",
                "--png",
                &i.path("out/plot.csv"),
            ]),
            Refuses("--png"),
        ),
        case(
            "csv into a directory",
            args(&[
                "response",
                "--output",
                "O2",
                "--headphone",
                "HD 600",
                "--csv",
                &i.path("a-directory.wav"),
            ]),
            Refuses("a-directory.wav"),
        ),
        case(
            "zma onto its own curve",
            args(&[
                "response",
                "--headphone-file",
                &i.path("z-good.txt"),
                "--zma",
                &i.path("z-good.txt"),
            ]),
            Refuses("z-good.txt"),
        ),
        // Impedance files.
        case("impedance file sound", report_file("z-good.txt"), Answers),
        case(
            "impedance file empty",
            report_file("z-empty.txt"),
            Refuses("z-empty.txt"),
        ),
        case(
            "impedance file binary",
            report_file("z-binary.txt"),
            Refuses("z-binary.txt"),
        ),
        case("impedance NaN", report_file("z-nan.txt"), Refuses("line 2")),
        case(
            "impedance 1e-308 ohm",
            report_file("z-tiny.txt"),
            Refuses("line 2"),
        ),
        case(
            "impedance 1e300 ohm",
            report_file("z-huge.txt"),
            Refuses("line 2"),
        ),
        case(
            "impedance unsorted",
            report_file("z-unsorted.txt"),
            Refuses("line 2"),
        ),
        case(
            "impedance negative frequency",
            report_file("z-negative-f.txt"),
            Refuses("line 1"),
        ),
        // User catalogs, checked and used.
        with_catalog(
            "catalog sound",
            "sound",
            &["report", "--output", "Acme Box", "--headphone", "HD 600"],
            Answers,
        ),
        with_catalog(
            "catalog not TOML",
            "not-toml",
            &["user", "check"],
            Refuses("catalog.toml:1"),
        ),
        with_catalog(
            "catalog unknown key",
            "unknown-key",
            &["user", "check"],
            Refuses("colour"),
        ),
        with_catalog(
            "catalog negative figure",
            "negative",
            &["user", "check"],
            Refuses("catalog.toml:5"),
        ),
        with_catalog(
            "catalog absurd figure",
            "absurd",
            &["user", "check"],
            Refuses("catalog.toml:5"),
        ),
        with_catalog(
            "catalog empty maker",
            "no-maker",
            &["user", "check"],
            Refuses("catalog.toml:2"),
        ),
        with_catalog(
            "catalog control character",
            "control",
            &["user", "check"],
            Refuses("catalog.toml:3"),
        ),
        with_catalog(
            "catalog name twice",
            "twice",
            &["user", "check"],
            Refuses("catalog.toml:8"),
        ),
        with_catalog(
            "catalog inverted maxima",
            "inverted-maxima",
            &["user", "check"],
            Refuses("are the two swapped"),
        ),
        with_catalog(
            "broken catalog leaves the built-in one",
            "negative",
            &["report", "--output", "O2", "--headphone", "HD 600"],
            Answers,
        ),
        case(
            "add-headphone off its key points",
            args(&[
                "user",
                "add-headphone",
                "--maker",
                "Me",
                "--model",
                "X",
                "--nominal-ohm",
                "250",
                "--sensitivity",
                "100 dB/V",
                "--rdc-ohm",
                "240",
                "--z-1k-ohm",
                "26",
                "--z-10k-ohm",
                "30",
            ]),
            Refuses("823 % off"),
        ),
        case(
            "add-headphone peak below R_dc",
            args(&[
                "user",
                "add-headphone",
                "--maker",
                "Me",
                "--model",
                "Y",
                "--nominal-ohm",
                "250",
                "--sensitivity",
                "100 dB/V",
                "--rdc-ohm",
                "240",
                "--z-1k-ohm",
                "250",
                "--z-10k-ohm",
                "270",
                "--f-res-hz",
                "100",
                "--z-res-ohm",
                "200",
            ]),
            Refuses("below R_dc"),
        ),
        case(
            "add-output empty model",
            args(&[
                "user",
                "add-output",
                "--maker",
                "Me",
                "--model",
                "",
                "--zout",
                "1",
                "--max",
                "32:1",
            ]),
            Refuses("no model"),
        ),
        case(
            "add-output absurd r-out-ohm",
            args(&[
                "user",
                "add-output",
                "--maker",
                "Me",
                "--model",
                "Z",
                "--r-out-ohm",
                "1e308",
                "--max",
                "32:1",
            ]),
            Refuses("--r-out-ohm"),
        ),
    ]
}

/// Whether `text` holds a non-finite or absurd figure: "NaN" or "inf" as a word, or a
/// number of a size no figure of Loadline's has (a million or more, or more than 12 digits).
fn absurd(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+'))
        .find(|w| {
            let lower = w.to_lowercase();
            let number = w.trim_matches(|c: char| c == '.' || c == '-' || c == '+');
            lower == "nan"
                || lower == "inf"
                || lower == "infinity"
                || number.chars().filter(char::is_ascii_digit).count() > 12
                || number.parse::<f64>().is_ok_and(|v| v.abs() >= 1e6)
        })
        .map(str::to_string)
}

/// The samples of a 32-bit float WAV as written by `render`.
fn float_samples(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
    bytes[at..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Runs one case: its outcome in a line for the table, or what went wrong.
fn run(i: &Inputs, case: &Case) -> Result<String, String> {
    let config = match case.catalog {
        Some(name) => i.dir.join("catalogs").join(name),
        None => i.dir.join("catalogs/none"),
    };
    let out_dir = i.dir.join("out");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let before = snapshot(&i.dir.join("catalogs"));
    let inputs_before = snapshot(&i.dir);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loadline"))
        .env("LOADLINE_CONFIG_DIR", &config)
        .args(&case.args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > HANG {
            let _ = child.kill();
            return Err(format!("still running after {HANG:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    );
    let code = output.status.code();
    let mut after = snapshot(&i.dir);
    after.retain(|p, _| !p.starts_with(&out_dir));
    if after
        != inputs_before
            .into_iter()
            .filter(|(p, _)| !p.starts_with(&out_dir))
            .collect()
    {
        return Err("a file it was given changed".into());
    }
    if snapshot(&i.dir.join("catalogs")) != before {
        return Err("a user catalog changed".into());
    }
    if stderr.contains("panicked") {
        return Err(format!("panicked: {stderr}"));
    }
    match case.expect {
        Expect::Answers => {
            if code != Some(0) {
                return Err(format!("exit {code:?}: {stderr}"));
            }
            if let Some(w) = absurd(&stdout).or_else(|| absurd(&stderr)) {
                return Err(format!("printed {w:?}: {stdout}{stderr}"));
            }
            let rendered = out_dir.join("render.wav");
            if rendered.exists() {
                let peak = float_samples(&rendered).iter().fold(0.0f32, |m, x| {
                    if x.is_finite() {
                        m.max(x.abs())
                    } else {
                        f32::INFINITY
                    }
                });
                // Full scale is 1; a clipped output's band-limited overshoot stays well under 1.5.
                if peak > 1.5 {
                    return Err(format!("wrote a sample of {peak}"));
                }
                return Ok(format!("answers; render peak {peak:.3}"));
            }
            Ok("answers".into())
        }
        Expect::Refuses(culprit) => {
            if !matches!(code, Some(1) | Some(2)) {
                return Err(format!("exit {code:?}, not a refusal: {stdout}{stderr}"));
            }
            if !stderr.contains(culprit) {
                return Err(format!("the message does not name {culprit:?}: {stderr}"));
            }
            let partials = std::fs::read_dir(&out_dir).unwrap().count();
            if partials > 0 {
                return Err("left a file behind".into());
            }
            // The message's first line, and the next when the first only introduces it.
            let mut lines = stderr.lines().filter(|l| !l.trim().is_empty());
            let mut said = lines.next().unwrap_or("").to_string();
            if said.ends_with(':') {
                said = format!("{said} {}", lines.next().unwrap_or(""));
            }
            Ok(format!("refused (exit {}): {said}", code.unwrap()))
        }
    }
}

#[test]
fn every_hostile_input_ends_as_the_table_says() {
    let i = inputs();
    let table = cases(&i);
    let mut failures = Vec::new();
    println!("| case | outcome |\n|---|---|");
    for case in &table {
        match run(&i, case) {
            Ok(outcome) => println!("| {} | {} |", case.name, outcome.replace('|', "/")),
            Err(why) => {
                println!("| {} | FAILED: {} |", case.name, why.replace('|', "/"));
                failures.push(format!("{}: {why}", case.name));
            }
        }
    }
    println!("{} cases", table.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_absurdity_check_finds_what_it_must() {
    assert_eq!(absurd("clean up to NaN dB SPL").as_deref(), Some("NaN"));
    assert_eq!(absurd("peak inf").as_deref(), Some("inf"));
    assert!(absurd("impedance 1e308 Ω").is_some());
    assert!(absurd("a 309-digit 1000000000000000000000 Ω").is_some());
    assert_eq!(
        absurd("clean up to 113.6 dB SPL at 20 kHz, -0.28 dB, 20000 Hz"),
        None
    );
}
