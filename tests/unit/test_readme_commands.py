"""The README and `photoclip --help` cannot drift apart.

Every `photoclip ...` line in the README's code blocks (and every `./dev app ...`
line, which runs the same command) must parse with the real argument parser, and
every command's help must work and describe each of its options. Nothing is
executed: parsing stops before any command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^```[\w-]*\s*$")


def readme_commands() -> list[tuple[int, list[str]]]:
    """(line number, argv after 'photoclip') for each command line inside a fenced code block."""
    commands = []
    inside = False
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(line.strip()):
            inside = not inside
            continue
        if not inside or not line.strip().startswith(("photoclip", "./dev app")):
            continue  # other commands (pip, sysctl) and other languages (JSON)
        words = shlex.split(line, comments=True)
        if words[:1] == ["photoclip"]:
            commands.append((number, words[1:]))
        elif words[:2] == ["./dev", "app"]:
            commands.append((number, words[2:]))
    return commands


COMMANDS = readme_commands()


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse like `photoclip` does; a usage error fails with argparse's own message."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            return build_parser().parse_args(argv)
    except SystemExit as e:
        pytest.fail(f"'photoclip {shlex.join(argv)}' does not parse (exit {e.code}): {stderr.getvalue().strip()}")


def test_the_readme_shows_commands() -> None:
    used = {argv[0] for _, argv in COMMANDS if argv and not argv[0].startswith("-")}
    assert len(COMMANDS) >= 30
    assert {"index", "search", "similar", "folders", "tag", "albums", "doctor", "models", "demo"} <= used


@pytest.mark.parametrize(("line", "argv"), COMMANDS, ids=[f"README.md:{n}" for n, _ in COMMANDS])
def test_readme_command_parses(line: int, argv: list[str]) -> None:
    args = parse(argv)
    if args.command is not None:
        assert callable(getattr(args, "handler", None)), f"README.md:{line}: no handler for {argv}"


def subparsers(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The name path of every command and subcommand under `parser`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from subparsers(sub, (*prefix, name))


def parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


ALL_COMMANDS = [(), *subparsers(build_parser())]


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=[" ".join(p) or "photoclip" for p in ALL_COMMANDS])
def test_every_command_has_complete_help(path: tuple[str, ...]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*path, "--help"])
    assert exit_info.value.code == 0
    assert out.getvalue().startswith("usage: photoclip")
    parser = parser_for(path)
    missing = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction))
        and not (a.help and a.help.strip() and a.help != argparse.SUPPRESS)
    ]
    assert not missing, f"'photoclip {' '.join(path)}': no help text for {missing}"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            undescribed = [c.dest for c in action._choices_actions if not (c.help and c.help.strip())]
            assert not undescribed, f"'photoclip {' '.join(path)}': commands without a summary: {undescribed}"


def test_search_help_lists_every_filter_of_the_query_syntax() -> None:
    """The CLI help, the app's syntax help and the core syntax cannot drift: each key:value filter is explained."""
    import ast

    from photoclip.cli.searching import _SEARCH_HELP
    from photoclip.core.search import query as search

    app_help = next(
        ast.literal_eval(node.value)
        for node in ast.parse((Path(search.__file__).parents[2] / "ui" / "searchbar.py").read_text()).body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SYNTAX_HELP" for t in node.targets)
    )
    keys = {f"{key}:" for key in search._FILTER_KEYS}
    assert {"text:", "place:"} <= keys
    for where, text in (("query.py", search.__doc__ or ""), ("cli", _SEARCH_HELP), ("ui", app_help)):
        missing = [key for key in keys if key not in text]
        assert not missing, f"{where} does not explain {missing}"
        assert "2023" in text and "in Portugal" in text.replace("in <place>", "in Portugal"), where
