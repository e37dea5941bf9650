#!/usr/bin/env bash
# The editor, for real: the standalone build (nice-plug's `standalone` feature, dummy audio
# backend) under Xvfb with Mesa's software OpenGL, driven with xdotool into three states and
# screenshotted (xwd | xwdtopnm | pnmtopng) into target/gui/, each checked for rendered content;
# then the VST3 editor opened by pedalboard's show_editor() (needs a window manager and an
# XSETTINGS owner: openbox, xsettingsd), clicked, and the clicks checked in the host's parameters.
#
# Called by scripts/test.sh. Needs Debian's xvfb x11-apps netpbm xdotool openbox xsettingsd
# libgl1-mesa-dri and, to build the standalone, libasound2-dev libjack-jackd2-dev
# (scripts/system_deps.sh installs them as root, or says what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system_deps.sh

# The dev profile (optimised, as Cargo.toml sets it): test.sh has built it already with the
# debug bundle with logging, so this is a no-op there.
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
