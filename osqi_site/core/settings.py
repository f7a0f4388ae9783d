"""Publisher settings: the plain values every stage needs, independent of MkDocs; the plugin options' one set of
defaults, and the one function that turns the site's configuration into Settings."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


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


SETTING_OPTIONS = ("id_prefix", "feed_limit", "contact", "publisher_namespace", "policy_path", "security_txt_days",
                   "max_embargo_days", "embargo_register")
"""The osqi plugin's options that are fields of Settings, under the same names: their defaults are Settings' own."""


def _setting_default(name: str) -> Any:
    return next(f.default for f in dataclasses.fields(Settings) if f.name == name)


OPTION_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "disclosures_dir": "disclosures",
    "cache_dir": ".osqi-cache",
    "strict_alarms": False,
    **{name: _setting_default(name) for name in SETTING_OPTIONS},
})
"""The default of every osqi plugin option that has one: the one definition the plugin's config schema, the
commands that read mkdocs.yml without MkDocs, and ``settings_from`` all use (``as_of``, ``coverage_request`` and
``signing_key`` have none)."""


def settings_from(site_url: str | None, site_name: str | None, description: str | None,
                  options: Mapping[str, Any]) -> Settings:
    """The one place where site configuration becomes Settings, for the CLI and the MkDocs plugin alike."""
    url = (site_url or "").strip()
    if not url:
        raise ValueError("site_url must be set in mkdocs.yml: feeds and OSV records need absolute links")
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"site_url '{url}' must be an http(s) URL")
    prefix = str(options.get("id_prefix") or OPTION_DEFAULTS["id_prefix"])
    if not prefix.replace("-", "").isalnum() or not prefix[0].isalpha() or not prefix.isupper():
        raise ValueError(f"id_prefix '{prefix}' must be upper-case letters and digits, e.g. OSQI")
    opts = {**OPTION_DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    for key in ("feed_limit", "security_txt_days", "max_embargo_days"):
        value = opts[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive integer, not {value!r}")
    if not isinstance(opts["embargo_register"], bool):
        raise ValueError(f"embargo_register must be true or false, not {opts['embargo_register']!r}")
    if opts["security_txt_days"] > 364:
        raise ValueError("security_txt_days must be under a year (RFC 9116)")
    contact = opts["contact"]
    if isinstance(contact, str):
        contact = [contact]
    if not contact or not all(isinstance(c, str) and c.startswith(("mailto:", "https://", "tel:")) for c in contact):
        raise ValueError("contact must list mailto:, https:// or tel: URIs, e.g. mailto:security@example.org")
    return Settings(site_url=url.rstrip("/") + "/", site_name=site_name or Settings.site_name,
                    description=description or Settings.description, id_prefix=prefix,
                    feed_limit=opts["feed_limit"], contact=tuple(contact),
                    publisher_namespace=str(opts["publisher_namespace"] or ""),
                    policy_path=str(opts["policy_path"]).lstrip("/"),
                    security_txt_days=opts["security_txt_days"], max_embargo_days=opts["max_embargo_days"],
                    embargo_register=opts["embargo_register"])
