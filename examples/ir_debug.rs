use loadline::dsp::design::{DesignMode, design};
use loadline::dsp::engine::Engine;
use loadline::physics::headphones::builtin;
use loadline::physics::source::TheveninSource;
fn main() {
    let hp = &builtin()[1];
    for (fs, mode) in [
        (44_100.0, DesignMode::Exact),
        (48_000.0, DesignMode::ZeroLatency),
        (96_000.0, DesignMode::ZeroLatency),
    ] {
        let d = design(
            &TheveninSource {
                r_out_ohm: 47.0,
                coupling_cap_f: None,
            },
            &hp.load,
            fs,
            mode,
        )
        .unwrap();
        println!(
            "{fs} {mode:?} lat {} err {:.4} dB {:.3} deg nfir {} nsec {}",
            d.latency_samples, d.check_err_db, d.check_err_deg, d.n_fir, d.n_sections
        );
        println!("fir {:?}", &d.fir[..d.n_fir]);
        let mut e = Engine::new(1, d);
        let mut x = vec![0.0f32; 64];
        x[0] = 1.0;
        e.process(&mut [&mut x]);
        println!("ir {:?}", &x[..20]);
    }
}
