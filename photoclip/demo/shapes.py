"""Synthetic photos of coloured shapes on textured backgrounds, with captions.

The bundled tiny CLIP model is trained on these scenes, and the tests and the
offline demo build photo libraries from them. Because every attribute of a
scene is known, search and tagging results can be scored against ground truth.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (214, 36, 36),
    "orange": (245, 132, 22),
    "yellow": (243, 214, 36),
    "green": (40, 160, 62),
    "cyan": (34, 200, 214),
    "blue": (34, 76, 214),
    "purple": (128, 52, 180),
    "pink": (246, 124, 190),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "heart")
SIZES: tuple[str, ...] = ("small", "large")
TEXTURES: tuple[str, ...] = ("plain", "striped", "dotted", "checkered")

_PREFIXES = ("", "", "a photo of ", "a picture of ", "an image of ", "a photo of ", "a close-up photo of ")
_SIZE_RANGES = {"small": (0.26, 0.36), "large": (0.56, 0.72)}
_PAIR_SIZE_RANGE = (0.34, 0.42)


@dataclass(frozen=True)
class Thing:
    """One shape in a scene; position and size are fractions of the central square."""

    shape: str
    colour: str
    size: str
    rgb: tuple[int, int, int]
    cx: float
    cy: float
    extent: float
    angle: float


@dataclass(frozen=True)
class Scene:
    """Everything needed to render a picture and to say what is in it."""

    things: tuple[Thing, ...]
    texture: str
    background: tuple[int, int, int]
    ink: tuple[int, int, int]
    period: float
    pattern_angle: float
    seed: int = field(default=0)

    @property
    def colours(self) -> frozenset[str]:
        return frozenset(t.colour for t in self.things)

    @property
    def shapes(self) -> frozenset[str]:
        return frozenset(t.shape for t in self.things)

    def caption(self) -> str:
        """The complete description, e.g. 'a large red circle on a striped background'."""
        if len(self.things) == 1:
            t = self.things[0]
            subject = _with_article(f"{t.size} {t.colour} {t.shape}")
        else:
            subject = " and ".join(_with_article(f"{t.colour} {t.shape}") for t in self.things)
        return f"{subject} on a {self.texture} background"


def _with_article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _jitter_rgb(rng: random.Random, rgb: tuple[int, int, int], amount: int) -> tuple[int, int, int]:
    shift = [rng.randint(-amount, amount) for _ in range(3)]
    common = rng.randint(-amount, amount)
    return (
        max(0, min(255, rgb[0] + shift[0] + common)),
        max(0, min(255, rgb[1] + shift[1] + common)),
        max(0, min(255, rgb[2] + shift[2] + common)),
    )


def _neutral_pair(rng: random.Random) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """A low-saturation background tone and a pattern tone that differs in lightness."""
    base = rng.randint(70, 215)
    tint = rng.choice(((6, 3, -6), (-5, 0, 6), (0, 0, 0), (4, 4, 0)))
    background = tuple(max(0, min(255, base + c)) for c in tint)
    delta = rng.randint(40, 70) * (-1 if base > 140 else 1)
    ink = tuple(max(0, min(255, c + delta)) for c in background)
    return background, ink  # type: ignore[return-value]


def random_scene(
    rng: random.Random,
    *,
    pair_probability: float = 0.3,
    shape: str | None = None,
    colour: str | None = None,
    size: str | None = None,
    texture: str | None = None,
) -> Scene:
    """A random scene; any attribute given is fixed (and forces a single thing)."""
    fixed = shape is not None or colour is not None or size is not None
    pair = not fixed and rng.random() < pair_probability
    background, ink = _neutral_pair(rng)
    things: list[Thing] = []
    if pair:
        shapes = rng.sample(SHAPES, 2)
        colours = rng.sample(list(COLOURS), 2)
        left_first = rng.random() < 0.5
        for i in range(2):
            extent = rng.uniform(*_PAIR_SIZE_RANGE)
            slot = 0.27 if (i == 0) == left_first else 0.73
            things.append(
                Thing(
                    shape=shapes[i],
                    colour=colours[i],
                    size="small",
                    rgb=_jitter_rgb(rng, COLOURS[colours[i]], 14),
                    cx=slot + rng.uniform(-0.04, 0.04),
                    cy=0.5 + rng.uniform(-0.2, 0.2),
                    extent=extent,
                    angle=rng.uniform(-20, 20),
                )
            )
    else:
        chosen_size = size or rng.choice(SIZES)
        extent = rng.uniform(*_SIZE_RANGES[chosen_size])
        margin = (1 - extent) / 2 * 0.8
        chosen_colour = colour or rng.choice(list(COLOURS))
        things.append(
            Thing(
                shape=shape or rng.choice(SHAPES),
                colour=chosen_colour,
                size=chosen_size,
                rgb=_jitter_rgb(rng, COLOURS[chosen_colour], 14),
                cx=0.5 + rng.uniform(-margin, margin),
                cy=0.5 + rng.uniform(-margin, margin),
                extent=extent,
                angle=rng.uniform(-20, 20),
            )
        )
    return Scene(
        things=tuple(things),
        texture=texture or rng.choice(TEXTURES),
        background=background,
        ink=ink,
        period=rng.uniform(0.07, 0.13),
        pattern_angle=rng.choice((0.0, 45.0, 90.0, 135.0)),
        seed=rng.getrandbits(31),
    )


def training_caption(scene: Scene, rng: random.Random) -> str:
    """A caption with random wording and some attributes left out, as web captions are."""
    prefix = rng.choice(_PREFIXES)
    if len(scene.things) == 1:
        t = scene.things[0]
        keep_colour = rng.random() < 0.85
        keep_shape = rng.random() < 0.85 or not keep_colour
        words = []
        if rng.random() < 0.65:
            words.append(t.size)
        if keep_colour:
            words.append(t.colour)
        words.append(t.shape if keep_shape else "shape")
        subject = _with_article(" ".join(words))
    else:
        parts = [_with_article(f"{t.colour} {t.shape}") for t in scene.things]
        if rng.random() < 0.5:
            parts.reverse()
        subject = " and ".join(parts)
    if prefix and not prefix.endswith("of "):
        prefix += " "
    text = prefix + subject
    roll = rng.random()
    if roll < 0.35:
        text += f" on a {scene.texture} background"
    elif roll < 0.5:
        text += f" with a {scene.texture} background"
    if rng.random() < 0.3:
        text += "."
    return text


@functools.lru_cache(maxsize=32)
def _pattern_axes(width: int, height: int, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates along and across the pattern direction (cached: rendering is hot in training)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = math.radians(angle)
    u = xs * math.cos(theta) + ys * math.sin(theta)
    v = -xs * math.sin(theta) + ys * math.cos(theta)
    return u, v


def _background(scene: Scene, width: int, height: int) -> np.ndarray:
    period = max(4.0, scene.period * min(width, height))
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = scene.background
    if scene.texture == "plain":
        return canvas
    u, v = _pattern_axes(width, height, scene.pattern_angle)
    if scene.texture == "striped":
        mask = np.mod(u, period) < period * 0.5
    elif scene.texture == "dotted":
        du = np.mod(u, period) - period / 2
        dv = np.mod(v, period) - period / 2
        mask = du * du + dv * dv < (period * 0.28) ** 2
    else:  # checkered
        mask = (np.floor(u / period) + np.floor(v / period)) % 2 == 0
    canvas[mask] = scene.ink
    return canvas


def _outline(shape: str, cx: float, cy: float, radius: float, angle: float) -> list[tuple[float, float]]:
    """Polygon vertices of a shape inscribed in a circle of the given radius."""
    if shape == "circle":
        points = [(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * math.pi, 72, endpoint=False)]
    elif shape == "square":
        s = 0.78
        points = [(-s, -s), (s, -s), (s, s), (-s, s)]
    elif shape == "triangle":
        points = [(math.cos(a), math.sin(a) + 0.2) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    elif shape == "star":
        points = []
        for i in range(10):
            r = 1.0 if i % 2 == 0 else 0.42
            a = -math.pi / 2 + i * math.pi / 5
            points.append((r * math.cos(a), r * math.sin(a) + 0.08))
    elif shape == "cross":
        w, r = 0.3, 0.92
        points = [
            (-w, -r),
            (w, -r),
            (w, -w),
            (r, -w),
            (r, w),
            (w, w),
            (w, r),
            (-w, r),
            (-w, w),
            (-r, w),
            (-r, -w),
            (-w, -w),
        ]
    elif shape == "heart":
        points = []
        for t in np.linspace(0, 2 * math.pi, 72, endpoint=False):
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            points.append((x / 17.0, -y / 17.0 - 0.08))
    else:
        raise ValueError(f"unknown shape {shape!r}")
    c, s_ = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(cx + radius * (x * c - y * s_), cy + radius * (x * s_ + y * c)) for x, y in points]


def render(scene: Scene, width: int = 64, height: int | None = None, *, supersample: int = 2) -> Image.Image:
    """Draw the scene as an RGB image; shapes sit in the central square of the frame."""
    height = height or width
    big_w, big_h = width * supersample, height * supersample
    image = Image.fromarray(_background(scene, big_w, big_h), "RGB")
    draw = ImageDraw.Draw(image)
    side = min(big_w, big_h)
    left, top = (big_w - side) / 2, (big_h - side) / 2
    for t in scene.things:
        polygon = _outline(t.shape, left + t.cx * side, top + t.cy * side, t.extent * side / 2, t.angle)
        draw.polygon(polygon, fill=t.rgb)
    if supersample > 1:
        image = image.reduce(supersample)
    return image
