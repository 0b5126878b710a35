"""Generated photos that hold text: receipts, signs, slides, notes and screenshots.

Reading text in photos is measured (benchmarks/text_and_places.py) and tested on
these: every word drawn is known, so what the OCR reads can be scored word by
word, and each picture carries one word no other picture has, so a `text:`
search for it has exactly one right answer. They vary the way photos of text
do: several fonts and sizes, dark on light and light on dark, tilted up to
10 degrees, a little blur and noise, saved as JPEG at varied quality.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

KINDS: tuple[str, ...] = ("receipt", "sign", "slide", "note", "screenshot")

_FONT_FOLDERS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
_FONT_NAMES = (  # common, legible families; whichever of them this computer has
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansCondensed.ttf",
    "NimbusSans-Regular.otf",
    "NimbusSans-Bold.otf",
    "NimbusRoman-Regular.otf",
    "NimbusMonoPS-Regular.otf",
    "URWGothic-Book.otf",
    "P052-Roman.otf",
    "NotoSansMono-Regular.ttf",
    "Arial.ttf",
    "arial.ttf",
    "Verdana.ttf",
    "times.ttf",
    "Georgia.ttf",
    "cour.ttf",
)

# Words that are easy to tell apart; every picture gets one of its own (its key word).
KEY_WORDS: tuple[str, ...] = tuple(
    """
    amber anchor apricot arcade autumn avocado badger bakery balcony bamboo banjo barley basil beacon
    biscuit blossom bramble breeze bridge brisket bronze buffalo butter cabin cactus canyon caramel
    cashew castle cedar cello chapel cherry chestnut cider cinnamon citrus clover cobalt coconut comet
    copper coral cotton cricket crystal cypress dahlia daisy delta desert dolphin dragon dune eagle
    ember emerald falcon fennel fern festival fiddle fig flamingo forest fountain fox galaxy garden
    garlic gazelle ginger glacier granite grape harbor hazel heron hickory honey horizon iris island
    ivory jasmine juniper kettle kiwi lagoon lantern lavender lemon lilac lime lobster lotus magnet
    mango maple marble meadow melon meteor mint mirror monsoon mosaic mustard nectar nutmeg oasis olive
    onyx orchard orchid otter oyster paprika parrot peach pebble pelican pepper pickle pine pistachio
    planet plum polar poppy prairie pumpkin quartz quince rabbit radish raven reef river robin rocket
    saffron salmon sapphire scarlet sesame shadow silver sparrow spruce squirrel summit sunflower
    tangerine thistle thunder tiger timber tomato topaz tulip tundra turnip valley vanilla velvet
    violet volcano walnut walrus willow winter wolf yarrow zebra zephyr acorn alpine aspen avalanche
    blizzard boulder brook buttercup camel canary carnival cavern chimney cinder cobble compass condor
    crater crimson daffodil dingo ebony elder elm everest feather firefly flint fjord foxglove gecko
    geyser gorilla gravel grove gull hamster harvest hawk hedgehog hemlock hollow hyacinth iceberg
    jaguar jelly kayak koala ladybug larch lichen llama lynx magnolia mammoth marigold marsh mink
    moose moss nebula nettle nightingale oak ocelot orbit osprey panther papaya pecan penguin peony
    petal pheasant pigeon plateau pollen puffin quail rainbow raspberry redwood rhubarb saddle sage
    sandal sequoia shamrock sherbet skylark sorrel spinach starling sycamore tamarind teal thyme
    toucan trout truffle tulipwood umber vulture wasabi wheat wren yucca
    """.split()
)

_SHOPS = ("Corner Market", "Blue Door Cafe", "City Pharmacy", "Green Grocer", "Harbor Books", "Sunset Deli")
_ITEMS = ("bread", "milk", "coffee", "apples", "cheese", "eggs", "rice", "pasta", "tea", "soap", "juice", "butter")
_SIGN_WORDS = ("STREET", "AVENUE", "PARKING", "EXIT", "WELCOME", "STATION", "MUSEUM", "PLATFORM", "OPEN", "ROAD")
_SLIDE_WORDS = ("results", "quarterly", "roadmap", "overview", "budget", "growth", "summary", "agenda", "goals")
_NOTE_WORDS = ("call", "remember", "meeting", "buy", "pick", "up", "send", "email", "tomorrow", "dentist", "keys")
_APP_WORDS = ("Settings", "Messages", "Search", "Inbox", "Battery", "Wallet", "Photos", "Calendar", "Contacts")


@dataclass(frozen=True)
class TextPhoto:
    """One generated picture with the words drawn on it."""

    kind: str
    image: Image.Image
    words: tuple[str, ...]  # every word drawn, as drawn
    key: str  # the word only this picture holds
    font: str


def available_fonts() -> list[str]:
    """Font files found on this computer among a few common families (sorted, so runs repeat)."""
    return list(_fonts())


@functools.cache
def _fonts() -> tuple[str, ...]:
    found: dict[str, str] = {}
    for folder in _FONT_FOLDERS:
        base = Path(folder)
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.name in _FONT_NAMES and path.name not in found:
                found[path.name] = str(path)
    return tuple(sorted(found.values()))


def _font(rng: random.Random, size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, str]:
    fonts = _fonts()
    if fonts:
        path = rng.choice(fonts)
        return ImageFont.truetype(path, size), Path(path).stem
    return ImageFont.load_default(size=size), "default"


def _money(rng: random.Random) -> str:
    return f"{rng.randint(1, 40)}.{rng.randint(0, 99):02d}"


class _Canvas:
    """Draws lines of words, remembering which words went on the picture."""

    def __init__(self, image: Image.Image, rng: random.Random, size: int) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.font, self.font_name = _font(rng, size)
        self.words: list[str] = []

    def line(self, xy: tuple[float, float], text: str, fill: tuple[int, int, int], font: object | None = None) -> None:
        self.draw.text(xy, text, fill=fill, font=font or self.font)  # type: ignore[arg-type]
        self.words += text.split()

    def height(self, text: str = "Ag") -> int:
        box = self.draw.textbbox((0, 0), text, font=self.font)
        return int(box[3] - box[1])


def _receipt(rng: random.Random, key: str) -> tuple[Image.Image, list[str], str]:
    image = Image.new("RGB", (420, 640), (250, 248, 240))
    canvas = _Canvas(image, rng, rng.randint(22, 28))
    ink = (20, 20, 24)
    y = 24.0
    canvas.line((30, y), rng.choice(_SHOPS), ink)
    y += canvas.height() * 2
    items = rng.sample(_ITEMS, 4)
    items[rng.randrange(4)] = key
    for item in items:
        canvas.line((30, y), f"{item} {_money(rng)}", ink)
        y += canvas.height() * 1.7
    y += canvas.height()
    canvas.line((30, y), f"TOTAL {_money(rng)}", ink)
    y += canvas.height() * 1.7
    canvas.line((30, y), "THANK YOU", ink)
    return image, canvas.words, canvas.font_name


def _sign(rng: random.Random, key: str) -> tuple[Image.Image, list[str], str]:
    backgrounds = ((20, 90, 50), (25, 60, 150), (180, 30, 30), (240, 240, 235), (240, 190, 30))
    background = rng.choice(backgrounds)
    ink = (20, 20, 20) if sum(background) > 500 else (250, 250, 250)
    image = Image.new("RGB", (640, 360), background)
    canvas = _Canvas(image, rng, rng.randint(52, 70))
    canvas.draw.rectangle((10, 10, 630, 350), outline=ink, width=5)
    canvas.line((40, 70), key.upper(), ink)
    canvas.line((40, 70 + canvas.height() * 1.6), rng.choice(_SIGN_WORDS), ink)
    return image, canvas.words, canvas.font_name


def _slide(rng: random.Random, key: str) -> tuple[Image.Image, list[str], str]:
    image = Image.new("RGB", (800, 450), (255, 255, 255))
    bar = rng.choice(((30, 60, 120), (120, 30, 60), (40, 110, 90)))
    ImageDraw.Draw(image).rectangle((0, 0, 800, 90), fill=bar)
    canvas = _Canvas(image, rng, rng.randint(28, 34))
    title_font, _ = _font(rng, 44)
    title = f"{key.capitalize()} {rng.choice(_SLIDE_WORDS)}"
    canvas.line((40, 22), title, (255, 255, 255), font=title_font)
    y = 130.0
    for _ in range(3):
        words = " ".join(rng.sample(_SLIDE_WORDS, 3))
        canvas.line((60, y), f"- {words}", (30, 30, 30))
        y += canvas.height() * 2
    canvas.words = [w for w in canvas.words if w != "-"]
    return image, canvas.words, canvas.font_name


def _note(rng: random.Random, key: str) -> tuple[Image.Image, list[str], str]:
    image = Image.new("RGB", (480, 480), rng.choice(((252, 240, 140), (250, 250, 250), (200, 230, 250))))
    canvas = _Canvas(image, rng, rng.randint(30, 38))
    for y in range(70, 480, 56):
        canvas.draw.line((0, y, 480, y), fill=(170, 190, 220), width=1)
    ink = rng.choice(((20, 30, 120), (30, 30, 30)))
    lines = [
        " ".join(rng.sample(_NOTE_WORDS, 3)),
        f"{rng.choice(_NOTE_WORDS)} {key}",
        " ".join(rng.sample(_NOTE_WORDS, 2)),
    ]
    for row, text in enumerate(lines):
        canvas.line((36, 28 + 112 * row), text, ink)
    return image, canvas.words, canvas.font_name


def _screenshot(rng: random.Random, key: str) -> tuple[Image.Image, list[str], str]:
    dark = rng.random() < 0.4
    background, ink = ((28, 28, 32), (235, 235, 240)) if dark else ((246, 246, 248), (25, 25, 30))
    image = Image.new("RGB", (390, 780), background)
    canvas = _Canvas(image, rng, rng.randint(24, 30))
    draw = canvas.draw
    draw.rectangle((0, 0, 390, 50), fill=(60, 120, 220))
    canvas.line((16, 10), f"{rng.randint(8, 22)}:{rng.randint(0, 59):02d}", (255, 255, 255))
    y = 80.0
    entries = rng.sample(_APP_WORDS, 5)
    entries[rng.randrange(5)] = key.capitalize()
    for entry in entries:
        draw.rounded_rectangle((12, y - 8, 378, y + canvas.height() + 14), radius=10, outline=(150, 150, 160))
        canvas.line((24, y), entry, ink)
        y += canvas.height() * 3
    return image, canvas.words, canvas.font_name


_DRAWERS: dict[str, Callable[[random.Random, str], tuple[Image.Image, list[str], str]]] = {
    "receipt": _receipt,
    "sign": _sign,
    "slide": _slide,
    "note": _note,
    "screenshot": _screenshot,
}


def _as_photographed(image: Image.Image, rng: random.Random, max_tilt: float) -> Image.Image:
    """Tilt, a touch of blur and sensor noise, as a phone photo of a page or screen has."""
    tilt = rng.uniform(-max_tilt, max_tilt)
    surround = tuple(int(c) for c in rng.choice(((120, 110, 100), (60, 60, 70), (200, 200, 195))))
    turned = image.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=surround)
    if rng.random() < 0.5:
        turned = turned.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    pixels = np.asarray(turned).astype(np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 7), pixels.shape)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def text_photo(kind: str, key: str, rng: random.Random, *, max_tilt: float = 10.0) -> TextPhoto:
    """One picture of the given kind holding `key` among other words."""
    image, words, font = _DRAWERS[kind](rng, key)
    return TextPhoto(kind, _as_photographed(image, rng, max_tilt), tuple(words), key, font)


def generate_text_photos(
    folder: Path,
    count: int,
    *,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    start: dt.datetime = dt.datetime(2024, 3, 1, 12, 0),
    places: Sequence[tuple[float, float]] = (),
) -> list[tuple[Path, TextPhoto]]:
    """Write `count` text-bearing photos as JPEG files (kinds in turn, each with its own key word).

    Args:
        places: GPS coordinates given to the photos in turn (none: no GPS).
    """
    from photoclip.demo import save_photo

    if count > len(KEY_WORDS):
        raise ValueError(f"At most {len(KEY_WORDS)} text photos have a key word of their own.")
    rng = random.Random(seed)
    keys = rng.sample(KEY_WORDS, count)
    written = []
    for i, key in enumerate(keys):
        photo = text_photo(kinds[i % len(kinds)], key, rng)
        path = folder / f"{photo.kind}_{i + 1:04d}.jpg"
        taken_at = start + dt.timedelta(hours=i * 7)
        gps = places[i % len(places)] if places else None
        save_photo(photo.image, path, taken_at, quality=rng.randint(45, 88), gps=gps)
        written.append((path, photo))
    return written


def word_recall(expected: Sequence[str], read: str) -> tuple[int, int]:
    """(words found, words drawn): a drawn word counts as found when the read text holds it as a word."""
    found_words = {_plain(w) for w in read.split()}
    wanted = [_plain(w) for w in expected if _plain(w)]
    return sum(1 for w in wanted if w in found_words), len(wanted)


def _plain(word: str) -> str:
    return "".join(c for c in word.casefold() if c.isalnum() or c == ".").strip(".")


DEMO_PLACES: tuple[tuple[float, float], ...] = (
    (38.7223, -9.1393),  # Lisbon
    (41.1579, -8.6291),  # Porto
    (48.8566, 2.3522),  # Paris
    (52.5200, 13.4050),  # Berlin
    (40.4168, -3.7038),  # Madrid
    (35.6895, 139.6917),  # Tokyo
    (-33.8688, 151.2093),  # Sydney
    (40.7128, -74.0060),  # New York
    (37.7749, -122.4194),  # San Francisco
    (-22.9068, -43.1729),  # Rio de Janeiro
)
"""Coordinates of a few well-known places, which demo and test photos are given in turn."""
