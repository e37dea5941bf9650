#!/usr/bin/env bash
# The editor, for real: the standalone build (nice-plug's `standalone` feature, dummy audio
# backend) under Xvfb with Mesa's software OpenGL, driven with xdotool into three states and
# screenshotted (xwd | xwdtopnm | pnmtopng) into target/gui/, each checked for rendered content;
# then the VST3 editor opened by pedalboard's show_editor() (needs a window manager and an
# XSETTINGS owner: openbox, xsettingsd), clicked, and the clicks checked in the host's parameters.
#
# Called by scripts/test.sh. Needs Debian's xvfb x11-apps netpbm xdotool openbox xsettingsd
# libgl1-mesa-dri and, to build the standalone, libasound2-dev libjack-jackd2-dev: installed with
# apt-get when running as root, otherwise it says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(xvfb x11-apps netpbm xdotool openbox xsettingsd libgl1-mesa-dri libasound2-dev libjack-jackd2-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "The editor test needs Debian packages: ${missing[*]} (install them, or run as root)." >&2
    exit 1
  fi
fi

# The dev profile (optimised, as Cargo.toml sets it) shares its dependencies with the debug
# bundles built before; a release build would compile them all again.
cargo build --features standalone --bin loadline-standalone

export DISPLAY=:97
export LIBGL_ALWAYS_SOFTWARE=1
mkdir -p target/gui
Xvfb "$DISPLAY" -screen 0 1280x860x24 -nolisten tcp >target/gui/xvfb.log 2>&1 &
xvfb=$!
pids=("$xvfb")
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

# pedalboard's show_editor() needs a window manager and an XSETTINGS owner; the standalone is
# driven under the same ones.
printf 'Xft/DPI 98304\nNet/ThemeName "Adwaita"\n' >target/gui/xsettingsd.conf
xsettingsd -c target/gui/xsettingsd.conf >target/gui/xsettingsd.log 2>&1 &
pids+=($!)
openbox >target/gui/openbox.log 2>&1 &
pids+=($!)
sleep 1
target/venv/bin/python -m pytest -q tests/editor_gui.py
