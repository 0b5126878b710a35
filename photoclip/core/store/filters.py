"""SQL for what a `PhotoFilter` keeps: folders, dates, file types, tags, albums, text, places, ratings.

`Catalog.filter_ids` runs these clauses over `photos p`; they live apart from the catalog so
each filter kind has one definition that every query shares, and the stores that own their
tables (`store.texts`, `store.places`) use the same `text:` and `place:` matching.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from photoclip.core.errors import QueryError
from photoclip.core.media.kinds import KINDS
from photoclip.core.places.names import spec_parts
from photoclip.core.store.records import PhotoFilter

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


def prefix_range(folder: Path) -> tuple[str, str]:
    """Bounds selecting every path under `folder` with an index-friendly range comparison."""
    prefix = str(folder).rstrip(os.sep) + os.sep
    return prefix, prefix[:-1] + chr(ord(os.sep) + 1)


def filter_clauses(photo_filter: PhotoFilter, *, texts: bool = True) -> tuple[list[str], list[object]]:
    """SQL conditions (over `photos p`) and their parameters for a filter; each filter kind is one clause.

    `texts=False` leaves the `text:` filters out, for a query that the full-text index leads.
    """
    clauses: list[str] = []
    params: list[object] = []
    if photo_filter.folders:
        ors = []
        for folder in photo_filter.folders:
            low, high = prefix_range(folder)
            ors.append("(p.path >= ? AND p.path < ?)")
            params += [low, high]
        clauses.append("(" + " OR ".join(ors) + ")")
    if photo_filter.taken_after:
        clauses.append("p.taken_at >= ?")
        params.append(photo_filter.taken_after)
    if photo_filter.taken_before:
        clauses.append("p.taken_at <= ?")
        bound = photo_filter.taken_before
        params.append(bound + "T99" if "T" not in bound else bound)  # a bare date includes the whole day
    if photo_filter.file_types:
        clauses.append(_types_clause(photo_filter.file_types, params))
    tagged = (  # photos with a label (or one of its children) that was not rejected
        "p.id IN (WITH RECURSIVE wanted(id) AS (SELECT id FROM labels WHERE name = ? COLLATE CASEFOLD{} "
        "UNION SELECT l.id FROM labels l JOIN wanted w ON l.parent_id = w.id) "
        "SELECT t.photo_id FROM tags t JOIN wanted w ON t.label_id = w.id WHERE t.status != 'rejected')"
    )
    for tag in photo_filter.tags:
        clauses.append(tagged.format(""))
        params.append(tag)
    for label_set, tag in photo_filter.set_tags:
        clauses.append(tagged.format(" AND set_id IN (SELECT id FROM label_sets WHERE name = ?)"))
        params += [tag, label_set]
    if photo_filter.albums:
        marks = ",".join("?" * len(photo_filter.albums))
        clauses.append(
            "p.id IN (SELECT ap.photo_id FROM album_photos ap JOIN albums a ON a.id = ap.album_id "
            f"WHERE a.name COLLATE CASEFOLD IN ({marks}))"
        )
        params += list(photo_filter.albums)
    text_clauses = [text_clause(t) for t in photo_filter.texts] if texts else []
    for clause, values in text_clauses + [place_clause(p) for p in photo_filter.places]:
        clauses.append(clause)
        params += values
    _rating_clauses(photo_filter, clauses, params)
    return clauses, params


def _types_clause(file_types: Sequence[str], params: list[object]) -> str:
    """The file types clause, its parameters appended to `params`.

    The kinds ("video", "photo") are file types too: a query's "type:video" keeps the videos.
    """
    kinds = [t.lower() for t in file_types if t.lower() in KINDS]
    types = [t.lower() for t in file_types if t.lower() not in KINDS]
    either = []
    if kinds:
        either.append(f"p.kind IN ({','.join('?' * len(kinds))})")
        params += kinds
    if types:
        either.append(f"p.file_type IN ({','.join('?' * len(types))})")
        params += types
    return "(" + " OR ".join(either) + ")"


def _rating_clauses(photo_filter: PhotoFilter, clauses: list[str], params: list[object]) -> None:
    """Stars and favourites (`store.ratings`): a photo never rated has 0 stars and is no favourite."""
    stars = "COALESCE((SELECT r.stars FROM ratings r WHERE r.photo_id = p.id), 0)"
    if photo_filter.min_stars is not None:
        clauses.append(f"{stars} >= ?")
        params.append(photo_filter.min_stars)
    if photo_filter.max_stars is not None:
        clauses.append(f"{stars} <= ?")
        params.append(photo_filter.max_stars)
    if photo_filter.favourite is not None:
        favourites = "p.id IN (SELECT r.photo_id FROM ratings r WHERE r.favourite = 1)"
        clauses.append(favourites if photo_filter.favourite else f"NOT {favourites}")
