"""The camera's record of a photo, read from the file on demand: exposure, lens, GPS, and nonsense refused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from photoclip.core import GpsPosition, PhotoExif, read_exif
from photoclip.core.media.exif import describe_exif

pytestmark = pytest.mark.unit


def exif_jpeg(path: Path, *, gps: dict[int, object] | None = None, details: dict[int, object] | None = None) -> Path:
    """A JPEG whose EXIF a camera could have written (made with Pillow)."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R6"
    inner = exif.get_ifd(0x8769)
    inner.update(
        {
            0x829A: IFDRational(1, 250),
            0x829D: IFDRational(28, 10),
            0x8827: 400,
            0x920A: IFDRational(35, 1),
            0xA405: 52,
            0xA434: "RF24-105mm F4 L IS USM",
            0x9003: "2024:05:17 14:03:22",
            0x9011: "+02:00",
            0x9209: 0x10,  # flash did not fire (compulsory off)
        }
    )
    inner.update(details or {})  # type: ignore[arg-type]
    if gps is not None:
        exif.get_ifd(0x8825).update(gps)  # type: ignore[arg-type]
    Image.new("RGB", (64, 48), "red").save(path, exif=exif)
    return path


PARIS = {
    1: "N",
    2: (IFDRational(48, 1), IFDRational(51, 1), IFDRational(2412, 100)),
    3: "E",
    4: (IFDRational(2, 1), IFDRational(17, 1), IFDRational(4020, 100)),
    5: b"\x00",
    6: IFDRational(35, 1),
}


def test_a_cameras_exif_reads_back_in_full(tmp_path: Path) -> None:
    info = read_exif(exif_jpeg(tmp_path / "photo.jpg", gps=PARIS))
    assert info.camera == "Canon EOS R6"
    assert info.lens == "RF24-105mm F4 L IS USM"
    assert info.exposure_time == pytest.approx(1 / 250)
    assert info.f_number == pytest.approx(2.8)
    assert info.iso == 400
    assert info.focal_length == 35 and info.focal_length_35mm == 52
    assert info.flash_fired is False
    assert info.taken_at == "2024-05-17T14:03:22" and info.time_offset == "+02:00"
    assert info.gps is not None
    assert info.gps.latitude == pytest.approx(48.8567, abs=1e-4)
    assert info.gps.longitude == pytest.approx(2.2945, abs=1e-4)
    assert info.gps.altitude == 35
    assert dict(info.rows()) == {
        "Camera": "Canon EOS R6",
        "Lens": "RF24-105mm F4 L IS USM",
        "Exposure": "1/250 s",
        "Aperture": "f/2.8",
        "ISO": "400",
        "Focal length": "35 mm (52 mm in 35 mm terms)",
        "Flash": "did not fire",
        "Location": "48.85670° N, 2.29450° E",
        "Altitude": "35 m above sea level",
        "Time zone": "UTC+02:00",
    }


def test_south_west_and_below_sea_level_are_signed(tmp_path: Path) -> None:
    gps = {
        1: "S",
        2: (IFDRational(33, 1), IFDRational(51, 1), IFDRational(0, 1)),
        3: "W",
        4: (IFDRational(70, 1), IFDRational(30, 1), IFDRational(0, 1)),
        5: b"\x01",
        6: IFDRational(12, 1),
    }
    info = read_exif(exif_jpeg(tmp_path / "south.jpg", gps=gps))
    assert info.gps == GpsPosition(-33.85, -70.5, -12.0)
    assert str(info.gps) == "33.85000° S, 70.50000° W"
    assert dict(info.rows())["Altitude"] == "12 m below sea level"


@pytest.mark.parametrize(
    "gps",
    [
        {1: "N", 2: (IFDRational(0, 1),) * 3, 3: "E", 4: (IFDRational(0, 1),) * 3},  # 0,0: no fix
        {**PARIS, 9: "V"},  # the receiver said "void"
        {1: "N", 2: (IFDRational(95, 1), IFDRational(0, 1), IFDRational(0, 1)), 3: "E", 4: PARIS[4]},  # > 90°
        {1: "N", 2: (IFDRational(1, 0), IFDRational(0, 1), IFDRational(0, 1)), 3: "E", 4: PARIS[4]},  # 1/0
    ],
    ids=["zero", "void", "out-of-range", "zero-denominator"],
)
def test_positions_a_camera_did_not_mean_are_not_shown(tmp_path: Path, gps: dict[int, object]) -> None:
    assert read_exif(exif_jpeg(tmp_path / "nowhere.jpg", gps=gps)).gps is None


def test_apex_values_stand_in_for_missing_exposure_and_aperture(tmp_path: Path) -> None:
    path = tmp_path / "apex.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9201: IFDRational(7, 1), 0x9202: IFDRational(4, 1)})  # 1/128 s, f/4
    Image.new("RGB", (8, 8)).save(path, exif=exif)
    info = read_exif(path)
    assert info.rows() == [("Exposure", "1/128 s"), ("Aperture", "f/4")]


def test_long_exposures_read_in_seconds(tmp_path: Path) -> None:
    info = read_exif(exif_jpeg(tmp_path / "night.jpg", details={0x829A: IFDRational(13, 10)}))
    assert dict(info.rows())["Exposure"] == "1.3 s"


def test_nonsense_values_are_dropped_not_shown(tmp_path: Path) -> None:
    info = read_exif(
        exif_jpeg(tmp_path / "odd.jpg", details={0x829A: IFDRational(0, 0), 0x829D: IFDRational(0, 1), 0x8827: 0})
    )
    assert info.exposure_time is None and info.f_number is None and info.iso is None
    assert info.camera == "Canon EOS R6", "the rest still reads"


def test_files_without_exif_or_at_all_give_an_empty_record(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    assert read_exif(plain).is_empty
    assert read_exif(tmp_path / "gone.jpg") == PhotoExif()
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00" + b"\x00" * 10)
    assert read_exif(garbage).rows() == []
    assert describe_exif(None).is_empty


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed (./dev test installs it)")
def test_what_exiftool_writes_reads_the_same(tmp_path: Path) -> None:
    """Another writer (the one photographers use to fix their files) agrees with us."""
    path = tmp_path / "fixed.jpg"
    Image.new("RGB", (32, 24), "blue").save(path)
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-overwrite_original",
            "-Make=NIKON CORPORATION",
            "-Model=NIKON Z 6",
            "-LensMake=Nikon",
            "-LensModel=NIKKOR Z 50mm f/1.8 S",
            "-ExposureTime=1/60",
            "-FNumber=1.8",
            "-ISO=3200",
            "-FocalLength=50",
            "-ExposureCompensation=-0.7",
            "-EXIF:Flash=Fired",
            "-GPSLatitude=35.6586",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=139.7454",
            "-GPSLongitudeRef=E",
            str(path),
        ],
        check=True,
    )
    rows = dict(read_exif(path).rows())
    assert rows["Camera"] == "NIKON Z 6"
    assert rows["Lens"] == "NIKKOR Z 50mm f/1.8 S"
    assert (rows["Exposure"], rows["Aperture"], rows["ISO"], rows["Focal length"]) == (
        "1/60 s",
        "f/1.8",
        "3200",
        "50 mm",
    )
    assert rows["Exposure bias"] == "-0.7 EV" and rows["Flash"] == "fired"
    assert rows["Location"] == "35.65860° N, 139.74540° E"
