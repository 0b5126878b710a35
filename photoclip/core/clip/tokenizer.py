"""CLIP's byte-pair tokenizer without PyTorch: the same token ids as open_clip's `SimpleTokenizer`.

open_clip's tokenizer module imports torch at its top (to return tensors), and
importing torch costs seconds and hundreds of megabytes: more than a whole text
query through the exported text tower. This is the same algorithm (ftfy and HTML
clean-up, lower case, the same split pattern, byte-level BPE over the same
merges file, start and end tokens, truncation that keeps the end token) returning
numpy arrays; a test compares it with open_clip's on many texts.

The merges file is the one open_clip ships; it is found without importing
open_clip (whose package imports torch).
"""

from __future__ import annotations

import functools
import gzip
import html
import importlib.util
from pathlib import Path

import numpy as np
import numpy.typing as npt

from photoclip.core.errors import ModelUnavailable

_MERGES = 49152 - 256 - 2
_SPECIAL = ("<start_of_text>", "<end_of_text>")


def bpe_vocabulary_file() -> Path:
    """open_clip's merges file (``bpe_simple_vocab_16e6.txt.gz``), located without importing open_clip."""
    spec = importlib.util.find_spec("open_clip")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / "bpe_simple_vocab_16e6.txt.gz"
        if path.is_file():
            return path
    raise ModelUnavailable("open_clip's tokenizer vocabulary (bpe_simple_vocab_16e6.txt.gz) is missing; reinstall.")


@functools.lru_cache(maxsize=1)
def _bytes_to_unicode() -> dict[int, str]:
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in codes), strict=True))


class ClipTokenizer:
    """Text to CLIP token ids, padded with zeros to `context_length` (int64, as the text tower expects).

    Args:
        context_length: the model's text context (77 for the published CLIP models).
        vocabulary: the merges file (default: open_clip's).
    """

    def __init__(self, context_length: int = 77, vocabulary: Path | None = None) -> None:
        import regex

        self.context_length = context_length
        with gzip.open(vocabulary or bpe_vocabulary_file()) as f:
            lines = f.read().decode("utf-8").split("\n")[1 : _MERGES + 1]
        merges = [tuple(line.split()) for line in lines]
        byte_chars = list(_bytes_to_unicode().values())
        vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges] + list(_SPECIAL)
        self._encoder = {token: i for i, token in enumerate(vocab)}
        self._ranks = {(m[0], m[1]): i for i, m in enumerate(merges)}
        self._cache: dict[str, str] = {t: t for t in _SPECIAL}
        self._byte_encoder = _bytes_to_unicode()
        self.sot = self._encoder[_SPECIAL[0]]
        self.eot = self._encoder[_SPECIAL[1]]
        self._pattern = regex.compile(
            "|".join(_SPECIAL) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )

    def __call__(self, texts: list[str] | str) -> npt.NDArray[np.int64]:
        if isinstance(texts, str):
            texts = [texts]
        result = np.zeros((len(texts), self.context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [self.sot, *self.encode(text), self.eot]
            if len(tokens) > self.context_length:
                tokens = tokens[: self.context_length]
                tokens[-1] = self.eot
            result[row, : len(tokens)] = tokens
        return result

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in self._pattern.findall(_clean(text)):
            chars = "".join(self._byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self._encoder[t] for t in self._bpe(chars).split(" "))
        return ids

    def _bpe(self, token: str) -> str:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        word: tuple[str, ...] = (*token[:-1], token[-1] + "</w>")
        while len(word) > 1:
            pairs = set(zip(word, word[1:], strict=False))
            best = min(pairs, key=lambda pair: self._ranks.get(pair, len(self._ranks)))
            if best not in self._ranks:
                break
            word = _merge(word, best)
        joined = " ".join(word)
        if len(self._cache) < 100_000:
            self._cache[token] = joined
        return joined


def _merge(word: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    first, second = pair
    merged: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
            merged.append(first + second)
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)


def _clean(text: str) -> str:
    """open_clip's "lower" clean-up: ftfy, HTML entities (twice), whitespace runs, lower case."""
    import ftfy

    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return " ".join(text.split()).strip().lower()
