"""Words that are filters: "beach in Portugal 2023" means beaches, taken in Portugal, in 2023.

People type dates and places as words. Three forms are read as filters and
shown back to the person (chips in the app, a line from the CLI), each with
the query that keeps those words as words instead:

    2023                a year from 1900 to 2099: taken in that year
    july 2023           a month (its name or the first three letters) with its year
    in Lisbon           "in" and a city, region or country the library has photos from

Anything ambiguous stays free text, because a wrong filter hides photos while a
word too many only nudges the ranking:

    * two dates, or a date beside typed after:/before: filters ("2019 2023");
    * a year after a word that makes it a number ("flight 2023", "room 1999");
    * a place followed by another word that is not a date, a filter or a joining
      word ("in Nice weather" is about weather: "in Nice" is read only at the
      end, or before "with", "and", "at", "on", "during", "for", a date or a filter);
    * a place name that is also an everyday English word, typed in lower case
      ("in nice", "in reading");
    * anything in quotes ("2023", "in Lisbon").

tests/unit/search/test_words.py holds the table of queries that fixes these rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from photoclip.core.places.names import fold
from photoclip.core.search.tokens import QueryChip, Token, date_bound

_YEAR = re.compile(r"^(19|20)\d\d$")
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES = ("January February March April May June July August September October November December").split()

NUMBER_WORDS = frozenset(
    "flight gate room page no number route bus train platform seat model version size rev track bay "
    "row box case lot unit apt apartment suite code pin order invoice ticket car plate".split()
)
"""A year after one of these is a number ("flight 2023"), not a date."""

JOINING_WORDS = frozenset("with and at on during for from near in by or last this".split())
"""Words that may follow a place read from "in <place>" ("sunset in Lisbon with friends")."""

EVERYDAY_WORDS = frozenset(
    "nice reading bath split mobile orange university victoria hope paradise independence liberty "
    "commerce energy eagle surprise opportunity fairview riverside sandy deal hull wells speed "
    "mercy unity harmony friendship concord mission enterprise success moody home".split()
)
"""Place names that are also everyday English words: read as places only when capitalised."""

MAX_PLACE_WORDS = 4


@dataclass(frozen=True)
class WordFilters:
    """What the free words of a query hold: the words left, and the filters read from the others."""

    words: tuple[Token, ...]
    after: str | None = None
    before: str | None = None
    places: tuple[str, ...] = ()
    chips: tuple[QueryChip, ...] = ()


@dataclass(frozen=True)
class _Found:
    first: int  # index into the words
    last: int
    label: str
    meaning: str
    after: str | None = None
    before: str | None = None
    place: str | None = None


def read_word_filters(
    query: str, words: Sequence[Token], *, places: Mapping[str, str] | None, typed_dates: bool
) -> WordFilters:
    """Read years, months and "in <place>" among the free words of `query` (see the module docstring)."""
    dates = _dates(words)
    if typed_dates or len(dates) > 1:
        dates = []  # two dates, or dates typed as filters too: ambiguous, they stay words
    found = dates + _places(words, places or {})
    if not found:
        return WordFilters(tuple(words))
    used = {i for f in found for i in range(f.first, f.last + 1)}
    after = next((f.after for f in found if f.after), None)
    before = next((f.before for f in found if f.before), None)
    chips = tuple(
        QueryChip(f.label, f.meaning, _quoted(query, words[f.first], words[f.last]), True)
        for f in sorted(found, key=lambda f: f.first)
    )
    return WordFilters(
        tuple(w for i, w in enumerate(words) if i not in used),
        after,
        before,
        tuple(f.place for f in found if f.place),
        chips,
    )


def _quoted(query: str, first: Token, last: Token) -> str:
    """The query with these words in quotes: the same words, no longer read as a filter."""
    return f'{query[: first.start]}"{query[first.start : last.end]}"{query[last.end :]}'


def _adjacent(words: Sequence[Token], i: int, j: int) -> bool:
    """Whether words i and j stand next to each other in the query (only spaces between them)."""
    return words[j].start - words[i].end <= 3 and j == i + 1


def _is_year(token: Token) -> bool:
    return not token.quoted and bool(_YEAR.match(token.text))


def _dates(words: Sequence[Token]) -> list[_Found]:
    found: list[_Found] = []
    i = 0
    while i < len(words):
        token = words[i]
        month = MONTHS.get(token.text.lower().rstrip(".,")) if not token.quoted else None
        if month is not None and i + 1 < len(words) and _is_year(words[i + 1]) and _adjacent(words, i, i + 1):
            value = f"{words[i + 1].text}-{month:02d}"
            label = f"{_MONTH_NAMES[month - 1]} {words[i + 1].text}"
            found.append(
                _Found(i, i + 1, label, f"taken in {label}", date_bound(value, end=False), date_bound(value, end=True))
            )
            i += 2
            continue
        previous = words[i - 1].text.lower().strip("#.:,") if i else ""
        if _is_year(token) and previous not in NUMBER_WORDS and not previous.startswith("#"):
            found.append(
                _Found(
                    i,
                    i,
                    token.text,
                    f"taken in {token.text}",
                    date_bound(token.text, end=False),
                    date_bound(token.text, end=True),
                )
            )
        i += 1
    return found


def _places(words: Sequence[Token], places: Mapping[str, str]) -> list[_Found]:
    if not places:
        return []
    found: list[_Found] = []
    i = 0
    while i < len(words) - 1:
        if words[i].quoted or words[i].text.lower() != "in":
            i += 1
            continue
        match = _place_after(words, i, places)
        if match is None:
            i += 1
            continue
        last, name = match
        found.append(_Found(i, last, f"place:{name}", f"taken in {name}", place=name))
        i = last + 1
    return found


def _place_after(words: Sequence[Token], at: int, places: Mapping[str, str]) -> tuple[int, str] | None:
    """The longest known place right after "in" (words[at]), when what follows lets it be one."""
    for length in range(min(MAX_PLACE_WORDS, len(words) - at - 1), 0, -1):
        last = at + length
        if any(words[k].quoted or not _adjacent(words, k - 1, k) for k in range(at + 1, last + 1)):
            continue
        typed = " ".join(words[k].text for k in range(at + 1, last + 1)).strip(".,;!?")
        name = places.get(fold(typed))
        if name is None:
            continue
        if fold(typed) in EVERYDAY_WORDS and typed == typed.lower():
            return None  # "in nice weather": an everyday word typed as one
        if last + 1 < len(words) and not _may_follow_place(words, last + 1):
            return None  # "in Nice weather": the words go on, so the place may be part of them
        return last, name
    return None


def _may_follow_place(words: Sequence[Token], k: int) -> bool:
    if not _adjacent(words, k - 1, k):
        return True  # a filter or a quoted group stands between: the place ends there
    following = words[k]
    text = following.text.lower().rstrip(".,")
    if text in JOINING_WORDS or _is_year(following):
        return True
    return text in MONTHS and k + 1 < len(words) and _is_year(words[k + 1])
