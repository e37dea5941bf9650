//! The setups as presets a CLAP host lists and loads (the preset-discovery factory and the
//! preset-load extension), loaded in clack-host: listed with the factory's and the user's,
//! each factory setup heard as the command line's `render --setup` renders it, a broken file
//! named while the others load.

use loadline_core::setups::{self, Setup};
use loadline_testkit::clap_host::{ListedPreset, LoadedPlugin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const RATE: u32 = 48_000;
/// The signal's length: half a second.
const FRAMES: usize = 24_000;
/// What the issue asks: each setup heard as the command line renders it, within this level.
const LEVEL_DB: f64 = 0.05;

/// The user's config folder every test here shares (set once, before any plugin loads): one
/// setup of theirs, "My bench" (the factory's two listeners, renamed), and a broken file.
fn config() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("presets-config");
        let _ = std::fs::remove_dir_all(&dir);
        let setups_dir = dir.join("setups");
        std::fs::create_dir_all(&setups_dir).unwrap();
        let mine = Setup {
            name: "My bench".into(),
            ..setups::find_factory("two listeners").unwrap().clone()
        };
        setups::save(&setups_dir, &mine).unwrap();
        std::fs::write(setups_dir.join("broken.toml"), "name = \"Broken\"\n[a\n").unwrap();
        // SAFETY: set once, before this binary loads the plugin or starts a thread that reads
        // the environment (every test calls this first, and the OnceLock runs it once).
        unsafe { std::env::set_var("LOADLINE_CONFIG_DIR", &dir) };
        dir
    })
}

/// The command line the tests compare with (cargo builds it with the workspace's tests).
fn cli() -> PathBuf {
    if let Ok(p) = std::env::var("LOADLINE_CLI") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/loadline");
    assert!(
        p.exists(),
        "{} is missing: `cargo build -p loadline-cli` makes it",
        p.display()
    );
    p
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("presets")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Three tones at once (60 Hz, 1 kHz, 8 kHz), loud enough that the weaker outputs clip.
fn signal() -> Vec<Vec<f32>> {
    let x: Vec<f32> = (0..FRAMES)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            let tone = |f: f64| (2.0 * std::f64::consts::PI * f * t).sin();
            (0.3 * tone(60.0) + 0.2 * tone(1_000.0) + 0.1 * tone(8_000.0)) as f32
        })
        .collect();
    vec![x.clone(), x]
}

fn write_wav(path: &Path, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn read_wav(path: &Path) -> Vec<Vec<f32>> {
    let mut r = hound::WavReader::open(path).unwrap();
    let channels = r.spec().channels as usize;
    let samples: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
    (0..channels)
        .map(|c| samples.iter().skip(c).step_by(channels).copied().collect())
        .collect()
}

/// The command line's render of setup `name` (A and B), without noise.
fn cli_render(dir: &Path, name: &str) -> [Vec<Vec<f32>>; 2] {
    let input = dir.join("in.wav");
    write_wav(&input, &signal());
    let out = dir.join("out.wav");
    let run = Command::new(cli())
        .args(["render", input.to_str().unwrap(), out.to_str().unwrap()])
        .args(["--setup", name, "--no-noise"])
        .env("LOADLINE_CONFIG_DIR", config())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "render --setup {name}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    ["A", "B"].map(|l| read_wav(&out.with_extension(format!("{l}.wav"))))
}

/// What the plugin plays with `preset` loaded (or none) and `heard` heard (limits on, noise
/// off, as the command line renders), its latency taken off.
fn plugin_render(preset: Option<&ListedPreset>, heard: &str) -> Vec<Vec<f32>> {
    let mut p = LoadedPlugin::load();
    p.set_offline(true);
    if let Some(preset) = preset {
        assert!(p.load_preset(preset), "{} did not load", preset.name);
        assert_eq!(
            p.flags
                .presets_loaded
                .load(std::sync::atomic::Ordering::SeqCst),
            1
        );
    }
    let heard_value = p.text_to_value("Heard", heard).unwrap();
    let changes = [
        (p.id("Heard"), heard_value),
        (p.id("Output limits"), 1.0),
        (p.id("Output noise"), 0.0),
    ];
    p.flush(&changes);
    let mut proc = p.activate(f64::from(RATE), 512, 2);
    let latency = proc.latency() as usize;
    let mut input = signal();
    for c in &mut input {
        c.extend(std::iter::repeat_n(0.0, latency));
    }
    let y = proc.render(&input, 512, &[]);
    y.into_iter().map(|c| c[latency..].to_vec()).collect()
}

fn rms_db(x: &[f32]) -> f64 {
    let power = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64;
    10.0 * power.log10()
}

/// The difference's level against the command line's, dB.
fn residual_db(plugin: &[f32], cli: &[f32]) -> f64 {
    let diff: Vec<f32> = plugin.iter().zip(cli).map(|(a, b)| a - b).collect();
    rms_db(&diff) - rms_db(cli)
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn the_factory_setups_and_yours_are_listed_and_the_broken_file_named() {
    let config = config();
    let p = LoadedPlugin::load();
    let listing = p.list_presets().expect("a preset-discovery factory");
    let factory: Vec<&str> = setups::factory().iter().map(|s| s.name.as_str()).collect();
    // The factory's setups, each a file of one in their folder (written there when the host
    // first asks), and the user's setups folder.
    let factory_dir = std::fs::canonicalize(config.join("factory-setups")).unwrap();
    let yours_dir = std::fs::canonicalize(config.join("setups")).unwrap();
    let kinds: Vec<(u32, Option<PathBuf>)> = (listing.locations.iter())
        .map(|l| {
            (
                l.flags,
                l.path.as_ref().map(|p| PathBuf::from(p.to_str().unwrap())),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [(1, Some(factory_dir.clone())), (2, Some(yours_dir.clone()))],
        "factory content, then user content"
    );
    let in_dir = |dir: &Path| -> Vec<&ListedPreset> {
        (listing.presets.iter())
            .filter(|l| {
                l.file
                    .as_ref()
                    .is_some_and(|f| Path::new(f.to_str().unwrap()).parent() == Some(dir))
            })
            .collect()
    };
    let mut listed_factory: Vec<&str> = in_dir(&factory_dir)
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    let mut factory = factory;
    listed_factory.sort_unstable();
    factory.sort_unstable();
    assert_eq!(listed_factory, factory, "every factory setup, once");
    for l in in_dir(&factory_dir) {
        assert_eq!(l.plugin_ids, ["clap:com.loadline.loadline"], "{}", l.name);
        assert!(l.load_key.is_none(), "one setup per file: no load key");
        let setup = setups::find_factory(&l.name).unwrap();
        assert_eq!(l.description, setup.question, "{}", l.name);
    }
    assert_eq!(listing.extensions, ["toml"]);
    let yours = in_dir(&yours_dir);
    assert_eq!(yours.len(), 1, "{yours:?}");
    assert_eq!(yours[0].name, "My bench");
    assert!(
        yours[0].load_key.is_none(),
        "one setup per file: no load key"
    );
    // The broken file is named with its line; it keeps none of the others from being listed.
    assert_eq!(listing.errors.len(), 1, "{:?}", listing.errors);
    assert!(
        listing.errors[0].contains("broken.toml:2"),
        "{:?}",
        listing.errors
    );
    // The user's setup loads as the factory one it copies; the broken file is refused with
    // its line, and the host is told why.
    let mut q = LoadedPlugin::load();
    let project = q.save_state();
    let broken = ListedPreset {
        file: Some(
            std::ffi::CString::new(yours_dir.join("broken.toml").to_str().unwrap()).unwrap(),
        ),
        name: "Broken".into(),
        ..ListedPreset::default()
    };
    assert!(!q.load_preset(&broken), "a broken file loads nothing");
    let errors = q.flags.preset_errors.lock().unwrap().clone();
    assert!(
        errors.len() == 1 && errors[0].contains("broken.toml:2"),
        "{errors:?}"
    );
    assert_eq!(
        q.save_state(),
        project,
        "a preset that fails changes nothing"
    );
    assert!(q.load_preset(yours[0]));
    let mine = q.save_state();
    let mut r = LoadedPlugin::load();
    let two_listeners = (listing.presets.iter())
        .find(|l| l.name == setups::find_factory("two listeners").unwrap().name)
        .unwrap();
    assert!(r.load_preset(two_listeners));
    assert_eq!(
        mine,
        r.save_state(),
        "My bench is the factory's two listeners"
    );
    assert_ne!(mine, project, "loading a setup changes the project");
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn each_factory_setup_loaded_by_the_host_is_heard_as_render_setup() {
    // Before the plugin loads: it finds its folders through the environment.
    let config = config();
    let listing = LoadedPlugin::load().list_presets().unwrap();
    let factory_dir = std::fs::canonicalize(config.join("factory-setups")).unwrap();
    let factory = (listing.presets.iter()).filter(|l| {
        l.file.as_ref().is_some_and(|f| {
            f.to_str()
                .unwrap()
                .starts_with(factory_dir.to_str().unwrap())
        })
    });
    let defaults = ["A", "B"].map(|heard| plugin_render(None, heard));
    let mut worst = (0.0f64, f64::NEG_INFINITY);
    let mut count = 0;
    for preset in factory {
        count += 1;
        let dir = scratch(&preset.name.replace(' ', "-"));
        let cli = cli_render(&dir, &preset.name);
        let mut from_defaults = f64::NEG_INFINITY;
        for (slot, heard) in ["A", "B"].into_iter().enumerate() {
            let plugin = plugin_render(Some(preset), heard);
            from_defaults = from_defaults.max(residual_db(&plugin[0], &defaults[slot][0]));
            for ch in 0..2 {
                let level = rms_db(&plugin[ch]) - rms_db(&cli[slot][ch]);
                let residual = residual_db(&plugin[ch], &cli[slot][ch]);
                println!(
                    "{} {heard}: level {level:+.5} dB, difference {residual:.1} dB",
                    preset.name
                );
                assert!(
                    level.abs() <= LEVEL_DB,
                    "{} {heard}: {level:+.4} dB from the command line's",
                    preset.name
                );
                worst = (worst.0.max(level.abs()), worst.1.max(residual));
            }
        }
        // Were the preset not loaded, the plugin would play its defaults.
        assert!(
            from_defaults > -40.0,
            "{}: plays as the defaults ({from_defaults:.1} dB apart)",
            preset.name
        );
    }
    assert_eq!(count, setups::factory().len());
    println!(
        "worst level difference {:.5} dB, worst difference signal {:.1} dB",
        worst.0, worst.1
    );
}
