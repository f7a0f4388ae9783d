"""Problems as data: every finding carries path, line and field, and the build fails once on all of them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input, located as precisely as the input allows."""

    path: str
    """Path of the offending file, relative to the project root where possible."""
    line: int
    """1-based line number; 0 when the problem concerns the file as a whole."""
    field: str
    """Dotted field path (``affected[0].ranges[0].fixed``) or a pseudo-field such as ``frontmatter``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class ProblemsFound(Exception):
    """Raised by the shell once, after collecting every problem of a run."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__(format_problems(self.problems))


class BuildError(Exception):
    """A build that must stop, raised by the build's own modules: its text (one line, or ``format_problems``) is
    all the user reads; the shell (the MkDocs plugin) shows it as the build's failure."""


def format_problems(problems: Iterable[Problem]) -> str:
    items = sorted(set(problems))
    lines = [str(p) for p in items]
    noun = "problem" if len(items) == 1 else "problems"
    lines.append(f"{len(items)} {noun} found; nothing was published.")
    return "\n".join(lines)


DEBUG_ENV = "OSQI_DEBUG"
"""Set to 1 (or pass ``osqi-site --debug``) to see the full traceback of an unexpected exception."""


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def bug_line(error: BaseException) -> str:
    """The one line an unexpected exception becomes."""
    what = "".join(ch if ch.isprintable() else " " for ch in str(error))  # never a terminal escape
    what = " ".join(what.split())[:300] or "(no message)"
    return (f"osqi-site: internal error: {type(error).__name__}: {what}. This is a bug, please report it; "
            f"run again with {DEBUG_ENV}=1 or --debug for the full traceback. Nothing was published.")
