"""Label sets: named lists of labels that auto-tagging scores photos against.

A label set is data, not code: built-in sets ship as JSON in
resources/labelsets/ (like open_clip's model configs), users create, edit,
import and export their own, and all of them live in the catalog. This module
defines the shape, validates it, and reads/writes the JSON exchange format:

    {
      "name": "Scenes",
      "description": "Where the photo was taken.",
      "exclusive": true,                      # one label per photo (else any number)
      "threshold": 0.5,                       # optional: confidence needed for a suggestion
      "templates": ["a photo of a {label}."], # optional: fills in labels without prompts
      "background": ["a photo."],             # optional: what "none of these" looks like
      "labels": [
        {"name": "beach", "prompts": ["a photo of a beach."]},
        {"name": "dog", "parent": "animals", "threshold": 0.6},
        {"name": "animals"}
      ]
    }
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from photoclip.core.errors import LibraryError
from photoclip.core.media.xmp import check_xml_text

DEFAULT_TEMPLATES: tuple[str, ...] = (
    "a photo of a {label}.",
    "a photo of the {label}.",
    "a close-up photo of a {label}.",
    "a bright photo of a {label}.",
    "a good photo of a {label}.",
    "a photo of my {label}.",
    "a cropped photo of a {label}.",
)
"""Prompt templates in the spirit of the CLIP paper's ensemble for ImageNet (abridged)."""

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Label:
    name: str
    prompts: tuple[str, ...] = ()
    parent: str | None = None
    threshold: float | None = None

    def path(self, labels: dict[str, Label]) -> tuple[str, ...]:
        """Names from the root down, e.g. ('animals', 'dog'), for hierarchical keywords."""
        chain = [self.name]
        seen = {self.name}
        parent = self.parent
        while parent and parent in labels and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = labels[parent].parent
        return tuple(reversed(chain))


@dataclass(frozen=True)
class LabelSet:
    name: str
    labels: tuple[Label, ...]
    exclusive: bool = False
    description: str = ""
    threshold: float | None = None
    templates: tuple[str, ...] = ()
    builtin: bool = False
    background: tuple[str, ...] = ()  # neutral prompts multi-label sets compare against
    id: int | None = field(default=None, compare=False)

    def prompts_for(self, label: Label) -> tuple[str, ...]:
        """The label's own prompts, or the set's templates (or the defaults) filled with its name."""
        if label.prompts:
            return label.prompts
        templates = self.templates or DEFAULT_TEMPLATES
        return tuple(fill_template(t, label.name) for t in templates)

    def threshold_for(self, label: Label) -> float:
        if label.threshold is not None:
            return label.threshold
        return self.threshold if self.threshold is not None else DEFAULT_THRESHOLD

    def by_name(self) -> dict[str, Label]:
        return {label.name: label for label in self.labels}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "description": self.description, "exclusive": self.exclusive}
        if self.threshold is not None:
            data["threshold"] = self.threshold
        if self.templates:
            data["templates"] = list(self.templates)
        if self.background:
            data["background"] = list(self.background)
        labels = []
        for label in self.labels:
            entry: dict[str, Any] = {"name": label.name}
            if label.prompts:
                entry["prompts"] = list(label.prompts)
            if label.parent:
                entry["parent"] = label.parent
            if label.threshold is not None:
                entry["threshold"] = label.threshold
            labels.append(entry)
        data["labels"] = labels
        return data


def fill_template(template: str, label: str) -> str:
    """The template with each ``{label}`` replaced by the label's name; nothing else is interpreted.

    Literal replacement, never `str.format`: a template is user data, and format
    fields such as ``{0}`` or ``{label.__class__}`` would fail or reach into objects.
    """
    return template.replace(LABEL_FIELD, label)


LABEL_FIELD = "{label}"


def check_label_set(label_set: LabelSet, *, source: str = "label set") -> LabelSet:
    """The set if it is well formed, else one LibraryError naming the source and the problem.

    Every way a set enters the library (the editor, `photoclip labelsets import`,
    keyword import, the built-ins) comes through here, so they all refuse the same things.
    """

    def fail(problem: str) -> LibraryError:
        return LibraryError(f"{source}: {problem}")

    if not label_set.name.strip():
        raise fail("needs a 'name'")
    _check_texts(label_set, fail)
    if not label_set.labels:
        raise fail("needs a non-empty 'labels' list")
    labels = label_set.by_name()
    if len(labels) != len(label_set.labels):
        twice = next(n for n in labels if sum(label.name == n for label in label_set.labels) > 1)
        raise fail(f"label {twice!r} appears twice")
    for label in label_set.labels:
        if label.parent is not None and label.parent not in labels:
            raise fail(f"the parent {label.parent!r} of {label.name!r} is not a label of this set")
    for number, template in enumerate(label_set.templates, 1):
        if LABEL_FIELD not in template:
            raise fail(
                f"template {number} (“{template}”) has no {{label}}: write where the label's name goes, "
                "e.g. “a photo of a {label}.”"
            )
    _check_no_loops(labels, fail)
    return label_set


def _check_texts(label_set: LabelSet, fail: Callable[[str], LibraryError]) -> None:
    """Every text of a set must be one XMP can hold: names end up as keywords in sidecars."""
    texts = [("the name", label_set.name), ("the description", label_set.description)]
    texts += [("a label", label.name) for label in label_set.labels]
    texts += [(f"a prompt of {label.name!r}", text) for label in label_set.labels for text in label.prompts]
    texts += [("a template", text) for text in label_set.templates]
    texts += [("a background prompt", text) for text in label_set.background]
    for what, text in texts:
        try:
            check_xml_text(text, what)
        except LibraryError as e:
            raise fail(str(e)) from None


def _check_no_loops(labels: dict[str, Label], fail: Any) -> None:
    """Parents form a tree: following them from any label must never come back to it."""
    for label in labels.values():
        chain = [label.name]
        parent = label.parent
        while parent is not None and parent in labels:
            chain.append(parent)
            if parent == label.name:
                raise fail(
                    f"the parents of {label.name!r} go round in a circle ({' → '.join(chain)}): "
                    "a label cannot be its own ancestor"
                )
            if len(chain) > len(labels) + 1:
                break
            parent = labels[parent].parent


def parse_label_set(data: Any, *, source: str = "label set", builtin: bool = False) -> LabelSet:
    """Validate the JSON form; every problem is reported as one LibraryError naming the source."""

    def fail(problem: str) -> LibraryError:
        return LibraryError(f"{source}: {problem}")

    if not isinstance(data, dict):
        raise fail("must be a JSON object with 'name' and 'labels'")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("needs a 'name'")
    raw_labels = data.get("labels")
    if not isinstance(raw_labels, list) or not raw_labels:
        raise fail("needs a non-empty 'labels' list")
    labels = [_parse_label(raw, number, fail) for number, raw in enumerate(raw_labels, 1)]
    templates = data.get("templates", [])
    if not isinstance(templates, list) or not all(isinstance(t, str) and t.strip() for t in templates):
        raise fail("'templates' must be a list of texts containing {label}")
    background = data.get("background", [])
    if not isinstance(background, list) or not all(isinstance(b, str) and b.strip() for b in background):
        raise fail("'background' must be a list of texts")
    label_set = LabelSet(
        name=name.strip(),
        labels=tuple(labels),
        exclusive=_flag(data.get("exclusive", False), fail, "exclusive"),
        description=str(data.get("description", "")),
        threshold=_threshold(data.get("threshold"), fail, "threshold"),
        templates=tuple(t.strip() for t in templates),
        builtin=builtin,
        background=tuple(background),
    )
    return check_label_set(label_set, source=source)


def _parse_label(raw: Any, number: int, fail: Callable[[str], LibraryError]) -> Label:
    """One entry of 'labels': a name, or an object with a name and optional prompts, parent and threshold."""
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise fail(f"label {number} needs a 'name'")
    name = raw["name"].strip()
    prompts = raw.get("prompts", [])
    if not isinstance(prompts, list) or not all(isinstance(p, str) and p.strip() for p in prompts):
        raise fail(f"the prompts of {name!r} must be a list of texts")
    return Label(
        name,
        tuple(p.strip() for p in prompts),
        _optional_text(raw.get("parent"), fail, f"parent of {name!r}"),
        _threshold(raw.get("threshold"), fail, f"threshold of {name!r}"),
    )


def _flag(value: Any, fail: Callable[[str], LibraryError], what: str) -> bool:
    """JSON true or false; the text "false" is a mistake to point out, not a true value."""
    if not isinstance(value, bool):
        raise fail(f"'{what}' must be true or false (without quotes), not {value!r}")
    return value


def _optional_text(value: Any, fail: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise fail(f"{what} must be a text")
    return value.strip()


def _threshold(value: Any, fail: Any, what: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise fail(f"{what} must be a number between 0 and 1")
    return float(value)


MAX_FILE_BYTES = 4 << 20
"""A label set file bigger than this is not a label set (the largest built-in one is about 10 KB)."""


def load_label_set_file(path: Path) -> LabelSet:
    """Read and check a label set file (UTF-8, with or without a byte order mark)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LibraryError(f"{path} is {size / 1e6:.0f} MB: too big to be a label set (at most 4 MB).")
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as e:
        raise LibraryError(f"Label set file not found: {path}") from e
    except RecursionError as e:
        raise LibraryError(f"{path} is nested too deeply to be a label set.") from e
    except (OSError, ValueError) as e:
        raise LibraryError(f"{path} is not a readable JSON label set: {e}") from e
    return parse_label_set(data, source=str(path))


def builtin_label_sets() -> list[LabelSet]:
    """The sets shipped in resources/labelsets/, sorted by name."""
    folder = resources.files("photoclip.resources").joinpath("labelsets")
    sets = []
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            sets.append(parse_label_set(data, source=f"built-in {entry.name}", builtin=True))
    return sorted(sets, key=lambda s: s.name.lower())


def with_label(label_set: LabelSet, label: Label) -> LabelSet:
    """A copy with `label` added or replaced (by name)."""
    labels = [existing for existing in label_set.labels if existing.name != label.name] + [label]
    return replace(label_set, labels=tuple(labels))
