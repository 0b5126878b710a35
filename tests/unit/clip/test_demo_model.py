"""When is the tiny demo model misused? On folders that are not generated demo photos (one rule, in the core)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from photoclip.core import Library
from photoclip.core.clip.demo_model import DEMO_MARKER, demo_model_misused, is_demo_folder, mark_demo_folder
from photoclip.core.clip.registry import DEFAULT_MODEL_KEY, TINY_MODEL_KEY
from photoclip.demo import generate_photos, prepare_demo_photos


def own_photos(folder: Path) -> Path:
    """A person's folder: a JPEG that photoclip did not generate."""
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 48), (120, 90, 60)).save(folder / "holiday.jpg")
    return folder


def test_generated_folders_are_demo_folders_and_a_persons_are_not(tmp_path: Path) -> None:
    generate_photos(tmp_path / "generated", 3)
    assert is_demo_folder(tmp_path / "generated")
    assert not is_demo_folder(own_photos(tmp_path / "mine"))
    assert not is_demo_folder(tmp_path / "gone")  # an offline folder is not known to be demo photos


def test_an_older_demo_folder_gets_its_marker(tmp_path: Path) -> None:
    photos = prepare_demo_photos(tmp_path / "demo", count=2)
    (photos / DEMO_MARKER).unlink()  # as an earlier version left it
    assert not is_demo_folder(photos)
    assert prepare_demo_photos(tmp_path / "demo") == photos
    assert is_demo_folder(photos)


def test_misused_only_for_the_demo_model_on_other_photos(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    mark_demo_folder(demo)
    mine = own_photos(tmp_path / "mine")
    assert not demo_model_misused(TINY_MODEL_KEY, [demo])
    assert demo_model_misused(TINY_MODEL_KEY, [demo, mine])
    assert not demo_model_misused(DEFAULT_MODEL_KEY, [mine])
    assert not demo_model_misused(TINY_MODEL_KEY, [])  # nothing to rank yet


def test_library_status_says_so(tmp_path: Path) -> None:
    generate_photos(tmp_path / "generated", 2)
    with Library.open(tmp_path / "library", model=TINY_MODEL_KEY) as library:
        library.folders.add(tmp_path / "generated")
        library.indexer.scan()
        status = library.status()
        assert status.demo_model and not status.demo_model_misused
        assert status.photos == 2 and status.skipped == 0  # the marker is neither a photo nor a skipped file
        library.folders.add(own_photos(tmp_path / "mine"))
        assert library.status().demo_model_misused
