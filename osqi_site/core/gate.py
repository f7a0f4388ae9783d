"""The embargo gate: the single decision of what is public at an instant; every output is built from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from osqi_site.core.model import Disclosure


@dataclass(frozen=True)
class Publication:
    """What the site shows at ``now``: public disclosures as they stand then, and what is withheld."""

    now: datetime
    public: tuple[Disclosure, ...]
    """Sorted by ID, with revisions and withdrawal dated after ``now`` removed."""
    withheld: tuple[Disclosure, ...]
    """Drafts and embargoed disclosures: used only to prove they appear nowhere."""


def is_public(disclosure: Disclosure, now: datetime) -> bool:
    """Public exactly when not a draft and the embargo instant has been reached."""
    _require_aware(now)
    return (not disclosure.draft and disclosure.embargo_until is not None
            and disclosure.embargo_until <= now)


def page_is_public(embargo_until: datetime | None, draft: bool, now: datetime) -> bool:
    """The same rule for a content page: a draft never, an embargoed page from its instant on."""
    _require_aware(now)
    return not draft and (embargo_until is None or embargo_until <= now)


def as_of(disclosure: Disclosure, now: datetime) -> Disclosure:
    """A public disclosure as it stands at ``now``: later revisions and a later withdrawal are not shown yet."""
    withdrawn = disclosure.withdrawn if disclosure.withdrawn and disclosure.withdrawn.date <= now else None
    revisions = tuple(r for r in disclosure.revisions if r.date <= now)
    if withdrawn is disclosure.withdrawn and revisions == disclosure.revisions:
        return disclosure
    return replace(disclosure, withdrawn=withdrawn, revisions=revisions)


def publish(disclosures: Iterable[Disclosure], now: datetime) -> Publication:
    _require_aware(now)
    ordered = sorted(disclosures, key=lambda d: d.id)
    public = tuple(as_of(d, now) for d in ordered if is_public(d, now))
    withheld = tuple(d for d in ordered if not is_public(d, now))
    return Publication(now.astimezone(UTC), public, withheld)


def next_change(disclosures: Iterable[Disclosure], now: datetime) -> datetime | None:
    """The next instant after ``now`` at which the public site changes, if any is scheduled."""
    _require_aware(now)
    upcoming: list[datetime] = []
    for d in disclosures:
        if d.draft or d.embargo_until is None:
            continue
        upcoming.append(d.embargo_until)
        upcoming.extend(r.date for r in d.revisions)
        if d.withdrawn is not None:
            upcoming.append(d.withdrawn.date)
    later = [t for t in upcoming if t > now]
    return min(later) if later else None


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the clock must be an aware datetime; a naive one is ambiguous")
