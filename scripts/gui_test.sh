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

# The standalone as the README builds and runs it: its command read from README.md, built
# first (`cargo build` with the same flags) so that running it below is not timed by the build.
readme_standalone=$(bash scripts/readme.sh block loadline-standalone)
readme_standalone=${readme_standalone%$'\n'}
standalone_build=${readme_standalone%% -- *}
bash -c "${standalone_build/cargo run/cargo build}"

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

# The README's standalone command, as written, with an empty user catalog: it must open its
# window and keep running until it is stopped.
readme_config=$(mktemp -d)
echo "\$ $readme_standalone"
LOADLINE_CONFIG_DIR=$readme_config bash -c "exec $readme_standalone" >target/gui/readme-standalone.log 2>&1 &
readme_pid=$!
pids+=("$readme_pid")
window=0
for _ in $(seq 300); do
  kill -0 "$readme_pid" 2>/dev/null || break
  if xdotool search --onlyvisible --name Loadline >/dev/null 2>&1; then window=1; break; fi
  sleep 0.1
done
sleep 2
if [ "$window" = 0 ] || ! kill -0 "$readme_pid" 2>/dev/null; then
  echo "the README's standalone command opened no window within 30 s, or did not keep running:" >&2
  cat target/gui/readme-standalone.log >&2
  exit 1
fi
kill "$readme_pid"
wait "$readme_pid" 2>/dev/null || true
rm -rf "$readme_config"
echo "the README's standalone command opened its window and ran until stopped"

target/venv/bin/python -m pytest -q tests/editor_gui.py
