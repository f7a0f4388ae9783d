"""CWE names from MITRE's full catalogue (``data/cwe.json``, with its origin and licence), and the check of an ID."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Weakness:
    id: str
    name: str
    status: str
    """MITRE's status: Stable, Draft, Incomplete, or Deprecated (kept only to say what replaces it)."""


@cache
def catalogue() -> dict[str, Weakness]:
    """Every weakness of the shipped catalogue by ID (``CWE-787``); read once, on first use."""
    data = json.loads(resources.files("osqi_site").joinpath("data/cwe.json").read_text(encoding="utf-8"))
    return {ident: Weakness(ident, e["name"], e["status"]) for ident, e in data["entries"].items()}


@cache
def catalogue_name() -> str:
    """``CWE 4.20``: which release of the catalogue the names come from."""
    data = json.loads(resources.files("osqi_site").joinpath("data/cwe.json").read_text(encoding="utf-8"))
    return str(data["catalogue"])


def name(ident: str) -> str | None:
    """The exact current name of a CWE weakness (CSAF mandatory test 6.1.11 wants it), or ``None``."""
    found = catalogue().get(ident)
    return found.name if found is not None else None


def problem(ident: str) -> str | None:
    """Why ``ident`` cannot be used as a disclosure's weakness, or ``None`` when it can."""
    found = catalogue().get(ident)
    if found is None:
        return (f"'{ident}' is not a weakness in MITRE's CWE catalogue ({catalogue_name()}); look it up at "
                "https://cwe.mitre.org/ and give an existing weakness ID")
    if found.status == "Deprecated":
        return f"'{ident}' is deprecated in the CWE catalogue ({found.name}); use the weakness it points to"
    return None
