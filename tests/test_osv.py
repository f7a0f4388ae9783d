"""OSV export: records validate offline against the vendored 1.7.5 schema, plus the rules it cannot check."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the package is not installed; make the checkout importable
    sys.path.insert(0, str(ROOT))

from cvss import CVSS3, CVSS4  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from markupsafe import Markup  # noqa: E402
from packageurl import PackageURL  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402
from schemas import OSV_SCHEMA, SCHEMAS, errors, validator  # noqa: E402

from osqi_site.core.model import (  # noqa: E402
    Affected,
    Credit,
    Disclosure,
    Range,
    Reference,
    Revision,
    Severity,
    TimelineEvent,
    Withdrawal,
)
from osqi_site.core.settings import Settings  # noqa: E402
from osqi_site.core.timefmt import iso_z  # noqa: E402
from osqi_site.formats.osv import dump_json, orjson_spells_it_alike, osv_files, osv_record  # noqa: E402

SETTINGS = Settings(site_url="https://osqi.example/")
PAGE = "https://osqi.example/disclosures/OSQI-2026-0001/"

CVSS_V3 = Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical")
CVSS_V4 = Severity("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                   9.3, "Critical")

BODY = """
## Summary

A crafted frame makes `libfoo` write past the end of a heap buffer — «ünïcode» survives.

## Discovery

We found it while fuzzing the frame parser.

```c
memcpy(dst, src, len);  /* len is attacker-controlled */
```

## Fix

Upgrade to 1.4.2.
"""

PUBLISHED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REPO = "https://github.com/example/libfoo"
SHA_A = "a" * 40
SHA_B = "0123456789abcdef0123456789abcdef01234567"

BASE = Disclosure(
    id="OSQI-2026-0001",
    title="Heap buffer overflow in libfoo's frame parser",
    embargo_until=PUBLISHED,
    body=BODY,
    source="disclosures/2026/OSQI-2026-0001.md",
    aliases=("CVE-2026-12345",),
    affected=(Affected("PyPI", "libfoo", purl="pkg:pypi/libfoo", ranges=(Range("1.0.0", fixed="1.4.2"),),
                       versions=("1.0.0", "1.4.1")),),
    severity=(CVSS_V3,),
    cwe=("CWE-787",),
    credits=(Credit("Ada Example", "FINDER", ("mailto:ada@osqi.example",)),
             Credit("libfoo team", "REMEDIATION_DEVELOPER")),
    references=(Reference("FIX", f"{REPO}/commit/{SHA_B}"), Reference("REPORT", "https://bugs.example/123")),
    timeline=(TimelineEvent(date(2026, 1, 5), "discovered"),
              TimelineEvent(datetime(2026, 1, 6, 9, 30, tzinfo=UTC), "reported", "Sent to the maintainers.")),
)


def make(**overrides: Any) -> Disclosure:
    """A valid public disclosure with the given fields replaced."""
    return replace(BASE, **overrides)


GIT_UPSTREAM = Affected("GIT", "xz", repo="https://github.com/tukaani-project/xz",
                        ranges=(Range("5.6.0", fixed="5.6.2"),), versions=("5.6.0", "5.6.1"))

CASES: dict[str, Disclosure] = {
    "normal": BASE,
    "minimal": make(aliases=(), severity=(), cwe=(), credits=(), references=(), timeline=()),
    "git_semver": make(affected=(GIT_UPSTREAM,
                                 Affected("Debian", "xz-utils", purl="pkg:deb/debian/xz-utils",
                                          ranges=(Range("5.5.1alpha-0.1", fixed="5.6.1+really5.4.5-1"),))),
                       references=(Reference("PACKAGE", "https://github.com/tukaani-project/xz"),)),
    "git_curl": make(affected=(Affected("GIT", "curl", repo="https://github.com/curl/curl",
                                        ranges=(Range("7.69.0", fixed="8.4.0"),)),)),
    "git_commits": make(affected=(Affected("GIT", "libfoo", repo=REPO, ranges=(
        Range("0", fixed=SHA_A), Range(SHA_B, last_affected=SHA_A))),)),
    "git_not_semver": make(affected=(Affected("GIT", "openssh", repo="https://github.com/openssh/openssh-portable",
                                              ranges=(Range("8.5p1", fixed="9.8p1"),)),)),
    "withdrawn": make(withdrawn=Withdrawal(datetime(2026, 4, 2, 8, 0, tzinfo=UTC), "Not a vulnerability: the "
                                           "length is checked by the caller.")),
    "revised": make(revisions=(Revision(datetime(2026, 3, 10, 10, 0, tzinfo=UTC), "Added the fixed version."),
                               Revision(datetime(2026, 3, 20, 16, 45, tzinfo=UTC), "Corrected CVSS."))),
    "cvss_v4": make(severity=(CVSS_V4,)),
    "both_cvss": make(severity=(CVSS_V3, CVSS_V4)),
    "last_affected": make(affected=(Affected("npm", "@scope/libfoo",
                                             ranges=(Range("0", last_affected="2.1.214"),)),)),
    "no_fix": make(affected=(Affected("crates.io", "libfoo", ranges=(Range("0.3.0"),)),)),
    "multi_range": make(affected=(Affected("Maven", "org.example:libfoo", ranges=(
        Range("1.0", fixed="1.2.5"), Range("2.0", fixed="2.0.3"))),)),
    "versions_only": make(affected=(Affected("Debian:12", "libfoo", versions=("1.0-1", "1.0-2")),)),
}

_OSQI = validator(OSV_SCHEMA, osv_prefix=SETTINGS.id_prefix)


def _schema_errors(record: dict[str, Any]) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _OSQI.iter_errors(record))


def _timestamps(record: dict[str, Any]) -> list[str]:
    return [record[k] for k in ("modified", "published", "withdrawn") if k in record]


# --- the schema and the rules it cannot check ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_record_validates_against_osv_schema(name: str) -> None:
    assert _schema_errors(osv_record(CASES[name], SETTINGS)) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_record_rules_beyond_the_schema(name: str) -> None:
    d = CASES[name]
    rec = osv_record(d, SETTINGS)
    assert rec["schema_version"] == "1.7.5"
    assert rec["id"] == d.id
    # The spec puts a withdrawal's rationale in the summary; otherwise the summary is the title.
    expected = d.title if d.withdrawn is None else "Withdrawn: " + " ".join(d.withdrawn.reason.split())
    assert rec["summary"] == expected and "\n" not in rec["summary"] and len(rec["summary"]) <= 120
    for stamp in _timestamps(rec):
        assert stamp.endswith("Z") and datetime.fromisoformat(stamp).tzinfo is not None
    assert rec["published"] <= rec["modified"]
    for a in rec.get("affected", []):
        for r in a.get("ranges", []):
            events = r["events"]
            assert all(len(e) == 1 for e in events), events
            assert "introduced" in events[0]
            kinds = [next(iter(e)) for e in events]
            assert not {"fixed", "last_affected"} <= set(kinds)
            assert kinds == sorted(kinds, key=lambda k: k != "introduced")
            if r["type"] == "GIT":
                assert r["repo"]
        if "package" in a and "purl" in a["package"]:
            purl = PackageURL.from_string(a["package"]["purl"])
            assert purl.version is None


def test_introduced_before_fixed_for_python_versions() -> None:
    rec = osv_record(BASE, SETTINGS)
    for a in rec["affected"]:
        for r in a["ranges"]:
            values = [next(iter(e.values())) for e in r["events"]]
            try:
                parsed = [Version(v) for v in values]
            except InvalidVersion:
                continue
            assert parsed == sorted(parsed)


def test_modified_is_newest_revision_and_published_is_embargo_end() -> None:
    rec = osv_record(CASES["revised"], SETTINGS)
    assert rec["published"] == "2026-03-01T12:00:00Z"
    assert rec["modified"] == "2026-03-20T16:45:00Z"
    assert rec["database_specific"]["revisions"] == [
        {"date": "2026-03-10T10:00:00Z", "summary": "Added the fixed version."},
        {"date": "2026-03-20T16:45:00Z", "summary": "Corrected CVSS."},
    ]


def test_unrevised_record_has_modified_equal_published() -> None:
    rec = osv_record(BASE, SETTINGS)
    assert rec["modified"] == rec["published"] == iso_z(PUBLISHED)
    assert "withdrawn" not in rec and "revisions" not in rec["database_specific"]


def test_timestamps_are_utc_z_even_from_other_offsets() -> None:
    from datetime import timedelta, timezone
    plus_two = timezone(timedelta(hours=2))
    d = make(embargo_until=datetime(2026, 3, 1, 14, 0, tzinfo=plus_two))
    rec = osv_record(d, SETTINGS)
    assert rec["published"] == rec["modified"] == "2026-03-01T12:00:00Z"


def test_withdrawn_record() -> None:
    d = CASES["withdrawn"]
    rec = osv_record(d, SETTINGS)
    assert rec["withdrawn"] == "2026-04-02T08:00:00Z"
    assert rec["modified"] == rec["withdrawn"]
    assert rec["details"].startswith(
        "**Withdrawn:** Not a vulnerability: the length is checked by the caller.\n\n## Summary\n")
    assert rec["details"].endswith(BODY.strip())
    assert rec["database_specific"]["withdrawn"] == {
        "date": "2026-04-02T08:00:00Z", "reason": "Not a vulnerability: the length is checked by the caller."}
    assert rec["summary"] == "Withdrawn: Not a vulnerability: the length is checked by the caller."


def test_a_long_withdrawal_reason_is_cut_in_the_summary_and_whole_in_details() -> None:
    reason = "Duplicate of an earlier report. " * 10
    rec = osv_record(replace(CASES["withdrawn"], withdrawn=Withdrawal(datetime(2026, 4, 2, tzinfo=UTC), reason)),
                     SETTINGS)
    assert len(rec["summary"]) <= 120 and rec["summary"].startswith("Withdrawn: Duplicate of an earlier report.")
    assert rec["summary"].endswith("…")
    assert rec["details"].startswith(f"**Withdrawn:** {reason.strip()}\n\n")


def test_details_carry_the_full_narrative() -> None:
    rec = osv_record(BASE, SETTINGS)
    assert rec["details"] == BODY.strip()
    for marker in ("## Discovery", "memcpy(dst, src, len);", "Upgrade to 1.4.2.", "«ünïcode»"):
        assert marker in rec["details"]


def test_normal_ecosystem_affected() -> None:
    rec = osv_record(BASE, SETTINGS)
    assert rec["affected"] == [{
        "package": {"ecosystem": "PyPI", "name": "libfoo", "purl": "pkg:pypi/libfoo"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.2"}]}],
        "versions": ["1.0.0", "1.4.1"],
    }]


def test_last_affected_and_no_fix_ranges() -> None:
    last = osv_record(CASES["last_affected"], SETTINGS)["affected"][0]
    # npm and crates.io versions are SemVer: their ranges are SEMVER, as GHSA and RustSec publish them.
    assert last["ranges"] == [
        {"type": "SEMVER", "events": [{"introduced": "0"}, {"last_affected": "2.1.214"}]}]
    assert "purl" not in last["package"] and "versions" not in last
    open_ = osv_record(CASES["no_fix"], SETTINGS)["affected"][0]
    assert open_["ranges"] == [{"type": "SEMVER", "events": [{"introduced": "0.3.0"}]}]


def test_each_range_keeps_its_own_events() -> None:
    ranges = osv_record(CASES["multi_range"], SETTINGS)["affected"][0]["ranges"]
    assert [r["events"] for r in ranges] == [[{"introduced": "1.0"}, {"fixed": "1.2.5"}],
                                              [{"introduced": "2.0"}, {"fixed": "2.0.3"}]]


def test_git_upstream_has_no_package_and_semver_range() -> None:
    rec = osv_record(CASES["git_semver"], SETTINGS)
    git, debian = rec["affected"]
    assert "package" not in git
    assert git["database_specific"] == {"repo": "https://github.com/tukaani-project/xz", "package": "xz"}
    assert git["ranges"] == [{"type": "SEMVER", "events": [{"introduced": "5.6.0"}, {"fixed": "5.6.2"}]}]
    assert git["versions"] == ["5.6.0", "5.6.1"]
    assert debian["package"]["ecosystem"] == "Debian"
    assert debian["ranges"][0]["type"] == "ECOSYSTEM"
    curl = osv_record(CASES["git_curl"], SETTINGS)["affected"][0]
    assert curl["ranges"][0]["type"] == "SEMVER"


def test_git_upstream_repo_is_one_package_reference() -> None:
    # The author already listed the repo as PACKAGE: it must not appear twice.
    refs = osv_record(CASES["git_semver"], SETTINGS)["references"]
    assert [r["url"] for r in refs].count("https://github.com/tukaani-project/xz") == 1
    assert {"type": "PACKAGE", "url": "https://github.com/tukaani-project/xz"} in refs
    # Without it, the repo is added.
    refs = osv_record(CASES["git_curl"], SETTINGS)["references"]
    assert refs[-1] == {"type": "PACKAGE", "url": "https://github.com/curl/curl"}


def test_git_upstream_commit_hashes_make_a_git_range() -> None:
    ranges = osv_record(CASES["git_commits"], SETTINGS)["affected"][0]["ranges"]
    assert ranges == [
        {"type": "GIT", "repo": REPO, "events": [{"introduced": "0"}, {"fixed": SHA_A}]},
        {"type": "GIT", "repo": REPO, "events": [{"introduced": SHA_B}, {"last_affected": SHA_A}]},
    ]


def test_git_upstream_without_semver_tags_is_not_called_semver() -> None:
    r = osv_record(CASES["git_not_semver"], SETTINGS)["affected"][0]["ranges"][0]
    assert r["type"] == "ECOSYSTEM"
    assert r["events"] == [{"introduced": "8.5p1"}, {"fixed": "9.8p1"}]


def test_short_hash_is_not_treated_as_a_commit() -> None:
    d = make(affected=(Affected("GIT", "libfoo", repo=REPO, ranges=(Range("0", fixed="abc1234"),)),))
    rec = osv_record(d, SETTINGS)
    assert rec["affected"][0]["ranges"][0]["type"] != "GIT"
    assert _schema_errors(rec) == []


@pytest.mark.parametrize("severity", [(CVSS_V3,), (CVSS_V4,), (CVSS_V3, CVSS_V4)])
def test_severity_is_the_vector_at_top_level(severity: tuple[Severity, ...]) -> None:
    rec = osv_record(make(severity=severity), SETTINGS)
    assert rec["severity"] == [{"type": s.type, "score": s.vector} for s in severity]
    assert all("severity" not in a for a in rec["affected"])
    assert rec["database_specific"]["severity"] == [
        {"type": s.type, "vector": s.vector, "score": s.score, "rating": s.rating} for s in severity]


def test_test_severities_are_computed_from_their_vectors() -> None:
    v3 = CVSS3(CVSS_V3.vector)
    assert (v3.scores()[0], v3.severities()[0]) == (CVSS_V3.score, CVSS_V3.rating)
    v4 = CVSS4(CVSS_V4.vector)
    assert (v4.base_score, v4.severity) == (CVSS_V4.score, CVSS_V4.rating)


def test_optional_fields_are_omitted_when_empty() -> None:
    rec = osv_record(CASES["minimal"], SETTINGS)
    for key in ("aliases", "severity", "credits", "withdrawn"):
        assert key not in rec
    assert rec["references"] == [{"type": "ADVISORY", "url": PAGE}]
    assert rec["database_specific"] == {"url": PAGE}


def test_references_start_with_our_page_and_have_no_duplicates() -> None:
    d = make(references=(Reference("WEB", PAGE), *BASE.references, BASE.references[0]))
    refs = osv_record(d, SETTINGS)["references"]
    assert refs == [{"type": "ADVISORY", "url": PAGE},
                    {"type": "FIX", "url": f"{REPO}/commit/{SHA_B}"},
                    {"type": "REPORT", "url": "https://bugs.example/123"}]


def test_credits_aliases_and_database_specific() -> None:
    rec = osv_record(BASE, SETTINGS)
    assert rec["aliases"] == ["CVE-2026-12345"]
    assert rec["credits"] == [
        {"name": "Ada Example", "type": "FINDER", "contact": ["mailto:ada@osqi.example"]},
        {"name": "libfoo team", "type": "REMEDIATION_DEVELOPER"},
    ]
    ds = rec["database_specific"]
    assert ds["url"] == PAGE
    assert ds["cwe_ids"] == ["CWE-787"]
    assert ds["timeline"] == [
        {"date": "2026-01-05", "event": "discovered"},
        {"date": "2026-01-06T09:30:00Z", "event": "reported", "note": "Sent to the maintainers."},
    ]


def test_record_is_json_serializable_and_round_trips() -> None:
    rec = osv_record(CASES["git_semver"], SETTINGS)
    assert json.loads(dump_json(rec)) == rec


# --- files --------------------------------------------------------------------------------------------------


def _public() -> list[Disclosure]:
    return [
        make(id="OSQI-2026-0010", title="Second"),
        CASES["withdrawn"],
        make(id="OSQI-2025-0003", title="Older", affected=CASES["git_semver"].affected),
    ]


def test_files_layout_and_all_json_equals_each_file() -> None:
    files = osv_files(_public(), SETTINGS)
    ids = ["OSQI-2025-0003", "OSQI-2026-0001", "OSQI-2026-0010"]
    assert sorted(files) == sorted([*(f"osv/{i}.json" for i in ids), "osv/all.json"])
    every = json.loads(files["osv/all.json"])
    assert isinstance(every, list)
    assert [r["id"] for r in every] == ids
    for rec in every:
        assert json.loads(files[f"osv/{rec['id']}.json"]) == rec
        assert _schema_errors(rec) == []
    assert {p.removeprefix("osv/").removesuffix(".json") for p in files} - {"all"} == {r["id"] for r in every}


def test_files_are_deterministic_bytes() -> None:
    first = osv_files(_public(), SETTINGS)
    second = osv_files(list(reversed(_public())), SETTINGS)
    assert first == second
    for data in first.values():
        assert data.endswith(b"}\n") or data.endswith(b"]\n")
        text = data.decode("utf-8")
        assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


def test_no_public_disclosures_gives_an_empty_array() -> None:
    assert osv_files([], SETTINGS) == {"osv/all.json": b"[]\n"}


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="OSQI-2026-0001"):
        osv_files([BASE, BASE], SETTINGS)


def test_dump_json_spelling() -> None:
    assert dump_json({"b": 1, "a": "ü"}) == '{\n  "a": "ü",\n  "b": 1\n}\n'.encode()


# --- the validator itself -----------------------------------------------------------------------------------


def test_unmodified_vendored_schema_rejects_our_id() -> None:
    rec = osv_record(BASE, SETTINGS)
    found = errors(OSV_SCHEMA, rec)
    assert found and all(e.startswith("id:") for e in found), found
    assert errors(OSV_SCHEMA, {**rec, "id": "CVE-2026-12345"}) == []


def test_prefix_swap_adds_only_our_prefix() -> None:
    rec = osv_record(BASE, SETTINGS)
    assert _schema_errors(rec) == []
    assert _schema_errors({**rec, "id": "GHSA-xxxx-xxxx-xxxx"}) == []
    assert _schema_errors({**rec, "id": "NOPE-2026-0001"}) != []
    assert _schema_errors({**rec, "id": "xOSQI-2026-0001"}) != []


def test_validator_checks_formats() -> None:
    rec = osv_record(BASE, SETTINGS)
    assert _schema_errors({**rec, "modified": "2026-13-01T00:00:00Z"}) != []
    assert _schema_errors({**rec, "published": "junk 2026-03-01T12:00:00Z junk"}) != []
    assert _schema_errors({**rec, "references": [{"type": "WEB", "url": "not a uri"}]}) != []


def test_validator_catches_structural_mistakes() -> None:
    rec = osv_record(BASE, SETTINGS)
    bad_event = {**rec, "affected": [{**rec["affected"][0], "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}]}
    assert _schema_errors(bad_event) != []
    assert _schema_errors({**rec, "cwe": ["CWE-787"]}) != []  # top level is additionalProperties: false
    assert _schema_errors({**rec, "affected": [{**rec["affected"][0], "severity": rec["severity"]}]}) != []


VENDORED = {
    "osv/osv-schema-1.7.5.json": "cd2fc34779f60388921829a31f1e860b77b334ee586bffe500887c0c2725dbd9",
    "csaf/csaf_json_schema.json": "29c114b35b0a30831f1674f2ab8b3ed9b2890cfeaa63b924ac6ed9d70ef44262",
    "csaf/provider_json_schema.json": "0270d0cfadf5202ff83a63502012a407e0e8ec3194a07296f13641c9f5630aba",
    "csaf/aggregator_json_schema.json": "6e76b27b9552168e756f4b1c8be0a9d43414338ee44793e55357869b86031242",
    "csaf/cvss-v2.0.json": "cd1a7c0815b7a47dc12fb7dded10622b96d562841f7bc6d2d8765c5d937a28f2",
    "csaf/cvss-v3.0.json": "b2b587e5dfa6d9a4be89e25cb593df04f14e7ffbe8fe5b167ceee17b6097d919",
    "csaf/cvss-v3.1.json": "77ff3df106e4588e2bb5c9cf0237f962c62d35c5002443c4bf7cc7ca16ee171f",
}


@pytest.mark.parametrize("rel", sorted(VENDORED))
def test_vendored_schemas_are_byte_identical_to_upstream(rel: str) -> None:
    assert hashlib.sha256((SCHEMAS / rel).read_bytes()).hexdigest() == VENDORED[rel]
    assert VENDORED[rel] in (SCHEMAS / "README.md").read_text(encoding="utf-8")


def test_our_ecosystem_list_matches_the_vendored_schema() -> None:
    from osqi_site.core.ecosystems import OSV_ECOSYSTEMS
    schema = json.loads((SCHEMAS / OSV_SCHEMA).read_text(encoding="utf-8"))
    assert set(schema["$defs"]["ecosystemName"]["enum"]) == OSV_ECOSYSTEMS


def test_csaf_validator_follows_first_cvss_refs_offline() -> None:
    cvss = {"version": "3.1", "vectorString": CVSS_V3.vector, "baseScore": 9.8, "baseSeverity": "CRITICAL"}
    doc = {"document": {
        "category": "csaf_base", "csaf_version": "2.0", "title": "t",
        "publisher": {"category": "vendor", "name": "OSQI", "namespace": "https://osqi.example"},
        "tracking": {"id": "OSQI-2026-0001", "status": "final", "version": "1",
                     "initial_release_date": "2026-03-01T12:00:00Z", "current_release_date": "2026-03-01T12:00:00Z",
                     "revision_history": [{"date": "2026-03-01T12:00:00Z", "number": "1", "summary": "First."}]}},
        "vulnerabilities": [{"scores": [{"products": ["P1"], "cvss_v3": cvss}]}]}
    assert errors("csaf/csaf_json_schema.json", doc) == []
    cvss["baseSeverity"] = "BOGUS"  # only the $ref'd FIRST cvss-v3.1 schema knows the allowed values
    assert errors("csaf/csaf_json_schema.json", doc) != []


# -- one JSON spelling whichever encoder writes it -------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=25,
)


def _reference(obj: object) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(_json_values)
def test_dump_json_writes_exactly_what_json_dumps_writes(obj: object) -> None:
    try:
        expected = _reference(obj)
    except (UnicodeEncodeError, ValueError):  # lone surrogates: not UTF-8, refused either way
        with pytest.raises((UnicodeEncodeError, ValueError)):
            dump_json(obj)
        return
    assert dump_json(obj) == expected


@pytest.mark.parametrize("obj", [
    {"score": 1e-05}, {"big": 1e16}, [float("nan")], {"n": 2**64}, {1: "non-string key"},
    {"when": datetime(2026, 1, 2, tzinfo=UTC)}, {"nested": [[{"x": 0.0001, "y": 5e-324}]]},
])
def test_dump_json_falls_back_where_orjson_would_differ_or_accept_more(obj: object) -> None:
    try:
        expected: bytes | type[Exception] = _reference(obj)
    except TypeError:
        expected = TypeError
    if expected is TypeError:
        with pytest.raises(TypeError):
            dump_json(obj)
    else:
        assert dump_json(obj) == expected


def _spells_alike_plainly(obj: object) -> bool:
    """The plain walk ``orjson_spells_it_alike`` must agree with: every value looked at, strings too."""
    todo = [obj]
    while todo:
        x = todo.pop()
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, list | tuple):
            todo.extend(x)
        elif isinstance(x, float) and (not math.isfinite(x) or "e" in repr(x)):
            return False
    return True


class _Float(float):
    def __repr__(self) -> str:
        return "1e+300"


_walked = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
    | st.text().map(Markup) | st.floats(allow_nan=False, allow_infinity=False).map(_Float),
    lambda children: st.lists(children, max_size=4) | st.lists(children, max_size=4).map(tuple)
    | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=600, deadline=None)
@given(_walked)
def test_orjson_spells_it_alike_is_the_plain_walk(obj: object) -> None:
    # It skips plain strings without looking at them; anything else (a str subclass, a float subclass whose
    # repr has an exponent, a tuple) is looked at as the plain walk looks at it.
    assert orjson_spells_it_alike(obj) is _spells_alike_plainly(obj)


def test_orjson_spells_it_alike_on_real_records() -> None:
    from osqi_site.formats import csaf, cve  # the three exports' documents, each with its float scores

    d = replace(make(), severity=(CVSS_V3, CVSS_V4), aliases=("CVE-2026-1234",))
    for doc in (osv_record(d, SETTINGS), csaf.advisory(d, SETTINGS), cve.cna_container(d, SETTINGS)):
        assert orjson_spells_it_alike(doc) is _spells_alike_plainly(doc) is True
        assert orjson_spells_it_alike([doc, {"x": (1e-05,)}]) is _spells_alike_plainly([doc, {"x": (1e-05,)}]) \
            is False
