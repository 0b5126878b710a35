"""Commands that choose and look after models: models list, download, use, remove, import, verify."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from photoclip.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, open_library, run_update
from photoclip.core import counted, human_bytes

if TYPE_CHECKING:
    from photoclip.core import ModelInfo, ModelManager


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    models = commands.add_parser(
        "models",
        help="list, download, switch, remove or import models",
        description="The models photoclip can use: what each costs and offers, and which this library uses.",
        epilog="Without an action: 'list'. Weights live in your cache folder (PHOTOCLIP_CACHE); "
        "a library keeps the vectors of every model it used, so switching back is instant.",
        parents=[common],
    )
    models.add_argument("--all", action="store_true", help="also list every published open_clip model (ARCH/TAG)")
    models.set_defaults(handler=cmd_list, json=False)
    actions = models.add_subparsers(dest="models_action", metavar="ACTION")

    listing = actions.add_parser("list", help="the models with size, languages, quality, speed", parents=[common])
    listing.add_argument("--all", action="store_true", help="also list every published open_clip model (ARCH/TAG)")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(handler=cmd_list)

    download = actions.add_parser(
        "download",
        help="download a model's weights (resumes; Ctrl-C stops and keeps what arrived)",
        parents=[common],
    )
    download.add_argument("name", metavar="NAME", help="a model name from 'photoclip models list', or ARCH/TAG")
    download.add_argument("--no-progress", action="store_true", help="no progress bar")
    download.set_defaults(handler=cmd_download)

    use = actions.add_parser(
        "use",
        help="switch this library to a model; photos are re-embedded in the background",
        description="Switch the library to another model. Searches keep using the current model until "
        "every photo has a vector of the new one; the re-embedding runs with the next 'photoclip index', "
        "'photoclip watch' or in the app (or now, with --now).",
        parents=[common],
    )
    use.add_argument("name", metavar="NAME", help="a model name from 'photoclip models list', or ARCH/TAG")
    use.add_argument("--now", action="store_true", help="re-embed the photos now, with a progress bar")
    use.add_argument("--no-progress", action="store_true", help="no progress bar")
    use.set_defaults(handler=cmd_use)

    remove = actions.add_parser("remove", help="delete a model's weights from the cache", parents=[common])
    remove.add_argument("name", metavar="NAME", help="a downloaded or imported model")
    remove.add_argument("--force", action="store_true", help="even if this library uses it or is switching to it")
    remove.add_argument("--vectors", action="store_true", help="also delete this library's vectors of that model")
    remove.set_defaults(handler=cmd_remove)

    imports = actions.add_parser(
        "import",
        help="add a local checkpoint file as a model of its own",
        description="Copy a checkpoint (.safetensors, .pt, .pth, .bin) into the cache under a name, after "
        "checking that it loads into the given architecture.",
        parents=[common],
    )
    imports.add_argument("path", type=Path, metavar="PATH", help="the checkpoint file")
    imports.add_argument(
        "--arch",
        required=True,
        metavar="NAME",
        help="its architecture: a photoclip model (vit-b-32, photoclip-tiny), an open_clip one (ViT-B-32), "
        "or ARCH/TAG to also take that tag's preprocessing",
    )
    imports.add_argument("--name", metavar="NAME", help="the model's name (default: the file's name)")
    imports.set_defaults(handler=cmd_import)

    verify = actions.add_parser("verify", help="re-check a model's weights against their sha256", parents=[common])
    verify.add_argument("name", metavar="NAME", help="a downloaded or imported model")
    verify.set_defaults(handler=cmd_verify)


def _manager(args: argparse.Namespace) -> ModelManager:
    from photoclip.core import ModelManager

    with open_library(args) as library:
        return ModelManager.for_library(library)


# -- list ------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    manager = _manager(args)
    infos = manager.models()
    if args.json:
        print(json.dumps([info.as_dict() for info in infos], indent=2))
        return 0
    rows = [("", "NAME", "DOWNLOAD", "LANGUAGES", "IMAGENET", "SPEED", "ON DISK")]
    for info in infos:
        rows.append(_row(info))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number:
            info = infos[number - 1]
            notes = [info.description]
            if info.missing_requirement and info.missing_requirement not in info.description:
                notes.append(f"needs: {info.missing_requirement}")
            print(f"{'':{widths[0] + 2}}{' '.join(notes)}")
    print(
        f"\nSPEED: photos per second relative to the default model on this {manager.device_class.upper()}"
        " (~ marks an estimate). * in use, > switching to."
    )
    if args.all:
        import open_clip

        print("\nAll published open_clip weights (use as NAME: ARCH/TAG):")
        for arch, tag in open_clip.list_pretrained():
            print(f"  {arch}/{tag}")
    return 0


def _row(info: ModelInfo) -> tuple[str, str, str, str, str, str, str]:
    mark = "*" if info.in_use else ">" if info.switching_to else ""
    if info.kind == "bundled":
        download = "bundled"
    elif info.download_bytes is None:
        download = "imported" if info.kind == "imported" else "-"
    else:
        download = _decimal_bytes(info.download_bytes)
    quality = f"{info.imagenet_top1:.1%}" if info.imagenet_top1 is not None else "-"
    speed = "-"
    if info.speed is not None:
        speed = f"{'' if info.speed.measured else '~'}{info.speed.relative:.2g}x"
    disk = _decimal_bytes(info.disk_bytes) if info.installed else "not downloaded"
    if not info.installed and info.disk_bytes:
        disk = f"partial ({_decimal_bytes(info.disk_bytes)})"
    return mark, info.name, download, info.languages, quality, speed, disk


def _decimal_bytes(n: int) -> str:
    """MB and GB of 10^6 and 10^9 bytes, as model hubs and the catalogue's descriptions count them."""
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


# -- download --------------------------------------------------------------------------------


class _DownloadBar:
    """One line: bar, megabytes, rate and time left; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO, name: str, enabled: bool) -> None:
        self.stream, self.name = stream, name
        self.enabled = enabled and stream.isatty()
        self._first: tuple[float, int] | None = None
        self._last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self._first is None:
            self._first = (now, done)
        if not self.enabled or (now - self._last < 0.2 and (total is None or done < total)):
            return
        self._last = now
        elapsed = now - self._first[0]
        rate = (done - self._first[1]) / elapsed if elapsed > 0.5 else 0.0
        width = 30
        filled = int(width * done / total) if total else 0
        size = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        eta = ""
        if rate > 0 and total:
            left = (total - done) / rate
            eta = f"  ETA {int(left // 60)}:{int(left % 60):02d}"
        self.stream.write(
            f"\r{self.name}: [{'#' * filled}{'.' * (width - filled)}] {size}  {rate / 1e6:.1f} MB/s{eta}   "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\n")
            self.stream.flush()


def _download(manager: ModelManager, name: str, *, show_progress: bool) -> Path:
    """Download with a progress bar; the first Ctrl-C cancels cleanly (the partial file stays)."""
    cancel = threading.Event()
    bar = _DownloadBar(sys.stderr, name, show_progress)

    def on_interrupt(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return manager.download(name, progress=bar, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.finish()


def cmd_download(args: argparse.Namespace) -> int:
    from photoclip.core import DownloadCancelled

    manager = _manager(args)
    info = manager.info(args.name)
    try:
        path = _download(manager, args.name, show_progress=not args.no_progress)
    except DownloadCancelled as e:
        print(f"photoclip: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    size = human_bytes(path.stat().st_size) if path.is_file() else "present"
    print("Preparing its text tower for searches without PyTorch (once)...", file=sys.stderr)
    manager.prepare_text_tower(info.name)
    print(f"{info.name} is ready ({size}, {path}); use it with 'photoclip models use {info.name}'.")
    return 0


# -- use -------------------------------------------------------------------------------------


def cmd_use(args: argparse.Namespace) -> int:
    from photoclip.core import DownloadCancelled, ModelManager, ModelUnavailable

    with open_library(args) as library:
        manager = ModelManager.for_library(library)
        info = manager.info(args.name)
        if info.missing_requirement:
            raise ModelUnavailable(f"{info.name} needs an extra package first: {info.missing_requirement}")
        if not info.installed:
            try:
                _download(manager, args.name, show_progress=not args.no_progress)
            except DownloadCancelled as e:
                print(f"photoclip: {e} The library still uses {library.model.key}.", file=sys.stderr)
                return EXIT_INTERRUPTED
        previous, previous_id = library.model.key, library.model_id
        pending = library.models.switch_state()
        switch = library.models.switch(args.name).value
        if switch is None:
            if info.model_id == previous_id:
                cancelled = f" (the switch to {pending.name} is cancelled)" if pending is not None else ""
                print(f"The library already uses {info.name}{cancelled}.")
            else:
                print(f"The library now uses {info.name}: every photo already had its vectors.")
            return 0
        print(
            f"Switching to {info.name}: {switch.done} of {switch.total} photos have its vectors. Searches keep "
            f"using {previous} until all do."
        )
        if not args.now:
            print("The re-embedding runs with the next 'photoclip index' or 'photoclip watch', or in the app.")
            return 0
        report = run_update(library, show_progress=not args.no_progress)
        if report.switched_to is not None:
            print(f"Done: the library now uses {info.name} ({counted(report.switch_embedded, 'photo')} embedded).")
            return 0
        status = library.models.switch_state()
        done = f"{status.done:,} of {counted(status.total, 'photo')}" if status is not None else "some photos"
        print(f"Stopped with {done} done; run 'photoclip index' to finish the switch.")
        return EXIT_INTERRUPTED if report.cancelled else EXIT_ERROR


# -- remove, import, verify ------------------------------------------------------------------


def cmd_remove(args: argparse.Namespace) -> int:
    from photoclip.core import LibraryError, ModelManager

    with open_library(args) as library:
        manager = ModelManager.for_library(library)
        spec = manager.resolve(args.name)
        if args.vectors and spec.model_id == library.model_id:
            raise LibraryError(f"{spec.key} is this library's model: its vectors cannot be deleted.")
        freed = manager.remove(args.name, force=args.force)
        print(f"Removed {spec.key} from the cache ({human_bytes(freed)} freed).")
        if spec.model_id in (library.model_id, manager.switching_to.model_id if manager.switching_to else None):
            print(f"This library still uses {spec.key}: it will have to be downloaded or imported again.")
        if args.vectors:
            count = library.models.drop_vectors(spec.model_id).value
            print(f"Deleted this library's {count} vectors of {spec.key}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from photoclip.core import ModelManager

    with open_library(args) as library:
        manager = ModelManager.for_library(library)
    info = manager.import_checkpoint(args.path, architecture=args.arch, name=args.name)
    print(
        f"Imported {info.name} ({info.architecture}, {human_bytes(info.disk_bytes)}); "
        f"use it with 'photoclip models use {info.name}'."
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    result = _manager(args).verify(args.name)
    print(f"{args.name}: {result.status}: {result.detail}")
    return 0 if result.status in ("ok", "unverifiable") else EXIT_ERROR
