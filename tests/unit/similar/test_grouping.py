"""The rules that make a pair a duplicate or a burst, and groups from pairs."""

from __future__ import annotations

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
