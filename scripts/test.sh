#!/usr/bin/env bash
# Runs every test of Loadline: unit and accuracy tests, the CLAP host tests (clack-host) against
# the release bundle and against a debug bundle that aborts on any allocation in process(), and
# the VST3 host tests (pedalboard, in a venv under target/).
#
# Needs: Rust (cargo) and Python 3. Installs the Python packages in tests/requirements.txt into
# target/venv; if Python's venv module is missing and this runs as root, installs Debian's
# python3-venv with apt-get (otherwise it says what to install). The editor tests
# (scripts/gui_test.sh) install Debian's X server, window manager, screenshot tools and the
# standalone's ALSA/JACK headers the same way.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says how long the run has taken so far (the suite should stay under 25 minutes).
step() { printf '\n==> [%d s] %s\n' "$SECONDS" "$*"; }

step "Python venv for the VST3 host test (target/venv)"
if [ ! -x target/venv/bin/python ]; then
  mkdir -p target
  if ! python3 -m venv target/venv 2>/dev/null; then
    rm -rf target/venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      python3 -m venv target/venv
    else
      echo "Python's venv module is missing: install python3-venv (Debian/Ubuntu) and rerun." >&2
      exit 1
    fi
  fi
fi
target/venv/bin/python -m pip install -q --disable-pip-version-check -r tests/requirements.txt

step "Debian packages for the editor tests and the standalone (scripts/system_deps.sh)"
bash scripts/system_deps.sh

step "Debug bundle with assert_process_allocs (any allocation in process() aborts)"
cargo xtask bundle loadline --no-default-features --features assert_process_allocs
mkdir -p target/alloc-check
cp target/bundled/Loadline.clap target/alloc-check/Loadline.clap

step "Debug bundle with logging (for the unreadable-state warning)"
cargo xtask bundle loadline
mkdir -p target/log-check
cp target/bundled/Loadline.clap target/log-check/Loadline.clap

step "Release bundles with the README's build command, installed by its lines into a scratch HOME"
bash scripts/readme.sh build
bash scripts/readme.sh install

step "The README's command-line examples"
bash scripts/readme.sh cli

step "clap-validator on the release bundle: validate (no failures), then fuzz for 60 s"
bash scripts/clap_validator.sh target/bundled/Loadline.clap 60

step "Unit, accuracy, command-line and CLAP host tests (release bundle)"
# Every target but the benchmarks (`bash scripts/bench.sh` runs those; CI's clippy compiles
# them), with the tests plain `cargo test` leaves out (they need the bundles, or take minutes).
# The tests that load the bundle (crates/host-tests, which plain `cargo test` leaves out) run
# here against the release bundle.
cargo test --workspace --exclude xtask --exclude loadline-bench --lib --bins --tests --examples \
  -- --include-ignored
# The examples in the documentation (the units, among others).
cargo test --workspace --exclude xtask --exclude loadline-bench --doc

step "CLAP host, reliability and preset tests against the allocation-checking bundle"
# The same package set as above, so that cargo reuses the test builds (with `-p loadline` alone
# the features unify differently, and the plugin's library would be compiled again).
host_tests=(cargo test --workspace --exclude xtask --exclude loadline-bench)
LOADLINE_CLAP="$PWD/target/alloc-check/Loadline.clap" "${host_tests[@]}" --test clap_host --test reliability \
  --test presets -- --include-ignored

step "Unreadable state is logged (debug bundle with logging)"
rm -f target/log-check/nice.log
NICE_LOG="$PWD/target/log-check/nice.log" LOADLINE_CLAP="$PWD/target/log-check/Loadline.clap" \
  "${host_tests[@]}" --test reliability corrupt -- --include-ignored
# The reliability suite feeds the plugin unreadable state: nice-plug refuses it (the test checks
# that the defaults stay) and, in a debug build, logs why. Release builds of nice-plug 0.4 only
# return the failure to the host.
if ! grep -q "Error while deserializing state" target/log-check/nice.log; then
  echo "no warning about the unreadable state in target/log-check/nice.log" >&2
  exit 1
fi
echo "unreadable state was logged: $(grep -c 'Error while deserializing state' target/log-check/nice.log) warnings"

step "VST3 host tests (pedalboard)"
# The physics the VST3 test compares against, in the dev profile (optimised, and its
# dependencies are built by now: a few seconds, where a release build with LTO takes a minute).
cargo build -p loadline-core --example expected_response
# The loopback recordings the measured output's round trip starts from.
cargo build -p loadline-testkit --example loopback
target/venv/bin/python -m pytest -q tests/vst3_host.py

step "Ardour 7, headless: the VST3 set by name, exported, saved, reopened (tests/ardour/)"
bash tests/ardour/run.sh target/bundled/Loadline.vst3 target/debug/loadline target/ardour

step "Editor tests: the standalone and the VST3 editor under Xvfb (screenshots in target/gui/)"
bash scripts/gui_test.sh
step "Done"
