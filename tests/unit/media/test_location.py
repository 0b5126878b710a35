"""Coordinates from a photo's EXIF GPS tags or its XMP sidecar; broken tags are no location, never an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from photoclip.core.media.location import gps_from_exif, locate
from photoclip.core.media.xmp import parse_xmp_coordinate
from photoclip.demo import save_photo

SIDECAR = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"
  exif:GPSLatitude="{lat}" exif:GPSLongitude="{lon}"/></rdf:RDF></x:xmpmeta>"""


def photo(path: Path, gps: tuple[float, float] | None) -> Path:
    save_photo(Image.new("RGB", (32, 24), "red"), path, gps=gps)
    return path


def test_exif_gps_in_every_hemisphere(tmp_path: Path) -> None:
    for i, (lat, lon) in enumerate([(38.7223, -9.1393), (-33.8688, 151.2093), (64.1, -21.9)]):
        found = locate(photo(tmp_path / f"{i}.jpg", (lat, lon)))
        assert found is not None and found.source == "exif"
        assert found.latitude == pytest.approx(lat, abs=1e-4) and found.longitude == pytest.approx(lon, abs=1e-4)


def test_a_photo_without_gps_or_with_broken_gps_has_no_location(tmp_path: Path) -> None:
    assert locate(photo(tmp_path / "none.jpg", None)) is None
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (0, 0, 0), "E", (0, 0, 0)  # what GPS units write before a fix
    Image.new("RGB", (8, 8)).save(tmp_path / "zero.jpg", exif=exif)
    assert locate(tmp_path / "zero.jpg") is None
    assert gps_from_exif(None) is None
    (tmp_path / "junk.jpg").write_bytes(b"not a photo at all")
    assert locate(tmp_path / "junk.jpg") is None


def test_a_sidecar_s_coordinates_come_first(tmp_path: Path) -> None:
    path = photo(tmp_path / "p.jpg", (38.7223, -9.1393))
    (tmp_path / "p.jpg.xmp").write_text(SIDECAR.format(lat="41,9.474N", lon="8,37.746W"))
    found = locate(path)
    assert found is not None and found.source == "sidecar"
    assert (round(found.latitude, 3), round(found.longitude, 3)) == (41.158, -8.629)
    (tmp_path / "p.jpg.xmp").write_text("<broken")
    found = locate(path)
    assert found is not None and found.source == "exif", "an unreadable sidecar leaves the EXIF"


def test_xmp_coordinate_forms() -> None:
    assert parse_xmp_coordinate("38,43.338N") == pytest.approx(38.7223)
    assert parse_xmp_coordinate("9,8,21.48W") == pytest.approx(-9.1393)
    assert parse_xmp_coordinate("-33.8688") == pytest.approx(-33.8688)
    assert parse_xmp_coordinate("") is None and parse_xmp_coordinate("north") is None
