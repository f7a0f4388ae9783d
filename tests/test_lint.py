"""Lint gate: ruff and mypy --strict must be clean, so CI fails on a type or style regression."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


CHECKED = ("osqi_site", "tests", "benchmarks")
"""Everything of ours that is Python: the tests are held to the same standard as the code they check."""


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run("mypy", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr
