"""Search entries for disclosures: one compact record each, instead of Material indexing every section."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from osqi_site.core.model import Disclosure
from osqi_site.core.narrative import plain_summary

INDEX_PATH = "search/search_index.json"


def search_entry(d: Disclosure) -> dict[str, str]:
    """What a reader searches a disclosure by: ID, aliases, packages, ecosystems, CWE, title and summary.

    The full narrative stays out: indexed section by section it made the index ~6 KB per disclosure,
    far too heavy for a phone at thousands of disclosures. Material inserts ``title`` and ``text`` into the
    results as HTML (its own entries are HTML), so both are HTML-escaped here: a package name or a summary
    with markup in it shows as the text it is.
    """
    packages = [f"{a.package} {a.ecosystem}" for a in d.affected]
    status = "withdrawn" if d.withdrawn else ""
    words = [d.id, *d.aliases, *packages, *d.cwe, status, plain_summary(d.body, 200)]
    return {"location": f"disclosures/{d.id}/", "title": escape(f"{d.id}: {d.title}", quote=False),
            "text": escape(" ".join(w for w in words if w), quote=False)}


def with_disclosures(index: bytes, entries: Sequence[dict[str, str]]) -> bytes:
    """Material's search index with ``entries`` (``search_entry`` of each public disclosure, in ID order)
    appended."""
    data: dict[str, Any] = json.loads(index)
    docs = list(data.get("docs", []))
    docs.extend(entries)
    data["docs"] = docs
    # The same serialisation Material uses, so the file stays byte-stable across builds.
    return json.dumps(data, separators=(",", ":"), default=str).encode("utf-8")
