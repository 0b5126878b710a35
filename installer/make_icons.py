"""Make the platform icon files from photoclip's committed icons (resources/icons/).

    python installer/make_icons.py --ico build/photoclip.ico            # Windows (build.ps1)
    python installer/make_icons.py --iconset build/photoclip.iconset    # macOS, for iconutil (build_app.sh)

Needs only what photoclip itself installs: Pillow, and PySide6's SVG renderer for the
1024 px macOS render (the committed PNGs stop at 512 px). Every other size is one of
the committed PNGs, so the icons look the same on every system.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
APP_ID = "io.github.photoclip.Photoclip"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # what Windows Explorer and the taskbar ask for


def committed_png(size: int) -> Path | None:
    path = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    return path if path.is_file() else None


def render_svg(size: int) -> Image.Image:
    """The source SVG drawn at SIZE px with Qt's SVG renderer (no window system needed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "photoclip.svg"))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {ICONS / 'photoclip.svg'}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    from io import BytesIO

    return Image.open(BytesIO(bytes(data.data()))).convert("RGBA")


def icon(size: int) -> Image.Image:
    """The committed PNG of that size, else the nearest bigger one scaled down, else the SVG rendered."""
    path = committed_png(size)
    if path is not None:
        with Image.open(path) as image:
            return image.convert("RGBA")
    bigger = [s for s in (32, 48, 64, 128, 256, 512) if s > size and committed_png(s) is not None]
    if bigger:
        with Image.open(committed_png(bigger[0])) as image:  # type: ignore[arg-type]
            return image.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    return render_svg(size)


def write_ico(out: Path) -> None:
    images = [icon(size) for size in ICO_SIZES]
    out.parent.mkdir(parents=True, exist_ok=True)
    # Pillow writes one entry per size from the images given (PNG-compressed at 256 px).
    images[-1].save(out, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=images[:-1])


def write_iconset(folder: Path) -> None:
    """The ten files iconutil expects: icon_NxN.png and icon_NxN@2x.png for N = 16..512."""
    folder.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 128, 256, 512):
        icon(size).save(folder / f"icon_{size}x{size}.png")
        icon(size * 2).save(folder / f"icon_{size}x{size}@2x.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ico", type=Path, help="write a Windows .ico here")
    parser.add_argument("--iconset", type=Path, help="write a macOS .iconset folder here (then: iconutil -c icns)")
    args = parser.parse_args()
    if not args.ico and not args.iconset:
        parser.error("give --ico or --iconset")
    if args.ico:
        write_ico(args.ico)
        print(f"make_icons: wrote {args.ico}")
    if args.iconset:
        write_iconset(args.iconset)
        print(f"make_icons: wrote {args.iconset}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
