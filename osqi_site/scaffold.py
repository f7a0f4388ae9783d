"""Scaffolding: the files of a new site project and of a new disclosure."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from osqi_site.core import ecosystems as eco
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import InstantError, iso_z, parse_instant
from osqi_site.schema import PROJECTS_SCHEMA_FILE, SCHEMA_FILE, projects_schema_text, schema_text

FILES = Path(__file__).parent / "scaffold_files"
_RENAMES = {"gitignore": ".gitignore"}  # dotfiles do not survive packaging reliably


SEAL_SLOT = "@SEAL@"
"""Where the starter disclosure's seal goes: each new site gets its own salt, never a published one."""


def write_project(target: Path, now: datetime, salt: Callable[[], str] = lambda: secrets.token_hex(32)) -> list[Path]:
    """Copy the starter project into ``target``; it builds as it is."""
    written = []
    for src in sorted(FILES.rglob("*")):
        if src.is_dir():
            continue
        rel = src.relative_to(FILES)
        dest = target / _RENAMES.get(rel.as_posix(), rel.as_posix())
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".md" and SEAL_SLOT.encode() in src.read_bytes():
            dest.write_text(src.read_text(encoding="utf-8").replace(SEAL_SLOT, salt()), encoding="utf-8")
        else:
            shutil.copyfile(src, dest)
        written.append(dest)
    for name, text in editor_files().items():  # generated, so the schema always matches this version
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    return written


def editor_files(id_prefix: str = Settings.id_prefix) -> dict[str, str]:
    """The frontmatter schema and the VS Code wiring that uses it, by path relative to the project root.

    The YAML extension (redhat.vscode-yaml) validates YAML *files* only, not frontmatter inside Markdown
    (redhat-developer/vscode-yaml#207), so the schema is mapped to ``*.frontmatter.yaml`` scratch files, and a
    task runs ``osqi-site check`` with a problem matcher so errors in the .md files appear in the editor.
    """
    settings = {
        "yaml.schemas": {f"./{SCHEMA_FILE}": ["**/*.frontmatter.yaml"],
                         "./projects.schema.json": ["**/*.project.yaml"]},
    }
    tasks = {
        "version": "2.0.0",
        "tasks": [{
            "label": "osqi-site check",
            "type": "shell",
            "command": "osqi-site check",
            "group": {"kind": "build", "isDefault": True},
            "presentation": {"reveal": "silent", "clear": True},
            "problemMatcher": {
                "owner": "osqi-site",
                "fileLocation": ["relative", "${workspaceFolder}"],
                "pattern": {"regexp": r"^(.+?):(\d+): (.+?): (.*)$", "file": 1, "line": 2, "code": 3, "message": 4},
            },
        }],
    }
    return {
        SCHEMA_FILE: schema_text(id_prefix),
        PROJECTS_SCHEMA_FILE: projects_schema_text(),
        ".vscode/settings.json": json.dumps(settings, indent=2) + "\n",
        ".vscode/tasks.json": json.dumps(tasks, indent=2) + "\n",
    }


def next_id(existing: Iterable[str], prefix: str, year: int) -> str:
    """The next free ID of ``year``: one past the highest in use, so gaps are never refilled."""
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d{{4,}})$")
    numbers = [int(m.group(1)) for s in existing if (m := pattern.match(s))]
    return f"{prefix}-{year}-{max(numbers, default=0) + 1:04d}"



@dataclass(frozen=True)
class NewFields:
    """What ``osqi-site new`` puts into a fresh draft; ``None`` leaves a TODO placeholder."""

    title: str | None
    package: str | None
    ecosystem: str | None
    embargo_until: datetime


def ecosystem_problem(name: str) -> str | None:
    """Why ``name`` is not an ecosystem a disclosure accepts, with the likely spelling; ``None`` when it is."""
    if name == eco.GIT or eco.is_osv_ecosystem(name):
        return None
    base, sep, suffix = name.partition(":")
    match = next((e for e in sorted(eco.OSV_ECOSYSTEMS) if e.casefold() == base.strip().casefold()), None)
    if match is not None:
        return f"'{name}' is not an OSV ecosystem; did you mean '{match}{sep}{suffix}'?"
    return f"'{name}' is not an OSV ecosystem; use one such as PyPI, npm, crates.io, Go, Maven or Debian, or GIT"


def ask_new_fields(*, title: str | None, package: str | None, ecosystem: str | None,
                   embargo_until: datetime | None, default_embargo: datetime,
                   ask: Callable[[str], str], say: Callable[[str], None]) -> NewFields:
    """Ask for whatever the flags left out; an empty answer keeps the default. Wrong answers are asked again."""
    def answer(prompt: str) -> str:
        try:
            return ask(prompt).strip()
        except EOFError:
            return ""

    if title is None:
        title = answer("Title (one line naming the bug class and component): ") or None
    if package is None:
        package = answer("Package name (as the ecosystem spells it): ") or None
    while ecosystem is None:
        given = answer("Ecosystem [PyPI] (an OSV name such as PyPI, npm, crates.io, Go, Maven, or GIT): ") or "PyPI"
        problem = ecosystem_problem(given)
        if problem is None:
            ecosystem = given
        else:
            say(problem)
    while embargo_until is None:
        given = answer(f"Embargo until [{iso_z(default_embargo)}] (RFC 3339 instant in UTC): ")
        if not given:
            embargo_until = default_embargo
            break
        try:
            embargo_until = parse_instant(given)
        except InstantError as e:
            say(f"embargo_until {e}")
    return NewFields(title, package, ecosystem, embargo_until)


def _quote(text: str) -> str:
    """A YAML double-quoted scalar; JSON's escaping is valid YAML and covers control characters."""
    return json.dumps(text, ensure_ascii=False)


def new_disclosure(ident: str, *, title: str | None, package: str | None, ecosystem: str | None,
                   embargo_until: datetime, today: date, seal: str) -> str:
    """A draft with every required field present and the narrative sections to fill in."""
    eco = ecosystem or "PyPI"
    repo_line = '    repo: "https://example.org/TODO-upstream.git"\n' if eco == "GIT" else ""
    return f"""---
id: {ident}
title: {_quote(title or "TODO: one-line title naming the bug class and component")}
draft: true                     # set to false when the disclosure is ready to go public at embargo_until
embargo_until: {iso_z(embargo_until)}
seal: "{seal}"   # the embargo register's random salt: secret until the embargo lifts; never copy it
aliases: []
affected:
  - ecosystem: {_quote(eco)}
    package: {_quote(package or "TODO-package")}
{repo_line}    ranges:
      - introduced: "0"
        fixed: "TODO"
credits:
  - name: TODO
    type: FINDER
timeline:
  - date: {today.isoformat()}
    event: discovered
    note: TODO how it was noticed
  # - date: YYYY-MM-DD            # uncomment when the maintainers are told; "days from report" counts from it
  #   event: reported
---

## Summary

TODO: what is affected, what an attacker can do, what to upgrade to.

## Discovery

TODO: how it was found: method, tools, what was noticed, what was tried, how it was confirmed.

## Root cause

## Impact

## Fix
"""
