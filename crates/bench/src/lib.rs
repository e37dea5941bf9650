//! Loadline's criterion benchmarks live in `benches/` (`bash scripts/bench.sh` runs them and
//! writes docs/performance.md). They are a crate of their own, outside the workspace's
//! default members, so that plain `cargo test` does not compile criterion and its tree.
