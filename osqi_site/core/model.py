"""The domain model: frozen dataclasses for a validated disclosure and everything it carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Range:
    """One contiguous affected range; ``fixed`` and ``last_affected`` are mutually exclusive."""

    introduced: str
    fixed: str | None = None
    last_affected: str | None = None


@dataclass(frozen=True)
class Affected:
    ecosystem: str
    """An OSV ecosystem name (optionally with ``:suffix``), or ``GIT`` for an upstream known by its repo."""
    package: str
    purl: str | None = None
    repo: str | None = None
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    ecosystem_specific: str | None = None
    """OSV ``affected[].ecosystem_specific`` as canonical JSON text (a mapping), emitted unchanged."""
    database_specific: str | None = None
    """OSV ``affected[].database_specific`` as canonical JSON text (a mapping), emitted unchanged."""


@dataclass(frozen=True)
class Severity:
    type: str
    """``CVSS_V3`` or ``CVSS_V4``."""
    vector: str
    score: float
    """Base score computed from the vector, never typed in by hand."""
    rating: str
    """Qualitative rating (``Critical``, ``High``, ...) derived from the score."""


@dataclass(frozen=True)
class Credit:
    name: str
    type: str
    contact: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    type: str
    url: str


@dataclass(frozen=True)
class TimelineEvent:
    date: date | datetime
    """A calendar date, or an aware UTC instant when the author gave a time."""
    event: str
    note: str = ""


@dataclass(frozen=True)
class Revision:
    date: datetime
    summary: str


@dataclass(frozen=True)
class Withdrawal:
    date: datetime
    reason: str


@dataclass(frozen=True)
class Attachment:
    """A file published next to a disclosure page, e.g. a proof of concept."""

    name: str
    """Path relative to the disclosure's attachment folder, with ``/`` separators."""
    source: str
    """Absolute path of the source file; only the shell reads it."""


@dataclass(frozen=True)
class Disclosure:
    id: str
    title: str
    embargo_until: datetime | None
    """Aware UTC instant from which the disclosure is public; ``None`` only for drafts."""
    body: str
    """The narrative Markdown, frontmatter removed."""
    source: str
    """Path of the source file relative to the project root."""
    body_line: int = 1
    """Line of the source file where the body starts, so problems in the narrative point at the right line."""
    draft: bool = False
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    """OSV ``related``: IDs of closely related but different vulnerabilities."""
    upstream: tuple[str, ...] = ()
    """OSV ``upstream``: IDs of the upstream vulnerabilities this one includes."""
    affected: tuple[Affected, ...] = ()
    severity: tuple[Severity, ...] = ()
    cwe: tuple[str, ...] = ()
    credits: tuple[Credit, ...] = ()
    references: tuple[Reference, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    revisions: tuple[Revision, ...] = ()
    withdrawn: Withdrawal | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    seal: str | None = None
    """The random salt of the embargo register's commitment (64 lower-case hex digits); secret while withheld."""

    @property
    def published(self) -> datetime:
        """The instant of first publication: the embargo's end."""
        if self.embargo_until is None:
            raise ValueError(f"{self.id} is a draft and has no publication instant")
        return self.embargo_until

    @property
    def modified(self) -> datetime:
        """The newest dated change among publication, revisions and withdrawal."""
        stamps = [self.published, *(r.date for r in self.revisions)]
        if self.withdrawn is not None:
            stamps.append(self.withdrawn.date)
        return max(stamps)

    @property
    def year(self) -> int:
        return self.published.year
