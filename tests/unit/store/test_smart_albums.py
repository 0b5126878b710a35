"""Smart albums in the catalog: the rule round-trips, the bar is kept, freezing leaves a plain album."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoFilter
from photoclip.core.store.smart_albums import Bar, Rule, SmartAlbumStore


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def test_a_rule_and_its_bar_are_kept(catalog: Catalog) -> None:
    store = SmartAlbumStore(catalog)
    rule = Rule(
        "dog -cat", 0.4, PhotoFilter((Path("/photos/2023"),), "2023", "2023-12-31", ("jpeg",), ("pets",), ("Best",))
    )
    with catalog.transaction() as conn:
        album_id = int(conn.execute("INSERT INTO albums(name, created_at) VALUES ('Dogs', 0)").lastrowid or 0)
        store.set_rule(conn, album_id, rule)
    (smart,) = store.all()
    assert smart.name == "Dogs" and smart.rule == rule and smart.bar is None  # not computed yet
    vector = np.arange(4, dtype=np.float32)
    with catalog.transaction() as conn:
        store.set_bar(conn, album_id, Bar("model", vector, 0.31, 0.42, 17, 1000))
    bar = store.get(album_id).bar  # type: ignore[union-attr]
    assert bar is not None and bar.cutoff == pytest.approx(0.31) and bar.seen_seq == 17
    assert np.array_equal(bar.vector, vector)
    with catalog.transaction() as conn:
        store.set_rule(conn, album_id, Rule("dog", 0.5))  # an edit clears the bar until computed again
        assert store.get(album_id).bar is None  # type: ignore[union-attr]
        store.forget(conn, album_id)
    assert store.all() == [] and catalog.reader().execute("SELECT COUNT(*) FROM albums").fetchone()[0] == 1


def test_deleting_the_album_deletes_its_rule(catalog: Catalog) -> None:
    store = SmartAlbumStore(catalog)
    with catalog.transaction() as conn:
        album_id = int(conn.execute("INSERT INTO albums(name, created_at) VALUES ('Cats', 0)").lastrowid or 0)
        store.set_rule(conn, album_id, Rule("cat"))
        conn.execute("DELETE FROM albums WHERE id = ?", (album_id,))
    assert store.all() == []
