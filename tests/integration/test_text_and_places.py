"""Finding photos by the words in them and the places they were taken: a real library, the tiny model.

Generated photos of shapes taken in Lisbon, Porto and Paris (EXIF GPS) and photos
of text (receipts, signs, slides, notes, screenshots) are indexed for real; the
gate decides from the stored CLIP vectors which photos to read, the installed OCR
engine reads them, and searching, the CLI, XMP export and import and the
background reader are used as a person would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import TINY_MODEL_KEY, Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.text import engines
from photoclip.demo import generate_photos
from photoclip.demo.text_photos import TextPhoto, generate_text_photos

LISBON, PORTO, PARIS = (38.7223, -9.1393), (41.1579, -8.6291), (48.8566, 2.3522)
needs_ocr = pytest.mark.skipif(not engines.installed(), reason="no OCR engine installed")


@dataclass
class TextLibrary:
    directory: Path
    photos_dir: Path
    texts: dict[Path, TextPhoto]
    shapes: list[Path]


@pytest.fixture(scope="module")
def text_library(tmp_path_factory: pytest.TempPathFactory, tiny_embedder: Embedder) -> TextLibrary:
    base = tmp_path_factory.mktemp("text-library")
    photos_dir = base / "photos"
    shapes = generate_photos(photos_dir / "shapes", 12, seed=31, places=[LISBON, PORTO, PARIS], png_every=0)
    texts = dict(generate_text_photos(photos_dir / "text", 10, seed=32, places=[LISBON]))
    with Library.open(base / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(photos_dir)
        assert library.indexer.update().embedded == 22
        if engines.installed():
            report = library.texts.read_pending()
            assert report.looked_at == 22 and report.failed == 0
    return TextLibrary(base / "library", photos_dir, texts, [p.path for p in shapes])


@pytest.fixture
def library(text_library: TextLibrary, tiny_embedder: Embedder) -> Iterator[Library]:
    with Library.open(text_library.directory, embedder=tiny_embedder) as opened:
        yield opened


def test_places_are_named_at_indexing_time(library: Library, text_library: TextLibrary) -> None:
    tree = {node.name: node for node in library.places.tree()}
    assert set(tree) == {"Portugal", "France"}
    assert tree["Portugal"].photos == 8 + 10 and tree["France"].photos == 4
    lisbon = {p.path for p in library.searcher.search("place:lisbon", limit=100).hits}
    assert lisbon == set(text_library.texts) | set(text_library.shapes[0::3])
    hit = library.searcher.search("place:Porto", limit=1).hits[0]
    assert hit.place == "Porto, Portugal"


@needs_ocr
def test_text_search_finds_each_photo_by_its_own_word(library: Library, text_library: TextLibrary) -> None:
    right = 0
    for path, photo in text_library.texts.items():
        hits = library.searcher.search(f"text:{photo.key}", limit=3).hits
        right += bool(hits) and hits[0].path == path
        if hits and hits[0].path == path:
            assert hits[0].snippet is not None and f"[{photo.key}]" in hits[0].snippet.casefold()
    assert right >= 0.9 * len(text_library.texts)


@needs_ocr
def test_the_gate_lets_the_text_photos_through(library: Library, text_library: TextLibrary) -> None:
    """Recall of the gate on real files with the tiny model (the benchmark measures more of them)."""
    states = {path: library.texts.state_of(library.photos.by_path(path).id) for path in text_library.texts}  # type: ignore[union-attr]
    passed = sum(state != "gated" for state in states.values())
    assert passed / len(states) >= 0.9, states
    assert library.texts.status().counts.pending == 0


@needs_ocr
def test_meaning_text_date_and_place_combine(library: Library, text_library: TextLibrary) -> None:
    receipts = {p for p, t in text_library.texts.items() if t.kind == "receipt"}
    result = library.searcher.search("receipt text:total after:2024 in Lisbon", limit=20)
    assert {c.label for c in result.chips} >= {"text:total", "after:2024", "place:Lisbon"}
    found = {h.path for h in result.hits}
    assert found and found <= receipts
    assert not library.searcher.search("text:total place:Paris", limit=5).hits


def test_words_read_as_filters_depend_on_the_library_s_places(library: Library) -> None:
    parsed = library.searcher.understand("circle in Porto 2023")
    assert parsed.text == "circle" and parsed.filter.places == ("Porto",)
    assert parsed.filter.taken_after == "2023"
    assert library.searcher.understand("circle in Tokyo").text == "circle in Tokyo", "no photo there"


@needs_ocr
def test_cli_search_json_carries_snippet_and_place(
    text_library: TextLibrary, capsys: pytest.CaptureFixture[str]
) -> None:
    path, photo = next(iter(text_library.texts.items()))
    assert main(["--library", str(text_library.directory), "search", f"text:{photo.key}", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"][0]["path"] == str(path)
    assert data["results"][0]["place"] == "Lisbon, Portugal"
    assert photo.key in data["results"][0]["snippet"].casefold()
    assert data["filters"] == [
        {"filter": f"text:{photo.key}", "meaning": f"with the words “{photo.key}” in them", "read_from_words": False}
    ]


def test_cli_places_and_words_read_as_filters(text_library: TextLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--library", str(text_library.directory), "places", "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["photos"], c["country_code"]) for c in tree] == [("Portugal", 18, "PT"), ("France", 4, "FR")]
    lisbon = tree[0]["children"][0]
    assert lisbon["name"] == "Lisbon" and lisbon["children"][0]["place"] == "Lisbon, Lisbon, Portugal"
    assert main(["--library", str(text_library.directory), "places"]) == 0
    assert "Portugal  18\n  Lisbon  14\n    Lisbon  14" in capsys.readouterr().out
    assert main(["--library", str(text_library.directory), "search", "circle in Paris 2023", "-n", "3"]) == 0
    captured = capsys.readouterr()
    assert "Read as filters: place:Paris (taken in Paris); 2023 (taken in 2023)" in captured.err
    assert captured.out.count("(Paris, Île-de-France, France)") == 3, captured.out


def test_xmp_export_writes_places_and_text_and_import_reads_a_person_s_place_back(
    text_library: TextLibrary, tiny_embedder: Embedder, tmp_path: Path
) -> None:
    photos_dir = tmp_path / "photos"
    (shape,) = generate_photos(photos_dir, 1, seed=40, places=[PORTO], png_every=0)
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(photos_dir)
        library.indexer.update()
        pid = library.photos.by_path(shape.path).id  # type: ignore[union-attr]
        library.tags.tag([pid], "tram")
        report = library.tags.export_xmp([pid])
        sidecar = report.written[0].read_text()
        assert "<photoshop:City>Porto</photoshop:City>" in sidecar
        assert "<Iptc4xmpCore:CountryCode>PT</Iptc4xmpCore:CountryCode>" in sidecar
        # a person corrects the city in another program; photoclip reads it back and keeps it
        report.written[0].write_text(sidecar.replace(">Porto</photoshop:City>", ">Vila Nova de Gaia</photoshop:City>"))
        imported = library.tags.import_keywords([pid])
        assert imported.places == 1
        assert library.places.of([pid])[pid].place.city == "Vila Nova de Gaia"
        assert library.searcher.search('place:"Vila Nova de Gaia"', limit=5).hits[0].photo_id == pid
        library.indexer.update()  # a later indexing run never replaces a person's place
        library.tags.export_xmp([pid])
        assert "Vila Nova de Gaia" in report.written[0].read_text()


@needs_ocr
def test_reading_resumes_where_it_stopped(tiny_embedder: Embedder, tmp_path: Path) -> None:
    generate_text_photos(tmp_path / "photos", 6, seed=50, kinds=("sign",))
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(tmp_path / "photos")
        library.indexer.update()
        cancel = threading.Event()
        first = library.texts.read_pending(progress=lambda p: cancel.set() if p.done >= 2 else None, cancel=cancel)
        assert first.interrupted and first.looked_at == 2
    with Library.open(tmp_path / "library", embedder=tiny_embedder) as library:  # as after a crash or Ctrl-C
        second = library.texts.read_pending()
        assert second.looked_at == 4 and not second.interrupted
        assert library.texts.pending() == 0


@needs_ocr
def test_text_is_read_in_the_background_after_embedding(tiny_embedder: Embedder, tmp_path: Path) -> None:
    texts = generate_text_photos(tmp_path / "photos", 3, seed=51, kinds=("sign",))
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(tmp_path / "photos")
        watcher = library.watch(settle_seconds=0.2, check_seconds=0.3)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not (
                library.photos.embedded_count() == 3 and library.texts.pending() == 0
            ):
                time.sleep(0.2)
        finally:
            watcher.stop()
        assert library.texts.pending() == 0
        assert library.searcher.search(f"text:{texts[0][1].key}", limit=1).hits[0].path == texts[0][0]


def test_a_library_without_ocr_works_and_says_how_to_get_it(
    text_library: TextLibrary,
    tiny_embedder: Embedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(engines, "installed", lambda: [])
    engines.engine_name.cache_clear()
    try:
        generate_text_photos(tmp_path / "photos", 2, seed=52, places=[LISBON])
        library_dir = tmp_path / "library"
        with Library.open(library_dir, model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
            library.folders.add(tmp_path / "photos")
        assert main(["--library", str(library_dir), "index", "--no-progress"]) == 0
        captured = capsys.readouterr()
        assert "Text in photos is not read" in captured.err and "photoclip[ocr]" in captured.err
        assert main(["--library", str(library_dir), "search", "text:total"]) == 0
        out = capsys.readouterr().out
        assert "No photos found" in out and "photoclip[ocr]" in out
        assert main(["--library", str(library_dir), "search", "place:Lisbon", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)["results"]) == 2, "places work without OCR"
        assert main(["--library", str(library_dir), "status"]) == 0
        assert "Text:     not read." in capsys.readouterr().out
    finally:
        engines.engine_name.cache_clear()
