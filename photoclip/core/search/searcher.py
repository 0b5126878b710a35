"""Answer a query: text and/or an example photo ranked by the index, or filters browsed by date."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from photoclip.core.clip.service import Models
from photoclip.core.errors import DecodeError, LibraryError, QueryError
from photoclip.core.ingest.folders import Folders
from photoclip.core.search.matches import Match, find
from photoclip.core.search.query import ParsedQuery, merge_filters, parse_query, query_vector
from photoclip.core.search.ranking import (
    DEFAULT_DATE_RELEVANCE,
    SceneHit,
    SearchHit,
    SearchResult,
    relevance_cutoff,
    typical_score,
)
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import Photo, PhotoFilter, PhotoId
from photoclip.core.store.scenes import SceneSpan, SceneStore
from photoclip.core.store.texts import TextStore
from photoclip.core.vectors.keeper import VectorKeeper

if TYPE_CHECKING:
    from photoclip.core.places.service import Places

DATE_ORDER_LIMIT = 5000
"""Most results considered when relevant results are shown by date instead of score."""

ORDERS = ("relevance", "date")


@dataclass(frozen=True)
class SceneRef:
    """One scene of a library video, as an example to search by ("find similar from this scene")."""

    photo_id: int
    index: int


Example = Path | int | SceneRef


class Searcher:
    """Searches the current model's index; browsing (no words, no example) needs no model at all."""

    def __init__(
        self,
        catalog: Catalog,
        vectors: VectorKeeper,
        models: Models,
        folders: Folders,
        places: Places | None = None,
    ) -> None:
        self._catalog = catalog
        self._scenes = SceneStore(catalog)
        self._vectors = vectors
        self._models = models
        self._folders = folders
        self._places = places
        self._texts = TextStore(catalog)

    def understand(self, query: str) -> ParsedQuery:
        """The query as this library reads it: "in Lisbon" is a filter when the library has photos there."""
        return parse_query(query, places=self._places.known_names() if self._places is not None else None)

    def search(
        self,
        query: str | ParsedQuery = "",
        *,
        example: Example | None = None,
        limit: int = 20,
        offset: int = 0,
        photo_filter: PhotoFilter | None = None,
        min_score: float | None = None,
        relevance: float | None = None,
        order: str = "relevance",
    ) -> SearchResult:
        """Rank photos by similarity to a text query and/or an example photo.

        Args:
            min_score: drop results with a lower cosine similarity.
            relevance: drop results below this point (0-1) between the library's typical
                score for the query and its best match (see `relevance_cutoff`).
            order: "relevance", or "date": the relevant results newest first (relevance
                defaults to 0.5 then, unless a min_score is given).
        """
        if order not in ORDERS:
            raise QueryError(f"Unknown order {order!r}: use relevance or date.")
        parsed = self.understand(query) if isinstance(query, str) else query
        combined = resolve_folders(merge_filters(parsed.filter, photo_filter or PhotoFilter()))
        if parsed.is_empty() and example is None:
            if combined.is_empty():
                raise QueryError("The query is empty: type some words, or give an example photo.")
            started = time.perf_counter()
            ids = self.browse_ids(combined, text_order=order != "date", limit=offset + limit + 1)
            return replace(self._page(ids, offset, limit, started, combined), chips=parsed.chips)
        if not parsed.is_empty():
            self._models.text_encoder()  # loading the text side is not part of the search time
        with self._models.reading():
            result = self._rank(parsed, example, combined, limit, offset, min_score, relevance, order)
        return replace(result, chips=parsed.chips)

    def _rank(  # one pass through the options, in the order they apply; splitting it hides that
        self,
        parsed: ParsedQuery,
        example: Example | None,
        combined: PhotoFilter,
        limit: int,
        offset: int,
        min_score: float | None,
        relevance: float | None,
        order: str,
    ) -> SearchResult:
        started = time.perf_counter()
        base = []
        exclude: PhotoId | None = None
        if example is not None:
            vector, exclude = self._example_vector(example)
            base.append(vector)
        index = self._vectors.searchable()
        if index is None or len(index) == 0:
            return SearchResult([], offset, limit, False, None, time.perf_counter() - started)
        if not parsed.is_empty():
            text_vector = query_vector(parsed, self._models.text_encoder().encode_texts)
            vector = _normalised(sum(base, start=np.zeros_like(text_vector)) + text_vector) if base else text_vector
        else:
            vector = base[0]
        allowed = None
        if not combined.is_empty():
            allowed = self._vectors.labels_of(self._catalog.filter_ids(self._models.model_id, combined))
            if len(allowed) == 0:
                return SearchResult([], offset, limit, False, None, time.perf_counter() - started)
        if order == "date" and relevance is None and min_score is None:
            relevance = DEFAULT_DATE_RELEVANCE
        k = DATE_ORDER_LIMIT if order == "date" or relevance is not None else offset + limit + 1
        hits = find(index, vector, k, allowed=allowed, exclude=() if exclude is None else (exclude,))
        cutoff = min_score
        typical = typical_score(self._vectors.background_scores(index, vector))
        if relevance is not None and hits:
            relative = relevance_cutoff(typical, hits[0].score, relevance)
            cutoff = relative if cutoff is None else max(cutoff, relative)
        if cutoff is not None:
            hits = [h for h in hits if h.score >= cutoff]
        if order == "date":
            by_id = {h.photo_id: h for h in hits}
            hits = [by_id[i] for i in self._catalog.taken_order([h.photo_id for h in hits])]
        page = hits[offset : offset + limit]
        result = self.matches_to_hits(page, cutoff, combined)
        has_more = len(hits) > offset + limit
        return SearchResult(result, offset, limit, has_more, cutoff, time.perf_counter() - started, typical)

    def matches_to_hits(
        self, matches: list[Match], cutoff: float | None = None, photo_filter: PhotoFilter | None = None
    ) -> list[SearchHit]:
        """Catalog rows for matches, a video with the times of its matching scenes (those above `cutoff`)."""
        photos = self._catalog.photos([m.photo_id for m in matches])
        videos = [m.photo_id for m in matches if (p := photos.get(PhotoId(m.photo_id))) is not None and p.is_video]
        spans = self._scenes.spans(self._models.model_id, videos) if videos else {}
        found = []
        for match in matches:
            photo = photos.get(PhotoId(match.photo_id))
            if photo is None:
                continue
            by_index = {s.index: s for s in spans.get(photo.id, [])}
            scenes = tuple(
                SceneHit(span.index, span.start, span.end, span.frame, m.score)
                for rank, m in enumerate(match.scenes)
                if (span := by_index.get(m.index)) is not None and (rank == 0 or cutoff is None or m.score >= cutoff)
            )
            found.append((photo, match.score, scenes))
        return self._hits(found, photo_filter)

    def scenes(self, photo_id: int) -> list[SceneSpan]:
        """A video's scenes in order (times only); empty for a photo or a video not indexed yet."""
        return self._scenes.spans(self._models.model_id, [photo_id]).get(PhotoId(photo_id), [])

    def scene_at(self, photo_id: int, seconds: float) -> SceneRef:
        """The scene of a library video that shows the given moment (the last one for a time past its end)."""
        spans = self.scenes(photo_id)
        if not spans:
            raise LibraryError(f"Video {photo_id} is not in the library or not indexed yet.")
        chosen = next((s for s in spans if s.start <= seconds < s.end), spans[-1] if seconds >= 0 else spans[0])
        return SceneRef(photo_id, chosen.index)

    def similar(
        self,
        example: Example,
        *,
        limit: int = 20,
        offset: int = 0,
        photo_filter: PhotoFilter | None = None,
        min_score: float | None = None,
        relevance: float | None = None,
        order: str = "relevance",
    ) -> SearchResult:
        """Photos that look like the example (a library photo id or any image file)."""
        return self.search(
            ParsedQuery(),
            example=example,
            limit=limit,
            offset=offset,
            photo_filter=photo_filter,
            min_score=min_score,
            relevance=relevance,
            order=order,
        )

    def browse_ids(
        self, photo_filter: PhotoFilter, *, text_order: bool = True, limit: int | None = None
    ) -> list[PhotoId]:
        """Every photo matching the filters (an empty filter: the whole library), newest first.

        Indexed or not yet: browsing needs no model, so a new library shows its photos as
        soon as they are catalogued (only photos that could not be read are left out).
        With `text:` filters, the best text matches come first (FTS5's bm25), newest first among
        equals, unless `text_order` is off. `limit`: only the first so many (a page and one more).
        """
        ids = self._catalog.filter_ids(
            self._models.model_id,
            resolve_folders(photo_filter),
            by_date=True,
            embedded=False,
            by_text=text_order,
            limit=limit,
        )
        return [PhotoId(int(i)) for i in ids]

    def _page(
        self, ordered: list[PhotoId], offset: int, limit: int, started: float, photo_filter: PhotoFilter
    ) -> SearchResult:
        page = ordered[offset : offset + limit]
        photos = self._catalog.photos(page)
        hits = self._hits([(photo, 0.0, ()) for i in page if (photo := photos.get(i)) is not None], photo_filter)
        return SearchResult(hits, offset, limit, len(ordered) > offset + limit, None, time.perf_counter() - started)

    def _hits(
        self, found: list[tuple[Photo, float, tuple[SceneHit, ...]]], photo_filter: PhotoFilter | None = None
    ) -> list[SearchHit]:
        """Hits with what a person wants to see beside each: offline or not, its place, the text found, a video's
        matching scenes."""
        offline = self._folders.offline_ids()
        ids = [photo.id for photo, _, _ in found]
        places = self._places.of(ids) if self._places is not None else {}
        texts = photo_filter.texts if photo_filter is not None else ()
        snippets = self._texts.snippets(ids, texts) if texts else {}
        return [
            SearchHit(
                photo.id,
                score,
                photo.path,
                photo.taken_at,
                photo.folder_id in offline,
                place=places[photo.id].place.label() or None if photo.id in places else None,
                snippet=snippets.get(photo.id),
                duration=photo.duration,
                scenes=scenes,
            )
            for photo, score, scenes in found
        ]

    def _example_vector(self, example: Example) -> tuple[npt.NDArray[np.float32], PhotoId | None]:
        """The stored vector of a library photo, video or scene, or a fresh one for any other image file."""
        model_id = self._models.model_id
        if isinstance(example, SceneRef):
            scene = self._scenes.vector(model_id, example.photo_id, example.index)
            if scene is None:
                raise LibraryError(f"Scene {example.index} of video {example.photo_id} is not indexed.")
            return _normalised(scene), PhotoId(example.photo_id)
        if isinstance(example, int):
            ids, vectors = self._catalog.embeddings(model_id, [example])
            if not len(ids):
                raise LibraryError(f"Photo {example} is not in the library or not indexed yet.")
            return _normalised(vectors[0]), PhotoId(example)
        path = Path(example).expanduser()
        if not path.exists():
            raise LibraryError(f"Photo not found: {path}")
        photo = self._catalog.photo_by_path(path.resolve())
        if photo is not None:
            ids, vectors = self._catalog.embeddings(model_id, [photo.id])
            if len(ids):
                return _normalised(vectors[0]), photo.id
        from photoclip.core.media.decode import decode_photo
        from photoclip.core.media.kinds import VIDEO, kind_of
        from photoclip.core.media.video import frame_at

        embedder = self._models.embedder()
        try:
            if kind_of(path) == VIDEO:  # a clip from outside the library: the frame in its middle
                image = frame_at(path, None, max_side=4 * embedder.image_size)
            else:
                image = decode_photo(path, min_side=embedder.image_size).image
        except DecodeError as e:
            raise LibraryError(f"Cannot use {path} as an example: {e.message}") from e
        vector = embedder.encode_images(embedder.preprocess(image).unsqueeze(0))[0]
        return vector, photo.id if photo is not None else None


def resolve_folders(photo_filter: PhotoFilter) -> PhotoFilter:
    """Folder filters as the catalog stores paths: absolute, symlinks resolved (`~` expanded)."""
    if not photo_filter.folders:
        return photo_filter
    return replace(photo_filter, folders=tuple(Path(f).expanduser().resolve() for f in photo_filter.folders))


def _normalised(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = float(np.linalg.norm(vector))
    if norm < 1e-6:
        raise QueryError("The query and the example cancel out.")
    result: npt.NDArray[np.float32] = vector / norm
    return result
