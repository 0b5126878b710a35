"""A damaged library database is said to be damaged, never written into, and restored from its backup.

Flipped bytes used to make `status` and `search` crash with SQLite's raw errors and
`index` carry on writing; a catalog cut to 0 bytes opened as an empty library. Now
every command says in one line what happened and what to do, and
`photoclip doctor --repair` puts the newest healthy backup back (the damaged file is
kept beside it). Backups are made by indexing, once a day, and before migrations.
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import CatalogDamaged, Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.store.backup import list_backups
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.schema import MIGRATIONS
from photoclip.demo import generate_photos


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def library_dir(tmp_path: Path, tiny_embedder: Embedder) -> Path:
    generate_photos(tmp_path / "photos", 30, seed=91, combos=[("red", "circle"), ("blue", "star")])
    directory = tmp_path / "library"
    with Library.open(directory, model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(tmp_path / "photos")
        library.indexer.update()  # the day's first indexing run makes the daily backup
        library.tags.tag(library.photos.embedded_ids()[:3], "keep me")
        library.albums.create("Trip", library.photos.embedded_ids()[:7])
    return directory


def _flip_bytes(path: Path, count: int = 50, seed: int = 3) -> None:
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for offset in rng.sample(range(8192, len(data)), count):  # past the header: SQLite still opens the file
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_indexing_keeps_a_daily_backup(library_dir: Path) -> None:
    backups = list_backups(library_dir / "catalog.sqlite")
    assert [b.kind for b in backups] == ["daily"]
    copy = sqlite3.connect(backups[0].path)
    assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 30
    copy.close()


def test_flipped_bytes_are_reported_in_one_line_by_every_command(
    library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = library_dir / "catalog.sqlite"
    _flip_bytes(catalog)
    before = catalog.read_bytes()
    for command in (["status"], ["search", "a red circle"], ["index", "--no-progress"], ["tags", "show", "1"]):
        code, out, err = run(capsys, *command, "--library", str(library_dir))
        assert code == 1, (command, out)
        assert err.count("\n") == 1 and "damaged" in err and "doctor --repair" in err, (command, err)
        assert "Traceback" not in err
    assert catalog.read_bytes() == before, "nothing is written into a damaged catalog"
    code, out, _ = run(capsys, "doctor", "--library", str(library_dir))
    assert code == 1 and "[FAIL] catalog:" in out


def test_a_catalog_cut_to_zero_bytes_is_damage_not_a_new_library(library_dir: Path) -> None:
    (library_dir / "catalog.sqlite").write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        (library_dir / f"catalog.sqlite{suffix}").unlink(missing_ok=True)
    with pytest.raises(CatalogDamaged, match="empty"):
        Library.open(library_dir)


@pytest.mark.parametrize("damage", ["flipped", "zero"])
def test_doctor_repair_restores_the_latest_backup_and_keeps_the_damaged_file(
    library_dir: Path, capsys: pytest.CaptureFixture[str], tiny_embedder: Embedder, damage: str
) -> None:
    catalog = library_dir / "catalog.sqlite"
    if damage == "flipped":
        _flip_bytes(catalog)
    else:
        catalog.write_bytes(b"")
    code, out, _ = run(capsys, "doctor", "--repair", "--library", str(library_dir))
    assert "Repair: restored the library database from its backup of" in out
    assert code == 0, out
    kept = [p for p in library_dir.glob("catalog.sqlite.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].stat().st_size == (0 if damage == "zero" else catalog.stat().st_size)
    with Library.open(library_dir, embedder=tiny_embedder) as library:
        status = library.status()
        assert status.photos == 30 and status.embedded == 30
        assert library.searcher.search("a red circle", limit=1).hits
    code, out, _ = run(capsys, "index", "--json", "--no-progress", "--library", str(library_dir))
    assert code == 0 and json.loads(out)["embedded"] == 0  # the backup had every vector


def test_no_healthy_backup_says_so_and_touches_nothing(library_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for backup in list_backups(library_dir / "catalog.sqlite"):
        backup.path.unlink()
    catalog = library_dir / "catalog.sqlite"
    _flip_bytes(catalog)
    before = catalog.read_bytes()
    code, _, err = run(capsys, "doctor", "--repair", "--library", str(library_dir))
    assert code == 1 and "No healthy backup" in err and "untouched" in err
    assert catalog.read_bytes() == before


def test_a_migration_backs_up_the_old_catalog_first(tmp_path: Path) -> None:
    path = tmp_path / "library" / "catalog.sqlite"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for version in (1, 2, 3):
        old.executescript(MIGRATIONS[version])
    old.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    old.commit()
    old.close()
    Catalog(path).close()
    backups = list_backups(path)
    assert [b.kind for b in backups] == ["migration"]
    copy = sqlite3.connect(backups[0].path)
    assert copy.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"
    copy.close()
