"""Project discovery for commands that need no site build: reads mkdocs.yml into Settings and paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from osqi_site.core.problems import Problem
from osqi_site.core.settings import OPTION_DEFAULTS, Settings, settings_from


@dataclass(frozen=True)
class Project:
    root: Path
    config_file: Path
    disclosures_dir: Path
    docs_dir: Path
    settings: Settings


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml often carries ``!!python/name:`` and ``!ENV`` tags; they matter to MkDocs, not to us."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_TolerantLoader.add_multi_constructor("", _ignore_tag)


def plugin_options(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``osqi`` entry of ``plugins:`` (list or mapping form), or None when the plugin is not enabled."""
    plugins = raw.get("plugins") or []
    items = plugins.items() if isinstance(plugins, dict) else (
        next(iter(p.items())) if isinstance(p, dict) else (p, {}) for p in plugins)
    for name, options in items:
        if name == "osqi":
            return {**OPTION_DEFAULTS, **(options or {})}
    return None


def find_project(config_file: Path) -> tuple[Project | None, list[Problem]]:
    rel = config_file.name
    if not config_file.is_file():
        return None, [Problem(str(config_file), 0, "config", "no such file; run in the site folder or pass -f")]
    try:
        raw = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except yaml.YAMLError as e:
        return None, [Problem(rel, 0, "config", f"malformed YAML: {e}")]
    if not isinstance(raw, dict):
        return None, [Problem(rel, 1, "config", "must be a mapping")]
    options = plugin_options(raw)
    if options is None:
        return None, [Problem(rel, 0, "plugins", "the osqi plugin is not enabled; add '- osqi' under plugins:")]
    try:
        settings = settings_from(raw.get("site_url"), raw.get("site_name"), raw.get("site_description"), options)
    except ValueError as e:
        return None, [Problem(rel, 0, "config", str(e))]
    root = config_file.resolve().parent
    return Project(root, config_file.resolve(), root / str(options["disclosures_dir"]),
                   root / str(raw.get("docs_dir") or "docs"), settings), []


def configured_site_dir(config_file: Path) -> Path | None:
    """The build folder mkdocs.yml names (MkDocs' default ``site``), resolved; ``None`` if unreadable."""
    try:
        raw = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    site_dir = raw.get("site_dir") if isinstance(raw, dict) else None
    return (config_file.resolve().parent / str(site_dir or "site")).resolve()
