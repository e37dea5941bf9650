#!/usr/bin/env bash
# The Debian packages the editor tests, the standalone build and the Ardour test need: an X
# server, a window manager and an XSETTINGS owner, screenshot and input tools, Mesa's software
# OpenGL, the ALSA/JACK headers, and Ardour 7 (headless through ardour7-lua: about 90 packages,
# 215 MB). Installs the missing ones with apt-get when running as root; otherwise names them
# and fails.
set -euo pipefail
packages=(xvfb x11-apps netpbm xdotool openbox xsettingsd libgl1-mesa-dri libasound2-dev libjack-jackd2-dev ardour)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "The editor tests need Debian packages: ${missing[*]} (install them, or run as root)." >&2
  exit 1
fi
