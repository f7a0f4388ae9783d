"""Transparency alarms: warnings (errors under --strict) for embargoes past policy and thin narratives."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time

from .memo import Memo
from .model import Disclosure, TimelineEvent
from .narrative import section_text
from .parallel import map_chunks
from .problems import Problem
from .settings import Settings

COMPLETE_SECTIONS = ("Summary", "Discovery", "Root cause", "Impact", "Fix")
"""What a published narrative must cover; Summary and Discovery are already hard requirements."""

_PLACEHOLDER = re.compile(r"\bTODO\b|\bTBD\b|\bFIXME\b")


def alarms(disclosures: Iterable[Disclosure], settings: Settings, now: datetime, *,
           parallel: bool = True, memo: Memo[Disclosure, list[Problem]] | None = None) -> list[Problem]:
    """Every alarm of every disclosure, by ID; each disclosure is looked at alone (on every core if many).

    ``memo`` (kept by ``serve``) looks again only at disclosures that changed, or lifted, since its last call.
    """
    def one(d: Disclosure) -> list[Problem]:
        if d.draft or d.embargo_until is None:
            return []
        return [*_embargo_too_long(d, settings), *(_incomplete(d) if d.embargo_until <= now else [])]

    def each(ds: Sequence[Disclosure]) -> list[list[Problem]]:
        return map_chunks(one, ds, parallel=parallel)

    ordered = sorted(disclosures, key=lambda x: x.id)
    found = each(ordered) if memo is None else memo.map(
        each, ordered, context=settings, tag=lambda d: d.embargo_until is not None and d.embargo_until <= now)
    return [p for per in found for p in per]


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
    m = _PLACEHOLDER.search(d.body)
    if m:
        line = d.body_line + d.body.count("\n", 0, m.start())
        out.append(Problem(d.source, line, "body", f"published, but the narrative still says '{m.group(0)}'"))
    return out
