"""The ranking rules: the relevance cut-off and the date order, the same for every front end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoclip.core.search.ranking import SearchHit, SearchResult, relevance_cutoff, typical_score
from photoclip.core.store.records import PhotoId


def test_relevance_cutoff_spans_typical_to_best() -> None:
    background = np.array([0.1, 0.2, 0.2, 0.3, 0.9], dtype=np.float32)  # median 0.2; one strong match
    typical = typical_score(background)
    assert relevance_cutoff(typical, 0.9, 0.0) == pytest.approx(0.2)
    assert relevance_cutoff(typical, 0.9, 1.0) == pytest.approx(0.9)
    assert relevance_cutoff(typical, 0.9, 0.5) == pytest.approx(0.55)
    assert relevance_cutoff(typical, 0.9, 7.0) == pytest.approx(0.9)  # clamped


def test_an_empty_library_has_no_typical_score_and_keeps_everything_at_zero() -> None:
    assert typical_score(np.zeros(0, dtype=np.float32)) is None
    assert relevance_cutoff(None, 0.3, 0.0) == -1.0


def _hit(pid: int, score: float, taken_at: str | None, name: str = "") -> SearchHit:
    return SearchHit(PhotoId(pid), score, Path(f"/photos/{name or pid}.jpg"), taken_at)


def test_relevant_keeps_what_passes_the_cutoff_in_order() -> None:
    result = SearchResult([_hit(1, 0.9, None), _hit(2, 0.5, None), _hit(3, 0.3, None)], 0, 10, False, None, 0.0, 0.2)
    assert [h.photo_id for h in result.relevant(0.4).hits] == [1, 2]  # cut-off 0.2 + 0.4 * (0.9 - 0.2) = 0.48
    assert result.relevant(0.4).cutoff == pytest.approx(0.48)
    assert [h.photo_id for h in result.relevant(0.5).hits] == [1]  # cut-off 0.55


def test_relevant_measures_from_the_best_match_even_when_shown_by_date() -> None:
    hits = [_hit(1, 0.5, "2024-01-01"), _hit(2, 0.9, "2020-01-01")]
    by_date = SearchResult(hits, 0, 10, False, None, 0.0, 0.1)
    assert [h.photo_id for h in by_date.relevant(1.0).hits] == [2]


def test_newest_first_breaks_ties_by_newest_row_and_puts_undated_last_by_path() -> None:
    hits = [
        _hit(1, 0.9, None, "b"),
        _hit(2, 0.8, "2023-05-01T10:00:00"),
        _hit(3, 0.7, "2023-05-01T10:00:00"),
        _hit(4, 0.6, None, "a"),
        _hit(5, 0.5, "2024-01-01T00:00:00"),
    ]
    result = SearchResult(hits, 0, 10, False, None, 0.0)
    assert [h.photo_id for h in result.newest_first().hits] == [5, 3, 2, 4, 1]
