//! What `loadline` prints, held to snapshots in `tests/snapshots/`: a change to any figure,
//! word or field of `report`, `rank` or `list` fails here until the snapshot is rewritten on
//! purpose (`LOADLINE_BLESS=1 cargo test -p loadline-cli --test snapshots`, which fails
//! naming what it rewrote and is refused under CI; then review the diff and run it again).
//!
//! JSON numbers are compared to 1 part in 10⁹, not bit for bit: the figures go through the
//! platform's `powf` and `log10`, whose last bit may differ between C libraries. Text is
//! compared exactly.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Each snapshot's file name and the arguments that print it.
const CASES: &[(&str, &[&str])] = &[
    (
        "report-2i2-dt990.json",
        &[
            "report",
            "--output",
            "Scarlett 2i2 4th gen",
            "--headphone",
            "DT 990 600",
            "--json",
        ],
    ),
    (
        "report-2i2-dt990.txt",
        &[
            "report",
            "--output",
            "Scarlett 2i2 4th gen",
            "--headphone",
            "DT 990 600",
        ],
    ),
    (
        "report-iphone-andromeda.json",
        &[
            "report",
            "--output",
            "iPhone 6s",
            "--headphone",
            "andromeda",
            "--json",
        ],
    ),
    (
        "report-custom-hd650.json",
        &[
            "report",
            "--zout",
            "47",
            "--max-dbu",
            "10",
            "--rail-v",
            "5",
            "--imax-ma",
            "80",
            "--headphone",
            "HD 650",
            "--target-spl",
            "95",
            "--json",
        ],
    ),
    (
        "rank-hd600.json",
        &[
            "rank",
            "--headphone",
            "HD 600",
            "--target-spl",
            "90",
            "--json",
        ],
    ),
    (
        "rank-hd600.txt",
        &["rank", "--headphone", "HD 600", "--target-spl", "90"],
    ),
    (
        "rank-dt770.json",
        &["rank", "--headphone", "DT 770 32", "--json"],
    ),
    ("list-outputs.json", &["list", "outputs", "--json"]),
];

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

fn printed(args: &[&str]) -> String {
    // No catalog of the user's: the machine's user cannot change what is printed.
    let no_user_catalog = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("snapshots-no-user");
    let out = Command::new(env!("CARGO_BIN_EXE_loadline"))
        .env("LOADLINE_CONFIG_DIR", no_user_catalog)
        .args(args)
        .output()
        .expect("running loadline");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Where `got` differs from `want` beyond the numbers' tolerance, as a path into the JSON.
fn json_difference(path: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Number(w), Value::Number(g)) => {
            let (w, g) = (w.as_f64().unwrap(), g.as_f64().unwrap());
            let close = (w - g).abs() <= 1e-9 * w.abs().max(g.abs()).max(1e-300);
            (!close).then(|| format!("{path}: {w} became {g}"))
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .find_map(|(i, (w, g))| json_difference(&format!("{path}[{i}]"), w, g)),
        (Value::Object(w), Value::Object(g)) if w.len() == g.len() => {
            w.iter().find_map(|(k, wv)| match g.get(k) {
                Some(gv) => json_difference(&format!("{path}.{k}"), wv, gv),
                None => Some(format!("{path}.{k}: missing")),
            })
        }
        _ => (want != got).then(|| format!("{path}: {want} became {got}")),
    }
}

#[test]
fn the_command_line_prints_what_its_snapshots_hold() {
    let bless = blessing();
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let got = printed(args);
        let path = snapshot_path(name);
        if bless {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(got.as_str()) {
                std::fs::write(&path, &got).unwrap();
                failures.push(format!("{name}: rewritten"));
            }
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (LOADLINE_BLESS=1 writes it)", path.display()));
        let difference = if name.ends_with(".json") {
            let parse = |t: &str| serde_json::from_str::<Value>(t).expect("JSON");
            json_difference("", &parse(&want), &parse(&got))
        } else {
            (want != got).then(|| format!("text differs:\n--- want\n{want}\n--- got\n{got}"))
        };
        if let Some(d) = difference {
            failures.push(format!("{name} ({args:?}): {d}"));
        }
    }
    // A blessing run that rewrote anything fails too, so that it is never taken for a pass:
    // the rewritten snapshots are to be reviewed (`git diff`) and the test run again.
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether this run rewrites the snapshots: only with `LOADLINE_BLESS=1`, and never under CI,
/// where a rewritten snapshot would hold whatever the code now prints.
fn blessing() -> bool {
    let Some(value) = std::env::var_os("LOADLINE_BLESS") else {
        return false;
    };
    assert!(
        value == "1",
        "LOADLINE_BLESS={value:?}: set it to 1 to rewrite the snapshots, or unset it"
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "LOADLINE_BLESS=1 under CI: snapshots are rewritten by hand and reviewed, never by CI"
    );
    true
}

#[test]
fn a_changed_figure_is_caught() {
    // The comparison itself must be able to fail: one figure moved by 1 part in 10⁶.
    let want: Value = serde_json::json!({"a": [1.0, {"b": 106.639}], "c": "x"});
    let moved: Value = serde_json::json!({"a": [1.0, {"b": 106.639_106_6}], "c": "x"});
    let renamed: Value = serde_json::json!({"a": [1.0, {"b": 106.639}], "c": "y"});
    assert_eq!(json_difference("", &want, &want), None);
    assert!(
        json_difference("", &want, &moved)
            .unwrap()
            .contains(".a[1].b")
    );
    assert!(json_difference("", &want, &renamed).is_some());
}
