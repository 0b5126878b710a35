"""Smart albums on a real library with the tiny model: what the search finds, kept current as photos arrive,
change or go, judged incrementally; the CLI's create --smart, list, edit, freeze."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import USER_TAGS, Library, LibraryError, PhotoFilter, QueryError
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.registry import TINY_MODEL_KEY
from photoclip.demo import generate_photos

COMBOS = [("red", "circle"), ("blue", "star"), ("green", "square"), ("yellow", "triangle")]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, tiny_embedder: Embedder) -> Path:
    base = tmp_path_factory.mktemp("smart")
    generate_photos(base / "photos" / "2023", 48, seed=31, combos=COMBOS)
    with Library.open(base / "library", model=TINY_MODEL_KEY, embedder=tiny_embedder) as library:
        library.folders.add(base / "photos")
        library.indexer.update()
    return base


@pytest.fixture
def library(template: Path, tmp_path: Path, tiny_embedder: Embedder) -> Iterator[Library]:
    shutil.copytree(template, tmp_path / "copy")
    opened = Library.open(tmp_path / "copy" / "library", embedder=tiny_embedder)
    with opened.catalog.transaction() as conn:  # the copied photos: point the folder at them
        old = str(template / "photos")
        conn.execute("UPDATE folders SET path = replace(path, ?, ?)", (old, str(tmp_path / "copy" / "photos")))
        conn.execute("UPDATE photos SET path = replace(path, ?, ?)", (old, str(tmp_path / "copy" / "photos")))
    yield opened
    opened.close()


def members(library: Library, name: str) -> set[int]:
    library.smart_albums.wait(30)
    return {int(i) for i in library.albums.photo_ids(name)}


def searched(library: Library, query: str, relevance: float, photo_filter: PhotoFilter | None = None) -> set[int]:
    hits = library.searcher.search(query, limit=5000, relevance=relevance, photo_filter=photo_filter).hits
    return {int(h.photo_id) for h in hits}


def photos_dir(library: Library) -> Path:
    return library.folders.statuses()[0].path


def test_a_smart_album_holds_what_the_search_finds(library: Library) -> None:
    album = library.smart_albums.create("Red", "a red circle", relevance=0.5).value
    assert album.smart and album.count > 0
    assert members(library, "Red") == searched(library, "a red circle", 0.5)


def test_new_photos_join_and_removed_photos_leave_without_searching_again(library: Library) -> None:
    library.smart_albums.create("Red", "a red circle", relevance=0.3)
    computed = library.smart_albums.full_refreshes
    before = members(library, "Red")
    generate_photos(photos_dir(library) / "new", 4, seed=77, combos=[("blue", "star")])  # not red circles
    library.indexer.update()
    assert members(library, "Red") == before
    assert library.smart_albums.full_refreshes == computed  # judged against the bar: no new search
    red = generate_photos(photos_dir(library) / "more", 2, seed=78, combos=[("red", "circle")])
    library.indexer.update()
    now = members(library, "Red")
    new_ids = {library.photos.by_path(p.path).id for p in red}  # type: ignore[union-attr]
    assert new_ids <= now and now == searched(library, "a red circle", 0.3)
    gone = sorted(now)[0]
    library.photos.one(gone).path.unlink()  # type: ignore[union-attr]
    library.indexer.update()
    assert gone not in members(library, "Red")


def test_a_tag_filter_follows_tags_as_they_change(library: Library) -> None:
    library.smart_albums.create("Kept reds", "red", relevance=0.3, photo_filter=PhotoFilter(tags=("keeper",)))
    assert members(library, "Kept reds") == set()
    reds = sorted(searched(library, "red", 0.3))[:3]
    library.tags.tag(reds, "keeper")
    assert members(library, "Kept reds") == set(reds)
    library.tags.remove(reds[:1], USER_TAGS, "keeper")
    assert members(library, "Kept reds") == set(reds[1:])


def test_rating_words_in_a_smart_album_follow_ratings_as_they_change(library: Library) -> None:
    library.smart_albums.create("Best reds", "red rating:>=4", relevance=0.3)
    assert members(library, "Best reds") == set()
    reds = sorted(searched(library, "red", 0.3))[:3]
    library.ratings.rate(reds, 5)
    assert members(library, "Best reds") == set(reds)
    library.ratings.rate(reds[:1], 2)
    assert members(library, "Best reds") == set(reds[1:])


def test_edit_and_freeze(library: Library) -> None:
    library.smart_albums.create("Blue", "a blue star", relevance=0.0)
    loose = members(library, "Blue")
    library.smart_albums.edit("Blue", relevance=0.97)
    strict = members(library, "Blue")
    assert strict < loose and strict == searched(library, "a blue star", 0.97)
    with pytest.raises(LibraryError, match="smart album"):
        library.albums.add("Blue", [min(loose - strict)])
    library.smart_albums.freeze("Blue")
    album = library.albums.get("Blue")
    assert not album.smart and members(library, "Blue") == strict
    assert library.albums.add("Blue", [min(loose - strict)]).value == 1
    generate_photos(photos_dir(library) / "later", 2, seed=79, combos=[("blue", "star")])
    library.indexer.update()
    assert len(members(library, "Blue")) == len(strict) + 1  # frozen: no longer fills itself


def test_what_a_smart_album_cannot_be(library: Library) -> None:
    with pytest.raises(QueryError, match="needs words"):
        library.smart_albums.create("Empty", "   ")
    with pytest.raises(LibraryError, match="from 0 to 1"):
        library.smart_albums.create("Odd", "red", relevance=1.5)
    with pytest.raises(LibraryError, match="by itself"):
        library.smart_albums.create("Loop", "red album:Loop")
    assert [a.name for a in library.albums.all()] == []


def test_the_cli_creates_lists_edits_and_freezes(library: Library, capsys: pytest.CaptureFixture[str]) -> None:
    directory = str(library.directory)
    library.close()
    code = main(
        [
            "--library",
            directory,
            "albums",
            "create",
            "Reds",
            "--smart",
            "red -blue",
            "--relevance",
            "0.4",
            "--after",
            "2023",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "Created the smart album Reds with" in out
    assert main(["--library", directory, "albums", "list"]) == 0
    out, _ = capsys.readouterr()
    assert "Reds" in out and "smart: “red -blue”, relevance 0.4, after 2023" in out
    assert main(["--library", directory, "albums", "add", "Reds", "1"]) == 1
    _, err = capsys.readouterr()
    assert "is a smart album" in err
    assert main(["--library", directory, "albums", "edit", "Reds", "--relevance", "0.9"]) == 0
    out, _ = capsys.readouterr()
    assert "relevance 0.9" in out
    assert main(["--library", directory, "albums", "freeze", "Reds"]) == 0
    out, _ = capsys.readouterr()
    assert "now a plain album" in out
    assert main(["--library", directory, "albums", "list"]) == 0
    out, _ = capsys.readouterr()
    assert "smart:" not in out
