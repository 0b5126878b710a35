"""The `photoclip` command as users run it: output, exit codes, Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import Library
from photoclip.demo import generate_photos

from .conftest import ShapeLibrary


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# the timeout guards against a hang, not for speed: a loaded CI machine can be slow
def photoclip(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photoclip", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_index_then_search_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = generate_photos(tmp_path / "photos", 12, seed=3, combos=[("red", "circle"), ("blue", "square")])
    lib = str(tmp_path / "lib")
    code, out, _ = run(capsys, "--library", lib, "--model", "photoclip-tiny", "index", str(tmp_path / "photos"))
    assert code == 0 and "Indexed 12 photos" in out
    code, out, _ = run(capsys, "--library", lib, "search", "a blue square", "-n", "3", "--json")
    assert code == 0
    results = json.loads(out)["results"]
    blue_squares = {str(p.path) for p in photos if p.scene.things[0].colour == "blue"}
    assert len(results) == 3 and {r["path"] for r in results} <= blue_squares
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    code, out, err = run(capsys, "--library", lib, "similar", str(photos[0].path), "-n", "2")
    assert code == 0 and len(out.splitlines()) == 2 and "results in" in err
    code, out, _ = run(capsys, "--library", lib, "status", "--json")
    status = json.loads(out)
    assert (status["photos"], status["indexed"], status["pending"], status["model"]) == (12, 12, 0, "photoclip-tiny")


def test_search_filters_and_pages(shape_library: ShapeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    lib = str(shape_library.directory)
    code, out, _ = run(capsys, "--library", lib, "search", "a green star", "--type", "png", "--json")
    paths = [r["path"] for r in json.loads(out)["results"]]
    assert code == 0 and paths and all(p.endswith(".png") for p in paths)
    _, page1, _ = run(capsys, "--library", lib, "search", "a green star", "-n", "5", "--json")
    _, page2, _ = run(capsys, "--library", lib, "search", "a green star", "-n", "5", "--page", "2", "--json")
    first, second = json.loads(page1), json.loads(page2)
    assert first["has_more"] and not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    code, out, _ = run(capsys, "--library", lib, "search", "a green star", "--after", "2024-01", "--by-date", "--json")
    dates = [r["taken_at"] for r in json.loads(out)["results"]]
    assert code == 0 and dates and dates == sorted(dates, reverse=True) and min(dates) >= "2024-01"


def test_doctor_reports_every_part(shape_library: ShapeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--library", str(shape_library.directory), "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert {"versions", "device", "model", "catalog", "index", "folders", "skipped files", "disk space"} <= set(checks)
    assert checks["index"]["status"] == "ok" and "consistent" in checks["index"]["detail"]
    assert checks["catalog"]["status"] == "ok"
    assert code == 0


def test_folders_add_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a" / "inner").mkdir(parents=True)
    lib = str(tmp_path / "lib")
    assert run(capsys, "--library", lib, "--model", "tiny", "folders", "add", str(tmp_path / "a" / "inner"))[0] == 0
    assert run(capsys, "--library", lib, "folders", "add", str(tmp_path / "a"))[0] == 0
    code, out, _ = run(capsys, "--library", lib, "folders")
    assert out.strip().splitlines() == [f"{tmp_path / 'a'}  (0 photos)"]  # the parent absorbed the child
    code, _, err = run(capsys, "--library", lib, "folders", "add", str(tmp_path / "a" / "inner"))
    assert code == 1 and "already in the library" in err
    assert run(capsys, "--library", lib, "folders", "remove", str(tmp_path / "a"))[0] == 0
    assert run(capsys, "--library", lib, "folders")[1] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "/no/such/folder"], "Folder not found: /no/such/folder"),
        (["--model", "no-such-model", "status"], "Unknown model 'no-such-model'"),
        (["search", "dog after:yesterday"], "Dates look like"),
        (["search", "dog after:2023-02-30"], "(a real day), not '2023-02-30'"),
        (["similar", "/no/such/photo.jpg"], "Photo not found"),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    result = photoclip("--library", str(tmp_path / "lib"), "--model", "photoclip-tiny", *args)
    if args[0] == "--model":
        result = photoclip("--library", str(tmp_path / "lib"), *args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("photoclip: error: ")
    assert message in result.stderr and "Traceback" not in result.stderr


def test_offline_model_download_says_what_happened_and_what_to_do(tmp_path: Path) -> None:
    generate_photos(tmp_path / "photos", 2, seed=1)
    started = time.monotonic()
    result = photoclip(
        "--library",
        str(tmp_path / "lib"),
        "--model",
        "vit-b-32",
        "index",
        str(tmp_path / "photos"),
        env={"HF_ENDPOINT": "http://127.0.0.1:9"},
    )
    # no hub retries (they take minutes); generous, for a loaded machine where imports alone take seconds
    assert result.returncode == 1 and time.monotonic() - started < 120
    assert "Cannot reach 127.0.0.1" in result.stderr and "Traceback" not in result.stderr
    assert "--checkpoint FILE" in result.stderr and "--model photoclip-tiny" in result.stderr
    assert result.stderr.count("Cannot reach") == 1, "said once"


def _embedded(catalog: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_ctrl_c_stops_cleanly_and_indexing_resumes(tmp_path: Path, tiny_embedder: object) -> None:
    total = 120
    generate_photos(tmp_path / "photos", total, seed=4, size=(1200, 900))
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "settings.json").write_text(json.dumps({"model": "photoclip-tiny", "batch_size": 4, "decode_workers": 1}))
    process = subprocess.Popen(
        [sys.executable, "-m", "photoclip", "--library", str(lib), "index", str(tmp_path / "photos"), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _embedded(lib / "catalog.sqlite") == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Interrupted" in out and "Traceback" not in err
    with Library.open(lib) as library:
        first_run = library.status().embedded
        assert 0 < first_run < total
        assert library.catalog.integrity_problems() == []
        index = library.vectors.index()
        assert index is not None and len(index) == first_run  # the saved index covers every stored vector
        assert library.vectors.repairs == []
    resumed = photoclip("--library", str(lib), "index", "--json")
    summary = json.loads(resumed.stdout)
    assert resumed.returncode == 0 and summary["embedded"] == total - first_run  # nothing done twice


def test_common_options_work_after_the_command(shape_library: ShapeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--json", "--library", str(shape_library.directory))
    assert code == 0 and json.loads(out)["library"] == str(shape_library.directory)
    code, out, _ = run(capsys, "search", "a red circle", "--library", str(shape_library.directory), "-n", "1")
    assert code == 0 and len(out.splitlines()) == 1


def test_tagging_commands(library_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = ["--library", str(library_copy)]
    code, out, _ = run(capsys, *lib, "tag", "--set", "Shapes (demo)", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["photos"] > 200 and summary["suggested"] > 200
    assert set(summary["labels"]) >= {"circle", "square", "triangle", "star"}
    code, out, _ = run(capsys, *lib, "search", "tag:star", "-n", "1", "--json")
    star = json.loads(out)["results"][0]["path"]
    code, out, _ = run(capsys, *lib, "tags", "reject", star, "--set", "Shapes (demo)", "--label", "star")
    assert code == 0
    code, out, _ = run(capsys, *lib, "tags", "show", star, "--json")
    assert {"set": "Shapes (demo)", "label": "star", "status": "rejected", "source": "user", "confidence": None} in [
        {**t, "confidence": None} for t in json.loads(out)[star]
    ]
    export = tmp_path / "shapes.json"
    assert run(capsys, *lib, "labelsets", "export", "Shapes (demo)", str(export))[0] == 0
    data = json.loads(export.read_text())
    data["name"] = "My shapes"
    export.write_text(json.dumps(data))
    assert run(capsys, *lib, "labelsets", "import", str(export))[0] == 0
    code, out, _ = run(capsys, *lib, "labelsets", "list")
    assert "My shapes  (6 labels, one per photo)" in out and "Scenes" in out
    code, out, _ = run(capsys, *lib, "labelsets", "show", "My shapes")
    assert '"a photo of a circle."' in out
    assert run(capsys, *lib, "labelsets", "rename", "My shapes", "Forms")[0] == 0
    assert run(capsys, *lib, "labelsets", "delete", "Forms")[0] == 0
    code, out, _ = run(capsys, *lib, "albums", "create", "Red things", "--from-search", "red", "-n", "10")
    assert code == 0 and "with 10 photos" in out
    code, out, _ = run(capsys, *lib, "albums", "show", "Red things")
    assert len(out.splitlines()) == 10
    assert run(capsys, *lib, "albums", "remove", "Red things", out.splitlines()[0])[1] == "Removed 1 photo.\n"
    code, out, _ = run(capsys, *lib, "export-xmp", "--album", "Red things")
    assert code == 0 and "No XMP sidecar written; 9 photos only have suggested tags" in out  # nothing accepted yet
    code, _, err = run(capsys, *lib, "tag", "--set", "No such set")
    assert code == 1 and "no label set named 'No such set'" in err


def test_a_rejected_tag_is_shown_and_can_be_undone(library_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = ["--library", str(library_copy)]
    assert run(capsys, *lib, "tag", "--set", "Shapes (demo)")[0] == 0
    star = json.loads(run(capsys, *lib, "search", "tag:star", "-n", "1", "--json")[1])["results"][0]["path"]
    shapes = ["--set", "Shapes (demo)", "--label", "star"]
    (suggested,) = json.loads(run(capsys, *lib, "tags", "show", star, "--json")[1])[star]
    assert run(capsys, *lib, "tags", "reject", star, *shapes)[0] == 0
    assert run(capsys, *lib, "tag", "--set", "Shapes (demo)")[0] == 0  # a new run keeps the rejection

    code, out, _ = run(capsys, *lib, "tags", "show", star)
    assert code == 0
    assert f"  Shapes (demo): star [rejected, user {suggested['confidence']:.0%}] (undo: tags unreject)" in out
    code, out, _ = run(capsys, *lib, "tags", "unreject", star, *shapes)
    assert (code, out) == (0, "unreject: star on 1 photo (back to its suggestion, if it was one).\n")
    assert json.loads(run(capsys, *lib, "tags", "show", star, "--json")[1])[star] == [suggested]
    code, out, _ = run(capsys, *lib, "tags", "unreject", star, *shapes)
    assert (code, out) == (0, "unreject: star is not rejected on these photos; nothing to undo.\n")


def test_doctor_selftest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--library", str(tmp_path / "lib"), "doctor", "--selftest", "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert checks["self-test"]["status"] == "ok", checks["self-test"]
    assert code == 0


def test_the_app_without_a_display_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "photoclip", "--library", str(tmp_path / "library")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no display" in result.stderr and "photoclip --help" in result.stderr


def test_a_label_set_whose_parents_loop_is_refused_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    looped = tmp_path / "loop.json"
    looped.write_text(
        json.dumps({"name": "Loop", "labels": [{"name": "cat", "parent": "dog"}, {"name": "dog", "parent": "cat"}]})
    )
    code, _out, err = run(capsys, "labelsets", "import", str(looped), "--library", str(tmp_path / "lib"))
    assert code == 1 and "go round in a circle" in err and "Traceback" not in err
    code, out, _err = run(capsys, "labelsets", "list", "--library", str(tmp_path / "lib"))
    assert code == 0 and "Loop" not in out


LABEL_SET_FILES = {
    "control character": (
        {"name": "Pets", "labels": ["dog", "bad\x01label"]},
        "A label 'bad\\x01label' contains a control character (U+0001) that XMP files cannot hold; remove it.",
    ),
    "exclusive as text": (
        {"name": "Pets", "exclusive": "false", "labels": ["dog"]},
        "'exclusive' must be true or false (without quotes), not 'false'",
    ),
    "nested too deeply": ("[" * 100_000, "is nested too deeply to be a label set."),
}


@pytest.mark.parametrize("case", LABEL_SET_FILES)
def test_a_bad_label_set_file_is_one_clear_line_and_nothing_is_imported(tmp_path: Path, case: str) -> None:
    content, message = LABEL_SET_FILES[case]
    path = tmp_path / "pets.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    lib = ["--library", str(tmp_path / "lib")]
    result = photoclip(*lib, "labelsets", "import", str(path))
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"photoclip: error: {path}")
    assert message in result.stderr and "Traceback" not in result.stderr
    listed = photoclip(*lib, "labelsets", "list")
    assert listed.returncode == 0 and "Pets" not in listed.stdout


def test_a_label_set_saved_with_a_byte_order_mark_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "orte.json"
    path.write_text(json.dumps({"name": "Orte", "labels": ["Kraków", "Lisboa"]}), encoding="utf-8-sig")
    code, out, err = run(capsys, "--library", str(tmp_path / "lib"), "labelsets", "import", str(path))
    assert code == 0 and out == "Imported Orte (2 labels).\n", err


def test_a_query_with_an_apostrophe_searches(shape_library: ShapeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    """`search "kid's birthday party"` used to fail with "No closing quotation"."""
    code, out, err = run(capsys, "--library", str(shape_library.directory), "search", "kid's red circle", "-n", "3")
    assert code == 0, err
    assert len(out.splitlines()) == 3 and "error" not in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_import_keywords_shows_progress_on_a_terminal_only(
    tmp_path: Path, tiny_embedder: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from photoclip.core.media.xmp import Keyword, write_sidecar

    photos = generate_photos(tmp_path / "photos", 3, seed=4)
    lib = ["--library", str(tmp_path / "lib")]
    assert run(capsys, *lib, "--model", "photoclip-tiny", "index", str(tmp_path / "photos"), "--no-progress")[0] == 0
    write_sidecar(photos[0].path, [Keyword(("places", "Lisbon"))])
    code, out, err = run(capsys, *lib, "import-keywords")
    assert code == 0 and "Imported 1 keyword on 1 photo" in out and "Reading keywords" not in err
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([*lib, "import-keywords"]) == 0
    shown = terminal.getvalue()
    assert shown.startswith("\rReading keywords: ") and shown.endswith("\rReading keywords: 3/3 photos   \n")
