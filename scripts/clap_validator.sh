#!/usr/bin/env bash
# Runs clap-validator, the CLAP project's own validator, on a CLAP bundle: `validate` (every
# test must pass; the skipped ones are listed in docs/testing.md) and then `fuzz` for a while.
#
#   bash scripts/clap_validator.sh BUNDLE.clap [FUZZ_SECONDS]     (default: 60 s of fuzzing)
#
# Where the validator comes from, in this order (the script says which it used):
# 1. the source beside this repository in ../shared/tools (built with crates.io dependencies
#    only, into target/clap-validator);
# 2. a `clap-validator` on PATH;
# 3. otherwise it installs one the way plugin developers do, `cargo install --git` of the
#    free-audio repository into target/clap-validator-install (this needs internet access).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:?usage: clap_validator.sh BUNDLE.clap [FUZZ_SECONDS]}
fuzz_seconds=${2:-60}

shared_build=../shared/tools/build-clap-validator.sh
if [ -f "$shared_build" ]; then
  echo "clap-validator: built from ../shared/tools/clap-validator"
  validator=$(bash "$shared_build" "$PWD/target/clap-validator")
elif command -v clap-validator >/dev/null; then
  validator=$(command -v clap-validator)
  echo "clap-validator: the one on PATH ($validator)"
else
  echo "clap-validator: none here; installing it with cargo install --git (needs internet)"
  cargo install --locked --git https://github.com/free-audio/clap-validator \
    --root target/clap-validator-install clap-validator
  validator=target/clap-validator-install/bin/clap-validator
fi

# The validator wipes "$XDG_RUNTIME_DIR/clap-validator" on every run: give it a directory of
# its own.
runtime=$(mktemp -d)
trap 'rm -rf "$runtime"' EXIT
export XDG_RUNTIME_DIR=$runtime

echo "clap-validator validate $bundle"
"$validator" validate "$bundle" | tee target/clap-validator-validate.log
echo "clap-validator fuzz for ${fuzz_seconds} s"
"$validator" fuzz --duration "${fuzz_seconds}s" "$bundle" 2>&1 | tee target/clap-validator-fuzz.log
