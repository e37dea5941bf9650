//! Profiling aid: times the engine's parts (limits, noise) on program-like material, for
//! exploring where the full chain's time goes (`perf record` works on it too). The figures
//! of record come from `cargo bench` (benches/engine.rs).
use loadline_core::catalog::headphone_models;
use loadline_core::dsp::design::{DesignMode, design};
use loadline_core::dsp::engine::{Engine, StageNoise, StageSettings};
use loadline_core::dsp::noise::NoiseCoefs;
use loadline_core::physics::output::NoiseSpec;
use loadline_core::physics::source::TheveninSource;
use std::time::Instant;

fn main() {
    let src = TheveninSource {
        r_out_ohm: 50.0,
        coupling_cap_f: None,
    };
    let rate = 48_000.0;
    let x: Vec<f32> = (0..512)
        .map(|i| {
            (0.5 * (i as f64 * 0.01).sin() + 0.15 * ((i * 7919 % 1000) as f64 / 500.0 - 1.0)) as f32
        })
        .collect();
    // `clip_cost 4` runs only the full chain on headphone 4 (for `perf record`).
    let only: Option<usize> = std::env::args().nth(1).and_then(|a| a.parse().ok());
    for hp in [0, 4] {
        for (limits, noise) in [(false, false), (false, true), (true, false), (true, true)] {
            if only.is_some_and(|o| o != hp || !(limits && noise)) {
                continue;
            }
            let d = design(
                &src,
                &headphone_models()[hp].load,
                rate,
                DesignMode::ZeroLatency,
            )
            .unwrap();
            let mut e = Engine::new(2, d);
            e.set_stage(StageSettings {
                volume_gain: 0.5,
                limits,
                rail_over_fs: 0.79,
                imax_over_fs: 0.0116,
                r_sag_ohm: 0.0,
                source_clip_fs: 1.0,
                noise_on: noise,
            });
            let spec = NoiseSpec {
                level_vrms: 2e-6,
                a_weighted: true,
                flicker_corner_hz: 200.0,
            };
            let coefs = NoiseCoefs::new(&spec, rate, 0.3);
            e.set_noise(StageNoise {
                pre: coefs,
                post: coefs,
            });
            let blocks = 4000;
            let start = Instant::now();
            for _ in 0..blocks {
                let (mut l, mut r) = (x.clone(), x.clone());
                e.process(&mut [&mut l, &mut r]);
                std::hint::black_box(&l);
            }
            let per_block = start.elapsed().as_secs_f64() / blocks as f64;
            println!(
                "hp {hp} limits {limits} noise {noise}: {:.1} µs per 512 stereo, {:.0}× real time",
                per_block * 1e6,
                512.0 / rate / per_block
            );
        }
    }
}
