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
    rating:>=4  rating:5  rating:<2  star rating (also >, <=, and rating:0 for unrated)
    is:favourite  -is:favourite      favourites only, or all but them (also is:favorite, is:fav)

Concept arithmetic follows CLIP's shared space: the query vector is the
normalised sum of the free-text and ``+`` embeddings minus the ``-`` embeddings
(as rclip does), so "beach -people" favours beaches without people.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.errors import QueryError
from photoclip.core.store.records import PhotoFilter

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_FILE_TYPE_ALIASES = {"jpg": "jpeg", "jpe": "jpeg", "tif": "tiff", "heic": "heif"}
_RATING = re.compile(r"^(>=|<=|>|<|=)?([0-5])$")
_FAVOURITE_WORDS = frozenset({"favourite", "favorite", "fav", "favourites", "favorites"})


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into concepts and filters."""

    text: str = ""
    plus: tuple[str, ...] = ()
    minus: tuple[str, ...] = ()
    filter: PhotoFilter = field(default_factory=PhotoFilter)

    @property
    def texts(self) -> list[str]:
        """Every text to embed, in the order `compose` expects."""
        return ([self.text] if self.text else []) + list(self.plus) + list(self.minus)

    def is_empty(self) -> bool:
        return not (self.text or self.plus or self.minus)


def parse_query(query: str) -> ParsedQuery:  # noqa: C901 - one branch per filter word, as the syntax lists them
    """Split free text, +/- concepts and key:value filters (see the module docstring)."""
    tokens = split_query(query)
    words: list[str] = []
    plus: list[str] = []
    minus: list[str] = []
    folders: list[Path] = []
    after: str | None = None
    before: str | None = None
    types: list[str] = []
    tags: list[str] = []
    albums: list[str] = []
    stars: tuple[int | None, int | None] = (None, None)
    favourite: bool | None = None
    for token in tokens:
        key, sep, value = token.partition(":")
        key = key.lower()
        if sep and key == "rating":
            stars = _narrowed(stars, rating_bounds(value))
        elif sep and key in ("is", "-is") and value.lower() in _FAVOURITE_WORDS:
            favourite = key == "is"
        elif sep and value and key in ("folder", "in"):
            folders.append(Path(value).expanduser())
        elif sep and key == "after":
            after = date_bound(value, end=False)
        elif sep and key == "before":
            before = date_bound(value, end=True)
        elif sep and value and key == "tag":
            tags.append(value)
        elif sep and value and key == "album":
            albums.append(value)
        elif sep and value and key == "type":
            types.append(_FILE_TYPE_ALIASES.get(value.lower().lstrip("."), value.lower().lstrip(".")))
        elif token.startswith("+") and len(token) > 1:
            plus.append(token[1:])
        elif token.startswith("-") and len(token) > 1:
            minus.append(token[1:])
        else:
            words.append(token)
    return ParsedQuery(
        text=" ".join(words),
        plus=tuple(plus),
        minus=tuple(minus),
        filter=PhotoFilter(
            tuple(folders),
            after,
            before,
            tuple(types),
            tuple(tags),
            tuple(albums),
            min_stars=stars[0],
            max_stars=stars[1],
            favourite=favourite,
        ),
    )


def rating_bounds(value: str) -> tuple[int | None, int | None]:
    """The inclusive star range of a `rating:` word: "5" (exactly), ">=4", ">3", "<2", "<=2"."""
    match = _RATING.match(value.strip())
    if match is None:
        raise QueryError(
            f"Ratings look like rating:4, rating:>=4 or rating:<2 (0 to 5 stars; 0 is unrated), not {value!r}."
        )
    op, stars = match.group(1) or "=", int(match.group(2))
    low, high = {
        "=": (stars, stars),
        ">=": (stars, None),
        ">": (stars + 1, None),
        "<=": (None, stars),
        "<": (None, stars - 1),
    }[op]
    if (low is not None and low > 5) or (high is not None and high < 0):
        raise QueryError(f"No photo can have a rating {op}{stars}: ratings are 0 to 5 stars.")
    return low, high


def _narrowed(
    current: tuple[int | None, int | None], extra: tuple[int | None, int | None]
) -> tuple[int | None, int | None]:
    """Two rating words together: photos that satisfy both (rating:>=2 rating:<5 is 2 to 4 stars)."""
    lows = [v for v in (current[0], extra[0]) if v is not None]
    highs = [v for v in (current[1], extra[1]) if v is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def split_query(query: str) -> list[str]:
    """Words, with quotes grouping words as people write them: "golden hour", +'at night', album:"Trip 2024".

    A quote opens a group only where a word starts (or after +, - or key:) and closes at
    a matching quote that ends a word, so apostrophes inside words stay letters
    ("kid's birthday", "o'clock"). A double quote left open is a mistake worth saying;
    an unpaired single quote is an apostrophe.
    """
    tokens: list[str] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        token = ""
        while i < n and not query[i].isspace():
            char = query[i]
            if char in "\"'" and (token in ("", "+", "-") or (token.endswith(":") and token.count(":") == 1)):
                end = _closing_quote(query, i + 1, char)
                if end is not None:
                    token += query[i + 1 : end]
                    i = end + 1
                    continue
                if char == '"':
                    raise QueryError('Cannot read the query: a double quote (") is not closed; check the quotes.')
            token += char
            i += 1
        tokens.append(token)
    return tokens


def _closing_quote(query: str, start: int, quote: str) -> int | None:
    """The position of the quote that closes a group opened just before `start`: one that ends a word."""
    position = query.find(quote, start)
    while position != -1:
        if position + 1 == len(query) or query[position + 1].isspace():
            return position
        position = query.find(quote, position + 1)
    return None


def date_bound(value: str, *, end: bool) -> str:
    """Validate YYYY[-MM[-DD]]; an end bound covers the whole period (before:2023-06 includes June 30)."""
    if not _DATE.match(value) or not _real_date(value):
        raise QueryError(f"Dates look like 2023, 2023-06 or 2023-06-30 (a real day), not {value!r}.")
    if end and len(value) == 4:
        return value + "-12-31"
    if end and len(value) == 7:
        return value + "-31"
    return value


def _real_date(value: str) -> bool:
    parts = [int(p) for p in value.split("-")]
    try:
        datetime.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return parts[0] >= 1


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
        min_stars=_narrowed((base.min_stars, base.max_stars), (extra.min_stars, extra.max_stars))[0],
        max_stars=_narrowed((base.min_stars, base.max_stars), (extra.min_stars, extra.max_stars))[1],
        favourite=extra.favourite if extra.favourite is not None else base.favourite,
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
