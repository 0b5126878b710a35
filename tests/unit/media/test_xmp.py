"""XMP sidecars on their own (no library, no exiftool): what is refused, where each goes, what stays, how fast."""

from __future__ import annotations

import os
import stat
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.media.xmp import (
    MAX_XMP_BYTES,
    Keyword,
    XmpRating,
    check_xml_text,
    embedded_keywords,
    read_keywords,
    read_rating,
    read_sidecar_keywords,
    read_sidecar_rating,
    sidecar_path,
    sidecar_targets,
    write_sidecar,
)

XMP_WITH_OTHER_FIELDS = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Grandma's 80th</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag><rdf:li>grandma</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def photo(folder: Path, name: str = "IMG_0001.jpg") -> Path:
    path = folder / name
    path.write_bytes(b"\xff\xd8\xff\xd9")  # sidecars only look at names; no pixels needed
    return path


def keywords_in(path: Path) -> list[tuple[str, ...]]:
    return read_keywords(path.read_bytes())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- text XMP cannot hold (issue 16, item 3) ---------------------------------------------------


@pytest.mark.parametrize("text", ["bad\x01label", "bell\x07", "nul\x00", "del\x7f", "esc\x1b[0m", "\ufffe"])
def test_control_characters_are_refused_with_the_text_named(text: str) -> None:
    with pytest.raises(LibraryError, match=r"control character \(U\+00|control character \(U\+FFFE"):
        check_xml_text(text, "a keyword")


def test_tab_newline_and_any_script_are_fine() -> None:
    for text in ("two\twords", "two\nlines", "Été à Kraków", "東京", "emoji 🐕"):
        assert check_xml_text(text, "a keyword") == text


def test_the_message_keeps_the_case_of_what_it_names() -> None:
    with pytest.raises(LibraryError) as error:
        check_xml_text("x\x01", "label 'Lisbon'")
    assert str(error.value).startswith("Label 'Lisbon' 'x\\x01' contains a control character (U+0001)")


def test_a_keyword_xml_cannot_hold_never_reaches_a_sidecar_holding_other_tools_data(tmp_path: Path) -> None:
    """The old writer put U+0001 into the file: strict XML readers then lost the rating and description too."""
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    sidecar.write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    before = sidecar.read_bytes()
    with pytest.raises(LibraryError, match="control character"):
        write_sidecar(image, [Keyword(("beach",)), Keyword(("bad\x01tag",))])
    assert sidecar.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [image.name, sidecar.name]  # no temporary file either


def test_a_written_sidecar_is_valid_xml_and_keeps_every_other_field(tmp_path: Path) -> None:
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    sidecar.write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    write_sidecar(image, [Keyword(("animals", "dog"))])
    root = ET.fromstring(sidecar.read_bytes())  # strict: raises on anything XML 1.0 forbids
    assert (
        root.find(
            ".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description[@{http://ns.adobe.com/xap/1.0/}Rating='4']"
        )
        is not None
    )
    text = sidecar.read_text(encoding="utf-8")
    assert "Grandma's 80th" in text
    assert set(keywords_in(sidecar)) == {("grandma",), ("animals", "dog")}


def test_keywords_other_tools_wrote_with_del_are_read_without_it() -> None:
    """DEL is valid XML: a sidecar may hold it, and one such keyword must not stop a whole import."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag>'
        "<rdf:li>sun\x7fset</rdf:li><rdf:li>\x7f</rdf:li><rdf:li>sea</rdf:li></rdf:Bag></dc:subject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    assert read_keywords(xmp) == [("sunset",), ("sea",)]


# -- where each sidecar goes (item 4a) ---------------------------------------------------------


def test_lightroom_naming_gives_photos_sharing_a_name_a_sidecar_each(tmp_path: Path) -> None:
    jpg, png = photo(tmp_path, "pair.jpg"), photo(tmp_path, "pair.png")
    targets = sidecar_targets([jpg, png], "lightroom")
    assert targets[jpg][0] == tmp_path / "pair.jpg.xmp" and targets[png][0] == tmp_path / "pair.png.xmp"
    assert "pair.jpg shares its name with pair.png" in str(targets[jpg][1])
    assert "pair.png.xmp" in str(targets[png][1])


def test_the_raw_file_of_a_raw_and_jpeg_pair_owns_the_lightroom_sidecar(tmp_path: Path) -> None:
    raw, jpg = photo(tmp_path, "pair.dng"), photo(tmp_path, "pair.jpg")
    targets = sidecar_targets([raw, jpg], "lightroom")
    assert targets[raw] == (tmp_path / "pair.xmp", None)
    assert targets[jpg][0] == tmp_path / "pair.jpg.xmp" and targets[jpg][1] is not None
    # the same when only the JPEG's tags changed: the RAW beside it on disk still owns pair.xmp
    assert sidecar_targets([jpg], "lightroom")[jpg][0] == tmp_path / "pair.jpg.xmp"
    # upper-case camera suffixes too
    cr2 = photo(tmp_path, "IMG_7.CR2")
    jpeg = photo(tmp_path, "IMG_7.JPG")
    assert sidecar_targets([jpeg, cr2], "lightroom")[cr2] == (tmp_path / "IMG_7.xmp", None)


def test_a_photo_alone_keeps_the_usual_names(tmp_path: Path) -> None:
    alone = photo(tmp_path, "alone.jpg")
    photo(tmp_path, "alone.txt")  # not a photo: no clash
    assert sidecar_targets([alone], "lightroom") == {alone: (tmp_path / "alone.xmp", None)}
    assert sidecar_targets([alone], "digikam") == {alone: (tmp_path / "alone.jpg.xmp", None)}


# -- the file itself: mode, read-only, leftovers (items 4b, 4c, 4d) ---------------------------------


def test_a_rewritten_sidecar_keeps_its_mode(tmp_path: Path) -> None:
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    write_sidecar(image, [Keyword(("beach",))])
    sidecar.chmod(0o664)  # shared with a group, as the person set it
    write_sidecar(image, [Keyword(("beach",)), Keyword(("sunset",))])
    assert mode(sidecar) == 0o664
    sidecar.chmod(0o644)
    write_sidecar(image, [Keyword(("sunset",))])
    assert mode(sidecar) == 0o644


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_a_new_sidecar_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    """The old writer used mkstemp: every sidecar came out 0600, unreadable by the group or by a NAS user."""
    image = photo(tmp_path)
    previous = os.umask(umask)
    try:
        written = write_sidecar(image, [Keyword(("beach",))])
    finally:
        os.umask(previous)
    assert mode(written) == 0o666 & ~umask


def test_a_read_only_sidecar_is_left_byte_for_byte(tmp_path: Path) -> None:
    """Checked on the mode bits: os.access says root may write anything, and the tests may run as root."""
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    sidecar.write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    sidecar.chmod(0o444)
    before = sidecar.read_bytes()
    with pytest.raises(LibraryError, match="read-only"):
        write_sidecar(image, [Keyword(("beach",))])
    assert sidecar.read_bytes() == before and mode(sidecar) == 0o444


def test_a_temporary_file_left_by_a_killed_write_goes_at_the_next_write(tmp_path: Path) -> None:
    image = photo(tmp_path)
    stale = tmp_path / ".IMG_0001.jpg.xmp.k2j_9x1a.tmp"  # what mkstemp named them before
    stale.write_bytes(b"<x:xmpmeta half written")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    in_progress = tmp_path / ".IMG_0001.jpg.xmp.0a1b2c3d.tmp"  # another writer's, just now: not ours to remove
    in_progress.write_bytes(b"")
    write_sidecar(image, [Keyword(("beach",))])
    assert not stale.exists() and in_progress.exists()
    assert keywords_in(sidecar_path(image)) == [("beach",)]


# -- what photoclip wrote, and what others did (item 4e) ---------------------------------------


def test_a_removed_or_renamed_tag_leaves_the_sidecar_but_other_keywords_stay(tmp_path: Path) -> None:
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    sidecar.write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    write_sidecar(image, [Keyword(("beach",)), Keyword(("animals", "dog"))])
    write_sidecar(image, [Keyword(("seaside",)), Keyword(("animals", "dog"))])  # beach renamed
    assert set(keywords_in(sidecar)) == {("grandma",), ("seaside",), ("animals", "dog")}
    write_sidecar(image, [])  # every tag removed
    assert keywords_in(sidecar) == [("grandma",)]
    assert "Grandma's 80th" in sidecar.read_text(encoding="utf-8")


def test_a_keyword_another_tool_wrote_first_stays_when_photoclip_drops_the_same_tag(tmp_path: Path) -> None:
    """Written by the person in Lightroom, imported, then removed in photoclip: still theirs, so it stays."""
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    sidecar.write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    write_sidecar(image, [Keyword(("grandma",)), Keyword(("beach",))])
    write_sidecar(image, [])
    assert keywords_in(sidecar) == [("grandma",)]


def test_suggestions_stay_out_of_the_flat_list_and_are_replaced(tmp_path: Path) -> None:
    image = photo(tmp_path)
    write_sidecar(image, [Keyword(("beach",), suggestion=True)])
    write_sidecar(image, [Keyword(("sunset",), suggestion=True)])
    text = sidecar_path(image).read_text(encoding="utf-8")
    assert "photoclip|auto|sunset" in text and "beach" not in text
    assert keywords_in(sidecar_path(image)) == []  # our own suggestions never come back in as keywords


# -- size and speed (item 7) ---------------------------------------------------------------------


def big_sidecar(count: int) -> str:
    items = "".join(f"<rdf:li>places|keyword {i}</rdf:li>" for i in range(count))
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:lr="http://ns.adobe.com/lightroom/1.0/"><lr:hierarchicalSubject><rdf:Bag>'
        f"{items}</rdf:Bag></lr:hierarchicalSubject></rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def test_forty_thousand_keywords_are_read_in_linear_time() -> None:
    started = time.perf_counter()
    found = read_keywords(big_sidecar(40_000))
    assert time.perf_counter() - started < 4
    assert len(found) == 40_000 and found[0] == ("places", "keyword 0") and found[-1] == ("places", "keyword 39999")


def test_a_sidecar_bigger_than_xmp_ever_is_is_refused_without_reading_it(tmp_path: Path) -> None:
    image = photo(tmp_path)
    with sidecar_path(image).open("wb") as f:
        f.write(big_sidecar(10).encode())
        f.truncate(MAX_XMP_BYTES + 1)  # sparse: big on paper, nothing to read
    started = time.perf_counter()
    with pytest.raises(LibraryError, match="MB, more than an XMP sidecar ever is"):
        read_sidecar_keywords(image)
    assert time.perf_counter() - started < 1


def test_a_photo_full_of_unclosed_xmp_tags_is_read_in_linear_time(tmp_path: Path) -> None:
    """195 KB with 20,000 '<x:xmpmeta' and no end took 17.7 s with a lazy regular expression."""
    image = tmp_path / "odd.jpg"
    image.write_bytes(b"\xff\xd8\xff\xfe" + b"<x:xmpmeta " * 20_000 + b"\xff\xd9")
    started = time.perf_counter()
    assert embedded_keywords(image) == []
    assert time.perf_counter() - started < 2


# -- ratings ------------------------------------------------------------------------------------


def test_a_rating_replaces_the_one_there_and_keeps_everything_else(tmp_path: Path) -> None:
    image = photo(tmp_path)
    sidecar = sidecar_path(image)
    sidecar.write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    assert read_rating(sidecar.read_bytes()) == XmpRating(4, None)  # another tool's rating, no flag of ours

    write_sidecar(image, [Keyword(("beach",))], rating=XmpRating(2, True))

    data = sidecar.read_bytes()
    assert read_rating(data) == XmpRating(2, True)
    assert data.count(b"Rating") == 1  # replaced where it was, not written twice
    assert b"Grandma's 80th" in data and set(keywords_in(sidecar)) == {("grandma",), ("beach",)}
    assert read_sidecar_rating(image) == XmpRating(2, True)


def test_no_rating_leaves_the_one_another_tool_wrote(tmp_path: Path) -> None:
    image = photo(tmp_path)
    sidecar_path(image).write_text(XMP_WITH_OTHER_FIELDS, encoding="utf-8")
    write_sidecar(image, [Keyword(("beach",))])
    assert read_rating(sidecar_path(image).read_bytes()) == XmpRating(4, None)


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        ('<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:Rating>5</xmp:Rating></rdf:Description>', 5),
        ('<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="-1"/>', None),  # "rejected"
        ('<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3.0"/>', 3),
        ('<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="lots"/>', None),
    ],
)
def test_ratings_are_read_as_tools_write_them(packet: str, expected: int | None) -> None:
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{packet}</rdf:RDF></x:xmpmeta>'
    assert read_rating(xmp).stars == expected


def test_the_rating_inside_a_photo_is_read_when_there_is_no_sidecar(tmp_path: Path) -> None:
    image = tmp_path / "IMG.jpg"
    image.write_bytes(b"\xff\xd8" + XMP_WITH_OTHER_FIELDS.encode() + b"\xff\xd9")
    assert read_sidecar_rating(image) == XmpRating(4, None)
