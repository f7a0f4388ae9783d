"""Search entries: what a reader finds a disclosure by, escaped for Material, which inserts them as HTML."""

from __future__ import annotations

import json

import lxml.html
from factory import DEFAULT, make_disclosure

from osqi_site.core.model import Affected, Disclosure, Range
from osqi_site.formats import search

HOSTILE_PACKAGE = "<img src=x onerror=alert('pkg')>"


def _hostile() -> Disclosure:
    return make_disclosure(
        title="<script>alert('title')</script> & more",
        affected=(Affected("PyPI", HOSTILE_PACKAGE, None, None, (Range("0", "1.0"),)),),
        body="## Summary\n\nA <svg onload=alert('summary')> summary.\n\n## Discovery\n\nFound.\n")


def test_entry_title_and_text_are_text_when_inserted_as_html() -> None:
    entry = search.search_entry(_hostile())
    for field in ("title", "text"):
        # Material appends these strings with innerHTML: parsed that way, they must hold no element at all.
        parsed = lxml.html.fragment_fromstring(entry[field], create_parent="div")
        assert [el.tag for el in parsed.iter()] == ["div"], field
    title = lxml.html.fragment_fromstring(entry["title"], create_parent="div").text_content()
    assert title == "OSQI-2026-0001: <script>alert('title')</script> & more"
    text = lxml.html.fragment_fromstring(entry["text"], create_parent="div").text_content()
    assert HOSTILE_PACKAGE in text and "<svg onload=alert('summary')>" in text


def test_plain_entries_are_unchanged_by_escaping() -> None:
    entry = search.search_entry(DEFAULT)
    assert entry["title"] == f"{DEFAULT.id}: {DEFAULT.title}"
    assert "libfoo PyPI" in entry["text"]


def test_with_disclosures_keeps_material_entries_and_adds_ours() -> None:
    index = json.dumps({"config": {"lang": ["en"]}, "docs": [{"location": "", "title": "Home", "text": "x"}]})
    out = json.loads(search.with_disclosures(index.encode(), [search.search_entry(_hostile())]))
    assert [d["location"] for d in out["docs"]] == ["", "disclosures/OSQI-2026-0001/"]
    assert "<" not in out["docs"][1]["title"] + out["docs"][1]["text"]
