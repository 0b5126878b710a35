"""The text read in a photo and its place, in XMP: written only where a person has not set them, read back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from photoclip.core.media.xmp import Keyword, read_location, read_sidecar_location, write_sidecar
from photoclip.core.places.names import Place

LISBON = Place("Lisbon", "Lisbon", "Portugal", "PT")
THEIRS = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" photoshop:City="Belém">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Our trip</rdf:li></rdf:Alt></dc:description>
</rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_text_and_place_go_where_nothing_was(tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"")
    path = write_sidecar(photo, [Keyword(("receipt",))], text="TOTAL 12.50", place=LISBON)
    data = path.read_text()
    assert "<photoshop:City>Lisbon</photoshop:City>" in data and "TOTAL 12.50" in data
    assert read_location(data).place is None, "what photoclip wrote is not read back as a person's place"
    write_sidecar(photo, [], text="TOTAL 13.00", place=Place("Porto", "Porto", "Portugal", "PT"))
    data = path.read_text()
    assert "TOTAL 13.00" in data and "TOTAL 12.50" not in data, "photoclip's own description is updated"
    assert "<photoshop:City>Porto</photoshop:City>" in data


def test_a_person_s_caption_and_place_are_never_replaced(tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"")
    (tmp_path / "p.jpg.xmp").write_text(THEIRS)
    write_sidecar(photo, [], text="EXIT", place=LISBON)
    data = (tmp_path / "p.jpg.xmp").read_text()
    assert "Our trip" in data and data.count("EXIT") == 1, "the text only in photoclip:Text"
    assert 'photoshop:City="Belém"' in data or "<photoshop:City>Belém</photoshop:City>" in data
    assert "<photoshop:Country>Portugal</photoshop:Country>" in data, "empty fields are filled"
    location = read_sidecar_location(photo)
    assert location is not None and location.place == Place("Belém", "Lisbon", "Portugal", "PT")


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_reads_the_place_and_description(tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"")
    path = write_sidecar(photo, [], text="BOARDING PASS", place=LISBON)
    out = subprocess.run(
        ["exiftool", "-s", "-City", "-State", "-Country", "-CountryCode", "-Description", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "City                            : Lisbon" in out
    assert "CountryCode                     : PT" in out
    assert "Description                     : BOARDING PASS" in out
