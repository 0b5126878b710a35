"""Where a photo was taken, from its own EXIF GPS tags or its XMP sidecar.

Phones write GPS coordinates into every photo's EXIF; geotagging tools
(digiKam, darktable, Lightroom) write them into the sidecar instead, so a
sidecar's coordinates, the later and deliberate ones, come first. Only the
file's header is read (no pixels are decoded), and malformed tags are treated
as absent, never as an error of the photo.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from photoclip.core.media.xmp import read_sidecar_location
from photoclip.core.places.geocode import valid_coordinates

log = logging.getLogger(__name__)

_GPS_IFD = 0x8825
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4


@dataclass(frozen=True)
class Coordinates:
    latitude: float
    longitude: float
    source: str  # "exif" or "sidecar"


def locate(path: Path, data: bytes | None = None) -> Coordinates | None:
    """A photo's coordinates: its sidecar's, else its EXIF's; None when it has none (or only broken ones)."""
    try:
        sidecar = read_sidecar_location(path)
    except Exception as e:  # a sidecar photoclip cannot read says nothing about the photo
        log.debug("cannot read the sidecar location of %s: %s", path, e)
        sidecar = None
    if sidecar is not None and sidecar.latitude is not None and sidecar.longitude is not None:
        return Coordinates(sidecar.latitude, sidecar.longitude, "sidecar")
    try:
        exif = _exif_of(data) if data is not None else _exif_of_file(path)
    except Exception as e:
        log.debug("cannot read the EXIF of %s: %s", path, e)
        return None
    found = gps_from_exif(exif)
    return None if found is None else Coordinates(found[0], found[1], "exif")


def _exif_of(data: bytes) -> Image.Exif | None:
    if data.startswith((b"II*\x00", b"MM\x00*")):  # TIFF and most RAW files: the first IFD holds it
        exif = Image.Exif()
        exif.load(data[: 1 << 20] if len(data) > 1 << 20 else data)
        return exif
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


def _exif_of_file(path: Path) -> Image.Exif | None:
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head in (b"II*\x00", b"MM\x00*"):
            handle.seek(0)
            return _exif_of(handle.read(1 << 20))
    with Image.open(path) as image:
        return image.getexif()


def gps_from_exif(exif: Image.Exif | None) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from EXIF's GPS tags, or None."""
    if exif is None:
        return None
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        return None
    if not gps:
        return None
    latitude = _degrees(gps.get(_LAT), gps.get(_LAT_REF), "S")
    longitude = _degrees(gps.get(_LON), gps.get(_LON_REF), "W")
    if latitude is None or longitude is None or not valid_coordinates(latitude, longitude):
        return None
    return latitude, longitude


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    """Degrees, minutes, seconds (three rationals) to signed decimal degrees."""
    try:
        parts = [float(v) for v in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        degrees = -degrees
    return degrees
