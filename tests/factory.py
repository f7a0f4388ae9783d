"""Valid-disclosure factories: source text with one override per test case, and model values.

``disclosure_text()`` returns the Markdown of a disclosure that passes validation and is public at
``NOW``; every keyword overrides one top-level frontmatter field (``None`` removes it), and ``body=``
replaces the narrative.  ``make_disclosure()`` is the same disclosure as a validated model value, so
gate tests need no files at all.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from osqi_site.core.model import Affected, Credit, Disclosure, Range, Reference, Severity, TimelineEvent
from osqi_site.core.settings import Settings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
"""The fixed clock of every test: nothing here ever reads the real time."""

SETTINGS = Settings(site_url="https://osqi.example/")

DEFAULT_ID = "OSQI-2026-0001"
DEFAULT_EMBARGO = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
"""Three weeks before ``NOW``: the default disclosure is public."""

DEFAULT_REL = f"disclosures/2026/{DEFAULT_ID}.md"

BODY = """
## Summary

A heap overflow in `libfoo` lets a crafted archive run code.

## Discovery

We fuzzed the archive parser for a week; the sanitizer flagged a write past the buffer.
"""

_META: dict[str, Any] = {
    "id": DEFAULT_ID,
    "title": "Heap overflow in libfoo archive parser",
    "embargo_until": "2026-11-01T12:00:00Z",
    "draft": False,
    "aliases": ["CVE-2026-12345"],
    "affected": [
        {"ecosystem": "PyPI", "package": "libfoo", "purl": "pkg:pypi/libfoo",
         "ranges": [{"introduced": "0", "fixed": "1.2.3"}]},
    ],
    "severity": [{"type": "CVSS_V3", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "cwe": ["CWE-787"],
    "credits": [{"name": "Ada Lovelace", "type": "FINDER"}],
    "references": [{"type": "ADVISORY", "url": "https://example.org/advisories/libfoo-1"}],
    "timeline": [{"date": "2026-10-01", "event": "discovered"}],
}


def default_meta() -> dict[str, Any]:
    """A fresh copy of the valid frontmatter, safe to modify."""
    return copy.deepcopy(_META)


def disclosure_text(*, body: str = BODY, **overrides: Any) -> str:
    """Markdown of a valid disclosure with ``overrides`` applied to its frontmatter.

    A value of ``None`` removes the key; a key that is not in the default is appended (so
    ``embargo_untill=...`` writes a typo).  Values are dumped with ``yaml.safe_dump``, so strings
    that look like timestamps or numbers stay strings; pass ``datetime``/``date`` values or use raw
    text to test YAML's own typing.
    """
    meta = default_meta()
    for key, value in overrides.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{front}---\n{body}"


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``text`` that contains ``needle``."""
    seen = 0
    for i, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} not found {nth} time(s) in text")


def write_disclosure(disclosures_dir: Path, rel: str | None = None, *, text: str | bytes | None = None,
                     **overrides: Any) -> Path:
    """Write a disclosure below ``disclosures_dir``; by default ``<year>/<id>.md`` of a valid one.

    ``text`` (str or raw bytes) is written as given; otherwise ``disclosure_text(**overrides)``.
    """
    if text is None:
        text = disclosure_text(**overrides)
    if rel is None:
        ident = overrides.get("id") or DEFAULT_ID
        rel = f"2026/{ident}.md"
    path = disclosures_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")
    return path


_DEFAULT_TEXT = disclosure_text()

DEFAULT = Disclosure(
    id=DEFAULT_ID,
    title="Heap overflow in libfoo archive parser",
    embargo_until=DEFAULT_EMBARGO,
    body=BODY,
    source=DEFAULT_REL,
    body_line=_DEFAULT_TEXT.split("\n").index("---", 1) + 2,
    draft=False,
    aliases=("CVE-2026-12345",),
    affected=(Affected(ecosystem="PyPI", package="libfoo", purl="pkg:pypi/libfoo",
                       ranges=(Range(introduced="0", fixed="1.2.3"),)),),
    severity=(Severity(type="CVSS_V3", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                       score=9.8, rating="Critical"),),
    cwe=("CWE-787",),
    credits=(Credit(name="Ada Lovelace", type="FINDER"),),
    references=(Reference(type="ADVISORY", url="https://example.org/advisories/libfoo-1"),),
    timeline=(TimelineEvent(date=date(2026, 10, 1), event="discovered"),),
)
"""The model value of ``disclosure_text()`` as validation builds it from ``DEFAULT_REL``."""


def make_disclosure(**overrides: Any) -> Disclosure:
    """A valid disclosure (``DEFAULT``) with fields replaced; ``source`` follows an overridden ``id``."""
    if "id" in overrides and "source" not in overrides:
        overrides["source"] = f"disclosures/2026/{overrides['id']}.md"
    return replace(DEFAULT, **overrides)
