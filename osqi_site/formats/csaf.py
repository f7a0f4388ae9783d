"""CSAF 2.0 export: one advisory per public disclosure and the provider's directory (provider-metadata, indexes)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from packageurl import PackageURL

from osqi_site.core import cwe
from osqi_site.core.ecosystems import GIT, PURL_TYPES
from osqi_site.core.model import Affected, Credit, Disclosure, Range
from osqi_site.core.narrative import section_text
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import iso_z
from osqi_site.core.versions import is_commit_range
from osqi_site.formats.cve import cvss3_json
from osqi_site.formats.osv import dump_json

CSAF_VERSION = "2.0"
ROOT = ".well-known/csaf"
"""Site-relative CSAF directory; ``provider-metadata.json`` must sit here (CSAF 2.0 §7.1.9, requirement 9)."""
PROVIDER_METADATA = f"{ROOT}/provider-metadata.json"
TLP_URL = "https://www.first.org/tlp/"
PUBLISHER_CATEGORY = "coordinator"
"""OSQI finds vulnerabilities and coordinates their disclosure with the maintainers, who ship the fixes; the
advisories also cover issues others found. CSAF's ``coordinator`` is the role that fits every document."""

EMPTY_LAST_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""provider-metadata needs ``last_updated``; with nothing public, the epoch: fixed, and obviously no real date."""

_REFERENCE_SUMMARIES = {
    "ADVISORY": "Advisory", "ARTICLE": "Article", "DETECTION": "Detection", "DISCUSSION": "Discussion",
    "REPORT": "Report", "FIX": "Fix", "INTRODUCED": "Change that introduced the vulnerability",
    "GIT": "Git repository", "PACKAGE": "Package", "EVIDENCE": "Evidence", "WEB": "Web page",
}

_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")  # the schema's pattern for vulnerabilities[].cve
_FILENAME_RUN = re.compile(r"[^+\-a-z0-9]+")
_VERS_SPECIAL = re.compile(r"[^!-~]|[<>=!*|%]")
"""Characters a vers version must percent-encode: separators, comparators, ``%`` and anything not printable ASCII."""


def csaf_files(public: Sequence[Disclosure], settings: Settings, now: datetime) -> dict[str, bytes]:
    """Every file of the CSAF provider directory under ``.well-known/csaf/``, as deterministic bytes.

    ``now`` is the gate's clock. No output carries it: every date comes from the disclosures, so a rebuild
    at another instant with the same public set gives the same bytes. It only guards against ungated input.
    """
    return csaf_tree([(d, advisory_json(d, settings)) for d in public], settings, now)


def advisory_json(d: Disclosure, settings: Settings) -> bytes:
    """The bytes of one advisory's file: ``advisory``, serialised."""
    return dump_json(advisory(d, settings))


def csaf_tree(advisories: Sequence[tuple[Disclosure, bytes]], settings: Settings, now: datetime) -> dict[str, bytes]:
    """The CSAF provider directory of the public disclosures, each with its ``advisory_json``: the advisories
    where ``advisory_path`` puts them, the provider metadata, ``index.txt``, ``changes.csv`` and listings."""
    docs: dict[str, tuple[Disclosure, bytes]] = {}
    for d, data in sorted(advisories, key=lambda x: x[0].id):
        if d.modified > now:
            raise ValueError(f"{d.id} has changes after the build clock; pass the gate's public disclosures")
        path = advisory_path(d)
        if path in docs:
            raise ValueError(f"{d.id}: another public disclosure already maps to {path}")
        docs[path] = (d, data)
    files = {f"{ROOT}/{path}": data for path, (_, data) in docs.items()}
    files[PROVIDER_METADATA] = dump_json(provider_metadata([d for d, _ in advisories], settings))
    files[f"{ROOT}/index.txt"] = index_txt(docs)
    files[f"{ROOT}/changes.csv"] = changes_csv({path: iso_z(d.modified) for path, (d, _) in docs.items()})
    files.update(_listings(files))
    return dict(sorted(files.items()))


def filename(tracking_id: str) -> str:
    """CSAF 2.0 §5.1: lower-case, every run of characters outside ``[+\\-a-z0-9]`` becomes ``_``, then ``.json``."""
    return _FILENAME_RUN.sub("_", tracking_id.lower()) + ".json"


def advisory_path(d: Disclosure) -> str:
    """``<YYYY>/<file>.json`` relative to the CSAF directory; YYYY is the year of ``initial_release_date``."""
    return f"{d.published.astimezone(UTC).year}/{filename(d.id)}"


def advisory_url(d: Disclosure, settings: Settings) -> str:
    return settings.url(f"{ROOT}/{advisory_path(d)}")


def provider_metadata(public: Sequence[Disclosure], settings: Settings) -> dict[str, Any]:
    """The provider's ``provider-metadata.json`` (CSAF 2.0 §7.2.x requirement 7), directory distribution."""
    newest = max((d.modified for d in public), default=EMPTY_LAST_UPDATED)
    return {
        "canonical_url": settings.url(PROVIDER_METADATA),
        "distributions": [{"directory_url": settings.url(f"{ROOT}/")}],
        "last_updated": iso_z(newest),  # the newest public change, never the build time
        "list_on_CSAF_aggregators": True,
        "metadata_version": CSAF_VERSION,
        "mirror_on_CSAF_aggregators": True,
        "publisher": _publisher(settings),
        "role": "csaf_provider",
    }


def advisory(d: Disclosure, settings: Settings) -> dict[str, Any]:
    """The CSAF 2.0 document of a public disclosure as it stands (apply the gate's ``as_of`` first).

    A withdrawn disclosure becomes a ``csaf_base`` document with no product tree and no vulnerabilities:
    CSAF 2.0 has no withdrawal marker, and an advisory that still lists known_affected products would keep
    scanners alerting on a retracted claim. This is the shape CSAF 2.1 gives withdrawn documents
    (``csaf_withdrawn``: a "Reasoning for Withdrawal" note, no products), spelled in 2.0's generic profile.
    """
    summary = section_text(d.body, "Summary") or d.title  # Markdown, as in the narrative
    document: dict[str, Any] = {
        "category": "csaf_base" if d.withdrawn is not None else "csaf_security_advisory",
        "csaf_version": CSAF_VERSION,
        "distribution": {"tlp": {"label": "WHITE", "url": TLP_URL}},  # public site: only WHITE may be served
        "lang": settings.language,
        "notes": [{"category": "summary", "text": summary, "title": "Summary"}],
        "publisher": _publisher(settings),
        "references": _document_references(d, settings),
        "title": _title(d),
        "tracking": _tracking(d),
    }
    if d.withdrawn is not None:
        document["notes"].insert(0, {"category": "description", "text": d.withdrawn.reason.strip(),
                                     "title": "Reasoning for Withdrawal"})
        return {"document": document}
    products = _products(d.affected)
    return {"document": document, "product_tree": products.tree(),
            "vulnerabilities": [_vulnerability(d, products)]}


def index_txt(docs: Iterable[str]) -> bytes:
    """Requirement 12: every advisory's path relative to the CSAF directory, one per line, sorted."""
    return "".join(f"{p}\n" for p in sorted(docs)).encode("utf-8")


def changes_csv(released: Mapping[str, str]) -> bytes:
    """Requirement 13: ``"path","current_release_date"`` rows, newest first, no header.

    ``released`` maps each advisory's path to its ``current_release_date`` (``iso_z(d.modified)``, as in
    the advisory's tracking). CSV per RFC 4180 (CRLF line ends, every field quoted, as in the spec's
    example). Ties sort by path so the order never depends on input order.
    """
    rows = sorted(released.items(), key=lambda row: row[0])
    rows.sort(key=lambda row: row[1], reverse=True)  # stable: equal dates keep the path order
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# -- the document ----------------------------------------------------------------------------------------


def _publisher(settings: Settings) -> dict[str, str]:
    return {
        "category": PUBLISHER_CATEGORY,
        "contact_details": "Report vulnerabilities to: " + ", ".join(settings.contact),
        "name": settings.site_name,
        "namespace": settings.namespace,
    }


def _title(d: Disclosure) -> str:
    """A withdrawn advisory says so first, as the feeds do, unless its title already starts with it."""
    if d.withdrawn is None or d.title.casefold().startswith("withdrawn"):
        return d.title
    return f"[Withdrawn] {d.title}"


def _tracking(d: Disclosure) -> dict[str, Any]:
    """Revision 1 is the publication; each revision and the withdrawal add one, numbered in date order.

    A revision may follow the withdrawal (RUSTSEC-2025-0007 was corrected after it was withdrawn), so the
    withdrawal is sorted in with the revisions, never appended last: mandatory tests 6.1.14 (sorted history),
    6.1.16 (version = newest number) and 6.1.21 (consecutive numbers) hold for every mix. The sort is stable:
    the publication stays first, and at one instant the withdrawal comes after the revisions.
    """
    history: list[tuple[datetime, str]] = [(d.published, "Initial public release.")]
    history.extend((r.date, r.summary.strip()) for r in d.revisions)
    if d.withdrawn is not None:
        history.append((d.withdrawn.date, f"Withdrawn: {d.withdrawn.reason.strip()}"))
    history.sort(key=lambda entry: entry[0])
    revisions = [{"date": iso_z(when), "number": str(n), "summary": text}
                 for n, (when, text) in enumerate(history, start=1)]
    return {
        "current_release_date": iso_z(d.modified),
        # No version or date: the bytes must not change with the toolchain or the build clock.
        "generator": {"engine": {"name": "osqi_site"}},
        "id": d.id,
        "initial_release_date": iso_z(d.published),
        "revision_history": revisions,
        "status": "final",
        "version": revisions[-1]["number"],  # mandatory test 6.1.16: the newest revision number
    }


def _document_references(d: Disclosure, settings: Settings) -> list[dict[str, str]]:
    """``self`` first (recommended test 6.2.11), our page and OSV record, then the author's references."""
    out = [{"category": "self", "summary": "Canonical URL of this CSAF document",
            "url": advisory_url(d, settings)},
           {"category": "external", "summary": "Full disclosure, with the story of its discovery",
            "url": settings.url(f"disclosures/{d.id}/")},
           {"category": "external", "summary": "OSV record", "url": settings.url(f"osv/{d.id}.json")}]
    seen = {r["url"] for r in out}
    candidates = [*((r.type, r.url) for r in d.references), *(("GIT", a.repo) for a in d.affected if a.repo)]
    for kind, url in candidates:
        if url not in seen:
            seen.add(url)
            out.append({"category": "external", "summary": _REFERENCE_SUMMARIES.get(kind, kind), "url": url})
    return out


def _vulnerability(d: Disclosure, products: _Products) -> dict[str, Any]:
    vuln: dict[str, Any] = {
        "notes": [{"category": "description", "text": d.body.strip() or d.title, "title": "Details"}],
        "product_status": products.status(),
        "title": d.title,
    }
    cves = [a for a in d.aliases if _CVE.match(a)]
    if cves:
        vuln["cve"] = cves[0]
    # Our ID and every other alias; a second CVE lands here too, as CSAF 2.0 has room for only one.
    vuln["ids"] = [{"system_name": _system_name(ident), "text": ident}
                   for ident in dict.fromkeys((d.id, *d.aliases)) if not cves or ident != cves[0]]
    name = cwe.name(d.cwe[0]) if d.cwe else None
    if d.cwe and name is not None:  # CSAF 2.0 has room for one CWE; validation refuses IDs MITRE does not have
        vuln["cwe"] = {"id": d.cwe[0], "name": name}
    discovered = [e.date for e in d.timeline if e.event == "discovered"]
    if discovered:
        vuln["discovery_date"] = iso_z(_instant(min(discovered, key=_instant)))
    if d.credits:
        vuln["acknowledgments"] = _acknowledgments(d.credits)
    v3 = [s for s in d.severity if s.type == "CVSS_V3"]
    if v3 and products.affected:
        # One score per CVSS version and product (mandatory test 6.1.7); CVSS v4 does not exist in CSAF 2.0.
        vuln["scores"] = [{"cvss_v3": cvss3_json(v3[0].vector),
                           "products": list(vuln["product_status"]["known_affected"])}]
    if products.remediations:
        vuln["remediations"] = products.remediations
    return vuln


def _system_name(ident: str) -> str:
    """``OSQI-2026-0001`` → ``OSQI``, ``GHSA-…`` → ``GHSA``: the numbering system is the ID's prefix."""
    return ident.split("-", 1)[0] or ident


def _instant(when: date | datetime) -> datetime:
    return when if isinstance(when, datetime) else datetime(when.year, when.month, when.day, tzinfo=UTC)


def _acknowledgments(credits: Sequence[Credit]) -> list[dict[str, Any]]:
    """One entry per credit type, in the order the types first appear, names without repeats."""
    by_type: dict[str, list[str]] = {}
    for c in credits:
        names = by_type.setdefault(c.type, [])
        if c.name not in names:
            names.append(c.name)
    return [{"names": names, "summary": kind.lower().replace("_", " ")} for kind, names in by_type.items()]


# -- products --------------------------------------------------------------------------------------------


@dataclass
class _Products:
    """The product tree being built: vendor → product name → version or range, with the status of each."""

    branches: dict[str, dict[str, dict[tuple[str, str], dict[str, Any]]]] = field(default_factory=dict)
    affected: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    remediations: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, vendor: str, package: str, category: str, name: str, full_name: str,
            purl: str | None) -> str:
        """The product id of this leaf, creating it on first use (duplicates share one id)."""
        leaves = self.branches.setdefault(vendor, {}).setdefault(package, {})
        leaf = leaves.get((category, name))
        if leaf is None:
            self.count += 1
            product: dict[str, Any] = {"name": full_name, "product_id": f"CSAFPID-{self.count:04d}"}
            if purl:
                product["product_identification_helper"] = {"purl": purl}
            leaf = leaves[(category, name)] = {"category": category, "name": name, "product": product}
        product_id: str = leaf["product"]["product_id"]
        return product_id

    def tree(self) -> dict[str, Any]:
        return {"branches": [
            {"branches": [{"branches": list(leaves.values()), "category": "product_name", "name": package}
                          for package, leaves in packages.items()],
             "category": "vendor", "name": vendor}
            for vendor, packages in self.branches.items()]}

    def status(self) -> dict[str, list[str]]:
        status = {"known_affected": sorted(set(self.affected))}
        if self.fixed:
            status["fixed"] = sorted(set(self.fixed))
        return status


def _products(affected: Sequence[Affected]) -> _Products:
    """Each range becomes a ``product_version_range`` (vers), each fixed version its own ``product_version``."""
    p = _Products()
    for a in affected:
        vendor, scheme, purl = _vendor(a), _vers_scheme(a), product_purl(a)
        label = a.package if a.ecosystem == GIT else f"{a.package} ({a.ecosystem})"
        for r in a.ranges:
            constraints = _constraints(r)
            pid = p.add(vendor, a.package, "product_version_range", f"vers:{scheme}/{'|'.join(constraints)}",
                        f"{label} {_range_words(r)}", purl)
            p.affected.append(pid)
            p.remediations.append(_remediation(a, r, pid))
            if r.fixed is not None:
                p.fixed.append(p.add(vendor, a.package, "product_version", r.fixed, f"{label} {r.fixed}",
                                     _versioned_purl(purl, r.fixed)))
        if not a.ranges:
            # Enumerated versions matter only without ranges; with ranges they are examples within them.
            for v in a.versions:
                p.affected.append(p.add(vendor, a.package, "product_version", v, f"{label} {v}",
                                        _versioned_purl(purl, v)))
    if set(p.affected) & set(p.fixed):
        # A version both inside a range and named as a fix (contradiction, mandatory test 6.1.6): the
        # frontmatter is inconsistent, and a wrong "fixed" is worse than none.
        p.fixed = [f for f in p.fixed if f not in p.affected]
    return p


def _vendor(a: Affected) -> str:
    """A GIT upstream's vendor is its repository owner; a package's is the ecosystem that distributes it."""
    if a.ecosystem == GIT:
        parts = [s for s in urlsplit(a.repo or "").path.split("/") if s]
        return parts[0] if parts else a.package
    return a.ecosystem


def _vers_scheme(a: Affected) -> str:
    """vers uses purl types as versioning schemes; an upstream known only by its repository is ``generic``."""
    return PURL_TYPES.get(a.ecosystem.partition(":")[0], "generic") if a.ecosystem != GIT else "generic"


def _constraints(r: Range) -> list[str]:
    """The vers constraints of one OSV range, lower bound first; ``introduced: "0"`` has no lower bound."""
    out = [] if r.introduced == "0" else [f">={_vers_version(r.introduced)}"]
    if r.fixed is not None:
        out.append(f"<{_vers_version(r.fixed)}")
    elif r.last_affected is not None:
        out.append(f"<={_vers_version(r.last_affected)}")
    return out or ["*"]


def _vers_version(version: str) -> str:
    return _VERS_SPECIAL.sub(lambda m: quote(m.group(0), safe=""), version)


def _range_words(r: Range) -> str:
    parts = [] if r.introduced == "0" else [f">= {r.introduced}"]
    if r.fixed is not None:
        parts.append(f"< {r.fixed}")
    elif r.last_affected is not None:
        parts.append(f"<= {r.last_affected}")
    return ", ".join(parts) or "all versions"


def product_purl(a: Affected) -> str | None:
    """The package URL that identifies the product (CSAF recommended test 6.2.16), built with packageurl-python.

    The author's ``purl`` when given; for a GIT upstream without one, ``pkg:github/<owner>/<repo>`` when the
    repository is on github.com, else ``pkg:generic/<package>?vcs_url=git+<repo>`` (the purl spec's qualifier
    for where the sources live).
    """
    if a.purl or a.ecosystem != GIT or not a.repo:
        return a.purl
    parts = urlsplit(a.repo)
    path = [s for s in parts.path.split("/") if s]
    if parts.hostname == "github.com" and len(path) == 2:
        # The library lower-cases a github purl's owner and name, as the purl spec's github type requires.
        purl: str = PackageURL(type="github", namespace=path[0], name=path[1].removesuffix(".git")).to_string()
        return purl
    vcs = a.repo if a.repo.startswith("git+") else f"git+{a.repo}"
    generic: str = PackageURL(type="generic", name=a.package, qualifiers={"vcs_url": vcs}).to_string()
    return generic


def _remediation(a: Affected, r: Range, pid: str) -> dict[str, Any]:
    if is_commit_range(a, r):
        # Commit hashes are points in the repository's history, not versions anyone can upgrade to.
        if r.fixed is not None:
            return {"category": "vendor_fix", "product_ids": [pid],
                    "details": f"Update {a.package} to a release or build that includes commit {r.fixed} of "
                               f"{a.repo}."}
        if r.last_affected is not None:
            return {"category": "vendor_fix", "product_ids": [pid],
                    "details": f"Builds of {a.package} from commits after {r.last_affected} of {a.repo} are not "
                               "affected; update to a release that includes them."}
    if r.fixed is not None:
        return {"category": "vendor_fix", "details": f"Upgrade {a.package} to {r.fixed} or later.",
                "product_ids": [pid]}
    if r.last_affected is not None:
        return {"category": "vendor_fix", "product_ids": [pid],
                "details": f"Versions of {a.package} after {r.last_affected} are not affected; upgrade to one."}
    return {"category": "none_available", "details": f"No fixed version of {a.package} is known yet.",
            "product_ids": [pid]}


def _versioned_purl(purl: str | None, version: str) -> str | None:
    """The package's purl pinned to one version; packageurl-python percent-encodes it as the purl spec requires."""
    if not purl:
        return None
    pinned: str = PackageURL.from_string(purl)._replace(version=version).to_string()
    return pinned


# -- directory listings (requirement 14) -----------------------------------------------------------------


def _listings(files: dict[str, bytes]) -> dict[str, bytes]:
    """An ``index.html`` per folder of the CSAF directory, since a static host may not list directories."""
    folders: dict[str, set[str]] = {ROOT: set()}
    for path in files:
        rel = path.removeprefix(f"{ROOT}/")
        head, _, rest = rel.partition("/")
        if rest:
            folders[ROOT].add(f"{head}/")
            folders.setdefault(f"{ROOT}/{head}", set()).add(rest)
        else:
            folders[ROOT].add(head)
    return {f"{folder}/index.html": _listing_html(folder, sorted(names)) for folder, names in folders.items()}


def _listing_html(folder: str, names: Sequence[str]) -> bytes:
    title = html.escape(f"Index of /{folder}/")
    rows = [] if folder == ROOT else ['<li><a href="../">../</a></li>']
    rows.extend(f'<li><a href="{html.escape(quote(n), quote=True)}">{html.escape(n)}</a></li>' for n in names)
    return ("<!DOCTYPE html>\n"
            f'<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n</head>\n'
            f"<body>\n<h1>{title}</h1>\n<ul>\n" + "\n".join(rows) + "\n</ul>\n</body>\n</html>\n").encode("utf-8")
