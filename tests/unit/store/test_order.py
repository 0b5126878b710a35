"""Newest first: the Python sort key gives exactly the order of the SQL ORDER BY terms."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.order import NEWEST_FIRST_SQL, newest_first_key
from photoclip.core.store.records import FileStat, PhotoFilter, PhotoId, PhotoMetadata

MODEL = "test-model"

# (file name, taken_at) in insertion order, so ids disagree with both dates and paths.
PHOTOS: list[tuple[str, str | None]] = [
    ("m/undated-b.jpg", None),
    ("a/noon.jpg", "2023-05-01T12:00:00"),
    ("z/same-moment-1.jpg", "2023-05-01T10:00:00"),
    ("b/same-moment-2.jpg", "2023-05-01T10:00:00"),
    ("B/upper-undated.jpg", None),
    ("a/undated-a.jpg", None),
    ("c/old.jpg", "1999-12-31T23:59:59"),
    ("é/accent-undated.jpg", None),
    ("z/undated.jpg", None),
    ("c/new.jpg", "2024-01-01T00:00:00"),
    ("a b/space-undated.jpg", None),
    ("d/same-moment-3.jpg", "2023-05-01T10:00:00"),
    ("d/date-only.jpg", "2023-05-01"),
]


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def fill(catalog: Catalog, root: Path) -> list[PhotoId]:
    folder = catalog.add_folder(root)
    ids = catalog.add_photos(folder.id, [FileStat(root / name, 10, 1) for name, _ in PHOTOS])
    embedded = [
        (
            pid,
            PhotoMetadata(10, 1, f"hash{pid}", 4, 3, "jpeg", taken_at, "exif" if taken_at else "file", None),
            np.ones(4, dtype=np.float32),
        )
        for pid, (_, taken_at) in zip(ids, PHOTOS, strict=True)
    ]
    catalog.record_batch(MODEL, embedded, [], [])
    return ids


def sql_order(catalog: Catalog) -> list[PhotoId]:
    rows = catalog.reader().execute(f"SELECT p.id FROM photos p ORDER BY {NEWEST_FIRST_SQL}").fetchall()
    return [PhotoId(int(r[0])) for r in rows]


def python_order(catalog: Catalog) -> list[PhotoId]:
    rows = catalog.reader().execute("SELECT id, taken_at, path FROM photos").fetchall()
    return [PhotoId(int(r[0])) for r in sorted(rows, key=lambda r: newest_first_key(r[1], r[2], int(r[0])))]


def names(catalog: Catalog, ids: list[PhotoId]) -> list[str]:
    photos = catalog.photos(ids)
    return [f"{photos[i].path.parent.name}/{photos[i].path.name}" for i in ids]


def test_sql_order_is_the_documented_rule(catalog: Catalog, tmp_path: Path) -> None:
    fill(catalog, tmp_path)
    assert names(catalog, sql_order(catalog)) == [
        "c/new.jpg",
        "a/noon.jpg",
        "d/same-moment-3.jpg",  # same moment: newest row first
        "b/same-moment-2.jpg",
        "z/same-moment-1.jpg",
        "d/date-only.jpg",  # a bare date sorts before any time of that day
        "c/old.jpg",
        "B/upper-undated.jpg",  # undated last, by path (byte order: upper case first)
        "a b/space-undated.jpg",
        "a/undated-a.jpg",
        "m/undated-b.jpg",
        "z/undated.jpg",
        "é/accent-undated.jpg",
    ]


def test_python_key_gives_exactly_the_sql_order(catalog: Catalog, tmp_path: Path) -> None:
    fill(catalog, tmp_path)
    assert python_order(catalog) == sql_order(catalog)


def test_catalog_taken_order_gives_the_sql_order(catalog: Catalog, tmp_path: Path) -> None:
    ids = fill(catalog, tmp_path)
    expected = sql_order(catalog)
    assert catalog.taken_order(list(reversed(ids))) == expected
    assert catalog.taken_order(ids) == expected


def test_taken_order_of_a_subset_keeps_their_relative_order(catalog: Catalog, tmp_path: Path) -> None:
    ids = fill(catalog, tmp_path)
    subset = ids[::2]
    expected = [pid for pid in sql_order(catalog) if pid in set(subset)]
    assert catalog.taken_order(subset) == expected


def test_taken_order_drops_unknown_ids(catalog: Catalog, tmp_path: Path) -> None:
    ids = fill(catalog, tmp_path)
    assert catalog.taken_order([ids[0], 10_000]) == [ids[0]]


def test_filter_ids_by_date_uses_the_same_order(catalog: Catalog, tmp_path: Path) -> None:
    fill(catalog, tmp_path)
    assert catalog.filter_ids(MODEL, PhotoFilter(), by_date=True).tolist() == sql_order(catalog)


def test_photos_never_read_are_undated_and_sort_with_them(catalog: Catalog, tmp_path: Path) -> None:
    fill(catalog, tmp_path)
    folder = catalog.add_folder(tmp_path)
    (pending,) = catalog.add_photos(folder.id, [FileStat(tmp_path / "a" / "pending.jpg", 1, 1)])
    order = sql_order(catalog)
    assert python_order(catalog) == order
    assert names(catalog, order)[-6:-4] == ["a b/space-undated.jpg", "a/pending.jpg"]


@pytest.mark.parametrize("taken_at", [None, "2020-01-01T00:00:00"])
def test_key_orders_equal_dates_by_id_descending(taken_at: str | None) -> None:
    keys = [newest_first_key(taken_at, "/same/path.jpg", pid) for pid in (1, 3, 2)]
    assert sorted(keys) == [keys[1], keys[2], keys[0]]


def test_key_puts_every_dated_photo_before_every_undated_one() -> None:
    dated = [newest_first_key(t, "/z.jpg", 1) for t in ("0001-01-01", "2023-05-01T10:00:00", "9999-12-31")]
    undated = [newest_first_key(None, p, 9) for p in ("/a.jpg", "/", "")]
    for d, u in itertools.product(dated, undated):
        assert d < u
        assert not u < d
