"""The model manager without a network: the list it shows, what it refuses to delete, what it refuses to import."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from photoclip.core.clip.manager import ModelInUse, ModelManager
from photoclip.core.clip.registry import (
    DEFAULT_MODEL_KEY,
    TINY_MODEL_KEY,
    bundled_model_dir,
    catalogue_entry,
    known_models,
    resolve_model,
)
from photoclip.core.clip.weights import hub_location, legacy_hub_folder, weights_path, weights_record_path
from photoclip.core.errors import LibraryError, ModelUnavailable

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "results" / "model_choice.json"
TINY_WEIGHTS = bundled_model_dir() / "open_clip_model.safetensors"


def _fake_download(cache: Path, name: str, content: bytes = b"weights") -> Path:
    """Weights laid out as a finished download leaves them (file + record)."""
    spec = resolve_model(name)
    repo, names = hub_location(spec)
    path = weights_path(cache, repo, names[0])
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    record = {"model": spec.key, "size": len(content), "sha256": __import__("hashlib").sha256(content).hexdigest()}
    weights_record_path(path).write_text(json.dumps(record))
    return path


def test_catalogue_numbers_match_the_benchmark() -> None:
    measured = {e["name"]: e for e in json.loads(BENCHMARK.read_text())["entries"]}
    for spec in known_models()[1:]:
        entry = catalogue_entry(spec.key)
        assert entry is not None
        row = measured[f"{entry.architecture}/{entry.pretrained}"]
        assert entry.imagenet_top1 == row["imagenet1k_top1"]
        assert entry.cpu_ms_per_photo == row["ms_per_img_b32_fp32"]
        assert entry.image_gflops == row["image_gflops"]
        assert abs(entry.download_bytes - row["download_mb_fp32"] * 1e6) <= 0.001 * entry.download_bytes
        assert row["multilingual"] == (entry.languages == "Multilingual")


def test_the_list_shows_size_languages_quality_speed_and_use(tmp_path: Path) -> None:
    manager = ModelManager(tmp_path, device="cpu", in_use=resolve_model(TINY_MODEL_KEY))
    infos = {info.name: info for info in manager.models()}
    assert list(infos)[0] == TINY_MODEL_KEY
    tiny = infos[TINY_MODEL_KEY]
    assert tiny.kind == "bundled" and tiny.installed and tiny.in_use and not tiny.removable
    assert tiny.disk_bytes >= TINY_WEIGHTS.stat().st_size and tiny.download_bytes == 0
    assert tiny.speed is not None and not tiny.speed.measured and "estimate" in tiny.speed.basis
    default = infos[DEFAULT_MODEL_KEY]
    assert not default.installed and not default.in_use and default.disk_bytes == 0
    assert default.download_bytes == 605_120_000 and default.imagenet_top1 == pytest.approx(0.6917)
    assert default.speed is not None and default.speed.measured and default.speed.relative == 1.0
    assert infos["vit-l-14"].speed is not None and infos["vit-l-14"].speed.relative < 0.1
    multilingual = [info for info in infos.values() if info.multilingual]
    assert multilingual and multilingual[0].languages == "Multilingual"
    assert json.dumps([info.as_dict() for info in infos.values()])  # the CLI's --json


def test_on_a_gpu_speeds_are_labelled_estimates(tmp_path: Path) -> None:
    infos = {info.name: info for info in ModelManager(tmp_path, device="cuda").models()}
    speed = infos["vit-b-32-256"].speed
    assert speed is not None and not speed.measured and "GFLOPs" in speed.basis
    assert speed.relative == pytest.approx(8.73 / 11.34)


def test_a_download_is_listed_with_its_size_and_can_be_removed(tmp_path: Path) -> None:
    path = _fake_download(tmp_path, "vit-b-32-256", b"x" * 1000)
    (path.parent / f"{path.name}.0123.part").write_bytes(b"y" * 10)
    manager = ModelManager(tmp_path, device="cpu")
    info = manager.info("vit-b-32-256")
    assert info.installed and info.path == path and info.removable and info.disk_bytes > 1000
    assert manager.verify("vit-b-32-256").ok
    path.write_bytes(b"z" * 1000)
    assert manager.verify("vit-b-32-256").status == "corrupted"
    assert manager.remove("vit-b-32-256") == info.disk_bytes
    assert not manager.info("vit-b-32-256").installed and not any(path.parent.iterdir())
    with pytest.raises(LibraryError, match="not downloaded"):
        manager.remove("vit-b-32-256")


def test_downloads_of_earlier_versions_are_removed_too(tmp_path: Path) -> None:
    repo, _ = hub_location(resolve_model("vit-l-14"))
    blob = legacy_hub_folder(tmp_path, repo) / "blobs" / ("a" * 64)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"old layout")
    assert ModelManager(tmp_path).remove("vit-l-14") == len(b"old layout")
    assert not legacy_hub_folder(tmp_path, repo).exists()


def test_what_remove_refuses(tmp_path: Path) -> None:
    _fake_download(tmp_path, "vit-b-32")
    manager = ModelManager(tmp_path, in_use=resolve_model("vit-b-32"))
    with pytest.raises(LibraryError, match="bundled"):
        manager.remove(TINY_MODEL_KEY)
    with pytest.raises(ModelInUse, match="current model.*--force"):
        manager.remove("vit-b-32")
    assert manager.info("vit-b-32").installed
    switching = ModelManager(tmp_path, switching_to=resolve_model("vit-b-32"))
    with pytest.raises(ModelInUse, match="switching to"):
        switching.remove("vit-b-32")
    assert manager.remove("vit-b-32", force=True) > 0
    checkpoint = tmp_path / "mine.pt"
    checkpoint.write_bytes(b"not ours")
    local = ModelManager(tmp_path, in_use=resolve_model("ViT-B-32", checkpoint=checkpoint))
    assert [i for i in local.models() if i.kind == "local"][0].in_use
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text((bundled_model_dir() / "open_clip_config.json").read_text())
    with pytest.raises(LibraryError, match="not in photoclip's cache"):
        local.remove(str(folder))
    assert (folder / "open_clip_config.json").exists()
    assert checkpoint.exists()


@pytest.mark.parametrize(
    ("file_name", "arch", "name", "message"),
    [
        ("missing.safetensors", TINY_MODEL_KEY, None, "not found"),
        ("weights.txt", TINY_MODEL_KEY, None, "not a checkpoint"),
        ("weights.pt", TINY_MODEL_KEY, "Has Spaces", "cannot be a model name"),
        ("weights.pt", TINY_MODEL_KEY, "vit-b-32", "built-in model"),
        ("weights.pt", TINY_MODEL_KEY, "tiny", "built-in model"),
        ("weights.pt", "NoSuchArch", "x", "Unknown architecture"),
        ("weights.pt", "ViT-B-32/no_such_tag", "x", "no weights tagged"),
    ],
)
def test_import_refuses_bad_requests_before_copying(
    tmp_path: Path, file_name: str, arch: str, name: str | None, message: str
) -> None:
    if not file_name.startswith("missing"):
        (tmp_path / file_name).write_bytes(b"0")
    with pytest.raises(LibraryError, match=message):
        ModelManager(tmp_path / "cache").import_checkpoint(tmp_path / file_name, architecture=arch, name=name)
    assert not (tmp_path / "cache" / "imported").exists() or not any((tmp_path / "cache" / "imported").iterdir())


def test_import_rejects_weights_that_do_not_fit_and_keeps_nothing(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    wrong = tmp_path / "wrong.safetensors"
    save_file({"visual.proj": torch.zeros(3, 3)}, str(wrong))
    manager = ModelManager(tmp_path / "cache")
    with pytest.raises(LibraryError, match="does not fit the photoclip-tiny architecture"):
        manager.import_checkpoint(wrong, architecture=TINY_MODEL_KEY)
    assert list((tmp_path / "cache" / "imported").iterdir()) == []


def test_an_imported_checkpoint_becomes_a_model_of_its_own(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    manager = ModelManager(cache, device="cpu")
    info = manager.import_checkpoint(TINY_WEIGHTS, architecture="tiny", name="My-Copy")
    assert info.name == "my-copy" and info.kind == "imported" and info.installed and info.removable
    assert info.architecture == TINY_MODEL_KEY and info.download_bytes is None
    assert info.speed is not None and not info.speed.measured
    spec = resolve_model("my-copy", cache_dir=cache)
    assert spec.model_id == info.model_id != resolve_model(TINY_MODEL_KEY).model_id
    assert "my-copy" in {i.name for i in manager.models()}
    assert manager.verify("my-copy").ok
    with pytest.raises(LibraryError, match="already imported"):
        manager.import_checkpoint(TINY_WEIGHTS, architecture="tiny", name="my-copy")
    assert manager.remove("my-copy") == info.disk_bytes
    with pytest.raises(ModelUnavailable, match="Unknown model"):
        resolve_model("my-copy", cache_dir=cache)


# -- checkpoints that load but are useless, and files that are not weights (issue 16, item 11) --


class TrainingRun:
    """Part of someone's training program: a pickle holding it needs this code to load."""

    def __init__(self) -> None:
        self.epoch = 3


def _tiny_weights_with(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    from safetensors.torch import load_file, save_file

    weights = load_file(str(TINY_WEIGHTS))
    change(weights)
    save_file(weights, str(path))
    return path


def _nothing_imported(cache: Path) -> bool:
    """No model and no staging folder left behind (staging folders are hidden: .name.xxxx)."""
    folder = cache / "imported"
    return not folder.exists() or list(folder.iterdir()) == []


def _set(name: str, value: float, index: tuple[int, ...] | None = None) -> Callable[[dict[str, Any]], None]:
    def change(weights: dict[str, Any]) -> None:
        tensor = weights[name].clone()
        if index is None:
            tensor.fill_(value)
        else:
            tensor[index] = value
        weights[name] = tensor

    return change


def _unprobed_word_row() -> tuple[int, int]:
    """(row, 0) of the word table for a word the import's probes never use: only a search for it would fail."""
    import open_clip

    return int(open_clip.tokenize(["zebra"])[0][1]), 0


@pytest.mark.parametrize(
    ("tensor", "value", "index"),
    [
        ("text_projection", math.nan, (3, 5)),  # one NaN: every text vector is NaN
        ("visual.attnpool.c_proj.weight", math.inf, (0, 0)),  # every photo vector is infinite or NaN
        ("token_embedding.weight", math.nan, None),  # filled below with one row only
        ("logit_scale", math.nan, None),  # the temperature auto-tagging uses; no vector shows it
    ],
)
def test_import_refuses_weights_that_are_not_finite_and_keeps_nothing(
    tmp_path: Path, tensor: str, value: float, index: tuple[int, ...] | None
) -> None:
    if tensor == "token_embedding.weight":
        index = _unprobed_word_row()
    broken = _tiny_weights_with(tmp_path / "diverged.safetensors", _set(tensor, value, index))
    cache = tmp_path / "cache"
    with pytest.raises(LibraryError, match="non-finite") as caught:
        ModelManager(cache, device="cpu").import_checkpoint(broken, architecture=TINY_MODEL_KEY)
    assert "NaN or infinity" in str(caught.value) and "not imported" in str(caught.value)
    assert _nothing_imported(cache)
    with pytest.raises(ModelUnavailable, match="Unknown model"):
        resolve_model("diverged", cache_dir=cache)


def test_import_refuses_weights_that_give_every_photo_the_same_vector(tmp_path: Path) -> None:
    def flatten(weights: dict[str, Any]) -> None:
        _set("visual.attnpool.c_proj.weight", 0.0)(weights)
        _set("visual.attnpool.c_proj.bias", 0.5)(weights)

    flat = _tiny_weights_with(tmp_path / "flat.safetensors", flatten)
    with pytest.raises(LibraryError, match="same vector for different photos"):
        ModelManager(tmp_path / "cache", device="cpu").import_checkpoint(flat, architecture=TINY_MODEL_KEY)
    assert _nothing_imported(tmp_path / "cache")


def test_a_pickle_with_program_code_is_refused_without_unsafe_advice(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    checkpoint = tmp_path / "epoch3.pt"
    torch.save({"state_dict": load_file(str(TINY_WEIGHTS)), "run": TrainingRun()}, checkpoint)
    with pytest.raises(LibraryError) as caught:
        ModelManager(tmp_path / "cache", device="cpu").import_checkpoint(checkpoint, architecture=TINY_MODEL_KEY)
    message = str(caught.value)
    assert "photoclip loads only weights" in message and "program code" in message
    assert "weights_only" not in message and "trust" not in message and "\n" not in message
    assert "does not fit" not in message  # the architecture is not what is wrong
    assert _nothing_imported(tmp_path / "cache")


def test_a_plain_state_dict_saved_by_torch_imports(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    checkpoint = tmp_path / "plain.pt"
    torch.save({"state_dict": load_file(str(TINY_WEIGHTS))}, checkpoint)
    info = ModelManager(tmp_path / "cache", device="cpu").import_checkpoint(checkpoint, architecture="tiny")
    assert info.kind == "imported" and info.installed


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("random.pt", bytes(range(256)) * 20),
        ("notes.bin", b"hello, these are not weights"),
        ("random.safetensors", b"\xff" * 5000),
        ("cut.safetensors", None),  # the first half of real weights
    ],
)
def test_files_that_are_not_readable_checkpoints_say_so(tmp_path: Path, file_name: str, content: bytes | None) -> None:
    if content is None:
        content = TINY_WEIGHTS.read_bytes()[: TINY_WEIGHTS.stat().st_size // 2]
    (tmp_path / file_name).write_bytes(content)
    with pytest.raises(LibraryError) as caught:
        ModelManager(tmp_path / "cache").import_checkpoint(tmp_path / file_name, architecture=TINY_MODEL_KEY)
    message = str(caught.value)
    assert "not a readable checkpoint" in message
    assert "weights_only" not in message and "\n" not in message
    assert _nothing_imported(tmp_path / "cache")


def test_weights_for_another_architecture_name_what_is_missing(tmp_path: Path) -> None:
    import torch

    partial = tmp_path / "partial.pt"
    torch.save({"visual.proj": torch.zeros(3)}, partial)
    with pytest.raises(LibraryError) as caught:
        ModelManager(tmp_path / "cache").import_checkpoint(partial, architecture=TINY_MODEL_KEY)
    message = str(caught.value)
    assert "does not fit the photoclip-tiny architecture" in message
    assert "Missing key(s)" in message and "text_projection" in message and "\n" not in message
