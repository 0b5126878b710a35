#!/usr/bin/env bash
# Build the one-folder Linux bundle dist/photoclip/ with PyInstaller, then smoke-test it.
#
#   installer/build_linux.sh              # uses .venv/bin/python if present, else $PYTHON or python3
#   PYTHON=/path/to/python installer/build_linux.sh
#   installer/build_linux.sh --smoke-only # only smoke-test the dist/photoclip/ already built
#
# The Python environment it runs in must have photoclip's dependencies installed
# (`./dev test` or `pip install -e .` sets that up); PyInstaller is installed into it if
# missing. Intermediate files go to build/pyinstaller/, the bundle to dist/photoclip/
# (both ignored by git). Exits non-zero if the build or any smoke test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
say() { echo "build_linux: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

build=1
case "${1:-}" in
    "") ;;
    --smoke-only) build=0 ;;
    *) sed -n '2,12p' "$ROOT/installer/build_linux.sh" >&2; exit 2 ;;
esac

VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' photoclip/__init__.py)
[ -n "$VERSION" ] || fail "no __version__ in photoclip/__init__.py"

if [ $build = 1 ]; then
    if ! "$PYTHON" -c "import rapidocr_onnxruntime" 2>/dev/null; then
        say "installing the OCR extra (the bundle reads text in photos)"
        "$PYTHON" -m pip install --quiet -e '.[ocr]'
    fi
    if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
        say "installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
        "$PYTHON" -m pip install --quiet pyinstaller
    fi
    say "building photoclip $VERSION with PyInstaller $("$PYTHON" -m PyInstaller --version) (several minutes)"
    started=$(date +%s)
    "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
        --distpath dist --workpath build/pyinstaller installer/photoclip.spec
    say "built dist/photoclip in $(( $(date +%s) - started )) s"
fi

BIN=$ROOT/dist/photoclip/photoclip
[ -x "$BIN" ] || fail "$BIN missing"
# The bundle carries its own desktop registration (menu entry + icons for the user).
install -m 755 installer/install-desktop-entry.sh dist/photoclip/install-desktop-entry.sh

# Smoke tests: run the bundle away from the source tree and the virtualenv, offline, with
# a scratch library and cache, so that nothing outside the bundle can make it pass.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/library" "$scratch/cache"
run_bundle() {
    (cd "$scratch" && env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV \
        PATH=/usr/bin:/bin HOME="$scratch/home" PHOTOCLIP_CACHE="$scratch/cache" \
        HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen "$BIN" "$@")
}

say "smoke test 1: photoclip --version"
version_out=$(run_bundle --version) || fail "photoclip --version exited $?"
echo "$version_out"
[ "$version_out" = "photoclip $VERSION" ] || fail "expected 'photoclip $VERSION', got '$version_out'"

say "smoke test 2: photoclip --library <scratch> doctor --selftest"
doctor_started=$(date +%s)
set +e
doctor_out=$(run_bundle --library "$scratch/library" doctor --selftest 2>&1)
doctor_rc=$?
set -e
echo "$doctor_out"
[ $doctor_rc -eq 0 ] || fail "doctor --selftest exited $doctor_rc"
echo "$doctor_out" | grep -q '^\[ok  \] self-test: ' || fail "no '[ok  ] self-test' line"
say "doctor --selftest passed in $(( $(date +%s) - doctor_started )) s"

say "smoke test 3: photoclip (the desktop app) starts and keeps running (offscreen, 20 s)"
set +e
app_out=$(cd "$scratch" && timeout 20 env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV PATH=/usr/bin:/bin HOME="$scratch/home" \
    PHOTOCLIP_CACHE="$scratch/cache" PHOTOCLIP_LIBRARY="$scratch/app-library" HF_HUB_OFFLINE=1 \
    QT_QPA_PLATFORM=offscreen "$BIN" 2>&1)
app_rc=$?
set -e
if [ $app_rc -ne 124 ] || echo "$app_out" | grep -q "Traceback"; then
    echo "$app_out"
    fail "the app exited with status $app_rc within 20 s (124 = still running, expected)"
fi

say "smoke test 4: dist/photoclip/install-desktop-entry.sh registers the bundle (scratch HOME)"
entry=$scratch/home/.local/share/applications/io.github.photoclip.Photoclip.desktop
(cd "$scratch" && env -u XDG_DATA_HOME HOME="$scratch/home" PATH=/usr/bin:/bin \
    "$ROOT/dist/photoclip/install-desktop-entry.sh") || fail "install-desktop-entry.sh exited $?"
grep -qxF -e "Exec=$BIN" -e "Exec=\"$BIN\"" "$entry" || fail "the menu entry does not start $BIN"
[ -f "$scratch/home/.local/share/icons/hicolor/256x256/apps/io.github.photoclip.Photoclip.png" ] \
    || fail "icons not installed"
(cd "$scratch" && env -u XDG_DATA_HOME HOME="$scratch/home" "$ROOT/dist/photoclip/install-desktop-entry.sh" --uninstall) \
    || fail "install-desktop-entry.sh --uninstall exited $?"
[ ! -e "$entry" ] || fail "--uninstall left $entry"

echo
say "bundle size: $(du -sh dist/photoclip | cut -f1) in $(find dist/photoclip -type f | wc -l) files"
say "biggest parts of dist/photoclip/_internal:"
du -h --max-depth=1 dist/photoclip/_internal | sort -rh | sed -n '2,11p'
say "biggest files:"
find dist/photoclip -type f -printf '%s\t%P\n' | sort -rn | sed -n 1,10p \
    | awk -F'\t' '{ printf "%8.0f MB\t%s\n", $1 / 1048576, $2 }'
say "ok: dist/photoclip/photoclip"
