"""Tests of the RSS, Atom and JSON feeds: spec-required elements, dates, ordering, escaping, determinism."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import pytest
from lxml import etree

from osqi_site.core.model import Affected, Disclosure, Range, Revision, Severity, Withdrawal
from osqi_site.core.settings import Settings
from osqi_site.formats.feeds import feed_files

SITE = "https://osqi.example.org/"
SETTINGS = Settings(site_url=SITE)
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

BODY = """## Summary

A heap overflow in `libfoo` lets a crafted *archive* run code.

## Discovery

We fuzzed the parser for a week.
"""

_DEFAULT = Disclosure(
    id="OSQI-2024-0001",
    title="Heap overflow in libfoo archive parser",
    embargo_until=T0,
    body=BODY,
    source="disclosures/2024/OSQI-2024-0001.md",
    aliases=("CVE-2024-12345",),
    affected=(Affected(ecosystem="PyPI", package="libfoo", purl="pkg:pypi/libfoo",
                       ranges=(Range(introduced="0", fixed="1.2.3"),)),),
    severity=(Severity(type="CVSS_V3", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                       score=9.8, rating="Critical"),),
    cwe=("CWE-787",),
)


def make(**overrides: Any) -> Disclosure:
    """A valid public disclosure; ``n`` sets a numbered ID and an embargo ``n`` days after T0."""
    n = overrides.pop("n", None)
    if n is not None:
        overrides.setdefault("id", f"OSQI-2024-{n:04d}")
        overrides.setdefault("embargo_until", T0 + timedelta(days=n))
    return replace(_DEFAULT, **overrides)


def build(public: list[Disclosure], settings: Settings = SETTINGS) -> dict[str, bytes]:
    files = feed_files(public, settings)
    assert set(files) == {"feed.xml", "atom.xml", "feed.json"}
    assert all(isinstance(v, bytes) for v in files.values())
    return files


def page(d_id: str) -> str:
    return f"{SITE}disclosures/{d_id}/"


def rss(files: dict[str, bytes]) -> Any:
    return etree.fromstring(files["feed.xml"])


def atom(files: dict[str, bytes]) -> Any:
    return etree.fromstring(files["atom.xml"])


def jfeed(files: dict[str, bytes]) -> Any:
    return json.loads(files["feed.json"].decode("utf-8"))


def text(el: Any, path: str) -> str:
    found = el.find(path, NS)
    assert found is not None, f"missing {path}"
    assert found.text and found.text.strip(), f"empty {path}"
    return str(found.text)


def rfc3339(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None, value
    return parsed


@pytest.fixture
def sample() -> list[Disclosure]:
    return [
        make(n=1),
        make(n=2, title="Path traversal in barlib", aliases=(), cwe=()),
        make(n=3, revisions=(Revision(T0 + timedelta(days=30), "Fixed version corrected"),)),
        make(n=4, withdrawn=Withdrawal(T0 + timedelta(days=20), "Duplicate of OSQI-2024-0001")),
    ]


# --- RSS 2.0 -------------------------------------------------------------------------------------


def test_rss_parses_and_has_required_elements(sample: list[Disclosure]) -> None:
    files = build(sample)
    parsed = feedparser.parse(files["feed.xml"])
    assert parsed.version == "rss20"
    assert not parsed.bozo, parsed.get("bozo_exception")

    root = rss(files)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert text(channel, "title") == SETTINGS.site_name
    assert text(channel, "link") == SITE  # alternate added last, so feedgen keeps it
    assert text(channel, "description") == SETTINGS.description
    assert text(channel, "language") == "en"
    assert text(channel, "generator") == "osqi_site"
    self_links = channel.findall("atom:link[@rel='self']", NS)
    assert [ln.get("href") for ln in self_links] == [f"{SITE}feed.xml"]

    items = channel.findall("item")
    assert len(items) == len(sample)
    guids = [text(i, "guid") for i in items]
    assert len(set(guids)) == len(guids)
    by_guid = {page(d.id): d for d in sample}
    for item in items:
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "true"
        d = by_guid[guid.text]
        assert text(item, "link") == guid.text
        assert text(item, "title").endswith(f"{d.id}: {d.title}")
        pub = parsedate_to_datetime(text(item, "pubDate"))
        assert pub == d.published
        assert "heap overflow" in text(item, "description").lower()
        encoded = text(item, "content:encoded")
        assert "<h2>Discovery</h2>" in encoded and "We fuzzed the parser" in encoded
    assert parsedate_to_datetime(text(channel, "lastBuildDate")) == max(d.modified for d in sample)


def test_rss_content_is_cdata_with_escaped_header() -> None:
    files = build([make(affected=(Affected("npm", "a&b<c>", ranges=(Range("0", "2.0.0"),)),))])
    assert b"<content:encoded><![CDATA[" in files["feed.xml"]
    encoded = text(rss(files), "channel/item/content:encoded")
    assert "<code>a&amp;b&lt;c&gt;</code>" in encoded
    assert "&lt; 2.0.0" in encoded
    assert "CVSS:3.1/AV:N" in encoded and "Critical" in encoded and "CVE-2024-12345" in encoded


# --- Atom 1.0 ------------------------------------------------------------------------------------


def test_atom_parses_and_has_required_elements(sample: list[Disclosure]) -> None:
    files = build(sample)
    parsed = feedparser.parse(files["atom.xml"])
    assert parsed.version == "atom10"
    assert not parsed.bozo, parsed.get("bozo_exception")

    root = atom(files)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"atom:{name}", NS)) == 1
    assert text(root, "atom:id") == SITE
    assert text(root, "atom:title") == SETTINGS.site_name
    assert text(root, "atom:author/atom:name") == SETTINGS.site_name
    assert rfc3339(text(root, "atom:updated")) == max(d.modified for d in sample)
    links = {ln.get("rel"): ln.get("href") for ln in root.findall("atom:link", NS)}
    assert links == {"self": f"{SITE}atom.xml", "alternate": SITE}
    generator = root.find("atom:generator", NS)
    assert generator.text == "osqi_site" and generator.get("version") is None and generator.get("uri") is None

    entries = root.findall("atom:entry", NS)
    assert len(entries) == len(sample)
    by_id = {page(d.id): d for d in sample}
    for entry in entries:
        d = by_id[text(entry, "atom:id")]
        assert text(entry, "atom:title").endswith(f"{d.id}: {d.title}")
        assert rfc3339(text(entry, "atom:updated")) == d.modified
        assert rfc3339(text(entry, "atom:published")) == d.published
        content = entry.find("atom:content", NS)
        assert content.get("type") == "html"
        assert "<h2>Summary</h2>" in content.text
        assert entry.find("atom:summary", NS).get("type") is None  # plain text
        # feedgen drops rel on entry links; RFC 4287 4.2.7.2 reads a missing rel as "alternate"
        alternates = [ln.get("href") for ln in entry.findall("atom:link", NS)
                      if ln.get("rel", "alternate") == "alternate"]
        assert alternates == [page(d.id)]


# --- JSON Feed 1.1 -------------------------------------------------------------------------------


def test_json_feed_spec_fields(sample: list[Disclosure]) -> None:
    files = build(sample)
    assert files["feed.json"].endswith(b"}\n")
    feed = jfeed(files)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == SETTINGS.site_name
    assert feed["home_page_url"] == SITE
    assert feed["feed_url"] == f"{SITE}feed.json"
    assert feed["description"] == SETTINGS.description
    assert "author" not in feed  # deprecated in 1.1
    assert all(a.get("name") or a.get("url") for a in feed["authors"])
    assert isinstance(feed["items"], list) and len(feed["items"]) == len(sample)
    assert not any(k for k in feed if "date" in k or "updated" in k)

    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    by_id = {page(d.id): d for d in sample}
    for item in feed["items"]:
        d = by_id[item["id"]]
        assert isinstance(item["id"], str) and item["url"] == item["id"]
        assert item["content_html"].strip()
        assert "content_text" not in item
        assert item["title"].endswith(f"{d.id}: {d.title}")
        assert "heap overflow" in item["summary"].lower() and "<" not in item["summary"]
        for key in ("date_published", "date_modified"):
            assert RFC3339_Z.match(item[key]), item[key]
        assert rfc3339(item["date_published"]) == d.published
        assert rfc3339(item["date_modified"]) == d.modified
        assert item.get("tags", []) == [*d.aliases, *d.cwe]
        ext = item["_osqi"]
        assert ext == {"about": f"{SITE}disclosures/", "id": d.id, "osv": f"{SITE}osv/{d.id}.json",
                       "withdrawn": d.withdrawn is not None}


def test_json_feed_extension_names_follow_the_spec(sample: list[Disclosure]) -> None:
    feed = jfeed(build(sample))

    def check(obj: dict[str, Any]) -> None:
        for key, value in obj.items():
            if key.startswith("_"):
                assert re.match(r"^_[A-Za-z][^.]*$", key), key
                assert isinstance(value, dict) and "about" in value
                assert all("." not in k for k in value), value
    check(feed)
    for item in feed["items"]:
        check(item)
    assert all("_osqi" in item for item in feed["items"])


# --- behaviour -----------------------------------------------------------------------------------


def test_feed_updated_is_newest_modified_never_build_time(sample: list[Disclosure]) -> None:
    newest = T0 + timedelta(days=30)  # the revision of OSQI-2024-0003
    assert max(d.modified for d in sample) == newest
    files = build(sample)
    assert parsedate_to_datetime(text(rss(files), "channel/lastBuildDate")) == newest
    assert rfc3339(text(atom(files), "atom:updated")) == newest
    assert feedparser.parse(files["atom.xml"]).feed.updated_parsed[:6] == newest.timetuple()[:6]
    # every date in the output is an input date: no build-time stamp anywhere
    known = {d.published for d in sample} | {d.modified for d in sample}
    rss_dates = [parsedate_to_datetime(e.text) for e in rss(files).iter("lastBuildDate", "pubDate")]
    atom_dates = [rfc3339(e.text) for e in atom(files).iter("{*}updated", "{*}published")]
    json_dates = [rfc3339(i[k]) for i in jfeed(files)["items"] for k in ("date_published", "date_modified")]
    assert rss_dates and atom_dates and json_dates
    assert set(rss_dates) | set(atom_dates) | set(json_dates) <= known
    for data in files.values():
        assert b"python-feedgen" not in data and b"1.0.0" not in data


def test_revised_item_is_dated_by_revision_and_ordered_first() -> None:
    revised_at = T0 + timedelta(days=50)
    old = make(n=1, revisions=(Revision(revised_at, "Added a second affected package"),))
    new = make(n=10)
    files = build([new, old])

    first = jfeed(files)["items"][0]
    assert first["id"] == page(old.id)
    assert first["date_modified"] == "2024-04-20T12:00:00Z"
    assert first["date_published"] == "2024-03-02T12:00:00Z"
    assert "Added a second affected package" in first["content_html"]
    assert not first["title"].startswith("[")  # titles stay stable across revisions

    entry = atom(files).find("atom:entry", NS)
    assert text(entry, "atom:id") == page(old.id)
    assert rfc3339(text(entry, "atom:updated")) == revised_at
    assert rfc3339(text(entry, "atom:published")) == old.published
    item = rss(files).find("channel/item")
    assert text(item, "guid") == page(old.id)
    assert parsedate_to_datetime(text(item, "pubDate")) == old.published


def test_withdrawn_item_is_flagged(sample: list[Disclosure]) -> None:
    files = build(sample)
    items = {item["_osqi"]["id"]: item for item in jfeed(files)["items"]}
    gone = items["OSQI-2024-0004"]
    assert gone["_osqi"]["withdrawn"] is True
    assert gone["title"] == "[Withdrawn] OSQI-2024-0004: Heap overflow in libfoo archive parser"
    assert "Duplicate of OSQI-2024-0001" in gone["content_html"]
    assert gone["date_modified"] == "2024-03-21T12:00:00Z"
    assert [i["_osqi"]["withdrawn"] for k, i in sorted(items.items())] == [False, False, False, True]
    rss_titles = [t.text for t in rss(files).findall("channel/item/title")]
    atom_titles = [t.text for t in atom(files).findall("atom:entry/atom:title", NS)]
    assert rss_titles == atom_titles == [i["title"] for i in jfeed(files)["items"]]
    assert sum(t.startswith("[Withdrawn] ") for t in rss_titles) == 1


def test_order_is_modified_descending_then_id(sample: list[Disclosure]) -> None:
    tie = make(id="OSQI-2024-0009", embargo_until=T0 + timedelta(days=2))  # same instant as OSQI-2024-0002
    ids = [i["_osqi"]["id"] for i in jfeed(build([*sample, tie]))["items"]]
    assert ids == ["OSQI-2024-0003", "OSQI-2024-0004", "OSQI-2024-0009", "OSQI-2024-0002", "OSQI-2024-0001"]


def test_feed_limit_keeps_the_newest(sample: list[Disclosure]) -> None:
    public = [*sample, *(make(n=n) for n in (26, 27, 28, 29, 31, 32))]
    files = build(public, replace(SETTINGS, feed_limit=3))
    expected = ["OSQI-2024-0032", "OSQI-2024-0031", "OSQI-2024-0003"]  # 0003 was revised on day 30
    assert [i["_osqi"]["id"] for i in jfeed(files)["items"]] == expected
    assert [g.text for g in rss(files).findall("channel/item/guid")] == [page(x) for x in expected]
    assert [e.text for e in atom(files).findall("atom:entry/atom:id", NS)] == [page(x) for x in expected]
    # the feed date still covers everything public
    assert rfc3339(text(atom(files), "atom:updated")) == max(d.modified for d in public)


def test_html_in_fields_is_escaped() -> None:
    evil = make(
        title="<script>alert(1)</script> & friends",
        aliases=("CVE-2024-1<b>",),
        affected=(Affected("PyPI", "<img src=x onerror=alert(2)>", ranges=(Range("0", "1"),)),),
        withdrawn=Withdrawal(T0 + timedelta(days=1), "<script>alert(3)</script>"),
    )
    files = build([evil])
    for name in ("feed.xml", "atom.xml"):
        data = files[name]
        assert b"<script" not in data and b"<img" not in data and b"<b>" not in data
        parsed = feedparser.parse(data)
        assert not parsed.bozo
    assert text(rss(files), "channel/item/title") == f"[Withdrawn] {evil.id}: {evil.title}"
    assert text(atom(files), "atom:entry/atom:title") == f"[Withdrawn] {evil.id}: {evil.title}"

    item = jfeed(files)["items"][0]
    assert item["title"] == f"[Withdrawn] {evil.id}: {evil.title}"  # plain text field
    html = item["content_html"]
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    for content in (text(rss(files), "channel/item/content:encoded"),
                    text(atom(files), "atom:entry/atom:content")):
        assert content == html


def test_same_input_gives_same_bytes(sample: list[Disclosure]) -> None:
    first = build(sample)
    shuffled = sample[:]
    random.Random(4).shuffle(shuffled)
    assert build(shuffled) == first
    assert build(list(reversed(sample))) == first


def test_ids_are_stable_across_revision_and_withdrawal() -> None:
    d = make(n=1)
    later = replace(d, revisions=(Revision(T0 + timedelta(days=9), "More detail"),),
                    withdrawn=Withdrawal(T0 + timedelta(days=10), "Not a vulnerability"))
    for version in (d, later):
        files = build([version])
        assert jfeed(files)["items"][0]["id"] == page(d.id)
        assert text(rss(files), "channel/item/guid") == page(d.id)
        assert text(atom(files), "atom:entry/atom:id") == page(d.id)


def test_empty_feeds_are_valid_and_deterministic() -> None:
    files = build([])
    assert build([]) == files
    assert rss(files).find("channel/lastBuildDate") is None
    assert rss(files).find("channel/item") is None
    assert feedparser.parse(files["feed.xml"]).version == "rss20"
    assert text(atom(files), "atom:updated") == "1970-01-01T00:00:00+00:00"
    assert not feedparser.parse(files["atom.xml"]).bozo
    assert jfeed(files)["items"] == []


def test_site_url_drives_every_link() -> None:
    other = Settings(site_url="https://mirror.example.net/sub/", site_name="Mirror", language="de")
    files = build([make()], other)
    feed = jfeed(files)
    assert feed["feed_url"] == "https://mirror.example.net/sub/feed.json"
    assert feed["items"][0]["id"] == "https://mirror.example.net/sub/disclosures/OSQI-2024-0001/"
    assert feed["language"] == "de"
    assert rss(files).find("channel/atom:link", NS).get("href") == "https://mirror.example.net/sub/feed.xml"
    assert atom(files).get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert b"osqi.example.org" not in b"".join(files.values())


# -- hostile narratives and fields: no active content in any feed ---------------------------------------

HOSTILE_BODY = """## Summary

<script>alert('s1')</script> Text <img src=x onerror=alert('s2')> and [a link](javascript:alert('s3')).
<svg onload=alert('s4')></svg><iframe src="https://evil.example/"></iframe>
<!-- <script>alert('s5')</script> -->

## Discovery

[defined][d] and {{ config }}

[d]: jav&#x09;ascript:alert('s6')
"""


def test_no_feed_carries_active_content_from_a_narrative_or_a_field() -> None:
    from xss import active_content

    d = replace(_DEFAULT, body=HOSTILE_BODY, title="<img src=x onerror=alert('t')>",
                affected=(Affected("PyPI", "<script>alert('p')</script>", None, None, (Range("0", "1.0"),)),))
    files = feed_files([d], SETTINGS)
    rss = etree.fromstring(files["feed.xml"])
    atom = etree.fromstring(files["atom.xml"])
    contents = {
        "rss content:encoded": rss.findtext("channel/item/content:encoded", namespaces=NS),
        "rss description": rss.findtext("channel/item/description"),
        "atom content": atom.findtext("atom:entry/atom:content", namespaces=NS),
        "json content_html": json.loads(files["feed.json"])["items"][0]["content_html"],
    }
    for where, html in contents.items():
        assert html, where
        assert active_content(html) == [], where
    assert "{{ config }}" in contents["json content_html"]
