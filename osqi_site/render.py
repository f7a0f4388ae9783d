"""Rendering: the Markdown of every generated page (disclosures, listings), independent of any site generator."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import jinja2
import yaml
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from .gate import Publication
from .model import Affected, Disclosure
from .narrative import plain_summary
from .timefmt import human, iso_z

LISTING_LATEST = 100
"""Rows on /disclosures/; older ones are on the per-year pages, so no page grows without bound."""


@dataclass(frozen=True)
class Link:
    path: str
    type: str
    title: str


@dataclass(frozen=True)
class Page:
    """A generated page: where it goes (a Markdown source path) and its Markdown."""

    src_path: str
    markdown: str


DATA_LINKS = (
    Link("feed.xml", "application/rss+xml", "RSS feed of all disclosures"),
    Link("atom.xml", "application/atom+xml", "Atom feed of all disclosures"),
    Link("feed.json", "application/feed+json", "JSON Feed of all disclosures"),
    Link("osv/all.json", "application/json", "Every OSV record"),
)

_EVENT_LABELS = {"discovered": "Discovered", "reported": "Reported to maintainers", "acknowledged": "Acknowledged",
                 "fixed": "Fix committed", "fix_released": "Fixed release", "cve_assigned": "CVE assigned",
                 "disclosed": "Disclosed", "other": "Event"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")


def _iso_any(value: date | datetime) -> str:
    return iso_z(value) if isinstance(value, datetime) else value.isoformat()


def affected_text(a: Affected) -> str:
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
    return "; ".join(parts)


def fixed_text(a: Affected) -> str:
    fixed = [r.fixed for r in a.ranges if r.fixed]
    return ", ".join(fixed) if fixed else "no fixed release"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("osqi_site", "templates"),
        autoescape=True,  # every frontmatter value is escaped; only the narrative is trusted Markdown
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(human=human, iso=iso_z, iso_any=_iso_any, affected_text=affected_text, fixed_text=fixed_text,
                       event_label=lambda e: _EVENT_LABELS.get(e, e),
                       credit_label=lambda t: t.replace("_", " ").lower())
    return env


def _front_matter(**fields: object) -> Markup:
    return Markup(yaml.safe_dump(fields, sort_keys=True, allow_unicode=True, width=10_000).strip())


def md_heading(text: str) -> Markup:
    """HTML-escape, then escape inline Markdown syntax, so a title renders as exactly what the author wrote."""
    return Markup(_MD_SPECIAL.sub(r"\\\1", str(markupsafe_escape(text))))


def disclosure_page(d: Disclosure, extra_links: Sequence[Link] = ()) -> Page:
    """The page of one public disclosure: card, timeline, narrative, references, revisions, data links."""
    fm = _front_matter(title=f"{d.id}: {d.title}", description=plain_summary(d.body, 160) or d.title,
                       osqi_id=d.id)
    text = _env().get_template("disclosure.md.j2").render(
        d=d, front_matter=fm, body=Markup(d.body.strip()), root="../../", extra_links=extra_links,
        heading=md_heading(d.title))
    return Page(f"disclosures/{d.id}.md", text)


def newest_first(items: Sequence[Disclosure]) -> list[Disclosure]:
    return sorted(items, key=lambda d: (d.published, d.id), reverse=True)


def listing_pages(pub: Publication) -> list[Page]:
    """``/disclosures/`` with the newest entries and links to one page per year that has any."""
    ordered = newest_first(pub.public)
    per_year = Counter(d.year for d in ordered)
    years = sorted(per_year.items(), reverse=True)
    template = _env().get_template("listing.md.j2")
    pages = [Page("disclosures/index.md", template.render(
        front_matter=_front_matter(title="Disclosures", description="Every published OSQI disclosure, newest first."),
        heading="Disclosures", items=ordered[:LISTING_LATEST], years=years, root="../",
        intro=_listing_intro(len(ordered))))]
    for year, count in years:
        items = [d for d in ordered if d.year == year]
        pages.append(Page(f"disclosures/{year}/index.md", template.render(
            front_matter=_front_matter(title=f"Disclosures of {year}", description=f"OSQI disclosures of {year}."),
            heading=f"Disclosures of {year}", items=items, years=years, root="../../",
            intro=f"{count} disclosure{'s' if count != 1 else ''} published in {year}, newest first.")))
    return pages


def _listing_intro(total: int) -> str:
    if total <= LISTING_LATEST:
        return f"All {total} published disclosures, newest first."
    return f"The newest {LISTING_LATEST} of {total} published disclosures; older ones are on the year pages."
