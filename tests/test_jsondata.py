"""Free-form OSV mappings from frontmatter: JSON data only, bounded, no control characters, canonical text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from factory import SETTINGS, disclosure_text
from hypothesis import given
from hypothesis import strategies as st

from osqi_site.core import jsondata, loader, validate
from osqi_site.formats.osv import osv_record

GO_SYMBOLS = {"imports": [{"path": "net/netip", "symbols": ["Addr.IsLoopback", "Addr.IsPrivate"]}]}

TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")))
KEY = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
                    | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=4),
                    max_leaves=20)


@given(st.dictionaries(KEY, JSON, max_size=5))
def test_any_small_json_mapping_round_trips_unchanged(value: dict[str, Any]) -> None:
    text, problem = jsondata.freeze(value)
    assert problem is None and text is not None
    assert jsondata.thaw(text) == json.loads(json.dumps(value))
    assert jsondata.freeze(dict(reversed(list(value.items()))))[0] == text  # key order never matters


@pytest.mark.parametrize(("value", "message"), [
    (["a"], "must be a mapping of field: value, not list"),
    ({"a": "x\x1b[31m"}, "at a: holds the control character U+001B"),
    ({"a\n": 1}, "key 'a\\n' holds the control character U+000A"),
    ({"a": [{"b": date(2024, 6, 4)}]}, "at a[0].b: is date, not JSON data (quote it to make it a string)"),
    ({"a": 2**60}, "at a: is an integer beyond 2^53; write it as a string"),
    ({"a": float("nan")}, "at a: is not a finite number"),
    ({1: "x"}, "has a key 1 that is not a non-empty string (quote it)"),
    ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": 1}}}}}}}}}}, "at a.b.c.d.e.f.g.h.i: nests deeper "
                                                                              "than 8 levels"),
    ({"a": list(range(3000))}, "holds more than 2000 values; keep it small"),
    ({"a": "x" * 40000}, "is 40008 bytes as JSON; keep it under 32768"),
])
def test_what_is_not_plain_bounded_json_is_refused(value: Any, message: str) -> None:
    assert jsondata.freeze(value) == (None, message)


def test_fields_reach_osv_unchanged() -> None:
    affected = [{"ecosystem": "Go", "package": "stdlib", "ranges": [{"introduced": "0", "fixed": "1.21.11"}],
                 "ecosystem_specific": GO_SYMBOLS, "database_specific": {"source": "https://go.dev/issue/1"}}]
    text = disclosure_text(affected=affected, related=["GHSA-aaaa-bbbb-cccc"], upstream=["CVE-2024-24790"])
    doc, problems = loader.parse_text("disclosures/2026/OSQI-2026-0001.md", text.encode("utf-8"))
    assert doc is not None and problems == []
    d, problems = validate.validate_doc(doc, SETTINGS)
    assert problems == [] and d is not None
    rec = osv_record(d, SETTINGS)
    assert rec["related"] == ["GHSA-aaaa-bbbb-cccc"] and rec["upstream"] == ["CVE-2024-24790"]
    assert rec["affected"][0]["ecosystem_specific"] == GO_SYMBOLS
    assert rec["affected"][0]["database_specific"] == {"source": "https://go.dev/issue/1"}
    assert rec["affected"][0]["ranges"][0]["type"] == "SEMVER"


def test_a_withheld_id_in_related_upstream_or_a_mapping_is_a_publication_problem() -> None:
    from datetime import UTC, datetime

    from factory import make_disclosure

    from osqi_site.build import pipeline
    from osqi_site.core import gate

    affected = make_disclosure().affected[0]
    for changes in ({"related": ("OSQI-2026-0099",)}, {"upstream": ("OSQI-2026-0099",)},
                    {"affected": (replace(affected, database_specific='{"see":"OSQI-2026-0099"}'),)},
                    {"affected": (replace(affected, ecosystem_specific='{"see":"OSQI-2026-0099"}'),)}):
        d = make_disclosure(**changes)
        pub = gate.publish([d], datetime(2026, 11, 22, tzinfo=UTC))
        found = pipeline.publication_problems(pub, SETTINGS)
        assert [p.message.split(",")[0] for p in found] == ["mentions OSQI-2026-0099"], changes
