"""Library settings: defaults, forgiving reads, checked and atomic updates."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from photoclip.core.clip.registry import DEFAULT_MODEL_KEY
from photoclip.core.errors import LibraryError
from photoclip.core.store.settings import LibrarySettings, SettingsFile, check_settings


def write_settings(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def saved(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_missing_file_gives_the_defaults_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = SettingsFile(path).current
    assert settings == LibrarySettings()
    assert settings.model == DEFAULT_MODEL_KEY
    assert settings.device == "auto" and settings.precision == "auto"
    assert settings.ignore_patterns == ()
    assert not path.exists()


@pytest.mark.parametrize("text", ["{not json", "[1, 2, 3]", '"a string"', ""])
def test_an_unreadable_or_non_object_file_gives_the_defaults(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert SettingsFile(path).current == LibrarySettings()
    assert any("settings" in r.getMessage() for r in caplog.records)


def test_one_bad_value_costs_only_that_value(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_settings(
        tmp_path / "settings.json",
        {
            "model": "vit-l-14",
            "device": "gpu9",  # bad
            "precision": "float8",  # bad
            "batch_size": "many",  # bad type
            "decode_workers": -1,  # bad range
            "sidecar_naming": "lightroom",
            "ignore_patterns": ["*.tmp", "@eaDir"],
            "write_sidecars_on_change": True,
        },
    )
    with caplog.at_level(logging.WARNING):
        settings = SettingsFile(path).current

    assert settings.model == "vit-l-14"  # above all, the model survives
    assert settings.sidecar_naming == "lightroom"
    assert settings.ignore_patterns == ("*.tmp", "@eaDir")
    assert settings.write_sidecars_on_change is True
    assert settings.device == "auto"
    assert settings.precision == "auto"
    assert settings.batch_size == LibrarySettings().batch_size
    assert settings.decode_workers == LibrarySettings().decode_workers
    warned = " ".join(r.getMessage() for r in caplog.records)
    for key in ("device", "precision", "batch_size", "decode_workers"):
        assert key in warned


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "settings.json", {"model": "rn50", "from_the_future": 1})
    assert SettingsFile(path).current == dataclasses.replace(LibrarySettings(), model="rn50")


def test_a_read_device_is_normalised(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "settings.json", {"device": " CUDA:1 "})
    assert SettingsFile(path).current.device == "cuda:1"


@pytest.mark.parametrize(
    "changes",
    [
        {"device": "gpu"},
        {"device": "cuda:x"},
        {"device": "cuda:"},
        {"precision": "float64"},
        {"sidecar_naming": "picasa"},
        {"batch_size": 0, "model": "vit-l-14"},
        {"decode_workers": -1},
        {"index_save_seconds": 0},
        {"no_such_setting": 1},
    ],
)
def test_update_refuses_bad_values_and_saves_nothing(tmp_path: Path, changes: dict[str, object]) -> None:
    path = tmp_path / "settings.json"
    settings_file = SettingsFile(path)
    settings_file.update(model="rn50")
    before = path.read_bytes()

    with pytest.raises(LibraryError):
        settings_file.update(**{"batch_size": 64, **changes})  # nor is the good change made in the same call

    assert path.read_bytes() == before
    assert settings_file.current == dataclasses.replace(LibrarySettings(), model="rn50")
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_refused_first_update_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    with pytest.raises(LibraryError, match="device"):
        SettingsFile(path).update(device="tpu")
    assert not path.exists()


def test_update_saves_what_a_fresh_read_gets_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings_file = SettingsFile(path)

    updated = settings_file.update(
        model="vit-l-14",
        checkpoint="/weights/model.safetensors",
        device="CUDA:0",
        precision="bfloat16",
        batch_size=8,
        draft_decode=False,
        index_save_seconds=30.0,
        sidecar_naming="lightroom",
        sidecar_include_suggestions=True,
    )

    assert updated.device == "cuda:0"  # normalised before saving
    assert settings_file.current == updated
    assert SettingsFile(path).current == updated
    assert saved(path)["device"] == "cuda:0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_ignore_patterns_are_a_tuple_in_memory_and_a_list_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings_file = SettingsFile(path)

    updated = settings_file.update(ignore_patterns=["*.tmp", ".thumbnails"])

    assert updated.ignore_patterns == ("*.tmp", ".thumbnails")
    assert isinstance(updated.ignore_patterns, tuple)
    assert saved(path)["ignore_patterns"] == ["*.tmp", ".thumbnails"]
    assert SettingsFile(path).current.ignore_patterns == ("*.tmp", ".thumbnails")
    assert hash(updated)  # frozen settings stay hashable, which a list would break


def test_an_update_that_changes_nothing_does_not_rewrite_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings_file = SettingsFile(path)
    settings_file.update(model="rn50")
    data = saved(path)
    data["kept_by_a_newer_version"] = True  # would be lost by a rewrite
    write_settings(path, data)

    settings_file.update(model="rn50")

    assert saved(path)["kept_by_a_newer_version"] is True


def test_an_update_without_changes_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    SettingsFile(path).update()
    assert saved(path) == LibrarySettings().as_json()


def test_save_writes_the_current_settings(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "settings.json"
    settings = dataclasses.replace(LibrarySettings(), model="rn50", ignore_patterns=("a",))
    SettingsFile(path, settings).save()
    assert SettingsFile(path).current == settings


def test_check_settings_accepts_each_device_choice() -> None:
    for device in ("auto", "cpu", "cuda", "mps", "cuda:0", "cuda:12"):
        assert check_settings(dataclasses.replace(LibrarySettings(), device=device)).device == device


def test_a_value_of_the_wrong_type_in_the_file_is_dropped(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "settings.json", {"ignore_patterns": "*.tmp", "model": 5, "draft_decode": "no"})
    settings = SettingsFile(path).current
    assert settings.ignore_patterns == ()
    assert settings.model == DEFAULT_MODEL_KEY
    assert settings.draft_decode is True
