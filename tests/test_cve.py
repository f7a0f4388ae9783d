"""CVE JSON 5: each public CVE's CNA container validates against the CNA schema cvelib ships, says what it must."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cvelib.cve_api import CveRecord
from cvss import CVSS3
from factory import NOW, SETTINGS, make_disclosure
from sitefixture import AS_OF, build

from osqi_site import cli
from osqi_site.build import pipeline
from osqi_site.core import gate
from osqi_site.core.model import Affected, Credit, Range, Severity, TimelineEvent, Withdrawal
from osqi_site.formats import cve
from osqi_site.project import find_project

ROOT = Path(__file__).resolve().parents[1]
ORG = {"orgId": "00000000-0000-4000-8000-000000000000"}
"""What cvelib adds before publishing (the CNA's UUID from its account): the schema requires it."""
V4 = Severity("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H", 8.9, "High")

CASES = {
    "default": make_disclosure(),
    "cvss_v4_and_v3": make_disclosure(severity=(*make_disclosure().severity, V4)),
    "git_commits_and_versions": make_disclosure(affected=(
        Affected("GIT", "curl", repo="https://github.com/curl/curl.git",
                 ranges=(Range("8.6.0", fixed="8.7.0"), Range("5d044ad9480a9f556f4b6a252d7533b1ba7fe57e",
                                                           fixed="aedbbdf18e689a5eee8dc39600914f5eda6c409c")),
                 versions=("8.6.0",)),)),
    "no_fix_and_last_affected": make_disclosure(affected=(
        Affected("npm", "libfoo", ranges=(Range("0", last_affected="2.1.0"),)),
        Affected("Debian:12", "libfoo", ranges=(Range("1.0-1"),)))),
    "credits_timeline": make_disclosure(
        credits=(Credit("Ada", "FINDER"), Credit("Grace", "REMEDIATION_DEVELOPER")),
        timeline=(TimelineEvent(datetime(2026, 10, 2, 9, 30, tzinfo=UTC), "reported", "By mail."),)),
}


def _published(container: dict[str, Any]) -> None:
    CveRecord.validate({**container, "providerMetadata": ORG}, CveRecord.Schemas.CNA_PUBLISHED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_container_validates_against_the_cna_published_schema(name: str) -> None:
    _published(cve.cna_container(CASES[name], SETTINGS))


def test_repository_and_real_fixture_containers_validate() -> None:
    for root in (ROOT, ROOT / "tests" / "fixtures" / "real"):
        found, problems = find_project(ROOT / "mkdocs.yml")
        assert found is not None, problems
        # The real advisories were published elsewhere, without this site's embargo register.
        settings = found.settings if root == ROOT else dataclasses.replace(found.settings, embargo_register=False)
        checked = pipeline.check(root / "disclosures", root, settings)
        assert not checked.problems
        public = gate.publish(checked.disclosures, NOW).public
        files = cve.cve_files(public, settings)
        # One container per CVE alias of a public disclosure (the sample has some).
        cves = {a for d in public for a in d.aliases if a.startswith("CVE-")}
        assert cves and sorted(files) == sorted(f"cve/{a}.json" for a in cves)
        for data in files.values():
            container = json.loads(data)
            schema = CveRecord.Schemas.CNA_REJECTED if "rejectedReasons" in container else \
                CveRecord.Schemas.CNA_PUBLISHED
            CveRecord.validate({**container, "providerMetadata": ORG}, schema)


def test_container_says_what_a_cna_must() -> None:
    d = CASES["cvss_v4_and_v3"]
    c = cve.cna_container(d, SETTINGS)
    assert c["descriptions"][0]["lang"] == "en"
    assert c["descriptions"][0]["value"] == "A heap overflow in libfoo lets a crafted archive run code."
    assert c["descriptions"][0]["supportingMedia"][0]["type"] == "text/markdown"
    assert c["affected"] == [{"collectionURL": "https://pypi.org", "packageName": "libfoo", "product": "libfoo",
                              "defaultStatus": "unaffected", "versions": [
                                  {"version": "0", "lessThan": "1.2.3", "status": "affected",
                                   "versionType": "python"}]}]
    assert c["problemTypes"] == [{"descriptions": [{"lang": "en", "type": "CWE", "cweId": "CWE-787",
                                                    "description": "CWE-787 Out-of-bounds Write"}]}]
    assert c["metrics"][0]["cvssV3_1"]["vectorString"] == d.severity[0].vector
    assert c["metrics"][0]["cvssV3_1"]["baseScore"] == 9.8
    assert c["metrics"][1] == {"cvssV4_0": {"version": "4.0", "vectorString": V4.vector, "baseScore": 8.9,
                                            "baseSeverity": "HIGH"}}
    assert c["references"][0]["url"] == "https://osqi.example/disclosures/OSQI-2026-0001/"
    assert {"url": "https://example.org/advisories/libfoo-1", "tags": ["third-party-advisory"]} in c["references"]
    assert c["credits"] == [{"lang": "en", "value": "Ada Lovelace", "type": "finder"}]
    assert c["timeline"] == [{"time": "2026-10-01T00:00:00Z", "lang": "en", "value": "discovered"}]
    assert c["datePublic"] == "2026-11-01T12:00:00Z"


@pytest.mark.parametrize("vector", ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                    "CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N/E:P/RL:O/RC:C/CR:H"])
def test_cvss3_json_is_the_library_s_and_a_new_dict_each_time(vector: str) -> None:
    # Parsed once per vector for both exports: what one caller does to its dict never reaches the next one.
    first = cve.cvss3_json(vector)
    assert first == CVSS3(vector).as_json(minimal=True)
    first["baseScore"] = 0.0
    first.clear()
    assert cve.cvss3_json(vector) == CVSS3(vector).as_json(minimal=True)
    assert cve.cvss3_json(vector) is not cve.cvss3_json(vector)


def test_version_types_follow_the_range_type() -> None:
    git = cve.cna_container(CASES["git_commits_and_versions"], SETTINGS)["affected"][0]
    assert git["vendor"] == "curl" and git["repo"] == "https://github.com/curl/curl.git"
    assert [v.get("versionType") for v in git["versions"]] == ["semver", "git", None]
    other = cve.cna_container(CASES["no_fix_and_last_affected"], SETTINGS)["affected"]
    assert other[0]["versions"] == [{"version": "0", "lessThanOrEqual": "2.1.0", "status": "affected",
                                     "versionType": "semver"}]
    assert other[1]["vendor"] == "Debian:12"
    assert other[1]["versions"] == [{"version": "1.0-1", "lessThan": "*", "status": "affected",
                                     "versionType": "custom"}]


def test_withdrawn_disclosure_gives_the_rejected_container() -> None:
    d = make_disclosure(withdrawn=Withdrawal(datetime(2026, 11, 10, tzinfo=UTC), "Not a vulnerability."))
    c = cve.cna_container(d, SETTINGS)
    assert c == {"rejectedReasons": [{"lang": "en", "value": "Not a vulnerability."}],
                 "x_generator": {"engine": "osqi_site"}}
    CveRecord.validate({**c, "providerMetadata": ORG}, CveRecord.Schemas.CNA_REJECTED)


def test_a_withdrawn_duplicate_leaves_the_cve_to_the_live_disclosure_and_two_live_ones_are_refused() -> None:
    live = make_disclosure()
    dup = make_disclosure(id="OSQI-2026-0002", withdrawn=Withdrawal(datetime(2026, 11, 10, tzinfo=UTC), "Dup."))
    files = cve.cve_files([dup, live], SETTINGS)
    assert list(files) == ["cve/CVE-2026-12345.json"]
    assert "rejectedReasons" not in json.loads(files["cve/CVE-2026-12345.json"])
    assert cve.claim_problems([dup, live]) == []
    twin = make_disclosure(id="OSQI-2026-0003")
    assert [str(p) for p in cve.claim_problems([twin, live])] == [
        "disclosures/2026/OSQI-2026-0003.md:1: aliases: CVE-2026-12345 is also an alias of OSQI-2026-0001; a CVE "
        "record describes one vulnerability: keep the alias on one disclosure and mention the other in related:"]


def test_only_cve_aliases_make_files() -> None:
    d = replace(make_disclosure(), aliases=("GHSA-aaaa-bbbb-cccc", "CVE-2026-1"))  # CVE-2026-1: too short
    assert cve.cve_files([d], SETTINGS) == {}


def test_cli_prints_a_public_container_and_one_answer_for_withheld_or_unknown(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(project / "mkdocs.yml")
    public = next(a for a in (project / "disclosures" / "2026" / "OSQI-2026-0002.md").read_text().split("\n")
                  if a.startswith("aliases:"))
    assert public == "aliases: []"  # the fixture's public disclosures carry no CVE: give one
    p = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    p.write_text(p.read_text().replace("aliases: []", "aliases: [CVE-2026-40001]"))
    assert cli.main(["cve", "CVE-2026-40001", "-f", cfg]) == 0
    printed = json.loads(capsys.readouterr().out)
    _published(printed)
    # The embargoed and the draft disclosure get real CVE IDs: the answer must not tell them from unknown ones.
    for name, ident in (("OSQI-2026-0004.md", "CVE-2026-40004"), ("OSQI-2026-0005.md", "CVE-2026-40005")):
        q = project / "disclosures" / "2026" / name
        text = re.sub(r"aliases: \[[^\]]*\]", f"aliases: [{ident}]", q.read_text())
        # The command reads the real clock: embargoed until far in the future, whenever the test runs.
        q.write_text(re.sub(r"embargo_until: \S+", "embargo_until: 2099-01-01T00:00:00Z", text))
    for ident in ("CVE-2026-40004", "CVE-2026-40005", "CVE-2026-99999"):
        assert cli.main(["cve", ident, "-f", cfg]) == 1
        out = capsys.readouterr()
        assert out.out == "" and out.err == f"{ident}: no public disclosure carries this CVE ID\n"


def test_cli_prints_no_container_whose_narrative_mentions_a_withheld_id(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The container carries the narrative to CVE Services: the command refuses what the build refuses.
    p = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    p.write_text(p.read_text().replace("aliases: []", "aliases: [CVE-2026-40001]") + "\nAs in OSQI-2026-0004.\n")
    q = project / "disclosures" / "2026" / "OSQI-2026-0004.md"
    q.write_text(re.sub(r"embargo_until: \S+", "embargo_until: 2099-01-01T00:00:00Z", q.read_text()))
    assert cli.main(["cve", "CVE-2026-40001", "-f", str(project / "mkdocs.yml")]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert "OSQI-2026-0002.md:" in out.err and "mentions OSQI-2026-0004, which is not a public disclosure" in out.err


def test_build_writes_cve_files_for_public_disclosures_only(project: Path, tmp_path: Path) -> None:
    p = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    p.write_text(p.read_text().replace("aliases: []", "aliases: [CVE-2026-40001]"))
    assert build(project, tmp_path / "site", AS_OF) == 0
    assert sorted(f.name for f in (tmp_path / "site" / "cve").iterdir()) == ["CVE-2026-40001.json"]
