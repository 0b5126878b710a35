"""Label sets as data: what the JSON may say, what is refused with which message, how templates fill in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.tagging.labelsets import (
    DEFAULT_TEMPLATES,
    Label,
    LabelSet,
    check_label_set,
    fill_template,
    load_label_set_file,
    parse_label_set,
)


def write(folder: Path, data: Any, name: str = "set.json", *, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding=encoding)
    return path


# -- templates are filled, never evaluated (issue 16, item 6) ------------------------------------

HOSTILE_TEMPLATES = {
    "a photo of {label} {0}": "a photo of dog {0}",  # str.format: IndexError at tagging time
    "{label} {label:>900000000}": "dog {label:>900000000}",  # str.format: 900 MB of spaces, minutes, GBs
    "{label} {label.__class__.__mro__}": "dog {label.__class__.__mro__}",  # str.format: reached into objects
}


@pytest.mark.parametrize(("template", "prompt"), HOSTILE_TEMPLATES.items())
def test_templates_with_format_fields_fill_in_literally_and_fast(template: str, prompt: str) -> None:
    label_set = parse_label_set({"name": "Pets", "templates": [template], "labels": ["dog"]})
    started = time.perf_counter()
    assert label_set.prompts_for(label_set.labels[0]) == (prompt,)
    assert time.perf_counter() - started < 0.1


def test_fill_template_replaces_every_label_field_and_nothing_else() -> None:
    assert fill_template("{label}, {label}!", "cat") == "cat, cat!"
    assert fill_template("{{label}} {label!r} {}", "cat") == "{cat} {label!r} {}"
    assert fill_template("a photo of a {label}.", "{0} {label}") == "a photo of a {0} {label}."  # names are data too


def test_a_template_without_label_is_refused_with_an_example() -> None:
    with pytest.raises(LibraryError, match=r"template 1 .* has no \{label\}.*a photo of a \{label\}"):
        parse_label_set({"name": "Pets", "templates": ["{label.__class__}"], "labels": ["dog"]})


def test_labels_without_prompts_use_the_default_templates() -> None:
    label_set = LabelSet("Pets", (Label("dog"), Label("cat", prompts=("a cat on a sofa",))))
    assert label_set.prompts_for(label_set.labels[0]) == tuple(t.replace("{label}", "dog") for t in DEFAULT_TEMPLATES)
    assert label_set.prompts_for(label_set.labels[1]) == ("a cat on a sofa",)


# -- text XMP cannot hold (item 3) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Pets", "labels": ["bad\x01label"]},
        {"name": "Pets", "labels": [{"name": "dog", "parent": "ani\x02mals"}, {"name": "ani\x02mals"}]},
        {"name": "Pe\x1bts", "labels": ["dog"]},
        {"name": "Pets", "description": "\x00", "labels": ["dog"]},
        {"name": "Pets", "labels": [{"name": "dog", "prompts": ["a \x08dog"]}]},
        {"name": "Pets", "templates": ["a {label}\x7f"], "labels": ["dog"]},
        {"name": "Pets", "background": ["a photo\x0c"], "labels": ["dog"]},
    ],
)
def test_control_characters_are_refused_wherever_they_are(data: dict[str, Any]) -> None:
    with pytest.raises(LibraryError, match=r"contains a control character \(U\+00[0-9A-F]{2}\).*remove it"):
        parse_label_set(data, source="pets.json")


def test_every_entry_point_refuses_them_the_same_way() -> None:
    """The editor and the free-text tag box build LabelSets directly; they go through check_label_set too."""
    with pytest.raises(LibraryError) as error:
        check_label_set(LabelSet("My tags", (Label("Bad\x07Tag"),)), source="Label set 'My tags'")
    message = str(error.value)
    assert message == (
        "Label set 'My tags': A label 'Bad\\x07Tag' contains a control character (U+0007) that XMP files "
        "cannot hold; remove it."
    )
    assert "\n" not in message and "\x07" not in message  # one printable line, the label's case as written


def test_tabs_newlines_and_any_script_are_allowed() -> None:
    label_set = parse_label_set({"name": "Orte", "description": "Wo?\nWhere?", "labels": ["Kraków", "東京", "a\tb"]})
    assert [label.name for label in label_set.labels] == ["Kraków", "東京", "a\tb"]


# -- what the JSON may say (item 12) -------------------------------------------------------------


@pytest.mark.parametrize("value", ["false", "true", "no", 0, 1, [], {}])
def test_exclusive_must_be_a_json_boolean(value: object) -> None:
    """ "exclusive": "false" used to be taken as true (a non-empty text)."""
    with pytest.raises(LibraryError, match=r"'exclusive' must be true or false \(without quotes\), not"):
        parse_label_set({"name": "Pets", "exclusive": value, "labels": ["dog"]}, source="pets.json")


def test_exclusive_true_false_or_absent() -> None:
    assert parse_label_set({"name": "P", "exclusive": True, "labels": ["dog"]}).exclusive is True
    assert parse_label_set({"name": "P", "exclusive": False, "labels": ["dog"]}).exclusive is False
    assert parse_label_set({"name": "P", "labels": ["dog"]}).exclusive is False


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows Notepad and Excel save UTF-8 with a BOM; json.loads refused it."""
    path = write(tmp_path, {"name": "Orte", "labels": ["Kraków"]}, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    label_set = load_label_set_file(path)
    assert label_set.name == "Orte" and label_set.labels[0].name == "Kraków"


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_a_clear_error_not_a_recursion_error(tmp_path: Path, opening: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(opening * 200_000, encoding="utf-8")
    with pytest.raises(LibraryError, match="deep.json is nested too deeply to be a label set") as error:
        load_label_set_file(path)
    assert isinstance(error.value.__cause__, RecursionError)


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(50 << 20)
    with pytest.raises(LibraryError, match="too big to be a label set"):
        load_label_set_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a readable JSON label set"),
        ("[]", "must be a JSON object"),
        ('{"name": "x"}', "needs a non-empty 'labels' list"),
    ],
)
def test_broken_files_name_the_file_and_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LibraryError, match=message) as error:
        load_label_set_file(path)
    assert str(path) in str(error.value)


def test_a_missing_file_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="Label set file not found"):
        load_label_set_file(tmp_path / "nope.json")
