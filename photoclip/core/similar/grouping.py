"""Which photos are copies of one picture, and which are frames of one burst: pairs first, then groups.

Each signal does what it is good at:

- the content hash (the catalog's) finds byte-identical files;
- the CLIP vectors find the same scene: each photo's nearest neighbours in the HNSW index
  (`NEIGHBOURS` of them, kept when their cosine is at least `RADIUS`), never all pairs;
- the perceptual hash confirms a copy (re-encoded, resized, lightly cropped or edited): its
  bands (4 x 16 bits) also propose pairs the vectors missed, for photos whose neighbourhood is
  crowded with look-alikes;
- the EXIF time and camera tell a burst (the same camera, a few seconds apart) from a copy
  (which keeps the original's time, or has none).

A pair is a **duplicate** when the files are identical, or when both the perceptual hash
(Hamming distance <= `DUPLICATE_HAMMING`) and the vectors (cosine >= `DUPLICATE_COSINE`) say
they are the same picture and the EXIF times do not say they were taken at different moments.
A pair is a **burst** when the same camera took both within `BURST_SECONDS` of each other
(sub-second digits count) and they look alike (cosine >= `BURST_COSINE`, Hamming distance <=
`BURST_HAMMING`). Groups are the connected components of each kind of pair.

The thresholds were set on `benchmarks/duplicates.py`'s generated ground truth (originals,
their copies, bursts and look-alikes) and are checked by it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

NEIGHBOURS = 10
"""Nearest neighbours asked of the index for each photo (a group larger than this still forms: its members
find each other in turn)."""

RADIUS = 0.85
"""Neighbours less similar than this (cosine) are not candidates."""

DUPLICATE_HAMMING = 16
DUPLICATE_COSINE = 0.90

BURST_SECONDS = 5.0
BURST_HAMMING = 24
BURST_COSINE = 0.90

_BAND_BITS = 16
_MAX_BUCKET = 64
"""A perceptual-hash band shared by more photos than this (flat or blank pictures) proposes no pairs."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Facts:
    """What grouping reads of each photo, as arrays in one order (row i is one photo).

    Attributes:
        ids: photo ids, sorted.
        content: a code per distinct content hash (-1: unknown).
        phash: perceptual hashes as unsigned 64-bit integers.
        measured: whether the photo has a perceptual hash.
        time: EXIF time taken in seconds (with the sub-second part), NaN without one.
        camera: a code per camera name (-1: unknown).
    """

    ids: IntArray
    content: IntArray
    phash: npt.NDArray[np.uint64]
    measured: npt.NDArray[np.bool_]
    time: FloatArray
    camera: IntArray

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass(frozen=True)
class Pairs:
    """Candidate or accepted pairs of rows (i < j), with their cosine and Hamming distance."""

    i: IntArray
    j: IntArray
    cosine: npt.NDArray[np.float32]
    hamming: IntArray

    def __len__(self) -> int:
        return int(self.i.size)

    def where(self, mask: npt.NDArray[np.bool_]) -> Pairs:
        return Pairs(self.i[mask], self.j[mask], self.cosine[mask], self.hamming[mask])


def popcount(values: npt.NDArray[np.uint64]) -> IntArray:
    """Set bits of each 64-bit value."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        counted: IntArray = np.bitwise_count(values).astype(np.int64)
        return counted
    as_bytes = values.astype(np.uint64).view(np.uint8).reshape(-1, 8)
    counts: IntArray = _BYTE_BITS[as_bytes].sum(axis=1).astype(np.int64)
    return counts


_BYTE_BITS = np.array([bin(b).count("1") for b in range(256)], dtype=np.int64)


def neighbour_pairs(facts: Facts, labels: IntArray, scores: npt.NDArray[np.float32]) -> Pairs:
    """Pairs from each photo's nearest neighbours (labels: photo ids, -1 for none) within `RADIUS`."""
    n, k = labels.shape if labels.ndim == 2 else (0, 0)
    if n == 0 or k == 0:
        return _empty()
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    flat, sims = labels.reshape(-1), scores.reshape(-1)
    position = np.searchsorted(facts.ids, flat)
    position = np.minimum(position, len(facts) - 1)
    inside = (flat >= 0) & (facts.ids[position] == flat) & (sims >= RADIUS)
    i, j, sims = rows[inside], position[inside], sims[inside]
    keep = i != j
    i, j, sims = i[keep], j[keep], sims[keep]
    low, high = np.minimum(i, j), np.maximum(i, j)
    key = low * n + high
    key, first = np.unique(key, return_index=True)
    low, high = low[first], high[first]
    return Pairs(low, high, sims[first].astype(np.float32), _hamming(facts, low, high))


def band_pairs(facts: Facts) -> tuple[IntArray, IntArray]:
    """Pairs sharing one 16-bit band of the perceptual hash and within `BURST_HAMMING` bits (both hashed).

    Any two hashes at most 3 bits apart share a band; most copies are closer than that.
    """
    rows = np.flatnonzero(facts.measured)
    found_i: list[IntArray] = []
    found_j: list[IntArray] = []
    for band in range(64 // _BAND_BITS):
        values = (facts.phash[rows] >> np.uint64(band * _BAND_BITS)) & np.uint64((1 << _BAND_BITS) - 1)
        order = np.argsort(values, kind="stable")
        sorted_values = values[order]
        starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
        sizes = np.diff(np.r_[starts, sorted_values.size])
        pairs_of_two = starts[sizes == 2]  # nearly every shared band: one vectorised step
        found_i.append(rows[order[pairs_of_two]])
        found_j.append(rows[order[pairs_of_two + 1]])
        for start, size in zip(
            starts[(sizes > 2) & (sizes <= _MAX_BUCKET)], sizes[(sizes > 2) & (sizes <= _MAX_BUCKET)], strict=True
        ):
            members = rows[order[start : start + size]]
            a, b = np.triu_indices(int(size), k=1)
            found_i.append(members[a])
            found_j.append(members[b])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    low, high = np.minimum(i, j), np.maximum(i, j)
    close = _hamming(facts, low, high) <= BURST_HAMMING
    key = np.unique(low[close] * len(facts) + high[close])
    return key // len(facts), key % len(facts)


def _hamming(facts: Facts, i: IntArray, j: IntArray) -> IntArray:
    distance = popcount(facts.phash[i] ^ facts.phash[j])
    distance[~(facts.measured[i] & facts.measured[j])] = 64  # no hash: no evidence
    return distance


def _empty() -> Pairs:
    return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))


def merge(facts: Facts, first: Pairs, i: IntArray, j: IntArray, cosine: npt.NDArray[np.float32]) -> Pairs:
    """Candidate pairs from two sources as one set (the first source's values win for a pair in both)."""
    n = max(1, len(facts))
    joined = Pairs(
        np.r_[first.i, i],
        np.r_[first.j, j],
        np.r_[first.cosine, cosine.astype(np.float32)],
        np.r_[first.hamming, _hamming(facts, i, j)],
    )
    _, first_seen = np.unique(joined.i * n + joined.j, return_index=True)
    keep = np.zeros(len(joined), dtype=bool)
    keep[first_seen] = True
    return joined.where(keep)


@dataclass(frozen=True)
class Classified:
    duplicates: Pairs
    bursts: Pairs


def classify(facts: Facts, pairs: Pairs) -> Classified:
    """Apply the rules of the module docstring to candidate pairs."""
    i, j = pairs.i, pairs.j
    gap = np.abs(facts.time[i] - facts.time[j])
    same_camera = (facts.camera[i] >= 0) & (facts.camera[i] == facts.camera[j])
    timed = same_camera & np.isfinite(gap)
    moments_apart = timed & (gap > 0)
    identical = (facts.content[i] >= 0) & (facts.content[i] == facts.content[j])
    looks_same = (pairs.hamming <= DUPLICATE_HAMMING) & (pairs.cosine >= DUPLICATE_COSINE)
    duplicate = identical | (looks_same & ~moments_apart)
    burst = (
        ~duplicate
        & moments_apart
        & (gap <= BURST_SECONDS)
        & (pairs.cosine >= BURST_COSINE)
        & (pairs.hamming <= BURST_HAMMING)
    )
    return Classified(pairs.where(duplicate), pairs.where(burst))


def components(size: int, pairs: Pairs, *, extra_links: IntArray | None = None) -> list[IntArray]:
    """Groups of rows (two or more) connected by the pairs, each sorted; `extra_links` joins rows with equal codes."""
    i, j = pairs.i, pairs.j
    if extra_links is not None:
        link_i, link_j = same_code_links(extra_links)
        i, j = np.r_[i, link_i], np.r_[j, link_j]
    if size == 0 or i.size == 0:
        return []
    graph = coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    groups = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b - a > 1]
    del count
    return [np.sort(g) for g in groups]


def same_code_links(codes: IntArray) -> tuple[IntArray, IntArray]:
    """Links joining each row to the first row with the same code (codes < 0 join nothing)."""
    rows = np.flatnonzero(codes >= 0)
    order = rows[np.argsort(codes[rows], kind="stable")]
    values = codes[order]
    starts = np.r_[True, values[1:] != values[:-1]] if values.size else np.zeros(0, bool)
    first = order[np.maximum.accumulate(np.where(starts, np.arange(values.size), 0))] if values.size else order
    keep = first != order
    return first[keep], order[keep]
