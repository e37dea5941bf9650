//! Prints the analytic `T(jω)·e^{-jωD}` for the VST3 host test (tests/vst3_host.py), so the
//! Python side compares against this crate's physics instead of a second implementation.
//!
//! Usage: `expected_response HEADPHONE_INDEX Z_OUT_OHM RATE_HZ LATENCY_SAMPLES F1 F2 ...`
//! prints one line per frequency: `freq_hz re im`.
use loadline_core::catalog::headphone_models;
use loadline_core::physics::source::TheveninSource;
use loadline_testkit::measure::delay_factor;

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numeric arguments"))
        .collect();
    assert!(
        args.len() >= 5,
        "usage: HEADPHONE Z_OUT_OHM RATE_HZ LATENCY F..."
    );
    let hp = &headphone_models()[args[0] as usize];
    let src = TheveninSource {
        r_out_ohm: args[1],
        coupling_cap_f: None,
    };
    for &f in &args[4..] {
        let t = src.transfer(&hp.load, f) * delay_factor(args[3], f, args[2]);
        println!("{f} {} {}", t.re, t.im);
    }
}
