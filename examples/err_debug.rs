use loadline::dsp::design::{DesignMode, design};
use loadline::physics::headphones::builtin;
use loadline::physics::source::TheveninSource;
fn main() {
    let hp = &builtin()[2];
    let src = TheveninSource {
        r_out_ohm: 150.0,
        coupling_cap_f: Some(1e-5),
    };
    let fs = 192_000.0;
    let d = design(&src, &hp.load, fs, DesignMode::ZeroLatency).unwrap();
    println!(
        "err {:.4} {:.3}  fir {:?}",
        d.check_err_db,
        d.check_err_deg,
        &d.fir[..d.n_fir]
    );
    println!("sections {:?}", &d.sections[..d.n_sections]);
    for f in [
        20.0, 30.0, 50.0, 100.0, 1000.0, 10000.0, 20000.0, 40000.0, 80000.0,
    ] {
        let r = d.response(f) / src.transfer(&hp.load, f);
        println!(
            "{f:8} T={:.4} err {:.4} dB {:.3} deg",
            src.transfer(&hp.load, f).norm(),
            20.0 * r.norm().log10(),
            r.arg().to_degrees()
        );
    }
}
