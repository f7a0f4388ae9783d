"""Vocabularies from the OSV 1.7 specification that frontmatter values must come from."""

from __future__ import annotations

OSV_ECOSYSTEMS = frozenset({
    "AlmaLinux", "Alpaquita", "Alpine", "Android", "BellSoft Hardened Containers", "Bioconductor", "Bitnami",
    "Chainguard", "CleanStart", "ConanCenter", "CRAN", "crates.io", "Debian", "Docker Hardened Images", "Echo",
    "FreeBSD", "GHC", "GitHub Actions", "Go", "Hackage", "Hex", "Julia", "Kubernetes", "Linux", "Mageia", "Maven",
    "MinimOS", "npm", "NuGet", "opam", "openEuler", "openSUSE", "OSS-Fuzz", "Packagist", "Photon OS", "Pub", "PyPI",
    "Red Hat", "Rocky Linux", "Root", "RubyGems", "SUSE", "SwiftURL", "Ubuntu", "VSCode", "Wolfi",
})
"""Copied from ``$defs.ecosystemName`` of the vendored OSV 1.7.5 schema; a test keeps the two in step."""

GIT = "GIT"
"""Our pseudo-ecosystem for an upstream project known only by its repository (curl, expat, xz)."""

CREDIT_TYPES = ("FINDER", "REPORTER", "ANALYST", "COORDINATOR", "REMEDIATION_DEVELOPER",
                "REMEDIATION_REVIEWER", "REMEDIATION_VERIFIER", "TOOL", "SPONSOR", "OTHER")
REFERENCE_TYPES = ("ADVISORY", "ARTICLE", "DETECTION", "DISCUSSION", "REPORT", "FIX", "INTRODUCED",
                   "GIT", "PACKAGE", "EVIDENCE", "WEB")
SEVERITY_TYPES = ("CVSS_V3", "CVSS_V4")
TIMELINE_EVENTS = ("discovered", "reported", "acknowledged", "fixed", "fix_released", "cve_assigned",
                   "disclosed", "other")

# purl types for the ecosystems where the mapping is unambiguous; used to prefill and cross-check.
PURL_TYPES = {"PyPI": "pypi", "npm": "npm", "crates.io": "cargo", "Go": "golang", "Maven": "maven",
              "RubyGems": "gem", "NuGet": "nuget", "Packagist": "composer", "Hex": "hex", "Pub": "pub",
              "Debian": "deb", "Alpine": "apk", "CRAN": "cran", "Hackage": "hackage", "SwiftURL": "swift",
              "ConanCenter": "conan", "GitHub Actions": "github"}


def is_osv_ecosystem(name: str) -> bool:
    """True for a listed ecosystem, optionally with a ``:suffix`` such as ``Debian:12``."""
    base, sep, suffix = name.partition(":")
    return base in OSV_ECOSYSTEMS and (not sep or bool(suffix.strip()))
