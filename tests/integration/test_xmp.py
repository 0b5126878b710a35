"""XMP interop, checked with exiftool reading what we wrote, and keywords coming back in."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from photoclip.core import IMPORTED_SET, Label, LabelSet, Library, LibraryError, PhotoId
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


def ids(library: Library, paths: list[Path]) -> list[PhotoId]:
    return [library.catalog.photo_by_path(p).id for p in paths]  # type: ignore[union-attr]


def test_exported_tags_are_what_exiftool_reads(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    before = {p: hash_file(p) for p in photos}
    library.tags.accept(ids(library, photos[:1]), "Things", "dog")
    library.tags.accept(ids(library, photos[:1]), "Things", "beach")
    library.tags.auto_tag("Shapes (demo)", ids(library, photos))  # unreviewed suggestions: not exported by default
    report = library.tags.export_xmp(ids(library, photos))
    assert report.written == [sidecar_path(photos[0])] and report.unchanged == 3
    assert str(report) == "Wrote 1 XMP sidecar; 3 photos only have suggested tags, which are written once accepted."
    meta = exiftool(str(sidecar_path(photos[0])))
    assert sorted(as_list(meta["Subject"])) == ["beach", "dog"]
    assert sorted(as_list(meta["HierarchicalSubject"])) == ["animals|dog", "beach"]
    assert sorted(as_list(meta["TagsList"])) == ["animals/dog", "beach"]
    assert {p: hash_file(p) for p in photos} == before  # the photos themselves are never written


def test_nothing_written_says_why(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    report = library.tags.export_xmp(ids(library, photos[:2]))
    assert not report.written and str(report) == "No XMP sidecar written; 2 photos have no tags."
    library.tags.auto_tag("Shapes (demo)", ids(library, photos[:1]))
    report = library.tags.export_xmp(ids(library, photos[:1]))
    assert str(report) == "No XMP sidecar written; 1 photo only has suggested tags, which are written once accepted."


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
    """One listener keeps sidecars in step, whoever changed the tags: auto-accept, a rename, an import, the CLI.

    A tag renamed or removed in photoclip leaves the sidecar; what another tool wrote there stays.
    """
    library, photos = tagged
    first, second, third = ids(library, photos[:3])
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-o",
            str(sidecar_path(photos[0])),
            "-XMP-xmp:Rating=5",
            "-XMP-dc:Subject=grandma",
            "-XMP-lr:HierarchicalSubject=family|grandma",
            str(photos[0]),
        ],
        check=True,
    )
    library.tags.accept([first], "Things", "dog")
    assert _keywords_on_disk(photos[0]) == [("family", "grandma")], "nothing is written while the setting is off"
    library.update_settings(write_sidecars_on_change=True)

    report = library.tags.auto_tag("Shapes (demo)", [second], auto_accept=0.0)  # auto-accepted: tags changed
    assert report.auto_accepted and second in report.changes.tagged
    shapes = {label.name for label in library.tags.label_set("Shapes (demo)").labels}
    assert any(path[-1] in shapes for path in _keywords_on_disk(photos[1]))

    library.tags.accept([first], "Things", "beach")
    assert set(_keywords_on_disk(photos[0])) == {("family", "grandma"), ("animals", "dog"), ("beach",)}
    things = library.tags.label_set("Things")
    renamed = LabelSet(
        "Things", tuple(Label("seaside") if lb.name == "beach" else lb for lb in things.labels), exclusive=False
    )
    library.tags.save_label_set(renamed, renames={"beach": "seaside"})
    assert set(_keywords_on_disk(photos[0])) == {("family", "grandma"), ("animals", "dog"), ("seaside",)}
    meta = exiftool(str(sidecar_path(photos[0])))
    assert "beach" not in as_list(meta["Subject"]) + as_list(meta["HierarchicalSubject"]) + as_list(meta["TagsList"])

    library.tags.remove([first], "Things", "dog")
    assert set(_keywords_on_disk(photos[0])) == {("family", "grandma"), ("seaside",)}
    meta = exiftool(str(sidecar_path(photos[0])))
    assert sorted(as_list(meta["Subject"])) == ["grandma", "seaside"] and meta["Rating"] == 5

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


# -- never lose a tag (issue 16) ----------------------------------------------------------------


def exiftool_sidecar(photo: Path, *assignments: str) -> Path:
    """A sidecar as another photo tool leaves it (digiKam naming unless the photo's name says otherwise)."""
    sidecar = sidecar_path(photo)
    subprocess.run(["exiftool", "-q", "-o", str(sidecar), *assignments, str(photo)], check=True)
    return sidecar


def strictly_valid_xml(path: Path) -> None:
    ET.fromstring(path.read_bytes())  # expat: refuses every character XML 1.0 forbids


def test_a_tag_xmp_cannot_hold_is_refused_and_other_tools_data_stays(tagged: tuple[Library, list[Path]]) -> None:
    """A label with U+0007 used to make the whole sidecar invalid: strict readers lost the rating and caption too."""
    library, photos = tagged
    (first,) = ids(library, photos[:1])
    sidecar = exiftool_sidecar(
        photos[0], "-XMP-xmp:Rating=4", "-XMP-dc:Description=Grandma's 80th", "-XMP-dc:Subject=grandma"
    )
    with pytest.raises(LibraryError, match=r"control character \(U\+0007\)"):
        library.tags.tag([first], "bad\x07tag")
    assert not any("bad" in t.label for t in library.tags.tags_of([first]).get(first, []))
    library.tags.tag([first], "party")
    report = library.tags.export_xmp([first])
    assert report.written == [sidecar] and not report.problems
    strictly_valid_xml(sidecar)
    meta = exiftool(str(sidecar))
    assert meta["Rating"] == 4 and meta["Description"] == "Grandma's 80th"
    assert sorted(as_list(meta["Subject"])) == ["grandma", "party"]


def test_iptc_keywords_with_control_characters_come_in_clean(tagged: tuple[Library, list[Path]]) -> None:
    library, photos = tagged
    (first,) = ids(library, photos[:1])
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-IPTC:Keywords=bad\x01word", "-IPTC:Keywords=cake", str(photos[0])],
        check=True,
    )
    report = library.tags.import_keywords([first])
    assert report.keywords == 2 and not report.problems
    assert sorted(t.label for t in library.tags.tags_of([first])[first]) == ["badword", "cake"]
    library.tags.export_xmp([first])
    strictly_valid_xml(sidecar_path(photos[0]))
    assert sorted(as_list(exiftool(str(sidecar_path(photos[0])))["Subject"])) == ["badword", "cake"]


@pytest.fixture
def pair(tagged: tuple[Library, list[Path]]) -> tuple[Library, Path, Path]:
    """pair.jpg and pair.png, two different photos sharing a name up to the extension, both indexed."""
    library, photos = tagged
    folder = photos[0].parent.parent / "pairs"
    folder.mkdir()
    with Image.open(photos[0]) as a, Image.open(photos[1]) as b:
        a.convert("RGB").save(folder / "pair.jpg", quality=90)
        b.convert("RGB").save(folder / "pair.png")
    library.indexer.update()
    return library, folder / "pair.jpg", folder / "pair.png"


def test_lightroom_naming_never_merges_two_photos_into_one_sidecar(
    pair: tuple[Library, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    library, jpg, png = pair
    jpg_id, png_id = ids(library, [jpg, png])
    library.tags.accept([jpg_id], "Things", "dog")
    library.tags.accept([png_id], "Things", "beach")
    report = library.tags.export_xmp([jpg_id, png_id], naming="lightroom")
    assert sorted(report.written) == [jpg.with_name("pair.jpg.xmp"), png.with_name("pair.png.xmp")]
    assert not jpg.with_suffix(".xmp").exists()
    assert as_list(exiftool(str(jpg.with_name("pair.jpg.xmp")))["Subject"]) == ["dog"]
    assert as_list(exiftool(str(png.with_name("pair.png.xmp")))["Subject"]) == ["beach"]
    warnings = dict(report.warnings)
    assert "shares its name with pair.png" in warnings[jpg] and "pair.png.xmp" in warnings[png]

    from photoclip.cli import main

    library.close()
    code = main(
        ["export-xmp", "--naming", "lightroom", "--folder", str(jpg.parent), "--library", str(library.directory)]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Wrote 2 XMP sidecars" in out
    assert "warning:" in out and "pair.jpg shares its name with pair.png; its tags went to pair.jpg.xmp" in out


def test_the_raw_file_beside_a_jpeg_keeps_its_lightroom_sidecar(pair: tuple[Library, Path, Path]) -> None:
    """RAW+JPEG: Lightroom, darktable and digiKam give name.xmp to the RAW; the JPEG's tags never go into it."""
    library, jpg, _png = pair
    (jpg_id,) = ids(library, [jpg])
    raw = jpg.with_name("pair.dng")
    raw.write_bytes(b"II*\x00")  # the naming rule looks at names only
    raw_sidecar = jpg.with_name("pair.xmp")  # as Lightroom names it, with the RAW's keywords
    subprocess.run(["exiftool", "-q", "-o", str(raw_sidecar), "-XMP-dc:Subject=raw keyword", str(jpg)], check=True)
    before = raw_sidecar.read_bytes()
    library.tags.accept([jpg_id], "Things", "dog")
    report = library.tags.export_xmp([jpg_id], naming="lightroom")
    assert report.written == [jpg.with_name("pair.jpg.xmp")] and "pair.dng" in dict(report.warnings)[jpg]
    assert raw_sidecar.read_bytes() == before
    assert as_list(exiftool(str(jpg.with_name("pair.jpg.xmp")))["Subject"]) == ["dog"]


def test_sidecars_keep_their_mode_and_new_ones_follow_the_umask(tagged: tuple[Library, list[Path]]) -> None:
    """Sidecars used to come out 0600 (mkstemp): other users of a shared folder or NAS could no longer read them."""
    library, photos = tagged
    first, second = ids(library, photos[:2])
    library.tags.accept([first, second], "Things", "beach")
    existing = exiftool_sidecar(photos[0], "-XMP-xmp:Rating=3")
    existing.chmod(0o644)
    previous = os.umask(0o002)
    try:
        report = library.tags.export_xmp([first, second])
    finally:
        os.umask(previous)
    assert sorted(report.written) == sorted([existing, sidecar_path(photos[1])])
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644
    assert stat.S_IMODE(sidecar_path(photos[1]).stat().st_mode) == 0o664


def test_a_read_only_sidecar_is_reported_and_left_byte_for_byte(
    tagged: tuple[Library, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The person made it read-only (chmod a-w) so that no tool changes it; root's os.access must not overrule that."""
    library, photos = tagged
    (first,) = ids(library, photos[:1])
    sidecar = exiftool_sidecar(photos[0], "-XMP-dc:Subject=grandma")
    sidecar.chmod(0o444)
    before = sidecar.read_bytes()
    library.tags.accept([first], "Things", "beach")
    report = library.tags.export_xmp([first])
    assert report.written == [] and len(report.problems) == 1
    assert report.problems[0][0] == photos[0] and "read-only" in report.problems[0][1]
    assert sidecar.read_bytes() == before and stat.S_IMODE(sidecar.stat().st_mode) == 0o444

    from photoclip.cli import main

    library.close()
    code = main(["export-xmp", "--folder", str(photos[0].parent), "--library", str(library.directory)])
    out = capsys.readouterr().out
    assert code == 1 and f"problem: {photos[0]}: {sidecar.name} is read-only" in out
    assert sidecar.read_bytes() == before


def test_temporary_files_of_a_killed_export_go_at_the_next_one(tagged: tuple[Library, list[Path]]) -> None:
    """kill -9 during export-xmp left hidden .NAME.xmp.XXXX.tmp files beside the photos forever."""
    library, photos = tagged
    (first,) = ids(library, photos[:1])
    stale = photos[0].with_name(f".{photos[0].name}.xmp.k2j_9x1a.tmp")
    stale.write_bytes(b'<?xpacket begin="')
    yesterday = time.time() - 86_400
    os.utime(stale, (yesterday, yesterday))
    library.tags.accept([first], "Things", "beach")
    assert library.tags.export_xmp([first]).written == [sidecar_path(photos[0])]
    assert not stale.exists()
    assert not [p.name for p in photos[0].parent.iterdir() if p.name.endswith(".tmp")]


def test_a_keyword_another_tool_wrote_stays_when_the_same_tag_is_removed_in_photoclip(
    tagged: tuple[Library, list[Path]],
) -> None:
    """Imported from Lightroom's keywords, then removed in photoclip: photoclip did not write it, so it stays."""
    library, photos = tagged
    (first,) = ids(library, photos[:1])
    sidecar = exiftool_sidecar(photos[0], "-XMP-dc:Subject=beach", "-XMP-lr:HierarchicalSubject=beach")
    library.tags.accept([first], "Things", "beach")
    library.tags.accept([first], "Things", "dog")
    library.tags.export_xmp([first])
    library.tags.remove([first], "Things", "beach")
    library.tags.remove([first], "Things", "dog")
    library.tags.export_xmp([first])
    assert read_keywords(sidecar.read_bytes()) == [("beach",)]  # theirs stays; the dog photoclip wrote is gone


def test_a_photo_without_tags_gets_no_empty_sidecar_beside_another_tools(tagged: tuple[Library, list[Path]]) -> None:
    """Lightroom's photo.xmp holds keywords; an empty photo.jpg.xmp beside it would hide them from darktable."""
    library, photos = tagged
    (first,) = ids(library, photos[:1])
    lightroom = photos[0].with_suffix(".xmp")
    subprocess.run(["exiftool", "-q", "-o", str(lightroom), "-XMP-dc:Subject=grandma", str(photos[0])], check=True)
    report = library.tags.export_xmp([first])
    assert report.written == [] and report.unchanged == 1
    assert not sidecar_path(photos[0]).exists()
