//! Prints the analytic `T(jω)·e^{-jωD}` for the VST3 host test (tests/vst3_host.py), so the
//! Python side compares against this crate's physics instead of a second implementation.
//!
//! Usage: `expected_response HEADPHONES Z_OUT_OHM RATE_HZ LATENCY_SAMPLES F1 F2 ...`
//! prints one line per frequency: `freq_hz re im`. HEADPHONES is a catalog index, or several
//! joined by `+` (the heard one first, then the others on its jack: "0+7").
use loadline_core::catalog::headphone_models;
use loadline_core::physics::source::TheveninSource;
use loadline_testkit::measure::delay_factor;

fn main() {
    let mut args = std::env::args().skip(1);
    let models = headphone_models();
    let mut on_jack = args
        .next()
        .expect("usage: HEADPHONES Z_OUT_OHM RATE_HZ LATENCY F...")
        .split('+')
        .map(|k| models[k.parse::<usize>().expect("a catalog index")].clone())
        .collect::<Vec<_>>();
    let heard = on_jack.remove(0);
    let hp = heard.sharing(&on_jack);
    let args: Vec<f64> = std::iter::once(0.0)
        .chain(args.map(|a| a.parse().expect("numeric arguments")))
        .collect();
    assert!(
        args.len() >= 5,
        "usage: HEADPHONES Z_OUT_OHM RATE_HZ LATENCY F..."
    );
    let src = TheveninSource {
        r_out_ohm: args[1],
        coupling_cap_f: None,
    };
    for &f in &args[4..] {
        let t = src.transfer(&hp.load, f) * delay_factor(args[3], f, args[2]);
        println!("{f} {} {}", t.re, t.im);
    }
}
