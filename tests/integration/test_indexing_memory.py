"""Indexing holds little while the model is busy: model batches of about the batch size (never a
lone photo beside a full batch), and no more photos decoded ahead than the next batch needs, each
waiting as its small 8-bit model input rather than a float tensor four times its size; what the
decode threads freed is handed back to the system before each model batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from photoclip.core.clip.embedder import Embedder, ModelInput
from photoclip.core.ingest.pipeline import Batch, Pipeline
from photoclip.core.media.decode import decode_photo
from photoclip.core.similar.measure import MEASURE_SIDE
from photoclip.core.store.records import PhotoId, WorkItem
from photoclip.demo import generate_photos

BATCH = 8
WORKERS = 2


def test_a_slow_model_keeps_batches_even_and_few_photos_waiting(
    tiny_embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = generate_photos(tmp_path / "photos", 37, seed=3, png_every=0)
    lock = threading.Lock()
    waiting = 0  # decoded, not yet embedded
    most_waiting = 0
    batches: list[int] = []
    events: list[str] = []
    kinds: set[type] = set()
    compact, encode = tiny_embedder.compact_input, tiny_embedder.encode_inputs

    def decoded(image: Image.Image) -> ModelInput:
        nonlocal waiting, most_waiting
        result = compact(image)
        with lock:
            waiting += 1
            most_waiting = max(most_waiting, waiting)
            kinds.add(type(result))
        return result

    def embedded(inputs: Sequence[ModelInput]) -> np.ndarray:
        nonlocal waiting
        time.sleep(0.3)  # a model slower than decoding: the workers run ahead as far as they may
        with lock:
            waiting -= len(inputs)
        batches.append(len(inputs))
        events.append("embed")
        return encode(inputs)

    monkeypatch.setattr(tiny_embedder, "compact_input", decoded)
    monkeypatch.setattr(tiny_embedder, "encode_inputs", embedded)
    stored: list[Batch] = []
    items = [WorkItem(PhotoId(i + 1), photo.path, None, False) for i, photo in enumerate(photos)]

    pipeline = Pipeline(tiny_embedder, workers=WORKERS, batch_size=BATCH, give_back=lambda: events.append("give back"))
    stats = pipeline.run(items, stored.append)

    assert stats.embedded == 37 and stats.skipped == 0
    assert sum(batches) == 37
    assert max(batches) < 1.5 * BATCH, batches
    assert min(batches[:-1]) >= BATCH // 2, batches  # 9 photos are one batch, not 8 and a lone 1
    # the batch being filled, and the workers' window decoded while the model embeds it: no more
    window = BATCH + 2 * WORKERS
    assert most_waiting <= BATCH - 1 + 2 * window
    assert kinds == {Image.Image}  # photos wait as small pictures, not float tensors
    assert events == ["give back", "embed"] * len(batches)  # what decoding freed goes back before each batch

    vectors = {int(item.id): vector for batch in stored for item, _, vector in batch.embedded}
    for i in (0, 17, 36):  # the same vectors as each photo embedded alone from its own decode
        image = decode_photo(photos[i].path, min_side=max(tiny_embedder.image_size, MEASURE_SIDE)).image
        alone = tiny_embedder.encode_images(torch.stack([tiny_embedder.preprocess(image)]))[0]
        np.testing.assert_allclose(vectors[i + 1], alone, atol=1e-5)
