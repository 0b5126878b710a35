"""The catalog: schema, change tracking, atomic batches, filters, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from photoclip.core.errors import CatalogDamaged, CatalogError, SchemaTooNew
from photoclip.core.store.catalog import (
    SCHEMA_VERSION,
    Catalog,
    FileStat,
    PhotoFilter,
    PhotoMetadata,
    PhotoState,
)
from photoclip.core.store.sqlite import translated

MODEL = "test-model"


def meta(
    content_hash: str = "h1", taken_at: str | None = "2023-05-01T10:00:00", file_type: str = "jpeg"
) -> PhotoMetadata:
    return PhotoMetadata(
        size=10,
        mtime_ns=1,
        content_hash=content_hash,
        width=40,
        height=30,
        file_type=file_type,
        taken_at=taken_at,
        date_source="exif",
        camera=None,
    )


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


def add(catalog: Catalog, root: Path, names: list[str]) -> list[int]:
    folder = catalog.add_folder(root)
    return catalog.add_photos(folder.id, [FileStat(root / n, 10, 1) for n in names])


def test_new_catalog_uses_wal_and_current_schema(catalog: Catalog) -> None:
    assert catalog.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(catalog.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"folders", "photos", "embeddings", "albums", "album_photos", "label_sets", "labels", "tags"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    first = Catalog(tmp_path / "c.sqlite")
    add(first, tmp_path, ["a.jpg"])
    first.close()
    second = Catalog(tmp_path / "c.sqlite")
    assert len(second.known_files(second.folders()[0].id)) == 1
    second.close()


def test_a_garbled_sqlite_message_is_damage_not_a_crash(tmp_path: Path) -> None:
    """A damaged schema page can make SQLite quote bytes that are not UTF-8 in its message; Python then
    raises UnicodeDecodeError from the statement itself, which must read as damage (restore the backup)."""
    with pytest.raises(CatalogDamaged, match="doctor --repair"), translated(tmp_path / "c.sqlite"):
        b"malformed schema \xba".decode()


def test_newer_schema_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer photoclip"):
        Catalog(path)


def test_garbage_file_gives_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError, match="damaged or not a photoclip catalog"):
        Catalog(path)


def test_pending_work_until_embedded_then_nothing(catalog: Catalog, tmp_path: Path) -> None:
    ids = add(catalog, tmp_path, ["a.jpg", "b.jpg", "c.jpg"])
    assert [w.id for w in catalog.pending_work(MODEL, 10)] == ids
    vector = np.ones(4, dtype=np.float32) / 2
    catalog.record_batch(MODEL, [(ids[0], meta(), vector)], [], [(ids[1], "empty", "The file is empty.", 0, 1)])
    assert [w.id for w in catalog.pending_work(MODEL, 10)] == [ids[2]]
    assert catalog.photos([ids[1]])[ids[1]].state is PhotoState.SKIPPED
    assert catalog.photos([ids[1]])[ids[1]].error == "The file is empty."
    # another model still needs every readable photo
    assert [w.id for w in catalog.pending_work("other", 10)] == [ids[0], ids[2]]


def test_changed_file_is_pending_again_and_new_content_drops_old_vectors(catalog: Catalog, tmp_path: Path) -> None:
    (pid,) = add(catalog, tmp_path, ["a.jpg"])
    catalog.record_batch(MODEL, [(pid, meta("old"), np.ones(4, dtype=np.float32))], [], [])
    catalog.record_batch("other", [(pid, meta("old"), np.ones(4, dtype=np.float32))], [], [])
    catalog.mark_changed([(pid, FileStat(tmp_path / "a.jpg", 99, 2))])
    (work,) = catalog.pending_work(MODEL, 10)
    assert work.has_embedding and work.known_hash == "old"
    catalog.record_batch(MODEL, [(pid, meta("new"), np.zeros(4, dtype=np.float32) + 0.5)], [], [])
    assert catalog.pending_work(MODEL, 10) == []
    assert catalog.models() == {MODEL: 1}  # the vector of "other" described the old content


def test_unchanged_content_keeps_vector_and_metadata(catalog: Catalog, tmp_path: Path) -> None:
    (pid,) = add(catalog, tmp_path, ["a.jpg"])
    catalog.record_batch(MODEL, [(pid, meta("same"), np.ones(4, dtype=np.float32))], [], [])
    catalog.mark_changed([(pid, FileStat(tmp_path / "a.jpg", 10, 5))])
    catalog.record_batch(MODEL, [], [(pid, 10, 5)], [])
    photo = catalog.photos([pid])[pid]
    assert photo.state is PhotoState.OK and photo.mtime_ns == 5 and photo.width == 40
    assert len(catalog.embedding_ids(MODEL)) == 1


def test_vectors_round_trip_in_half_precision(catalog: Catalog, tmp_path: Path) -> None:
    ids = add(catalog, tmp_path, ["a.jpg", "b.jpg"])
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2, 64)).astype(np.float32)
    catalog.record_batch(MODEL, [(i, meta(f"h{i}"), v) for i, v in zip(ids, vectors, strict=True)], [], [])
    out_ids, out = catalog.embeddings(MODEL)
    assert out_ids.tolist() == ids
    np.testing.assert_allclose(out, vectors, rtol=1e-3, atol=1e-3)
    assert catalog.embedding_dim(MODEL) == 64


def test_batch_is_atomic(catalog: Catalog, tmp_path: Path) -> None:
    ids = add(catalog, tmp_path, ["a.jpg", "b.jpg"])
    bad_vector = "not an array"
    with pytest.raises(ValueError):
        catalog.record_batch(
            MODEL,
            [(ids[0], meta(), np.ones(4, dtype=np.float32)), (ids[1], meta(), bad_vector)],
            [],
            [],  # type: ignore[list-item]
        )
    assert len(catalog.embedding_ids(MODEL)) == 0
    assert catalog.photos([ids[0]])[ids[0]].state is PhotoState.PENDING


def test_batch_ignores_photos_deleted_meanwhile(catalog: Catalog, tmp_path: Path) -> None:
    ids = add(catalog, tmp_path, ["a.jpg", "b.jpg"])
    catalog.delete_photos([ids[0]])
    written = catalog.record_batch(MODEL, [(i, meta(), np.ones(4, dtype=np.float32)) for i in ids], [], []).written
    assert written == [ids[1]]
    assert catalog.embedding_ids(MODEL).tolist() == [ids[1]]


def test_removing_a_folder_cascades(catalog: Catalog, tmp_path: Path) -> None:
    ids = add(catalog, tmp_path, ["a.jpg"])
    catalog.record_batch(MODEL, [(ids[0], meta(), np.ones(4, dtype=np.float32))], [], [])
    removed = catalog.remove_folder(catalog.folders()[0].id)
    assert removed == ids
    assert catalog.stats(MODEL).photos == 0 and catalog.models() == {}


def test_filters_by_folder_date_and_type(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    ids = add(catalog, root, ["2022/a.jpg", "2023/b.jpg", "2023/c.png", "2023x/d.jpg"])
    metas = [
        meta("a", "2022-12-31T23:00:00"),
        meta("b", "2023-06-15T10:00:00"),
        meta("c", "2023-06-30T18:00:00", "png"),
        meta("d", None),
    ]
    catalog.record_batch(MODEL, [(i, m, np.ones(4, dtype=np.float32)) for i, m in zip(ids, metas, strict=True)], [], [])

    def ids_for(**kwargs: object) -> list[int]:
        return catalog.filter_ids(MODEL, PhotoFilter(**kwargs)).tolist()  # type: ignore[arg-type]

    assert ids_for(folders=(root / "2023",)) == [ids[1], ids[2]]  # not 2023x
    assert ids_for(taken_after="2023-01-01") == [ids[1], ids[2]]
    assert ids_for(taken_before="2023-06-30") == [ids[0], ids[1], ids[2]]  # a bare date includes the whole day
    assert ids_for(taken_before="2023-06-29") == [ids[0], ids[1]]
    assert ids_for(file_types=("png",)) == [ids[2]]
    assert catalog.taken_order(ids) == [ids[2], ids[1], ids[0], ids[3]]  # newest first, undated last
    assert catalog.filter_ids(MODEL, PhotoFilter(), by_date=True).tolist() == catalog.taken_order(ids)  # same in SQL


def test_threads_write_concurrently_without_losing_rows(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                catalog.add_photos(folder.id, [FileStat(tmp_path / f"{n}-{i}.jpg", 1, 1)])
                catalog.stats(MODEL)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert catalog.stats(MODEL).photos == 80


def test_unencodable_file_name_is_refused(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    with pytest.raises(UnicodeEncodeError):
        catalog.add_photos(folder.id, [FileStat(tmp_path / "bad\udcff.jpg", 1, 1)])


def test_date_order_in_sql_matches_taken_order_including_ties(catalog: Catalog, tmp_path: Path) -> None:
    ids = add(catalog, tmp_path, ["z.jpg", "a.jpg", "m.jpg", "y.jpg", "b.jpg"])
    metas = [meta("z", None), meta("a", "2023-01-01T10:00:00"), meta("m", "2023-01-01T10:00:00"), meta("y", None)]
    metas.append(meta("b", "2024-05-05T05:00:00"))
    catalog.record_batch(MODEL, [(i, m, np.ones(4, dtype=np.float32)) for i, m in zip(ids, metas, strict=True)], [], [])
    expected = [ids[4], ids[2], ids[1], ids[3], ids[0]]  # newest; a tie goes to the newer row; undated by path
    assert catalog.taken_order(ids) == expected
    assert catalog.filter_ids(MODEL, PhotoFilter(), by_date=True).tolist() == expected


def test_shapes_give_each_photos_date_and_size_without_the_rest_of_its_row(catalog: Catalog, tmp_path: Path) -> None:
    dated, undated, pending = add(catalog, tmp_path, ["a.jpg", "b.png", "c.jpg"])
    catalog.record_metadata([(dated, meta("h1")), (undated, meta("h2", taken_at=None, file_type="png"))])
    shapes = catalog.shapes([pending, dated, undated, 9999] * 300)  # more ids than one query takes
    assert shapes == {
        dated: ("2023-05-01T10:00:00", 40, 30),
        undated: (None, 40, 30),
        pending: (None, None, None),  # catalogued, not read yet: no size to lay out
    }
