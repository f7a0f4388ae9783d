"""CSAF 2.0 export: advisories pass the schema and the `csaf` validator's mandatory tests; directory files agree."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cvss import CVSS3
from factory import NOW, SETTINGS, make_disclosure
from packageurl import PackageURL
from schemas import errors

from osqi_site.build import pipeline
from osqi_site.core import gate
from osqi_site.core.model import (
    Affected,
    Disclosure,
    Range,
    Reference,
    Revision,
    Severity,
    TimelineEvent,
    Withdrawal,
)
from osqi_site.core.timefmt import iso_z
from osqi_site.formats import csaf
from osqi_site.formats.osv import dump_json
from osqi_site.project import find_project

ROOT = Path(__file__).resolve().parents[1]
CSAF_SCHEMA = "csaf/csaf_json_schema.json"
PROVIDER_SCHEMA = "csaf/provider_json_schema.json"

CVSS_V4 = Severity("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "Critical")
REVISED = make_disclosure(revisions=(Revision(datetime(2026, 11, 5, 10, 0, tzinfo=UTC), "Added the fixed version."),
                                     Revision(datetime(2026, 11, 20, 16, 45, tzinfo=UTC), "Corrected CVSS.")))
WITHDRAWN = make_disclosure(withdrawn=Withdrawal(datetime(2026, 11, 10, 8, 0, tzinfo=UTC),
                                                 "Not a vulnerability: the caller checks the length."))

CASES: dict[str, Disclosure] = {
    "default": make_disclosure(),
    "minimal": make_disclosure(aliases=(), severity=(), cwe=(), credits=(), references=(), timeline=()),
    "revised": REVISED,
    "withdrawn": WITHDRAWN,
    "revised_then_withdrawn": replace(REVISED, withdrawn=Withdrawal(datetime(2026, 11, 21, tzinfo=UTC), "Duplicate.")),
    # RUSTSEC-2025-0007's shape: a revision dated after the withdrawal (the history must still be by date).
    "withdrawn_then_revised": replace(WITHDRAWN, revisions=(
        Revision(datetime(2026, 11, 5, tzinfo=UTC), "Added the fixed version."),
        Revision(datetime(2026, 11, 15, tzinfo=UTC), "Corrected the withdrawal's reference."))),
    "git_commits": make_disclosure(affected=(
        Affected("GIT", "curl", repo="https://github.com/curl/curl.git",
                 ranges=(Range("0", fixed="fb4415d8aee6c1045be932a34fe6107c2f5ed147"),)),
        Affected("GIT", "libssh2", repo="https://git.example.org/libssh2",
                 ranges=(Range("0", last_affected="aedbbdf6a1c5ac1ac7d7be4e1d14e4e5c1f7d0d0"),)))),
    "git_upstream": make_disclosure(affected=(
        Affected("GIT", "curl", repo="https://github.com/curl/curl", ranges=(Range("7.69.0", fixed="8.4.0"),)),)),
    "git_and_debian": make_disclosure(affected=(
        Affected("GIT", "xz", repo="https://github.com/tukaani-project/xz", ranges=(Range("5.6.0", fixed="5.6.2"),),
                 versions=("5.6.0", "5.6.1")),
        Affected("Debian:12", "xz-utils", purl="pkg:deb/debian/xz-utils",
                 ranges=(Range("5.5.1alpha-0.1", fixed="5.6.1+really5.4.5-1"),)))),
    "multi_range": make_disclosure(affected=(Affected("GIT", "openssh-portable",
                                                      repo="https://github.com/openssh/openssh-portable",
                                                      ranges=(Range("0", fixed="4.4p1"),
                                                              Range("8.5p1", fixed="9.8p1"))),)),
    "last_affected": make_disclosure(affected=(Affected("npm", "@scope/libfoo", purl="pkg:npm/%40scope/libfoo",
                                                        ranges=(Range("0", last_affected="2.1.214"),)),)),
    "no_fix": make_disclosure(affected=(Affected("crates.io", "libfoo", purl="pkg:cargo/libfoo",
                                                 ranges=(Range("0.3.0"),)),)),
    "all_versions": make_disclosure(affected=(Affected("Go", "example.org/mod", ranges=(Range("0"),)),)),
    "versions_only": make_disclosure(affected=(Affected("Debian:12", "libfoo", purl="pkg:deb/debian/libfoo",
                                                        versions=("1.0-1", "1.0-2")),)),
    "cvss_v4_only": make_disclosure(severity=(CVSS_V4,)),
    "both_cvss": make_disclosure(severity=(*make_disclosure().severity, CVSS_V4)),
    "unknown_cwe": make_disclosure(cwe=("CWE-99999", "CWE-787")),
    "many_aliases": make_disclosure(aliases=("CVE-2026-12345", "GHSA-abcd-efgh-ijkl", "CVE-2026-54321")),
    "odd_versions": make_disclosure(affected=(Affected("PyPI", "weird", purl="pkg:pypi/weird",
                                                      ranges=(Range("1.0|a", fixed="2.0<b"),)),)),
    "credits_and_timeline": make_disclosure(
        credits=(*make_disclosure().credits, replace(make_disclosure().credits[0], type="REPORTER"),
                 replace(make_disclosure().credits[0], name="Grace Hopper")),
        timeline=(TimelineEvent(datetime(2026, 10, 2, 9, 30, tzinfo=UTC), "discovered"),
                  TimelineEvent(date(2026, 10, 1), "discovered"))),
}


def _doc(d: Disclosure) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dump_json(csaf.advisory(d, SETTINGS)))
    return data


def _repo_public() -> tuple[Disclosure, ...]:
    """The repository's own disclosures, gated at a fixed instant after every one of them lifted or not."""
    project, problems = find_project(ROOT / "mkdocs.yml")
    assert project is not None, problems
    checked = pipeline.check(project.disclosures_dir, project.root, project.settings)
    assert not checked.problems
    return gate.publish(checked.disclosures, datetime(2026, 11, 1, tzinfo=UTC)).public


def _csaf_cli() -> Path:
    exe = Path(sys.executable).parent / "csaf"
    assert exe.exists(), "the `csaf` validator is a test dependency: pip install -e '.[test]'"
    return exe


# --- the two validators --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_advisory_validates_against_csaf_schema(name: str) -> None:
    assert errors(CSAF_SCHEMA, _doc(CASES[name])) == []


def test_repository_advisories_validate_against_csaf_schema() -> None:
    public = _repo_public()
    files = csaf.csaf_files(public, SETTINGS, NOW)
    docs = [json.loads(v) for k, v in files.items() if re.search(r"/\d{4}/[^/]+\.json$", k)]
    assert sorted(doc["document"]["tracking"]["id"] for doc in docs) == sorted(d.id for d in public)  # one each
    for doc in docs:
        assert errors(CSAF_SCHEMA, doc) == [], doc["document"]["tracking"]["id"]


def test_csaf_validator_passes_every_advisory(tmp_path: Path) -> None:
    """`csaf validate --spec-version v20`: the schema plus every mandatory test (6.1.x), with no network."""
    paths = []
    for name, d in sorted(CASES.items()):
        path = tmp_path / name / csaf.filename(d.id)
        path.parent.mkdir()
        path.write_bytes(dump_json(csaf.advisory(d, SETTINGS)))
        paths.append(path)
    for rel, data in csaf.csaf_files(_repo_public(), SETTINGS, NOW).items():
        if re.search(r"/\d{4}/[^/]+\.json$", rel):
            path = tmp_path / "repo" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(path)
    run = subprocess.run([str(_csaf_cli()), "validate", "--spec-version", "v20", "--no-network", "-q",
                          *map(str, paths)], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Overall: PASS") == len(paths), run.stdout


# --- tracking: revisions and withdrawal ----------------------------------------------------------------------


def test_unrevised_advisory_is_version_1() -> None:
    tracking = _doc(make_disclosure())["document"]["tracking"]
    d = make_disclosure()
    assert tracking["id"] == d.id
    assert tracking["status"] == "final"
    assert tracking["version"] == "1"
    assert tracking["initial_release_date"] == tracking["current_release_date"] == iso_z(d.published)
    assert tracking["revision_history"] == [{"date": iso_z(d.published), "number": "1",
                                             "summary": "Initial public release."}]


def test_revised_advisory_tracks_every_revision() -> None:
    tracking = _doc(REVISED)["document"]["tracking"]
    history = tracking["revision_history"]
    assert [h["number"] for h in history] == ["1", "2", "3"]
    assert tracking["version"] == history[-1]["number"] == "3"  # mandatory test 6.1.16
    assert [h["date"] for h in history] == [iso_z(REVISED.published), *(iso_z(r.date) for r in REVISED.revisions)]
    assert [h["summary"] for h in history[1:]] == [r.summary for r in REVISED.revisions]
    assert tracking["initial_release_date"] == iso_z(REVISED.published)
    assert tracking["current_release_date"] == iso_z(REVISED.modified) == history[-1]["date"]


def test_revisions_are_numbered_by_date_whatever_their_order() -> None:
    shuffled = replace(REVISED, revisions=tuple(reversed(REVISED.revisions)))
    assert _doc(shuffled) == _doc(REVISED)


def test_withdrawn_advisory_keeps_its_id_and_drops_its_product_claims() -> None:
    doc = _doc(WITHDRAWN)
    document = doc["document"]
    tracking = document["tracking"]
    assert WITHDRAWN.withdrawn is not None
    # CSAF 2.0 has no withdrawal; this is CSAF 2.1's csaf_withdrawn shape in 2.0's generic profile.
    assert document["category"] == "csaf_base"
    assert "product_tree" not in doc and "vulnerabilities" not in doc
    assert document["title"] == f"[Withdrawn] {WITHDRAWN.title}"
    assert {"category": "description", "text": WITHDRAWN.withdrawn.reason,
            "title": "Reasoning for Withdrawal"} in document["notes"]
    assert tracking["id"] == WITHDRAWN.id
    assert tracking["version"] == "2"
    assert tracking["revision_history"][-1] == {"date": iso_z(WITHDRAWN.withdrawn.date), "number": "2",
                                                "summary": f"Withdrawn: {WITHDRAWN.withdrawn.reason}"}
    assert tracking["current_release_date"] == iso_z(WITHDRAWN.withdrawn.date)


def test_a_title_that_already_says_withdrawn_gets_no_second_prefix() -> None:
    d = replace(WITHDRAWN, title="Withdrawn: duplicate of another record")
    assert _doc(d)["document"]["title"] == "Withdrawn: duplicate of another record"


def test_revision_after_withdrawal_is_numbered_in_date_order() -> None:
    d = CASES["withdrawn_then_revised"]
    tracking = _doc(d)["document"]["tracking"]
    history = tracking["revision_history"]
    assert [h["number"] for h in history] == ["1", "2", "3", "4"]
    assert [h["date"] for h in history] == sorted(h["date"] for h in history)
    assert [h["summary"] for h in history][1:] == ["Added the fixed version.",
                                                   f"Withdrawn: {WITHDRAWN.withdrawn.reason}",  # type: ignore[union-attr]
                                                   "Corrected the withdrawal's reference."]
    assert tracking["version"] == "4" and tracking["current_release_date"] == history[-1]["date"]


def test_git_upstreams_carry_a_purl(tmp_path: Path) -> None:
    """Recommended test 6.2.16: pkg:github for a github.com repo, pkg:generic with vcs_url otherwise."""
    products = [leaf["product"] for *_, leaf in _leaves(_doc(CASES["git_commits"]))]
    assert all("product_identification_helper" in p for p in products)
    unpinned = {PackageURL.from_string(p["product_identification_helper"]["purl"])._replace(version=None).to_string()
                for p in products}
    assert unpinned == {
        "pkg:github/curl/curl", "pkg:generic/libssh2?vcs_url=git%2Bhttps://git.example.org/libssh2"}
    d = CASES["git_commits"]
    path = tmp_path / csaf.filename(d.id)
    path.write_bytes(dump_json(csaf.advisory(d, SETTINGS)))
    run = subprocess.run([str(_csaf_cli()), "validate", "--spec-version", "v20", "--no-network",
                          "--preset", "extended", str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert "[PASS] 6.2.16" in run.stdout, run.stdout + run.stderr


def test_a_github_purl_is_lower_case_without_the_git_suffix() -> None:
    upstream = Affected("GIT", "xz", repo="https://github.com/Tukaani-Project/XZ.git", ranges=(Range("5.6.0"),))
    assert csaf.product_purl(upstream) == "pkg:github/tukaani-project/xz"


def test_commit_fixes_are_never_called_versions() -> None:
    remediations = _vuln(CASES["git_commits"])["remediations"]
    texts = [r["details"] for r in remediations]
    assert texts[0] == ("Update curl to a release or build that includes commit "
                        "fb4415d8aee6c1045be932a34fe6107c2f5ed147 of https://github.com/curl/curl.git.")
    assert all("Upgrade" not in t and "version" not in t for t in texts), texts


def test_withdrawal_is_the_last_revision_after_earlier_revisions() -> None:
    history = _doc(CASES["revised_then_withdrawn"])["document"]["tracking"]["revision_history"]
    assert [h["number"] for h in history] == ["1", "2", "3", "4"]
    assert history[-1]["summary"] == "Withdrawn: Duplicate."


def test_gate_hides_future_revisions_from_the_advisory() -> None:
    before = gate.as_of(REVISED, datetime(2026, 11, 10, tzinfo=UTC))
    tracking = _doc(before)["document"]["tracking"]
    assert tracking["version"] == "2"
    assert tracking["current_release_date"] == iso_z(REVISED.revisions[0].date)


# --- document fields -----------------------------------------------------------------------------------------


def test_filename_rule() -> None:
    assert csaf.filename("OSQI-2026-0001") == "osqi-2026-0001.json"
    assert csaf.filename("Foo_Bar 1//2+x") == "foo_bar_1_2+x.json"  # each run of others becomes one "_"


def test_path_year_is_the_utc_year_of_initial_release() -> None:
    from datetime import timedelta, timezone

    new_year = datetime(2025, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # 2026-01-01T04:00Z
    d = make_disclosure(id="OSQI-2025-0007", embargo_until=new_year)
    assert csaf.advisory_path(d) == "2026/osqi-2025-0007.json"


def test_self_reference_ends_with_the_filename_and_tlp_is_white() -> None:
    d = make_disclosure()
    document = _doc(d)["document"]
    selfs = [r for r in document["references"] if r["category"] == "self"]
    assert [r["url"] for r in selfs] == [SETTINGS.url(f".well-known/csaf/2026/{csaf.filename(d.id)}")]
    assert selfs[0]["url"].endswith("/" + csaf.filename(d.id))  # recommended test 6.2.11
    urls = [r["url"] for r in document["references"]]
    assert SETTINGS.url(f"disclosures/{d.id}/") in urls
    assert SETTINGS.url(f"osv/{d.id}.json") in urls
    assert all(r.url in urls for r in d.references)
    assert len(urls) == len(set(urls))
    assert document["distribution"]["tlp"]["label"] == "WHITE"
    assert document["publisher"] == {"category": "coordinator", "name": SETTINGS.site_name,
                                     "namespace": SETTINGS.namespace,
                                     "contact_details": "Report vulnerabilities to: " + ", ".join(SETTINGS.contact)}


def test_notes_carry_the_summary_and_the_full_narrative() -> None:
    d = make_disclosure()
    doc = _doc(d)
    assert doc["document"]["notes"][0]["category"] == "summary"
    assert "crafted archive" in doc["document"]["notes"][0]["text"]
    details = doc["vulnerabilities"][0]["notes"]
    assert details == [{"category": "description", "text": d.body.strip(), "title": "Details"}]


def test_keys_are_sorted_for_recommended_test_6_2_13() -> None:
    text = dump_json(csaf.advisory(make_disclosure(), SETTINGS))
    assert text == dump_json(json.loads(text))
    assert text == (json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# --- vulnerability ------------------------------------------------------------------------------------------


def _vuln(d: Disclosure) -> dict[str, Any]:
    vuln: dict[str, Any] = _doc(d)["vulnerabilities"][0]
    return vuln


def test_cve_and_ids() -> None:
    vuln = _vuln(CASES["many_aliases"])
    assert vuln["cve"] == "CVE-2026-12345"
    assert vuln["ids"] == [{"system_name": "OSQI", "text": "OSQI-2026-0001"},
                           {"system_name": "GHSA", "text": "GHSA-abcd-efgh-ijkl"},
                           {"system_name": "CVE", "text": "CVE-2026-54321"}]
    minimal = _vuln(CASES["minimal"])
    assert "cve" not in minimal
    assert minimal["ids"] == [{"system_name": "OSQI", "text": "OSQI-2026-0001"}]


def test_cwe_needs_its_exact_name_or_is_left_out() -> None:
    assert _vuln(make_disclosure())["cwe"] == {"id": "CWE-787", "name": "Out-of-bounds Write"}
    assert "cwe" not in _vuln(CASES["unknown_cwe"])  # first CWE unknown: no guessed name
    assert "cwe" not in _vuln(CASES["minimal"])


def test_cwe_names_come_from_the_shipped_catalogue_for_any_weakness() -> None:
    # Not one of a hand-kept few: any weakness of MITRE's catalogue is named, e.g. CWE-1395.
    d = make_disclosure(cwe=("CWE-1395",))
    assert _vuln(d)["cwe"] == {"id": "CWE-1395", "name": "Dependency on Vulnerable Third-Party Component"}


def test_shipped_cwe_extract_is_the_catalogue_the_csaf_validator_checks_names_against() -> None:
    """cwe.json is extract_cwe over the csaf package's catalogue: same IDs, same latest names (test 6.1.11)."""
    from osqi_site.data.extract_cwe import extract

    csaf_dir = Path(pytest.importorskip("csaf").__file__).parent
    catalog = json.loads((csaf_dir / "csaf" / "v21" / "cwe" / "catalog.json").read_text(encoding="utf-8"))
    shipped = json.loads((ROOT / "osqi_site" / "data" / "cwe.json").read_text(encoding="utf-8"))
    assert shipped == extract(catalog), "regenerate: python -m osqi_site.data.extract_cwe CATALOG > cwe.json"
    assert "MITRE" in shipped["licence"] and "cwe.mitre.org" in shipped["origin"]


def test_every_cwe_in_the_shipped_disclosures_is_in_the_catalogue() -> None:
    from osqi_site.core import cwe

    sources = [*ROOT.joinpath("disclosures").rglob("*.md"),
               *ROOT.joinpath("osqi_site", "scaffold_files").rglob("*.md")]
    used = {m for p in sources for m in re.findall(r"CWE-\d+", p.read_text(encoding="utf-8").split("\n---", 1)[0])}
    assert used and used <= set(cwe.catalogue())


def test_scores_hold_cvss_v3_for_affected_products_only() -> None:
    d = make_disclosure()
    vuln = _vuln(d)
    assert vuln["scores"] == [{"cvss_v3": CVSS3(d.severity[0].vector).as_json(minimal=True),
                               "products": vuln["product_status"]["known_affected"]}]
    assert "scores" not in _vuln(CASES["cvss_v4_only"])  # CSAF 2.0 has no CVSS v4
    assert len(_vuln(CASES["both_cvss"])["scores"]) == 1


def test_acknowledgments_group_credits_by_role_and_discovery_date_is_earliest() -> None:
    vuln = _vuln(CASES["credits_and_timeline"])
    assert vuln["acknowledgments"] == [{"names": ["Ada Lovelace", "Grace Hopper"], "summary": "finder"},
                                       {"names": ["Ada Lovelace"], "summary": "reporter"}]
    assert vuln["discovery_date"] == "2026-10-01T00:00:00Z"


# --- product tree -------------------------------------------------------------------------------------------


def _leaves(doc: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(vendor, product name, category, branch) of every leaf of the product tree."""
    return [(v["name"], p["name"], leaf["category"], leaf)
            for v in doc["product_tree"]["branches"] for p in v["branches"] for leaf in p["branches"]]


def _ranges(d: Disclosure) -> list[str]:
    return [leaf["name"] for *_, cat, leaf in _leaves(_doc(d)) if cat == "product_version_range"]


def test_vers_ranges() -> None:
    assert _ranges(make_disclosure()) == ["vers:pypi/<1.2.3"]
    assert _ranges(CASES["git_upstream"]) == ["vers:generic/>=7.69.0|<8.4.0"]
    assert _ranges(CASES["multi_range"]) == ["vers:generic/<4.4p1", "vers:generic/>=8.5p1|<9.8p1"]
    assert _ranges(CASES["last_affected"]) == ["vers:npm/<=2.1.214"]
    assert _ranges(CASES["no_fix"]) == ["vers:cargo/>=0.3.0"]
    assert _ranges(CASES["all_versions"]) == ["vers:golang/*"]
    assert _ranges(CASES["git_and_debian"]) == ["vers:generic/>=5.6.0|<5.6.2",
                                                "vers:deb/>=5.5.1alpha-0.1|<5.6.1+really5.4.5-1"]
    assert _ranges(CASES["odd_versions"]) == ["vers:pypi/>=1.0%7Ca|<2.0%3Cb"]  # separators are quoted


def test_vendor_is_the_ecosystem_or_the_upstream_repository_owner() -> None:
    leaves = _leaves(_doc(CASES["git_and_debian"]))
    assert sorted({(v, p) for v, p, *_ in leaves}) == [("Debian:12", "xz-utils"), ("tukaani-project", "xz")]


def test_fixed_versions_are_their_own_products() -> None:
    doc = _doc(make_disclosure())
    leaves = _leaves(doc)
    by_category = {cat: leaf["product"] for *_, cat, leaf in leaves}
    affected, fixed = by_category["product_version_range"], by_category["product_version"]
    assert [leaf["name"] for *_, cat, leaf in leaves if cat == "product_version"] == ["1.2.3"]
    assert affected["product_identification_helper"] == {"purl": "pkg:pypi/libfoo"}
    assert fixed["product_identification_helper"] == {"purl": "pkg:pypi/libfoo@1.2.3"}
    vuln = doc["vulnerabilities"][0]
    assert vuln["product_status"] == {"known_affected": [affected["product_id"]], "fixed": [fixed["product_id"]]}
    assert vuln["remediations"] == [{"category": "vendor_fix", "details": "Upgrade libfoo to 1.2.3 or later.",
                                     "product_ids": [affected["product_id"]]}]


def test_every_product_is_referenced_and_every_purl_parses() -> None:
    for name, d in CASES.items():
        doc = _doc(d)
        if "product_tree" not in doc:
            continue
        ids = [leaf["product"]["product_id"] for *_, leaf in _leaves(doc)]
        assert len(ids) == len(set(ids)), name
        status = doc["vulnerabilities"][0]["product_status"]
        assert sorted(ids) == sorted(status["known_affected"] + status.get("fixed", [])), name
        for *_, leaf in _leaves(doc):
            purl = leaf["product"].get("product_identification_helper", {}).get("purl")
            if purl:
                parsed = PackageURL.from_string(purl)
                assert (parsed.version is not None) == (leaf["category"] == "product_version"), name


def test_versioned_purl_of_a_debian_version_is_percent_encoded() -> None:
    doc = _doc(CASES["git_and_debian"])
    purls = [leaf["product"].get("product_identification_helper", {}).get("purl") for *_, leaf in _leaves(doc)]
    assert "pkg:deb/debian/xz-utils@5.6.1%2Breally5.4.5-1" in purls
    assert PackageURL.from_string("pkg:deb/debian/xz-utils@5.6.1%2Breally5.4.5-1").version == "5.6.1+really5.4.5-1"


def test_versions_without_ranges_are_each_affected() -> None:
    doc = _doc(CASES["versions_only"])
    assert [(cat, leaf["name"]) for *_, cat, leaf in _leaves(doc)] == [("product_version", "1.0-1"),
                                                                      ("product_version", "1.0-2")]
    assert "fixed" not in doc["vulnerabilities"][0]["product_status"]


def test_no_fix_and_last_affected_remediations() -> None:
    assert [r["category"] for r in _vuln(CASES["no_fix"])["remediations"]] == ["none_available"]
    assert [r["category"] for r in _vuln(CASES["last_affected"])["remediations"]] == ["vendor_fix"]


# --- the provider directory ---------------------------------------------------------------------------------


def _public() -> list[Disclosure]:
    return [make_disclosure(),
            replace(REVISED, id="OSQI-2026-0002", source="disclosures/2026/OSQI-2026-0002.md"),
            replace(WITHDRAWN, id="OSQI-2026-0003", source="disclosures/2026/OSQI-2026-0003.md"),
            make_disclosure(id="OSQI-2025-0001", embargo_until=datetime(2025, 3, 1, 12, 0, tzinfo=UTC))]


def _advisories(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Path relative to the CSAF directory → document, for the year-folder files."""
    out = {}
    for path, data in files.items():
        rel = path.removeprefix(csaf.ROOT + "/")
        if re.fullmatch(r"\d{4}/[^/]+\.json", rel):
            out[rel] = json.loads(data)
    return out


def test_provider_metadata_validates_and_is_dated_by_the_newest_change() -> None:
    public = _public()
    meta = json.loads(csaf.csaf_files(public, SETTINGS, NOW)[csaf.PROVIDER_METADATA])
    assert errors(PROVIDER_SCHEMA, meta) == []
    assert meta["role"] == "csaf_provider"
    assert meta["canonical_url"] == SETTINGS.url(".well-known/csaf/provider-metadata.json")
    assert meta["distributions"] == [{"directory_url": SETTINGS.url(".well-known/csaf/")}]
    assert meta["last_updated"] == iso_z(max(d.modified for d in public)) != iso_z(NOW)
    assert meta["list_on_CSAF_aggregators"] is True and meta["mirror_on_CSAF_aggregators"] is True
    assert meta["metadata_version"] == "2.0"
    assert meta["publisher"] == _doc(make_disclosure())["document"]["publisher"]


def test_empty_site_still_has_a_valid_provider_directory() -> None:
    files = csaf.csaf_files([], SETTINGS, NOW)
    meta = json.loads(files[csaf.PROVIDER_METADATA])
    assert errors(PROVIDER_SCHEMA, meta) == []
    assert meta["last_updated"] == "1970-01-01T00:00:00Z"
    assert files[f"{csaf.ROOT}/index.txt"] == b"" and files[f"{csaf.ROOT}/changes.csv"] == b""


def test_index_txt_lists_exactly_the_year_folder_files() -> None:
    files = csaf.csaf_files(_public(), SETTINGS, NOW)
    lines = files[f"{csaf.ROOT}/index.txt"].decode().splitlines()
    assert lines == sorted(_advisories(files)) == sorted(lines)
    assert lines == ["2025/osqi-2025-0001.json", "2026/osqi-2026-0001.json", "2026/osqi-2026-0002.json",
                     "2026/osqi-2026-0003.json"]
    for rel, doc in _advisories(files).items():
        assert rel.split("/")[0] == doc["document"]["tracking"]["initial_release_date"][:4]
        assert rel.split("/")[1] == csaf.filename(doc["document"]["tracking"]["id"])


def test_changes_csv_is_path_then_date_newest_first() -> None:
    files = csaf.csaf_files(_public(), SETTINGS, NOW)
    data = files[f"{csaf.ROOT}/changes.csv"]
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == data.count(b"\n")  # RFC 4180 line ends
    assert data.startswith(b'"2026/osqi-2026-0002.json","2026-11-20T16:45:00Z"\r\n')  # every field quoted
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    docs = _advisories(files)
    assert all(len(row) == 2 for row in rows)
    assert [path for path, _ in rows] != sorted(path for path, _ in rows)  # date order, not path order
    assert sorted(path for path, _ in rows) == sorted(docs)
    dates = [when for _, when in rows]
    assert dates == sorted(dates, reverse=True)
    for path, when in rows:
        assert f"{csaf.ROOT}/{path}" in files
        assert when == docs[path]["document"]["tracking"]["current_release_date"]


def test_directory_listings_link_every_file_of_their_folder() -> None:
    files = csaf.csaf_files(_public(), SETTINGS, NOW)
    listings = {p for p in files if p.endswith("/index.html")}
    assert listings == {f"{csaf.ROOT}/index.html", f"{csaf.ROOT}/2025/index.html", f"{csaf.ROOT}/2026/index.html"}
    for listing in listings:
        folder = listing.removesuffix("index.html")
        hrefs = set(re.findall(r'href="([^"]+)"', files[listing].decode()))
        children = {p.removeprefix(folder).split("/")[0] + ("/" if "/" in p.removeprefix(folder) else "")
                    for p in files if p.startswith(folder) and p != listing}
        assert hrefs - {"../"} == children


def test_files_are_deterministic_and_independent_of_input_order() -> None:
    public = _public()
    assert csaf.csaf_files(public, SETTINGS, NOW) == csaf.csaf_files(list(reversed(public)), SETTINGS, NOW)
    later = csaf.csaf_files(public, SETTINGS, datetime(2030, 1, 1, tzinfo=UTC))
    assert later == csaf.csaf_files(public, SETTINGS, NOW)  # the clock never shows in the output


def test_ungated_future_changes_are_refused() -> None:
    with pytest.raises(ValueError, match="after the build clock"):
        csaf.csaf_files([REVISED], SETTINGS, datetime(2026, 11, 6, tzinfo=UTC))


def test_build_outputs_include_the_csaf_directory_and_security_txt() -> None:
    pub = gate.publish(_public(), NOW)
    files = pipeline.build_outputs(pub, SETTINGS).files
    assert csaf.PROVIDER_METADATA in files
    assert f"{csaf.ROOT}/2026/osqi-2026-0001.json" in files
    assert ".well-known/security.txt" in files


def test_references_include_the_disclosure_references() -> None:
    d = make_disclosure(references=(Reference("FIX", "https://example.org/fix"),
                                    Reference("FIX", "https://example.org/fix")))
    refs = _doc(d)["document"]["references"]
    assert [r for r in refs if r["url"] == "https://example.org/fix"] == [
        {"category": "external", "summary": "Fix", "url": "https://example.org/fix"}]
