"""photoclip side by side with rclip 3.3.0, its closest peer, on the same photos with the same weights.

Reproducible by anyone with this repository and PyPI:

1. rclip 3.3.0 is installed into a virtual environment of its own (``WORK/rclip-venv``).
2. One set of random weights for ViT-B-32-256 (rclip's architecture; seed 0) is made
   once and given to both tools: exported to ONNX (``visual.onnx``, ``textual.onnx``,
   where rclip looks for its models, ``$RCLIP_DATADIR/ViT-B-32-256-datacomp_s34b_b86k/``,
   with open_clip's tokenizer vocabulary beside them), and imported into photoclip
   with ``photoclip models import`` (which also exports photoclip's text tower).
3. 120 photo-like 12-megapixel JPEGs are generated (4000x3000, cached between runs).
4. Indexing: each tool indexes the 120 photos into a fresh database, runs interleaved
   (photoclip, rclip, photoclip, ...): ``photoclip index --no-text DIR`` against
   ``rclip QUERY`` run in DIR (rclip always searches after indexing, so its run includes
   one query). The same work on both sides: rclip reads no text in photos, and
   ``photoclip index`` reads it after embedding only where an OCR engine is installed,
   in photos its gate picks from their vectors, which with random weights is an
   arbitrary share of them; that whole command is measured on its own
   (``index_with_text``, ``--text-runs``). photoclip's precision calibration is cached
   by a warm-up run first, as after any first run on a computer.
5. Cold queries: one text query, a whole new process each time, interleaved:
   ``photoclip search QUERY`` against ``rclip --no-indexing QUERY``, on the 120
   photos, then on 100,000 photos: both tools' databases filled with the same
   synthetic vectors (clustered unit vectors) instead of embedding 100,000 photos.
6. Every figure is the median of the runs (peak memory: the largest), measured from
   outside: wall time from launch to exit, and the process's peak resident memory
   (``ru_maxrss`` from ``wait4``).

With ``--baseline DIR`` a second photoclip (another checkout, e.g. before a change)
runs the same steps with the same interpreter, for a before/after in one run.

    python benchmarks/peers.py [--runs 3] [--query-runs 5] [--text-runs 1] [--big 100000] [--baseline DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import DATA_DIR, emit, machine

REPO = Path(__file__).resolve().parent.parent
ARCH = "ViT-B-32-256"
RCLIP_MODEL_DIR = "ViT-B-32-256-datacomp_s34b_b86k"  # where rclip 3.3.0 looks (rclip/model_download.py)
MODEL_NAME = "peers-vit-b-32-256"
QUERY = "a dog running on a beach at sunset"
GOAL_QUERY_MB = 600
GOAL_INDEX_MB = 1200
GOAL_INDEX_LEAD = 1.3


LAUNCHER = r"""
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], cwd=sys.argv[1])
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": usage.ru_maxrss / 1024,
                  "code": os.waitstatus_to_exitcode(status)}), file=sys.stderr)
"""
"""Runs the measured command from a small process: on Linux a child's peak memory (ru_maxrss) starts
from the memory of the process it was forked from, so the benchmark itself (which imported torch to
make the weights) must not be that process."""


def run_measured(cmd: list[str], *, cwd: Path, env: dict[str, str], check: bool = True) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, stdout) of a whole process, measured by a small launcher."""
    process = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, str(cwd), *cmd], env=env, capture_output=True, text=True
    )
    report = json.loads(process.stderr.strip().splitlines()[-1])
    if check and report["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({report['code']}):\n{process.stderr[-3000:]}")
    return report["seconds"], report["peak_mb"], process.stdout


# -- the two tools ----------------------------------------------------------------------------------


class Photoclip:
    def __init__(self, name: str, checkout: Path, work: Path) -> None:
        self.name = name
        self.checkout = checkout
        self.cache = work / f"{name}-cache"
        self.work = work
        self.env = {**os.environ, "PHOTOCLIP_CACHE": str(self.cache), "PYTHONPATH": str(checkout)}
        self.env["PHOTOCLIP_TEXT_EXPORT"] = "0"  # no background export during measurements (done at import)

    def cmd(self, library: Path, *args: str) -> list[str]:
        return [sys.executable, "-m", "photoclip", "--library", str(library), *args]

    def prepare(self, weights: Path, warmup_photos: Path) -> None:
        if not (self.cache / "imported" / MODEL_NAME).is_dir():
            run_measured(
                self.cmd(
                    self.work / f"{self.name}-setup",
                    "models",
                    "import",
                    str(weights),
                    "--arch",
                    "vit-b-32-256",
                    "--name",
                    MODEL_NAME,
                ),
                cwd=self.checkout,
                env={**self.env, "PHOTOCLIP_TEXT_EXPORT": "1"},
            )
        warm = self.work / f"{self.name}-warmup"
        shutil.rmtree(warm, ignore_errors=True)
        run_measured(
            self.cmd(warm, "--model", MODEL_NAME, "index", "--no-text", str(warmup_photos)),
            cwd=self.checkout,
            env=self.env,
        )

    def index(self, photos: Path, *, text: bool = False) -> tuple[float, float]:
        """Index into a fresh library: embedding only (what rclip does), or with text read in photos."""
        library = self.work / f"{self.name}-lib"
        shutil.rmtree(library, ignore_errors=True)
        seconds, peak, _ = run_measured(
            self.cmd(library, "--model", MODEL_NAME, "index", str(photos), *([] if text else ["--no-text"])),
            cwd=self.checkout,
            env=self.env,
        )
        return seconds, peak

    def query(self, library: Path) -> tuple[float, float, str]:
        return run_measured(self.cmd(library, "search", QUERY, "-n", "10"), cwd=self.checkout, env=self.env)


class Rclip:
    def __init__(self, work: Path) -> None:
        self.venv = work / "rclip-venv"
        self.datadir = work / "rclip-data"
        self.env = {**os.environ, "RCLIP_DATADIR": str(self.datadir)}
        self.env.pop("PYTHONPATH", None)

    @property
    def exe(self) -> Path:
        return self.venv / "bin" / "rclip"

    def install(self) -> None:
        if self.exe.is_file():
            return
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        subprocess.run([str(self.venv / "bin" / "pip"), "install", "-q", "rclip==3.3.0"], check=True)

    def index(self, photos: Path) -> tuple[float, float]:
        (self.datadir / "db.sqlite3").unlink(missing_ok=True)
        seconds, peak, _ = run_measured([str(self.exe), QUERY], cwd=photos, env=self.env)
        return seconds, peak

    def query(self, photos: Path) -> tuple[float, float, str]:
        return run_measured([str(self.exe), "--no-indexing", QUERY], cwd=photos, env=self.env)


# -- the shared weights -----------------------------------------------------------------------------


def make_weights(work: Path, rclip: Rclip) -> Path:
    """Random ViT-B-32-256 weights (seed 0): safetensors for photoclip, ONNX where rclip reads its models."""
    weights = work / "weights.safetensors"
    model_dir = rclip.datadir / RCLIP_MODEL_DIR
    if weights.is_file() and (model_dir / "textual.onnx").is_file() and (model_dir / "visual.onnx").is_file():
        return weights
    import open_clip
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = open_clip.create_model(ARCH, pretrained=None).eval()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    model_dir.mkdir(parents=True, exist_ok=True)

    class Visual(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            return self.clip.encode_image(image)

    class Textual(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.clip.encode_text(tokens)

    batch = torch.export.Dim("batch", min=1, max=1024)
    tokens = torch.zeros(2, 77, dtype=torch.long)
    tokens[:, 0], tokens[:, 4] = 49406, 49407
    for module, sample, name in (
        (Visual(), torch.zeros(2, 3, 256, 256), "visual.onnx"),
        (Textual(), tokens, "textual.onnx"),
    ):
        with torch.no_grad():
            program = torch.onnx.export(
                module.eval(),
                (sample,),
                input_names=["input"],
                output_names=["output"],
                dynamic_shapes=({0: batch},),
                opset_version=18,
                dynamo=True,
                verbose=False,
            )
        program.save(str(model_dir / name), external_data=False)
    vocab = Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    (rclip.datadir / "tokenizer").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vocab, rclip.datadir / "tokenizer" / "bpe_simple_vocab_16e6.txt.gz")
    return weights


def twelve_megapixel_jpegs(count: int) -> list[Path]:
    """Photo-like 4000x3000 JPEGs (shapes, texture, sensor noise), cached between runs.

    Scenes are drawn at 1000x750 and enlarged, and the noise comes from one shifted tile:
    the files decode like camera JPEGs of that size, at a fraction of `photo_like_jpegs`'s time.
    """
    import random

    from PIL import Image

    from photoclip.demo.shapes import random_scene, render

    folder = DATA_DIR / "jpeg-12mp-peers"
    folder.mkdir(parents=True, exist_ok=True)
    noise = np.random.default_rng(0).normal(0, 10, size=(3000 + 64, 4000 + 64, 3)).astype(np.int16)
    paths = []
    for i in range(count):
        path = folder / f"photo_{i:04d}.jpg"
        if not path.exists():
            scene = render(random_scene(random.Random(i), pair_probability=0.5), 1000, 750, supersample=1)
            big = np.asarray(scene.resize((4000, 3000), Image.Resampling.BICUBIC), dtype=np.int16)
            dy, dx = (i * 7) % 64, (i * 13) % 64
            pixels = np.clip(big + noise[dy : dy + 3000, dx : dx + 4000], 0, 255).astype(np.uint8)
            tmp = path.with_suffix(".tmp")
            Image.fromarray(pixels).save(tmp, "JPEG", quality=90)
            tmp.replace(path)
        paths.append(path)
    return paths


# -- 100,000 photos --------------------------------------------------------------------------------


def fill_big(count: int, work: Path, tools: list[Photoclip], rclip: Rclip) -> tuple[Path, dict[str, Path]]:
    """The same synthetic vectors in every tool's database; each photoclip library's index built once."""
    from search import clustered_vectors

    vectors = clustered_vectors(count, 512, 500, seed=1)
    photos = work / f"photos{count}"
    photos.mkdir(exist_ok=True)
    libraries = {}
    for tool in tools:
        library = work / f"{tool.name}-lib{count}"
        libraries[tool.name] = library
        done = library / "filled.json"
        if done.is_file():
            continue
        shutil.rmtree(library, ignore_errors=True)
        script = (
            "import sys, numpy as np; sys.path.insert(0, sys.argv[4])\n"
            "from pathlib import Path\n"
            "from search import fill_catalog\n"
            "from photoclip.core import Library\n"
            "lib = Library.open(Path(sys.argv[1]), model=sys.argv[2])\n"
            "vectors = np.load(sys.argv[3])\n"
            "fill_catalog(lib.catalog, lib.model_id, vectors, Path(sys.argv[5]))\n"
            "lib.vectors.index(); lib.close()\n"
        )
        np.save(work / "big-vectors.npy", vectors)
        subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                str(library),
                MODEL_NAME,
                str(work / "big-vectors.npy"),
                str(Path(__file__).parent),
                str(photos),
            ],
            cwd=tool.checkout,
            env=tool.env,
            check=True,
        )
        done.write_text("{}")
        # the first query after a fill may repair or convert the index; measured queries come after it
        tool.query(library)
    big_db = work / f"rclip-db{count}.sqlite3"
    if not big_db.is_file():
        fill_rclip(big_db, photos, vectors)
    return photos, libraries


def fill_rclip(db: Path, photos: Path, vectors: np.ndarray) -> None:
    """rclip's own schema (version 4, rclip/db.py): one row per photo with its float32 vector."""
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    con.executescript(
        """
        CREATE TABLE images (id INTEGER PRIMARY KEY, deleted BOOLEAN, filepath TEXT NOT NULL UNIQUE,
            modified_at DATETIME NOT NULL, size INTEGER NOT NULL, vector BLOB NOT NULL, indexing BOOLEAN, hash TEXT);
        CREATE UNIQUE INDEX existing_images ON images(filepath) WHERE deleted IS NULL;
        CREATE INDEX hash_index ON images(hash) WHERE deleted IS NULL;
        CREATE TABLE db_version (version INTEGER);
        INSERT INTO db_version(version) VALUES (4);
        """
    )
    con.executemany(
        "INSERT INTO images(filepath, modified_at, size, vector) VALUES (?, ?, ?, ?)",
        ((str(photos / f"{i:07d}.jpg"), 1.0, 1000, v.astype(np.float32).tobytes()) for i, v in enumerate(vectors)),
    )
    con.commit()
    con.close()
    tmp.replace(db)


# -- measuring ------------------------------------------------------------------------------------


def interleaved(runs: int, steps: dict[str, Callable[[], tuple[float, float]]]) -> dict[str, dict[str, Any]]:
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    peaks: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(runs):
        for name, step in steps.items():
            s, mb = step()
            seconds[name].append(s)
            peaks[name].append(mb)
            print(f"# run {r + 1} {name}: {s:.2f} s, {mb:.0f} MB", file=sys.stderr)
    return {
        name: {
            "seconds": round(statistics.median(seconds[name]), 3),
            "peak_mb": round(max(peaks[name])),
            "all_seconds": [round(s, 3) for s in seconds[name]],
        }
        for name in steps
    }


def compare(result: dict[str, dict[str, Any]], ours: str = "photoclip") -> dict[str, Any]:
    theirs = result["rclip"]
    mine = result[ours]
    return {
        **result,
        "rclip_over_photoclip_seconds": round(theirs["seconds"] / mine["seconds"], 2),
        "photoclip_over_rclip_memory": round(mine["peak_mb"] / theirs["peak_mb"], 2),
    }


def prepare_photos(work: Path, count: int) -> tuple[Path, Path]:
    """The photos both tools index (hard links to the cached JPEGs), and four of them for warming up."""
    photos = work / f"photos{count}"
    if not photos.is_dir() or len(list(photos.iterdir())) != count:
        shutil.rmtree(photos, ignore_errors=True)
        photos.mkdir()
        for path in twelve_megapixel_jpegs(count):
            try:
                os.link(path, photos / path.name)
            except OSError:
                shutil.copyfile(path, photos / path.name)
    warmup = work / "warmup-photos"
    warmup.mkdir(exist_ok=True)
    for path in sorted(photos.iterdir())[:4]:
        if not (warmup / path.name).exists():
            shutil.copyfile(path, warmup / path.name)
    return photos, warmup


def goals(result: dict[str, Any]) -> dict[str, bool]:
    """The issue's goals, read off this run."""
    queries = [key for key in result if key.startswith("query_")]
    return {
        "index_lead_at_least_1_3x": result["index"]["rclip_over_photoclip_seconds"] >= GOAL_INDEX_LEAD,
        "index_peak_at_most_1_2_gb": result["index"]["photoclip"]["peak_mb"] <= GOAL_INDEX_MB,
        **{
            f"{key}_no_slower_than_rclip": result[key]["photoclip"]["seconds"] <= result[key]["rclip"]["seconds"]
            for key in queries
        },
        **{f"{key}_peak_at_most_600_mb": result[key]["photoclip"]["peak_mb"] <= GOAL_QUERY_MB for key in queries},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=120)
    parser.add_argument("--big", type=int, default=100_000, help="photos in the large library (0: skip it)")
    parser.add_argument("--runs", type=int, default=3, help="indexing runs per tool")
    parser.add_argument("--query-runs", type=int, default=5, help="cold queries per tool and library")
    parser.add_argument(
        "--text-runs", type=int, default=1, help="runs of the whole `photoclip index`, text in photos read (0: skip)"
    )
    parser.add_argument("--baseline", type=Path, help="another photoclip checkout to measure alongside")
    parser.add_argument("--work", type=Path, default=DATA_DIR / "peers")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 2))

    load_at_start = os.getloadavg()
    rclip = Rclip(work)
    rclip.install()
    weights = make_weights(work, rclip)
    photos, warmup = prepare_photos(work, args.photos)

    tools = [Photoclip("photoclip", REPO, work)]
    if args.baseline is not None:
        tools.append(Photoclip("before", args.baseline.resolve(), work))
    for tool in tools:
        tool.prepare(weights, warmup)

    steps: dict[str, Callable[[], tuple[float, float]]] = {}
    for tool in tools:
        steps[tool.name] = lambda tool=tool: tool.index(photos)
    steps["rclip"] = lambda: rclip.index(photos)
    with_text = (  # first: the runs after it leave each library as the cold queries find it, as rclip's
        interleaved(args.text_runs, {tool.name: lambda tool=tool: tool.index(photos, text=True) for tool in tools})
        if args.text_runs
        else None
    )
    indexing = interleaved(args.runs, steps)
    shutil.copyfile(rclip.datadir / "db.sqlite3", work / "rclip-db-small.sqlite3")

    def cold(tool: Photoclip, library: Path) -> Callable[[], tuple[float, float]]:
        return lambda: tool.query(library)[:2]

    def rclip_cold(db: Path, where: Path) -> Callable[[], tuple[float, float]]:
        def step() -> tuple[float, float]:
            shutil.copyfile(db, rclip.datadir / "db.sqlite3")
            return rclip.query(where)[:2]

        return step

    small_steps = {tool.name: cold(tool, work / f"{tool.name}-lib") for tool in tools}
    small_steps["rclip"] = rclip_cold(work / "rclip-db-small.sqlite3", photos)
    query_small = interleaved(args.query_runs, small_steps)

    result: dict[str, Any] = {
        "benchmark": "peers",
        "rclip": "3.3.0",
        "model": f"{ARCH} (random weights, seed 0, the same for both)",
        "photos": args.photos,
        "megapixels": 12,
        "query": QUERY,
        "index": compare(indexing),
        **({"index_with_text": with_text} if with_text is not None else {}),
        f"query_{args.photos}": compare(query_small),
    }
    if args.big:
        big_photos, libraries = fill_big(args.big, work, tools, rclip)
        big_steps = {tool.name: cold(tool, libraries[tool.name]) for tool in tools}
        big_steps["rclip"] = rclip_cold(work / f"rclip-db{args.big}.sqlite3", big_photos)
        result[f"query_{args.big}"] = compare(interleaved(args.query_runs, big_steps))
    result["goals"] = goals(result)
    result["load_average"] = {  # 1, 5 and 15 minutes: other work on the machine slows every tool alike
        "start": [round(x, 2) for x in load_at_start],
        "end": [round(x, 2) for x in os.getloadavg()],
    }
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
