//! Writes the factory's setups as VST3 presets (`.vstpreset`), one file per setup, into the
//! folder given (made if missing), for hosts to list once installed in
//! `~/.vst3/presets/Loadline/Loadline/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: loadline-vstpresets FOLDER");
        return ExitCode::from(2);
    };
    match loadline::presets::write_vstpresets(std::path::Path::new(&dir)) {
        Ok(written) => {
            println!(
                "{} VST3 presets in {}",
                written.len(),
                dir.to_string_lossy()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadline-vstpresets: {e}");
            ExitCode::FAILURE
        }
    }
}
