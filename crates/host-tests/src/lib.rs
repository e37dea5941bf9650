//! The tests that load the bundled plugin in a real CLAP host live in `tests/` (`clap_host.rs`,
//! `reliability.rs`): they need the bundles that scripts/test.sh builds, and so they are a
//! crate of their own, outside the workspace's default members, which plain `cargo test`
//! neither builds nor runs (nor compiles clack-host for).
