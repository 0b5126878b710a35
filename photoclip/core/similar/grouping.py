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
    within = np.flatnonzero((labels.reshape(-1) >= 0) & (scores.reshape(-1) >= RADIUS))  # few of n x k
    rows, flat, sims = within // k, labels.reshape(-1)[within], scores.reshape(-1)[within]
    position = np.minimum(np.searchsorted(facts.ids, flat), len(facts) - 1)
    inside = facts.ids[position] == flat
    i, j, sims = rows[inside].astype(np.int64), position[inside].astype(np.int64), sims[inside]
    keep = i != j
    i, j, sims = i[keep], j[keep], sims[keep]
    low, high = np.minimum(i, j), np.maximum(i, j)
    key = low * n + high
    key, first = np.unique(key, return_index=True)
    low, high = low[first], high[first]
    return Pairs(low, high, sims[first].astype(np.float32), _hamming(facts, low, high))


def band_pairs(facts: Facts) -> tuple[IntArray, IntArray]:
    """Pairs sharing one 16-bit band of the perceptual hash that the rules could accept (both hashed).

    Any two hashes at most 3 bits apart share a band; most copies are closer than that. Random
    hashes share a band too, more often the larger the library (n^2 / 2^16 pairs per band), so
    each band's pairs are narrowed by the rules at once (`possible`: everything but the vectors'
    cosine, which is read only for the few left) and no band's raw pairs outlive it. A band value
    shared by more than `_MAX_BUCKET` photos proposes nothing, so no photo is in more than
    4 x (`_MAX_BUCKET` - 1) of these pairs: memory stays linear in the photos.
    """
    rows = np.flatnonzero(facts.measured)
    found_i: list[IntArray] = []
    found_j: list[IntArray] = []
    for band in range(64 // _BAND_BITS):
        values = (facts.phash[rows] >> np.uint64(band * _BAND_BITS)) & np.uint64((1 << _BAND_BITS) - 1)
        i, j = _equal_value_pairs(values)
        i, j = rows[i], rows[j]
        keep = possible(facts, i, j, _hamming(facts, i, j))
        found_i.append(i[keep])
        found_j.append(j[keep])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    low, high = np.minimum(i, j), np.maximum(i, j)
    key = np.unique(low * len(facts) + high)
    return key // len(facts), key % len(facts)


def _equal_value_pairs(values: npt.NDArray[np.uint64]) -> tuple[IntArray, IntArray]:
    """Every pair of positions holding the same value, for values held at most `_MAX_BUCKET` times.

    Vectorised over offsets: after a stable sort, positions p and p + d hold the same value exactly
    when they are in one run, so offset d gives every pair d apart within a run at once (one array
    operation per offset, never one per run).
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, ordered.size])
    small = np.repeat(sizes <= _MAX_BUCKET, sizes)  # per sorted position: its run may propose pairs
    run = np.repeat(np.arange(starts.size), sizes)
    found_i: list[IntArray] = []
    found_j: list[IntArray] = []
    for offset in range(1, min(_MAX_BUCKET, int(sizes.max(initial=1)))):
        same = (run[:-offset] == run[offset:]) & small[:-offset]
        if not same.any():
            break
        at = np.flatnonzero(same)
        found_i.append(order[at])
        found_j.append(order[at + offset])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_i).astype(np.int64), np.concatenate(found_j).astype(np.int64)


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
    duplicate, burst = _rules(facts, pairs.i, pairs.j, pairs.cosine, pairs.hamming)
    return Classified(pairs.where(duplicate), pairs.where(burst))


def possible(facts: Facts, i: IntArray, j: IntArray, hamming: IntArray) -> npt.NDArray[np.bool_]:
    """Pairs that the rules would accept if the vectors agreed (the cosine is the one fact not yet read).

    Every rule asks for a cosine at least some bar, so a pair failing here fails with any cosine:
    leaving it out changes no group.
    """
    duplicate, burst = _rules(facts, i, j, np.ones(i.size, dtype=np.float32), hamming)
    mask: npt.NDArray[np.bool_] = duplicate | burst
    return mask


def _rules(
    facts: Facts, i: IntArray, j: IntArray, cosine: npt.NDArray[np.float32], hamming: IntArray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(duplicate, burst) masks of pairs i-j (the module docstring's rules)."""
    gap = np.abs(facts.time[i] - facts.time[j])
    same_camera = (facts.camera[i] >= 0) & (facts.camera[i] == facts.camera[j])
    timed = same_camera & np.isfinite(gap)
    moments_apart = timed & (gap > 0)
    identical = (facts.content[i] >= 0) & (facts.content[i] == facts.content[j])
    looks_same = (hamming <= DUPLICATE_HAMMING) & (cosine >= DUPLICATE_COSINE)
    duplicate = identical | (looks_same & ~moments_apart)
    burst = ~duplicate & moments_apart & (gap <= BURST_SECONDS) & (cosine >= BURST_COSINE) & (hamming <= BURST_HAMMING)
    return duplicate, burst


def components(size: int, pairs: Pairs, *, extra_links: IntArray | None = None) -> list[IntArray]:
    """Groups of rows (two or more) connected by the pairs, each sorted; `extra_links` joins rows with equal codes."""
    i, j = pairs.i, pairs.j
    if extra_links is not None:
        link_i, link_j = same_code_links(extra_links)
        i, j = np.r_[i, link_i], np.r_[j, link_j]
    if size == 0 or i.size == 0:
        return []
    # imported here: scipy.sparse takes 0.15 s to import, and every command opening a library
    # (a one-off `photoclip search` too) would pay it for grouping it never does
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

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
