"""Scaffolding: the files of a new site project and of a new disclosure."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from .timefmt import iso_z

FILES = Path(__file__).parent / "scaffold_files"
_RENAMES = {"gitignore": ".gitignore"}  # dotfiles do not survive packaging reliably


def write_project(target: Path, now: datetime) -> list[Path]:
    """Copy the starter project into ``target``; it builds as it is."""
    written = []
    for src in sorted(FILES.rglob("*")):
        if src.is_dir():
            continue
        rel = src.relative_to(FILES)
        dest = target / _RENAMES.get(rel.as_posix(), rel.as_posix())
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written.append(dest)
    return written


def next_id(existing: Iterable[str], prefix: str, year: int) -> str:
    """The next free ID of ``year``: one past the highest in use, so gaps are never refilled."""
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d{{4,}})$")
    numbers = [int(m.group(1)) for s in existing if (m := pattern.match(s))]
    return f"{prefix}-{year}-{max(numbers, default=0) + 1:04d}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_disclosure(ident: str, *, title: str | None, package: str | None, ecosystem: str | None,
                   embargo_until: datetime, today: date) -> str:
    """A draft with every required field present and the narrative sections to fill in."""
    return f"""---
id: {ident}
title: {_quote(title or "TODO: one-line title naming the bug class and component")}
draft: true                     # set to false when the disclosure is ready to go public at embargo_until
embargo_until: {iso_z(embargo_until)}
aliases: []
affected:
  - ecosystem: {ecosystem or "PyPI"}
    package: {_quote(package or "TODO-package")}
    ranges:
      - introduced: "0"
        fixed: "TODO"
credits:
  - name: TODO
    type: FINDER
timeline:
  - date: {today.isoformat()}
    event: discovered
    note: TODO how it was noticed
---

## Summary

TODO: what is affected, what an attacker can do, what to upgrade to.

## Discovery

TODO: how it was found: method, tools, what was noticed, what was tried, how it was confirmed.

## Root cause

## Impact

## Fix
"""
