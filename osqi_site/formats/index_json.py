"""``/disclosures/index.json``: the compact index that drives the listing's client-side filters.

Built from the public disclosures only. One entry per disclosure, newest first, with short keys::

    {"version": 1, "items": [{"id": "OSQI-2024-0001", "t": "title", "a": ["CVE-2024-3094"],
      "p": [["GIT", "xz"], ["Debian", "xz-utils"]], "s": "Critical", "c": 10.0,
      "d": "2024-03-29", "w": false}, ...]}

``t`` title, ``a`` aliases, ``p`` (ecosystem, package) pairs, ``s``/``c`` rating and score of the first
severity (absent when unscored), ``d`` publication day (UTC), ``w`` withdrawn. The page of an entry is
``disclosures/<id>/`` under the site root.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from osqi_site.core.model import Disclosure

INDEX_PATH = "disclosures/index.json"
INDEX_VERSION = 1


def index_entry(d: Disclosure) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": d.id,
        "t": d.title,
        "a": list(d.aliases),
        "p": [[a.ecosystem, a.package] for a in d.affected],
    }
    if d.severity:
        entry["s"] = d.severity[0].rating
        entry["c"] = d.severity[0].score
    entry["d"] = d.published.date().isoformat()
    entry["w"] = d.withdrawn is not None
    return entry


def listing_index(public: Sequence[Disclosure]) -> bytes:
    """The index as compact, deterministic UTF-8 JSON; ``public`` must be ``Publication.public``."""
    ordered = sorted(public, key=lambda d: (d.published, d.id), reverse=True)
    data = {"version": INDEX_VERSION, "items": [index_entry(d) for d in ordered]}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def index_files(public: Sequence[Disclosure]) -> dict[str, bytes]:
    return {INDEX_PATH: listing_index(public)}
