"""Videos: indexing throughput, the scene finder's boundaries, and finding the right scene at the right time.

All in one run:

Throughput, on generated 1080p H.264 clips at 30 fps (10 s, 30 s, 1, 2 and 5 minutes,
a new shot every 5 to 20 s), through the real pipeline (`ingest.pipeline`, the clips'
frames sharing decode workers and model batches with photos) with a randomly
initialised ViT-B-32 (the default model's compute):
  video_seconds_per_s   seconds of video indexed per second of wall time
  frames_per_s          sampled frames embedded per second
  photo_pipeline_per_s  12-megapixel JPEGs per second through the same pipeline, same run
  decode/model share    worker time decoding vs time in the model (decode is summed over workers)
Then the same clips with the bundled tiny model, whose vectors mean something, for
scenes per second (a random model's scenes are meaningless).

Scenes and search, with the tiny model on clips of the demo's shapes (`demo.videos`):
  boundary recall       true cuts with a scene boundary within +-1 s (and boundary precision)
  top-3 scene accuracy  for every shot, searching "a <colour> <shape>": is its clip in the
                        top 3 results, and does its time fall inside that shot (+-1 s)?
                        Every (colour, shape) appears in one shot only, so right is unambiguous.

    python benchmarks/videos.py [--device cpu|cuda] [--short]   (--short: 10 s to 1 min clips only)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from _common import DATA_DIR, emit, machine, photo_like_jpegs, random_model

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.clip.loading import load_model
from photoclip.core.clip.registry import TINY_MODEL_KEY, resolve_model
from photoclip.core.ingest.clips import ClipSources
from photoclip.core.ingest.pipeline import Batch, Pipeline, PipelineStats
from photoclip.core.media.video import VideoLimits
from photoclip.core.store.records import PhotoId, WorkItem
from photoclip.demo.shapes import COLOURS, SHAPES, random_scene
from photoclip.demo.videos import GeneratedClip, Shot, shape_shots, write_clip

LENGTHS = (10, 30, 60, 120, 300)
TOLERANCE = 1.0


def throughput_clips(lengths: tuple[int, ...]) -> list[GeneratedClip]:
    """1080p H.264 30 fps clips, a new shot every 5 to 20 s (cached between runs: generating takes minutes)."""
    folder = DATA_DIR / "video-1080p"
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for length in lengths:
        rng = random.Random(length)
        shots, left = [], float(length)
        while left > 0:
            seconds = min(left, float(rng.randint(5, 20)))
            shots.append(Shot(random_scene(rng, pair_probability=0.3), seconds))
            left -= seconds
        path = folder / f"clip-{length:03d}s.mp4"
        if path.exists():
            clips.append(GeneratedClip(path, tuple(shots), 30))
            continue
        tmp = path.with_suffix(".tmp.mp4")
        print(f"# generating {path.name} (1080p, {length} s)", flush=True)
        write_clip(tmp, shots, size=(1920, 1080), fps=30, keyframe_seconds=1.0, preset="ultrafast")
        tmp.replace(path)
        clips.append(GeneratedClip(path, tuple(shots), 30))
    return clips


def accuracy_clips(folder: Path) -> list[GeneratedClip]:
    """12 clips of 4 shots each: every (colour, shape) of the demo in exactly one shot, 2 to 12 s long."""
    rng = random.Random(2026)
    combos = [(c, s) for c in COLOURS for s in SHAPES]
    rng.shuffle(combos)
    clips = []
    for number in range(len(combos) // 4):
        chosen = combos[number * 4 : number * 4 + 4]
        seconds = [float(rng.randint(2, 12)) for _ in chosen]
        shots = shape_shots(rng, chosen, seconds, size="large")
        clips.append(write_clip(folder / f"shapes-{number:02d}.mp4", shots, size=(640, 360), fps=30))
    return clips


def run_pipeline(
    embedder: Embedder, items: list[WorkItem], workers: int, batch_size: int
) -> tuple[PipelineStats, float, list[Batch]]:
    batches: list[Batch] = []
    pipeline = Pipeline(embedder, workers=workers, batch_size=batch_size, clips=ClipSources(VideoLimits()))
    started = time.perf_counter()
    stats = pipeline.run(items, batches.append)
    return stats, time.perf_counter() - started, batches


def items_for(paths: list[Path], first_id: int = 1) -> list[WorkItem]:
    return [WorkItem(PhotoId(first_id + i), p, None, False) for i, p in enumerate(paths)]


def boundary_scores(
    clips: list[GeneratedClip], scenes_by_path: dict[Path, list[tuple[float, float]]]
) -> dict[str, Any]:
    """Recall of the true cuts (a boundary within +-1 s) and precision of the boundaries found."""
    cuts = found = matched_cuts = matched_found = 0
    for clip in clips:
        boundaries = [start for start, _ in scenes_by_path[clip.path][1:]]
        cuts += len(clip.cuts)
        found += len(boundaries)
        matched_cuts += sum(any(abs(b - c) <= TOLERANCE for b in boundaries) for c in clip.cuts)
        matched_found += sum(any(abs(b - c) <= TOLERANCE for c in clip.cuts) for b in boundaries)
    return {
        "true_cuts": cuts,
        "boundaries_found": found,
        "boundary_recall": round(matched_cuts / cuts, 4) if cuts else None,
        "boundary_precision": round(matched_found / found, 4) if found else None,
    }


def scene_accuracy(tiny: Embedder, folder: Path) -> dict[str, Any]:
    """Index the shape clips into a real library and search for every shot."""
    clips = accuracy_clips(folder / "clips")
    with Library.open(folder / "library", model=TINY_MODEL_KEY, embedder=tiny) as library:
        library.folders.add(folder / "clips")
        started = time.perf_counter()
        report = library.indexer.update()
        seconds = time.perf_counter() - started
        scenes = {}
        for clip in clips:
            photo = library.photos.by_path(clip.path)
            assert photo is not None
            scenes[clip.path] = [(s.start, s.end) for s in library.searcher.scenes(photo.id)]
        right = total = 0
        misses = []
        for clip in clips:
            for index, shot in enumerate(clip.shots):
                thing = shot.scene.things[0]
                start, end = clip.span(index)
                hits = library.searcher.search(f"a {thing.colour} {thing.shape}", limit=3).hits
                ok = any(h.path == clip.path and h.time is not None and start - TOLERANCE <= h.time < end for h in hits)
                right += ok
                total += 1
                if not ok:
                    misses.append(f"{thing.colour} {thing.shape} @ {start:.0f}-{end:.0f}s in {clip.path.name}")
    return {
        "clips": len(clips),
        "shots": total,
        "index_seconds": round(seconds, 2),
        "scenes": report.scenes,
        "top3_right_scene_at_right_time": round(right / total, 4),
        "misses": misses,
        **boundary_scores(clips, scenes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--short", action="store_true", help="only the 10 s to 1 minute clips")
    args = parser.parse_args()

    clips = throughput_clips(LENGTHS[:3] if args.short else LENGTHS)
    video_seconds = sum(c.duration for c in clips)
    photos = photo_like_jpegs(args.photos)
    clip_items = items_for([c.path for c in clips], 10_000)
    photo_items = items_for(photos)

    embedder = Embedder(random_model(args.model, args.device), precision="auto")
    run_pipeline(embedder, items_for(photos[:8]), args.workers, args.batch_size)  # warm-up
    photo_stats, photo_wall, _ = run_pipeline(embedder, photo_items, args.workers, args.batch_size)
    video_stats, video_wall, _ = run_pipeline(embedder, clip_items, args.workers, args.batch_size)
    print(
        f"# {args.model}: {video_seconds / video_wall:.1f} video-s/s, photos {len(photos) / photo_wall:.1f}/s",
        flush=True,
    )

    tiny = Embedder(load_model(resolve_model(TINY_MODEL_KEY), device=args.device, cache_dir=DATA_DIR), precision="auto")
    run_pipeline(tiny, clip_items[:1], args.workers, args.batch_size)  # warm-up
    tiny_stats, tiny_wall, tiny_batches = run_pipeline(tiny, clip_items, args.workers, args.batch_size)
    by_id = {item.id: item.path for item in clip_items}
    tiny_scenes = {
        by_id[record.photo_id]: [(s.start, s.end) for s in record.scenes]
        for batch in tiny_batches
        for record in batch.clips
    }
    with tempfile.TemporaryDirectory() as tmp:
        accuracy = scene_accuracy(tiny, Path(tmp))
        shutil.rmtree(tmp, ignore_errors=True)

    decode, model = video_stats.decode_seconds, video_stats.model_seconds
    emit(
        {
            "benchmark": "videos",
            "model": args.model,
            "device": str(embedder.device),
            "precision": embedder.precision,
            "workers": args.workers,
            "batch_size": args.batch_size,
            "clips": [f"{c.path.name}: {c.duration:.0f} s, {len(c.shots)} shots" for c in clips],
            "clip_format": "1920x1080 H.264, 30 fps, a keyframe a second",
            "video_seconds": video_seconds,
            "frames_per_minute": VideoLimits().frames_per_minute,
            "max_frames_per_clip": VideoLimits().max_frames,
            "video_seconds_per_s": round(video_seconds / video_wall, 2),
            "video_frames_per_s": round(video_stats.frames / video_wall, 2),
            "video_frames": video_stats.frames,
            "photo_pipeline_per_s": round(len(photos) / photo_wall, 2),
            "photo_image_size": "4000x3000 JPEG",
            "frame_vs_photo_rate": round(video_stats.frames / video_wall / (len(photos) / photo_wall), 2),
            "decode_seconds": round(decode, 2),
            "model_seconds": round(model, 2),
            "decode_share": round(decode / (decode + model), 3),
            "model_share": round(model / (decode + model), 3),
            "model_busy": round(model / video_wall, 3),
            "tiny_video_seconds_per_s": round(video_seconds / tiny_wall, 2),
            "tiny_scenes": tiny_stats.scenes,
            "tiny_scenes_per_s": round(tiny_stats.scenes / tiny_wall, 2),
            "tiny_decode_share": round(
                tiny_stats.decode_seconds / (tiny_stats.decode_seconds + tiny_stats.model_seconds), 3
            ),
            "throughput_clips_boundaries": boundary_scores(clips, tiny_scenes),
            "shape_clips": accuracy,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
