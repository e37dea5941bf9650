#!/usr/bin/env bash
# Fuzzes the impedance-file parser with cargo-fuzz (libFuzzer) for SECONDS (default 60),
# starting from the seed corpus in fuzz/corpus/parse_impedance.
#
#   bash scripts/fuzz.sh [SECONDS]
#
# Installs cargo-fuzz with `cargo install` if it is missing. libFuzzer's instrumentation needs
# nightly flags: a nightly toolchain is used when rustup has one, otherwise the stable one with
# RUSTC_BOOTSTRAP=1. No sanitizer (the parser is safe Rust; panics are what is looked for).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  run=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  run=(cargo fuzz)
fi
# Work on a copy of the seeds: libFuzzer adds what it finds to its corpus directory.
mkdir -p target/fuzz-corpus
cp fuzz/corpus/parse_impedance/* target/fuzz-corpus/
"${run[@]}" run --sanitizer none parse_impedance target/fuzz-corpus \
  -- -max_total_time="$seconds" -max_len=4096 -timeout=5
