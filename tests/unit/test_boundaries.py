"""The shape of the code: one door into the engine, no Qt in it, no import cycles.

`photoclip.ui` and `photoclip.cli` reach the engine only through `photoclip.core`
(its `__init__`), never through a module below it, and never through the engine's
own internals (`library.catalog`, `library.vectors`). Nothing inside `photoclip`
imports in a circle. The engine runs without Qt and without loading torch until
the model is needed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "photoclip"
FRONT_ENDS = ("ui", "cli")
ENGINE_INTERNALS = {"catalog", "vectors"}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(tree: ast.AST, module: str, *, top_level_only: bool) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import; with `top_level_only`, those that run at import time."""
    package = module if _is_package(module) else module.rpartition(".")[0]
    nodes = _top_level(tree) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            yield base, node.lineno
            if _is_package(base):
                for alias in node.names:  # `from photoclip.core import store` imports a module too
                    yield f"{base}.{alias.name}", node.lineno


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / Path(*module.split(".")) / "__init__.py").exists()


def _top_level(tree: ast.AST) -> Iterator[ast.AST]:
    """Statements that run when the module is imported: not in functions, not under `if TYPE_CHECKING`."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def test_front_ends_import_the_engine_only_through_its_door() -> None:
    wrong = []
    for module, path in _modules():
        if module.split(".")[1:2] not in ([f] for f in FRONT_ENDS):
            continue
        for imported, line in _imports(ast.parse(path.read_text()), module, top_level_only=False):
            if imported.startswith("photoclip.core.") and not _exported(imported):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert not wrong, "front ends must import from photoclip.core only:\n" + "\n".join(wrong)


def _exported(imported: str) -> bool:
    """`from photoclip.core import Library` shows up as photoclip.core.Library: a name, not a module."""
    head, _, name = imported.rpartition(".")
    return head == "photoclip.core" and not _is_package(imported) and not (PACKAGE / "core" / f"{name}.py").exists()


def test_front_ends_do_not_reach_into_the_engines_internals() -> None:
    wrong = []
    for module, path in _modules():
        if module.split(".")[1:2] not in ([f] for f in FRONT_ENDS):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ENGINE_INTERNALS:
                receiver = ast.unparse(node.value)
                if receiver.endswith("library"):
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} uses {receiver}.{node.attr}")
    assert not wrong, "front ends use the library's parts, not its catalog or index:\n" + "\n".join(wrong)


def test_no_import_cycles_inside_photoclip() -> None:
    modules = dict(_modules())
    graph = {
        module: {
            imported
            for imported, _ in _imports(ast.parse(path.read_text()), module, top_level_only=True)
            if imported in modules and imported != module
        }
        for module, path in modules.items()
    }
    cycles = _cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:  # noqa: C901 - Tarjan's algorithm, kept whole as it is usually written
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_core_does_not_import_qt_or_torch_eagerly() -> None:
    code = (
        "import sys; import photoclip.core, photoclip.core.library, photoclip.core.doctor, photoclip.cli; "
        "from photoclip.core import Library; "
        "print('PySide6' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_no_core_module_imports_qt() -> None:
    """core is the engine for the CLI and the app alike: Qt belongs to photoclip.ui only."""
    code = (
        "import sys, pkgutil, importlib, photoclip.core as core; "
        "names = [m.name for m in pkgutil.walk_packages(core.__path__, 'photoclip.core.')]; "
        "[importlib.import_module(name) for name in names]; "
        "print(len(names), 'PySide6' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) >= 40 and out[1] == "False"  # every module under core, subpackages included
