//! Writes the test kit's loopback recordings of the measuring signal at 48 kHz into a
//! directory (`open.wav`, `loaded.wav`, `floor.wav`), for the VST3 host test, which measures
//! them with the command line.
//!
//! Usage: `loopback DIR`; prints the input's full scale as `--input-full-scale-dbu` takes it.

fn main() {
    let dir = std::env::args().nth(1).expect("usage: loopback DIR");
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).expect("the directory");
    let (played, _) = loadline_core::measure::signal::signal(48_000.0);
    loadline_testkit::loopback::write_recordings(dir, &played, 48_000.0).expect("the WAVs");
    println!("{:.4}", loadline_testkit::loopback::input_full_scale_dbu());
}
