"""`pip install .` gives a working photoclip: the wheel has every module, the data files and the launcher.

The wheel is built from a copy of the project (so the build leaves nothing in the
working tree) with the test environment's own setuptools, offline. Then it is
installed, without dependencies, into a scratch folder, and its `photoclip` launcher
runs the headless self-test from there: the resources must come from the installed
wheel, not from the source tree.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import photoclip

ROOT = Path(__file__).resolve().parents[2]  # the project: pyproject.toml, photoclip/, resources/
APP_ID = "io.github.photoclip.Photoclip"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what `pip install .` reads; the checks compare the wheel with this copy."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("photoclip", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    return source


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), "."],
        cwd=source,
        check=True,
        timeout=120,
    )
    (built,) = out.glob("photoclip-*.whl")
    assert built.name.startswith(f"photoclip-{photoclip.__version__}-py3-none-any")
    return built


def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_wheel_declares_the_photoclip_launcher(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        (entry_points,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(zf.read(entry_points).decode())
    assert dict(parser["console_scripts"]) == {"photoclip": "photoclip.cli:main"}


def test_wheel_has_every_module(wheel: Path, source: Path) -> None:
    """Every .py under photoclip/ (a package left out of pyproject's list would break the installed app)."""
    expected = {p.relative_to(source).as_posix() for p in (source / "photoclip").rglob("*.py")}
    expected.add("photoclip/py.typed")
    missing = expected - names(wheel)
    assert not missing, f"not in the wheel (add the package to [tool.setuptools] packages): {sorted(missing)}"


def test_wheel_has_the_resources(wheel: Path, source: Path) -> None:
    """resources/ installs as photoclip/resources: label sets, the tiny model, icons, desktop files."""
    resources = source / "resources"
    expected = {
        "photoclip/resources/" + p.relative_to(resources).as_posix()
        for p in resources.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".json", ".safetensors", ".svg", ".png", ".desktop", ".xml"}
        and "__pycache__" not in p.parts
    }
    assert "photoclip/resources/models/photoclip-tiny/open_clip_model.safetensors" in expected
    assert "photoclip/resources/labelsets/scenes.json" in expected
    assert f"photoclip/resources/desktop/{APP_ID}.desktop" in expected
    assert f"photoclip/resources/desktop/{APP_ID}.metainfo.xml" in expected
    assert f"photoclip/resources/icons/hicolor/512x512/apps/{APP_ID}.png" in expected
    assert f"photoclip/resources/icons/hicolor/scalable/apps/{APP_ID}.svg" in expected
    assert "photoclip/resources/icons/search.svg" in expected  # the app's own icons (ui/icons.py)
    missing = expected - names(wheel)
    assert not missing, f"not in the wheel (see [tool.setuptools.package-data]): {sorted(missing)}"
    with zipfile.ZipFile(wheel) as zf:
        weights = zf.getinfo("photoclip/resources/models/photoclip-tiny/open_clip_model.safetensors")
    assert weights.file_size == (resources / "models/photoclip-tiny/open_clip_model.safetensors").stat().st_size


def test_installed_launcher_runs_the_self_test(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    launcher = target / "bin" / "photoclip"
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    assert launcher.read_text().startswith("#!"), "pip writes a launcher script with a #! line"
    # Run the launcher with this environment's Python, but with -S: no site-packages and so
    # no .pth files, which keeps the development (editable) install of photoclip out. The
    # scratch install comes first on the path, then this environment's dependencies.
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), *sorted(deps)]),
        "HF_HUB_OFFLINE": "1",
        "HOME": str(tmp_path / "home"),
    }
    python = [sys.executable, "-S"]
    where = subprocess.run(
        [*python, "-c", "import photoclip.cli, photoclip.resources as r; print(r.__file__, photoclip.cli.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0, where.stderr
    for module_file in where.stdout.split():
        assert Path(module_file).is_relative_to(target), where.stdout

    version = subprocess.run(
        [*python, str(launcher), "--version"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"photoclip {photoclip.__version__}"

    doctor = subprocess.run(
        [*python, str(launcher), "--library", str(tmp_path / "library"), "doctor", "--selftest"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "[ok  ] self-test: indexed 25 generated photos and a video" in doctor.stdout, doctor.stdout
