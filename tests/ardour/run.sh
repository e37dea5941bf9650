#!/usr/bin/env bash
# Headless Ardour 7 test of the Loadline VST3: scan the bundle, build a session on the Dummy
# backend at 48 kHz (a stereo track: a Lua tone generator, then Loadline), set parameters by
# name, capture its output, save, reopen, read the parameters back, capture again, and compare
# the levels
# with the physics (`loadline response`) within 0.05 dB.
#
# Usage: bash tests/ardour/run.sh BUNDLE.vst3 LOADLINE_CLI [WORK_DIR]
#   BUNDLE.vst3   the bundle to test (copied to WORK_DIR/vst3, which becomes VST3_PATH)
#   LOADLINE_CLI  the `loadline` binary (target/debug/loadline) for the expected levels
#   WORK_DIR      where the session, captures and logs go (default: a fresh mktemp -d)
# Needs Debian's ardour (scripts/system_deps.sh installs it).
# Env: ARDOUR_ZOUT (default 47), ARDOUR_HEADPHONE (default "Audio-Technica ATH-M50x").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bundle="$(realpath "${1:?usage: $0 BUNDLE.vst3 LOADLINE_CLI [WORK_DIR]}")"
cli="$(realpath "${2:?usage: $0 BUNDLE.vst3 LOADLINE_CLI [WORK_DIR]}")"
work="${3:-$(mktemp -d /tmp/loadline-ardour.XXXXXX)}"
zout="${ARDOUR_ZOUT:-47}"
headphone="${ARDOUR_HEADPHONE:-Audio-Technica ATH-M50x}"
seconds=3
scanner=/usr/lib/ardour7/ardour-vst3-scanner

[ -d "$bundle" ] || { echo "no VST3 bundle at $bundle" >&2; exit 1; }
[ -x "$cli" ] || { echo "no loadline CLI at $cli" >&2; exit 1; }

# Debian 12's ardour (7.3, about 90 packages and 215 MB) brings ardour7-lua and the scanner.
if ! command -v ardour7-lua >/dev/null || [ ! -x "$scanner" ]; then
  echo "The Ardour test needs Debian's ardour (bash scripts/system_deps.sh installs it)." >&2
  exit 1
fi

mkdir -p "$work"
work="$(realpath "$work")"
rm -rf "$work/home" "$work/session" "$work/capture"
mkdir -p "$work/home" "$work/capture"

# A private HOME: Ardour's config (~/.config/ardour7), scan cache (~/.cache/ardour7/vst) and
# blacklist live there, so nothing from the machine's user leaks in and nothing is left behind.
export HOME="$work/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" XDG_DATA_HOME="$HOME/.local/share"
unset DISPLAY WAYLAND_DISPLAY
# Test a private copy: the build may overwrite the original, and VST3_PATH then holds this
# bundle only. Its files are dated 10 s back: Ardour takes the scan cache as valid only when
# the module is strictly older than the cache file (whole seconds), and the scanner dates the
# cache max(module, now), so a module copied within the same second would read as stale
# (scan log: scan-result="2", "Updated") and headless Ardour would not list the plugin.
mkdir -p "$work/vst3"
rm -rf "$work/vst3/$(basename "$bundle")"
cp -r "$bundle" "$work/vst3/"
bundle="$work/vst3/$(basename "$bundle")"
find "$bundle" -exec touch -h -d "@$(( $(date +%s) - 10 ))" {} +
# Ardour only reads VST3_PATH on its first start (it then keeps plugin-path-vst3 in its
# config); with a fresh HOME that is this run.
export VST3_PATH="$work/vst3"
mkdir -p "$HOME/.config/ardour7/scripts"
cp "$here/tones.lua" "$here/probe.lua" "$HOME/.config/ardour7/scripts/"

ms() { date +%s%3N; }

# Headless Ardour never scans: it reads the cache the scanner writes, keyed by the module's
# path (BUNDLE/Contents/x86_64-linux/Loadline.so), so scan exactly the bundle VST3_PATH holds.
t0=$(ms)
LD_LIBRARY_PATH=/usr/lib/ardour7 timeout 120 "$scanner" -f -v "$bundle" >"$work/scan.log" 2>&1 || {
  cat "$work/scan.log" >&2; echo "ardour-vst3-scanner failed" >&2; exit 1; }
cache=$(find "$HOME/.cache/ardour7" -name '*.v3i' | head -n 1)
[ -n "$cache" ] || { cat "$work/scan.log" >&2; echo "the scanner wrote no .v3i cache" >&2; exit 1; }
echo "scan: $(( $(ms) - t0 )) ms, cache $cache"

# The headphone's list index, by name, from the CLI (the plugin's list is the catalog's order).
hp_index=$("$cli" list headphones --json | python3 -c '
import json, sys
names = [h["name"] for h in json.load(sys.stdin)]
print(names.index(sys.argv[1]))' "$headphone")

# Parameter names as the plugin declares them; values in the host's (plain) units.
params=(
  "Output A=0"              # Custom: slot A's own figures
  "Heard=0"                 # A
  "A output impedance=$zout"
  "A coupling capacitor=0"
  "Headphone=$hp_index"
  "Mode=1"                  # Exact (12 samples; 8 above 60 kHz)
  "Level match=0"
  "Output limits=0"
  "Output noise=0"
  "Level mode=0"            # Volume
  "Volume=0"
  "Bypass=0"
  # Not heard in this setup, but saved: non-default values that must survive the reopen.
  "Output B=5"
  "B output impedance=120"
  "A coupling capacitor value=470"
  "Target SPL=90"
  # Set and saved at once (no audio processed in between): the saved state must have it.
  "!B full-scale level=4"
)
names=()
for p in "${params[@]}"; do p=${p#!}; names+=("${p%%=*}"); done

# Runs one step of session.lua (its log in WORK_DIR/STEP.log), timed; fails the test if it does.
run_step() {
  local step=$1 what=$2
  shift 2
  local t0 rc
  t0=$(ms)
  set +e
  timeout 180 ardour7-lua "$here/session.lua" "$step" "$work/session" loadline "$work/capture" \
    "$seconds" "$@" </dev/null 2>&1 | tee "$work/$step.log"
  rc=${PIPESTATUS[0]}
  set -e
  echo "$what: $(( $(ms) - t0 )) ms (exit $rc)"
  [ "$rc" = 0 ] || { echo "ardour7-lua $step failed" >&2; exit 1; }
}

run_step create "create+capture+save" "${params[@]}"
run_step reopen "reopen+capture" "${names[@]}"

grep -q '<Processor [^>]*name="Loadline"[^>]*type="vst3"' "$work/session/loadline.ardour" || {
  echo "the saved session holds no VST3 processor" >&2; exit 1; }

check_args=()
for p in "${params[@]}"; do check_args+=(--param "${p#!}"); done
cat "$work/create.log" "$work/reopen.log" >"$work/ardour.log"
python3 "$here/check.py" --log "$work/ardour.log" --captures "$work/capture" \
  --cli "$cli" --zout "$zout" --headphone "$headphone" "${check_args[@]}"
