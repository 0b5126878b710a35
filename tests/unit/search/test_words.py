"""Words that are filters: the table that fixes what is read as a filter, and what stays words."""

from __future__ import annotations

import pytest

from photoclip.core.search.query import parse_query

PLACES = {
    "lisbon": "Lisbon",
    "portugal": "Portugal",
    "porto": "Porto",
    "nice": "Nice",
    "paris": "Paris",
    "texas": "Texas",
    "new york": "New York",
    "new york city": "New York City",
    "sao paulo": "São Paulo",
    "reading": "Reading",
    "georgia": "Georgia",
}

# query -> (free text left, after, before, places)
TABLE: list[tuple[str, str, str | None, str | None, tuple[str, ...]]] = [
    # years
    ("2023", "", "2023", "2023-12-31", ()),
    ("beach 2023", "beach", "2023", "2023-12-31", ()),
    ("1999 birthday", "birthday", "1999", "1999-12-31", ()),
    ("2099", "", "2099", "2099-12-31", ()),
    ("1899 steam train", "1899 steam train", None, None, ()),  # out of range
    ("2100 poster", "2100 poster", None, None, ()),
    ("20233", "20233", None, None, ()),
    ("2019 2023", "2019 2023", None, None, ()),  # two dates: ambiguous
    ("flight 2023", "flight 2023", None, None, ()),  # a number, not a date
    ("room 1999", "room 1999", None, None, ()),
    ("gate #2045", "gate #2045", None, None, ()),
    ('"2023" poster', "2023 poster", None, None, ()),  # quoted: words
    ("after:2020 2023", "2023", "2020", None, ()),  # typed dates win: the year stays a word
    ("2023-06", "2023-06", None, None, ()),
    # months with a year
    ("july 2023", "", "2023-07", "2023-07-31", ()),
    ("snow Feb 2021", "snow", "2021-02", "2021-02-31", ()),  # an end bound: all of February
    ("sept 2022 wedding", "wedding", "2022-09", "2022-09-31", ()),
    ("may 2024", "", "2024-05", "2024-05-31", ()),
    ("july", "july", None, None, ()),  # a month alone: words
    ("may flowers", "may flowers", None, None, ()),
    ("july 2023 2024", "july 2023 2024", None, None, ()),  # two dates
    # in <place>
    ("beach in Portugal", "beach", None, None, ("Portugal",)),
    ("in lisbon", "", None, None, ("Lisbon",)),
    ("beach in Portugal 2023", "beach", "2023", "2023-12-31", ("Portugal",)),
    ("sunset in New York City with friends", "sunset with friends", None, None, ("New York City",)),
    ("in Sao Paulo", "", None, None, ("São Paulo",)),
    ("in São Paulo at night", "at night", None, None, ("São Paulo",)),
    ("dog in Nice", "dog", None, None, ("Nice",)),
    ("dog in nice weather", "dog in nice weather", None, None, ()),  # everyday word, lower case
    ("dog in Nice weather", "dog in Nice weather", None, None, ()),  # the words go on
    ("in nice", "in nice", None, None, ()),
    ("kids reading in Reading", "kids reading", None, None, ("Reading",)),
    ("in Atlantis", "in Atlantis", None, None, ()),  # not a place of the library
    ("walk in the park", "walk in the park", None, None, ()),
    ('"in Lisbon"', "in Lisbon", None, None, ()),  # quoted: words
    ("beach in Lisbon tag:summer", "beach", None, None, ("Lisbon",)),  # a filter ends the place
    ("tram in Lisbon july 2023", "tram", "2023-07", "2023-07-31", ("Lisbon",)),
    ("place:Porto beach", "beach", None, None, ("Porto",)),  # typed
    ("in:~/Pictures beach", "beach", None, None, ()),  # in: is a folder
    ("beach place:Portugal 2023", "beach", "2023", "2023-12-31", ("Portugal",)),
]


@pytest.mark.parametrize(("query", "text", "after", "before", "places"), TABLE, ids=[row[0] for row in TABLE])
def test_what_is_read_as_a_filter(
    query: str, text: str, after: str | None, before: str | None, places: tuple[str, ...]
) -> None:
    parsed = parse_query(query, places=PLACES)
    assert (parsed.text, parsed.filter.taken_after, parsed.filter.taken_before, parsed.filter.places) == (
        text,
        after,
        before,
        places,
    )


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 30


def test_without_the_library_s_places_only_dates_are_read() -> None:
    parsed = parse_query("beach in Portugal 2023")
    assert parsed.text == "beach in Portugal"
    assert parsed.filter.places == ()
    assert parsed.filter.taken_after == "2023"


def test_each_filter_read_is_shown_with_the_query_that_keeps_it_words() -> None:
    query = "beach in Portugal 2023"
    parsed = parse_query(query, places=PLACES)
    chips = {chip.label: chip for chip in parsed.chips}
    assert set(chips) == {"place:Portugal", "2023"}
    assert all(chip.from_words for chip in chips.values())
    assert chips["2023"].meaning == "taken in 2023"
    assert chips["2023"].without == 'beach in Portugal "2023"'
    assert chips["place:Portugal"].without == 'beach "in Portugal" 2023'
    again = parse_query(chips["place:Portugal"].without, places=PLACES)
    assert again.text == "beach in Portugal" and again.filter.places == ()
    assert again.filter.taken_after == "2023", "the other filter stays"


def test_typed_filters_are_shown_too_and_removed_whole() -> None:
    parsed = parse_query('receipt text:"boarding pass" after:2024', places=PLACES)
    chips = {chip.label: chip for chip in parsed.chips}
    assert chips['text:"boarding pass"'].without == "receipt after:2024"
    assert not chips["after:2024"].from_words
    assert parsed.filter.texts == ("boarding pass",)
