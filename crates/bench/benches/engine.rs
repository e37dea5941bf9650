//! Cost of the engine (`cargo bench --bench engine`; `scripts/bench.sh` turns the results into
//! docs/performance.md). Every benchmark processes stereo blocks in place, so its time per
//! iteration over the block's duration is the share of one core the plugin takes.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use loadline_core::catalog::headphone_models;
use loadline_core::designer::{DesignRequest, design_for};
use loadline_core::dsp::design::{DesignMode, design};
use loadline_core::dsp::engine::{Engine, StageNoise, StageSettings};
use loadline_core::dsp::noise::{NoiseCoefs, Rng};
use loadline_core::physics::Impedance;
use loadline_core::physics::chain::{AmpInput, Chain};
use loadline_core::physics::output::{NoiseSpec, OutputStage};
use loadline_core::physics::source::TheveninSource;
use loadline_core::physics::supply::{OtherOutput, SupplyShare};
use loadline_core::scenario::Level;
use loadline_core::units::dbu_to_vrms;
use std::hint::black_box;

/// The headphones of the full chain's benchmark: a resonant 300 Ω dynamic and a multi-armature IEM.
const HEADPHONES: [usize; 2] = [0, 4];

/// An output like the Scarlett 2i2 4th gen (docs/output-stage.md) with a 3 V rail and its
/// noise, so that every part of the stage runs.
fn interface() -> OutputStage {
    let v_fs_peak = dbu_to_vrms(10.0) * std::f64::consts::SQRT_2 * 350.0 / 300.0;
    OutputStage {
        v_fs_peak,
        source: TheveninSource {
            r_out_ohm: 50.0,
            coupling_cap_f: None,
        },
        rail_v_peak: 3.0,
        i_max_peak: 0.0441,
        noise_pre: OutputStage::noise_from_dynamic_range(v_fs_peak, 115.0, true, 200.0),
        noise_post: NoiseSpec {
            level_vrms: 2e-6,
            a_weighted: true,
            flicker_corner_hz: 200.0,
        },
        ..OutputStage::IDEAL
    }
}

fn engine(rate: f64, hp: usize, full: bool) -> Engine {
    engine_for(&interface(), &headphone_models()[hp].load, rate, full)
}

/// The engine for `stage` driving `load`, with its limits and noise on when `full`.
fn engine_for(stage: &OutputStage, load: &dyn Impedance, rate: f64, full: bool) -> Engine {
    let d = design(&stage.source, load, rate, DesignMode::ZeroLatency)
        .and_then(|d| d.with_supply(&stage.source, &stage.supply))
        .unwrap();
    let mut e = Engine::new(2, d);
    if full {
        e.set_stage(StageSettings::for_stage(stage, -6.0, true, true));
        e.set_noise(StageNoise {
            pre: NoiseCoefs::new(&stage.noise_pre, rate, 1.0 / stage.v_fs_peak),
            post: NoiseCoefs::new(&stage.noise_post, rate, 1.0 / stage.v_fs_peak),
        });
    }
    e
}

/// The interface-like output at full volume feeding an amplifier (×2 into 10 kΩ; 10 V peak,
/// 0.3 A, 1 Ω, its own noise with the same 1/f corner): its rails (3 V against a 3.6 V full
/// scale) clip ahead of the amplifier's volume, so every part of a chain's stage runs.
fn chain_stage() -> OutputStage {
    let amp = OutputStage {
        v_fs_peak: 10.0,
        source: TheveninSource {
            r_out_ohm: 1.0,
            coupling_cap_f: None,
        },
        i_max_peak: 0.3,
        noise_post: NoiseSpec {
            level_vrms: 3e-6,
            a_weighted: true,
            flicker_corner_hz: 200.0,
        },
        ..OutputStage::IDEAL
    };
    let input = AmpInput {
        input_ohm: 10_000.0,
        gain_db: 6.0,
    };
    let stage = Chain::new(interface(), 0.0, amp, input).unwrap().stage();
    assert!(stage.source_clip_fs < 1.0);
    stage
}

/// Program-like material: a slow sine and noise peaking at `peak` (full-scale units).
fn program(len: usize, peak: f64) -> [Vec<f32>; 2] {
    let mut rng = Rng::new(1);
    // rng.unit() spans ±√3, so the noise's peak is 0.15·√3.
    let scale = peak / (0.5 + 0.15 * 3f64.sqrt());
    let x: Vec<f32> = (0..len)
        .map(|i| (scale * (0.5 * (i as f64 * 0.01).sin() + 0.15 * rng.unit())) as f32)
        .collect();
    [x.clone(), x]
}

/// Peak of the program in the full-chain benchmarks: within a few dB of full scale, where the
/// oversampled limits must watch every sample; the clipping benchmarks drive 6 dB past it.
const PROGRAM_PEAK: f64 = 0.76;

fn process_bench(c: &mut Criterion, group: &str, rate: f64, hp: usize, full: bool, block: usize) {
    let label = format!(
        "{}Hz/{}",
        rate as u32,
        headphone_models()[hp].kind.replace(' ', "-")
    );
    let peak = if group == "clipping" {
        2.0
    } else {
        PROGRAM_PEAK
    };
    run_bench(c, group, &label, engine(rate, hp, full), block, peak);
}

/// `e` timed on program material peaking at `peak` (full-scale units) in blocks of `block`,
/// as `group`/`label`/`block`.
fn run_bench(c: &mut Criterion, group: &str, label: &str, mut e: Engine, block: usize, peak: f64) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(block as u64));
    let input = program(block, peak);
    let (mut l, mut r) = (input[0].clone(), input[1].clone());
    g.bench_function(BenchmarkId::new(label, block), |b| {
        b.iter(|| {
            l.copy_from_slice(&input[0]);
            r.copy_from_slice(&input[1]);
            e.process(&mut [&mut l, &mut r]);
            black_box(&l);
        })
    });
    g.finish();
}

/// The floor: a bare cascade of four biquads (transposed direct form II, f64) over the
/// same stereo buffers.
fn floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(512));
    let coefs = [[0.2, 0.4, 0.2, -0.5, 0.3]; 4];
    let mut state = [[[0.0f64; 2]; 4]; 2];
    let input = program(512, PROGRAM_PEAK);
    let (mut l, mut r) = (input[0].clone(), input[1].clone());
    g.bench_function("four-biquads/512", |b| {
        b.iter(|| {
            l.copy_from_slice(&input[0]);
            r.copy_from_slice(&input[1]);
            for (ch, buf) in [&mut l, &mut r].into_iter().enumerate() {
                for v in buf.iter_mut() {
                    let mut x = *v as f64;
                    for (k, [b0, b1, b2, a1, a2]) in coefs.iter().enumerate() {
                        let s = &mut state[ch][k];
                        let y = b0 * x + s[0];
                        s[0] = b1 * x - a1 * y + s[1];
                        s[1] = b2 * x - a2 * y;
                        x = y;
                    }
                    *v = x as f32;
                }
            }
            black_box(&l);
        })
    });
    g.finish();
}

fn full_chain(c: &mut Criterion) {
    for rate in [48_000.0, 192_000.0] {
        for hp in HEADPHONES {
            process_bench(c, "full-chain", rate, hp, true, 512);
        }
    }
}

/// A chain (a source into an amplifier) on the open-back dynamic, limits and noise on: one
/// output stage to the engine, so it costs what the full chain does.
fn chain(c: &mut Criterion) {
    let hp = &headphone_models()[0];
    let e = engine_for(&chain_stage(), &hp.load, 48_000.0, true);
    let label = format!("48000Hz/{}", hp.kind.replace(' ', "-"));
    // The program sits as far below the chain's first clip (its source's rails) as the full
    // chain's sits below full scale: how close to a limit it runs decides the clamps' work.
    let peak = PROGRAM_PEAK * chain_stage().source_clip_fs;
    run_bench(c, "chain", &label, e, 512, peak);
}

/// The full chain with a closed-back 38 Ω pair on the open-back dynamic's jack: their
/// parallel load has the poles of both.
fn shared_jack(c: &mut Criterion) {
    let models = headphone_models();
    let shared = models[0].sharing(std::slice::from_ref(&models[1]));
    let e = engine_for(&interface(), &shared.load, 48_000.0, true);
    let label = format!(
        "48000Hz/{}+{}",
        models[0].kind.replace(' ', "-"),
        models[1].kind.replace(' ', "-")
    );
    run_bench(c, "shared-jack", &label, e, 512, PROGRAM_PEAK);
}

/// A distribution amplifier's output: the interface-like stage with rails that sag 2 Ω, alone
/// on its supply and with three other outputs on it (the closed-back 38 Ω pair, the IEM and a
/// second open-back), whose currents the engine follows through banks of their own.
fn own_outputs(c: &mut Criterion) {
    let models = headphone_models();
    let sagging = OutputStage {
        r_sag_ohm: 2.0,
        ..interface()
    };
    let others: Vec<OtherOutput> = [1, 4, 0]
        .iter()
        .map(|&k| OtherOutput::of(&models[k].load, 1.0).unwrap())
        .collect();
    let shared = OutputStage {
        supply: SupplyShare::new(&others).unwrap(),
        ..sagging
    };
    let kind = models[0].kind.replace(' ', "-");
    for (label, stage) in [("alone", sagging), ("with-3-others", shared)] {
        let e = engine_for(&stage, &models[0].load, 48_000.0, true);
        let label = format!("48000Hz/{kind}/{label}");
        run_bench(c, "own-outputs", &label, e, 512, PROGRAM_PEAK);
    }
}

/// The full chain driven 6 dB past full scale: the clamps act on most samples.
fn clipping(c: &mut Criterion) {
    for hp in HEADPHONES {
        process_bench(c, "clipping", 48_000.0, hp, true, 512);
    }
}

fn linear_path(c: &mut Criterion) {
    for hp in HEADPHONES {
        process_bench(c, "linear", 48_000.0, hp, false, 512);
    }
}

fn by_rate(c: &mut Criterion) {
    for rate in [44_100.0, 96_000.0, 384_000.0] {
        process_bench(c, "by-rate", rate, 0, true, 512);
    }
}

fn by_block(c: &mut Criterion) {
    for block in [1, 16, 64, 256, 1024, 4096] {
        process_bench(c, "by-block", 48_000.0, 0, true, block);
    }
}

fn redesign(c: &mut Criterion) {
    let mut g = c.benchmark_group("redesign");
    g.sample_size(20);
    let hps = headphone_models();
    for (hp, mode) in [
        (0, DesignMode::ZeroLatency),
        (4, DesignMode::ZeroLatency),
        (0, DesignMode::Exact),
    ] {
        let req = DesignRequest {
            sample_rate_hz: 48_000.0,
            stage: interface(),
            mode,
            level_match: false,
            level: Level::TargetSplDb(85.0),
        };
        g.bench_function(
            format!("48000Hz/{}/{mode:?}", hps[hp].kind.replace(' ', "-")),
            |b| b.iter(|| black_box(design_for(&req, &hps[hp]))),
        );
    }
    g.finish();
}

criterion_group!(
    benches,
    floor,
    full_chain,
    chain,
    shared_jack,
    own_outputs,
    clipping,
    linear_path,
    by_rate,
    by_block,
    redesign
);
criterion_main!(benches);
