"""The rules that make a pair a duplicate or a burst, and groups from pairs."""

from __future__ import annotations

import collections
import itertools

import numpy as np

from photoclip.core.similar import grouping
from photoclip.core.similar.grouping import Facts, Pairs


def facts(
    *,
    content: list[int],
    phash: list[int],
    time: list[float],
    camera: list[int],
) -> Facts:
    n = len(content)
    return Facts(
        ids=np.arange(1, n + 1, dtype=np.int64),
        content=np.array(content, dtype=np.int64),
        phash=np.array(phash, dtype=np.uint64),
        measured=np.ones(n, dtype=bool),
        time=np.array(time, dtype=np.float64),
        camera=np.array(camera, dtype=np.int64),
    )


def pairs(f: Facts, links: list[tuple[int, int, float]]) -> Pairs:
    i = np.array([a for a, _, _ in links], dtype=np.int64)
    j = np.array([b for _, b, _ in links], dtype=np.int64)
    cosine = np.array([c for _, _, c in links], dtype=np.float32)
    return Pairs(i, j, cosine, grouping.popcount(f.phash[i] ^ f.phash[j]))


NAN = float("nan")


def test_identical_bytes_are_duplicates_whatever_else_says() -> None:
    f = facts(content=[7, 7], phash=[0, 0xFFFF], time=[NAN, NAN], camera=[-1, -1])
    found = grouping.classify(f, pairs(f, [(0, 1, 0.2)]))
    assert len(found.duplicates) == 1 and len(found.bursts) == 0


def test_a_copy_needs_both_the_hash_and_the_vectors_and_no_different_moment() -> None:
    close_hash = [0b1011, 0b1010]  # one bit apart
    f = facts(content=[1, 2], phash=close_hash, time=[100.0, 100.0], camera=[0, 0])
    assert len(grouping.classify(f, pairs(f, [(0, 1, 0.97)])).duplicates) == 1
    assert len(grouping.classify(f, pairs(f, [(0, 1, 0.5)])).duplicates) == 0  # same hash, other scene
    far_hash = facts(content=[1, 2], phash=[0, (1 << 30) - 1], time=[NAN, NAN], camera=[0, 0])
    assert len(grouping.classify(far_hash, pairs(far_hash, [(0, 1, 0.99)])).duplicates) == 0  # a look-alike


def test_the_same_camera_seconds_apart_is_a_burst_not_a_duplicate() -> None:
    f = facts(content=[1, 2], phash=[0b1, 0b11], time=[100.0, 101.5], camera=[3, 3])
    found = grouping.classify(f, pairs(f, [(0, 1, 0.98)]))
    assert len(found.duplicates) == 0 and len(found.bursts) == 1


def test_too_far_apart_or_another_camera_or_another_scene_is_no_burst() -> None:
    later = facts(content=[1, 2], phash=[0, 1], time=[100.0, 100.0 + grouping.BURST_SECONDS + 1], camera=[3, 3])
    other_camera = facts(content=[1, 2], phash=[0, 1], time=[100.0, 101.0], camera=[3, 4])
    other_scene = facts(content=[1, 2], phash=[0, (1 << 40) - 1], time=[100.0, 101.0], camera=[3, 3])
    for f in (later, other_camera, other_scene):
        assert len(grouping.classify(f, pairs(f, [(0, 1, 0.95)])).bursts) == 0
    assert len(grouping.classify(other_camera, pairs(other_camera, [(0, 1, 0.95)])).duplicates) == 1


def test_neighbour_pairs_keep_neighbours_within_the_radius_once_each() -> None:
    f = facts(content=[1, 2, 3], phash=[0, 0, 0], time=[NAN] * 3, camera=[-1] * 3)
    labels = np.array([[1, 2, 3], [2, 1, 3], [3, 1, -1]], dtype=np.int64)  # photo ids, self first
    scores = np.array([[1.0, 0.95, 0.5], [1.0, 0.95, 0.4], [1.0, 0.5, -np.inf]], dtype=np.float32)
    found = grouping.neighbour_pairs(f, labels, scores)
    assert list(zip(found.i.tolist(), found.j.tolist(), strict=True)) == [(0, 1)]


def test_hash_bands_propose_close_hashes_only() -> None:
    base = 0x0123_4567_89AB_CDEF
    f = facts(
        content=[1, 2, 3], phash=[base, base ^ 0b111, base ^ 0xFFFF_0000_FFFF_0000], time=[NAN] * 3, camera=[-1] * 3
    )
    i, j = grouping.band_pairs(f)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1)]


def test_components_join_pairs_and_equal_codes() -> None:
    f = facts(content=[1, 2, 3, 4, 4], phash=[0] * 5, time=[NAN] * 5, camera=[-1] * 5)
    groups = grouping.components(5, pairs(f, [(0, 1, 1.0)]), extra_links=f.content)
    assert sorted(g.tolist() for g in groups) == [[0, 1], [3, 4]]


def test_popcount_counts_bits_of_64_bit_values() -> None:
    values = np.array([0, 1, 0xFF, (1 << 64) - 1], dtype=np.uint64)
    assert grouping.popcount(values).tolist() == [0, 1, 8, 64]


def _brute_band_pairs(f: Facts) -> set[tuple[int, int]]:
    """band_pairs by definition, one pair at a time: a shared band value held by at most _MAX_BUCKET measured
    photos, and the rules would accept the pair if the vectors agreed."""
    found = set()
    hashed = [a for a in range(len(f)) if f.measured[a]]
    for band in range(4):
        values = {a: (int(f.phash[a]) >> (16 * band)) & 0xFFFF for a in hashed}
        held = collections.Counter(values.values())
        for a in hashed:
            for b in hashed:
                if b <= a or values[a] != values[b] or held[values[a]] > grouping._MAX_BUCKET:
                    continue
                pair = (np.array([a]), np.array([b]))
                distance = grouping.popcount(f.phash[[a]] ^ f.phash[[b]])
                if grouping.possible(f, *pair, distance)[0]:
                    found.add((a, b))
    return found


def test_band_pairs_are_every_pair_a_shared_band_and_the_rules_allow() -> None:
    rng = np.random.default_rng(3)
    n = 160
    # few distinct band values, so runs of 2 to 80 photos share one (above _MAX_BUCKET: proposes nothing)
    pool = rng.integers(0, 1 << 16, size=6, dtype=np.uint64)
    low_band = np.where(np.arange(n) < 80, pool[0], pool[rng.integers(1, 6, size=n)])
    high = rng.integers(0, 1 << 48, size=n, dtype=np.uint64)
    high[rng.random(n) < 0.5] = high[0]  # half share the other three bands with photo 0
    bits = [rng.choice(48, size=int(k), replace=False) for k in rng.integers(0, 12, n)]
    flips = np.array([sum(1 << int(b) for b in chosen) for chosen in bits])
    phash = ((high ^ flips.astype(np.uint64)) << np.uint64(16)) | low_band
    f = Facts(
        ids=np.arange(1, n + 1, dtype=np.int64),
        content=rng.integers(0, 150, size=n),
        phash=phash.astype(np.uint64),
        measured=rng.random(n) < 0.95,
        time=np.where(rng.random(n) < 0.5, rng.uniform(0, 20, size=n).round(1), NAN),
        camera=rng.integers(-1, 2, size=n),
    )
    i, j = grouping.band_pairs(f)
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    assert len(got) == len(set(got)) and all(a < b for a, b in got)
    expected = _brute_band_pairs(f)
    assert set(got) == expected
    assert len(expected) > 100  # the data exercises the rules, not only the empty case


def test_band_pairs_keep_a_burst_far_in_bits_and_drop_a_look_alike_as_far() -> None:
    base = 0x0123_4567_89AB_CDEF
    twenty_bits = ((1 << 20) - 1) << 16  # the lowest band stays shared
    f = facts(
        content=[1, 2, 3, 4],
        phash=[base, base ^ twenty_bits, base, base ^ twenty_bits],
        time=[100.0, 101.0, 500.0, 9000.0],
        camera=[1, 1, 2, 2],
    )
    i, j = grouping.band_pairs(f)
    pairs_found = set(zip(i.tolist(), j.tolist(), strict=True))
    assert (0, 1) in pairs_found  # one camera a second apart: a burst can be 20 bits away
    assert (2, 3) not in pairs_found  # hours apart and 20 bits away: neither copy nor burst, whatever the vectors


def test_a_group_larger_than_the_neighbour_count_stays_one_group() -> None:
    """Each photo asks for NEIGHBOURS neighbours only; 30 copies still form one group, found in turn."""
    n, k = 30, grouping.NEIGHBOURS
    base = 0x0123_4567_89AB_CDEF
    # in each 16-bit band every photo has its own two bits set (so no band proposes a pair): <= 16 bits apart
    codes = list(itertools.combinations(range(16), 2))[:n]
    hashes = [base ^ sum((1 << (16 * band + a)) | (1 << (16 * band + b)) for band in range(4)) for a, b in codes]
    f = facts(content=list(range(n)), phash=hashes, time=[NAN] * n, camera=[-1] * n)
    assert len(grouping.band_pairs(f)[0]) == 0
    ring = [[(p + d) % n for d in range(-(k // 2) + 1, k // 2 + 1)] for p in range(n)]  # self and 9 around
    labels = np.array([[q + 1 for q in row] for row in ring], dtype=np.int64)
    scores = np.full(labels.shape, 0.97, dtype=np.float32)
    candidate = grouping.neighbour_pairs(f, labels, scores)
    assert labels.shape[1] == k and len(candidate) < n * (n - 1) // 2
    found = grouping.classify(f, candidate)
    groups = grouping.components(n, found.duplicates)
    assert [g.tolist() for g in groups] == [list(range(n))]
