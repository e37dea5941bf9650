//! Files written whole or not at all.

use std::path::{Path, PathBuf};

/// Where a file is written before it takes its name: `NAME.partial` beside it.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    PathBuf::from(partial)
}

/// Writes `bytes` to `path` through [`partial_path`], renamed over `path` once whole: an
/// interrupted or failed write (a full disk, a crash) leaves what stood under the name as it
/// was, never half a file, and no partial file behind.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_through(&partial_path(path), path, bytes)
}

/// Writes `bytes` to `partial`, then renames it to `path`; removes `partial` if either fails.
fn write_through(partial: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let written = std::fs::write(partial, bytes).and_then(|()| std::fs::rename(partial, path));
    if written.is_err() {
        let _ = std::fs::remove_file(partial);
    }
    written
}

/// As [`write_whole`], through a partial file of this process and thread alone
/// (`NAME.PID-THREAD.partial`), for a file several writers may write at once: each writes the
/// whole file and renames it into place, so the name always holds one writer's whole file.
pub fn write_whole_shared(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(
        ".{}-{:?}.partial",
        std::process::id(),
        std::thread::current().id()
    ));
    write_through(&PathBuf::from(partial), path, bytes)
}
