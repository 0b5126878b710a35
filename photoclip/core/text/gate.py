"""The gate: which photos are worth reading, decided from the CLIP vector each already has.

OCR costs about a second of CPU per photo, and most photos hold no text worth
reading. CLIP vectors know well whether a picture shows a document, a
screenshot, a receipt, a sign, a slide, a whiteboard or a book page, so each
photo's stored vector is scored against prompts for those (the best of the
kinds; no re-embedding), and only photos scoring high enough are read.

How high is "enough" differs from model to model (CLIP similarities are not
calibrated), so the cut-off is placed the way `search.ranking.relevance_cutoff`
places a search's, on a scale measured for the model at hand: 0 is the score of
pictures without any text (smooth gradients, blobs, stripes, noise) and 1 that
of clear text (pages of words), both rendered here and embedded once, and the
cut-off sits `GATE_RELEVANCE` of the way up. Low on purpose: a photo read for
nothing costs a second; a receipt never read cannot be found. The scale does not
depend on what the library holds, so the same photo gets the same answer in
every library. benchmarks/text_and_places.py measures the gate's recall and the share
of photos without text it skips.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from photoclip.core.search.ranking import relevance_cutoff

if TYPE_CHECKING:
    import torch

GATE_RELEVANCE = 0.3
"""Where the cut-off sits between the library's typical photo (0) and clear text (1)."""

PROMPTS: dict[str, tuple[str, ...]] = {
    "document": ("a photo of a document.", "a scanned page of text.", "a photo of a printed letter."),
    "screenshot": ("a screenshot.", "a screenshot of a phone app.", "a screenshot of a website."),
    "receipt": ("a photo of a receipt.", "a photo of a shopping receipt with prices."),
    "sign": ("a photo of a sign.", "a photo of a street sign with words.", "a photo of a shop sign."),
    "slide": ("a presentation slide.", "a photo of a slide projected on a screen."),
    "whiteboard": ("a photo of a whiteboard.", "a photo of handwriting on a whiteboard."),
    "book page": ("a photo of a book page.", "a photo of an open book."),
    "text": ("a photo of text.", "a picture with writing on it."),
}
"""Kinds of text-bearing pictures; each kind's prompts are averaged (prompt ensembling, as in the CLIP paper)."""


class TextEncoder(Protocol):
    """What encodes the gate's prompts: the model, or its exported text tower (`clip.text_encoder`)."""

    def encode_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


class ImageTextEncoder(Protocol):
    """What the gate needs of a model: `clip.embedder.Embedder` is one."""

    def encode_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...

    def encode_images(self, batch: torch.Tensor) -> npt.NDArray[np.float32]: ...

    def preprocess(self, image: Image.Image) -> torch.Tensor: ...


@dataclass(frozen=True)
class GateLevels:
    """The gate's scale for one library and model, for status lines and the benchmark."""

    no_text: float  # rendered pictures without text
    clear_text: float  # rendered pages of text
    threshold: float


class TextGate:
    """Scores stored vectors against the text-bearing prompts of one model."""

    def __init__(self, encoder: ImageTextEncoder, texts: TextEncoder | None = None) -> None:
        """`texts` encodes the prompts when the model was loaded without its text tower (it was exported)."""
        kinds = []
        for prompts in PROMPTS.values():
            vectors = (texts or encoder).encode_texts(list(prompts))
            mean = vectors.mean(axis=0)
            kinds.append(mean / max(float(np.linalg.norm(mean)), 1e-6))
        self._kinds = np.stack(kinds).astype(np.float32)
        clear = float(np.median(self.scores(_embed(encoder, rendered_pages()))))
        plain = float(np.median(self.scores(_embed(encoder, rendered_pictures()))))
        self.levels = GateLevels(plain, clear, relevance_cutoff(plain, clear, GATE_RELEVANCE))

    def scores(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Each photo's best similarity to a kind of text-bearing picture."""
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.float32)
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
        best: npt.NDArray[np.float32] = (unit @ self._kinds.T).max(axis=1).astype(np.float32)
        return best

    def passes(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Which photos are worth reading."""
        result: npt.NDArray[np.bool_] = self.scores(vectors) >= self.levels.threshold
        return result


def _embed(encoder: ImageTextEncoder, images: Sequence[Image.Image]) -> npt.NDArray[np.float32]:
    import torch

    return encoder.encode_images(torch.stack([encoder.preprocess(image) for image in images]))


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_PAGES = (  # (background, ink, font size, lines): a page, a dark screen, a sign, a note, a slide
    ((255, 255, 255), (0, 0, 0), 18, 20),
    ((250, 248, 240), (30, 30, 30), 24, 14),
    ((30, 30, 34), (235, 235, 235), 24, 12),
    ((25, 60, 150), (255, 255, 255), 56, 3),
    ((250, 240, 140), (20, 30, 120), 32, 8),
    ((255, 255, 255), (40, 40, 40), 40, 6),
)


def rendered_pages() -> list[Image.Image]:
    """A few pictures of plain text in Pillow's own font: what clear text looks like to a model."""
    rng = random.Random(0)
    pages = []
    for background, ink, size, lines in _PAGES:
        page = Image.new("RGB", (448, 448), background)
        draw = ImageDraw.Draw(page)
        font = ImageFont.load_default(size=size)
        y = 20
        for _ in range(lines):
            words = ("".join(rng.choice(_LETTERS) for _ in range(rng.randint(2, 8))) for _ in range(rng.randint(2, 5)))
            draw.text((20, y), " ".join(words), fill=ink, font=font)
            y += int(size * 1.6)
            if y > 448 - size:
                break
        pages.append(page)
    return pages


def rendered_pictures(count: int = 12) -> list[Image.Image]:
    """Pictures without any text (gradients, blobs, stripes, noise): what "no text" scores for a model."""
    rng = np.random.default_rng(7)
    pictures = []
    for i in range(count):
        kind = i % 4
        if kind == 0:  # a sky over the ground
            top, bottom = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
            t = np.linspace(0.0, 1.0, 224)[:, None, None]
            pixels = np.broadcast_to(top * (1 - t) + bottom * t, (224, 224, 3))
        elif kind == 1:  # blobs of colour
            pixels = np.ones((224, 224, 3)) * rng.uniform(0, 255, 3)
            yy, xx = np.ogrid[:224, :224]
            for _ in range(5):
                y, x, r = rng.integers(0, 224), rng.integers(0, 224), rng.integers(15, 60)
                pixels[(yy - y) ** 2 + (xx - x) ** 2 < r * r] = rng.uniform(0, 255, 3)
        elif kind == 2:  # broad stripes
            pixels = np.ones((224, 224, 3)) * rng.uniform(0, 255, 3)
            width = int(rng.integers(12, 40))
            for start in range(0, 224, 2 * width):
                pixels[:, start : start + width] = rng.uniform(0, 255, 3)
        else:  # coarse noise, like foliage or gravel
            pixels = rng.uniform(0, 255, (28, 28, 3)).repeat(8, axis=0).repeat(8, axis=1)
        pictures.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    return pictures
