"""The platform trash (freedesktop spec): files go in with a record of where they were, and come back there."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.media import trash
from photoclip.core.media.trash import move_to_trash, restore_from_trash

pytestmark = pytest.mark.skipif(not trash.uses_freedesktop_trash(), reason="the freedesktop trash is for Linux")


@pytest.fixture(autouse=True)
def own_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never the real user's trash."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "Trash"


def photo(path: Path, content: bytes = b"jpeg bytes") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_file_goes_to_the_home_trash_with_its_original_path_and_date(tmp_path: Path, own_trash: Path) -> None:
    original = photo(tmp_path / "photos" / "holiday 1%.jpg")
    item = move_to_trash(original)
    assert not original.exists()
    assert item.trashed == own_trash / "files" / "holiday 1%.jpg" and item.trashed.read_bytes() == b"jpeg bytes"
    info = (own_trash / "info" / "holiday 1%.jpg.trashinfo").read_text()
    lines = info.splitlines()
    assert lines[0] == "[Trash Info]"
    assert unquote(lines[1].removeprefix("Path=")) == str(original)  # URL-escaped, as file managers read it
    assert "%25" in lines[1] and " " not in lines[1]
    assert lines[2].startswith("DeletionDate=") and len(lines[2]) == len("DeletionDate=2024-01-01T00:00:00")


def test_names_already_in_the_trash_are_not_overwritten(tmp_path: Path, own_trash: Path) -> None:
    first = move_to_trash(photo(tmp_path / "a" / "IMG.jpg", b"first"))
    second = move_to_trash(photo(tmp_path / "b" / "IMG.jpg", b"second"))
    assert first.trashed is not None and second.trashed is not None
    assert second.trashed.name == "IMG.2.jpg" and second.trashed.read_bytes() == b"second"
    assert first.trashed.read_bytes() == b"first"
    assert (own_trash / "info" / "IMG.2.jpg.trashinfo").exists()


def test_restoring_puts_the_file_back_and_removes_the_record(tmp_path: Path, own_trash: Path) -> None:
    original = photo(tmp_path / "photos" / "deep" / "IMG.jpg")
    item = move_to_trash(original)
    os.rmdir(original.parent)  # the folder went too: it is made again
    assert restore_from_trash(item) == original
    assert original.read_bytes() == b"jpeg bytes"
    assert not list((own_trash / "info").iterdir()) and not list((own_trash / "files").iterdir())


def test_restoring_never_overwrites_a_new_file_at_the_old_place(tmp_path: Path) -> None:
    original = photo(tmp_path / "IMG.jpg")
    item = move_to_trash(original)
    photo(original, b"a new photo")
    with pytest.raises(LibraryError, match="another file"):
        restore_from_trash(item)
    assert original.read_bytes() == b"a new photo" and item.trashed is not None and item.trashed.exists()


def test_a_file_emptied_from_the_trash_says_so(tmp_path: Path) -> None:
    item = move_to_trash(photo(tmp_path / "IMG.jpg"))
    assert item.trashed is not None
    item.trashed.unlink()
    with pytest.raises(LibraryError, match="no longer in the trash"):
        restore_from_trash(item)


def test_a_file_on_another_drive_goes_to_that_drive_s_own_trash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drive = tmp_path / "drive"
    original = photo(drive / "DCIM" / "IMG.jpg")
    monkeypatch.setattr(trash, "_device", lambda path: -99)  # the home trash is elsewhere
    monkeypatch.setattr(trash, "_mount_point", lambda path: drive)
    item = move_to_trash(original)
    root = drive / f".Trash-{os.getuid()}"
    assert item.trashed == root / "files" / "IMG.jpg"
    assert (root / "info" / "IMG.jpg.trashinfo").read_text().splitlines()[1] == "Path=DCIM/IMG.jpg"  # relative
    assert oct((root).stat().st_mode & 0o777) == oct(0o700)
    assert restore_from_trash(item) == original and original.exists()


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="not there"):
        move_to_trash(tmp_path / "gone.jpg")
