"""The check of every disclosure: each file loaded and validated on its own, then the rules that span files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from osqi_site.core.loader import list_tree, load_bytes, load_file
from osqi_site.core.model import Attachment, Disclosure
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings
from osqi_site.core.validate import Validated, combine, validate_one


@dataclass(frozen=True)
class Checked:
    """Every valid disclosure and every problem found on the way."""

    disclosures: tuple[Disclosure, ...]
    problems: tuple[Problem, ...]


Source = tuple[Path, tuple[Attachment, ...]]
"""One disclosure file and the attachments beside it, as ``loader.list_tree`` finds them."""


@dataclass(frozen=True)
class FileChecked:
    """One file's check: what loading it found, and its validation when it could be read."""

    problems: tuple[Problem, ...]
    validated: Validated | None


def check(disclosures_dir: Path, project_root: Path, settings: Settings) -> Checked:
    """Load and validate every disclosure; the result is complete even when problems were found."""
    listing = list_tree(disclosures_dir, project_root)
    return combined(listing.problems, [check_file(source, project_root, settings) for source in listing.sources])


def check_file(source: Source, project_root: Path, settings: Settings) -> FileChecked:
    """Load and validate one file, alone: what ``check`` does for each file of the tree."""
    doc, found = load_file(source[0], project_root, source[1])
    return FileChecked(tuple(found), None if doc is None else validate_one(doc, settings))


def check_bytes(source: Source, raw: bytes, project_root: Path, settings: Settings) -> FileChecked:
    """``check_file`` of the file's bytes, already read."""
    doc, found = load_bytes(source[0], project_root, raw, source[1])
    return FileChecked(tuple(found), None if doc is None else validate_one(doc, settings))


def combined(tree_problems: Iterable[Problem], files: Iterable[FileChecked]) -> Checked:
    """The check of a tree from its own problems and each file's check: the rules that span files (unique IDs
    and seals) run here, in path order; problems are sorted and each is reported once."""
    files = list(files)
    valid, problems = combine(f.validated for f in files if f.validated is not None)
    return Checked(valid, tuple(sorted({*tree_problems, *(p for f in files for p in f.problems), *problems})))
