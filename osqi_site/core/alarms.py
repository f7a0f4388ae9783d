"""Transparency alarms: warnings (errors under --strict) for embargoes past policy and thin narratives."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import urlsplit

from osqi_site.core.model import Disclosure, TimelineEvent
from osqi_site.core.narrative import section_text
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings

COMPLETE_SECTIONS = ("Summary", "Discovery", "Root cause", "Impact", "Fix")
"""What a published narrative must cover; Summary and Discovery are already hard requirements."""

_PLACEHOLDERS = ("TODO", "TBD", "FIXME")
_PLACEHOLDER = re.compile(r"\bTODO\b|\bTBD\b|\bFIXME\b")
"""Each of ``_PLACEHOLDERS`` as a word. The pattern tries every position of the text (a tenth of a millisecond a
narrative), so it runs only where one of them occurs at all, which three substring searches find ten times faster."""

RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
"""Second-level domains reserved for documentation (RFC 2606 §3), with every name below them."""
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
"""Top-level names reserved by RFC 2606 §2 and RFC 6761 §6: nothing real lives below them."""


def config_alarms(settings: Settings, config_file: str = "mkdocs.yml") -> list[Problem]:
    """``site_url`` or a ``contact`` still on a reserved example domain: placeholders that must not go out.

    A warning like the transparency alarms (an error under ``--strict``): the sample and a fresh ``init`` site
    build, but a deployment that forgot to set them would publish links and a reporting address that reach
    no one, in security.txt, every feed and every CSAF document.
    """
    out = []
    host = urlsplit(settings.site_url).hostname or ""
    if is_reserved_domain(host):
        out.append(Problem(config_file, 0, "site_url",
                           f"'{settings.site_url}' is a reserved example domain (RFC 2606/6761): every link in "
                           "the feeds, OSV and CSAF would point nowhere; set the site's real URL"))
    for contact in settings.contact:
        domain = _contact_domain(contact)
        if domain is not None and is_reserved_domain(domain):
            out.append(Problem(config_file, 0, "contact",
                               f"'{contact}' is on a reserved example domain (RFC 2606/6761): security.txt and "
                               "CSAF would send reporters nowhere; set the address that receives reports"))
    return out


def is_reserved_domain(host: str) -> bool:
    """True for example.com/.net/.org and names below them, and for anything under .example, .test, .invalid
    or .localhost (and ``localhost`` itself); case and a trailing dot do not matter."""
    name = host.strip().rstrip(".").lower()
    if not name:
        return False
    labels = name.split(".")
    return labels[-1] in RESERVED_TLDS or ".".join(labels[-2:]) in RESERVED_DOMAINS


def _contact_domain(contact: str) -> str | None:
    """The domain a ``mailto:`` or ``http(s):`` contact reaches; ``None`` for others (``tel:``)."""
    if contact.startswith("mailto:"):
        address = contact.removeprefix("mailto:").split("?", 1)[0]
        return address.rpartition("@")[2] or None
    if contact.startswith(("https://", "http://")):
        return urlsplit(contact).hostname
    return None


@dataclass(frozen=True)
class AlarmFacts:
    """A disclosure's alarms: those that hold whatever the clock, and those that hold once its embargo has
    lifted. ``of`` is the very disclosure they were found in."""

    of: Disclosure
    always: tuple[Problem, ...]
    once_lifted: tuple[Problem, ...]


def alarm_facts(d: Disclosure, settings: Settings) -> AlarmFacts:
    """One disclosure's alarms, looked at alone: what ``alarms`` does for each disclosure."""
    if d.draft or d.embargo_until is None:
        return AlarmFacts(d, (), ())
    return AlarmFacts(d, tuple(_embargo_too_long(d, settings)), tuple(_incomplete(d)))


def alarms(disclosures: Iterable[Disclosure], settings: Settings, now: datetime) -> list[Problem]:
    """Every alarm of every disclosure, by ID; each disclosure is looked at alone."""
    return alarms_due([alarm_facts(d, settings) for d in disclosures], now)


def alarms_due(facts: Iterable[AlarmFacts], now: datetime) -> list[Problem]:
    """The alarms that hold at ``now``, by the ID of the disclosure they were found in."""
    out: list[Problem] = []
    for f in sorted(facts, key=lambda x: x.of.id):
        out.extend(f.always)
        if f.of.embargo_until is not None and f.of.embargo_until <= now:
            out.extend(f.once_lifted)
    return out


def _instant(event: TimelineEvent) -> datetime:
    if isinstance(event.date, datetime):
        return event.date
    return datetime.combine(event.date, time(0, 0), tzinfo=UTC)


def _embargo_too_long(d: Disclosure, settings: Settings) -> list[Problem]:
    assert d.embargo_until is not None
    reported = [_instant(e) for e in d.timeline if e.event == "reported"]
    if not reported:
        return []
    # Policies count calendar days ("90 days plus 30"), so the lift's time of day does not count.
    days = (d.embargo_until.date() - min(reported).date()).days
    if days <= settings.max_embargo_days:
        return []
    return [Problem(d.source, 1, "embargo_until",
                    f"embargo ends {days} days after the report, beyond the policy maximum of "
                    f"{settings.max_embargo_days}; record the reason in '## Embargo decisions' and shorten it "
                    "or raise max_embargo_days")]


def _incomplete(d: Disclosure) -> list[Problem]:
    missing = [s for s in COMPLETE_SECTIONS if not (section_text(d.body, s) or "").strip()]
    out = []
    if missing:
        out.append(Problem(d.source, d.body_line, "body",
                           f"published, but the narrative has no {', '.join(missing)} section; radical "
                           "transparency means the whole story"))
    m = _PLACEHOLDER.search(d.body) if any(word in d.body for word in _PLACEHOLDERS) else None
    if m:
        line = d.body_line + d.body.count("\n", 0, m.start())
        out.append(Problem(d.source, line, "body", f"published, but the narrative still says '{m.group(0)}'"))
    return out
