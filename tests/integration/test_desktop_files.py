"""Desktop integration files: the .desktop entry, AppStream metainfo, icons, and the user install script.

The validators come from Debian's desktop-file-utils and appstream packages (`./dev test`
installs them). Without them these tests skip on a developer's machine but fail in CI
(CI=true), so a CI machine that lost them cannot pass by skipping.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
APP_ID = "io.github.photoclip.Photoclip"
DESKTOP = RESOURCES / "desktop" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "desktop" / f"{APP_ID}.metainfo.xml"
HICOLOR = RESOURCES / "icons" / "hicolor"
INSTALL_SCRIPT = ROOT / "installer" / "install-desktop-entry.sh"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package {package}; ./dev test installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + ": required in CI")
        pytest.skip(message)
    return path


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_validates() -> None:
    validate = tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_validates() -> None:
    appstreamcli = tool("appstreamcli", "appstream")
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", "--explain", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Errors and warnings fail; infos (e.g. a tag newer than this appstream) and pedantic notes may stay.
    problems = [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert not problems, result.stdout


def test_desktop_file_and_metainfo_agree() -> None:
    entry = desktop_entry(DESKTOP)
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert entry["Icon"] == APP_ID == component.findtext("icon[@type='stock']")
    assert entry["Exec"].split()[0] == entry["TryExec"] == "photoclip"
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert [c.text for c in component.iterfind("categories/category")] == [
        c for c in entry["Categories"].split(";") if c
    ]
    assert component.findtext("provides/binary") == "photoclip"


def test_metainfo_screenshots_are_in_the_repository() -> None:
    """Software centres fetch the screenshots from the repository's main branch."""
    prefix = "https://raw.githubusercontent.com/photoclip/photoclip/main/"
    images = [e.text or "" for e in ET.parse(METAINFO).getroot().iterfind("screenshots/screenshot/image")]
    assert images
    for url in images:
        assert url.startswith(prefix), url
        path = ROOT / url.removeprefix(prefix)
        assert path.is_file(), f"{url}: no {path.relative_to(ROOT)} in the repository"
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width >= 400


@pytest.mark.parametrize("size", PNG_SIZES)
def test_png_icon_size_matches_its_folder(size: int) -> None:
    path = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert image.mode == "RGBA"  # a rounded tile on a transparent background
        assert image.getchannel("A").getextrema()[0] == 0, "corners should be transparent"


def test_no_icon_folder_is_misnamed() -> None:
    folders = sorted(p.parent.parent.name for p in HICOLOR.glob("*/apps/*"))
    assert folders == sorted([f"{s}x{s}" for s in PNG_SIZES] + ["scalable"])
    for png in HICOLOR.glob("*/apps/*.png"):
        width, height = png.parent.parent.name.split("x")
        with Image.open(png) as image:
            assert image.size == (int(width), int(height)), png


def test_scalable_icon_is_the_source_svg() -> None:
    scalable = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
    assert scalable.read_bytes() == (RESOURCES / "icons" / "photoclip.svg").read_bytes()
    svg = ET.parse(scalable).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("viewBox") == "0 0 128 128"  # square, as icon themes require


def test_qt_draws_the_svg_like_the_committed_pngs(qapp: object) -> None:
    """Qt's SVG renderer (KDE's icon themes, the app's own QIcon, make_icons.py's 1024 px macOS
    render) supports less of SVG than librsvg, which drew the PNGs: clip paths, for one, are
    ignored. Both must draw the same picture."""
    import numpy as np

    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "installer" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    for size in (64, 256):
        drawn = np.asarray(make_icons.render_svg(size), dtype=float)
        with Image.open(HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png") as committed:
            expected = np.asarray(committed.convert("RGBA"), dtype=float)
        assert np.abs(drawn - expected).mean() < 3.0, f"{size} px: Qt draws the SVG differently from the PNG"


# --- installer/install-desktop-entry.sh ---------------------------------------------------


def fake_launcher(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho photoclip-fake\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def run_install(home: Path, *args: str, path_dirs: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    env["PATH"] = os.pathsep.join([*map(str, path_dirs), "/usr/bin", "/bin"])
    return subprocess.run(["bash", str(INSTALL_SCRIPT), *args], capture_output=True, text=True, env=env, cwd=home)


def installed_files(home: Path) -> set[str]:
    share = home / ".local" / "share"
    return {str(p.relative_to(share)) for p in share.rglob("*") if p.is_file() and APP_ID in p.name}


EXPECTED_FILES = {
    f"applications/{APP_ID}.desktop",
    f"metainfo/{APP_ID}.metainfo.xml",
    f"icons/hicolor/scalable/apps/{APP_ID}.svg",
    *(f"icons/hicolor/{s}x{s}/apps/{APP_ID}.png" for s in PNG_SIZES),
}


def test_install_script_uses_the_photoclip_on_path_and_uninstalls(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    launcher = fake_launcher(tmp_path / "bin" / "photoclip")

    result = run_install(home, path_dirs=(launcher.parent,))
    assert result.returncode == 0, result.stderr
    assert installed_files(home) == EXPECTED_FILES
    share = home / ".local" / "share"
    desktop = share / "applications" / f"{APP_ID}.desktop"
    entry = desktop_entry(desktop)
    assert entry["Exec"] == str(launcher)
    assert entry["TryExec"] == str(launcher)
    assert entry["Icon"] == APP_ID
    for size in PNG_SIZES:
        installed = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert installed.read_bytes() == (HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png").read_bytes()
    if shutil.which("update-desktop-database"):
        assert (share / "applications" / "mimeinfo.cache").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout

    # installing again replaces, it does not duplicate
    assert run_install(home, path_dirs=(launcher.parent,)).returncode == 0
    assert installed_files(home) == EXPECTED_FILES

    result = run_install(home, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert installed_files(home) == set()
    assert "removed 10 files" in result.stderr


def test_install_script_quotes_a_given_path_with_spaces(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    launcher = fake_launcher(tmp_path / "My Apps" / "100% photo$" / "photoclip")

    result = run_install(home, str(launcher))
    assert result.returncode == 0, result.stderr
    desktop = home / ".local" / "share" / "applications" / f"{APP_ID}.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert f'Exec="{tmp_path}/My Apps/100%% photo\\\\$/photoclip"\n' in text
    assert f"TryExec={launcher}\n" in text
    validate = tool("desktop-file-validate", "desktop-file-utils")
    check = subprocess.run([validate, str(desktop)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_install_script_refuses_without_a_launcher(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if shutil.which("photoclip", path="/usr/bin:/bin"):
        pytest.skip("a photoclip is installed system-wide")
    result = run_install(home)  # PATH has no photoclip
    assert result.returncode == 1
    assert "no photoclip command on PATH" in result.stderr
    assert installed_files(home) == set()

    result = run_install(home, str(tmp_path / "missing" / "photoclip"))
    assert result.returncode == 1
    assert "is not an executable file" in result.stderr
    assert installed_files(home) == set()


def test_install_script_respects_xdg_data_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    launcher = fake_launcher(tmp_path / "bin" / "photoclip")
    data_home = tmp_path / "data"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(data_home)}
    subprocess.run(["bash", str(INSTALL_SCRIPT), str(launcher)], check=True, capture_output=True, env=env)
    assert (data_home / "applications" / f"{APP_ID}.desktop").is_file()
    assert not (home / ".local").exists()
    subprocess.run(["bash", str(INSTALL_SCRIPT), "--uninstall"], check=True, capture_output=True, env=env)
    assert not (data_home / "applications" / f"{APP_ID}.desktop").exists()
