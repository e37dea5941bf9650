#!/usr/bin/env bash
# Runs the criterion benchmarks and writes docs/performance.md from their results.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p loadline-bench --bench engine -- --warm-up-time 2 --measurement-time 4
python3 scripts/perf_table.py
echo "wrote docs/performance.md"
