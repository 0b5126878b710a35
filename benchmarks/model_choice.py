"""Choose photoclip's default open_clip model by zero-shot quality per CPU millisecond.

Why this exists: photoclip runs on users' laptops, usually without a GPU, so the default CLIP model must be picked by
how much published zero-shot quality it buys per millisecond of CPU time, not by quality alone. This script is the
evidence behind the choice stated in the README, and re-running it on another machine re-checks that choice.

What it does, for each candidate architecture:

* builds the real architecture with RANDOM weights (``open_clip.create_model(name, pretrained=None)``): the compute
  is the same as with the trained weights, and nothing is downloaded (the script forces ``HF_HUB_OFFLINE=1``);
  MobileCLIP's re-parameterisable FastViT blocks are folded (``timm.utils.reparameterize_model``) as they would be
  for deployment;
* times image embedding at batch 1 (ms/image) and batch 32 (images/s), float32 and bfloat16, as the median of
  ``--repeats`` runs after warm-up, under ``torch.inference_mode``; with ``--rounds N`` every architecture is
  measured N times in turn and the round medians are combined (shared or throttled CPUs drift by 10-25 % over
  minutes, and rounds spread that drift over all candidates);
* reports the cosine similarity between bfloat16 and float32 embeddings of the same random images (an indication
  only: random weights do not have trained weights' activation statistics);
* times the text embedding of one short query (the real tokenizer when it works offline, else random token ids of
  the model's context length, which costs the same);
* counts parameters and estimates the download size (parameters x 4 bytes, assuming float32 checkpoints as open_clip
  publishes them on the Hugging Face Hub, unverifiable offline; the float16 size is what a re-exported copy weighs);
* joins ``benchmarks/data/openclip_zero_shot.csv`` (published zero-shot results) and computes quality per ms and
  the Pareto fronts of quality against ms/image.

Architectures whose text tower is a Hugging Face ``transformers`` model (xlm-roberta, NLLB) cannot be built offline;
for those only the image tower is built and timed, and the error is recorded.

Usage::

    python benchmarks/model_choice.py                      # all candidates, 1 round (about 18 min on 2 cores)
    python benchmarks/model_choice.py --models ViT-B-32,MobileCLIP-S2 --repeats 3
    python benchmarks/model_choice.py --rounds 2 --repeats 2 --output benchmarks/results/model_choice.json

A human-readable table goes to stdout first; the LAST stdout line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download anything: the benchmark needs no weights

import open_clip
import timm
import timm.utils
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

HERE = Path(__file__).resolve().parent
DEFAULT_QUALITY_CSV = HERE / "data" / "openclip_zero_shot.csv"
QUERY = "a photo of a dog playing on the beach"
THROUGHPUT_BATCH = 32
PHOTOS_FOR_INDEX_ESTIMATE = 10_000

# Weight licences as stated by the publishers (check again before shipping a model):
#  MIT: OpenAI CLIP, LAION and DataComp open_clip checkpoints; Apache-2.0: Google SigLIP / SigLIP 2;
#  Apple Sample Code Licence: DFN2B; Apple ML Research Model licence (research only, no commercial or product use):
#  MobileCLIP and MobileCLIP2 (github.com/apple/ml-mobileclip README, "ML models"); NLLB-CLIP: CC-BY-NC-4.0 (NLLB).
MIT = "MIT"
APACHE = "Apache-2.0"
APPLE_SAMPLE = "Apple Sample Code License"
APPLE_RESEARCH = "Apple ML Research Model license (research only)"
NC = "CC-BY-NC-4.0 (NLLB-derived)"


@dataclass(frozen=True)
class Candidate:
    """One published (architecture, pretrained tag) pair that photoclip could ship."""

    arch: str
    tag: str
    licence: str
    multilingual: bool = False


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("RN50", "openai", MIT),
    Candidate("ViT-B-32", "openai", MIT),
    Candidate("ViT-B-32", "laion2b_s34b_b79k", MIT),
    Candidate("ViT-B-32", "datacomp_xl_s13b_b90k", MIT),
    Candidate("ViT-B-32-256", "datacomp_s34b_b86k", MIT),
    Candidate("ViT-B-16", "openai", MIT),
    Candidate("ViT-B-16", "datacomp_xl_s13b_b90k", MIT),
    Candidate("ViT-B-16", "dfn2b", APPLE_SAMPLE),
    Candidate("ViT-B-16-SigLIP", "webli", APACHE),
    Candidate("ViT-B-32-SigLIP2-256", "webli", APACHE, multilingual=True),
    Candidate("ViT-B-16-SigLIP2", "webli", APACHE, multilingual=True),
    Candidate("MobileCLIP-S1", "datacompdr", APPLE_RESEARCH),
    Candidate("MobileCLIP-S2", "datacompdr", APPLE_RESEARCH),
    Candidate("MobileCLIP2-S0", "dfndr2b", APPLE_RESEARCH),
    Candidate("MobileCLIP2-S2", "dfndr2b", APPLE_RESEARCH),
    Candidate("convnext_base_w", "laion2b_s13b_b82k_augreg", MIT),
    Candidate("ViT-L-14", "datacomp_xl_s13b_b90k", MIT),
    Candidate("ViT-B-16-SigLIP-i18n-256", "webli", APACHE, multilingual=True),
    Candidate("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k", MIT, multilingual=True),
    Candidate("nllb-clip-base", "v1", NC, multilingual=True),
    Candidate("nllb-clip-base-siglip", "mrl", NC, multilingual=True),
)


@dataclass
class Timing:
    """Median and spread of repeated wall-clock measurements, in milliseconds."""

    median_ms: float
    min_ms: float
    max_ms: float
    runs: int
    round_medians_ms: list[float] | None = None  # one per --rounds pass; median_ms is their median


def merge_rounds(timings: Sequence[Timing | None]) -> Timing | None:
    """Combine one architecture's timings from several rounds: median of the round medians."""
    done = [t for t in timings if t is not None]
    if not done:
        return None
    return Timing(
        median_ms=statistics.median(t.median_ms for t in done),
        min_ms=min(t.min_ms for t in done),
        max_ms=max(t.max_ms for t in done),
        runs=sum(t.runs for t in done),
        round_medians_ms=[t.median_ms for t in done],
    )


@dataclass
class ArchResult:
    """Measurements of one architecture (shared by all of its pretrained tags with the same activation)."""

    key: str
    arch: str
    quick_gelu: bool
    built: str  # "full" or "image_tower_only"
    build_error: str | None
    image_size: list[int]
    params_total_m: float
    params_image_m: float
    params_text_m: float | None
    image_gflops: float | None
    img_b1_fp32: Timing
    img_b1_bf16: Timing
    img_b32_fp32: Timing
    img_b32_bf16: Timing
    bf16_cosine_mean: float
    bf16_cosine_min: float
    text_fp32: Timing | None
    text_bf16: Timing | None
    text_tokens: str | None  # "tokenizer" or "synthetic (<reason>)"
    text_error: str | None


class ImageTowerOnly(nn.Module):
    """Stand-in for a CLIP model whose text tower cannot be built offline: image path only."""

    def __init__(self, visual: nn.Module) -> None:
        super().__init__()
        self.visual = visual

    def encode_image(self, image: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        features = self.visual(image)
        return F.normalize(features, dim=-1) if normalize else features


def short_error(exc: BaseException) -> str:
    """First line of an exception, prefixed with its type."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def time_call(fn: Callable[[], Any], warmup: int, repeats: int) -> tuple[Timing, Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times timed; summary in ms and the last output."""
    for _ in range(warmup):
        fn()
    samples, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    timing = Timing(median_ms=statistics.median(samples), min_ms=min(samples), max_ms=max(samples), runs=len(samples))
    return timing, out


def pretrained_quick_gelu(arch: str, tag: str) -> bool:
    """Whether the published weights were trained with QuickGELU (open_clip then builds the model with it)."""
    return bool(open_clip.get_pretrained_cfg(arch, tag).get("quick_gelu", False))


def build_model(arch: str, quick_gelu: bool) -> tuple[nn.Module, str, str | None]:
    """Randomly initialised model in eval mode; falls back to the image tower when the full model cannot be built."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model: nn.Module = open_clip.create_model(arch, pretrained=None, force_quick_gelu=quick_gelu)
        built, error = "full", None
    except Exception as exc:  # any failure here means "cannot be built offline"
        error = short_error(exc)
        cfg = open_clip.get_model_config(arch)
        if cfg is None:
            raise
        # Private helper, but it is exactly what create_model uses to build the image tower.
        visual = open_clip.model._build_vision_tower(cfg["embed_dim"], cfg["vision_cfg"], quick_gelu=quick_gelu)
        model, built = ImageTowerOnly(visual), "image_tower_only"
    model.eval()
    model = timm.utils.reparameterize_model(model)  # folds MobileOne/FastViT branches; no-op for other models
    return model, built, error


def image_size_of(model: nn.Module, arch: str) -> tuple[int, int]:
    size = getattr(model.visual, "image_size", None)
    if size is None:
        size = open_clip.get_model_config(arch)["vision_cfg"]["image_size"]
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def random_images(n: int, size: tuple[int, int], mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Deterministic uniform-noise 'photos', normalised like the model's preprocessing would."""
    gen = torch.Generator().manual_seed(1234)
    pixels = torch.rand(n, 3, size[0], size[1], generator=gen)
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)
    return (pixels - mean_t) / std_t


def text_tokens(model: nn.Module, arch: str) -> tuple[torch.Tensor, str]:
    """Tokens for one short query: real tokenizer if it works offline, else random ids of the same length."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tokenizer = open_clip.get_tokenizer(arch)
            return tokenizer([QUERY]), "tokenizer"
    except Exception as exc:
        text_cfg = open_clip.get_model_config(arch)["text_cfg"]
        context = int(getattr(model, "context_length", 0) or text_cfg.get("context_length", 77))
        vocab = int(getattr(model, "vocab_size", 0) or text_cfg.get("vocab_size", 49408))
        gen = torch.Generator().manual_seed(99)
        return torch.randint(1, vocab, (1, context), generator=gen), f"synthetic ({short_error(exc)})"


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def image_gflops(model: nn.Module, image: torch.Tensor) -> float | None:
    """FLOPs (2 x multiply-adds) of one image embedding, as counted by torch's FlopCounterMode."""
    try:
        counter = FlopCounterMode(display=False)
        with torch.enable_grad(), counter:  # no_grad hides fused attention and breaks module tracking
            model.encode_image(image, normalize=True)
        return counter.get_total_flops() / 1e9
    except Exception:  # FLOPs are informative only
        return None


def time_text(model: nn.Module, tokens: torch.Tensor, repeats: int) -> Timing:
    return time_call(lambda: model.encode_text(tokens, normalize=True), warmup=3, repeats=5 * repeats)[0]


def bf16_copy(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model).to(torch.bfloat16)


def measure_arch(arch: str, quick_gelu: bool, mean: Sequence[float], std: Sequence[float], repeats: int) -> ArchResult:
    """All speed measurements for one architecture."""
    model, built, build_error = build_model(arch, quick_gelu)
    size = image_size_of(model, arch)
    images = random_images(THROUGHPUT_BATCH, size, mean, std)
    one = images[:1]
    model_bf16 = bf16_copy(model)
    images_bf16, one_bf16 = images.to(torch.bfloat16), one.to(torch.bfloat16)

    params_total = count_params(model)
    params_image = count_params(model.visual)
    params_text = None if built != "full" else params_total - params_image
    flops = image_gflops(model, one)

    def enc(m: nn.Module, x: torch.Tensor) -> Callable[[], torch.Tensor]:
        return lambda: m.encode_image(x, normalize=True)

    with torch.inference_mode():
        b1_fp32, _ = time_call(enc(model, one), warmup=3, repeats=3 * repeats)
        b1_bf16, _ = time_call(enc(model_bf16, one_bf16), warmup=3, repeats=3 * repeats)
        b32_fp32, emb32 = time_call(enc(model, images), warmup=1, repeats=repeats)
        b32_bf16, emb16 = time_call(enc(model_bf16, images_bf16), warmup=1, repeats=repeats)
        # Same 32 images through both: how far bf16 moves the (unit-length) embedding.
        cosine = (emb32.float() * F.normalize(emb16.float(), dim=-1)).sum(dim=-1)

        text_fp32 = text_bf16 = None
        token_source = text_error = None
        if built == "full":
            try:
                tokens, token_source = text_tokens(model, arch)
                text_fp32 = time_text(model, tokens, repeats)
                text_bf16 = time_text(model_bf16, tokens, repeats)
            except Exception as exc:
                text_error = short_error(exc)
        else:
            text_error = f"text tower not built offline ({build_error})"

    result = ArchResult(
        key=arch_key(arch, quick_gelu),
        arch=arch,
        quick_gelu=quick_gelu,
        built=built,
        build_error=build_error,
        image_size=list(size),
        params_total_m=params_total / 1e6,
        params_image_m=params_image / 1e6,
        params_text_m=None if params_text is None else params_text / 1e6,
        image_gflops=flops,
        img_b1_fp32=b1_fp32,
        img_b1_bf16=b1_bf16,
        img_b32_fp32=b32_fp32,
        img_b32_bf16=b32_bf16,
        bf16_cosine_mean=float(cosine.mean()),
        bf16_cosine_min=float(cosine.min()),
        text_fp32=text_fp32,
        text_bf16=text_bf16,
        text_tokens=token_source,
        text_error=text_error,
    )
    return result


def combine_rounds(results: Sequence[ArchResult]) -> ArchResult:
    """One ArchResult from several rounds of the same architecture."""
    first = results[0]
    timing_fields = ("img_b1_fp32", "img_b1_bf16", "img_b32_fp32", "img_b32_bf16", "text_fp32", "text_bf16")
    merged = {name: merge_rounds([getattr(r, name) for r in results]) for name in timing_fields}
    return replace(
        first,
        bf16_cosine_mean=statistics.mean(r.bf16_cosine_mean for r in results),
        bf16_cosine_min=min(r.bf16_cosine_min for r in results),
        **merged,
    )


def arch_key(arch: str, quick_gelu: bool) -> str:
    return f"{arch}+quickgelu" if quick_gelu else arch


def load_quality(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Published zero-shot results keyed by (architecture, pretrained tag); '#' lines are comments."""
    with path.open(newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))

        def num(value: str | None) -> float | None:
            return float(value) if value not in (None, "") else None

        return {
            (row["architecture"], row["pretrained"]): {
                "imagenet1k_top1": num(row["imagenet1k_top1"]),
                "avg_38_datasets": num(row["avg_38_datasets"]),
                "xm3600_image_retrieval_r1": num(row["xm3600_image_retrieval_r1"]),
                "multilingual_retrieval_avg": num(row["multilingual_retrieval_avg"]),
                "params_m_published": num(row["params_m_published"]),
                "quality_source": row["source"],
            }
            for row in rows
        }


def pareto_front(entries: list[dict[str, Any]], metric: str, cost: str, tolerance: float) -> list[str]:
    """Names of entries, fastest first, that no other entry beats on quality at a cost within (1 + tolerance) x theirs.

    The tolerance absorbs timing noise: the same image tower measured twice differs by a few percent, and a model that
    is 2 % "faster" only by noise should not make the front.
    """
    pool = [e for e in entries if e.get(metric) is not None]
    front = [
        e
        for e in pool
        if not any(o is not e and o[metric] > e[metric] and o[cost] <= e[cost] * (1 + tolerance) for o in pool)
    ]
    return [e["name"] for e in sorted(front, key=lambda e: e[cost])]


def join(
    candidates: Sequence[Candidate],
    measured: dict[str, ArchResult],
    quality: dict[tuple[str, str], dict[str, Any]],
) -> list[dict[str, Any]]:
    """One row per (arch, tag): speed of its architecture, published quality, quality per ms."""
    rows = []
    for cand in candidates:
        qg = pretrained_quick_gelu(cand.arch, cand.tag)
        res = measured.get(arch_key(cand.arch, qg))
        if res is None:
            continue
        q = quality.get((cand.arch, cand.tag), {})
        ms32 = res.img_b32_fp32.median_ms / THROUGHPUT_BATCH
        ms32_bf16 = res.img_b32_bf16.median_ms / THROUGHPUT_BATCH
        best_ms = min(ms32, ms32_bf16)
        params_m = res.params_total_m if res.built == "full" else q.get("params_m_published")
        row: dict[str, Any] = {
            "name": f"{cand.arch}/{cand.tag}",
            "arch": cand.arch,
            "pretrained": cand.tag,
            "licence": cand.licence,
            "multilingual": cand.multilingual,
            "measured_as": res.key,
            "built": res.built,
            "hf_hub": open_clip.get_pretrained_cfg(cand.arch, cand.tag).get("hf_hub", ""),
            "params_m": None if params_m is None else round(params_m, 2),
            "params_source": "measured" if res.built == "full" else "published (text tower not built)",
            "params_image_m": round(res.params_image_m, 2),
            "params_text_m": None if res.params_text_m is None else round(res.params_text_m, 2),
            "image_gflops": None if res.image_gflops is None else round(res.image_gflops, 2),
            "download_mb_fp32": None if params_m is None else round(params_m * 4, 1),
            "download_mb_fp16": None if params_m is None else round(params_m * 2, 1),
            "ms_per_img_b1_fp32": round(res.img_b1_fp32.median_ms, 2),
            "ms_per_img_b1_bf16": round(res.img_b1_bf16.median_ms, 2),
            "img_per_s_b32_fp32": round(1000 / ms32, 2),
            "img_per_s_b32_bf16": round(1000 / ms32_bf16, 2),
            "ms_per_img_b32_fp32": round(ms32, 2),
            "ms_per_img_b32_bf16": round(ms32_bf16, 2),
            "bf16_speedup_b32": round(ms32 / ms32_bf16, 3),
            "bf16_cosine_mean": round(res.bf16_cosine_mean, 5),
            "bf16_cosine_min": round(res.bf16_cosine_min, 5),
            "text_ms_fp32": None if res.text_fp32 is None else round(res.text_fp32.median_ms, 2),
            "minutes_per_10k_photos_fp32": round(ms32 * PHOTOS_FOR_INDEX_ESTIMATE / 60_000, 1),
            **{k: q.get(k) for k in ("imagenet1k_top1", "avg_38_datasets")},
            **{k: q.get(k) for k in ("xm3600_image_retrieval_r1", "multilingual_retrieval_avg", "quality_source")},
        }
        for metric, short in (("imagenet1k_top1", "in1k"), ("avg_38_datasets", "avg38")):
            value = row[metric]
            # Quality points (percent) per CPU ms/image at batch 32: higher is better.
            row[f"{short}_points_per_ms_fp32"] = None if value is None else round(100 * value / ms32, 3)
            row[f"{short}_points_per_ms_best_dtype"] = None if value is None else round(100 * value / best_ms, 3)
        rows.append(row)
    return rows


def fmt(value: Any, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'model':<45} {'Mparam':>7} {'b1 ms':>7} {'b32/s':>6} {'b32/s':>6} {'bf16':>7} {'txt ms':>6} "
        f"{'IN1k':>5} {'avg38':>5} {'IN/ms':>6} {'avg/ms':>6}"
    )
    print(header)
    print(f"{'':<45} {'':>7} {'fp32':>7} {'fp32':>6} {'bf16':>6} {'cos':>7} {'fp32':>6}")
    for r in sorted(rows, key=lambda r: r["ms_per_img_b32_fp32"]):
        in1k = None if r["imagenet1k_top1"] is None else 100 * r["imagenet1k_top1"]
        avg = None if r["avg_38_datasets"] is None else 100 * r["avg_38_datasets"]
        name = r["name"] + ("" if r["built"] == "full" else " *")
        print(
            f"{name:<45} {fmt(r['params_m']):>7} {r['ms_per_img_b1_fp32']:>7.1f} {r['img_per_s_b32_fp32']:>6.2f} "
            f"{r['img_per_s_b32_bf16']:>6.2f} {r['bf16_cosine_mean']:>7.4f} {fmt(r['text_ms_fp32']):>6} "
            f"{fmt(in1k):>5} {fmt(avg):>5} {fmt(r['in1k_points_per_ms_fp32'], '.3f'):>6} "
            f"{fmt(r['avg38_points_per_ms_fp32'], '.3f'):>6}"
        )
    print("* image tower only (text tower needs a Hugging Face download); params are the published total")


def environment(threads: int) -> dict[str, Any]:
    cpu = platform.processor() or ""
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not cpu:
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = [f for f in line.split(":", 1)[1].split() if f.startswith(("avx512", "amx", "avx2"))]
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "open_clip": open_clip.__version__,
        "timm": timm.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_flags": sorted(set(flags)),
        "logical_cpus": os.cpu_count(),
        "torch_threads": threads,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "load_average_1_5_15_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def display_path(path: Path) -> str:
    """Path relative to the repository root when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(HERE.parent)) if resolved.is_relative_to(HERE.parent) else str(path)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated architectures to keep (default: all candidates)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch intra-op threads")
    parser.add_argument("--rounds", type=int, default=1, help="passes over all architectures (medians combined)")
    parser.add_argument("--repeats", type=int, default=3, help="timed batch-32 runs (batch 1: 3x, text: 5x this)")
    parser.add_argument("--quality-csv", type=Path, default=DEFAULT_QUALITY_CSV, help="published zero-shot results")
    parser.add_argument(
        "--pareto-tolerance", type=float, default=0.05, help="relative timing noise ignored by the Pareto fronts"
    )
    parser.add_argument("--output", type=Path, help="also write the JSON (indented) to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:  # noqa: C901 - the benchmark's steps in the order they run; each is short
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    available = set(open_clip.list_pretrained())
    wanted = {m.strip() for m in args.models.split(",")} if args.models else None
    candidates, skipped = [], []
    for cand in CANDIDATES:
        if wanted is not None and cand.arch not in wanted:
            continue
        if (cand.arch, cand.tag) not in available:
            skipped.append({"name": f"{cand.arch}/{cand.tag}", "reason": "not in open_clip.list_pretrained()"})
            continue
        candidates.append(cand)
    if wanted:
        unknown = wanted - {c.arch for c in CANDIDATES}
        skipped += [{"name": name, "reason": "not a candidate of this script"} for name in sorted(unknown)]

    env = environment(args.threads)  # before measuring, so the load average shows contention at start
    if env["load_average_1_5_15_at_start"][0] > 0.5:
        print("warning: the machine is busy (1-min load > 0.5); timings will be too slow", file=sys.stderr)
    keys: dict[str, tuple[str, bool, Sequence[float], Sequence[float]]] = {}
    for cand in candidates:
        qg = pretrained_quick_gelu(cand.arch, cand.tag)
        cfg = open_clip.get_pretrained_cfg(cand.arch, cand.tag)
        keys.setdefault(arch_key(cand.arch, qg), (cand.arch, qg, cfg["mean"], cfg["std"]))

    # Rounds visit every architecture in turn, so a slow spell of the machine is spread over all of them.
    per_round: dict[str, list[ArchResult]] = {}
    failures: list[dict[str, str]] = []
    started = time.time()
    for round_no in range(1, args.rounds + 1):
        for key, (arch, qg, mean, std) in keys.items():
            if any(f["key"] == key for f in failures):
                continue
            print(f"round {round_no}/{args.rounds}: measuring {key} ...", file=sys.stderr, flush=True)
            t0 = time.time()
            try:
                per_round.setdefault(key, []).append(measure_arch(arch, qg, mean, std, args.repeats))
            except Exception as exc:  # skip gracefully, record why
                failures.append({"key": key, "error": short_error(exc)})
                print(f"  failed: {short_error(exc)}", file=sys.stderr, flush=True)
                continue
            gc.collect()
            print(f"  done in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    measured = {key: combine_rounds(results) for key, results in per_round.items() if key in keys}
    measured = {key: res for key, res in measured.items() if not any(f["key"] == key for f in failures)}

    quality = load_quality(args.quality_csv)
    rows = join(candidates, measured, quality)
    print_table(rows)

    tol = args.pareto_tolerance
    fronts = {
        "imagenet1k_vs_fp32_b32_ms": pareto_front(rows, "imagenet1k_top1", "ms_per_img_b32_fp32", tol),
        "avg38_vs_fp32_b32_ms": pareto_front(rows, "avg_38_datasets", "ms_per_img_b32_fp32", tol),
        "xm3600_vs_fp32_b32_ms": pareto_front(
            [r for r in rows if r["multilingual"]], "xm3600_image_retrieval_r1", "ms_per_img_b32_fp32", tol
        ),
    }
    ranking = {
        metric: [r["name"] for r in sorted((r for r in rows if r[metric] is not None), key=lambda r: -r[metric])]
        for metric in ("in1k_points_per_ms_fp32", "avg38_points_per_ms_fp32")
    }
    for name, front in fronts.items():
        print(f"Pareto front {name}: {', '.join(front)}")

    result = {
        "schema": 1,
        "generated_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "environment": env,
        "settings": {
            "rounds": args.rounds,
            "repeats_b32": args.repeats,
            "repeats_b1": 3 * args.repeats,
            "repeats_text": 5 * args.repeats,
            "throughput_batch": THROUGHPUT_BATCH,
            "weights": "random init (open_clip.create_model(name, pretrained=None)); same compute as trained",
            "bf16": "model.to(torch.bfloat16), bf16 inputs",
            "reparameterized": "timm.utils.reparameterize_model applied (affects MobileCLIP only)",
            "query": QUERY,
            "download_size": "params x 4 bytes (published open_clip checkpoints are fp32), fp16 = params x 2; MB=1e6",
            "quality_per_ms": "100 x published fraction / CPU ms per image at batch 32",
            "pareto_tolerance": args.pareto_tolerance,
            "quality_csv": display_path(args.quality_csv),
        },
        "architectures": [asdict(r) for r in measured.values()],
        "entries": rows,
        "pareto_fronts": fronts,
        "ranking_quality_per_ms": ranking,
        "skipped": skipped,
        "failures": failures,
        "elapsed_s": round(time.time() - started, 1),
        "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
