"""Validation: every named invalid fixture yields exactly its problems, located by path:line: field."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import INVALID
from factory import (
    BODY,
    DEFAULT,
    DEFAULT_ID,
    DEFAULT_REL,
    SETTINGS,
    disclosure_text,
    line_of,
    write_disclosure,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from osqi_site.build import pipeline
from osqi_site.core import loader, validate
from osqi_site.core.model import Disclosure, Revision, Withdrawal
from osqi_site.core.problems import Problem
from osqi_site.formats import csaf

REL = DEFAULT_REL
_SEAL_HOW = "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
_ONLY = "only http:, https:, mailto: and relative URLs may be published"
_REQUIRED_EMBARGO = ("embargo_until: is required unless draft: true; write an instant such as "
                     "2026-12-01T12:00:00Z")

# Each fixture is checked as if it were disclosures/2026/OSQI-2026-0001.md; the expected lines are every
# problem of the run, in order, as "line: field: message" (the path is the same for all of them).
INVALID_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("unknown-key.md", (
        f"1: {_REQUIRED_EMBARGO}",
        "3: embargo_untill: unknown field; did you mean 'embargo_until'?",
    )),
    ("unknown-nested-key.md", (
        "6: affected[0].package: is required",
        "7: affected[0].pakage: unknown field; did you mean 'package'?",
    )),
    ("missing-embargo.md", (f"1: {_REQUIRED_EMBARGO}",)),
    ("date-only-embargo.md", (
        "4: embargo_until: is a date without a time; write an instant such as 2026-12-01T12:00:00Z",)),
    ("offset-less-embargo.md", (
        "4: embargo_until: has no UTC offset; write it as 2026-12-01T12:00:00Z or with +hh:mm",)),
    ("offset-less-embargo-quoted.md", (
        "4: embargo_until: has no UTC offset; write it as 2026-12-01T12:00:00Z or with +hh:mm",)),
    ("malformed-embargo.md", (
        "4: embargo_until: 'next tuesday' is not an RFC 3339 instant with offset, e.g. 2026-12-01T12:00:00Z",)),
    ("month-13-embargo.md", (
        "4: embargo_until: '2026-13-01T12:00:00Z' is not a valid instant (month must be in 1..12)",)),
    ("id-mismatch.md", (
        "2: id: 'OSQI-2026-0002' does not match the file name 'OSQI-2026-0001.md'; "
        "rename the file or fix the id",)),
    ("bad-id-form.md", ("2: id: 'OSQI-26-1' does not have the form OSQI-YYYY-NNNN",)),
    ("bad-cvss.md", (
        "13: severity[0].vector: invalid CVSS_V3 vector 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H': "
        'Unknown value "X" in field "AV:X"',)),
    ("cvss-not-canonical.md", (
        "13: severity[0].vector: write the vector in canonical form: "
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",)),
    ("cvss-version-mismatch.md", (
        "13: severity[0].vector: invalid CVSS_V4 vector 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H': "
        "a CVSS v4 vector starts with CVSS:4.0/",)),
    ("missing-discovery.md", (
        "21: ## Discovery: section is missing; add a '## Discovery' heading with its text",)),
    ("empty-summary.md", ("22: ## Summary: section is empty; write it before publication",)),
    ("malformed-yaml.md", ("4: frontmatter: malformed YAML: did not find expected ',' or ']'",)),
    ("frontmatter-not-closed.md", ("1: frontmatter: not closed: add a '---' line after the YAML fields",)),
    ("no-frontmatter.md", (
        "1: frontmatter: missing: the file must start with a '---' line, YAML fields, and a closing '---'",)),
    ("frontmatter-is-a-list.md", ("2: frontmatter: must be a mapping of field: value",)),
    ("duplicate-key.md", ("5: frontmatter: duplicate key 'title' (first on line 3)",)),
    ("yaml-alias.md", (
        "12: frontmatter: YAML anchors and aliases (&, *) are not allowed; write the value out",)),
    ("merge-key.md", ("14: frontmatter: YAML merge keys (<<) are not allowed",)),
    ("bom.md", ("1: file: starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM",)),
    ("not-utf8.md", ("3: file: not valid UTF-8 (byte 0xe9); save it as UTF-8",)),
    ("conflict-marker.md", (
        "24: file: merge-conflict marker; resolve the conflict first",
        "28: file: merge-conflict marker; resolve the conflict first",
    )),
    ("javascript-url.md", ("16: references[0].url: 'javascript:alert(1)' is not an http(s) URL",)),
    # Script-bearing URLs in every field that holds one, spelled as a browser would still run them.
    ("repo-script-url.md", ("8: affected[0].repo: 'java\\tscript:alert(1)' is not an http(s) URL",)),
    ("contact-script-url.md", ("14: credits[0].contact[0]: 'JAVASCRIPT:alert(1)' must be an https:// or mailto: URL",)),
    ("narrative-script-link.md", (
        f"25: body: link 'javascript:alert(document.cookie)' uses the scheme 'javascript:'; {_ONLY}",)),
    ("narrative-data-image.md", (
        f"30: body: link 'data:text/html;base64,PHNjcmlwdD4=' uses the scheme 'data:'; {_ONLY}",)),
    ("narrative-link-definition.md", (f"31: body: link 'VBScript:msgbox(1)' uses the scheme 'vbscript:'; {_ONLY}",)),
    ("narrative-html-href.md", (
        f"31: body: <a href> 'jav&#x09;ascript&colon;alert(1)' uses the scheme 'javascript:'; {_ONLY}",)),
    ("git-without-repo.md", (
        "6: affected[0].repo: is required when ecosystem is GIT: the upstream repository URL",)),
    ("fixed-and-last-affected.md", ("9: affected[0].ranges[0]: give fixed or last_affected, not both",)),
    ("affected-without-versions.md", (
        "6: affected[0]: needs ranges or versions: say which versions are affected",)),
    ("unknown-ecosystem.md", (
        "6: affected[0].ecosystem: 'PyPy' is not an OSV ecosystem (PyPI, npm, crates.io, Go, Maven, "
        "Debian, ...) nor GIT",)),
    ("revision-before-embargo.md", (
        "12: revisions[0].date: is before embargo_until; a revision records a change after publication",)),
    ("withdrawn-before-embargo.md", (
        "12: withdrawn.date: is before embargo_until; a withdrawal follows publication",)),
    ("draft-not-bool.md", ("5: draft: must be true or false, not str",)),
    ("bad-timeline-event.md", (
        "19: timeline[0].event: 'found' is not one of: discovered, reported, acknowledged, fixed, "
        "fix_released, cve_assigned, disclosed, other",)),
    ("title-not-string.md", ("3: title: must be a string, not a number (quote it)",)),
    # Hostile input (issue 12): each of these once passed check and crashed later, or hung.
    ("control-char-in-title.md", (  # a YAML escape: the file's own bytes are clean
        "3: title: contains the control character U+001B; remove it (tab and line feed are allowed)",)),
    ("bidi-override-in-title.md", (  # a YAML escape: "Trojan Source", OSQI-2026-0002 displayed backwards
        "3: title: contains the bidirectional control U+202E, which makes the text after it display in another "
        "order than it is stored (a \"Trojan Source\" spelling that hides what readers see from every check); "
        "remove it",)),
    ("bidi-override-in-body.md", (
        "24: file: contains the bidirectional control U+202E, which makes the text after it display in another "
        "order than it is stored (a \"Trojan Source\" spelling that hides what readers see from every check); "
        "remove it",)),
    ("control-char-in-body.md", (
        "24: file: contains the control character U+001B; remove it (tab and line feed are allowed)",)),
    ("lone-carriage-return.md", (
        "26: file: carriage return without a line feed (an old Mac line ending); save with LF or CRLF "
        "line endings",)),
    ("calendar-edge-embargo.md", (
        "4: embargo_until: '0001-01-01T00:00:00+14:00' is outside the years 1970 to 9999 once converted to UTC",)),
    ("leap-second-embargo.md", (
        "4: embargo_until: '2026-12-31T23:59:60Z' is not a valid instant (second must be in 0..59)",)),
    ("timeline-before-1970.md", (
        "18: timeline[0].date: '1969-12-31' is before 1970-01-01; dates and instants lie in the years 1970 to "
        "9999 (UTC)",)),
    ("huge-number.md", (
        "9: affected[0].ranges[0].introduced: a number written with 5000 characters (at most 100); quote it if "
        "it is text",)),
    ("explicit-int-tag.md", (
        "10: affected[0].ranges[0].fixed: '1.2.3' is not a valid YAML int; quote it if it is text",)),
    ("non-ascii-id-digits.md", (
        "2: id: 'OSQI-\\uff12\\uff10\\uff12\\uff16-0001' has characters other than ASCII letters, digits and '-'; "
        "write it as OSQI-YYYY-NNNN with the digits 0-9",)),
    ("git-range-not-semver.md", (
        "10: affected[0].ranges[0]: '8.5p1' is not a SemVer 2.0 version, so no consumer can evaluate this range "
        "of a GIT upstream; give the bounds as full commit hashes of the repo (introduced/fixed), or drop the "
        "range and list the affected releases under versions:",)),
    ("upper-case-commit.md", (
        "10: affected[0].ranges[0]: commit hash 'FB4415D8AEE6C1045BE932A34FE6107C2F5ED147' has upper-case "
        "letters; write it in lower case, as git prints it",)),
    ("npm-range-not-semver.md", (
        "9: affected[0].ranges[0]: 'v4.17.21' is not a SemVer 2.0 version, which npm versions are (OSV range "
        "type SEMVER); write '4.17.21'",)),
    ("unknown-cwe.md", (
        "11: cwe[0]: 'CWE-99999' is not a weakness in MITRE's CWE catalogue (CWE 4.20); look it up at "
        "https://cwe.mitre.org/ and give an existing weakness ID",)),
    ("ecosystem-specific-not-json.md", (
        # (a YAML escape: refused as the file is read, at the value's own line and field)
        "13: affected[0].ecosystem_specific.imports[0].path: contains the control character U+0007; remove it "
        "(tab and line feed are allowed)",)),
    ("database-specific-reserved-key.md", (
        "11: affected[0].database_specific: 'repo' is written by the OSV export itself (from the entry's own "
        "fields); use another key",)),
    ("related-not-an-id.md", (
        "11: related[0]: 'see the other one' is not an identifier such as CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx",)),
    # A seal's shape is checked whether the embargo register is on or not.
    ("malformed-seal.md", (f"5: seal: '4F2A9C' is not 64 lower-case hex digits (quote it in YAML); {_SEAL_HOW}",)),
]

REGISTER = dataclasses.replace(SETTINGS, embargo_register=True)
# Checked with the embargo register on; the file named ``register-duplicate-seal.md`` is checked beside a copy
# of itself under the next ID, so the two share one seal.
REGISTER_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("register-missing-seal.md", (
        f"1: seal: is required when embargo_register is on (unless draft: true); {_SEAL_HOW}",)),
    ("register-duplicate-seal.md", (
        f"5: seal: is the same as the seal of {REL}; each disclosure needs its own random seal; {_SEAL_HOW}",)),
]


@pytest.mark.parametrize(("name", "expected"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_invalid_fixture_reports_exactly_its_problems(name: str, expected: tuple[str, ...], empty_project: Path,
                                                      run_check: Any) -> None:
    target = empty_project / REL
    target.parent.mkdir(parents=True)
    shutil.copyfile(INVALID / name, target)
    checked = run_check()
    assert [str(p) for p in checked.problems] == [f"{REL}:{line}" for line in expected]
    assert checked.disclosures == ()


def test_every_invalid_fixture_has_an_expected_message() -> None:
    on_disk = sorted(p.name for p in INVALID.glob("*.md"))
    assert on_disk == sorted(name for name, _ in [*INVALID_CASES, *REGISTER_CASES])


@pytest.mark.parametrize(("name", "expected"), REGISTER_CASES, ids=[c[0] for c in REGISTER_CASES])
def test_register_fixture_reports_exactly_its_problems(name: str, expected: tuple[str, ...],
                                                       empty_project: Path) -> None:
    target = empty_project / REL
    target.parent.mkdir(parents=True)
    shutil.copyfile(INVALID / name, target)
    other = REL.replace("0001", "0002")
    if name == "register-duplicate-seal.md":
        (empty_project / other).write_text(target.read_text().replace(DEFAULT_ID, DEFAULT_ID.replace("0001", "0002")))
    checked = pipeline.check(empty_project / "disclosures", empty_project, REGISTER)
    where = other if name == "register-duplicate-seal.md" else REL
    assert [str(p) for p in checked.problems] == [f"{where}:{line}" for line in expected]
    # Without the register, a missing seal is fine, and so the template is valid but for the shared seal.
    alone = pipeline.check(empty_project / "disclosures", empty_project, SETTINGS)
    assert [p.field for p in alone.problems] == (["seal"] if name == "register-duplicate-seal.md" else [])


def test_a_draft_needs_no_seal_even_with_the_register_on() -> None:
    doc, _ = loader.parse_text(REL, disclosure_text(draft=True).encode("utf-8"))
    assert doc is not None
    disclosure, problems = validate.validate_doc(doc, REGISTER)
    assert problems == [] and disclosure is not None and disclosure.seal is None


def test_invalid_fixtures_differ_from_a_valid_file_only_by_their_defect() -> None:
    # bom.md is the shared template with a BOM in front: without it the template must be valid.
    raw = (INVALID / "bom.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the BOM fixture lost its byte-order mark"
    doc, problems = loader.parse_text(REL, raw[3:])
    assert problems == [] and doc is not None
    disclosure, problems = validate.validate_doc(doc, SETTINGS)
    assert problems == []
    assert disclosure is not None and disclosure.id == DEFAULT_ID


# --- the factory itself -------------------------------------------------------------------------------


def _validate_text(text: str, rel: str = REL) -> tuple[Disclosure | None, list[Problem]]:
    doc, problems = loader.parse_text(rel, text.encode("utf-8"))
    if doc is None:
        return None, problems
    return validate.validate_doc(doc, SETTINGS)


def test_factory_text_validates_to_the_factory_model() -> None:
    disclosure, problems = _validate_text(disclosure_text())
    assert problems == []
    assert disclosure == DEFAULT


def test_factory_none_removes_a_key_and_unknown_keys_are_appended() -> None:
    text = disclosure_text(cwe=None, embargo_untill="2026-11-01T12:00:00Z")
    assert "cwe:" not in text
    assert text.split("\n---\n")[0].rstrip().endswith("embargo_untill: '2026-11-01T12:00:00Z'")


# --- single-field cases built with the factory -------------------------------------------------------

FIELD_CASES: list[tuple[dict[str, Any], str, str | tuple[str, int] | None, str]] = [
    # (overrides, field, the line the problem must point at (a substring of it, or (substring, nth);
    #  None: line 1, the field is absent), message)
    ({"embargo_until": None}, "embargo_until", None, _REQUIRED_EMBARGO.split(": ", 1)[1]),
    ({"embargo_until": "2026-12-01"}, "embargo_until", "embargo_until:",
     "is a date without a time; write an instant such as 2026-12-01T12:00:00Z"),
    ({"embargo_until": date(2026, 12, 1)}, "embargo_until", "embargo_until:",
     "is a date without a time; write an instant such as 2026-12-01T12:00:00Z"),
    ({"embargo_until": datetime(2026, 12, 1, 12, 0)}, "embargo_until", "embargo_until:",
     "has no UTC offset; write it as 2026-12-01T12:00:00Z or with +hh:mm"),
    ({"embargo_until": 20261201}, "embargo_until", "embargo_until:", "must be an RFC 3339 instant, not int"),
    ({"draft": "false"}, "draft", "draft:", "must be true or false, not str"),
    ({"draft": 0}, "draft", "draft:", "must be true or false, not a number"),
    ({"id": "OSQI-2026-0002"}, "id", "id:",
     "'OSQI-2026-0002' does not match the file name 'OSQI-2026-0001.md'; rename the file or fix the id"),
    ({"id": None}, "id", None, "is required"),
    ({"title": "x" * 201}, "title", "title:", "is 201 characters long; keep it under 200"),
    ({"title": "   "}, "title", "title:", "must be a non-empty string"),
    ({"aliases": ["not an alias"]}, "aliases[0]", "- not an alias",
     "'not an alias' is not an identifier such as CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx"),
    ({"aliases": ["CVE-2026-1", "CVE-2026-1"]}, "aliases[1]", ("- CVE-2026-1", 2), "'CVE-2026-1' is listed twice"),
    ({"cwe": ["787"]}, "cwe[0]", "787", "'787' is not a CWE identifier such as CWE-787"),
    ({"affected": None}, "affected", None, "is required: give at least one entry"),
    ({"affected": []}, "affected", "affected:", "must have at least one entry"),
    ({"affected": [{"ecosystem": "PyPI", "package": "libfoo", "purl": "pkg:pypi/libfoo@1.0",
                    "versions": ["1.0"]}]}, "affected[0].purl", "purl:",
     "'pkg:pypi/libfoo@1.0' is not a package URL without version, e.g. pkg:pypi/requests"),
    ({"affected": [{"ecosystem": "PyPI", "package": "libfoo", "purl": "pkg:pypi/?libfoo",
                    "versions": ["1.0"]}]}, "affected[0].purl", "purl:",
     "'pkg:pypi/?libfoo' is not a package URL without version, e.g. pkg:pypi/requests"),
    ({"affected": [{"ecosystem": "PyPI", "package": "Lib_Foo", "purl": "pkg:PyPI/Lib_Foo",
                    "versions": ["1.0"]}]}, "affected[0].purl", "purl:",
     "'pkg:PyPI/Lib_Foo' is not written as the purl specification writes it; write 'pkg:pypi/lib-foo'"),
    ({"affected": [{"ecosystem": "PyPI", "package": "libfoo", "versions": ["1.0 beta"]}]},
     "affected[0].versions[0]", "1.0 beta", "'1.0 beta' is not a version (no spaces)"),
    ({"affected": [{"ecosystem": "GIT", "package": "libfoo", "repo": "ftp://example.org/libfoo.git",
                    "versions": ["1.0"]}]}, "affected[0].repo", "repo:",
     "'ftp://example.org/libfoo.git' is not an http(s) URL"),
    ({"severity": [{"type": "CVSS_V2", "vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}]}, "severity[0].type",
     "CVSS_V2", "'CVSS_V2' is not one of: CVSS_V3, CVSS_V4"),
    ({"references": [{"type": "WEB", "url": "javascript:alert(1)"}]}, "references[0].url", "javascript:",
     "'javascript:alert(1)' is not an http(s) URL"),
    ({"references": [{"type": "WEB", "url": "data:text/html,hi"}]}, "references[0].url", "data:text",
     "'data:text/html,hi' is not an http(s) URL"),
    ({"credits": [{"name": "Ada", "type": "FINDER", "contact": ["javascript:alert(1)"]}]},
     "credits[0].contact[0]", "javascript:", "'javascript:alert(1)' must be an https:// or mailto: URL"),
    ({"credits": [{"name": "Ada", "type": "FINDER", "contact": ["https://evil.example\\@ada.example/"]}]},
     "credits[0].contact[0]", "evil.example",
     "'https://evil.example\\@ada.example/' must be an https:// or mailto: URL"),
    ({"references": [{"type": "WEB", "url": "https://evil.example\\@example.org/x"}]}, "references[0].url",
     "evil.example", "'https://evil.example\\@example.org/x' is not an http(s) URL"),
    ({"credits": [{"name": "Ada", "type": "HERO"}]}, "credits[0].type", "HERO",
     "'HERO' is not one of: FINDER, REPORTER, ANALYST, COORDINATOR, REMEDIATION_DEVELOPER, "
     "REMEDIATION_REVIEWER, REMEDIATION_VERIFIER, TOOL, SPONSOR, OTHER"),
    ({"timeline": [{"date": "2026-02-30", "event": "discovered"}]}, "timeline[0].date", "2026-02-30",
     "'2026-02-30' is not a valid date (day is out of range for month)"),
    # an absent nested field points at its nearest ancestor: the list item
    ({"timeline": [{"event": "discovered"}]}, "timeline[0].date", "- event: discovered", "is required"),
    ({"revisions": [{"date": "2026-10-31T12:00:00Z", "summary": "Early."}]}, "revisions[0].date", "2026-10-31",
     "is before embargo_until; a revision records a change after publication"),
    ({"withdrawn": {"date": "2026-11-01T11:59:59Z", "reason": "Duplicate."}}, "withdrawn.date",
     "11:59:59Z", "is before embargo_until; a withdrawal follows publication"),
    ({"withdrawn": "yes"}, "withdrawn", "withdrawn:", "must be a mapping of field: value, not str"),
]


@pytest.mark.parametrize(("overrides", "fld", "where", "message"), FIELD_CASES,
                         ids=[f"{i}-{c[1]}" for i, c in enumerate(FIELD_CASES)])
def test_one_bad_field_is_one_located_problem(overrides: dict[str, Any], fld: str,
                                              where: str | tuple[str, int] | None, message: str) -> None:
    text = disclosure_text(**overrides)
    disclosure, problems = _validate_text(text)
    assert disclosure is None
    if where is None:
        line = 1
    elif isinstance(where, tuple):
        line = line_of(text, *where)
    else:
        line = line_of(text, where)
    assert [str(p) for p in problems] == [f"{REL}:{line}: {fld}: {message}"]


def test_nested_field_lines_point_at_the_value_not_the_parent() -> None:
    text = disclosure_text(references=[{"type": "ADVISORY", "url": "https://example.org/a"},
                                       {"type": "WEB", "url": "javascript:alert(1)"}])
    _, problems = _validate_text(text)
    assert [str(p) for p in problems] == [
        f"{REL}:{line_of(text, 'javascript:')}: references[1].url: 'javascript:alert(1)' is not an http(s) URL"]


def test_missing_required_sections_point_at_the_body_start() -> None:
    text = disclosure_text(body="\nJust prose, no sections.\n")
    _, problems = _validate_text(text)
    body_line = text.split("\n").index("---", 1) + 2
    assert sorted(str(p) for p in problems) == [
        f"{REL}:{body_line}: ## Discovery: section is missing; add a '## Discovery' heading with its text",
        f"{REL}:{body_line}: ## Summary: section is missing; add a '## Summary' heading with its text",
    ]


def test_a_heading_inside_a_code_fence_is_not_a_section() -> None:
    body = "\n## Summary\n\nA bug.\n\n```text\n## Discovery\n```\n"
    _, problems = _validate_text(disclosure_text(body=body))
    assert [p.field for p in problems] == ["## Discovery"]


def test_subsections_count_as_section_text() -> None:
    body = "\n## Summary\n\n### Detail\n\nA bug.\n\n## Discovery\n\nFuzzing.\n"
    disclosure, problems = _validate_text(disclosure_text(body=body))
    assert problems == [] and disclosure is not None


def test_a_file_with_many_problems_reports_all_of_them() -> None:
    text = disclosure_text(embargo_until="tomorrow", cwe=["787"], credits=[{"name": "Ada", "type": "HERO"}],
                           body="\n## Summary\n\n## Discovery\n\nFuzzing.\n")
    _, problems = _validate_text(text)
    assert sorted(p.field for p in problems) == ["## Summary", "credits[0].type", "cwe[0]", "embargo_until"]


# --- drafts ------------------------------------------------------------------------------------------


def test_a_draft_needs_no_embargo_and_no_sections() -> None:
    disclosure, problems = _validate_text(disclosure_text(draft=True, embargo_until=None, body="\nTODO\n"))
    assert problems == []
    assert disclosure is not None and disclosure.draft and disclosure.embargo_until is None


def test_a_draft_still_gets_its_fields_checked() -> None:
    text = disclosure_text(draft=True, embargo_until="2026-12-01", cwe=["787"])
    _, problems = _validate_text(text)
    assert [p.field for p in problems] == ["embargo_until", "cwe[0]"]


def test_an_unreadable_draft_flag_is_never_treated_as_not_draft() -> None:
    # draft: "no" is an error; the document must also be treated as a draft meanwhile (no section errors).
    text = disclosure_text(draft="no", body="\nno sections at all\n")
    _, problems = _validate_text(text)
    assert [p.field for p in problems] == ["draft"]


# --- instants ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "2026-12-01T17:00:00-10:00",                                              # quoted: a string
    datetime(2026, 12, 1, 17, 0, tzinfo=timezone(timedelta(hours=-10))),   # dumped: a YAML timestamp
    "2026-12-02T03:00:00Z",
    "2026-12-02T12:00:00+09:00",
    "2026-12-02T03:00:00.000Z",
])
def test_embargo_with_any_offset_is_the_same_utc_instant(value: object) -> None:
    disclosure, problems = _validate_text(disclosure_text(embargo_until=value))
    assert problems == []
    assert disclosure is not None
    assert disclosure.embargo_until == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert disclosure.embargo_until.utcoffset() == timedelta(0)


def test_unquoted_yaml_timestamps_are_accepted_with_an_offset() -> None:
    text = disclosure_text().replace("embargo_until: '2026-11-01T12:00:00Z'",
                                     "embargo_until: 2026-11-01T21:00:00+09:00")
    disclosure, problems = _validate_text(text)
    assert problems == []
    assert disclosure is not None and disclosure.embargo_until == datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_revisions_and_withdrawal_after_embargo_are_kept_sorted() -> None:
    text = disclosure_text(
        revisions=[{"date": "2026-12-03T00:00:00Z", "summary": "Second."},
                   {"date": "2026-11-01T12:00:00Z", "summary": "At publication."}],
        withdrawn={"date": "2026-12-10T00:00:00+01:00", "reason": "Not a vulnerability."})
    disclosure, problems = _validate_text(text)
    assert problems == []
    assert disclosure is not None
    assert disclosure.revisions == (Revision(datetime(2026, 11, 1, 12, tzinfo=UTC), "At publication."),
                                    Revision(datetime(2026, 12, 3, tzinfo=UTC), "Second."))
    assert disclosure.withdrawn == Withdrawal(datetime(2026, 12, 9, 23, tzinfo=UTC), "Not a vulnerability.")


def test_revision_one_second_before_embargo_in_another_offset_is_an_error() -> None:
    # 2026-11-01T20:59:59+09:00 is 11:59:59Z, one second before the 12:00:00Z embargo.
    text = disclosure_text(revisions=[{"date": "2026-11-01T20:59:59+09:00", "summary": "Too early."}])
    _, problems = _validate_text(text)
    assert [p.field for p in problems] == ["revisions[0].date"]


# --- the whole tree in one run -----------------------------------------------------------------------


def test_three_broken_files_report_every_problem_in_one_check(disclosures_dir: Path, run_check: Any) -> None:
    write_disclosure(disclosures_dir)  # valid, must still come through
    typo = write_disclosure(disclosures_dir, id="OSQI-2026-0002", embargo_until=None,
                            embargo_untill="2026-11-01T12:00:00Z")
    two_bad = write_disclosure(disclosures_dir, id="OSQI-2026-0003",
                               severity=[{"type": "CVSS_V3", "vector": "CVSS:3.1/AV:N"}],
                               references=[{"type": "WEB", "url": "javascript:alert(1)"}])
    no_story = write_disclosure(disclosures_dir, "2025/OSQI-2025-0007.md", id="OSQI-2025-0007",
                                body="\n## Summary\n\nA bug.\n")
    checked = run_check()

    t_typo, t_two, t_story = (p.read_text() for p in (typo, two_bad, no_story))
    expected = [
        "disclosures/2025/OSQI-2025-0007.md:"
        f"{t_story.split(chr(10)).index('---', 1) + 2}: ## Discovery: section is missing; "
        "add a '## Discovery' heading with its text",
        f"disclosures/2026/OSQI-2026-0002.md:1: {_REQUIRED_EMBARGO}",
        f"disclosures/2026/OSQI-2026-0002.md:{line_of(t_typo, 'embargo_untill:')}: embargo_untill: "
        "unknown field; did you mean 'embargo_until'?",
        f"disclosures/2026/OSQI-2026-0003.md:{line_of(t_two, 'vector:')}: severity[0].vector: "
        "invalid CVSS_V3 vector 'CVSS:3.1/AV:N': Missing mandatory metrics \"AC, PR, UI, S, C, I, A\"",
        f"disclosures/2026/OSQI-2026-0003.md:{line_of(t_two, 'javascript:')}: references[0].url: "
        "'javascript:alert(1)' is not an http(s) URL",
    ]
    assert list(checked.problems) == sorted(checked.problems)
    assert [str(p) for p in checked.problems] == expected
    assert [d.id for d in checked.disclosures] == [DEFAULT_ID]


def test_problems_of_loader_and_validator_are_merged_and_sorted(disclosures_dir: Path, run_check: Any) -> None:
    write_disclosure(disclosures_dir, "2026/OSQI-2026-0002.md", text=b"\xef\xbb\xbf---\n")
    write_disclosure(disclosures_dir, "2026/OSQI-2026-0001.md", text="no frontmatter\n")
    write_disclosure(disclosures_dir, id="OSQI-2026-0003", cwe=["x"])
    (disclosures_dir / "2026" / "notes.txt").write_text("stray")
    checked = run_check()
    assert [(p.path.rsplit("/", 1)[-1], p.field) for p in checked.problems] == [
        ("OSQI-2026-0001.md", "frontmatter"),
        ("OSQI-2026-0002.md", "file"),
        ("OSQI-2026-0003.md", "cwe[0]"),
        ("notes.txt", "file"),
    ]


# --- IDs across files --------------------------------------------------------------------------------


def test_duplicate_id_across_folders_is_an_error(disclosures_dir: Path, run_check: Any) -> None:
    write_disclosure(disclosures_dir, f"2026/{DEFAULT_ID}.md")
    second = write_disclosure(disclosures_dir, f"other/{DEFAULT_ID}.md", title="Another bug")
    checked = run_check()
    assert [str(p) for p in checked.problems] == [
        f"disclosures/other/{DEFAULT_ID}.md:{line_of(second.read_text(), 'id:')}: id: '{DEFAULT_ID}' is "
        f"already used by disclosures/2026/{DEFAULT_ID}.md; IDs are never reused"]


def test_duplicate_id_is_reported_even_when_the_first_file_is_invalid(disclosures_dir: Path,
                                                                       run_check: Any) -> None:
    write_disclosure(disclosures_dir, f"2026/{DEFAULT_ID}.md", cwe=["x"])
    write_disclosure(disclosures_dir, f"zz/{DEFAULT_ID}.md")
    write_disclosure(disclosures_dir, f"zz/sub/{DEFAULT_ID}.md")
    checked = run_check()
    dupes = [p for p in checked.problems if p.field == "id"]
    assert [p.path for p in dupes] == [f"disclosures/zz/{DEFAULT_ID}.md", f"disclosures/zz/sub/{DEFAULT_ID}.md"]
    assert all(f"already used by disclosures/2026/{DEFAULT_ID}.md" in p.message for p in dupes)


def test_duplicate_id_with_padding_is_still_a_duplicate(disclosures_dir: Path, run_check: Any) -> None:
    write_disclosure(disclosures_dir, f"2026/{DEFAULT_ID}.md")
    write_disclosure(disclosures_dir, f"other/{DEFAULT_ID}.md", text=disclosure_text(id=f"{DEFAULT_ID} "))
    checked = run_check()
    # Each file passes validation on its own (validate_doc strips the id), so only the cross-file rule
    # stands between them and two public pages for one ID.
    assert [(p.path, p.line, p.field) for p in checked.problems] == [(f"disclosures/other/{DEFAULT_ID}.md", 2, "id")]
    assert "is already used by disclosures/2026/" in checked.problems[0].message


def test_model_body_is_the_markdown_after_the_frontmatter() -> None:
    disclosure, _ = _validate_text(disclosure_text())
    assert disclosure is not None and disclosure.body == BODY


@pytest.mark.parametrize("vector", ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                    "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                    "CVSS:3.1/C:H/I:H/A:H/AV:N/AC:L/PR:N/UI:N/S:U"])
def test_a_vector_scores_the_same_every_time(vector: str) -> None:
    """Scores are cached per vector: the second document using one gets what the first got."""
    severity = [{"type": "CVSS_V3", "vector": vector}]
    first = _validate_text(disclosure_text(severity=severity))
    again = _validate_text(disclosure_text(severity=severity))
    assert first == again
    assert (first[0] is None) == bool(first[1])
    if first[0] is not None:
        assert first[0].severity[0].score == 9.8 and first[0].severity[0].rating == "Critical"


# --- script-bearing URLs in the narrative, located on their line ---------------------------------------

NARRATIVE_URL_CASES: list[tuple[str, str, str, str]] = [
    # (narrative line, where, the URL as shown, the scheme a browser reads)
    ("See [x](JaVaScRiPt:alert(1)).", "link", "'JaVaScRiPt:alert(1)'", "javascript"),
    ("See [x](<java\tscript:alert(1)>).", "link", "'java\\tscript:alert(1)'", "javascript"),
    ("See [x](&#106;avascript:alert(1)).", "link", "'&#106;avascript:alert(1)'", "javascript"),
    ("See ![x]( data:image/svg+xml,<svg/onload=alert(1)> ).", "link", "'data:image/svg+xml,<svg/onload=alert(1)>'",
     "data"),
    ('<iframe src="data:text/html,hi"></iframe>', "<iframe src>", "'data:text/html,hi'", "data"),
    ('<svg><a xlink:href="javascript:alert(1)">x</a></svg>', "<a xlink:href>", "'javascript:alert(1)'", "javascript"),
    ("<form action=javascript:alert(1)><button>go</button></form>", "<form action>", "'javascript:alert(1)'",
     "javascript"),
    ('<img srcset="a.png 1x, vbscript:x 2x">', "<img srcset>", "'vbscript:x'", "vbscript"),
    ("<A HREF='&#x20;&#x0A;javascript:alert(1)'>x</A>", "<a href>", "'&#x20;&#x0A;javascript:alert(1)'", "javascript"),
]


@pytest.mark.parametrize(("line", "where", "shown", "scheme"), NARRATIVE_URL_CASES,
                         ids=[f"{i}-{c[1]}" for i, c in enumerate(NARRATIVE_URL_CASES)])
def test_a_script_url_in_the_narrative_is_located_on_its_line(line: str, where: str, shown: str,
                                                               scheme: str) -> None:
    text = disclosure_text(body=BODY + f"\nMore detail.\n\n{line}\n")
    _, problems = _validate_text(text)
    assert [str(p) for p in problems] == [
        f"{REL}:{line_of(text, line)}: body: {where} {shown} uses the scheme '{scheme}:'; {_ONLY}"]


@pytest.mark.parametrize("line", [
    "Payload: `[x](javascript:alert(1))` in a code span.",
    "``<a href=\"javascript:alert(1)\">`` in a double-backtick span.",
    "```html\n<a href=\"javascript:alert(1)\">x</a>\n```",
    "~~~~\n[x](javascript:alert(1))\n~~~~",
    "[fix](https://example.org/fix), [poc](poc.c), [mail](mailto:security@example.org), [top](#summary).",
    '<a href="../OSQI-2026-0002/">earlier</a> and <img src="crash.png" alt="crash">',
    "The ratio a<b and c>d is not a tag; [ref]: is not a definition of javascript.",
])
def test_code_and_safe_links_are_not_problems(line: str) -> None:
    _, problems = _validate_text(disclosure_text(body=BODY + f"\n{line}\n"))
    assert problems == []


def test_a_draft_may_keep_placeholder_versions_until_it_is_not_a_draft() -> None:
    affected = [{"ecosystem": "npm", "package": "libfoo", "ranges": [{"introduced": "0", "fixed": "TODO"}]}]
    draft, problems = _validate_text(disclosure_text(draft=True, affected=affected))
    assert problems == [] and draft is not None
    _, problems = _validate_text(disclosure_text(draft=False, affected=affected))
    assert [p.field for p in problems] == ["affected[0].ranges[0]"]


@settings(max_examples=1000)
@given(st.from_regex(validate._PLAIN_PURL, fullmatch=True))
@example("pkg:npm/%40scope/name").via("an npm scope")
@example("pkg:golang/github.com/a.b/c_d").via("a Go module path")
def test_every_purl_accepted_without_the_library_is_one_the_library_accepts_as_written(purl: str) -> None:
    parsed = PackageURL.from_string(purl)
    assert parsed.version is None and not parsed.qualifiers and parsed.subpath is None
    assert parsed.to_string() == purl


_PURL_PIECES = st.sampled_from(["pkg:", "pypi", "npm", "PyPI", "/", "//", "libfoo", "Lib_Foo", "@", "%40", "%zz",
                                "1.0", "?", "#", "=", "&", "a", " ", "+", ":", "git+https://h/r.git"])


@given(st.lists(_PURL_PIECES, max_size=12).map("".join))
@example("pkg:pypi/?x")
@example("pkg:pypi/libfoo@")
def test_every_purl_check_accepts_is_the_one_the_exports_read_and_write(purl: str) -> None:
    if validate.purl_problem(purl) is not None:
        return
    parsed = PackageURL.from_string(purl)
    assert parsed.version is None and parsed.to_string() == purl
    pinned = PackageURL.from_string(str(csaf._versioned_purl(purl, "1.0+local")))
    assert pinned._replace(version=None).to_string() == purl and pinned.version == "1.0+local"
