"""Star ratings and favourites end to end: the catalog, XMP sidecars (read by exiftool), search words, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import Library, PhotoId, Rating
from photoclip.core.clip.embedder import Embedder
from photoclip.core.media.decode import hash_file
from photoclip.core.media.xmp import sidecar_path
from photoclip.demo import generate_photos

needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")


def exiftool(path: Path) -> dict[str, object]:
    out = subprocess.run(["exiftool", "-json", "-a", "-G1", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]  # type: ignore[no-any-return]


@pytest.fixture
def rated(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[tuple[Library, list[Path]]]:
    photos = [
        p.path for p in generate_photos(tmp_path / "photos", 4, seed=5, combos=[("red", "circle"), ("blue", "star")])
    ]
    library = Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder)
    library.folders.add(tmp_path / "photos")
    library.indexer.update()
    yield library, sorted(photos)
    library.close()


def ids(library: Library, paths: list[Path]) -> list[PhotoId]:
    return [library.photos.by_path(p).id for p in paths]  # type: ignore[union-attr]


@needs_exiftool
def test_ratings_go_to_sidecars_as_xmp_rating_and_come_back(rated: tuple[Library, list[Path]]) -> None:
    library, photos = rated
    before = {p: hash_file(p) for p in photos}
    first, second, third, _ = ids(library, photos)
    subprocess.run(  # another tool rated the third photo and wrote its colour label
        [
            "exiftool",
            "-q",
            "-o",
            str(sidecar_path(photos[2])),
            "-XMP-xmp:Rating=2",
            "-XMP-xmp:Label=Red",
            str(photos[2]),
        ],
        check=True,
    )
    library.ratings.rate([first], 4)
    library.ratings.set_favourite([first, second], True)

    report = library.tags.export_xmp([first, second, third])
    assert sorted(report.written) == sorted([sidecar_path(photos[0]), sidecar_path(photos[1]), sidecar_path(photos[2])])
    meta = exiftool(sidecar_path(photos[0]))
    assert meta["XMP-xmp:Rating"] == 4
    assert meta["XMP-photoclip:Favourite"] is True or meta["XMP-photoclip:Favourite"] == "True"
    assert exiftool(sidecar_path(photos[1]))["XMP-xmp:Rating"] == 0  # a favourite without stars
    other = exiftool(sidecar_path(photos[2]))  # never rated in photoclip: the other tool's rating stays
    assert other["XMP-xmp:Rating"] == 2 and other["XMP-xmp:Label"] == "Red"
    assert {p: hash_file(p) for p in photos} == before  # photos are never written

    # another library reads them back in with the keywords
    fresh = Library.open(photos[0].parent.parent / "other", model="photoclip-tiny")
    try:
        fresh.folders.add(photos[0].parent)
        fresh.indexer.scan()
        imported = fresh.tags.import_keywords(ids(fresh, photos))
        assert imported.rated == 3
        got = fresh.ratings.of(ids(fresh, photos))
        assert [got.get(pid) for pid in ids(fresh, photos)] == [
            Rating(4, True),
            Rating(0, True),
            Rating(2, False),
            None,
        ]
        assert "3 ratings" in str(imported)
    finally:
        fresh.close()


@needs_exiftool
def test_sidecars_follow_rating_changes_when_the_library_asks(rated: tuple[Library, list[Path]]) -> None:
    library, photos = rated
    first = ids(library, photos)[0]
    library.update_settings(write_sidecars_on_change=True)
    library.ratings.rate([first], 3)
    assert exiftool(sidecar_path(photos[0]))["XMP-xmp:Rating"] == 3
    library.ratings.rate([first], 5)
    assert exiftool(sidecar_path(photos[0]))["XMP-xmp:Rating"] == 5


def test_rating_words_filter_searches_and_browsing(rated: tuple[Library, list[Path]]) -> None:
    library, photos = rated
    first, second, third, fourth = ids(library, photos)
    library.ratings.rate([first, second], 5)
    library.ratings.rate([third], 2)
    library.ratings.set_favourite([second, third], True)

    def found(query: str) -> set[PhotoId]:
        return {h.photo_id for h in library.searcher.search(query, limit=50).hits}

    assert found("rating:5") == {first, second}
    assert found("rating:>=2") == {first, second, third}
    assert found("rating:<2") == {fourth}
    assert found("is:favourite") == {second, third}
    assert found("is:favourite rating:5") == {second}
    assert found("-is:favourite") == {first, fourth}
    assert found("red circle rating:>=4") <= {first, second}  # ranked by the model, within the rated ones
    assert found("red circle rating:>=4")


def test_the_rate_command(rated: tuple[Library, list[Path]], capsys: pytest.CaptureFixture[str]) -> None:
    library, photos = rated
    lib = str(library.directory)
    library.close()
    assert main(["rate", str(photos[0]), str(photos[1]), "4", "--library", lib]) == 0
    assert capsys.readouterr().out == "Gave 2 photos 4 stars.\n"
    assert main(["rate", str(photos[0]), "--favourite", "--library", lib]) == 0
    assert capsys.readouterr().out == "Marked 1 photo as favourite.\n"
    assert main(["rate", str(photos[0]), "4", "--library", lib]) == 0
    assert capsys.readouterr().out == "Gave 1 photo 4 stars (1 photo already had it).\n"
    assert main(["rate", str(photos[0]), str(photos[2]), "--library", lib]) == 0
    assert capsys.readouterr().out == f"{photos[0]}  ★★★★☆ · favourite\n{photos[2]}  not rated\n"
    assert main(["rate", str(photos[0]), "7", "--library", lib]) != 0
    assert "is not a photo" in capsys.readouterr().err  # 7 is not a rating, so it is read as a photo
    assert main(["search", "rating:>=4 is:fav", "--library", lib]) == 0
    assert capsys.readouterr().out.count(photos[0].name) == 1
