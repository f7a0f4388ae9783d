"""CVE JSON 5 for a CNA: the ``containers.cna`` object of each public disclosure's CVE, as ``/cve/<CVE-ID>.json``.

The file is what CVE Services' publish endpoint takes (``cve publish CVE-… -f file`` with cvelib, which adds
``providerMetadata.orgId`` from the CNA's account, as the service requires). A withdrawn disclosure's CVE gets the
rejected container instead, for ``cve reject``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cvss import CVSS3

from osqi_site.core import cwe
from osqi_site.core.ecosystems import GIT
from osqi_site.core.model import Affected, Disclosure, Range
from osqi_site.core.narrative import plain_summary
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import iso_z
from osqi_site.core.versions import range_type
from osqi_site.formats.absolute_links import absolute_markdown
from osqi_site.formats.osv import dump_json

ROOT = "cve"
CVE_ID = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")
"""The CVE JSON 5 ``cveId`` pattern."""
TEXT_MAX = 4096
"""CVE JSON 5's longest description, problem type, credit or timeline text."""

COLLECTIONS = {"PyPI": "https://pypi.org", "npm": "https://www.npmjs.com", "crates.io": "https://crates.io",
               "Go": "https://pkg.go.dev", "RubyGems": "https://rubygems.org", "NuGet": "https://www.nuget.org",
               "Maven": "https://repo.maven.apache.org/maven2", "Packagist": "https://packagist.org",
               "Hex": "https://hex.pm", "Pub": "https://pub.dev"}
"""CVE JSON 5 ``collectionURL`` of the package registries it lists, so ``packageName`` names the package there."""
_VERSION_TYPES = {"PyPI": "python", "Maven": "maven", "RubyGems": "rubygems", "NuGet": "nuget"}
_REFERENCE_TAGS = {"FIX": ["patch"], "REPORT": ["issue-tracking"], "PACKAGE": ["product"],
                   "ADVISORY": ["third-party-advisory"], "ARTICLE": ["technical-description"],
                   "EVIDENCE": ["exploit"], "INTRODUCED": ["related"], "DISCUSSION": ["mailing-list"]}


def cve_ids(d: Disclosure) -> list[str]:
    """The disclosure's CVE aliases, each a CVE record it fills the CNA container of."""
    return [a for a in d.aliases if CVE_ID.match(a)]


def cve_files(public: Sequence[Disclosure], settings: Settings) -> dict[str, bytes]:
    """``cve/<CVE-ID>.json`` for every CVE alias of every public disclosure (pass the gate's public set only).

    A CVE whose disclosure was withdrawn gets the rejected container, unless a live public disclosure carries
    it too (a withdrawn duplicate): then the live one's container. Two live claimants are refused by
    ``claim_problems`` before anything is built.
    """
    return {cve_path(ident): container_json(d, settings) for ident, d in cve_owners(public)}


def container_json(d: Disclosure, settings: Settings) -> bytes:
    """The bytes of a CVE's file: the CNA container of the disclosure that owns it, serialised."""
    return dump_json(cna_container(d, settings))


def cve_path(ident: str) -> str:
    return f"{ROOT}/{ident}.json"


def cve_owners(public: Sequence[Disclosure]) -> list[tuple[str, Disclosure]]:
    """Each CVE of the public disclosures, sorted, with the disclosure whose container its file holds."""
    return [(ident, claimants[0]) for ident, claimants in sorted(_owners(public).items())]


def owner(public: Sequence[Disclosure], ident: str) -> Disclosure | None:
    """The public disclosure whose CNA container a CVE gets (as ``cve_files`` writes it), or ``None``."""
    claimants = _owners(public).get(ident, [])
    return claimants[0] if claimants else None


def claim_problems(public: Sequence[Disclosure]) -> list[Problem]:
    """A CVE carried by two public, not withdrawn disclosures: its one CNA container cannot describe both."""
    return [Problem(d.source, 1, "aliases", f"{ident} is also an alias of {first.id}; a CVE record describes one "
                    "vulnerability: keep the alias on one disclosure and mention the other in related:")
            for ident, claimants in sorted(_owners(public).items()) for first in claimants[:1]
            for d in claimants[1:] if d.withdrawn is None]


def _owners(public: Sequence[Disclosure]) -> dict[str, list[Disclosure]]:
    """Each CVE's public claimants, live ones first (by ID), withdrawn ones after them."""
    owners: dict[str, list[Disclosure]] = {}
    for d in sorted(public, key=lambda x: (x.withdrawn is not None, x.id)):
        for ident in cve_ids(d):
            owners.setdefault(ident, []).append(d)
    return owners


def cna_container(d: Disclosure, settings: Settings) -> dict[str, Any]:
    """The CNA container of a public disclosure as it stands: published, or rejected once withdrawn."""
    if d.withdrawn is not None:
        return {"rejectedReasons": [{"lang": "en", "value": _text(d.withdrawn.reason)}],
                "x_generator": {"engine": "osqi_site"}}
    page = settings.url(f"disclosures/{d.id}/")
    out: dict[str, Any] = {
        "title": d.title[:256],
        "datePublic": iso_z(d.published),
        "descriptions": [_description(d, page)],
        "affected": [_affected(a) for a in d.affected],
        "references": _references(d, page),
        # No version: the bytes must not change with the toolchain (cvelib keeps an x_generator it is given).
        "x_generator": {"engine": "osqi_site"},
    }
    if d.cwe:
        out["problemTypes"] = [{"descriptions": [_problem_type(ident) for ident in d.cwe]}]
    metrics = [_metric(s.type, s.vector, s.score, s.rating) for s in d.severity]
    if metrics:
        out["metrics"] = metrics
    if d.credits:
        out["credits"] = [{"lang": "en", "value": _text(c.name), "type": c.type.lower().replace("_", " ")}
                          for c in d.credits]
    if d.timeline:
        out["timeline"] = [{"time": _time(e.date), "lang": "en",
                            "value": _text(f"{e.event.replace('_', ' ')}: {e.note}" if e.note else
                                           e.event.replace("_", " "))} for e in d.timeline]
    return out


def _description(d: Disclosure, page: str) -> dict[str, Any]:
    """The Summary as plain English text; the whole narrative (links made absolute) as Markdown media."""
    narrative = absolute_markdown(d.body.strip(), page)
    out: dict[str, Any] = {"lang": "en", "value": plain_summary(d.body, TEXT_MAX - 1) or d.title}
    if narrative:
        out["supportingMedia"] = [{"type": "text/markdown", "base64": False, "value": narrative}]
    return out


def _affected(a: Affected) -> dict[str, Any]:
    """One product: by registry and package name where CVE JSON knows the registry, else vendor and product."""
    out: dict[str, Any]
    base = a.ecosystem.partition(":")[0]
    if a.ecosystem != GIT and base in COLLECTIONS:
        out = {"collectionURL": COLLECTIONS[base], "packageName": a.package, "product": a.package}
    else:
        out = {"vendor": _vendor(a), "product": a.package}
    if a.repo:
        out["repo"] = a.repo
    out["defaultStatus"] = "unaffected"
    versions = [_range(a, r) for r in a.ranges]
    versions.extend({"version": v, "status": "affected"} for v in a.versions)
    if versions:
        out["versions"] = versions
    return out


def _vendor(a: Affected) -> str:
    if a.ecosystem == GIT:
        parts = [s for s in urlsplit(a.repo or "").path.split("/") if s]
        return parts[0] if parts else a.package
    return a.ecosystem


def _range(a: Affected, r: Range) -> dict[str, Any]:
    kind = range_type(a, r)
    version_type = {"GIT": "git", "SEMVER": "semver"}.get(kind) or _VERSION_TYPES.get(a.ecosystem, "custom")
    out: dict[str, Any] = {"version": r.introduced, "status": "affected", "versionType": version_type}
    if r.fixed is not None:
        out["lessThan"] = r.fixed
    elif r.last_affected is not None:
        out["lessThanOrEqual"] = r.last_affected
    else:
        out["lessThan"] = "*"  # no fix yet: every later version too
    return out


def _problem_type(ident: str) -> dict[str, str]:
    name = cwe.name(ident)
    return {"lang": "en", "type": "CWE", "cweId": ident, "description": f"{ident} {name}" if name else ident}


def _metric(kind: str, vector: str, score: float, rating: str) -> dict[str, Any]:
    if kind == "CVSS_V4":
        return {"cvssV4_0": {"version": "4.0", "vectorString": vector, "baseScore": score,
                             "baseSeverity": rating.upper()}}
    key = "cvssV3_1" if vector.startswith("CVSS:3.1/") else "cvssV3_0"
    return {key: cvss3_json(vector)}


def cvss3_json(vector: str) -> dict[str, Any]:
    """``CVSS3(vector).as_json(minimal=True)``, a new dict each time: CVSS JSON 3.x as this container and the
    CSAF advisory (``csaf._vulnerability``) carry it."""
    return dict(_cvss3_items(vector))


@lru_cache(maxsize=4096)
def _cvss3_items(vector: str) -> tuple[tuple[str, Any], ...]:
    """Parsing a vector costs tens of microseconds, and each is asked for by both exports of a disclosure (and
    vectors repeat): parsed once each (frozen for the cache; the values are strings and numbers)."""
    return tuple(CVSS3(vector).as_json(minimal=True).items())


def _references(d: Disclosure, page: str) -> list[dict[str, Any]]:
    """Our disclosure page first, then the author's references and each repo; one entry per URL."""
    out: list[dict[str, Any]] = [{"url": page, "name": f"{d.id}: full disclosure"}]
    seen = {page}
    for kind, url in [*((r.type, r.url) for r in d.references), *(("PACKAGE", a.repo) for a in d.affected
                                                                  if a.repo)]:
        if url not in seen:
            seen.add(url)
            ref: dict[str, Any] = {"url": url}
            if kind in _REFERENCE_TAGS:
                ref["tags"] = _REFERENCE_TAGS[kind]
            out.append(ref)
    return out


def _time(when: date | datetime) -> str:
    return iso_z(when) if isinstance(when, datetime) else iso_z(datetime(when.year, when.month, when.day,
                                                                        tzinfo=UTC))


def _text(value: str) -> str:
    text = value.strip()
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"
