"""OCR engines: read the words in a picture, on this computer.

Two engines are supported, and `benchmarks/text_and_places.py` measured them on
the same generated photos of receipts, signs, slides, notes and screenshots
(word recall per CPU second decides; see the README's Speed section):

    rapidocr    RapidOCR's ONNX Runtime package (PP-OCRv4 detection and
                recognition models inside its wheel): the `ocr` extra
    tesseract   Tesseract, from the system's packages (apt install tesseract-ocr)

`find_engine` returns the first one installed, in `PREFERRED` order (the
measured winner first), or None with `how_to_get` saying how to install one.
Neither touches the network. Engines are built lazily, in the thread that
reads (so ONNX Runtime's threads inherit that thread's lower priority).
"""

from __future__ import annotations

import functools
import importlib.util
import io
import logging
import os
import shutil
import subprocess
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageOps

from photoclip.core.errors import LibraryError

log = logging.getLogger(__name__)

PREFERRED: tuple[str, ...] = ("rapidocr", "tesseract")
"""Engines in the order photoclip uses them when several are installed (the measured winner first)."""

MAX_SIDE = 1600
"""Longer side a picture is reduced to before reading: phone photos of a page read as well, 4x faster."""

HOW_TO_GET = (
    "Reading text in photos needs an OCR engine. Install photoclip's OCR extra: pip install 'photoclip[ocr]' "
    "(or Tesseract from your system's packages, e.g. apt install tesseract-ocr)."
)


class OcrEngine(Protocol):
    """Reads the text in a picture."""

    name: str

    def read(self, image: Image.Image) -> str:
        """The words found, line by line (empty when none)."""
        ...


class OcrFailed(LibraryError):
    """The engine could not read this picture."""


class RapidOcr:
    """RapidOCR on ONNX Runtime: text detection, then recognition of each line found."""

    name = "rapidocr"

    def __init__(self, threads: int | None = None) -> None:
        from rapidocr_onnxruntime import RapidOCR

        threads = threads or max(1, min(4, (os.cpu_count() or 2)))
        self._engine: Any = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            det_limit_side_len=960,
            det_limit_type="max",
        )

    def read(self, image: Image.Image) -> str:
        try:
            result, _ = self._engine(_reduced(image), return_word_box=True)
        except Exception as e:  # ONNX Runtime and OpenCV errors come in many types
            raise OcrFailed(f"RapidOCR could not read this picture: {e}") from e
        if not result:
            return ""
        return "\n".join(_in_reading_order([(line[0], _spaced_by_gaps(line), line[2]) for line in result]))


class Tesseract:
    """The tesseract command, one process per picture."""

    name = "tesseract"

    def __init__(self, command: str | None = None, language: str = "eng") -> None:
        found = command or shutil.which("tesseract")
        if found is None:
            raise LibraryError("The tesseract command is not installed.")
        self._command = found
        self._language = language

    def read(self, image: Image.Image) -> str:
        buffer = io.BytesIO()
        _dark_on_light(_reduced(image)).save(buffer, "PNG")
        try:
            done = subprocess.run(
                [self._command, "stdin", "stdout", "-l", self._language, "--psm", "11"],
                input=buffer.getvalue(),
                capture_output=True,
                timeout=120,
                check=False,
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise OcrFailed(f"Tesseract could not read this picture: {e}") from e
        if done.returncode != 0:
            raise OcrFailed(f"Tesseract could not read this picture: {done.stderr.decode(errors='replace')[-200:]}")
        return "\n".join(line.strip() for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip())


def _dark_on_light(image: Image.Image) -> Image.Image:
    """Grey, with light text on a dark ground inverted: Tesseract is trained on dark print on paper."""
    grey = ImageOps.grayscale(image)
    if float(np.median(np.asarray(grey))) < 110:
        grey = ImageOps.invert(grey)
    return ImageOps.autocontrast(grey, cutoff=1)


def _reduced(image: Image.Image) -> Image.Image:
    rgb = image.convert("RGB")
    if max(rgb.size) > MAX_SIDE:
        rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return rgb


def _in_reading_order(result: list[Any]) -> list[str]:
    """RapidOCR's lines top to bottom, left to right (lines whose middles are close count as one row)."""
    lines = []
    for box, text, _score in result:
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        lines.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), str(text)))
    lines.sort()
    rows: list[list[tuple[float, float, float, str]]] = []
    for line in lines:
        if rows and abs(line[0] - rows[-1][0][0]) < max(4.0, 0.5 * line[1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [" ".join(text for *_, text in sorted(row, key=lambda item: item[2])) for row in rows]


WORD_GAP = 1.8
"""A gap this many times a line's typical letter spacing (and half its height) is a space the recogniser left out."""


def _spaced_by_gaps(line: Any) -> str:
    """A recognised line with the spaces the recogniser dropped put back, from where its letters stand.

    PP-OCR's recogniser sometimes runs two words together ("Grapequarterly"), most often in
    large serif titles; the letters' positions still show the gap. Only gaps between two
    letters far wider than the line's usual spacing and half as wide as the line is high
    count (a wide "m" in a monospaced "tomorrow" does not), so words are not cut in two.
    """
    text = str(line[1])
    if len(line) < 5 or len(line[4]) != len(line[3]) or len(text) < 4:
        return text
    chars = [str(c) for c in line[4]]
    centres = [sum(float(p[0]) for p in box) / len(box) for box in line[3]]
    steps = [b - a for a, b in zip(centres, centres[1:], strict=False)]
    usual = sorted(steps)[len(steps) // 2] if steps else 0.0
    ys = [float(p[1]) for p in line[0]]
    wide = max(WORD_GAP * usual, 0.5 * (max(ys) - min(ys)))
    if usual <= 0:
        return text
    out = [chars[0]]
    for i, step in enumerate(steps):
        if step > wide and chars[i].isalpha() and chars[i + 1].isalpha():
            out.append(" ")
        out.append(chars[i + 1])
    return "".join(out)


def installed() -> list[str]:
    """The engines installed here, in `PREFERRED` order."""
    found = []
    for name in PREFERRED:
        if name == "rapidocr" and importlib.util.find_spec("rapidocr_onnxruntime") is not None:
            found.append(name)
        elif name == "tesseract" and shutil.which("tesseract") is not None:
            found.append(name)
    return found


def make_engine(name: str) -> OcrEngine:
    """Build one engine by name (LibraryError when it is not installed or will not start)."""
    try:
        if name == "rapidocr":
            return RapidOcr()
        if name == "tesseract":
            return Tesseract()
    except ImportError as e:
        raise LibraryError(f"The {name} OCR engine is not installed. {HOW_TO_GET}") from e
    except LibraryError:
        raise
    except Exception as e:
        raise LibraryError(f"The {name} OCR engine did not start: {e}") from e
    raise LibraryError(f"Unknown OCR engine {name!r}: use one of {', '.join(PREFERRED)}.")


def find_engine() -> OcrEngine | None:
    """The preferred installed engine, or None (then `HOW_TO_GET` says what to install)."""
    for name in installed():
        try:
            return make_engine(name)
        except LibraryError as e:
            log.warning("%s", e)
    return None


@functools.cache
def engine_name() -> str | None:
    """The engine `find_engine` would use, without starting it (for status lines)."""
    names = installed()
    return names[0] if names else None
