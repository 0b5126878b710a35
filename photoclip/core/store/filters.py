"""SQL for the filters that look beyond the photos table: text read in photos, and places.

`Catalog.filter_ids` combines these with its own clauses; they live apart so the
stores that own the tables (`store.texts`, `store.places`) and the catalog share
one definition of what `text:` and `place:` match.
"""

from __future__ import annotations

import re

from photoclip.core.errors import QueryError
from photoclip.core.places.names import spec_parts

_WORD = re.compile(r"\w+", re.UNICODE)
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def spaced(text: str) -> str:
    """Text as it is stored and searched: letters and digits run together by OCR set apart.

    OCR often drops the space between a word and a number ("rice15.75", "Gate12");
    splitting them in the stored text and in every `text:` query alike lets both
    "rice" and "rice15" find it.
    """
    return _LETTER_DIGIT.sub(" ", text)


def text_match(phrase: str) -> str:
    """An FTS5 query finding `phrase` as whole words in order (case and accents aside).

    The words are quoted, so nothing a person types is read as FTS5 syntax
    (AND, NEAR, *, ^, column filters).
    """
    words = _WORD.findall(spaced(phrase))
    if not words:
        raise QueryError(f"text: needs a word to look for, not {phrase!r}.")
    return '"' + " ".join(words).replace('"', '""') + '"'


def text_clause(phrase: str) -> tuple[str, list[object]]:
    """SQL (on photos `p`) keeping the photos whose text holds `phrase`, with its parameter."""
    return (
        "p.content_hash IN (SELECT t.content_hash FROM photo_texts t WHERE t.id IN "
        "(SELECT rowid FROM photo_text_index WHERE photo_text_index MATCH ?))",
        [text_match(phrase)],
    )


def place_clause(spec: str) -> tuple[str, list[object]]:
    """SQL (on photos `p`) keeping the photos at the places a `place:` value names, with its parameters."""
    parts = spec_parts(spec) or ("\x00",)  # a value with no letters matches nothing
    if len(parts) == 3:  # city, region, country exactly (see `places.names.matches_parts`)
        conditions = "pl.city_key = ? AND pl.region_key = ? AND pl.country_key = ?"
    else:
        conditions = " AND ".join("? IN (pl.city_key, pl.region_key, pl.country_key)" for _ in parts)
    return (
        f"p.id IN (SELECT pp.photo_id FROM photo_places pp JOIN places pl ON pl.id = pp.place_id WHERE {conditions})",
        list(parts),
    )
