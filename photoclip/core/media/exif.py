"""What a photo's EXIF says, read defensively: capture date, camera, lens, exposure and where it was taken.

Camera firmware pads text with NULs, writes placeholder dates of zeros, rationals with a
zero denominator and GPS positions of 0,0 without a fix; every reader here returns None
for what it cannot trust, so a malformed tag never fails a photo. The catalog keeps only
the date and the camera (for sorting and filtering); the viewer reads the rest from the
file on demand (`decode.read_exif`), so nothing here is stored.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

__all__ = ["GpsPosition", "PhotoExif", "camera_name", "describe_exif", "exif_text", "parse_exif_datetime", "taken_at"]

logger = logging.getLogger(__name__)

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_SOFTWARE = 0x0131
TAG_DATETIME = 0x0132
TAG_EXPOSURE_TIME = 0x829A
TAG_F_NUMBER = 0x829D
TAG_ISO = 0x8827
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_SHUTTER_SPEED = 0x9201  # APEX, when ExposureTime is missing
TAG_APERTURE = 0x9202  # APEX, when FNumber is missing
TAG_EXPOSURE_BIAS = 0x9204
TAG_FLASH = 0x9209
TAG_FOCAL_LENGTH = 0x920A
TAG_FOCAL_LENGTH_35MM = 0xA405
TAG_LENS_MAKE = 0xA433
TAG_LENS_MODEL = 0xA434
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
GPS_ALTITUDE_REF, GPS_ALTITUDE, GPS_STATUS = 5, 6, 9

_DATE_RE = re.compile(r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


@dataclass(frozen=True)
class GpsPosition:
    """Where the photo was taken, in decimal degrees (north and east positive), altitude in metres."""

    latitude: float
    longitude: float
    altitude: float | None = None

    def __str__(self) -> str:
        north = "N" if self.latitude >= 0 else "S"
        east = "E" if self.longitude >= 0 else "W"
        return f"{abs(self.latitude):.5f}° {north}, {abs(self.longitude):.5f}° {east}"


@dataclass(frozen=True)
class PhotoExif:
    """The camera's own record of a photo; every field is None when the file does not say (or says nonsense)."""

    camera: str | None = None
    lens: str | None = None
    exposure_time: float | None = None  # seconds
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None  # millimetres, real
    focal_length_35mm: float | None = None  # millimetres, as on a 35 mm camera
    exposure_bias: float | None = None  # EV
    flash_fired: bool | None = None
    taken_at: str | None = None  # ISO 8601, local time of the camera
    time_offset: str | None = None  # "+02:00": the camera's time zone, when it wrote one
    gps: GpsPosition | None = None
    software: str | None = None

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in self.__dict__.values())

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs in the order photo apps show them, for what the file says."""
        rows: list[tuple[str, str]] = []
        for name, value in (
            ("Camera", self.camera),
            ("Lens", self.lens),
            ("Exposure", _exposure_text(self.exposure_time)),
            ("Aperture", _aperture_text(self.f_number)),
            ("ISO", f"{self.iso}" if self.iso is not None else None),
            ("Focal length", _focal_text(self.focal_length, self.focal_length_35mm)),
            ("Exposure bias", f"{self.exposure_bias:+.1f} EV" if self.exposure_bias else None),
            ("Flash", None if self.flash_fired is None else ("fired" if self.flash_fired else "did not fire")),
            ("Location", str(self.gps) if self.gps is not None else None),
            ("Altitude", _altitude_text(self.gps)),
            ("Time zone", f"UTC{self.time_offset}" if self.time_offset else None),
            ("Software", self.software),
        ):
            if value:
                rows.append((name, value))
        return rows


def describe_exif(exif: Image.Exif | None) -> PhotoExif:
    """Everything worth showing from an EXIF block (never raises)."""
    if exif is None:
        return PhotoExif()
    details = _ifd(exif, EXIF_IFD)
    exposure = _number(details.get(TAG_EXPOSURE_TIME))
    if exposure is None:
        apex = _number(details.get(TAG_SHUTTER_SPEED))
        exposure = 2.0**-apex if apex is not None and -20 < apex < 30 else None
    f_number = _number(details.get(TAG_F_NUMBER))
    if f_number is None:
        apex = _number(details.get(TAG_APERTURE))
        f_number = 2.0 ** (apex / 2) if apex is not None and 0 <= apex < 30 else None
    flash = details.get(TAG_FLASH)
    return PhotoExif(
        camera=camera_name(exif),
        lens=_lens(exif),
        exposure_time=exposure if exposure is not None and 0 < exposure < 3600 * 24 else None,
        f_number=f_number if f_number is not None and 0.5 <= f_number <= 256 else None,
        iso=_iso(details.get(TAG_ISO)),
        focal_length=_positive(_number(details.get(TAG_FOCAL_LENGTH)), 10_000),
        focal_length_35mm=_positive(_number(details.get(TAG_FOCAL_LENGTH_35MM)), 10_000),
        exposure_bias=_bounded(_number(details.get(TAG_EXPOSURE_BIAS)), 20),
        flash_fired=bool(flash & 1) if isinstance(flash, int) else None,
        taken_at=taken_at(exif),
        time_offset=_offset(exif_text(exif, TAG_OFFSET_TIME_ORIGINAL, EXIF_IFD)),
        gps=_gps(_ifd(exif, GPS_IFD)),
        software=exif_text(exif, TAG_SOFTWARE),
    )


def exif_text(exif: Image.Exif | None, tag: int, ifd: int | None = None) -> str | None:
    """Read one text tag defensively: camera firmware pads with NULs, and malformed EXIF must not fail a photo."""
    if exif is None:
        return None
    try:
        value = exif.get_ifd(ifd).get(tag) if ifd is not None else exif.get(tag)
    except Exception as e:
        logger.debug("cannot read EXIF tag 0x%04x: %s", tag, e)
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", " ").split())
    return cleaned or None


def taken_at(exif: Image.Exif | None) -> str | None:
    """When the photo was taken (original, else digitised, else the file's EXIF date), ISO 8601."""
    candidates = (
        exif_text(exif, TAG_DATETIME_ORIGINAL, EXIF_IFD),
        exif_text(exif, TAG_DATETIME_DIGITIZED, EXIF_IFD),
        exif_text(exif, TAG_DATETIME),
    )
    for text in candidates:
        parsed = parse_exif_datetime(text)
        if parsed is not None:
            return parsed
    return None


def parse_exif_datetime(text: str | None) -> str | None:
    """Accept the EXIF "YYYY:MM:DD HH:MM:SS" form and the common near-misses; reject placeholders like zeros."""
    if text is None:
        return None
    match = _DATE_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None


def camera_name(exif: Image.Exif | None) -> str | None:
    """Make and model as people say it: "Canon EOS 5D", not "Canon Canon EOS 5D"."""
    make = exif_text(exif, TAG_MAKE)
    model = exif_text(exif, TAG_MODEL)
    if make is None or model is None:
        return model or make
    # "Canon" + "Canon EOS 5D", and also "NIKON CORPORATION" + "NIKON D750": the model already names the maker.
    if model.casefold().startswith(make.casefold()) or model.split()[0].casefold() == make.split()[0].casefold():
        return model
    return f"{make} {model}"


# --- helpers -------------------------------------------------------------------------------------------------------


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception as e:
        logger.debug("cannot read EXIF directory 0x%04x: %s", tag, e)
        return {}


def _number(value: object) -> float | None:
    """A finite number from an int, float or rational (the first of a tuple); None for 0/0 and the like."""
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _positive(value: float | None, limit: float) -> float | None:
    return value if value is not None and 0 < value < limit else None


def _bounded(value: float | None, limit: float) -> float | None:
    return value if value is not None and abs(value) <= limit else None


def _iso(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and 1 <= number <= 10_000_000 else None


def _lens(exif: Image.Exif) -> str | None:
    """The lens model as written ("RF24-105mm F4 L IS USM"); its maker only when the model is missing."""
    return exif_text(exif, TAG_LENS_MODEL, EXIF_IFD) or exif_text(exif, TAG_LENS_MAKE, EXIF_IFD)


def _offset(text: str | None) -> str | None:
    match = _OFFSET_RE.match(text) if text else None
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    return f"{sign}{hours}:{minutes}" if int(hours) <= 14 and int(minutes) < 60 else None


def _degrees(value: object, ref: object, negative: str) -> float | None:
    """Degrees, minutes, seconds (rationals) and a hemisphere letter to signed decimal degrees."""
    if not isinstance(value, tuple | list) or not value:
        return None
    parts = [_number(v) for v in value[:3]]
    if any(p is None for p in parts):
        return None
    numbers = [p for p in parts if p is not None] + [0.0, 0.0]
    degrees = numbers[0] + numbers[1] / 60 + numbers[2] / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", errors="replace")
    if isinstance(ref, str) and ref.strip("\x00 ").upper().startswith(negative):
        degrees = -degrees
    return degrees


def _gps(gps: dict[int, Any]) -> GpsPosition | None:
    status = gps.get(GPS_STATUS)
    if isinstance(status, bytes):
        status = status.decode("ascii", errors="replace")
    if isinstance(status, str) and status.strip("\x00 ").upper() == "V":  # "void": the receiver had no fix
        return None
    latitude = _degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), "S")
    longitude = _degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), "W")
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    if latitude == 0 and longitude == 0:  # what some cameras write without a fix: the sea off Africa
        return None
    altitude = _number(gps.get(GPS_ALTITUDE))
    below = gps.get(GPS_ALTITUDE_REF)
    if altitude is not None and below in (1, b"\x01"):
        altitude = -altitude
    return GpsPosition(latitude, longitude, altitude if altitude is not None and abs(altitude) < 100_000 else None)


def _exposure_text(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 0.25:
        return f"1/{round(1 / seconds)} s"
    return f"{seconds:.1f}".removesuffix(".0") + " s"


def _aperture_text(f_number: float | None) -> str | None:
    return None if f_number is None else "f/" + f"{f_number:.1f}".removesuffix(".0")


def _focal_text(real: float | None, equivalent: float | None) -> str | None:
    if real is None:
        return f"{equivalent:.0f} mm (35 mm equivalent)" if equivalent else None
    text = f"{real:.1f}".removesuffix(".0") + " mm"
    if equivalent and round(equivalent) != round(real):
        text += f" ({equivalent:.0f} mm in 35 mm terms)"
    return text


def _altitude_text(gps: GpsPosition | None) -> str | None:
    if gps is None or gps.altitude is None:
        return None
    where = "above" if gps.altitude >= 0 else "below"
    return f"{abs(gps.altitude):.0f} m {where} sea level"
