"""Project discovery for commands that need no site build: reads mkdocs.yml into Settings and paths."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings

SETTING_OPTIONS = ("id_prefix", "feed_limit", "contact", "publisher_namespace", "policy_path", "security_txt_days",
                   "max_embargo_days", "embargo_register")
"""The osqi plugin's options that are fields of Settings, under the same names: their defaults are Settings' own."""


def _setting_default(name: str) -> Any:
    return next(f.default for f in dataclasses.fields(Settings) if f.name == name)


OPTION_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "disclosures_dir": "disclosures",
    "cache_dir": ".osqi-cache",
    "strict_alarms": False,
    **{name: _setting_default(name) for name in SETTING_OPTIONS},
})
"""The default of every osqi plugin option that has one: the one definition the plugin's config schema, the
commands that read mkdocs.yml without MkDocs, and ``settings_from`` all use (``as_of``, ``coverage_request`` and
``signing_key`` have none)."""


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


def settings_from(site_url: str | None, site_name: str | None, description: str | None,
                  options: Mapping[str, Any]) -> Settings:
    """The one place where site configuration becomes Settings, for the CLI and the MkDocs plugin alike."""
    url = (site_url or "").strip()
    if not url:
        raise ValueError("site_url must be set in mkdocs.yml: feeds and OSV records need absolute links")
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"site_url '{url}' must be an http(s) URL")
    prefix = str(options.get("id_prefix") or OPTION_DEFAULTS["id_prefix"])
    if not prefix.replace("-", "").isalnum() or not prefix[0].isalpha() or not prefix.isupper():
        raise ValueError(f"id_prefix '{prefix}' must be upper-case letters and digits, e.g. OSQI")
    opts = {**OPTION_DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    for key in ("feed_limit", "security_txt_days", "max_embargo_days"):
        value = opts[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive integer, not {value!r}")
    if not isinstance(opts["embargo_register"], bool):
        raise ValueError(f"embargo_register must be true or false, not {opts['embargo_register']!r}")
    if opts["security_txt_days"] > 364:
        raise ValueError("security_txt_days must be under a year (RFC 9116)")
    contact = opts["contact"]
    if isinstance(contact, str):
        contact = [contact]
    if not contact or not all(isinstance(c, str) and c.startswith(("mailto:", "https://", "tel:")) for c in contact):
        raise ValueError("contact must list mailto:, https:// or tel: URIs, e.g. mailto:security@example.org")
    return Settings(site_url=url.rstrip("/") + "/", site_name=site_name or Settings.site_name,
                    description=description or Settings.description, id_prefix=prefix,
                    feed_limit=opts["feed_limit"], contact=tuple(contact),
                    publisher_namespace=str(opts["publisher_namespace"] or ""),
                    policy_path=str(opts["policy_path"]).lstrip("/"),
                    security_txt_days=opts["security_txt_days"], max_embargo_days=opts["max_embargo_days"],
                    embargo_register=opts["embargo_register"])


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
