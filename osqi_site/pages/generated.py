"""Rendering: the Markdown of every generated page (disclosures, listings), independent of any site generator."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from osqi_site.core.gate import Publication
from osqi_site.core.model import Affected, Disclosure
from osqi_site.core.narrative import plain_summary
from osqi_site.core.timefmt import day, human, iso_z
from osqi_site.core.versions import affected_text, range_lines
from osqi_site.formats import csaf
from osqi_site.formats.index_json import INDEX_PATH
from osqi_site.pages import stats

NOT_SEARCHED = {"exclude": True}
"""Generated pages stay out of Material's section-by-section index; search.py adds one entry per disclosure."""

LISTING_LATEST = 100
"""Rows on /disclosures/; older ones are on the per-year pages, so no page grows without bound."""

HOME_LATEST = 5
"""Entries in the home page's "latest disclosures" block."""

MARKERS = {"latest": "<!-- osqi:latest -->", "stats": "<!-- osqi:stats -->"}
"""Comments an author puts on a line of their own in a content page; the build replaces them."""

PLACEHOLDER = re.compile(r"<!--osqi-block:[0-9a-f]{16}:[0-9]{1,6}-->")
"""The shape of a block's placeholder: what the sanitiser leaves in place (``sanitize.clean_around``)."""


@dataclass(frozen=True)
class Link:
    path: str
    type: str
    title: str


@dataclass(frozen=True)
class Page:
    """A generated page: where it goes (a Markdown source path), its Markdown, and its pre-rendered HTML blocks."""

    src_path: str
    markdown: str
    blocks: tuple[tuple[str, str], ...] = ()
    """``(placeholder, html)`` pairs: the Markdown holds each placeholder (an HTML comment) where the
    renderer must put the finished HTML after converting the Markdown. Keeping the large card and
    timeline out of the Markdown spares the converter from parsing them: most of a page's build time."""

    @property
    def body(self) -> str:
        """The Markdown after the page's frontmatter: what a converter turns into the page's HTML."""
        if not self.markdown.startswith("---\n"):
            return self.markdown
        return self.markdown.split("\n---\n", 1)[1]

    @property
    def meta(self) -> dict[str, Any]:
        """The frontmatter as data, without a YAML parser: each of its lines is one ``"key": JSON`` pair."""
        if not self.markdown.startswith("---\n"):
            return {}
        head = self.markdown[4:].split("\n---\n", 1)[0]
        meta: dict[str, Any] = json.loads("{" + ",".join(head.split("\n")) + "}")
        return meta

    @property
    def source(self) -> str:
        """The whole page as one Markdown document (blocks inlined as raw HTML), for any other renderer.

        The narrative in it is not sanitised: a renderer must convert ``markdown``, clean the HTML with
        ``sanitize.clean_around(html, PLACEHOLDER)``, then ``finish`` it, as this package does."""
        return self.finish(self.markdown)

    def finish(self, html: str) -> str:
        """The converted page with every placeholder replaced by its block.

        A placeholder-shaped comment that is not one of this page's (the text itself wrote it) is removed:
        the keys hash the page's own text, so no text can name a real one."""
        for placeholder, block in self.blocks:
            html = html.replace(placeholder, block, 1)
        return PLACEHOLDER.sub("", html)


@dataclass(frozen=True)
class TimelineRow:
    """One line of a disclosure's visual timeline; the publication itself is a row too."""

    when: date | datetime
    event: str
    """A timeline event name, or ``published`` for the row this site adds."""
    label: str
    note: str
    gap_days: int | None
    """Whole days since the previous row; ``None`` on the first."""
    after_publication: bool


@dataclass(frozen=True)
class Milestone:
    label: str
    event: str
    when: date | datetime
    days_before: int | None
    """Whole days since the previous milestone; ``None`` on the first."""


DATA_LINKS = (
    Link("feed.xml", "application/rss+xml", "RSS feed of all disclosures"),
    Link("atom.xml", "application/atom+xml", "Atom feed of all disclosures"),
    Link("feed.json", "application/feed+json", "JSON Feed of all disclosures"),
    Link("osv/all.json", "application/json", "Every OSV record"),
)

_EVENT_LABELS = {"discovered": "Discovered", "reported": "Reported to maintainers", "acknowledged": "Acknowledged",
                 "fixed": "Fix committed", "fix_released": "Fixed release", "cve_assigned": "CVE assigned",
                 "disclosed": "Disclosed", "other": "", "published": "Published here"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")


def _iso_any(value: date | datetime) -> str:
    return iso_z(value) if isinstance(value, datetime) else value.isoformat()


def fixed_versions(a: Affected) -> list[str]:
    return [r.fixed for r in a.ranges if r.fixed]


def fixed_text(a: Affected) -> str:
    fixed = fixed_versions(a)
    return ", ".join(fixed) if fixed else "no fixed release"


def _sort_key(when: date | datetime) -> tuple[date, float]:
    """Calendar day first; within a day, a bare date sorts before any timed event of that day."""
    if isinstance(when, datetime):
        t = when.astimezone(UTC)
        return t.date(), float(t.hour * 3600 + t.minute * 60 + t.second)
    return when, -1.0


def timeline_rows(d: Disclosure) -> list[TimelineRow]:
    """The timeline in chronological order (stable for same-day events), with the publication placed in it."""
    pub_day, pub_second = _sort_key(d.published)
    keyed: list[tuple[tuple[date, float], int, str, date | datetime, str]] = [
        (_sort_key(e.date), i, e.event, e.date, e.note) for i, e in enumerate(d.timeline)]
    # Published sorts after every event of the same instant, e.g. a "disclosed" event at the lift time.
    keyed.append(((pub_day, pub_second + 0.5), len(keyed), "published", d.published, ""))
    keyed.sort(key=lambda k: (k[0], k[1]))
    rows: list[TimelineRow] = []
    previous: date | None = None
    seen_published = False
    for _, _, event, when, note in keyed:
        today = day(when)
        rows.append(TimelineRow(when, event, _EVENT_LABELS.get(event, event), note,
                                None if previous is None else (today - previous).days, seen_published))
        seen_published = seen_published or event == "published"
        previous = today
    return rows


def milestones(d: Disclosure, rows: Sequence[TimelineRow] | None = None) -> list[Milestone]:
    """Discovery, report, fix and publication (those the record has), oldest first, with the days between.

    ``rows`` are ``timeline_rows(d)`` when the caller has them already."""
    rows = timeline_rows(d) if rows is None else rows
    first = {e: next((r for r in rows if r.event == e), None) for e in ("discovered", "reported", "published")}
    # A released fix is what users can install; a committed fix stands in when no release is recorded.
    first["fix"] = next((r for r in rows if r.event == "fix_released"), None) or \
        next((r for r in rows if r.event == "fixed"), None)
    labels = {"discovered": "Discovered", "reported": "Reported", "fix_released": "Fix released",
              "fixed": "Fix committed", "published": "Published here"}
    out: list[Milestone] = []
    for row in rows:  # already chronological
        if any(row is r for r in first.values()):
            before = None if not out else (day(row.when) - day(out[-1].when)).days
            out.append(Milestone(labels[row.event], row.event, row.when, before))
    return out


def _key_events(d: Disclosure, rows: Sequence[TimelineRow]) -> dict[str, list[date | datetime]]:
    """The milestones (discovery, report, fix, publication) by event, so the one timeline (``rows``) can mark them."""
    out: dict[str, list[date | datetime]] = {}
    for m in milestones(d, rows):
        out.setdefault(m.event, []).append(m.when)
    return out


def days_label(n: int) -> str:
    return "same day" if n == 0 else f"{n} day{'s' if n != 1 else ''}"


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
                       range_lines=range_lines, fixed_versions=fixed_versions, days_label=days_label,
                       day_iso=lambda v: day(v).isoformat(),
                       credit_label=lambda t: t.replace("_", " ").lower())
    env.filters["stash"] = _stash
    return env


@jinja2.pass_context
def _stash(context: jinja2.runtime.Context, html: str) -> Markup:
    """``{% filter stash %}…{% endfilter %}``: the section's finished HTML goes to the ``stash`` the page is
    rendered with (``_render_with_blocks``), which returns its placeholder. A filter block costs a fraction of
    a ``{% call %}`` of a macro, and the pages use several each."""
    stash: Callable[[str], Markup] = context["stash"]
    return stash(html)


def _front_matter(**fields: object) -> Markup:
    """Page metadata; strings are HTML-escaped because MkDocs' and Material's templates print meta unescaped."""
    escaped = {k: str(markupsafe_escape(v)) if isinstance(v, str) else v for k, v in fields.items()}
    # JSON is YAML too, and json.dumps is many times faster than yaml.safe_dump.
    return Markup("\n".join(f"{json.dumps(k)}: {json.dumps(v, sort_keys=True, ensure_ascii=False)}"
                             for k, v in sorted(escaped.items())))


def escaped_meta(value: Any) -> Any:
    """A content page's metadata with every string HTML-escaped, in lists and mappings too: MkDocs' and
    Material's templates print ``title``, ``description``, ``author`` and the like unescaped, into elements and
    attributes, so a page's frontmatter could otherwise write markup into every page's head."""
    if isinstance(value, str):
        return str(markupsafe_escape(value))
    if isinstance(value, list):
        return [escaped_meta(v) for v in value]
    if isinstance(value, dict):
        return {k: escaped_meta(v) for k, v in value.items()}
    return value


def md_heading(text: str) -> Markup:
    """HTML-escape, then escape inline Markdown syntax, so a title renders as exactly what the author wrote."""
    return Markup(_MD_SPECIAL.sub(r"\\\1", str(markupsafe_escape(text))))


def _credits(d: Disclosure) -> list[tuple[str, list[str]]]:
    """Credits grouped by person, in order of first appearance: ``[(name, [role, ...])]``."""
    grouped: dict[str, list[str]] = {}
    for c in d.credits:
        roles = grouped.setdefault(c.name, [])
        label = c.type.replace("_", " ").lower()
        if label not in roles:
            roles.append(label)
    return list(grouped.items())


def csaf_path(d: Disclosure) -> str:
    """Site-relative path of the disclosure's CSAF advisory."""
    return f"{csaf.ROOT}/{csaf.advisory_path(d)}"


def block_key(*texts: str) -> str:
    """The placeholder key of a page: a hash of everything written into it by people, so that their text
    cannot contain one of its own placeholders (it would have to contain its own hash)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def _render_with_blocks(template: str, key: str, **context: object) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Render a page template whose ``{% filter stash %}`` sections become blocks kept out of the Markdown.

    ``key`` is the page's ``block_key``. The Markdown is sanitised after conversion and the blocks (HTML
    the templates made, every value escaped) are put in afterwards, so the sanitiser never sees them."""
    blocks: list[tuple[str, str]] = []

    def stash(html: str) -> Markup:
        placeholder = f"<!--osqi-block:{key}:{len(blocks)}-->"
        blocks.append((placeholder, html.strip()))
        return Markup(f"\n{placeholder}\n")

    text = _env().get_template(template).render(stash=stash, **context)
    return text, tuple(blocks)


def disclosure_page(d: Disclosure, extra_links: Sequence[Link] = (),
                    projects: Sequence[tuple[str, str]] = ()) -> Page:
    """The page of one public disclosure: card, timeline, narrative, references, revisions, data links.

    ``projects`` holds ``(name, site-relative folder)`` of each project under care the disclosure belongs to.
    """
    fm = _front_matter(title=f"{d.id}: {d.title}", description=plain_summary(d.body, 160) or d.title,
                       search=NOT_SEARCHED,
                       osqi_id=d.id, osqi_csaf=csaf_path(d), **({"osqi_withdrawn": True} if d.withdrawn else {}))
    rows = timeline_rows(d)
    text, blocks = _render_with_blocks("disclosure.md.j2", block_key(repr(d)),
        d=d, front_matter=fm, body=Markup(d.body.strip()), root="../../", extra_links=extra_links, csaf=csaf_path(d),
        heading=md_heading(d.title), rows=rows, key_events=_key_events(d, rows), credits=_credits(d),
        projects=projects)
    return Page(f"disclosures/{d.id}.md", text, blocks)


def newest_first(items: Sequence[Disclosure]) -> list[Disclosure]:
    return sorted(items, key=lambda d: (d.published, d.id), reverse=True)


def listing_pages(pub: Publication) -> list[Page]:
    """``/disclosures/`` with the newest entries and links to one page per year that has any."""
    ordered = newest_first(pub.public)
    per_year = Counter(d.year for d in ordered)
    years = sorted(per_year.items(), reverse=True)
    pages = [_listing("disclosures/index.md",
        front_matter=_front_matter(title="Disclosures", description="Every published OSQI disclosure, newest first.",
                                   osqi_listing=True, hide=["toc"], search=NOT_SEARCHED),
        heading="Disclosures", items=ordered[:LISTING_LATEST], years=years, root="../", filters=bool(ordered),
        index_url=f"../{INDEX_PATH}", intro=_listing_intro(len(ordered)))]
    for year, count in years:
        items = [d for d in ordered if d.year == year]
        pages.append(_listing(f"disclosures/{year}/index.md",
            front_matter=_front_matter(title=f"Disclosures of {year}", description=f"OSQI disclosures of {year}.",
                                       hide=["toc"], search=NOT_SEARCHED),
            heading=f"Disclosures of {year}", items=items, years=years, root="../../", filters=False,
            index_url="", intro=f"{count} disclosure{'s' if count != 1 else ''} published in {year}, newest first."))
    return pages


def _listing(src_path: str, **context: object) -> Page:
    # The table can hold a year's worth of rows: as a block it costs the Markdown converter nothing.
    text, blocks = _render_with_blocks("listing.md.j2", block_key(src_path), **context)
    return Page(src_path, text, blocks)


def _listing_intro(total: int) -> str:
    if total <= LISTING_LATEST:
        return f"All {total} published disclosures, newest first."
    return f"The newest {LISTING_LATEST} of {total} published disclosures; older ones are on the year pages."


# -- content-page blocks ---------------------------------------------------------------------------------


def latest_block(public: Sequence[Disclosure], href: Callable[[str], str], limit: int = HOME_LATEST) -> str:
    """HTML of the newest public disclosures; ``href`` maps a page's source path to a link from the host page."""
    items = newest_first(public)[:limit]
    return _env().get_template("home_latest.html.j2").render(
        items=[(d, href(f"disclosures/{d.id}.md")) for d in items], total=len(public),
        all_href=href("disclosures/index.md")).strip()


def stats_block(public: Sequence[Disclosure], embargoes: tuple[int, str] | None = None) -> str:
    """HTML of the transparency figures and the per-year chart, from public disclosures only; with
    ``embargoes`` (the embargo register's count of open commitments, and a link to it), that count too."""
    figures = stats.figures(public)
    return _env().get_template("home_stats.html.j2").render(
        f=figures, chart=stats.year_chart(figures.per_year), days_label=days_label, embargoes=embargoes).strip()


def expand_markers(markdown: str, public: Sequence[Disclosure], href: Callable[[str], str]) -> str:
    """The content page with each marker line replaced by its block, as one Markdown document."""
    return content_page(markdown, public, href).source


def content_page(markdown: str, public: Sequence[Disclosure], href: Callable[[str], str],
                 extra: Mapping[str, Callable[[], str]] | None = None) -> Page:
    """A content page whose marker lines became placeholders of their blocks; a page without markers has none.

    The blocks go in after the page is converted and sanitised (the stats chart is SVG, which the narrative
    policy removes). ``public`` must be ``Publication.public``: the blocks name and count nothing else.
    """
    blocks: dict[str, Callable[[], str]] = {
        MARKERS["latest"]: lambda: latest_block(public, href),
        MARKERS["stats"]: lambda: stats_block(public),
        **(extra or {}),  # the build's own blocks of this page (a project's facts, figures and disclosures)
    }
    if not any(m in markdown for m in blocks):
        return Page("", markdown)
    key = block_key(markdown)
    out: list[str] = []
    made: list[tuple[str, str]] = []
    for line in markdown.split("\n"):
        make = blocks.get(line.strip())
        if make is None:
            out.append(line)
            continue
        placeholder = f"<!--osqi-block:{key}:{len(made)}-->"
        made.append((placeholder, make()))
        # Blank lines around the placeholder keep it a raw HTML block whatever surrounds the marker.
        out.append(f"\n{placeholder}\n")
    return Page("", "\n".join(out), tuple(made))
