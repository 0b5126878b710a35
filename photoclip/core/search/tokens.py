"""The words of a query as typed: tokens with their places, the chips front ends show, dates.

Kept apart from `search.query` so that `search.words` (words that are filters)
and the query parser can share them without importing each other.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from photoclip.core.errors import QueryError

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class QueryChip:
    """One filter of a query, as the front ends show it back (a chip in the app, a line in the CLI)."""

    label: str  # "2023", "July 2023", "place:Portugal", "text:boarding pass"
    meaning: str  # "taken in 2023"
    without: str  # the query without this filter (words read as one are quoted instead: kept as words)
    from_words: bool  # read from the words rather than typed as key:value


@dataclass(frozen=True)
class Token:
    """A word of a query as typed: its text (quotes removed) and where it stands."""

    text: str
    start: int
    end: int
    quoted: bool = False


def tokenize(query: str) -> list[Token]:
    """Words, with quotes grouping words as people write them: "golden hour", +'at night', album:"Trip 2024".

    A quote opens a group only where a word starts (or after +, - or key:) and closes at
    a matching quote that ends a word, so apostrophes inside words stay letters
    ("kid's birthday", "o'clock"). A double quote left open is a mistake worth saying;
    an unpaired single quote is an apostrophe.
    """
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        start = i
        token = ""
        quoted = False
        while i < n and not query[i].isspace():
            char = query[i]
            if char in "\"'" and (token in ("", "+", "-") or (token.endswith(":") and token.count(":") == 1)):
                end = _closing_quote(query, i + 1, char)
                if end is not None:
                    quoted = quoted or token == ""
                    token += query[i + 1 : end]
                    i = end + 1
                    continue
                if char == '"':
                    raise QueryError('Cannot read the query: a double quote (") is not closed; check the quotes.')
            token += char
            i += 1
        tokens.append(Token(token, start, i, quoted))
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
