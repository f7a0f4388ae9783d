"""The RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds of the public disclosures, as deterministic bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from osqi_site.core.model import Disclosure
from osqi_site.core.narrative import plain_summary, to_html
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import human, iso_z
from osqi_site.core.versions import affected_text
from osqi_site.formats.absolute_links import absolute_html

GENERATOR = "osqi_site"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# Atom requires a feed-level <updated>; with nothing published there is no honest instant to give, so the
# Unix epoch stands in: fixed (same bytes on every build) and obviously not a real publication date.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Channel:
    """Which feed: the site's own (the defaults), or a subset's, such as one project's, in a folder of its own."""

    folder: str = ""
    """Site-relative folder of the three files, ``""`` or ending in ``/``."""
    title: str = ""
    """Feed title; the site name when empty."""
    home: str = ""
    """Site-relative path of the page the feed belongs to; the home page when empty."""


SITE = Channel()


def feed_files(public: Sequence[Disclosure], settings: Settings, channel: Channel = SITE) -> dict[str, bytes]:
    """``feed.xml``, ``atom.xml`` and ``feed.json`` (site-relative paths) of the public disclosures."""
    items = feed_items(public, settings.feed_limit)
    updated = last_modified(public)
    return {
        f"{channel.folder}feed.xml": _rss(items, updated, settings, channel),
        f"{channel.folder}atom.xml": _atom(items, updated, settings, channel),
        f"{channel.folder}feed.json": _json_feed(items, settings, channel),
    }


def feed_items(public: Sequence[Disclosure], limit: int) -> list[Disclosure]:
    """The newest ``limit`` disclosures by ``modified``: a revision or withdrawal brings an item back up."""
    ordered = sorted(public, key=lambda d: (d.modified, d.id), reverse=True)
    return ordered[: max(limit, 0)]


def last_modified(public: Sequence[Disclosure]) -> datetime | None:
    """The newest change among all public disclosures; never the build time."""
    return max((_utc(d.modified) for d in public), default=None)


def page_url(d: Disclosure, settings: Settings) -> str:
    """The item's stable id: the disclosure page URL, unchanged by revisions and rebuilds."""
    return settings.url(f"disclosures/{d.id}/")


def item_title(d: Disclosure) -> str:
    return f"{'[Withdrawn] ' if d.withdrawn is not None else ''}{d.id}: {d.title}"


def item_summary(d: Disclosure) -> str:
    """Plain text: the Summary section, or the title when the narrative has none."""
    return plain_summary(d.body) or d.title


def item_tags(d: Disclosure) -> list[str]:
    return list(dict.fromkeys((*d.aliases, *d.cwe)))


def item_html(d: Disclosure, settings: Settings) -> str:
    """A short header of frontmatter facts (every value escaped), then the narrative as HTML."""
    header: list[str] = []
    if d.withdrawn is not None:
        when, reason = _e(human(d.withdrawn.date)), _e(d.withdrawn.reason)
        header.append(f"<p><strong>Withdrawn</strong> {when}: {reason}</p>")
    if d.affected:
        rows = []
        for a in d.affected:
            detail = affected_text(a)
            rows.append(f"<li>{_e(a.ecosystem)} <code>{_e(a.package)}</code>"
                        + (f": {_e(detail)}" if detail else "") + "</li>")
        header.append("<p><strong>Affected</strong></p>\n<ul>\n" + "\n".join(rows) + "\n</ul>")
    if d.severity:
        scores = "; ".join(f"{_e(s.rating)} {s.score:.1f} (<code>{_e(s.vector)}</code>)" for s in d.severity)
        header.append(f"<p><strong>Severity</strong>: {scores}</p>")
    if d.aliases:
        header.append(f"<p><strong>Aliases</strong>: {_e(', '.join(d.aliases))}</p>")
    if d.cwe:
        header.append(f"<p><strong>Weakness</strong>: {_e(', '.join(d.cwe))}</p>")
    if d.revisions:
        latest = max(d.revisions, key=lambda r: r.date)
        header.append(f"<p><strong>Revised</strong> {_e(human(latest.date))}: {_e(latest.summary)}</p>")
    header.append(f'<p><a href="{_e(page_url(d, settings))}">Full disclosure</a> · '
                  f'<a href="{_e(_osv_url(d, settings))}">OSV record</a></p>')
    # Relative links and images point next to the disclosure's page (its attachments), not next to the feed.
    return "\n".join(header) + "\n<hr>\n" + absolute_html(to_html(d.body), page_url(d, settings))


def _rss(items: Sequence[Disclosure], updated: datetime | None, settings: Settings, which: Channel) -> bytes:
    fg = _generator(settings, updated or EMPTY_FEED_UPDATED, which, "feed.xml")
    for d in items:
        fe = _entry(fg, d, settings)
        # RSS readers treat <description> as HTML, so the plain summary is escaped once more.
        fe.description(_e(item_summary(d)))
        fe.content(item_html(d, settings), type="CDATA")  # content:encoded
    # feedgen cannot unset lastBuildDate (it defaults to now()), so with nothing published the element is
    # dropped from the tree before serialising; _create_rss is what rss_str itself calls.
    root, tree = fg._create_rss()
    if updated is None:
        channel = root.find("channel")
        for stamp in channel.findall("lastBuildDate"):
            channel.remove(stamp)
    data: bytes = etree.tostring(tree, pretty_print=True, encoding="UTF-8", xml_declaration=True)
    return data


def _atom(items: Sequence[Disclosure], updated: datetime | None, settings: Settings, channel: Channel) -> bytes:
    fg = _generator(settings, updated or EMPTY_FEED_UPDATED, channel, "atom.xml")
    fg.id(settings.url(channel.home))
    fg.author(name=settings.site_name, uri=settings.site_url)
    for d in items:
        fe = _entry(fg, d, settings)
        fe.summary(item_summary(d))  # type text: no escaping beyond XML's own
        fe.content(item_html(d, settings), type="html")
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def _generator(settings: Settings, updated: datetime, channel: Channel, name: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.title(channel.title or settings.site_name)
    fg.description(settings.description)
    fg.language(settings.language)
    fg.generator(GENERATOR)  # no version, no uri: nothing that changes with the toolchain
    fg.updated(updated)  # RSS lastBuildDate and Atom updated both default to now()
    # feedgen takes the RSS <link> from the last link added: self first, alternate last.
    fg.link(href=settings.url(channel.folder + name), rel="self")
    fg.link(href=settings.url(channel.home), rel="alternate")
    return fg


def _entry(fg: FeedGenerator, d: Disclosure, settings: Settings) -> FeedEntry:
    url = page_url(d, settings)
    fe: FeedEntry = fg.add_entry(order="append")  # items arrive sorted; the default prepends
    fe.guid(url, permalink=True)  # also the Atom id
    fe.title(item_title(d))
    fe.link(href=url, rel="alternate")
    fe.published(_utc(d.published))  # RSS pubDate, Atom published
    fe.updated(_utc(d.modified))  # defaults to now() otherwise
    for tag in item_tags(d):
        fe.category(term=tag)
    return fe


def _json_feed(items: Sequence[Disclosure], settings: Settings, channel: Channel) -> bytes:
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": channel.title or settings.site_name,
        "description": settings.description,
        "home_page_url": settings.url(channel.home),
        "feed_url": settings.url(channel.folder + "feed.json"),
        "language": settings.language,
        "authors": [{"name": settings.site_name, "url": settings.site_url}],
        "items": [_json_item(d, settings) for d in items],
    }
    return (json.dumps(feed, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _json_item(d: Disclosure, settings: Settings) -> dict[str, Any]:
    url = page_url(d, settings)
    item: dict[str, Any] = {
        "id": url,
        "url": url,
        "title": item_title(d),
        "summary": item_summary(d),
        "content_html": item_html(d, settings),
        "date_published": iso_z(d.published),
        "date_modified": iso_z(d.modified),
        "_osqi": {
            # Every site has the listing (an `init` site has no about page); it links each record's data.
            "about": settings.url("disclosures/"),
            "id": d.id,
            "osv": _osv_url(d, settings),
            "withdrawn": d.withdrawn is not None,
        },
    }
    tags = item_tags(d)
    if tags:
        item["tags"] = tags
    return item


def _osv_url(d: Disclosure, settings: Settings) -> str:
    return settings.url(f"osv/{d.id}.json")


def _utc(moment: datetime) -> datetime:
    """Aware UTC to the second, so the XML feeds carry the same instants as ``iso_z`` in the JSON feed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("feed dates must be aware datetimes")
    return moment.astimezone(UTC).replace(microsecond=0)


def _e(text: str) -> str:
    return escape(text, quote=True)
