//! Any bytes into the impedance-file parser: it must return a curve or an error, never panic
//! or hang, and a curve it returns must give finite impedances everywhere.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadline_core::import::parse_impedance_bytes;
use loadline_core::physics::Impedance;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = parse_impedance_bytes(data) {
        for f in [1.0, 20.0, 1000.0, 20_000.0, 1e6] {
            let z = c.curve.z_ohm(f);
            assert!(z.re.is_finite() && z.im.is_finite(), "{f} Hz: {z}");
            assert!(z.re >= -1e-9 * z.norm(), "{f} Hz: not passive: {z}");
        }
    }
});
