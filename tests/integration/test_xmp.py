"""XMP interop, checked with exiftool reading what we wrote, and keywords coming back in."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core import IMPORTED_SET, Label, LabelSet, Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.media.decode import hash_file
from photoclip.core.media.xmp import Keyword, read_keywords, sidecar_path, write_sidecar
from photoclip.demo import generate_photos

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed (./dev test installs it)"
)


def exiftool(*args: str) -> dict[str, object]:
    out = subprocess.run(["exiftool", "-json", "-struct", *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]  # type: ignore[no-any-return]


def as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value is not None else []


@pytest.fixture
def tagged(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[tuple[Library, list[Path]]]:
    photos = [
        p.path for p in generate_photos(tmp_path / "photos", 4, seed=3, combos=[("red", "circle"), ("blue", "star")])
    ]
    library = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    library.folders.add(tmp_path / "photos")
    library.indexer.update()
    library.tags.save_label_set(
        LabelSet("Things", (Label("animals"), Label("dog", parent="animals"), Label("beach")), exclusive=False)
    )
    yield library, photos
    library.close()


def ids(library: Library, paths: list[Path]) -> list[int]:
    return [library.catalog.photo_by_path(p).id for p in paths]  # type: ignore[union-attr]


def test_exported_tags_are_what_exiftool_reads(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    before = {p: hash_file(p) for p in photos}
    library.tags.accept(ids(library, photos[:1]), "Things", "dog")
    library.tags.accept(ids(library, photos[:1]), "Things", "beach")
    library.tags.auto_tag("Shapes (demo)", ids(library, photos))  # unreviewed suggestions: not exported by default
    report = library.tags.export_xmp(ids(library, photos))
    assert report.written == [sidecar_path(photos[0])] and report.unchanged == 3
    meta = exiftool(str(sidecar_path(photos[0])))
    assert sorted(as_list(meta["Subject"])) == ["beach", "dog"]
    assert sorted(as_list(meta["HierarchicalSubject"])) == ["animals|dog", "beach"]
    assert sorted(as_list(meta["TagsList"])) == ["animals/dog", "beach"]
    assert {p: hash_file(p) for p in photos} == before  # the photos themselves are never written


def test_suggestions_go_under_their_own_branch_and_are_replaced(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    library.tags.auto_tag("Shapes (demo)", ids(library, photos))
    library.tags.export_xmp(ids(library, photos), include_suggestions=True)
    meta = exiftool(str(sidecar_path(photos[0])))
    hierarchical = as_list(meta["HierarchicalSubject"])
    assert len(hierarchical) == 1 and hierarchical[0].startswith("photoclip|auto|")
    assert "Subject" not in meta  # a curated flat keyword list stays clean
    library.tags.reject(ids(library, photos[:1]), "Shapes (demo)", hierarchical[0].split("|")[-1])
    library.tags.export_xmp(ids(library, photos[:1]), include_suggestions=True)
    assert "HierarchicalSubject" not in exiftool(str(sidecar_path(photos[0])))  # the rejected one is gone


def test_merging_keeps_other_fields_and_keywords(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    sidecar = sidecar_path(photos[0])
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-o",
            str(sidecar),
            "-XMP-xmp:Rating=4",
            "-XMP-dc:Subject=grandma",
            "-XMP-lr:HierarchicalSubject=family|grandma",
            "-XMP-dc:Title=Summer",
            str(photos[0]),
        ],
        check=True,
    )
    library.tags.accept(ids(library, photos[:1]), "Things", "beach")
    library.tags.export_xmp(ids(library, photos[:1]))
    meta = exiftool(str(sidecar))
    assert meta["Rating"] == 4 and meta["Title"] == "Summer"
    assert sorted(as_list(meta["Subject"])) == ["beach", "grandma"]
    assert sorted(as_list(meta["HierarchicalSubject"])) == ["beach", "family|grandma"]


def test_lightroom_naming(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    library.tags.accept(ids(library, photos[:1]), "Things", "dog")
    report = library.tags.export_xmp(ids(library, photos[:1]), naming="lightroom")
    assert report.written == [photos[0].with_suffix(".xmp")]
    assert as_list(exiftool(str(photos[0].with_suffix(".xmp")))["Subject"]) == ["dog"]


def test_keywords_come_back_in_from_sidecars_and_from_photos(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    write_sidecar(photos[0], [Keyword(("places", "Lisbon")), Keyword(("holiday",))])
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-IPTC:Keywords=cake", "-IPTC:Keywords=party", str(photos[1])],
        check=True,
    )
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-XMP-lr:HierarchicalSubject=family|grandpa", str(photos[2])],
        check=True,
    )
    report = library.tags.import_keywords(ids(library, photos))
    assert report.photos == 3 and report.keywords == 5
    label_set = library.tags.label_set(IMPORTED_SET)
    assert label_set.by_name()["Lisbon"].parent == "places" and label_set.by_name()["grandpa"].parent == "family"
    tags = library.tags.tags_of(ids(library, photos[:3]))
    assert sorted(t.label for t in tags[ids(library, photos[:1])[0]]) == ["Lisbon", "holiday"]
    assert all(t.source == "user" and t.status == "accepted" for ts in tags.values() for t in ts)
    assert {h.photo_id for h in library.searcher.search("tag:places").hits} == set(ids(library, photos[:1]))


def test_read_keywords_ignores_our_own_suggestions() -> None:
    xmp = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description xmlns:lr="http://ns.adobe.com/lightroom/1.0/"><lr:hierarchicalSubject><rdf:Bag>
      <rdf:li>photoclip|auto|beach</rdf:li><rdf:li>trips|Lisbon</rdf:li></rdf:Bag></lr:hierarchicalSubject>
      </rdf:Description></rdf:RDF></x:xmpmeta>"""
    assert read_keywords(xmp) == [("trips", "Lisbon")]


def _keywords_on_disk(photo: Path) -> list[tuple[str, ...]]:
    path = sidecar_path(photo)
    return read_keywords(path.read_bytes()) if path.exists() else []


def test_sidecars_follow_every_tag_change_when_the_library_asks(
    tagged: tuple[Library, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    """One listener keeps sidecars in step, whoever changed the tags: auto-accept, a rename, an import, the CLI."""
    library, photos = tagged
    first, second, third = ids(library, photos[:3])
    library.tags.accept([first], "Things", "dog")
    assert not sidecar_path(photos[0]).exists(), "nothing is written while the setting is off"
    library.update_settings(write_sidecars_on_change=True)

    report = library.tags.auto_tag("Shapes (demo)", [second], auto_accept=0.0)  # auto-accepted: tags changed
    assert report.auto_accepted and second in report.changes.tagged
    shapes = {label.name for label in library.tags.label_set("Shapes (demo)").labels}
    assert any(path[-1] in shapes for path in _keywords_on_disk(photos[1]))

    library.tags.accept([first], "Things", "beach")
    assert ("animals", "dog") in _keywords_on_disk(photos[0]) and ("beach",) in _keywords_on_disk(photos[0])
    things = library.tags.label_set("Things")
    renamed = LabelSet(
        "Things", tuple(Label("seaside") if lb.name == "beach" else lb for lb in things.labels), exclusive=False
    )
    library.tags.save_label_set(renamed, renames={"beach": "seaside"})
    assert ("seaside",) in _keywords_on_disk(photos[0])

    other = photos[2].with_name(photos[2].name + ".xmp")
    write_sidecar(photos[2], [Keyword(("trips", "lisbon"))])
    library.tags.import_keywords([third])
    assert ("trips", "lisbon") in _keywords_on_disk(photos[2]) and other.exists()

    from photoclip.cli import main

    library.close()
    args = ["tags", "accept", str(photos[3]), "--set", "Things", "--label", "dog"]
    code = main([*args, "--library", str(library.directory)])
    assert code == 0, capsys.readouterr().err
    assert ("animals", "dog") in _keywords_on_disk(photos[3])
