"""Which photo of a group to keep, and why: a documented score from measured properties.

Each part is a number from 0 to 1 measured against the rest of the group, weighed by
`WEIGHTS` for copies of one picture (which is the original matters most) and by
`BURST_WEIGHTS` for the frames of a burst (which is sharpest matters most); the highest
total is the suggested keeper (ties: the photo found first):

    sharpness   variance of the Laplacian on a fixed-size grey image over the image's own
                variance (`measure`), over the group's sharpest: the blurrier frame, the
                upscaled or heavily compressed copy scores lower
    resolution  pixels over the group's largest
    exposure    1 minus the extra share of clipped (pure black or white) pixels over the
                group's best exposed, reaching 0 at 5 points more
    original    the file type (camera RAW > TIFF/HEIF > JPEG > PNG > WebP > GIF/BMP: what a
                camera writes before what tools convert to; 40%), the bytes per pixel over the
                group's highest (a re-encode of the same pixels is smaller; 30%), and the
                file's age, from 1 for the oldest to 0 for the newest (copies, exports and
                edits are made after the original; 30%)
    yours       tags you accepted or added and albums you put it in, over the group's most
                (what you have already picked out of the group)

The reasons shown for the keeper are the parts where it clearly beats every other photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WEIGHTS = {"sharpness": 0.15, "resolution": 0.30, "exposure": 0.10, "original": 0.30, "yours": 0.15}
BURST_WEIGHTS = {"sharpness": 0.50, "resolution": 0.10, "exposure": 0.20, "original": 0.10, "yours": 0.10}

FILE_TYPE_RANK = {"raw": 1.0, "tiff": 0.85, "heif": 0.85, "avif": 0.8, "jpeg": 0.7, "png": 0.6, "webp": 0.5}
"""How likely a file type is the camera's original rather than a conversion (others: 0.3)."""

_CLIPPING_SPAN = 0.05
_CLEARLY = 1.15  # "sharper", "larger", "original": by at least this factor


@dataclass(frozen=True)
class Shot:
    """One photo of a group, with what the score and the reasons read."""

    id: int
    path: Path
    width: int
    height: int
    size: int
    file_type: str
    sharpness: float
    clipping: float
    luma: float
    contrast: float
    content_hash: str | None
    marks: int = 0  # tags you gave it and albums you put it in
    taken_at: str | None = None
    mtime_ns: int = 0

    @property
    def pixels(self) -> int:
        return max(1, self.width * self.height)


def parts(shot: Shot, group: list[Shot]) -> dict[str, float]:
    """The score's parts for one photo of a group (see the module docstring)."""
    sharpest = max(s.sharpness for s in group)
    largest = max(s.pixels for s in group)
    least_clipped = min(s.clipping for s in group)
    densest = max(s.size / s.pixels for s in group)
    most_marks = max(s.marks for s in group)
    oldest, newest = min(s.mtime_ns for s in group), max(s.mtime_ns for s in group)
    age = (newest - shot.mtime_ns) / (newest - oldest) if newest > oldest else 1.0
    return {
        "sharpness": shot.sharpness / sharpest if sharpest > 0 else 1.0,
        "resolution": shot.pixels / largest,
        "exposure": max(0.0, 1.0 - (shot.clipping - least_clipped) / _CLIPPING_SPAN),
        "original": 0.4 * FILE_TYPE_RANK.get(shot.file_type, 0.3)
        + 0.3 * (shot.size / shot.pixels) / densest
        + 0.3 * age,
        "yours": shot.marks / most_marks if most_marks else 0.0,
    }


def score(shot: Shot, group: list[Shot], *, burst: bool = False) -> float:
    weights = BURST_WEIGHTS if burst else WEIGHTS
    return sum(weights[name] * value for name, value in parts(shot, group).items())


def rank(group: list[Shot], *, burst: bool = False) -> list[tuple[Shot, float]]:
    """The group best first, with each photo's score."""
    scored = [(shot, score(shot, group, burst=burst)) for shot in group]
    return sorted(scored, key=lambda pair: (-round(pair[1], 9), pair[0].id))


def why_best(best: Shot, others: list[Shot], *, burst: bool = False) -> list[str]:
    """What makes the keeper better than every other photo of its group, in words (frames of a burst are all
    originals: only what the camera caught differently counts there)."""
    if not others:
        return []
    reasons = _clearly_better(best, others)
    if burst:
        return reasons or ["as good as the others: the first one"]
    reasons += _more_original(best, others)
    if not reasons:
        if all(o.content_hash == best.content_hash for o in others):
            reasons.append("identical files: the first one found")
        else:
            reasons.append("best overall on sharpness, size and exposure")
    return reasons


def _clearly_better(best: Shot, others: list[Shot]) -> list[str]:
    reasons = []
    if best.sharpness >= _CLEARLY * max(o.sharpness for o in others):
        reasons.append("sharper")
    if best.pixels >= _CLEARLY * max(o.pixels for o in others):
        reasons.append("larger")
    if best.clipping + 0.01 < min(o.clipping for o in others):
        reasons.append("better exposed")
    if best.marks > max(o.marks for o in others):
        reasons.append("tagged or kept in an album by you")
    return reasons


def _more_original(best: Shot, others: list[Shot]) -> list[str]:
    reasons = []
    if best.mtime_ns < min(o.mtime_ns for o in others) and best.file_type in {o.file_type for o in others}:
        reasons.append("the oldest file (the copies came later)")
    same_pixels = [
        o
        for o in others
        if o.pixels == best.pixels and o.content_hash != best.content_hash and relation(o, best, 0) == "re-encoded"
    ]
    rank_best = FILE_TYPE_RANK.get(best.file_type, 0.3)
    if same_pixels and all(
        best.size / best.pixels >= _CLEARLY * o.size / o.pixels or rank_best > FILE_TYPE_RANK.get(o.file_type, 0.3)
        for o in same_pixels
    ):
        reasons.append("the original, not a re-encode")
    return reasons


def relation(shot: Shot, best: Shot, hamming: int) -> str:
    """How a duplicate differs from the keeper: same file, re-encoded, resized, cropped or edited."""
    if shot.content_hash is not None and shot.content_hash == best.content_hash:
        return "same file"
    if (shot.width, shot.height) != (best.width, best.height):
        aspect, best_aspect = shot.width / max(1, shot.height), best.width / max(1, best.height)
        kept_view = abs(aspect - best_aspect) <= 0.02 * best_aspect and hamming <= 4
        return "resized" if kept_view else "cropped"
    brighter = abs(shot.luma - best.luma) > 2.0
    contrastier = abs(shot.contrast - best.contrast) > 0.03 * max(1.0, best.contrast)
    if brighter or contrastier or hamming > 6:
        return "edited"
    return "re-encoded"
