#!/usr/bin/env bash
# Fuzzes with cargo-fuzz (libFuzzer) for SECONDS each (default 60) the targets named (default
# all three): parse_impedance (impedance files), user_catalog (the user's catalog file) and
# wav_reader (WAV files), each starting from its seed corpus in fuzz/corpus/TARGET.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET ...]
#
# Installs cargo-fuzz with `cargo install` if it is missing. libFuzzer's instrumentation needs
# nightly flags: a nightly toolchain is used when rustup has one, otherwise the stable one with
# RUSTC_BOOTSTRAP=1. No sanitizer (the code is safe Rust; panics are what is looked for).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse_impedance user_catalog wav_reader)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  run=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  run=(cargo fuzz)
fi
for target in "${targets[@]}"; do
  # Work on a copy of the seeds: libFuzzer adds what it finds to its corpus directory.
  corpus="target/fuzz-corpus/$target"
  mkdir -p "$corpus"
  cp "fuzz/corpus/$target"/* "$corpus/"
  "${run[@]}" run --sanitizer none "$target" "$corpus" \
    -- -max_total_time="$seconds" -max_len=16384 -timeout=5
done
