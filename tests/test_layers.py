"""The package's layers: no module imports one above it, and only the adapter imports MkDocs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "osqi_site"

LAYERS = {"core": 0, "formats": 1, "pages": 2, "build": 3, "publish": 3, "adapter": 4}
"""core < formats < pages < build and publish < adapter < the top-level modules (cli, scaffold, schema, project)."""
TOP = 5
BASE = -1
"""The package itself (``__version__``) and its data files: below everything, anyone may import them."""

MKDOCS = ("mkdocs", "material")

EXCEPTIONS = {
    # The content gate must read a page's MultiMarkdown-style metadata exactly as MkDocs reads it, so it asks
    # MkDocs' own parser (``_unfenced_gate_problems``): a copy of the parser could drift and publish a page
    # whose gate key MkDocs sees and the gate does not.
    ("osqi_site.build.content_gate", "mkdocs.utils"),
    # The CLI is the shell that starts MkDocs' build and serve commands.
    ("osqi_site.cli", "mkdocs.commands.build"),
    ("osqi_site.cli", "mkdocs.commands.serve"),
    ("osqi_site.cli", "mkdocs.config"),
    ("osqi_site.cli", "mkdocs.exceptions"),
}
"""``(module, imported)`` pairs allowed against the rules, each for the reason above it."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    """The layer of a module of this package; ``None`` for anything else."""
    parts = module.split(".")
    if parts[0] != "osqi_site":
        return None
    if len(parts) == 1 or parts[1] == "data":
        return BASE
    return LAYERS.get(parts[1], TOP)


def imported(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every import anywhere in ``tree``: at the top, inside functions, under
    ``TYPE_CHECKING``; a relative import resolved against ``module``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            name = _absolute(node, module)
            # ``from osqi_site import cli`` imports the module cli; ``from x import name``, the module x.
            found.extend((node.lineno, f"{name}.{alias.name}" if _is_module(f"{name}.{alias.name}") else name)
                         for alias in node.names)
    return found


def _absolute(node: ast.ImportFrom, module: str) -> str:
    if not node.level:
        return node.module or ""
    package = module if _is_package(module) else module.rpartition(".")[0]
    parts = package.split(".")
    base = parts[:len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_module(name: str) -> bool:
    if layer(name) is None:
        return False
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or _is_package(name)


def _is_package(name: str) -> bool:
    return layer(name) is not None and PACKAGE.parent.joinpath(*name.split("."), "__init__.py").is_file()


def violations(modules: dict[str, ast.AST]) -> list[str]:
    """Every import that runs upward or reaches MkDocs outside the adapter, and is not an exception."""
    out = []
    for module, tree in sorted(modules.items()):
        mine = layer(module)
        assert mine is not None
        for line, name in imported(tree, module):
            target = layer(name)
            upward = target is not None and target > mine
            mkdocs = name.split(".")[0] in MKDOCS and mine != LAYERS["adapter"]
            if (upward or mkdocs) and (module, name) not in EXCEPTIONS:
                why = "imports MkDocs outside the adapter" if mkdocs else "imports a layer above its own"
                out.append(f"{module}:{line}: {name}: {why}")
    return out


def package_modules() -> dict[str, ast.AST]:
    return {module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_imports_upward_and_only_the_adapter_imports_mkdocs() -> None:
    assert violations(package_modules()) == []


def test_every_exception_is_still_needed() -> None:
    # An exception whose import is gone would silently allow it again later.
    used = {(module, name) for module, tree in package_modules().items() for _, name in imported(tree, module)}
    assert used >= EXCEPTIONS, EXCEPTIONS - used


def test_every_sub_package_has_a_layer() -> None:
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders - {"data"} == set(LAYERS)


@pytest.mark.parametrize(("module", "source", "problem"), [
    ("osqi_site.core.alarms", "from osqi_site.build.pool import map_chunks\n", "imports a layer above its own"),
    ("osqi_site.core.alarms", "def f():\n    from osqi_site.build import memo\n", "imports a layer above its own"),
    ("osqi_site.formats.feeds", "from osqi_site.pages.generated import affected_text\n",
     "imports a layer above its own"),
    ("osqi_site.pages.projects", "import osqi_site.schema\n", "imports a layer above its own"),
    ("osqi_site.pages.convert", "from ..build import pool\n", "imports a layer above its own"),
    ("osqi_site.core.check", "from osqi_site import cli\n", "imports a layer above its own"),
    ("osqi_site.build.pipeline", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from osqi_site.adapter import plugin\n", "imports a layer above its own"),
    ("osqi_site.pages.projects", "def f():\n    from mkdocs.utils import is_markdown_file\n",
     "imports MkDocs outside the adapter"),
    ("osqi_site.build.outputs", "import material\n", "imports MkDocs outside the adapter"),
])
def test_an_upward_or_mkdocs_import_is_found_wherever_it_is(module: str, source: str, problem: str) -> None:
    found = violations({module: ast.parse(source)})
    assert len(found) == 1 and found[0].endswith(problem), found


@pytest.mark.parametrize(("module", "source"), [
    ("osqi_site.formats.feeds", "from osqi_site.core.versions import affected_text\n"),
    ("osqi_site.pages.convert", "from osqi_site import __version__\nfrom ..core import sanitize\n"),
    ("osqi_site.build.outputs", "from osqi_site.publish import history\nfrom osqi_site.pages import generated\n"),
    ("osqi_site.adapter.plugin", "from mkdocs.plugins import BasePlugin\nfrom osqi_site.build import pool\n"),
    ("osqi_site.cli", "from osqi_site.adapter.plugin import OsqiPlugin\n"),
])
def test_downward_and_sideways_imports_pass(module: str, source: str) -> None:
    assert violations({module: ast.parse(source)}) == []


CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "time_ns")}
"""Calls that read the wall clock (``datetime.now(UTC)``, ``time.time()``, ...)."""
CLOCK = "osqi_site.build.clock"
"""The one module that may: every other takes ``now`` from it, as a parameter."""


def clock_reads(tree: ast.AST) -> list[int]:
    """Lines of ``tree`` that read the wall clock."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and (node.func.value.id, node.func.attr) in CLOCK_READS]


def test_the_wall_clock_is_read_in_one_module_only() -> None:
    modules = package_modules()
    assert clock_reads(modules[CLOCK])  # the test would pass vacuously if it no longer recognised the read
    found = [f"{module}:{line}" for module, tree in sorted(modules.items()) if module != CLOCK
             for line in clock_reads(tree)]
    assert found == [], "read the clock through osqi_site.build.clock, pass `now` down"
