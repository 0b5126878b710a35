"""Query syntax and concept arithmetic (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoclip.core.errors import QueryError
from photoclip.core.search.query import (
    ParsedQuery,
    compose,
    date_bound,
    merge_filters,
    parse_query,
    query_vector,
    split_query,
)
from photoclip.core.store.records import PhotoFilter


def test_plain_text() -> None:
    assert parse_query("kids on a beach at sunset") == ParsedQuery(text="kids on a beach at sunset")


def test_plus_minus_and_quotes() -> None:
    q = parse_query('beach -people +sunset +"golden hour" -"text on screen"')
    assert q.text == "beach"
    assert q.plus == ("sunset", "golden hour")
    assert q.minus == ("people", "text on screen")
    assert q.texts == ["beach", "sunset", "golden hour", "people", "text on screen"]


def test_hyphenated_words_are_not_subtractions() -> None:
    assert parse_query("t-shirt on a chair").minus == ()


def test_filters(tmp_path: Path) -> None:
    q = parse_query(f"dog folder:{tmp_path} after:2023-06 before:2023 type:JPG type:png")
    assert q.text == "dog"
    assert q.filter == PhotoFilter((tmp_path,), "2023-06", "2023-12-31", ("jpeg", "png"))


def test_home_folder_is_expanded() -> None:
    assert parse_query("in:~/Pictures").filter.folders == (Path("~/Pictures").expanduser(),)


@pytest.mark.parametrize("bad", ["after:June", "before:2023/06", 'unbalanced "quote'])
def test_bad_queries_say_what_is_wrong(bad: str) -> None:
    with pytest.raises(QueryError):
        parse_query(bad)


def test_date_bounds_cover_whole_periods() -> None:
    assert date_bound("2023", end=True) == "2023-12-31"
    assert date_bound("2023-02", end=True) == "2023-02-31"
    assert date_bound("2023-02-03", end=True) == "2023-02-03"
    assert date_bound("2023", end=False) == "2023"


def test_merge_filters_combines() -> None:
    merged = merge_filters(PhotoFilter(file_types=("png",)), PhotoFilter(taken_after="2020"))
    assert merged == PhotoFilter((), "2020", None, ("png",))


def test_compose_adds_and_subtracts_concepts() -> None:
    beach, sunset, people = np.eye(3, dtype=np.float32)
    v = compose([beach], [sunset], [people])
    np.testing.assert_allclose(v, np.array([1, 1, -1]) / np.sqrt(3), rtol=1e-6)
    assert np.isclose(np.linalg.norm(v), 1.0)


def test_concepts_that_cancel_are_an_error() -> None:
    beach = np.eye(3, dtype=np.float32)[0]
    with pytest.raises(QueryError, match="cancel"):
        compose([beach], [], [beach])
    with pytest.raises(QueryError, match="empty"):
        compose([], [], [])


def test_query_vector_embeds_all_concepts_in_one_batch() -> None:
    calls: list[list[str]] = []
    table = {"red": [1.0, 0, 0], "circle": [0, 1.0, 0], "blue": [0, 0, 1.0]}

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.array([table[t] for t in texts], dtype=np.float32)

    v = query_vector(parse_query("circle -blue +red"), encode)
    assert calls == [["circle", "red", "blue"]]
    np.testing.assert_allclose(v, np.array([1, 1, -1]) / np.sqrt(3), rtol=1e-6)


@pytest.mark.parametrize(
    ("query", "tokens"),
    [
        ("kid's birthday party", ["kid's", "birthday", "party"]),  # was "No closing quotation"
        ("dogs' toys", ["dogs'", "toys"]),
        ("'tis the season", ["'tis", "the", "season"]),
        ("o'clock -'text on screen'", ["o'clock", "-text on screen"]),
        ("+'at night' album:'Trip 2024'", ["+at night", "album:Trip 2024"]),
        ('tag:"kid\'s party" beach', ["tag:kid's party", "beach"]),
        ('12" vinyl', ['12"', "vinyl"]),  # a quote inside a word is a character
        ("  spaced   out  ", ["spaced", "out"]),
    ],
)
def test_quotes_group_words_and_apostrophes_stay_letters(query: str, tokens: list[str]) -> None:
    assert split_query(query) == tokens


def test_a_query_with_an_apostrophe_searches_for_it() -> None:
    q = parse_query("kid's birthday party -balloons album:\"Mum's 60th\"")
    assert q.text == "kid's birthday party" and q.minus == ("balloons",)
    assert q.filter.albums == ("Mum's 60th",)


def test_an_unclosed_double_quote_is_still_pointed_out() -> None:
    with pytest.raises(QueryError, match=r"double quote \(\"\) is not closed"):
        parse_query('album:"Trip 2024 beach')


@pytest.mark.parametrize(
    "bad",
    ["after:2023-13-45", "after:2023-02-30", "before:2023-13", "after:2023-00", "before:2021-02-29", "after:0000"],
)
def test_dates_that_do_not_exist_are_refused(bad: str) -> None:
    with pytest.raises(QueryError, match="a real day"):
        parse_query(f"beach {bad}")


@pytest.mark.parametrize("good", ["after:2024-02-29", "before:2023-12-31", "after:2023-06", "before:1999"])
def test_real_dates_are_accepted(good: str) -> None:
    parse_query(f"beach {good}")


@pytest.mark.parametrize(
    ("word", "low", "high"),
    [
        ("rating:5", 5, 5),
        ("rating:>=4", 4, None),
        ("rating:>3", 4, None),
        ("rating:<2", None, 1),
        ("rating:<=2", None, 2),
        ("rating:0", 0, 0),
        ("Rating:=3", 3, 3),
    ],
)
def test_rating_words(word: str, low: int | None, high: int | None) -> None:
    parsed = parse_query(f"beach {word}")
    assert parsed.text == "beach"  # the rating word is a filter, not a concept to embed
    assert (parsed.filter.min_stars, parsed.filter.max_stars) == (low, high)
    assert not parsed.filter.is_empty()


def test_rating_words_together_narrow_the_range() -> None:
    parsed = parse_query("rating:>=2 rating:<5")
    assert (parsed.filter.min_stars, parsed.filter.max_stars) == (2, 4)
    assert parsed.is_empty()  # only filters: the app and CLI browse them newest first


@pytest.mark.parametrize("bad", ["rating:6", "rating:>5", "rating:<0", "rating:four", "rating:", "rating:>=4.5"])
def test_bad_rating_words_say_what_a_rating_is(bad: str) -> None:
    with pytest.raises(QueryError, match="0 to 5 stars"):
        parse_query(bad)


@pytest.mark.parametrize(
    ("query", "favourite"),
    [("is:favourite", True), ("is:favorite", True), ("IS:Fav", True), ("-is:favourite", False), ("dog", None)],
)
def test_favourite_words(query: str, favourite: bool | None) -> None:
    parsed = parse_query(query)
    assert parsed.filter.favourite is favourite
    assert parsed.is_empty() == (favourite is not None)


def test_other_is_words_stay_text() -> None:
    assert parse_query("is:happy").text == "is:happy"


def test_merge_filters_keeps_ratings_from_both_sides() -> None:
    merged = merge_filters(parse_query("rating:>=3").filter, PhotoFilter(max_stars=4, favourite=True))
    assert (merged.min_stars, merged.max_stars, merged.favourite) == (3, 4, True)
