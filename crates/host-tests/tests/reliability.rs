//! What a hostile host or user can do, through the bundled plugin in a real CLAP host: odd
//! block sizes, odd sample rates, garbage samples, lifecycle cycles, corrupt state and
//! parameter fuzzing. Nothing may crash, click, or emit non-finite or subnormal samples.
//!
//! The fuzz runs here are short; `LOADLINE_FUZZ_SECONDS` lengthens them (docs/testing.md).

use loadline_core::catalog::headphone_models;
use loadline_core::dsp::design::band_top_hz;
use loadline_core::dsp::noise::Rng;
use loadline_core::physics::impedance::log_spaced;
use loadline_core::physics::source::TheveninSource;
use loadline_testkit::clap_host::{LoadedPlugin, framed_state, state_json};
use loadline_testkit::measure::{delay_factor, peak_index, response_at_bins, worst_deviation};

fn fuzz_seconds() -> f64 {
    std::env::var("LOADLINE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0)
}

fn assert_clean(y: &[f32]) {
    for &v in y {
        assert!(v.is_finite(), "non-finite output");
        assert!(
            v == 0.0 || v.abs() >= f32::MIN_POSITIVE,
            "subnormal output {v:e}"
        );
    }
}

/// A test signal: a sine sweep with some noise, in [−0.9, 0.9].
fn program(len: usize, rate: f64) -> Vec<f32> {
    let mut rng = Rng::new(99);
    (0..len)
        .map(|i| {
            let t = i as f64 / rate;
            (0.6 * (2.0 * std::f64::consts::PI * (50.0 + 2000.0 * t) * t).sin() + 0.1 * rng.unit())
                as f32
        })
        .collect()
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn any_block_partition_gives_the_same_output() {
    // Offline, the engine is sample-by-sample: a render split into blocks of 1 to 16384
    // samples, changing every call, must equal a render in fixed blocks bit for bit. The
    // limits are on, the current limit low and the rails low and sagging, so the oversampled
    // clamps work (and idle) and the supply droops across the block boundaries too.
    let rate = 48_000.0;
    let x = vec![program(120_000, rate); 2];
    let render = |blocks: &mut dyn FnMut() -> usize| {
        let mut p = LoadedPlugin::load();
        p.set_offline(true);
        let changes = vec![
            (
                p.id("A output impedance"),
                p.text_to_value("A output impedance", "33").unwrap(),
            ),
            (p.id("Headphone"), 4.0),
            (p.id("Output limits"), 1.0),
            (
                p.id("A current limit"),
                p.text_to_value("A current limit", "30 mA").unwrap(),
            ),
            (
                p.id("A rail limit"),
                p.text_to_value("A rail limit", "2 V").unwrap(),
            ),
            (
                p.id("A supply sag"),
                p.text_to_value("A supply sag", "20 ohm").unwrap(),
            ),
        ];
        let mut proc = p.activate(rate, 16_384, 2);
        let mut out = vec![Vec::new(), Vec::new()];
        let mut pos = 0;
        while pos < x[0].len() {
            let n = blocks().min(x[0].len() - pos);
            let y = proc.block(
                &[&x[0][pos..pos + n], &x[1][pos..pos + n]],
                if pos == 0 { &changes } else { &[] },
            );
            for (o, c) in out.iter_mut().zip(y) {
                o.extend_from_slice(&c);
            }
            pos += n;
        }
        out
    };
    let fixed = render(&mut || 512);
    assert!(
        fixed[0].iter().any(|v| v.abs() > 0.05),
        "the render is not silent"
    );
    let mut rng = Rng::new(5);
    let sizes = [1usize, 2, 3, 7, 64, 511, 4096, 16_384];
    let varied = render(&mut || sizes[((rng.unit() + 1.8) * 2.3).clamp(0.0, 7.0) as usize]);
    assert_clean(&fixed[0]);
    assert_eq!(fixed, varied);
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn garbage_samples_are_silenced_and_the_plugin_recovers() {
    // NaN and ±Inf are taken as silence and subnormals as the tiny numbers they are: the
    // output equals the output for zeros in their place, finite and free of subnormals.
    let rate = 48_000.0;
    let clean = program(48_000, rate);
    let mut dirty = clean.clone();
    let mut zeroed = clean.clone();
    for (k, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN]
        .iter()
        .enumerate()
    {
        for i in 0..200 {
            dirty[10_000 + k * 5000 + i] = *bad;
            zeroed[10_000 + k * 5000 + i] = 0.0;
        }
    }
    for v in dirty[40_000..41_000]
        .iter_mut()
        .chain(zeroed[40_000..41_000].iter_mut())
    {
        *v = 1e-40;
    }
    let run = |x: &Vec<f32>| {
        let mut p = LoadedPlugin::load();
        p.set_offline(true);
        let mut proc = p.activate(rate, 256, 1 + 1);
        proc.render(&[x.clone(), x.clone()], 256, &[])
    };
    let y = run(&dirty);
    assert_clean(&y[0]);
    assert_eq!(y, run(&zeroed));
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn every_sample_rate_from_8_to_768_khz_works() {
    for rate in [
        8_000.0, 22_050.0, 32_000.0, 44_100.0, 88_200.0, 352_800.0, 384_000.0, 768_000.0,
    ] {
        let mut p = LoadedPlugin::load();
        p.set_offline(true);
        let z = p.text_to_value("A output impedance", "47").unwrap();
        // Exact mode, with the limits on (far above the impulse): the oversampled limits' latency
        // adds to the design's at every rate.
        let changes = [
            (p.id("A output impedance"), z),
            (p.id("Mode"), 1.0),
            (p.id("Headphone"), 1.0),
            (p.id("Output limits"), 1.0),
        ];
        p.select_channels(1);
        let mut proc = p.activate(rate, 1024, 1);
        let mut x = vec![vec![0.0f32; (0.5 * rate) as usize]];
        x[0][32] = 1.0;
        let y = proc.render(&x, 1024, &changes);
        drop(proc);
        assert_clean(&y[0]);
        let latency = p.latency() as usize;
        assert_eq!(peak_index(&y[0]), 32 + latency, "{rate}");
        let src = TheveninSource {
            r_out_ohm: 47.0,
            coupling_cap_f: None,
        };
        let hp = &headphone_models()[1];
        let ir: Vec<f64> = y[0][32..].iter().map(|&v| v as f64).collect();
        let freqs: Vec<f64> = log_spaced(20.0, band_top_hz(rate), 100).collect();
        let (db, deg) = worst_deviation(response_at_bins(&ir, rate, &freqs).into_iter().map(
            |(f, h)| {
                (
                    h,
                    src.transfer(&hp.load, f) * delay_factor(latency as f64, f, rate),
                )
            },
        ));
        assert!(db <= 0.05 && deg <= 0.5, "{rate}: {db} dB {deg}°");
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn activate_deactivate_and_reset_cycles() {
    let mut p = LoadedPlugin::load();
    let x = vec![program(4096, 48_000.0); 2];
    for (k, rate) in [44_100.0, 48_000.0, 96_000.0, 8_000.0, 192_000.0, 48_000.0]
        .iter()
        .cycle()
        .take(18)
        .enumerate()
    {
        let mut proc = p.activate(*rate, 1024, 2);
        let y = proc.render(&x, 1024, &[]);
        assert_clean(&y[0]);
        if k % 2 == 0 {
            proc.reset();
            let y = proc.render(&x, 333, &[]);
            assert_clean(&y[1]);
        }
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn corrupt_truncated_and_future_state_never_crash() {
    let mut p = LoadedPlugin::load();
    let change = (
        p.id("A output impedance"),
        p.text_to_value("A output impedance", "68").unwrap(),
    );
    let p_hp = p.id("Headphone");
    {
        let mut proc = p.activate(48_000.0, 128, 2);
        proc.render(&vec![vec![0.0; 128]; 2], 128, &[change, (p_hp, 3.0)]);
    }
    let good = p.save_state();
    let text = String::from_utf8_lossy(&good).to_string();
    // States that cannot be read at all: a fresh instance (a project being opened) refuses
    // them and keeps its defaults.
    for bytes in [
        good[..good.len() / 2].to_vec(),
        good.iter().map(|b| b ^ 0x5A).collect(),
        Vec::new(),
    ] {
        let mut q = LoadedPlugin::load();
        assert!(!q.load_state(&bytes), "an unreadable state must be refused");
        let z = q.get_value("A output impedance");
        assert_eq!(
            q.value_to_text("A output impedance", z),
            "10.0 Ω",
            "defaults stay"
        );
    }
    // A state from a future version, with a parameter this version does not know: it loads,
    // what this version knows takes its saved value, the rest keeps defaults.
    let mut q = LoadedPlugin::load();
    let json = state_json(&good);
    let future = json
        .replace("\"zout\"", "\"zout-from-the-future\"")
        .replacen("\"version\":\"", "\"version\":\"9", 1);
    assert!(future != json, "the test must rename a parameter");
    assert!(q.load_state(&framed_state(future.as_bytes())));
    assert_eq!(
        q.current_text("A output impedance"),
        "10.0 Ω",
        "unknown id: default"
    );
    assert_eq!(q.current_text("Headphone"), "Shure SE310", "known ids load");
    let mut cases: Vec<Vec<u8>> = vec![
        good[..good.len() / 2].to_vec(),
        good.iter().map(|b| b ^ 0x5A).collect(),
        Vec::new(),
        b"{}".to_vec(),
        text.replace("\"zout\"", "\"zout-from-the-future\"")
            .into_bytes(),
        text.replacen('{', "{\"version\":\"99.0.0\",", 1)
            .into_bytes(),
    ];
    let mut rng = Rng::new(3);
    for _ in 0..20 {
        let mut c = good.clone();
        let i = ((rng.unit() + 1.8) / 3.6 * c.len() as f64) as usize % c.len();
        c[i] = (rng.unit() * 100.0) as i8 as u8;
        cases.push(c);
    }
    for bytes in cases {
        let mut q = LoadedPlugin::load();
        let _ = q.load_state(&bytes);
        // Whatever the state said, the instance still processes cleanly.
        let mut proc = q.activate(48_000.0, 256, 2);
        let y = proc.render(&vec![program(2048, 48_000.0); 2], 256, &[]);
        assert_clean(&y[0]);
    }
}

#[test]
#[ignore = "loads the bundled plugin: bash scripts/test.sh builds it and runs these"]
fn random_automation_every_block_stays_finite_and_smooth() {
    // DC in (0.25 FS), every automatable parameter except the noise set to a random value in
    // every block, real-time mode. The legitimate ramps are slow: a design crossfade moves at
    // most 1.5·0.25·5/960 ≈ 0.002 per sample (level match can raise the level 5×; 20 ms fades,
    // smoothstep), a limit glides at most a factor e per 5 ms (≈ 0.001 per sample at 0.25),
    // switching the limits fades out and in over 5 ms each (≤ 1.5·0.25·5/240 ≈ 0.008).
    // A click is a jump of a sizeable part of the level within a sample; the bound, 0.01 (4 %
    // of the DC level per sample), sits between the two.
    let rate = 48_000.0;
    let mut p = LoadedPlugin::load();
    let names = [
        "A output impedance",
        "A coupling capacitor",
        "A coupling capacitor value",
        "Headphone",
        "Mode",
        "Level match",
        "Bypass",
        "Volume",
        "Output limits",
        "A full-scale level",
        "A rail limit",
        "A current limit",
    ];
    let params: Vec<(u32, f64)> = names.iter().map(|n| (p.id(n), p.params[*n].max)).collect();
    let mut proc = p.activate(rate, 512, 2);
    let mut rng = Rng::new(11);
    let blocks = (fuzz_seconds() * rate / 256.0) as usize;
    let mut prev: Option<f32> = None;
    let mut worst = 0.0f32;
    for _ in 0..blocks {
        let x = vec![0.25f32; 256];
        let mut changes: Vec<(u32, f64)> = Vec::new();
        for &(id, max) in &params {
            if rng.unit() > 0.0 {
                continue;
            }
            let u = (rng.unit() / 3f64.sqrt() + 1.0) / 2.0;
            changes.push((
                id,
                if max > 1.0 {
                    (u * (max + 1.0)).floor().min(max)
                } else {
                    u
                },
            ));
        }
        let y = proc.block(&[&x, &x], &changes);
        assert_clean(&y[0]);
        for &v in &y[0] {
            if let Some(pv) = prev {
                worst = worst.max((v - pv).abs());
            }
            prev = Some(v);
        }
    }
    println!("largest step over {blocks} blocks: {worst}");
    assert!(worst < 0.01, "largest step {worst}");
}
