//! Design errors and stability at extreme host sample rates.
use loadline_core::catalog::headphone_models;
use loadline_core::dsp::design::{DesignMode, design};
use loadline_core::dsp::engine::Engine;
use loadline_core::physics::source::TheveninSource;
fn main() {
    for fs in [8_000.0, 22_050.0, 384_000.0, 768_000.0] {
        for mode in [DesignMode::Exact, DesignMode::ZeroLatency] {
            let mut worst = (0.0f64, 0.0f64, 0.0f32);
            let t = std::time::Instant::now();
            for hp in headphone_models() {
                for r in [0.1, 10.0, 150.0] {
                    for cap in [None, Some(10e-6), Some(2200e-6)] {
                        let src = TheveninSource {
                            r_out_ohm: r,
                            coupling_cap_f: cap,
                        };
                        let d = design(&src, &hp.load, fs, mode).unwrap();
                        worst.0 = worst.0.max(d.check_err_db);
                        worst.1 = worst.1.max(d.check_err_deg);
                        let mut e = Engine::new(1, d);
                        let mut x: Vec<f32> = (0..(fs as usize))
                            .map(|i| if i == 0 { 1.0 } else { 0.0 })
                            .collect();
                        e.process(&mut [&mut x]);
                        let tail = x[x.len() - 100..]
                            .iter()
                            .fold(0.0f32, |m, v| m.max(v.abs()));
                        worst.2 = worst.2.max(tail);
                    }
                }
            }
            println!(
                "{fs} {mode:?}: {:.4} dB {:.3} deg, IR tail after 1 s {:.2e}, {:.1} ms per design",
                worst.0,
                worst.1,
                worst.2,
                t.elapsed().as_secs_f64() * 1000.0 / 45.0
            );
        }
    }
}
