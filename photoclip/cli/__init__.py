"""The `photoclip` command: the desktop app by default, subcommands for headless use.

Every user error (missing folder, unknown model, offline, bad query) ends as one
line on stderr and a non-zero exit status; a traceback is only shown with -v.
Heavy imports (torch, open_clip, Qt) happen inside the commands that need them,
so `photoclip --help` and `photoclip status` answer instantly. Each module of
this package registers one group of commands.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from photoclip import __version__
from photoclip.cli import indexing, info, models, places, searching, similar, tagging
from photoclip.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, add_common_options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photoclip",
        description="Find and organize your photos by meaning, entirely on your own computer.",
        epilog="Run without a command to open the app. See 'photoclip COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"photoclip {__version__}")
    add_common_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, defaults=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (indexing, searching, places, similar, tagging, info, models):
        group.register(commands, common)
    return parser


def cmd_app(args: argparse.Namespace) -> int:
    """No command: the desktop app (Qt is imported only now, so the subcommands stay quick)."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        print(
            "photoclip: error: no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            "on a server use the commands instead: photoclip --help",
            file=sys.stderr,
        )
        return EXIT_ERROR
    from photoclip.ui.app import run

    return run(library=args.library, model=args.model, device=args.device)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose >= 2 else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.verbose < 2:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from photoclip.core import TINY_MODEL_KEY, ModelUnavailable, PhotoclipError

    try:
        if args.command is None:
            return cmd_app(args)
        code: int = args.handler(args)
        return code
    except PhotoclipError as e:
        if args.verbose:
            logging.exception("details")
        print(f"photoclip: error: {e}", file=sys.stderr)
        if isinstance(e, ModelUnavailable) and e.offline:
            print(
                "Connect to the internet once to download it, use a checkpoint file you have "
                f"(--checkpoint FILE), or try the offline demo model (--model {TINY_MODEL_KEY}).",
                file=sys.stderr,
            )
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nphotoclip: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
