"""How place names compare: without regard to case or accents, in any script.

"são paulo", "Sao Paulo" and "SÃO PAULO" are one place to a person typing a
search; `fold` is the one rule, used both for the keys stored beside every
place and for the words a query looks them up with.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def fold(name: str) -> str:
    """A name's comparison key: case-folded, accents removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").split())


@dataclass(frozen=True)
class Place:
    """Where a photo was taken, as people name it (empty strings where a level is unknown)."""

    city: str = ""
    region: str = ""
    country: str = ""
    country_code: str = ""

    def __bool__(self) -> bool:
        return bool(self.city or self.region or self.country)

    def label(self) -> str:
        """'Lisbon, Lisbon, Portugal' without repeats or blanks: 'Lisbon, Portugal'."""
        parts: list[str] = []
        for part in (self.city, self.region, self.country):
            if part and fold(part) not in {fold(p) for p in parts}:
                parts.append(part)
        return ", ".join(parts)

    def keys(self) -> tuple[str, str, str]:
        return fold(self.city), fold(self.region), fold(self.country)

    def matches(self, spec: str) -> bool:
        """Whether `place:` with this value finds this place (see `matches_parts`)."""
        return matches_parts(self.keys(), spec_parts(spec))


def spec_parts(spec: str) -> tuple[str, ...]:
    """The folded parts of a `place:` value: 'Paris, Texas' narrows Paris to the one in Texas."""
    return tuple(part for part in (fold(p) for p in spec.split(",")) if part)


def matches_parts(keys: tuple[str, str, str], parts: tuple[str, ...]) -> bool:
    """Whether a place's (city, region, country) keys answer a `place:` value's parts.

    One or two parts: each names any level ('Lisbon', 'Paris, Texas'). Three parts are
    the city, the region and the country in that order, exactly (how the places tree
    names one city, even where the city and its region share a name).
    """
    if len(parts) == 3:
        return keys == parts
    return bool(parts) and all(part in keys for part in parts)
