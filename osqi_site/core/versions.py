"""What a range's version strings are (commit hashes, SemVer, the ecosystem's own), so its OSV range type, and
how an affected package's ranges read to a person (pages and feeds alike)."""

from __future__ import annotations

import re

from osqi_site.core.ecosystems import GIT
from osqi_site.core.model import Affected, Range

COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
"""A full Git commit hash (SHA-1, or SHA-256 for repositories in that object format), lower case as git prints it."""
ANY_CASE_COMMIT = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")

# SemVer 2.0.0, the official regular expression from semver.org (no leading "v").
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")

SEMVER_ECOSYSTEMS = frozenset({"npm", "crates.io", "Go", "Hex", "Pub", "SwiftURL"})
"""Ecosystems whose package manager enforces SemVer 2.0 versions, so OSV ranges over them are ``SEMVER``.

The OSV spec (``affected[].ranges[].type``) reserves ``SEMVER`` for versions that are SemVer 2.0 and says to use
``ECOSYSTEM`` where an ecosystem merely recommends SemVer. npm and Cargo (crates.io) reject other versions, Go
module versions are SemVer (OSV writes them without the ``v``), Hex and Pub require SemVer, and the OSV
ecosystem table says SwiftURL versions are SemVer 2.0 tags. Their own databases (GHSA, RustSec, Go vulndb)
publish ``SEMVER`` ranges for them. PyPI (PEP 440), Maven, RubyGems, NuGet, Packagist and the distributions
have orderings of their own: ``ECOSYSTEM``.
"""


def values(r: Range) -> list[str]:
    """The range's version strings other than ``introduced: "0"`` (which every range type allows)."""
    return [v for v in (r.introduced, r.fixed, r.last_affected) if v is not None and v != "0"]


def is_semver_ecosystem(ecosystem: str) -> bool:
    return ecosystem.partition(":")[0] in SEMVER_ECOSYSTEMS


def is_commit_range(a: Affected, r: Range) -> bool:
    """Every bound is a full commit hash of ``a.repo``: evaluated on the commit graph (OSV ``GIT``)."""
    found = values(r)
    return a.repo is not None and bool(found) and all(COMMIT.match(v) for v in found)


def range_type(a: Affected, r: Range) -> str:
    """The OSV range type; validation has made sure the versions fit it (``range_problem``)."""
    if is_commit_range(a, r):
        return "GIT"
    if (a.ecosystem == GIT or is_semver_ecosystem(a.ecosystem)) and all(SEMVER.match(v) for v in values(r)):
        return "SEMVER"
    # Never a false SEMVER claim, even for a value that bypassed validation: uninterpreted strings instead.
    return "ECOSYSTEM"


def range_problem(a: Affected, r: Range) -> str | None:
    """Why a range's versions cannot be evaluated under the range type its ecosystem gives it, or ``None``."""
    found = values(r)
    upper = [v for v in found if ANY_CASE_COMMIT.match(v) and not COMMIT.match(v)]
    if upper:
        return f"commit hash '{upper[0]}' has upper-case letters; write it in lower case, as git prints it"
    if is_commit_range(a, r) or not found:
        return None
    commits = [v for v in found if COMMIT.match(v)]
    not_semver = [v for v in found if not SEMVER.match(v)]
    if commits and len(commits) < len(found):
        return ("mixes commit hashes and version numbers; give every bound as a commit of the repo, or every "
                "bound as a version")
    if commits:  # commits, but no repo to evaluate them in
        return "gives commit hashes but the entry has no repo; add repo: with the repository they belong to"
    if a.ecosystem == GIT and not_semver:
        return (f"'{not_semver[0]}' is not a SemVer 2.0 version, so no consumer can evaluate this range of a GIT "
                "upstream; give the bounds as full commit hashes of the repo (introduced/fixed), or drop the "
                "range and list the affected releases under versions:")
    if is_semver_ecosystem(a.ecosystem) and not_semver:
        hint = not_semver[0][1:] if not_semver[0][:1] == "v" and SEMVER.match(not_semver[0][1:]) else None
        fix = f"write '{hint}'" if hint else "write it as MAJOR.MINOR.PATCH, e.g. 1.4.3"
        return (f"'{not_semver[0]}' is not a SemVer 2.0 version, which {a.ecosystem.partition(':')[0]} versions "
                f"are (OSV range type SEMVER); {fix}")
    return None


def affected_text(a: Affected) -> str:
    """Every line of ``range_lines`` on one line, for feeds and other one-line places."""
    return "; ".join(range_lines(a))


def range_lines(a: Affected) -> list[str]:
    """Each affected range (and the explicit version list) as one line a reader can compare a version with."""
    parts = []
    for r in a.ranges:
        start = "all versions" if r.introduced == "0" else f">= {r.introduced}"
        if r.fixed:
            parts.append(f"{start}, < {r.fixed}")
        elif r.last_affected:
            parts.append(f"{start}, <= {r.last_affected}")
        else:
            parts.append(f"{start} (no fix yet)")
    if a.versions:
        parts.append("versions " + ", ".join(a.versions))
    return parts
