"""Videos end to end: real clips made with PyAV's encoders, indexed beside photos by the real tiny model.

Each clip is a sequence of shots of the demo's shapes with known cuts, so a
search can be checked for finding the right clip at the right moment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from photoclip.cli import main
from photoclip.core import Library, LibraryError, SceneRef
from photoclip.core.clip.embedder import Embedder
from photoclip.core.vectors.keeper import index_differences
from photoclip.demo import generate_photos
from photoclip.demo.videos import GeneratedClip, shape_shots, write_clip

BEACH = [("red", "circle"), ("blue", "star"), ("green", "square"), ("yellow", "triangle")]
PHONE = [("purple", "heart"), ("orange", "cross"), ("cyan", "circle")]


@dataclass(frozen=True)
class VideoLibrary:
    directory: Path
    media: Path
    clips: dict[str, GeneratedClip]


@pytest.fixture(scope="session")
def video_library(tmp_path_factory: pytest.TempPathFactory, tiny_embedder: Embedder) -> VideoLibrary:
    base = tmp_path_factory.mktemp("video-library")
    media = base / "media"
    rng = random.Random(8)
    clips = {
        "beach.mp4": write_clip(media / "clips" / "beach.mp4", shape_shots(rng, BEACH, [4, 5, 3, 6])),
        "phone.mov": write_clip(
            media / "phone" / "phone.mov",
            shape_shots(rng, PHONE, [3, 4, 5]),
            codec="libx265",
            rotation=90,
            created=dt.datetime(2024, 5, 17, 18, 45, tzinfo=dt.timezone.utc),
        ),
    }
    combos = [("red", "circle"), ("yellow", "triangle"), ("blue", "star"), ("pink", "square"), ("purple", "heart")]
    generate_photos(media / "photos", 20, seed=9, combos=combos)
    directory = base / "library"
    with Library.open(directory, model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(media)
        report = library.indexer.update()
        assert (report.embedded, report.videos, report.skipped) == (20, 2, 0)
    return VideoLibrary(directory, media, clips)


@pytest.fixture
def library(video_library: VideoLibrary, tiny_embedder: Embedder) -> Iterator[Library]:
    with Library.open(video_library.directory, embedder=tiny_embedder) as opened:
        yield opened


def test_a_clip_is_catalogued_with_its_facts(video_library: VideoLibrary, library: Library) -> None:
    phone = library.photos.by_path(video_library.media / "phone" / "phone.mov")
    assert phone is not None and phone.is_video
    assert (phone.width, phone.height, phone.file_type, phone.codec) == (240, 320, "mov", "hevc")  # filmed upright
    assert phone.duration == pytest.approx(12.0, abs=0.1)
    expected = dt.datetime(2024, 5, 17, 18, 45, tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)
    assert phone.taken_at == expected.strftime("%Y-%m-%dT%H:%M:%S")
    status = library.status()
    assert (status.videos, status.pending) == (2, 0) and status.scenes >= 7


@pytest.mark.parametrize(
    ("name", "shot"), [(n, i) for n, c in (("beach.mp4", BEACH), ("phone.mov", PHONE)) for i in range(len(c))]
)
def test_search_finds_the_clip_and_the_moment(
    video_library: VideoLibrary, library: Library, name: str, shot: int
) -> None:
    clip = video_library.clips[name]
    colour, shape = (BEACH if name == "beach.mp4" else PHONE)[shot]
    start, end = clip.span(shot)
    hits = library.searcher.search(f"a {colour} {shape}", limit=8).hits  # the photos of the same shape may come first
    found = [h for h in hits if h.path == clip.path]
    assert found, f"{name} not found for a {colour} {shape}: {[h.path.name for h in hits]}"
    assert [h.path for h in hits if h.is_video][0] == clip.path
    hit = found[0]
    assert hit.duration == pytest.approx(clip.duration, abs=0.1)
    assert hit.time is not None and start - 1.0 <= hit.time <= start + 1.0
    assert hit.scenes[0].end == pytest.approx(end, abs=1.0)


def test_one_clip_counts_once(library: Library) -> None:
    hits = library.searcher.search("a shape", limit=30).hits
    assert len({h.photo_id for h in hits}) == len(hits) == 22


def test_type_video_keeps_the_videos(library: Library) -> None:
    assert {h.path.name for h in library.searcher.search("type:video", limit=50).hits} == {"beach.mp4", "phone.mov"}
    assert {h.path.suffix for h in library.searcher.search("a star type:photo", limit=50).hits} <= {".jpg", ".png"}
    hits = library.searcher.search("a red circle type:mov", limit=5).hits
    assert [h.path.name for h in hits] == ["phone.mov"]


def test_the_command_line_says_where_in_the_clip(
    video_library: VideoLibrary, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--library", str(video_library.directory), "search", "a yellow triangle", "-n", "3"]) == 0
    out = capsys.readouterr().out
    assert f"{video_library.clips['beach.mp4'].path} @ 0:1" in out  # the triangle starts at 12 s: @ 0:11 or 0:12
    assert main(["--library", str(video_library.directory), "search", "a yellow triangle", "-n", "3", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    clip = next(r for r in results if r["kind"] == "video")
    assert clip["path"].endswith("beach.mp4") and clip["duration"] == pytest.approx(18.0, abs=0.1)
    assert 11.0 <= clip["time"] <= 13.0 and clip["scenes"][0]["start"] == clip["time"]
    photo = next(r for r in results if r["kind"] == "photo")
    assert "time" not in photo and "duration" not in photo


def test_find_similar_from_a_scene(
    video_library: VideoLibrary, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    beach = library.photos.by_path(video_library.clips["beach.mp4"].path)
    assert beach is not None
    star = library.searcher.scene_at(beach.id, 6.0)
    hits = library.searcher.search(example=star, limit=5).hits
    assert beach.id not in {h.photo_id for h in hits}  # the clip itself is the example
    assert any("IMG" in h.path.name for h in hits[:3])
    code = main(["--library", str(video_library.directory), "similar", str(beach.path), "--at", "0:06", "-n", "3"])
    out = capsys.readouterr().out
    assert code == 0 and len(out.splitlines()) == 3 and "beach.mp4" not in out
    with pytest.raises(LibraryError, match="not indexed"):
        library.searcher.search(example=SceneRef(beach.id, 99))


def test_auto_tag_tags_a_video_with_what_holds_in_any_scene(video_library: VideoLibrary, library: Library) -> None:
    report = library.tags.auto_tag("Shapes (demo)", threshold=0.3)
    assert report.photos == 22
    beach = library.photos.by_path(video_library.clips["beach.mp4"].path)
    assert beach is not None
    labels = {t.label for t in library.tags.tags_of([beach.id])[beach.id]}
    assert {"circle", "star", "triangle"} <= labels  # one per scene, though the set is one label per photo
    tagged = library.tags.tags_of(list(range(1, 40)))
    photo_labels = [len(tags) for pid, tags in tagged.items() if not library.photos.get([pid])[pid].is_video]
    assert len(photo_labels) == 20 and max(photo_labels) == 1
    scores = dict(library.tags.label_scores(beach.id, "Shapes (demo)", top=6))
    assert scores["circle"] > 0.3 and scores["star"] > 0.3


# -- a library of one's own, whose files the tests change ------------------------------------------


@pytest.fixture
def own(tmp_path: Path, tiny_embedder: Embedder) -> Iterator[tuple[Library, Path, GeneratedClip]]:
    media = tmp_path / "media"
    clip = write_clip(media / "trip" / "trip.mp4", shape_shots(random.Random(2), BEACH[:3], [4, 4, 4]))
    generate_photos(media / "trip", 4, seed=3, combos=[("pink", "heart")])  # a folder that does not stand empty
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(media)
        report = library.indexer.update()
        assert report.videos == 1
        yield library, media, clip


def _scenes(library: Library, path: Path) -> list[tuple[float, float]]:
    photo = library.photos.by_path(path)
    assert photo is not None
    return [(s.start, s.end) for s in library.searcher.scenes(photo.id)]


def test_a_moved_and_renamed_clip_keeps_its_scenes_and_tags(own: tuple[Library, Path, GeneratedClip]) -> None:
    library, media, clip = own
    before = library.photos.by_path(clip.path)
    assert before is not None
    library.tags.tag([before.id], "holiday")
    scenes = _scenes(library, clip.path)
    moved = media / "elsewhere" / "renamed.mp4"
    moved.parent.mkdir()
    os.rename(clip.path, moved)
    report = library.indexer.update()
    assert report.videos == 0 and report.embedded == 0  # nothing decoded again
    after = library.photos.by_path(moved)
    assert after is not None and after.id == before.id
    assert _scenes(library, moved) == scenes
    assert {t.label for t in library.tags.tags_of([after.id])[after.id]} == {"holiday"}
    assert library.searcher.search("a blue star", limit=1).hits[0].path == moved


def test_a_deleted_clip_that_comes_back_gets_its_scenes_back(
    own: tuple[Library, Path, GeneratedClip], tmp_path: Path
) -> None:
    library, media, clip = own
    scenes = _scenes(library, clip.path)
    away = tmp_path / "backup.mp4"
    shutil.move(clip.path, away)
    library.indexer.update()
    assert library.photos.by_path(clip.path) is None
    assert all(not h.is_video for h in library.searcher.search("a blue star", limit=5).hits)
    shutil.move(away, clip.path)
    report = library.indexer.update()
    assert report.videos == 0  # remembered, not decoded
    assert _scenes(library, clip.path) == scenes
    index = library.vectors.index()
    assert index is not None and not index_differences(library.catalog, index, library.model_id)


def test_an_edited_clip_is_read_again(own: tuple[Library, Path, GeneratedClip]) -> None:
    library, media, clip = own
    write_clip(clip.path, shape_shots(random.Random(5), [("pink", "star")], [5]))
    report = library.indexer.update()
    assert report.videos == 1
    assert _scenes(library, clip.path) == [(0.0, 5.0)]
    index = library.vectors.index()
    assert index is not None and not index_differences(library.catalog, index, library.model_id)


def test_a_copy_is_not_decoded_again(own: tuple[Library, Path, GeneratedClip]) -> None:
    library, media, clip = own
    copy = media / "copy.mp4"
    shutil.copy(clip.path, copy)
    report = library.indexer.update()
    assert (report.videos, report.duplicates) == (0, 1)
    assert _scenes(library, copy) == _scenes(library, clip.path)


def test_the_time_limit_bounds_each_run_and_the_next_runs_finish(tmp_path: Path, tiny_embedder: Embedder) -> None:
    media = tmp_path / "media"
    clip = write_clip(media / "long.mp4", shape_shots(random.Random(6), BEACH, [10, 10, 10, 10]))
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.update_settings(
            video_seconds_per_file=0.15, video_frames_per_minute=240, batch_size=4, decode_workers=1
        )
        library.folders.add(media)
        library.indexer.scan()
        runs, covered = 0, []
        while library.status().pending and runs < 60:
            library.indexer.update()
            runs += 1
            covered.append(max((e for _, e in _scenes(library, clip.path)), default=0.0))
        assert library.status().pending == 0
        assert runs > 1, "the time limit never stopped a run"
        assert covered == sorted(covered)  # each run carried on where the last one stopped
        starts = [s for s, _ in _scenes(library, clip.path)]
        assert [min(starts, key=lambda s: abs(s - cut)) for cut in clip.cuts] == pytest.approx(clip.cuts, abs=1.0)
        index = library.vectors.index()
        assert index is not None and not index_differences(library.catalog, index, library.model_id)


def test_an_unplugged_drive_keeps_its_videos(own: tuple[Library, Path, GeneratedClip], tmp_path: Path) -> None:
    library, media, clip = own
    os.rename(media, tmp_path / "unplugged")
    library.indexer.update()
    hits = library.searcher.search("a blue star", limit=1).hits
    assert hits[0].path == clip.path and hits[0].offline and hits[0].time is not None
    os.rename(tmp_path / "unplugged", media)
    report = library.indexer.update()
    assert report.videos == 0 and not library.searcher.search("a blue star", limit=1).hits[0].offline


def test_a_clip_still_being_written_is_read_once_it_is_complete(tmp_path: Path, tiny_embedder: Embedder) -> None:
    media = tmp_path / "media"
    finished = write_clip(tmp_path / "finished.mp4", shape_shots(random.Random(7), BEACH[:2], [3, 3]))
    data = finished.path.read_bytes()
    target = media / "copying.mp4"
    target.parent.mkdir()
    target.write_bytes(data[: len(data) // 2])  # the copy has not finished: no index at the end yet
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(media)
        report = library.indexer.update()
        assert report.skipped == 1
        (skipped,) = library.photos.skipped()
        assert skipped.reason == "truncated"
        target.write_bytes(data)
        report = library.indexer.update()
        assert report.videos == 1 and report.skipped == 0
        assert library.searcher.search("a blue star", limit=1).hits[0].path == target


# -- kill -9 while clips are being read -------------------------------------------------------------


def _scene_count(library: Path) -> int:
    if not (library / "catalog.sqlite").exists():
        return 0
    conn = sqlite3.connect(f"file:{library / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM scenes").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


CLIPS_TO_KILL = 16


def test_kill_9_while_reading_clips_loses_nothing(tmp_path: Path, tiny_embedder: Embedder) -> None:
    media = tmp_path / "media"
    rng = random.Random(12)
    for i in range(CLIPS_TO_KILL):  # enough work after the first scene lands for a kill to fall inside it
        write_clip(media / f"clip{i}.mp4", shape_shots(rng, BEACH, [3, 3, 3, 3]))
    library = tmp_path / "library"
    library.mkdir()
    settings = {"model": "photoclip-tiny", "batch_size": 4, "decode_workers": 1, "index_save_seconds": 0.2}
    (library / "settings.json").write_text(json.dumps(settings))
    command = [sys.executable, "-m", "photoclip", "--library", str(library), "index", str(media), "--no-progress"]
    kills = 0
    for _ in range(4):
        before = _scene_count(library)
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while process.poll() is None and _scene_count(library) <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.1))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.communicate(timeout=60)
    assert kills >= 2, "the clips were indexed too fast for the kills to land mid-work"
    final = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    with Library.open(library, embedder=tiny_embedder) as opened:
        assert opened.status().pending == 0 and opened.status().videos == CLIPS_TO_KILL
        index = opened.vectors.index()
        assert index is not None and not index_differences(opened.catalog, index, opened.model_id)
        for i in range(CLIPS_TO_KILL):
            photo = opened.photos.by_path(media / f"clip{i}.mp4")
            assert photo is not None
            spans = opened.searcher.scenes(photo.id)
            assert [s.index for s in spans] == list(range(len(spans))) and spans[-1].end == pytest.approx(12.0, abs=0.1)
