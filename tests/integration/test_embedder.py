"""Fidelity of the fast paths against open_clip's own code: preprocessing, draft decoding, text trimming, precision."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from photoclip.core import ModelSpec, decode_photo
from photoclip.core.clip import embedder as embedder_module
from photoclip.core.clip.embedder import FIDELITY, Embedder, calibration_key
from photoclip.core.clip.loading import LoadedModel, encode_text, supports_trimmed_text
from photoclip.demo.shapes import random_scene, render


def photo_like(path: Path, width: int, height: int, seed: int) -> Path:
    """A large JPEG with shapes, texture and sensor-like noise (detail that a naive downscale would alias)."""
    rng = random.Random(seed)
    image = render(random_scene(rng, pair_probability=1.0), width, height, supersample=1)
    noise = np.random.default_rng(seed).normal(0, 12, size=(height, width, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=92)
    return path


@pytest.fixture(scope="module")
def vit_b_32() -> LoadedModel:
    """A randomly initialised ViT-B-32: the real architecture and transform, no download."""
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
    model.eval()
    spec = ModelSpec("vit-b-32-random", "ViT-B-32", None)
    return LoadedModel(
        spec, model, preprocess, open_clip.get_tokenizer("ViT-B-32"), torch.device("cpu"), 512, 224, True
    )


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_preprocessing_equals_open_clip_without_draft(vit_b_32: LoadedModel, tmp_path: Path) -> None:
    path = photo_like(tmp_path / "p.jpg", 1600, 1200, seed=1)
    ours = Embedder(vit_b_32, precision="float32").preprocess(decode_photo(path).image)
    with Image.open(path) as image:
        reference = vit_b_32.preprocess(image)
    assert ours.shape == reference.shape == (3, 224, 224)
    assert float((ours - reference).abs().max()) < 1e-4


@pytest.mark.parametrize("model_name", ["vit_b_32", "tiny"])
def test_draft_decoding_keeps_embeddings_faithful(
    model_name: str, vit_b_32: LoadedModel, tiny_embedder: Embedder, tmp_path: Path
) -> None:
    loaded = vit_b_32 if model_name == "vit_b_32" else tiny_embedder.loaded
    embedder = Embedder(loaded, precision="float32") if model_name == "vit_b_32" else tiny_embedder
    path = photo_like(tmp_path / "twelve-megapixels.jpg", 4000, 3000, seed=2)
    other = photo_like(tmp_path / "other.jpg", 4000, 3000, seed=3)

    def embed(p: Path, draft: bool) -> np.ndarray:
        decoded = decode_photo(p, min_side=embedder.image_size if draft else None)
        return embedder.encode_images(embedder.preprocess(decoded.image).unsqueeze(0))[0]

    drafted = decode_photo(path, min_side=embedder.image_size).image
    assert min(drafted.size) < 3000 / 2  # draft really decoded at reduced scale
    fidelity = cosine(embed(path, True), embed(path, False))
    assert fidelity >= 0.99
    # the measure can tell photos apart, so the fidelity above means something
    assert cosine(embed(other, False), embed(path, False)) < fidelity - 0.005


@pytest.mark.parametrize("model_name", ["vit_b_32", "tiny"])
def test_trimmed_text_encoding_equals_full_context(
    model_name: str, vit_b_32: LoadedModel, tiny_embedder: Embedder
) -> None:
    loaded = vit_b_32 if model_name == "vit_b_32" else tiny_embedder.loaded
    model = loaded.model
    if model_name == "tiny":  # the shared embedder may run in bfloat16; compare in float32
        import copy

        model = copy.deepcopy(model).float()
    assert supports_trimmed_text(model)
    tokens = loaded.tokenizer(["a red circle", "kids playing on a sunny beach with a big yellow kite", "dog"])
    last_token = int((tokens != 0).sum(dim=1).max())
    assert last_token < tokens.shape[1] // 2  # the test really exercises a shorter context
    with torch.inference_mode():
        full = model.encode_text(tokens)
        trimmed = encode_text(model, tokens, trim=True)
    assert torch.allclose(full, trimmed, atol=1e-5, rtol=1e-5)


def test_text_embeddings_are_cached(tiny_embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tiny_embedder.encode_texts(["a purple heart", "a cyan cross"])
    calls: list[list[str]] = []
    original = tiny_embedder._encode_texts_uncached

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return original(texts)

    monkeypatch.setattr(tiny_embedder, "_encode_texts_uncached", counting)
    again = tiny_embedder.encode_texts(["a cyan cross", "a purple heart", "an orange star"])
    assert calls == [["an orange star"]]
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[1], first[0])
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)


def test_precision_is_calibrated_faithfully_and_cached(
    tiny_embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy

    from photoclip.core.clip.loading import load_model

    cache = tmp_path / "precision.json"
    loaded = load_model(tiny_embedder.loaded.spec, device="cpu", cache_dir=tmp_path)
    reference = Embedder(copy.deepcopy(loaded), precision="float32")
    auto = Embedder(loaded, calibration_cache=cache)
    report = auto.calibration
    assert report["precision"] == auto.precision
    for name, candidate in report["candidates"].items():
        if name == auto.precision:
            assert candidate["cosine"] >= FIDELITY
    images = torch.stack([reference.preprocess(render(random_scene(random.Random(i)), 200, 150)) for i in range(16)])
    ours, theirs = auto.encode_images(images), reference.encode_images(images)
    assert min(cosine(a, b) for a, b in zip(ours, theirs, strict=True)) >= FIDELITY
    assert auto.precision in json.loads(cache.read_text())[calibration_key(auto.model_id, auto.device)]["precision"]

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("calibration should come from the cache")

    monkeypatch.setattr(embedder_module, "calibrate_precision", must_not_run)
    again = Embedder(load_model(tiny_embedder.loaded.spec, device="cpu", cache_dir=tmp_path), calibration_cache=cache)
    assert again.precision == auto.precision


@pytest.mark.parametrize("model_name", ["vit_b_32", "tiny"])
def test_compact_inputs_embed_exactly_like_preprocessed_tensors(
    model_name: str, vit_b_32: LoadedModel, tiny_embedder: Embedder
) -> None:
    """What a decode worker hands on while the model is busy (an 8-bit picture at the model's size)
    embeds bit for bit like the float tensor the whole transform makes: nothing about a photo's
    vector changed when the pipeline started holding pictures instead of tensors."""
    embedder = Embedder(vit_b_32, precision="float32") if model_name == "vit_b_32" else tiny_embedder
    side = embedder.image_size
    images = [render(random_scene(random.Random(i)), 300 + 40 * i, 200 + 25 * i) for i in range(5)]
    images.append(images[0].convert("L"))  # a grey photo: made RGB on the way, as before
    images.append(images[1].rotate(90, expand=True))  # portrait: cropped in the middle
    compact = [embedder.compact_input(image) for image in images]
    for picture in compact:
        assert isinstance(picture, Image.Image)
        assert (picture.mode, picture.size) == ("RGB", (side, side))
    tensors = torch.stack([embedder.preprocess(image) for image in images])
    np.testing.assert_array_equal(embedder.encode_inputs(compact), embedder.encode_images(tensors))
    assert embedder.encode_inputs([]).shape == (0, embedder.dim)


def test_a_transform_that_cannot_be_split_is_used_whole(vit_b_32: LoadedModel) -> None:
    from dataclasses import replace

    def whole(image: Image.Image) -> torch.Tensor:  # no steps to split: a plain function
        return vit_b_32.preprocess(image)

    embedder = Embedder(replace(vit_b_32, preprocess=whole), precision="float32")
    image = render(random_scene(random.Random(3)), 320, 240)
    compact = embedder.compact_input(image)
    assert isinstance(compact, torch.Tensor)
    np.testing.assert_array_equal(
        embedder.encode_inputs([compact]), embedder.encode_images(embedder.preprocess(image)[None])
    )


def test_loading_weights_does_not_claim_a_random_model(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The model is built empty, then its weights are read in: open_clip's "initialized randomly"
    warning (printed by every `photoclip index`) was not true, and is not said any more."""
    from safetensors.numpy import load_file

    from photoclip.core.clip.loading import load_model
    from photoclip.core.clip.registry import TINY_MODEL_KEY, resolve_model

    spec = resolve_model(TINY_MODEL_KEY)
    with caplog.at_level("WARNING"):
        loaded = load_model(spec, device="cpu", cache_dir=tmp_path)
    assert not [r for r in caplog.records if "randomly" in r.getMessage()]
    stored = load_file(str(Path(spec.architecture.removeprefix("local-dir:")) / "open_clip_model.safetensors"))
    name = "visual.proj" if "visual.proj" in stored else sorted(stored)[0]
    np.testing.assert_array_equal(loaded.model.state_dict()[name].float().numpy(), stored[name].astype(np.float32))
