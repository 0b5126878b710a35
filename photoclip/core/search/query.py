"""Understand a search query and turn it into one query vector plus filters.

Syntax (the same in the CLI and the GUI's search field):

    kids on a beach at sunset        free text
    beach -people +sunset            add (+) or subtract (-) concepts; quotes group words:
                                     +"golden hour"  -"text on screen"
    folder:~/Pictures/2023           only photos under a folder (also in:)
    after:2023-06  before:2023-08    date taken, inclusive; YYYY, YYYY-MM or YYYY-MM-DD
    type:png                         file type (jpeg, png, heif, ...; repeatable)
    tag:beach                        photos tagged beach (a parent label matches its children)
    album:"Holiday 2024"             photos in an album
    text:"boarding pass"             photos whose text holds these words (read by OCR;
                                     whole words, case and accents aside)
    place:Lisbon                     taken in a city, region or country ("Paris, Texas" narrows)

Words that are filters: a year (2023), a month with its year (july 2023) and
"in <place>" for a place of the library (in Portugal) are read as filters and
shown back; anything ambiguous stays words. Quote them to keep them words:
"2023", "in Nice". See `search.words`.

Concept arithmetic follows CLIP's shared space: the query vector is the
normalised sum of the free-text and ``+`` embeddings minus the ``-`` embeddings
(as rclip does), so "beach -people" favours beaches without people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.errors import QueryError
from photoclip.core.search.tokens import QueryChip, Token, date_bound, tokenize
from photoclip.core.search.words import read_word_filters
from photoclip.core.store.filters import text_match
from photoclip.core.store.records import PhotoFilter

__all__ = ["ParsedQuery", "QueryChip", "date_bound", "merge_filters", "parse_query", "split_query", "tokenize"]

_FILE_TYPE_ALIASES = {"jpg": "jpeg", "jpe": "jpeg", "tif": "tiff", "heic": "heif"}


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into concepts and filters."""

    text: str = ""
    plus: tuple[str, ...] = ()
    minus: tuple[str, ...] = ()
    filter: PhotoFilter = field(default_factory=PhotoFilter)
    chips: tuple[QueryChip, ...] = ()

    @property
    def texts(self) -> list[str]:
        """Every text to embed, in the order `compose` expects."""
        return ([self.text] if self.text else []) + list(self.plus) + list(self.minus)

    def is_empty(self) -> bool:
        return not (self.text or self.plus or self.minus)


_FILTER_KEYS = ("folder", "in", "after", "before", "tag", "album", "type", "text", "place")


def parse_query(query: str, *, places: Mapping[str, str] | None = None) -> ParsedQuery:
    """Split free text, +/- concepts and key:value filters (see the module docstring).

    Args:
        places: the library's place names (folded name -> spelling), so "in Lisbon" can be
            read as a filter; without them only years and months are read from the words.
    """
    tokens = tokenize(query)
    words: list[Token] = []
    plus: list[str] = []
    minus: list[str] = []
    values: dict[str, list[str]] = {key: [] for key in _FILTER_KEYS}
    chips: list[QueryChip] = []
    for token in tokens:
        text = token.text
        key, sep, value = text.partition(":")
        key = key.lower()
        if sep and key in _FILTER_KEYS and (value or key in ("after", "before")) and not token.quoted:
            values[key].append(_filter_value(key, value))
            chips.append(_typed_chip(query, token, key, value))
        elif text.startswith("+") and len(text) > 1:
            plus.append(text[1:])
        elif text.startswith("-") and len(text) > 1:
            minus.append(text[1:])
        else:
            words.append(token)
    read = read_word_filters(query, words, places=places, typed_dates=bool(values["after"] or values["before"]))
    photo_filter = PhotoFilter(
        tuple(Path(v).expanduser() for v in values["folder"] + values["in"]),
        values["after"][-1] if values["after"] else read.after,
        values["before"][-1] if values["before"] else read.before,
        tuple(values["type"]),
        tuple(values["tag"]),
        tuple(values["album"]),
        texts=tuple(values["text"]),
        places=tuple(values["place"]) + read.places,
    )
    return ParsedQuery(
        text=" ".join(w.text for w in read.words),
        plus=tuple(plus),
        minus=tuple(minus),
        filter=photo_filter,
        chips=tuple(chips) + read.chips,
    )


def _filter_value(key: str, value: str) -> str:
    if key == "after":
        return date_bound(value, end=False)
    if key == "before":
        return date_bound(value, end=True)
    if key == "type":
        return _FILE_TYPE_ALIASES.get(value.lower().lstrip("."), value.lower().lstrip("."))
    if key == "text":
        text_match(value)  # a value without any word is a mistake worth saying now
    return value


_MEANINGS = {
    "folder": "under the folder {}",
    "in": "under the folder {}",
    "after": "taken on or after {}",
    "before": "taken on or before {}",
    "type": "{} files",
    "tag": "tagged {}",
    "album": "in the album {}",
    "text": "with the words “{}” in them",
    "place": "taken in {}",
}


def _typed_chip(query: str, token: Token, key: str, value: str) -> QueryChip:
    without = (query[: token.start].rstrip() + " " + query[token.end :].lstrip()).strip()
    shown = f'"{value}"' if any(c.isspace() for c in value) else value
    return QueryChip(f"{key}:{shown}", _MEANINGS[key].format(value), without, False)


def split_query(query: str) -> list[str]:
    """The words of a query as `tokenize` finds them, quotes removed."""
    return [token.text for token in tokenize(query)]


def merge_filters(base: PhotoFilter, extra: PhotoFilter) -> PhotoFilter:
    """Options given beside the query (CLI flags, GUI controls) combine with inline filters."""
    return replace(
        base,
        folders=base.folders + extra.folders,
        taken_after=extra.taken_after or base.taken_after,
        taken_before=extra.taken_before or base.taken_before,
        file_types=base.file_types + extra.file_types,
        tags=base.tags + extra.tags,
        albums=base.albums + extra.albums,
        set_tags=base.set_tags + extra.set_tags,
        texts=base.texts + extra.texts,
        places=base.places + extra.places,
    )


def compose(
    base: Sequence[npt.NDArray[np.float32]],
    plus: Sequence[npt.NDArray[np.float32]] = (),
    minus: Sequence[npt.NDArray[np.float32]] = (),
) -> npt.NDArray[np.float32]:
    """Unit query vector: sum of the wanted concepts minus the unwanted ones."""
    wanted = list(base) + list(plus)
    if not wanted and not minus:
        raise QueryError("The query is empty: type some words, or give an example photo.")
    dim = (wanted or list(minus))[0].shape[-1]
    vector = np.zeros(dim, dtype=np.float32)
    for v in wanted:
        vector += v
    for v in minus:
        vector -= v
    norm = float(np.linalg.norm(vector))
    if norm < 1e-6:
        raise QueryError("The concepts of this query cancel out; remove a - term.")
    return vector / norm


def query_vector(
    parsed: ParsedQuery, encode_texts: Callable[[list[str]], npt.NDArray[np.float32]]
) -> npt.NDArray[np.float32]:
    """Embed every concept of a text query in one batch and compose them."""
    vectors = encode_texts(parsed.texts)
    n_base = 1 if parsed.text else 0
    n_plus = len(parsed.plus)
    return compose(list(vectors[:n_base]), list(vectors[n_base : n_base + n_plus]), list(vectors[n_base + n_plus :]))
