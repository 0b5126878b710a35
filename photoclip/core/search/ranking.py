"""The rules that turn scores into results: what counts as relevant, and the order shown.

Both front ends (the CLI's --relevance and --by-date, the app's slider and
"By date" switch) ask these, so one query gives the same photos everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.search.tokens import QueryChip
from photoclip.core.store.order import newest_first_key
from photoclip.core.store.records import PhotoId

DEFAULT_DATE_RELEVANCE = 0.5
"""For date ordering without an explicit threshold: keep results at least half way
from the library's typical score for the query to the best match."""


def typical_score(background_scores: npt.NDArray[np.float32]) -> float | None:
    """A query's typical score in the library: the median over a random sample (None for an empty library).

    The median, because the matches themselves (a small share of any sample) cannot drag it up.
    """
    return float(np.median(background_scores)) if background_scores.size else None


def relevance_cutoff(typical: float | None, top_score: float, relevance: float) -> float:
    """The score a result needs to count as relevant, for a relevance between 0 and 1.

    CLIP similarities are not calibrated: a good match may score 0.3 with one model and
    0.8 with another, and the spread differs too, so neither a fixed threshold nor a
    z-score works across models. Both ends of this scale are measured for the query
    at hand instead: 0 is the library's typical score (the median over a random
    sample, which the matches themselves cannot drag up; -1, the lowest cosine, when
    the library is empty) and 1 is the best match.
    """
    low = -1.0 if typical is None else typical
    relevance = min(max(relevance, 0.0), 1.0)
    return low + relevance * max(top_score - low, 0.0)


@dataclass(frozen=True)
class SearchHit:
    photo_id: PhotoId
    score: float
    path: Path
    taken_at: str | None
    offline: bool = False  # its folder is offline (see `Folder.is_offline`)
    place: str | None = None  # where it was taken ("Lisbon, Portugal"), when known
    snippet: str | None = None  # for text: filters, the text around the words found, [matches] in brackets


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    offset: int
    limit: int
    has_more: bool
    cutoff: float | None
    seconds: float
    typical: float | None = None  # the library's median score for this query: relevance 0
    chips: tuple[QueryChip, ...] = ()  # the query's filters, as understood (typed, and read from the words)

    def relevant(self, relevance: float) -> SearchResult:
        """These results without the ones below `relevance` (see `relevance_cutoff`), order kept."""
        if not self.hits:
            return self
        cutoff = relevance_cutoff(self.typical, max(h.score for h in self.hits), relevance)
        hits = [h for h in self.hits if h.score >= cutoff]
        return replace(self, hits=hits, cutoff=cutoff if self.cutoff is None else max(cutoff, self.cutoff))

    def newest_first(self) -> SearchResult:
        """The same results in the library's date order (`store.order`)."""
        return replace(self, hits=sorted(self.hits, key=lambda h: newest_first_key(h.taken_at, h.path, h.photo_id)))
