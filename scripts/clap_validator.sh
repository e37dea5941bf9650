#!/usr/bin/env bash
# Runs clap-validator, the CLAP project's own validator, on a CLAP bundle: `validate` (every
# test must pass, and exactly the tests in tests/clap_validator_skips.txt may be skipped) and
# then `fuzz` for a while.
#
#   bash scripts/clap_validator.sh BUNDLE.clap [FUZZ_SECONDS]     (default: 60 s of fuzzing)
#
# Where the validator comes from, in this order (the script says which it used):
# 1. the program named by the environment variable CLAP_VALIDATOR;
# 2. a `clap-validator` on PATH;
# 3. one an earlier run installed into target/clap-validator-install;
# 4. where its repository can be reached, `cargo install --git` of the free-audio repository
#    into target/clap-validator-install, the way plugin developers install it.
# With none of these, it prints one line saying that the validator was skipped and how to
# install it, and exits 0: the other hosts still test the bundle. Set
# LOADLINE_REQUIRE_CLAP_VALIDATOR=1 to make that a failure instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:?usage: clap_validator.sh BUNDLE.clap [FUZZ_SECONDS]}
fuzz_seconds=${2:-60}

repository=https://github.com/free-audio/clap-validator
installed=target/clap-validator-install/bin/clap-validator

if [ -n "${CLAP_VALIDATOR:-}" ]; then
  if [ ! -x "$CLAP_VALIDATOR" ]; then
    echo "clap-validator: CLAP_VALIDATOR=$CLAP_VALIDATOR is not an executable file" >&2
    exit 1
  fi
  validator=$CLAP_VALIDATOR
  echo "clap-validator: the one CLAP_VALIDATOR names ($validator)"
elif command -v clap-validator >/dev/null; then
  validator=$(command -v clap-validator)
  echo "clap-validator: the one on PATH ($validator)"
elif [ -x "$installed" ]; then
  validator=$installed
  echo "clap-validator: the one an earlier run installed ($validator)"
elif timeout 20 git ls-remote --exit-code "$repository" HEAD >/dev/null 2>&1; then
  echo "clap-validator: none here; installing it with cargo install --git $repository"
  cargo install --locked --git "$repository" --root target/clap-validator-install clap-validator
  validator=$installed
else
  # One line, loud enough to find in a long log, that says what was not run and how to run it.
  echo "!!!!! SKIPPED: clap-validator is not installed and $repository cannot be reached;" \
    "install it (cargo install --git $repository clap-validator) or name it in CLAP_VALIDATOR," \
    "then rerun. The other hosts still tested the bundle. !!!!!"
  if [ "${LOADLINE_REQUIRE_CLAP_VALIDATOR:-0}" = 1 ]; then
    exit 1
  fi
  exit 0
fi

# The validator wipes "$XDG_RUNTIME_DIR/clap-validator" on every run: give it a directory of
# its own.
runtime=$(mktemp -d)
trap 'rm -rf "$runtime"' EXIT
export XDG_RUNTIME_DIR=$runtime
# The plugin writes its factory setups as preset files beside the user's catalog the first time
# a host lists its presets; keep that, and the user's own setups, out of the runner's home. One
# setup of the user's (a factory one under a name of its own) has the validator crawl and load
# the user's folder too.
config=target/clap-validator-config
rm -rf "$config"
mkdir -p "$config/setups"
printf '%s\n' 'name = "My own"' 'heard = "b"' \
  '[a]' 'output = { name = "Scarlett 2i2 4th gen" }' \
  '[b]' 'output = { name = "Magni 2" }' \
  '[headphone]' 'name = "HD 600"' \
  '[level]' 'target_spl_db = 85.0' >"$config/setups/my-own.toml"
export LOADLINE_CONFIG_DIR=$PWD/$config

mkdir -p target
echo "clap-validator validate $bundle"
# The JSON report names each test, so the check below can hold the skipped ones to their list;
# the validator's own exit status is checked after the report is read, so a failure is shown.
validate_status=0
"$validator" validate --json "$bundle" >target/clap-validator-validate.json || validate_status=$?
python3 scripts/check_validator.py target/clap-validator-validate.json tests/clap_validator_skips.txt
if [ "$validate_status" != 0 ]; then
  echo "clap-validator validate exited with $validate_status" >&2
  exit 1
fi
echo "clap-validator fuzz for ${fuzz_seconds} s"
"$validator" fuzz --duration "${fuzz_seconds}s" "$bundle" 2>&1 | tee target/clap-validator-fuzz.log
