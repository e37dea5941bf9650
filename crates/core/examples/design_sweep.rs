//! Prints the design's worst error per sample rate, mode and headphone.
use loadline_core::catalog::headphone_models;
use loadline_core::dsp::design::{DesignMode, design};
use loadline_core::physics::source::TheveninSource;
use loadline_core::units::gain_to_db;

fn main() {
    let rates = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0];
    for mode in [DesignMode::Exact, DesignMode::ZeroLatency] {
        for fs in rates {
            for hp in headphone_models() {
                let mut worst = (0.0f64, 0.0f64, String::new(), 0.0f64, 0.0f64, 0.0f64);
                for r in [0.1, 1.0, 3.3, 10.0, 33.0, 75.0, 150.0] {
                    for cap in [None, Some(10e-6), Some(47e-6), Some(470e-6)] {
                        let src = TheveninSource {
                            r_out_ohm: r,
                            coupling_cap_f: cap,
                        };
                        let d = design(&src, &hp.load, fs, mode).unwrap();
                        if d.check_err_db > worst.0 || d.check_err_deg > worst.1 {
                            worst.2 = format!("R={r} C={cap:?} n_sec={}", d.n_sections);
                        }
                        worst.3 = worst.3.max(d.max_coefficient());
                        worst.5 = worst.5.max(d.check_err_current_db);
                        worst.4 = worst.4.max(
                            d.max_gain_above(20_000.0f64.min(fs * 0.45))
                                / src.transfer(&hp.load, 20_000.0f64.min(fs * 0.45)).norm(),
                        );
                        worst.0 = worst.0.max(d.check_err_db);
                        worst.1 = worst.1.max(d.check_err_deg);
                    }
                }
                println!(
                    "{mode:?} {fs} {:40} {:.4} dB {:.3} deg  ({}) max|coef| {:.3e} us-gain {:.1} dB current {:.4} dB",
                    hp.name,
                    worst.0,
                    worst.1,
                    worst.2,
                    worst.3,
                    gain_to_db(worst.4),
                    worst.5
                );
            }
        }
    }
}
