"""Importing keywords from other tools at scale: real files, real SQLite, linear time, clear refusals, progress.

Issue 16, item 7: 40,000 keywords in one sidecar took 16.5 s (one transaction per tag), a 50 MB sidecar
ran for more than 10 minutes, and a 195 KB JPEG holding 20,000 unclosed '<x:xmpmeta' took 17.7 s (a lazy
regular expression restarted at each). The bounds below are generous for a slow two-core machine; the old
code missed each of them by far.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core import IMPORTED_SET, Library, PhotoId
from photoclip.core.clip.embedder import Embedder
from photoclip.core.media.xmp import MAX_XMP_BYTES, sidecar_path
from photoclip.demo import generate_photos


@pytest.fixture
def library(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[tuple[Library, list[Path], list[PhotoId]]]:
    photos = [p.path for p in generate_photos(tmp_path / "photos", 3, seed=5, png_every=100)]
    library = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    library.folders.add(tmp_path / "photos")
    library.indexer.update()
    ids = [library.photos.find(str(p)).id for p in photos]
    yield library, photos, ids
    library.close()


def sidecar_text(keywords: list[str]) -> str:
    items = "".join(f"<rdf:li>{k}</rdf:li>" for k in keywords)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:lr="http://ns.adobe.com/lightroom/1.0/"><lr:hierarchicalSubject>'
        f"<rdf:Bag>{items}</rdf:Bag></lr:hierarchicalSubject></rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>\n'
    )


def test_forty_thousand_keywords_in_one_sidecar_all_become_tags_in_seconds(
    library: tuple[Library, list[Path], list[PhotoId]],
) -> None:
    lib, photos, ids = library
    keywords = [f"archive|box {i // 1000}|item {i}" for i in range(40_000)]
    sidecar_path(photos[0]).write_text(sidecar_text(keywords), encoding="utf-8")
    started = time.perf_counter()
    report = lib.tags.import_keywords(ids[:1])
    assert time.perf_counter() - started < 8
    assert (report.photos, report.keywords, report.problems) == (1, 40_000, [])
    assert report.labels_added == 40_000 + 40 + 1  # the items, their boxes, the archive
    tags = lib.tags.tags_of(ids[:1])[ids[0]]
    assert len(tags) == 40_000 and all(t.status == "accepted" and t.source == "user" for t in tags)
    assert {t.path for t in tags} == {tuple(k.split("|")) for k in keywords}
    assert lib.tags.label_set(IMPORTED_SET).by_name()["item 39999"].parent == "box 39"
    assert [h.photo_id for h in lib.searcher.search('tag:"box 7"').hits] == ids[:1]  # a parent finds its children


def test_a_sidecar_bigger_than_xmp_ever_is_is_refused_quickly_and_the_rest_imports(
    library: tuple[Library, list[Path], list[PhotoId]],
) -> None:
    lib, photos, ids = library
    huge = sidecar_path(photos[0])
    with huge.open("wb") as f:
        f.write(sidecar_text(["from the huge one"]).encode())
        f.truncate(50 << 20)  # 50 MB: readers must not even start on it
    assert huge.stat().st_size > MAX_XMP_BYTES
    sidecar_path(photos[1]).write_text(sidecar_text(["places|Lisbon"]), encoding="utf-8")
    started = time.perf_counter()
    report = lib.tags.import_keywords(ids)
    assert time.perf_counter() - started < 5
    assert len(report.problems) == 1 and report.problems[0][0] == photos[0]
    assert report.problems[0][1] == f"{huge.name} is 52 MB, more than an XMP sidecar ever is; not read."
    assert "could not be read" in str(report)
    tags = lib.tags.tags_of(ids)
    assert ids[0] not in tags and [t.path for t in tags[ids[1]]] == [("places", "Lisbon")]


def test_a_photo_full_of_unclosed_xmp_tags_is_read_in_linear_time(
    library: tuple[Library, list[Path], list[PhotoId]],
) -> None:
    lib, photos, ids = library
    with photos[0].open("ab") as f:  # after the JPEG's end: every viewer still shows the photo
        f.write(b"<x:xmpmeta " * 20_000)
    assert photos[0].stat().st_size > 200_000
    started = time.perf_counter()
    report = lib.tags.import_keywords(ids[:1])
    assert time.perf_counter() - started < 2
    assert (report.photos, report.keywords, report.problems) == (0, 0, [])


def test_progress_hears_every_photo_read(library: tuple[Library, list[Path], list[PhotoId]]) -> None:
    lib, photos, ids = library
    sidecar_path(photos[2]).write_text(sidecar_text(["beach"]), encoding="utf-8")
    heard: list[tuple[int, int]] = []
    report = lib.tags.import_keywords(ids, progress=lambda done, total: heard.append((done, total)))
    assert heard == [(1, 3), (2, 3), (3, 3)]
    assert report.photos == 1 and report.keywords == 1


def test_one_odd_keyword_does_not_stop_the_import(library: tuple[Library, list[Path], list[PhotoId]]) -> None:
    """DEL is valid XML, so another tool's sidecar may hold it; XMP cannot, so it is dropped, not the import."""
    lib, photos, ids = library
    sidecar_path(photos[0]).write_text(sidecar_text(["sun\x7fset", "places|Lis\x7fbon"]), encoding="utf-8")
    sidecar_path(photos[1]).write_text(sidecar_text(["beach"]), encoding="utf-8")
    report = lib.tags.import_keywords(ids)
    assert (report.photos, report.keywords, report.problems) == (2, 3, [])
    tags = lib.tags.tags_of(ids)
    assert sorted(t.path for t in tags[ids[0]]) == [("places", "Lisbon"), ("sunset",)]
    assert lib.tags.export_xmp(ids[:1]).problems == []
