#!/usr/bin/env bash
# Regenerate the app icon's PNG renders from resources/icons/photoclip.svg.
#
#   installer/render_icons.sh
#
# The PNGs are committed: photoclip never needs an SVG renderer at run time. This
# script needs rsvg-convert (Debian/Ubuntu: apt-get install librsvg2-bin; macOS:
# brew install librsvg) or, failing that, Python with cairosvg (pip install cairosvg).
set -euo pipefail
cd "$(dirname "$0")/.."

APP_ID=io.github.photoclip.Photoclip
SVG=resources/icons/photoclip.svg
OUT=resources/icons/hicolor
SIZES="16 32 48 64 128 256 512"

render() {  # render SIZE OUTPUT
    if command -v rsvg-convert >/dev/null; then
        rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio "$SVG" --output "$2"
    elif python3 -c "import cairosvg" 2>/dev/null; then
        python3 -c "import cairosvg, sys; cairosvg.svg2png(url=sys.argv[1], write_to=sys.argv[2], output_width=int(sys.argv[3]), output_height=int(sys.argv[3]))" \
            "$SVG" "$2" "$1"
    else
        echo "render_icons: need rsvg-convert (apt-get install librsvg2-bin) or cairosvg (pip install cairosvg)" >&2
        exit 1
    fi
}

for size in $SIZES; do
    mkdir -p "$OUT/${size}x${size}/apps"
    render "$size" "$OUT/${size}x${size}/apps/$APP_ID.png"
done
mkdir -p "$OUT/scalable/apps"
cp "$SVG" "$OUT/scalable/apps/$APP_ID.svg"
# Optional: losslessly shrink the PNGs when optipng is around (not required).
if command -v optipng >/dev/null; then
    optipng -quiet -o5 "$OUT"/*/apps/*.png
fi
echo "render_icons: wrote $(ls "$OUT"/*/apps/* | wc -l) files under $OUT"
