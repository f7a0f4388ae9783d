"""Publisher settings: the plain values every stage needs, independent of MkDocs."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """What the core needs to know about the site; built by the shell from mkdocs.yml."""

    site_url: str
    """Absolute base URL ending in ``/``; every feed and OSV link is built from it."""
    site_name: str = "Open Source Quality Institute"
    description: str = "Vulnerability disclosures with their full discovery stories."
    id_prefix: str = "OSQI"
    feed_limit: int = 50
    """How many of the newest items the RSS, Atom and JSON feeds carry; OSV all.json has everything."""
    language: str = "en"
    contact: tuple[str, ...] = ("mailto:security@osqi.example",)
    """Where to report vulnerabilities (``mailto:``/``https:`` URIs): security.txt, CSAF publisher, feeds."""
    publisher_namespace: str = ""
    """CSAF publisher namespace (a URL the publisher controls); defaults to the site URL."""
    policy_path: str = "policy/"
    """Site-relative path of the disclosure policy page, linked from security.txt."""
    security_txt_days: int = 180
    """How far ahead security.txt's Expires lies, counted from the build clock (RFC 9116: under a year)."""
    max_embargo_days: int = 120
    """Policy maximum from the ``reported`` event to ``embargo_until`` (90 days plus a 30-day grace)."""
    embargo_register: bool = False
    """Publish commitments to embargoed disclosures (``/embargoes/``) and require each one's ``seal``.
    Off unless configured, so a site turns it on knowingly; ``osqi-site init`` writes ``true``."""

    @property
    def id_pattern(self) -> re.Pattern[str]:
        # ASCII digits only: ``\d`` would take other scripts' digits, another spelling of the same number.
        return re.compile(rf"^{re.escape(self.id_prefix)}-([0-9]{{4}})-([0-9]{{4,}})$")

    @property
    def id_mention_pattern(self) -> re.Pattern[str]:
        """Matches a disclosure ID anywhere in text, not as part of a longer token."""
        return re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(self.id_prefix)}-\d{{4}}-\d{{4,}}(?![0-9])")

    @property
    def namespace(self) -> str:
        return self.publisher_namespace or self.site_url

    def url(self, path: str) -> str:
        return self.site_url + path.lstrip("/")
