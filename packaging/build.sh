#!/usr/bin/env bash
# Build the one-file `kiosk` binary from kiosk.spec (SPEC §7).
#
#   packaging/build.sh            -> dist/kiosk   (dist/kiosk.exe on Windows, via Git Bash)
#
# Uses a build venv of its own (build/venv, or $KIOSK_BUILD_VENV) so the
# binary holds exactly the package's dependencies and nothing else from the
# machine. PyInstaller does not cross-compile: build on each target OS.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${KIOSK_BUILD_VENV:-build/venv}"

if [ ! -d "$VENV" ]; then
    "$PYTHON" -m venv "$VENV"
fi
if [ -x "$VENV/bin/python" ]; then
    VPY="$VENV/bin/python"
else
    VPY="$VENV/Scripts/python.exe"  # Windows venv layout
fi

"$VPY" -m pip install --quiet --upgrade pip
# Non-editable: the build analyses the same files a user would install.
"$VPY" -m pip install --quiet . 'pyinstaller>=6.10,<7'
"$VPY" -m PyInstaller kiosk.spec --noconfirm --clean

BINARY=dist/kiosk
[ -f "$BINARY" ] || BINARY=dist/kiosk.exe
SIZE=$(wc -c <"$BINARY" | tr -d ' ')
echo
echo "Built $(pwd)/$BINARY"
"$VPY" -c "import sys; print(f'Size: {int(sys.argv[1]) / 1e6:.1f} MB ({int(sys.argv[1])} bytes)')" "$SIZE"
