#!/usr/bin/env bash
# Regenerates the screenshots in docs/screenshots/ from the editor tests, so that the docs show
# what the editor draws today: runs scripts/gui_test.sh (the standalone and pedalboard's VST3
# editor under Xvfb), then copies the screenshots the docs use from target/gui/.
#
#   bash scripts/screenshots.sh            (builds the release bundles first if they are missing)
#
# Review the result with `git diff --stat docs/screenshots` and by looking at the pictures, then
# commit them. Needs what scripts/test.sh needs (it installs the same Debian packages and venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each screenshot of the docs, and the editor test's screenshot it is.
SHOTS=(
  "1-dt990-600-on-a-laptop-jack 1-dt990-600-on-a-laptop-jack"
  "2-planar-on-a-distribution-amp-clipping 2-planar-on-a-distribution-amp-clipping"
  "3-iem-with-a-coupling-capacitor 3-iem-with-a-coupling-capacitor"
  "4-vst3-editor-in-pedalboard 4-vst3-editor-in-pedalboard"
  "5-tooltip 0-tooltip-damping-factor"
  "6-your-devices 6-custom-a-saved-as-yours"
  "7-shared-jack 7-two-pairs-on-the-jack"
  "8-chain 8-chain"
  "9-own-outputs 9-own-outputs"
)

if [ ! -x target/venv/bin/python ]; then
  python3 -m venv target/venv
fi
target/venv/bin/python -m pip install -q --disable-pip-version-check -r tests/requirements.txt
if [ ! -d target/bundled/Loadline.vst3 ]; then
  bash scripts/readme.sh build
fi
rm -rf target/gui
bash scripts/gui_test.sh

for shot in "${SHOTS[@]}"; do
  read -r doc test <<<"$shot"
  cp "target/gui/$test.png" "docs/screenshots/$doc.png"
  echo "docs/screenshots/$doc.png <- target/gui/$test.png"
done
