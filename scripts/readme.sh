#!/usr/bin/env bash
# The README's commands, read from README.md itself so that what a newcomer is told to type and
# what the test command runs cannot drift apart.
#
#   bash scripts/readme.sh block WORDS   prints the one ```sh block of README.md holding WORDS
#   bash scripts/readme.sh check         fails unless every ```sh block is one the test command
#                                        runs (a new block must be added to the list below)
#   bash scripts/readme.sh build         runs the README's build command (the plugin's bundles)
#   bash scripts/readme.sh install       runs its install lines into a scratch HOME and checks
#                                        the bundles arrive there whole
#   bash scripts/readme.sh cli           runs its command-line examples and checks what they
#                                        print and write
#
# The standalone's command is run by scripts/gui_test.sh, which has a display for it.
set -euo pipefail
cd "$(dirname "$0")/.."

# What identifies each block the test command runs, with the part of it that runs the block.
KNOWN_BLOCKS=(
  "xtask bundle"          # build
  "cp target/bundled"     # install
  "-- report --output"     # cli
  "scripts/test.sh"       # the test command itself: it is what is running
  "loadline-standalone"   # the standalone (scripts/gui_test.sh)
)

# Every ```sh block of README.md, each as one line-joined string ending in a NUL.
blocks() {
  awk '/^```sh$/ { inside = 1; text = ""; next }
       /^```$/ && inside { inside = 0; printf "%s%c", text, 0; next }
       inside { text = text $0 "\n" }' README.md
}

block() {
  local words=$1 found=() text
  while IFS= read -r -d '' text; do
    if [[ $text == *"$words"* ]]; then found+=("$text"); fi
  done < <(blocks)
  if [ "${#found[@]}" != 1 ]; then
    echo "README.md: ${#found[@]} \`\`\`sh blocks hold '$words', not one" >&2
    exit 1
  fi
  printf '%s' "${found[0]}"
}

check() {
  local text words known count=0
  while IFS= read -r -d '' text; do
    count=$((count + 1))
    known=0
    for words in "${KNOWN_BLOCKS[@]}"; do
      if [[ $text == *"$words"* ]]; then known=1; fi
    done
    if [ "$known" = 0 ]; then
      printf 'README.md has a command the test command does not run:\n%s' "$text" >&2
      echo "(add it to KNOWN_BLOCKS in scripts/readme.sh, and run it)" >&2
      exit 1
    fi
  done < <(blocks)
  echo "README.md: $count command blocks, each run by the test command"
}

run_block() {
  local text
  text=$(block "$1")
  printf '$ %s\n' "${text//$'\n'/$'\n'$ }"
  bash -euo pipefail -c "$text"
}

install() {
  local home
  home=$(mktemp -d)
  trap 'rm -rf "$home"' RETURN
  HOME=$home run_block "cp target/bundled"
  cmp target/bundled/Loadline.clap "$home/.clap/Loadline.clap"
  diff -r target/bundled/Loadline.vst3 "$home/.vst3/Loadline.vst3"
  diff -r target/bundled/presets "$home/.vst3/presets/Loadline/Loadline"
  echo "installed whole: $home/.clap/Loadline.clap, $home/.vst3/Loadline.vst3, and" \
    "$(ls target/bundled/presets | wc -l) VST3 presets in $home/.vst3/presets/Loadline/Loadline"
}

cli() {
  local out
  rm -f target/demo.A.wav target/demo.B.wav
  out=$(run_block "-- report --output")
  printf '%s\n' "$out"
  # The report's verdict and the render's two files, as the README says they come out.
  grep -q "verdict" <<<"$out" || { echo "the README's report printed no verdict" >&2; exit 1; }
  for wav in target/demo.A.wav target/demo.B.wav; do
    [ -s "$wav" ] || { echo "the README's render wrote no $wav" >&2; exit 1; }
  done
  echo "the README's examples: a verdict printed, target/demo.A.wav and target/demo.B.wav written"
}

case "${1:-}" in
  block) block "${2:?usage: readme.sh block WORDS}" ;;
  check) check ;;
  build) check && run_block "xtask bundle" ;;
  install) install ;;
  cli) cli ;;
  *) echo "usage: readme.sh block WORDS | check | build | install | cli" >&2; exit 2 ;;
esac
