//! Design errors when the load is a measured curve (no rational model): each built-in model
//! sampled at 400 points from 5 Hz to 96 kHz, then designed through the generic pole set.
use loadline_core::catalog::headphone_models;
use loadline_core::dsp::design::{DesignMode, design};
use loadline_core::physics::impedance::MeasuredCurve;
use loadline_core::physics::source::TheveninSource;

fn main() {
    for mode in [DesignMode::Exact, DesignMode::ZeroLatency] {
        for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            for hp in headphone_models() {
                let curve = MeasuredCurve::sampled_from(&hp.load, 5.0, 96_000.0, 400);
                let mut worst = (0.0f64, 0.0f64);
                for r in [0.1, 10.0, 47.0, 150.0] {
                    for cap in [None, Some(10e-6), Some(470e-6)] {
                        let src = TheveninSource {
                            r_out_ohm: r,
                            coupling_cap_f: cap,
                        };
                        let d = design(&src, &curve, fs, mode).unwrap();
                        worst.0 = worst.0.max(d.check_err_db);
                        worst.1 = worst.1.max(d.check_err_deg);
                    }
                }
                println!(
                    "{mode:?} {fs} {:40} {:.4} dB {:.3} deg",
                    hp.name, worst.0, worst.1
                );
            }
        }
    }
}
