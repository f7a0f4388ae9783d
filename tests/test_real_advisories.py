"""Seven real advisories rewritten as disclosures: each emitted OSV record agrees with its upstream record on every
field the format can express; what differs is listed with the reason, and the list is checked to be exact."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from factory import NOW
from schemas import OSV_SCHEMA, errors

from osqi_site.build import pipeline
from osqi_site.core import gate
from osqi_site.core.model import Disclosure
from osqi_site.core.settings import Settings
from osqi_site.formats import csaf
from osqi_site.formats.osv import dump_json, osv_record

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "real"
UPSTREAM = HERE / "fixtures" / "upstream"
SETTINGS = Settings(site_url="https://advisories.osqi.org/", contact=("mailto:security@osqi.org",))

ALWAYS = {
    "id": "ours is the OSQI ID; the upstream ID is one of our aliases",
    "schema_version": "we write the current 1.7.5",
    "summary": "rewritten in our words (a withdrawn record carries the reason, as the spec asks)",
    "details": "rewritten in our words: the fixtures are short narratives, not copies",
    "database_specific": "each database's own data: ours holds our page, CWEs, scores, timeline and revisions",
}
PUBLISHED = "ours is the disclosure's embargo end on this site, not the upstream database's date"
MODIFIED = "ours is the newest of publication, revisions and withdrawal on this site"
SEMVER_NOT_ECOSYSTEM = ("affected[].ranges[].type: GHSA publishes ECOSYSTEM for this SemVer ecosystem; we publish "
                        "SEMVER as npm, RustSec and Go vulndb do (same versions, same evaluation)")

# upstream file -> (our disclosure, fields that legitimately differ beyond ALWAYS, with the reason)
FIXTURES: dict[str, tuple[str, dict[str, str]]] = {
    "GHSA-vm8q-m57g-pff3.json": ("OSQI-2024-0101", {
        "published": PUBLISHED, "modified": MODIFIED,
        "severity": "GHSA gives an empty list; we omit the field (the schema allows either)",
        "credits": "GHSA names nobody; our format requires a credit, so the coordinator is named",
    }),
    "GO-2024-2887.json": ("OSQI-2024-0102", {
        "published": "Go vulndb's repository files carry zeroed dates (vulndb#4470); ours is the real instant",
        "modified": "Go vulndb's repository files carry zeroed dates (vulndb#4470); ours is the real instant",
        "credits": "Go vulndb gives no credit type; our format requires one (FINDER)",
    }),
    "GHSA-q6cp-qfwq-4gcv.json": ("OSQI-2024-0103", {
        "published": PUBLISHED, "modified": MODIFIED,
        "affected[].ranges[].type": SEMVER_NOT_ECOSYSTEM,
        "aliases": "GHSA lists none; we add RUSTSEC-2024-0332, the crate's own database's ID",
        "credits": "GHSA names nobody; our format requires a credit",
    }),
    "GHSA-35jh-r3h4-6jhm.json": ("OSQI-2021-0101", {
        "published": PUBLISHED, "modified": MODIFIED,
        "affected[].ranges[].type": SEMVER_NOT_ECOSYSTEM,
        "credits": "GHSA names nobody; our format requires a credit",
    }),
    "CURL-CVE-2024-2379.json": ("OSQI-2024-0104", {
        "modified": "curl edited its record the day before publishing it; ours is the publication instant",
        "references": "curl gives none (its page and report are in its database_specific); ours list them",
    }),
    "GHSA-2xpw-w6gg-jr37.json": ("OSQI-2025-0102", {
        "credits": "GHSA names the reporters only in its details text; we credit them as such",
    }),
}


@pytest.fixture(scope="module")
def disclosures() -> dict[str, Disclosure]:
    checked = pipeline.check(REAL / "disclosures", REAL, SETTINGS)
    assert checked.problems == ()
    public = gate.publish(checked.disclosures, NOW).public
    assert len(public) == 7
    return {d.id: d for d in public}


def _upstream(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((UPSTREAM / name).read_text(encoding="utf-8"))
    return data


def _intervals(events: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    """A range's events as (introduced, end kind, end) intervals, in the order the spec evaluates them."""
    out: list[tuple[str, str, str]] = []
    start: str | None = None
    for e in events:
        (kind, value), = e.items()
        if kind == "introduced":
            if start is not None:
                out.append((start, "", ""))
            start = value
        else:
            out.append((start or "0", kind, value))
            start = None
    if start is not None:
        out.append((start, "", ""))
    return out


def _packages(record: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every affected package (or GIT upstream, by repo) with its intervals, versions, range types and extras."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for a in record.get("affected", []):
        if "package" in a:
            key = (a["package"]["ecosystem"], a["package"]["name"])
        else:
            repos = {r["repo"] for r in a.get("ranges", []) if "repo" in r}
            key = ("GIT", next(iter(repos), ""))
        entry = out.setdefault(key, {"intervals": set(), "versions": set(), "types": set(), "specific": set()})
        for r in a.get("ranges", []):
            entry["intervals"].update(_intervals(r["events"]))
            entry["types"].add((r["type"], bool(re.match(r"^[0-9a-f]{40}$", _bound(r)))))
        entry["versions"].update(a.get("versions", []))
        if "ecosystem_specific" in a:
            entry["specific"].add(json.dumps(a["ecosystem_specific"], sort_keys=True))
    return out


def _instant(value: Any) -> datetime | None:
    """The same instant however it is spelled (curl writes ``…:00.00Z``)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


def _bound(r: dict[str, Any]) -> str:
    return next((v for e in r["events"] for v in e.values() if v != "0"), "")


def _differing(ours: dict[str, Any], up: dict[str, Any]) -> set[str]:
    """The upstream fields our record does not agree with, compared for what each field means."""
    differ: set[str] = {k for k in ("id", "schema_version", "summary", "details", "database_specific")
              if k in up and ours.get(k) != up[k]}
    differ |= {k for k in ("published", "modified") if k in up and _instant(ours.get(k)) != _instant(up[k])}
    if not {up["id"], *up.get("aliases", [])} <= set(ours.get("aliases", [])):
        differ.add("aliases(missing)")
    if set(ours.get("aliases", [])) != {up["id"], *up.get("aliases", [])}:
        differ.add("aliases")
    if {(s["type"], s["score"]) for s in ours.get("severity", [])} != \
            {(s["type"], s["score"]) for s in up.get("severity", [])} or ("severity" in up) != ("severity" in ours):
        differ.add("severity")
    mine, theirs = _packages(ours), _packages(up)
    if {k: (v["intervals"], v["versions"], v["specific"]) for k, v in mine.items()} != \
            {k: (v["intervals"], v["versions"], v["specific"]) for k, v in theirs.items()}:
        differ.add("affected")
    if {k: v["types"] for k, v in mine.items()} != {k: v["types"] for k, v in theirs.items()}:
        differ.add("affected[].ranges[].type")
    if not {r["url"] for r in up.get("references", [])} <= {r["url"] for r in ours.get("references", [])}:
        differ.add("references(missing)")
    if [(r["type"], r["url"]) for r in up.get("references", [])] != \
            [(r["type"], r["url"]) for r in ours.get("references", [])
             if r["url"] in {u["url"] for u in up.get("references", [])}] or "references" not in up:
        differ.add("references")
    if [(c["name"], c.get("type")) for c in up.get("credits", [])] != \
            [(c["name"], c.get("type")) for c in ours.get("credits", [])]:
        differ.add("credits")
    for key in ("related", "upstream", "withdrawn"):
        if up.get(key) != ours.get(key):
            differ.add(key)
    return differ


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_record_agrees_with_upstream_except_the_listed_fields(name: str, disclosures: dict[str, Disclosure]) -> None:
    ident, extra = FIXTURES[name]
    up = _upstream(name)
    ours = json.loads(dump_json(osv_record(disclosures[ident], SETTINGS)))
    assert _differing(ours, up) == {k for k in ALWAYS if k in up} | set(extra)
    # Where the upstream names its weaknesses, ours names them too.
    cwes = up.get("database_specific", {}).get("cwe_ids") or \
        [c["id"] for c in [up.get("database_specific", {}).get("CWE")] if c]
    assert set(cwes) <= set(ours["database_specific"].get("cwe_ids", []))


def test_curl_links_from_its_database_specific_are_our_references(disclosures: dict[str, Disclosure]) -> None:
    up = _upstream("CURL-CVE-2024-2379.json")["database_specific"]
    refs = {r["url"] for r in osv_record(disclosures["OSQI-2024-0104"], SETTINGS)["references"]}
    assert {up["www"], up["issue"]} <= refs


def test_the_withdrawn_rustsec_advisory_agrees_with_its_source(disclosures: dict[str, Disclosure]) -> None:
    """RustSec's source (TOML front block): ID, crate, every version affected, the withdrawal date, the URL."""
    text = (UPSTREAM / "RUSTSEC-2025-0007.md").read_text(encoding="utf-8")
    source = tomllib.loads(text.split("```toml\n", 1)[1].split("```", 1)[0])
    ours = osv_record(disclosures["OSQI-2025-0101"], SETTINGS)
    advisory = source["advisory"]
    assert advisory["id"] in ours["aliases"]
    assert [(a["package"]["ecosystem"], a["package"]["name"]) for a in ours["affected"]] == [
        ("crates.io", advisory["package"])]
    assert source["versions"]["patched"] == [] and ours["affected"][0]["ranges"] == [
        {"type": "SEMVER", "events": [{"introduced": "0"}]}]
    assert ours["affected"][0]["database_specific"] == {"informational": advisory["informational"]}
    assert ours["withdrawn"].startswith(advisory["withdrawn"])
    assert advisory["url"] in {r["url"] for r in ours["references"]}
    assert ours["summary"].startswith("Withdrawn: ")
    # Differs, legitimately: RustSec's date is the report (our timeline's "reported"), its title and text are
    # rewritten, and its two updates are our revisions (one of them after the withdrawal).
    assert {e.event: e.date.isoformat() for e in disclosures["OSQI-2025-0101"].timeline} == {
        "reported": advisory["date"]}


@pytest.mark.parametrize("ident", ["OSQI-2024-0101", "OSQI-2024-0102", "OSQI-2024-0103", "OSQI-2021-0101",
                                   "OSQI-2024-0104", "OSQI-2025-0101", "OSQI-2025-0102"])
def test_fixture_records_validate_against_the_osv_schema(ident: str, disclosures: dict[str, Disclosure]) -> None:
    assert errors(OSV_SCHEMA, osv_record(disclosures[ident], SETTINGS), osv_prefix="OSQI") == []


def test_fixture_advisories_pass_the_csaf_validator(tmp_path: Path, disclosures: dict[str, Disclosure]) -> None:
    paths = []
    for d in disclosures.values():
        path = tmp_path / csaf.filename(d.id)
        path.write_bytes(dump_json(csaf.advisory(d, SETTINGS)))
        paths.append(str(path))
    exe = Path(sys.executable).parent / "csaf"
    run = subprocess.run([str(exe), "validate", "--spec-version", "v20", "--no-network", "-q", *paths],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Overall: PASS") == len(paths), run.stdout
