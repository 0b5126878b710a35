"""Text read in photos: stored per content, indexed with FTS5, found as whole words without case or accents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from photoclip.core.errors import QueryError
from photoclip.core.store.catalog import Catalog, FileStat, PhotoFilter, PhotoMetadata
from photoclip.core.store.filters import spaced, text_match
from photoclip.core.store.texts import FAILED, GATED, READ, TextStore

MODEL = "test-model"


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def indexed(catalog: Catalog, names: list[str], hashes: list[str], dates: list[str]) -> list[int]:
    folder = catalog.add_folder(Path("/p"))
    ids = catalog.add_photos(folder.id, [FileStat(Path("/p") / n, 10, 1) for n in names])
    rows = [
        (pid, PhotoMetadata(10, 1, h, 40, 30, "jpeg", d, "exif", None), np.ones(4, dtype=np.float32))
        for pid, h, d in zip(ids, hashes, dates, strict=True)
    ]
    catalog.record_batch(MODEL, rows, [], [])
    return ids


def ids_for(catalog: Catalog, *texts: str) -> list[int]:
    return catalog.filter_ids(MODEL, PhotoFilter(texts=texts), by_date=True, by_text=True).tolist()


def test_text_is_found_as_whole_words_case_and_accents_aside(catalog: Catalog) -> None:
    a, b, c = indexed(catalog, ["a.jpg", "b.jpg", "c.jpg"], ["ha", "hb", "hc"], ["2024-01-01"] * 3)
    store = TextStore(catalog)
    store.record("ha", READ, "BOARDING PASS\nLisbon → Porto", engine="test")
    store.record("hb", READ, "Café São Bento, total 12.50", engine="test")
    store.record("hc", GATED, model_id=MODEL, gate_score=0.1)
    assert ids_for(catalog, "boarding pass") == [a]
    assert ids_for(catalog, '"Boarding   Pass"') == [a]
    assert ids_for(catalog, "cafe sao bento") == [b]
    assert ids_for(catalog, "pass boarding") == [], "the words in order"
    assert ids_for(catalog, "board") == [], "whole words"
    assert ids_for(catalog, "total", "12") == [b], "every text: filter must match"
    assert store.text_of([a, b, c]) == {a: "BOARDING PASS\nLisbon → Porto", b: "Café São Bento, total 12.50"}
    assert store.state_of(c) == GATED


def test_best_text_match_first_then_newest(catalog: Catalog) -> None:
    old, new, best = indexed(
        catalog, ["o.jpg", "n.jpg", "b.jpg"], ["h1", "h2", "h3"], ["2020-01-01", "2024-01-01", "2022-01-01"]
    )
    store = TextStore(catalog)
    store.record("h1", READ, "receipt with many many other words around total here and there " * 3)
    store.record("h2", READ, "receipt with many many other words around total here and there " * 3)
    store.record("h3", READ, "TOTAL total Total")
    assert ids_for(catalog, "total") == [best, new, old]


def test_a_page_of_text_matches_is_the_start_of_the_whole_ranking(catalog: Catalog) -> None:
    """The first-page shortcut (rank the texts, join only the best) orders exactly as the full query:
    ties in rank broken newest first, shared texts giving every photo, filters that leave the best
    texts out making it look further down."""
    count = 60
    names = [f"{i:02d}.jpg" for i in range(count)]
    hashes = [f"h{i % 50}" for i in range(count)]  # ten texts shared by two photos each
    dates = [f"20{10 + i % 7}-01-{1 + i % 28:02d}" for i in range(count)]
    ids = indexed(catalog, names, hashes, dates)
    store = TextStore(catalog)
    for i in range(50):
        store.record(f"h{i}", READ, "total " * (1 + i % 3) + "word " * (i % 5))  # many equal ranks
    whole = ids_for(catalog, "total")
    assert len(whole) == count == len(set(whole)) and ids[0] in whole
    for limit in (1, 5, 7, 20, 59, 100):
        page = catalog.filter_ids(
            MODEL, PhotoFilter(texts=("total",)), by_date=True, by_text=True, limit=limit
        ).tolist()
        assert page == whole[:limit]
    late = PhotoFilter(texts=("total",), taken_after="2016-01-01")  # leaves out most of the best texts
    all_late = catalog.filter_ids(MODEL, late, by_date=True, by_text=True).tolist()
    assert 0 < len(all_late) < count // 3
    assert catalog.filter_ids(MODEL, late, by_date=True, by_text=True, limit=3).tolist() == all_late[:3]
    assert catalog.filter_ids(MODEL, late, by_date=True, by_text=True, limit=1000).tolist() == all_late


def test_snippets_of_a_page_among_many_matches(catalog: Catalog) -> None:
    ids = indexed(catalog, [f"{i}.jpg" for i in range(30)], [f"h{i}" for i in range(30)], ["2024-01-01"] * 30)
    store = TextStore(catalog)
    for i in range(30):
        store.record(f"h{i}", READ, f"receipt {i} total due")
    page = ids[10:13]
    assert store.snippets(page, ["total"]) == {pid: f"receipt {i} [total] due" for i, pid in enumerate(page, 10)}


def test_snippets_mark_the_words_found(catalog: Catalog) -> None:
    (pid,) = indexed(catalog, ["a.jpg"], ["ha"], ["2024-01-01"])
    store = TextStore(catalog)
    store.record("ha", READ, "Corner Market\nbread 2.10\nmilk 1.05\nTOTAL 3.15\nTHANK YOU")
    assert "[TOTAL]" in store.snippets([pid], ["total"])[pid]


def test_duplicates_share_text_and_replacing_it_updates_the_index(catalog: Catalog) -> None:
    one, two = indexed(catalog, ["a.jpg", "copy.jpg"], ["same", "same"], ["2024-01-01"] * 2)
    store = TextStore(catalog)
    store.record("same", READ, "first words")
    assert sorted(ids_for(catalog, "first")) == sorted([one, two])
    store.record("same", READ, "second words")
    assert ids_for(catalog, "first") == [] and sorted(ids_for(catalog, "second")) == sorted([one, two])
    store.record("same", FAILED)
    assert ids_for(catalog, "second") == []


def test_pending_is_newest_first_once_per_content_and_resumes(catalog: Catalog) -> None:
    old, new, dup = indexed(
        catalog, ["o.jpg", "n.jpg", "d.jpg"], ["h1", "h2", "h2"], ["2020-01-01", "2024-01-01", "2023-01-01"]
    )
    store = TextStore(catalog)
    assert [w.photo_id for w in store.pending(MODEL, 10)] == [new, old]
    assert store.pending_count(MODEL) == 2
    store.record("h2", READ, "x")
    assert [w.photo_id for w in store.pending(MODEL, 10)] == [old]
    store.record("h1", GATED, model_id=MODEL)
    assert store.pending(MODEL, 10) == []
    assert [w.photo_id for w in store.pending("another-model", 10)] == [], "only embedded photos"
    counts = store.counts(MODEL)
    assert (counts.read, counts.with_text, counts.gated, counts.pending) == (1, 1, 1, 0)


def test_text_of_content_no_photo_has_is_forgotten(catalog: Catalog) -> None:
    (pid,) = indexed(catalog, ["a.jpg"], ["ha"], ["2024-01-01"])
    store = TextStore(catalog)
    store.record("ha", READ, "keep me")
    store.record("gone", READ, "forget me")
    assert store.forget_orphans() == 1
    assert ids_for(catalog, "keep") == [pid] and ids_for(catalog, "forget") == []


def test_fts_syntax_typed_by_people_is_only_words() -> None:
    assert text_match('NEAR(a b) OR "x" * ^c') == '"NEAR a b OR x c"'
    assert text_match("rice15") == '"rice 15"'
    assert spaced("TOTAL35.01 Gate12B") == "TOTAL 35.01 Gate 12 B"
    with pytest.raises(QueryError):
        text_match(" - ")
