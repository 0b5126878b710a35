"""`photoclip folders ignore|unignore`: patterns set from the command line reach every scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import Library
from photoclip.demo import generate_photos


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def indexed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, Path]:
    """A library of 6 photos in keep/ and 4 in raw/, indexed with the tiny model."""
    photos = tmp_path / "photos"
    generate_photos(photos / "keep", 6, seed=1, combos=[("red", "circle")])
    generate_photos(photos / "raw", 4, seed=2, combos=[("blue", "square")])
    lib = str(tmp_path / "lib")
    code, out, _ = run(capsys, "--library", lib, "--model", "photoclip-tiny", "index", str(photos), "--no-progress")
    assert code == 0 and "Indexed 10 photos" in out
    return lib, photos


def status(capsys: pytest.CaptureFixture[str], lib: str) -> dict[str, object]:
    code, out, _ = run(capsys, "--library", lib, "status", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def search_paths(capsys: pytest.CaptureFixture[str], lib: str, query: str) -> list[str]:
    code, out, _ = run(capsys, "--library", lib, "search", query, "-n", "50", "--json")
    assert code == 0
    return [r["path"] for r in json.loads(out)["results"]]


def test_ignoring_a_folder_forgets_its_photos_at_the_next_scan(
    indexed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lib, photos = indexed
    code, out, _ = run(capsys, "--library", lib, "folders", "ignore", "raw")
    assert code == 0 and "Ignoring 'raw'." in out
    assert "4 photos in the library match" in out
    assert status(capsys, lib)["photos"] == 10  # nothing changes before the next scan

    code, out, _ = run(capsys, "--library", lib, "index", "--json", "--no-progress")
    summary = json.loads(out)
    assert code == 0 and (summary["removed"], summary["added"], summary["embedded"]) == (4, 0, 0)
    counts = status(capsys, lib)
    assert (counts["photos"], counts["indexed"]) == (6, 6)
    found = search_paths(capsys, lib, "a blue square")
    assert found and not [p for p in found if "/raw/" in p]
    assert len(list((photos / "raw").rglob("*.jpg"))) == 4  # the files themselves are untouched

    code, out, _ = run(capsys, "--library", lib, "index", "--json", "--no-progress")
    assert json.loads(out)["added"] == 0  # stays ignored on later scans


def test_unignore_brings_the_photos_back(indexed: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    lib, _ = indexed
    assert run(capsys, "--library", lib, "folders", "ignore", "raw")[0] == 0
    assert run(capsys, "--library", lib, "index", "--no-progress")[0] == 0
    code, out, _ = run(capsys, "--library", lib, "folders", "unignore", "raw")
    assert code == 0 and "No longer ignoring 'raw'" in out
    code, out, _ = run(capsys, "--library", lib, "index", "--json", "--no-progress")
    summary = json.loads(out)
    # forgotten a moment ago, their vectors come back with them: nothing is embedded twice
    assert code == 0 and (summary["added"], summary["embedded"]) == (4, 0)
    counts = status(capsys, lib)
    assert (counts["photos"], counts["indexed"]) == (10, 10)
    assert any("/raw/" in p for p in search_paths(capsys, lib, "a blue square"))


def test_file_name_patterns_and_the_list(indexed: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    lib, photos = indexed
    code, out, _ = run(capsys, "--library", lib, "folders", "ignore", "IMG_0001.*", "raw", "raw")
    # keep/ has one IMG_0001.jpg, raw/ holds four photos (its IMG_0001.jpg among them)
    assert code == 0 and out.splitlines() == [
        "Ignoring 'IMG_0001.*'.",
        "Ignoring 'raw'.",
        "5 photos in the library match: the next 'photoclip index' forgets them (the files themselves are untouched).",
    ]
    code, out, _ = run(capsys, "--library", lib, "folders", "list")
    assert out.splitlines() == [f"{photos}  (10 photos)", "Ignored in every folder: IMG_0001.*, raw"]
    assert "Ignoring 'raw' (already ignored)." in run(capsys, "--library", lib, "folders", "ignore", "raw")[1]
    run(capsys, "--library", lib, "index", "--no-progress")
    assert status(capsys, lib)["photos"] == 5
    assert run(capsys, "--library", lib, "folders", "unignore", "raw")[0] == 0
    run(capsys, "--library", lib, "index", "--no-progress")
    assert status(capsys, lib)["photos"] == 8  # raw/IMG_0001.jpg is still left out by name
    assert run(capsys, "--library", lib, "folders", "list")[1].splitlines()[-1] == "Ignored in every folder: IMG_0001.*"
    settings = json.loads((Path(lib) / "settings.json").read_text())
    assert settings["ignore_patterns"] == ["IMG_0001.*"]


def test_a_watcher_rescan_of_an_ignored_subfolder_adds_nothing(
    indexed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lib, photos = indexed
    run(capsys, "--library", lib, "folders", "ignore", "raw")
    run(capsys, "--library", lib, "index", "--no-progress")
    generate_photos(photos / "raw" / "later", 2, seed=9)
    with Library.open(Path(lib)) as library:  # what the watcher does with the folders where events happened
        reports = library.indexer.scan([photos / "raw" / "later"])
        assert sum(len(r.added) for r in reports) == 0
        assert library.folders.ignored_photos() == []
        reports = library.indexer.scan([photos / "keep"])
        assert sum(len(r.added) + len(r.removed) for r in reports) == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["folders", "ignore", "2023/raw"], 1, "not a path"),
        (["folders", "ignore", "  "], 1, "cannot be empty"),
        (["folders", "unignore", "nothing"], 1, "Not an ignore pattern: nothing"),
        (["folders", "ignore"], 2, "give at least one PATTERN"),
        (["folders", "add"], 2, "give at least one FOLDER"),
    ],
)
def test_mistakes_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    result, out, err = run(capsys, "--library", str(tmp_path / "lib"), "--model", "photoclip-tiny", *args)
    assert result == code and out == ""
    assert err.count("\n") == 1 and message in err
