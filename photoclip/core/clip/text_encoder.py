"""Text queries through the exported text tower and ONNX Runtime: no PyTorch, no image tower.

`OnnxTextEncoder` answers what search and auto-tagging ask of a model's text side
(`encode_texts`, `logit_scale`, `dim`, `model_id`) from the checked ONNX export of
its text tower (`text_export`) and the torch-free tokenizer. A cold text query
then costs importing ONNX Runtime and opening one graph of the text tower's
weights: a fraction of a second and a few hundred megabytes, instead of
importing PyTorch and loading both towers.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from photoclip.core.clip.text_towers import TOWER_FILE, TextTowerRecord
from photoclip.core.clip.tokenizer import ClipTokenizer
from photoclip.core.errors import ModelUnavailable

_BATCH = 64


def open_session(path: Path, *, threads: int | None = None) -> Any:
    """An ONNX Runtime session on the CPU, lean on memory (no arena that keeps its peak)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy threads between queries
    # basic graph rewrites keep the weights where the export put them: memory-mapped from the file, not copied
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def run_tower(session: Any, tokens: npt.NDArray[np.int64], *, trimmable: bool) -> npt.NDArray[np.float32]:
    """The tower's (unnormalised) vectors; a causal tower runs only up to the batch's last end-of-text token."""
    if trimmable:
        used = np.flatnonzero(tokens.any(axis=0))
        length = int(used[-1]) + 1 if used.size else 1
        tokens = np.ascontiguousarray(tokens[:, :length])
    result: npt.NDArray[np.float32] = session.run(["vector"], {"tokens": tokens})[0].astype(np.float32, copy=False)
    return result


class OnnxTextEncoder:
    """A model's text side without PyTorch: the same vectors as its text tower (checked at export).

    Args:
        folder, record: an export found by `text_towers.find_text_tower`.
        model_id: the identity of the model it stands for (default: the one the record names; the same
            weights can be known under several names).
    """

    def __init__(
        self, folder: Path, record: TextTowerRecord, *, model_id: str | None = None, text_cache_size: int = 4096
    ) -> None:
        if record.tokenizer.get("kind") != "clip-bpe":
            raise ModelUnavailable(f"The exported text tower of {record.model_id} needs a tokenizer photoclip lacks.")
        self.record = record
        self.model_id = model_id or record.model_id
        self.dim = record.embed_dim
        self.logit_scale = record.logit_scale
        self.folder = folder
        self._session = open_session(folder / TOWER_FILE)
        self._tokenizer = ClipTokenizer(int(record.tokenizer["context_length"]))
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_size = text_cache_size
        self._lock = threading.Lock()

    def encode_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors for texts; repeated texts come from the cache."""
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                cached = self._cache.get(text)
                if cached is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(text)
                    result[i] = cached
        if missing:
            fresh = self._encode([texts[i] for i in missing])
            with self._lock:
                for row, i in enumerate(missing):
                    result[i] = fresh[row]
                    self._cache[texts[i]] = fresh[row]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return result

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        # sorted by length, so each batch runs only as long as its own longest text
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            tokens = self._tokenizer([texts[i] for i in rows])
            vectors = run_tower(self._session, tokens, trimmable=self.record.trimmable)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[rows] = vectors / np.maximum(norms, 1e-12)
        return out
