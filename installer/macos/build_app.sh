#!/usr/bin/env bash
# Build photoclip for macOS: dist/photoclip.app (PyInstaller's BUNDLE step in
# installer/photoclip.spec), smoke-test it, and pack it into
# dist/photoclip-VERSION-macos-ARCH.dmg with a link to /Applications.
#
#   installer/macos/build_app.sh                 # uses .venv/bin/python if present, else $PYTHON or python3
#   PYTHON=/path/to/python installer/macos/build_app.sh
#   PHOTOCLIP_CODESIGN_IDENTITY="Developer ID Application: ..." installer/macos/build_app.sh
#
# Runs on macOS 11+ only (iconutil, hdiutil, codesign and plutil come with the system).
# The Python environment must have photoclip and its dependencies installed
# (python3 -m venv .venv && .venv/bin/pip install -e .); PyInstaller is installed into it
# if missing. On Apple silicon PyTorch uses the GPU through MPS; the bundle is for the
# architecture of that Python (arm64 or x86_64). Without a signing identity the app is
# signed ad hoc (PyInstaller does that), which runs on the building Mac; to run elsewhere
# without Gatekeeper's warning, sign with a Developer ID and notarize (see README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

say() { echo "build_app: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(uname -s)" = Darwin ] || fail "this script builds the macOS app and runs on macOS only"
for tool in iconutil hdiutil plutil codesign; do
    command -v "$tool" >/dev/null || fail "$tool not found (it comes with macOS)"
done
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' photoclip/__init__.py)
[ -n "$VERSION" ] || fail "no __version__ in photoclip/__init__.py"
ARCH=$("$PYTHON" -c 'import platform; print(platform.machine())')

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    say "installing PyInstaller"
    "$PYTHON" -m pip install --quiet pyinstaller
fi

# --- icon: resources' PNGs (plus a 1024 px render of the SVG) -> .iconset -> .icns --------
work=build/macos
rm -rf "$work"
mkdir -p "$work"
"$PYTHON" installer/make_icons.py --iconset "$work/photoclip.iconset"
iconutil --convert icns --output "$work/photoclip.icns" "$work/photoclip.iconset"
export PHOTOCLIP_ICON_ICNS=$ROOT/$work/photoclip.icns

# --- the app ------------------------------------------------------------------------------
say "building photoclip $VERSION ($ARCH) with PyInstaller (several minutes)"
started=$(date +%s)
rm -rf dist/photoclip.app
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller installer/photoclip.spec
say "built dist/photoclip.app in $(( $(date +%s) - started )) s"

APP=$ROOT/dist/photoclip.app
BIN=$APP/Contents/MacOS/photoclip
[ -x "$BIN" ] || fail "$BIN missing"
plutil -lint "$APP/Contents/Info.plist" >/dev/null || fail "Info.plist does not parse"
for key in CFBundleIdentifier CFBundleShortVersionString CFBundleIconFile LSMinimumSystemVersion; do
    value=$(plutil -extract "$key" raw -o - "$APP/Contents/Info.plist") || fail "Info.plist lacks $key"
    say "Info.plist $key = $value"
done
[ "$(plutil -extract CFBundleShortVersionString raw -o - "$APP/Contents/Info.plist")" = "$VERSION" ] \
    || fail "Info.plist has the wrong version"
[ -f "$APP/Contents/Resources/photoclip.icns" ] || fail "the app icon is not in the bundle"
codesign --verify --deep --strict "$APP" || fail "the app's code signature does not verify"

# --- smoke tests: run the app's binary away from the source tree, offline ----------------
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/library" "$scratch/cache"
run_app() {
    (cd "$scratch" && env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV \
        PATH=/usr/bin:/bin HOME="$scratch/home" PHOTOCLIP_CACHE="$scratch/cache" \
        HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen "$BIN" "$@")
}
say "smoke test 1: photoclip --version"
version_out=$(run_app --version) || fail "photoclip --version exited $?"
echo "$version_out"
[ "$version_out" = "photoclip $VERSION" ] || fail "expected 'photoclip $VERSION', got '$version_out'"
say "smoke test 2: photoclip doctor --selftest"
set +e
doctor_out=$(run_app --library "$scratch/library" doctor --selftest)
doctor_rc=$?
set -e
echo "$doctor_out"
[ $doctor_rc -eq 0 ] || fail "doctor --selftest exited $doctor_rc"
echo "$doctor_out" | grep -q '^\[ok  \] self-test: ' || fail "no '[ok  ] self-test' line"

# --- the disk image -----------------------------------------------------------------------
DMG=dist/photoclip-$VERSION-macos-$ARCH.dmg
stage=$work/dmg
mkdir -p "$stage"
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$DMG"
say "making $DMG"
hdiutil create -volname "photoclip $VERSION" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$DMG" >/dev/null
if [ -n "${PHOTOCLIP_CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$PHOTOCLIP_CODESIGN_IDENTITY" --timestamp "$DMG"
fi
hdiutil verify "$DMG" >/dev/null || fail "$DMG does not verify"
rm -rf "$stage"
say "app: $(du -sh "$APP" | cut -f1); disk image: $(du -h "$DMG" | cut -f1)"
say "ok: $DMG"
