//! Any text as a user's catalog: it must be read or refused with problems at lines of the
//! file, never panic; a catalog read has no problem left, and every entry's model and stage
//! are finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadline_core::catalog::user::UserCatalog;
use loadline_core::physics::Impedance;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count().max(1);
    match UserCatalog::parse(Path::new("catalog.toml"), text) {
        Ok(catalog) => {
            assert!(catalog.problems().is_empty());
            for e in &catalog.outputs {
                let stage = e.entry.stage();
                assert!(stage.v_fs_peak.is_finite() && stage.source.r_out_ohm.is_finite());
            }
            for h in &catalog.headphones {
                let z = h.entry.load().z_ohm(1000.0);
                assert!(z.re.is_finite() && z.im.is_finite(), "{z}");
                let _ = catalog.model_problems();
            }
        }
        Err(loadline_core::catalog::user::UserCatalogError::Invalid { problems, .. }) => {
            assert!(!problems.is_empty());
            assert!(problems.iter().all(|p| p.line <= lines), "{problems:?}");
        }
        Err(other) => panic!("parsing text reads no file: {other}"),
    }
});
