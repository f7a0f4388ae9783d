"""Dependencies earn their place: what pyproject.toml declares is what the code imports, and the reverse."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FIRST_PARTY = {"osqi_site", "benchmarks"}

USED_BY_NAME = {"mkdocs-material": "the theme every site names (`theme: name: material`), extended by osqi_site/theme"}
"""Runtime dependencies osqi_site uses without importing them, and how."""

TEST_TOOLS = {"ruff": "tests/test_lint.py", "mypy": "tests/test_lint.py", "types-pyyaml": "pyproject.toml",
              "types-markdown": "pyproject.toml", "csaf": "tests/test_csaf.py"}
"""Test dependencies used as commands or type stubs, never imported, and a file that must name each."""


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares them: case and runs of ``-_.`` do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    """The distribution names of PEP 508 requirement strings (the name is what precedes extras and versions)."""
    names = set()
    for requirement in requirements:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert m, requirement
        names.add(_normal(m.group(1)))
    return names


RUNTIME = _declared(PYPROJECT["project"]["dependencies"])
TEST = _declared(PYPROJECT["project"]["optional-dependencies"]["test"])


def _imported_modules(tree: ast.AST) -> Iterator[str]:
    """Top-level names of every absolute import anywhere in ``tree``: module level, in functions (lazy
    imports), under ``if TYPE_CHECKING``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0]


def _local_modules(folder: Path) -> set[str]:
    """Helper modules a folder imports by their bare name (pytest puts ``tests/`` on the path)."""
    return {p.stem for p in folder.glob("*.py")}


def _distributions(*folders: str) -> dict[str, set[str]]:
    """The distributions the Python files under ``folders`` import, each with the files importing it.

    A module no installed distribution provides, and that is neither the standard library nor ours, fails the
    test: it could only come from something undeclared."""
    provided = packages_distributions()
    found: dict[str, set[str]] = {}
    unknown = []
    for folder in folders:
        local = FIRST_PARTY | _local_modules(ROOT / folder)
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "fixtures" in path.relative_to(ROOT).parts:
                continue
            rel = path.relative_to(ROOT).as_posix()
            for module in _imported_modules(ast.parse(path.read_bytes(), rel)):
                if module in sys.stdlib_module_names or module in local:
                    continue
                dists = provided.get(module)
                if not dists:
                    unknown.append(f"{rel}: {module}")
                for dist in dists or ():
                    found.setdefault(_normal(dist), set()).add(rel)
    assert unknown == [], "imported, but no installed distribution provides it"
    return found


def test_every_runtime_dependency_is_imported_by_osqi_site_and_every_import_is_declared() -> None:
    imported = _distributions("osqi_site")
    undeclared = {dist: sorted(files) for dist, files in imported.items() if dist not in RUNTIME}
    assert undeclared == {}, "imported by osqi_site but not in [project].dependencies"
    unused = RUNTIME - set(imported) - set(USED_BY_NAME)
    assert unused == set(), "in [project].dependencies but never imported by osqi_site"
    assert set(USED_BY_NAME) <= RUNTIME and not set(USED_BY_NAME) & set(imported)


def test_the_theme_is_used_by_name() -> None:
    config = yaml.safe_load((ROOT / "osqi_site" / "scaffold_files" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["name"] == "material"
    assert "material" in packages_distributions() and packages_distributions()["material"] == ["mkdocs-material"]


def test_every_test_dependency_is_used_and_every_import_of_the_tests_is_declared() -> None:
    imported = _distributions("tests", "benchmarks")
    undeclared = {dist: sorted(files) for dist, files in imported.items() if dist not in RUNTIME | TEST}
    assert undeclared == {}, "imported by tests/ or benchmarks/ but declared nowhere"
    unused = TEST - set(imported) - set(TEST_TOOLS)
    assert unused == set(), "in the test extra but never imported by the tests"
    for tool, where in TEST_TOOLS.items():
        assert tool in TEST, tool
        text = (ROOT / where).read_text(encoding="utf-8").lower()
        assert re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", text), (tool, where)
    assert not RUNTIME & TEST, "a runtime dependency is installed for the tests anyway: declare it once"


def test_imports_are_found_in_functions_and_type_checking_blocks() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a.b\n"
                     "def f():\n    from c.d import e\n    import g as h\nfrom . import i\n")
    assert sorted(_imported_modules(tree)) == ["a", "c", "g", "typing"]
