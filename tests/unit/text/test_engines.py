"""The OCR engines read generated photos of text, and say how to get one when none is installed."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from photoclip.core.text import engines
from photoclip.demo.text_photos import text_photo, word_recall


@pytest.mark.parametrize("name", ["rapidocr", "tesseract"])
def test_each_installed_engine_reads_a_sign_and_a_receipt(name: str) -> None:
    if name not in engines.installed():
        pytest.skip(f"{name} is not installed here")
    engine = engines.make_engine(name)
    for kind in ("sign", "receipt"):
        photo = text_photo(kind, "walrus", random.Random(2), max_tilt=4)
        text = engine.read(photo.image)
        assert "walrus" in text.casefold()
        found, drawn = word_recall(photo.words, text)
        assert found >= 0.6 * drawn, (kind, text)
    assert engine.read(Image.new("RGB", (300, 200), (90, 140, 60))).strip() == ""


def test_the_measured_winner_comes_first() -> None:
    assert engines.PREFERRED[0] == "rapidocr"  # benchmarks/results/text_and_places.json: "chosen"


def test_without_an_engine_there_is_none_and_a_way_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    assert engines.installed() == []
    assert engines.find_engine() is None
    assert "pip install 'photoclip[ocr]'" in engines.HOW_TO_GET
    with pytest.raises(engines.LibraryError, match="Unknown OCR engine"):
        engines.make_engine("abbyy")
