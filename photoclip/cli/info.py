"""Commands that explain: status, doctor (models: see models.py)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from photoclip.cli.common import EXIT_ERROR, open_library
from photoclip.core import counted, human_bytes

if TYPE_CHECKING:
    from photoclip.core import PlaceNode, TextStatus


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    status = commands.add_parser("status", help="library statistics", parents=[common])
    status.add_argument("--json", action="store_true", help="print the statistics as JSON")
    status.set_defaults(handler=cmd_status)

    doctor = commands.add_parser("doctor", help="check the installation, device, model and library", parents=[common])
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.add_argument(
        "--selftest", action="store_true", help="also index and search generated photos with the bundled model"
    )
    doctor.add_argument(
        "--repair",
        action="store_true",
        help="restore a damaged library database from its latest backup and rebuild a stale index",
    )
    doctor.set_defaults(handler=cmd_doctor)


_PRINTED_SKIPS = 10
_LISTED_SKIPS = 100


def cmd_status(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        status = library.status()
        skipped = library.photos.skipped(limit=_LISTED_SKIPS) if status.skip_reasons else []
        text = library.texts.status()
        places = library.places.tree()
    data = {
        "library": str(status.directory),
        "model": status.model_key,
        "model_id": status.model_id,
        "photos": status.photos,
        "indexed": status.embedded,
        "pending": status.pending,
        "skipped": status.skipped,
        "skip_reasons": status.skip_reasons,
        "skipped_files": [{"path": str(s.path), "reason": s.reason, "message": s.message} for s in skipped],
        "duplicates": status.duplicates,
        "folders": [
            {"path": str(f.path), "photos": f.photos, "offline": f.offline, "last_scan": f.last_scan}
            for f in status.folders
        ],
        "other_models": status.other_models,
        "text": {
            "engine": text.engine,
            "enabled": text.enabled,
            "read": text.counts.read,
            "with_words": text.counts.with_text,
            "passed_over": text.counts.gated,
            "failed": text.counts.failed,
            "pending": text.counts.pending,
            "how_to_get": text.how_to_get,
        },
        "places": {"countries": len(places), "photos": sum(n.photos for n in places)},
        "catalog_bytes": status.catalog_bytes,
        "index_bytes": status.index_bytes,
        "switch": None
        if status.switch is None
        else {
            "to": status.switch.name,
            "model_id": status.switch.spec.model_id,
            "done": status.switch.done,
            "total": status.switch.total,
        },
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"Library:  {status.directory}")
    print(f"Model:    {status.model_key} ({status.model_id})")
    print(f"Photos:   {status.photos} ({status.embedded} indexed, {status.pending} to do)")
    if status.duplicates:
        print(f"          {status.duplicates} are exact duplicates of other photos (indexed once)")
    for folder in status.folders:
        flag = "  [offline: missing from disk; its photos are kept until it returns]" if folder.offline else ""
        print(f"  {folder.path}: {counted(folder.photos, 'photo')}{flag}")
    if status.skip_reasons:
        # photos that could not be read, and folder entries that never became photos (links, pipes, ...)
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(status.skip_reasons.items()))
        print(f"Skipped:  {status.skipped} ({reasons})")
        for entry in skipped[:_PRINTED_SKIPS]:
            print(f"  {entry.path}: {entry.message} [{entry.reason}]")
        if status.skipped > _PRINTED_SKIPS:
            print(f"  ... and {status.skipped - _PRINTED_SKIPS} more ('photoclip status --json' lists {_LISTED_SKIPS})")
    _print_text_and_places(text, places)
    for model_id, count in status.other_models.items():
        print(f"Also stored: {count} vectors of {model_id}")
    if status.switch is not None:
        print(
            f"Switching: to {status.switch.name}, {status.switch.done} of {status.switch.total} photos re-embedded "
            "(continues with 'photoclip index', 'photoclip watch' or the app; searches use the current model)"
        )
    print(f"Disk:     catalog {human_bytes(status.catalog_bytes)}, index {human_bytes(status.index_bytes)}")
    return 0


def _print_text_and_places(text: TextStatus, places: list[PlaceNode]) -> None:
    counts = text.counts
    if text.engine is None:
        print(f"Text:     not read. {text.how_to_get}")
    else:
        off = "; reading is off (Preferences or settings.json: read_text)" if not text.enabled else ""
        print(
            f"Text:     {counted(counts.read, 'photo')} read ({counts.with_text:,} with words), "
            f"{counts.gated:,} passed over "
            f"(no text, says the model), {counts.pending} to do; engine: {text.engine}{off}"
        )
    if places:
        located = counted(sum(n.photos for n in places), "photo")
        print(f"Places:   {located} in {counted(len(places), 'country', 'countries')} ('photoclip places')")


def cmd_doctor(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from photoclip.core import CatalogDamaged, Check, default_library_dir, repair, run_checks, self_test

    if args.repair:
        directory = Path(args.library or default_library_dir()).expanduser().resolve()
        for action in repair(directory):
            print(f"Repair: {action}")
    try:
        with open_library(args) as library:
            checks = run_checks(library)
    except CatalogDamaged as e:
        checks = [Check("catalog", "error", str(e))]
    if args.selftest:
        with tempfile.TemporaryDirectory(prefix="photoclip-selftest-") as scratch:
            checks.append(self_test(Path(scratch)))
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "error": "FAIL"}
        for check in checks:
            print(f"[{marks[check.status]}] {check.name}: {check.detail}")
    return EXIT_ERROR if any(c.status == "error" for c in checks) else 0
