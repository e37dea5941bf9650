//! What the commands write: text and JSON on standard output, and files.
//!
//! Every command prints and writes through these helpers, so that a closed pipe, a file that
//! cannot be written and an output path that is the input file are handled the same way
//! everywhere; `main.rs` keeps only the command line and the catalog.

use anyhow::{Context, bail};
use std::path::Path;

/// Prints `text` and a newline on stdout. A closed pipe (`| head`) ends the program quietly,
/// as for any Unix filter; other write errors are reported.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing to stdout: {e}");
            std::process::exit(1);
        }
        std::process::exit(0);
    }
}

/// Serialises to pretty JSON.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)?)
}

/// Writes a file (standard output for `-`), naming it in the error, and on stderr once it is
/// written.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        use std::io::Write;
        return std::io::stdout()
            .write_all(bytes)
            .context("cannot write to stdout");
    }
    loadline_core::files::write_whole(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("{}: {} bytes", path.display(), bytes.len());
    Ok(())
}

/// Refuses to write `target` when it is the file `input` names: a command never replaces what
/// it reads.
pub(crate) fn refuse_overwriting(target: &Path, input: &Path) -> anyhow::Result<()> {
    let same = match (target.canonicalize(), input.canonicalize()) {
        (Ok(t), Ok(i)) => t == i,
        _ => false,
    };
    if same {
        bail!(
            "{}: that is the input file, which is never overwritten; give another output path",
            target.display()
        );
    }
    Ok(())
}
