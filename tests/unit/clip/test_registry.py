"""Model names, ids, devices and the offline download error (the network is the boundary here)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from photoclip.core.clip.loading import resolve_device
from photoclip.core.clip.registry import (
    DEFAULT_MODEL_KEY,
    TINY_MODEL_KEY,
    bundled_model_dir,
    known_models,
    published_hub,
    resolve_model,
)
from photoclip.core.clip.weights import download_weights
from photoclip.core.errors import ModelUnavailable


def test_bundled_tiny_model_is_small_and_complete() -> None:
    folder = bundled_model_dir()
    weights = folder / "open_clip_model.safetensors"
    assert (folder / "open_clip_config.json").is_file()
    assert weights.is_file() and weights.stat().st_size < 15 * 1024 * 1024


def test_names_resolve_to_stable_ids() -> None:
    tiny = resolve_model(TINY_MODEL_KEY)
    assert tiny.is_local and tiny.model_id.startswith("photoclip-tiny@")
    assert resolve_model("tiny").model_id == tiny.model_id
    default = resolve_model(DEFAULT_MODEL_KEY)
    assert not default.is_local and "/" in default.model_id
    assert resolve_model("ViT-B-32/laion2b_s34b_b79k").model_id == "ViT-B-32/laion2b_s34b_b79k"
    assert resolve_model("ViT-B-32:openai").model_id == "ViT-B-32/openai"
    assert {m.key for m in known_models()} >= {TINY_MODEL_KEY, DEFAULT_MODEL_KEY, "multilingual"}


def test_model_id_changes_with_the_weights(tmp_path: Path) -> None:
    checkpoint = tmp_path / "weights.pt"
    checkpoint.write_bytes(b"one")
    first = resolve_model("ViT-B-32", checkpoint=checkpoint).model_id
    checkpoint.write_bytes(b"two")
    assert resolve_model("ViT-B-32", checkpoint=checkpoint).model_id != first


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-such-model", "Unknown model"),
        ("ViT-B-32/no_such_tag", "no weights tagged"),
        ("NoSuchArch/x", "no architecture"),
    ],
)
def test_unknown_models_are_explained(name: str, message: str) -> None:
    with pytest.raises(ModelUnavailable, match=message):
        resolve_model(name)


def test_missing_checkpoint_file(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not found"):
        resolve_model("ViT-B-32", checkpoint=tmp_path / "nope.pt")


def test_offline_download_fails_fast_with_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # a closed port: no server can answer
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as error:
        download_weights(resolve_model("vit-b-32"), tmp_path)
    assert time.monotonic() - started < 10
    assert "Cannot reach" in str(error.value) and error.value.offline, "each front end then says what to do"


def test_cpu_is_always_available_and_unknown_gpus_are_refused() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device(None).type in {"cpu", "cuda", "mps"}
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ModelUnavailable, match="CUDA"):
            resolve_device("cuda")


def test_core_does_not_import_qt_or_torch_eagerly() -> None:
    code = (
        "import sys; import photoclip.core.library, photoclip.core.doctor, photoclip.cli; "
        "print('PySide6' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_no_core_module_imports_qt() -> None:
    """core is the engine for the CLI and the app alike: Qt belongs to photoclip.ui only."""
    code = (
        "import sys, pkgutil, importlib, photoclip.core as core; "
        "[importlib.import_module(f'photoclip.core.{m.name}') for m in pkgutil.iter_modules(core.__path__)]; "
        "print('PySide6' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False"]


def test_curated_download_locations_are_open_clips() -> None:
    """The catalogue's copy of each hub location (known without torch) matches open_clip's own."""
    import open_clip

    for key in ("vit-b-32", "vit-b-32-256", "vit-l-14", "multilingual"):
        spec = resolve_model(key)
        cfg = open_clip.get_pretrained_cfg(spec.architecture, spec.pretrained or "")
        assert published_hub(spec.architecture, spec.pretrained or "") == cfg["hf_hub"], key


def test_looking_for_downloaded_weights_does_not_import_torch(tmp_path: Path) -> None:
    """The app's first window waits on this check: importing torch would cost seconds (issue 11, bug 3)."""
    code = (
        "import sys; from pathlib import Path\n"
        "from photoclip.core.clip.registry import resolve_model\n"
        "from photoclip.core.clip.weights import cached_weights\n"
        f"assert cached_weights(resolve_model('vit-b-32'), Path({str(tmp_path)!r})) is None\n"
        "print(sorted(m for m in ('torch', 'open_clip') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
