"""Generated pages: the disclosure card, timeline, listing filters, home-page blocks and the listing index."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import lxml.html
import markdown
import pytest
from factory import DEFAULT, NOW, make_disclosure
from sitefixture import init_project

from osqi_site import cli
from osqi_site.core.gate import publish
from osqi_site.core.model import Affected, Range, Revision, Severity, TimelineEvent, Withdrawal
from osqi_site.formats import index_json
from osqi_site.pages import generated

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "def_list", "footnotes", "toc"]


def _html(md: str) -> str:
    """The page body as the site renders it (front matter removed)."""
    body = md.split("---\n", 2)[2]
    return markdown.markdown(body, extensions=EXTENSIONS)


def _story() -> tuple[TimelineEvent, ...]:
    return (
        TimelineEvent(date(2026, 3, 20), "fix_released", "After publication."),
        TimelineEvent(date(2026, 1, 5), "discovered", "Fuzzer found it."),
        TimelineEvent(date(2026, 1, 9), "reported"),
        TimelineEvent(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), "disclosed", "Same instant as the lift."),
        TimelineEvent(date(2026, 3, 2), "fixed", "Patch merged."),
        TimelineEvent(date(2026, 2, 1), "other", "Vendor asked for time."),
    )


# -- timeline -------------------------------------------------------------------------------------------


def test_timeline_rows_are_chronological_with_the_publication_placed_in_them() -> None:
    rows = generated.timeline_rows(make_disclosure(embargo_until=PUBLISHED, timeline=_story()))
    assert [r.event for r in rows] == ["discovered", "reported", "other", "fixed", "disclosed", "published",
                                       "fix_released"]
    assert [r.gap_days for r in rows] == [None, 4, 23, 29, 8, 0, 10]
    assert [r.after_publication for r in rows] == [False] * 6 + [True]
    assert rows[2].label == ""  # "other" events carry only their note
    assert rows[5].label == "Published here"


def test_milestones_prefer_the_released_fix_and_give_the_days_between() -> None:
    ms = generated.milestones(make_disclosure(embargo_until=PUBLISHED, timeline=_story()))
    assert [(m.label, m.days_before) for m in ms] == [
        ("Discovered", None), ("Reported", 4), ("Published here", 60), ("Fix released", 10)]


def test_milestones_from_the_rows_a_page_has_already_are_the_same() -> None:
    d = make_disclosure(embargo_until=PUBLISHED, timeline=_story())
    assert generated.milestones(d, generated.timeline_rows(d)) == generated.milestones(d)


def test_milestones_fall_back_to_a_committed_fix() -> None:
    events = (TimelineEvent(date(2026, 3, 1), "fixed"), TimelineEvent(date(2026, 2, 1), "reported"))
    ms = generated.milestones(make_disclosure(embargo_until=PUBLISHED, timeline=events))
    assert [m.label for m in ms] == ["Reported", "Fix committed", "Published here"]


# -- disclosure page -----------------------------------------------------------------------------------


def test_disclosure_page_starts_with_the_card_and_keeps_the_section_order() -> None:
    d = make_disclosure(embargo_until=PUBLISHED, timeline=_story(),
                        revisions=(Revision(datetime(2026, 4, 1, tzinfo=UTC), "Corrected the range."),))
    md = generated.disclosure_page(d, generated.DATA_LINKS).source
    order = ['<section class="osqi-card', "## Timeline", "## Summary", "## Discovery", "## References",
             "## Revision history", "## Machine-readable"]
    positions = [md.index(s) for s in order]
    assert positions == sorted(positions)
    assert md.index("# OSQI-2026-0001: Heap overflow") < positions[0]
    assert '"osqi_id": "OSQI-2026-0001"' in md and "osqi_withdrawn" not in md


def test_card_shows_severity_versions_fix_and_copyable_ids() -> None:
    html = _html(generated.disclosure_page(DEFAULT).source)
    assert '<span class="osqi-sev osqi-sev--critical" title="CVSS v3 base score">Critical 9.8</span>' in html
    assert '<code class="osqi-id" data-osqi-copy>OSQI-2026-0001</code>' in html
    assert '<code class="osqi-id" data-osqi-copy>CVE-2026-12345</code>' in html
    assert '<span class="osqi-range">all versions, &lt; 1.2.3</span>' in html
    assert '<span class="osqi-fixed">1.2.3</span>' in html
    assert 'class="osqi-card osqi-card--critical"' in html
    assert "<p><section" not in html and "&lt;section" not in html  # the raw HTML block survived intact
    assert '<h2 id="timeline">' in html and '<h2 id="summary">' in html  # headings reach the table of contents


def test_card_without_fix_or_score_says_so() -> None:
    d = make_disclosure(severity=(), affected=(
        Affected("npm", "leftpad", ranges=(Range("1.0.0"), Range("2.0.0", last_affected="2.1.0"))),))
    md = generated.disclosure_page(d).source
    assert '<span class="osqi-sev osqi-sev--unscored">Not scored</span>' in md
    assert '<span class="osqi-nofix">no fixed release</span>' in md
    assert "&gt;= 1.0.0 (no fix yet)" in md and "&gt;= 2.0.0, &lt;= 2.1.0" in md


def test_several_severities_are_all_listed() -> None:
    v4 = Severity("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "Critical")
    md = generated.disclosure_page(make_disclosure(severity=(*DEFAULT.severity, v4))).source
    assert "<dt>CVSS v3</dt>" in md and "<dt>CVSS v4</dt>" in md
    assert md.count('class="osqi-sev ') == 1  # one headline badge


def test_withdrawn_page_is_unmistakable() -> None:
    d = make_disclosure(embargo_until=PUBLISHED, withdrawn=Withdrawal(datetime(2026, 4, 2, 9, tzinfo=UTC),
                                                                       "Duplicate of another record."))
    md = generated.disclosure_page(d).source
    assert '"osqi_withdrawn": true' in md
    assert md.index('<div class="osqi-withdrawn" role="note"') < md.index('<section class="osqi-card')
    assert "Withdrawn on <time" in md and "Do not act on this record." in md
    assert 'osqi-card--withdrawn' in md
    assert '<span class="osqi-badge osqi-badge--withdrawn">Withdrawn</span>' in md
    assert '<li class="osqi-revisions__withdrawn">' in md


def test_every_frontmatter_value_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    d = make_disclosure(title=f"T {evil}", aliases=("CVE-2026-1",),
                        affected=(Affected("PyPI", f"p{evil}", ranges=(Range("0", fixed=f"1{evil}"),)),),
                        timeline=(TimelineEvent(date(2026, 1, 1), "discovered", f"n{evil}"),),
                        revisions=(Revision(datetime(2026, 12, 1, tzinfo=UTC), f"r{evil}"),))
    md = generated.disclosure_page(d).source
    body = md.split("---\n", 2)[2]
    narrative = DEFAULT.body.strip()
    assert "<script>" not in body.replace(narrative, "")
    assert body.count("&lt;script&gt;") >= 5


# -- listing -------------------------------------------------------------------------------------------


def _pub() -> list[generated.Page]:
    a = make_disclosure(id="OSQI-2025-0001", embargo_until=datetime(2025, 5, 1, tzinfo=UTC))
    b = make_disclosure(id="OSQI-2026-0001", embargo_until=PUBLISHED)
    secret = make_disclosure(id="OSQI-2026-0002", title="Embargoed thing", embargo_until=datetime(2027, 1, 1,
                                                                                                    tzinfo=UTC))
    return generated.listing_pages(publish([a, b, secret], NOW))


def test_listing_has_filters_driven_by_the_index_and_year_pages_do_not() -> None:
    pages = {p.src_path: p.source for p in _pub()}
    assert sorted(pages) == ["disclosures/2025/index.md", "disclosures/2026/index.md", "disclosures/index.md"]
    main = pages["disclosures/index.md"]
    assert 'data-index="../disclosures/index.json"' in main and " hidden>" in main  # hidden until JS runs
    assert '"osqi_listing": true' in main and '"hide": ["toc"]' in main
    for name in ("q", "ecosystem", "package", "severity", "year", "status"):
        assert f'name="{name}"' in main
    assert main.index("OSQI-2026-0001") < main.index("OSQI-2025-0001")  # static rows, newest first
    assert 'href="../disclosures/2025/"' in main                          # the no-JS way to everything
    for year_page in ("disclosures/2025/index.md", "disclosures/2026/index.md"):
        assert "osqi-filters" not in pages[year_page] and "osqi_listing" not in pages[year_page]
    assert all("Embargoed thing" not in md and "OSQI-2026-0002" not in md for md in pages.values())


_BLOCK_STARTS = ('<div class="osqi-withdrawn"', '<section class="osqi-card', '<ol class="osqi-timeline"',
                 '<ul class="osqi-references"', '<ol class="osqi-revisions"', "<!--osqi-seal-->",
                 '<ul class="osqi-machine"', '<form class="osqi-filters"', '<nav class="osqi-years"',
                 '<div class="osqi-scroll osqi-scroll--listing"')


@pytest.mark.parametrize("which", ["disclosure", "withdrawn", "listing"])
def test_every_stashed_section_is_a_block_and_only_its_placeholder_is_in_the_markdown(which: str) -> None:
    withdrawn = Withdrawal(datetime(2026, 11, 20, tzinfo=UTC), "Duplicate.")
    if which == "listing":
        page = next(p for p in _pub() if p.src_path == "disclosures/index.md")
        expected = 3
    else:
        d = make_disclosure(seal="ab" * 32, revisions=(Revision(datetime(2026, 11, 5, tzinfo=UTC), "Fixed."),),
                            withdrawn=withdrawn if which == "withdrawn" else None)
        page = generated.disclosure_page(d, generated.DATA_LINKS)
        expected = 7 if which == "withdrawn" else 6
    assert len(page.blocks) == expected
    placeholders = [p for p, _ in page.blocks]
    # Each placeholder once, on a line of its own, in the order of the blocks; no section's HTML left behind.
    assert [page.markdown.count(f"\n{p}\n") for p in placeholders] == [1] * expected
    assert sorted(placeholders, key=page.markdown.index) == placeholders
    assert not any(start in page.markdown for start in _BLOCK_STARTS)
    for _, html in page.blocks:
        assert html == html.strip() and html.startswith(_BLOCK_STARTS)
    assert all(any(html.startswith(start) for _, html in page.blocks) for start in _BLOCK_STARTS
               if (start in page.source))


def test_index_json_is_compact_public_and_newest_first() -> None:
    withdrawn = make_disclosure(id="OSQI-2026-0003", embargo_until=PUBLISHED, severity=(),
                                withdrawn=Withdrawal(datetime(2026, 4, 1, tzinfo=UTC), "Dup."))
    pub = publish([DEFAULT, withdrawn, make_disclosure(id="OSQI-2026-0009", embargo_until=datetime(
        2027, 1, 1, tzinfo=UTC), title="Secret")], NOW)
    data = index_json.listing_index(pub.public)
    parsed = json.loads(data)
    assert data == json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"  # compact
    assert parsed["version"] == 1
    assert [i["id"] for i in parsed["items"]] == ["OSQI-2026-0001", "OSQI-2026-0003"]
    first, second = parsed["items"]
    assert first == {"id": "OSQI-2026-0001", "t": "Heap overflow in libfoo archive parser", "a": ["CVE-2026-12345"],
                     "p": [["PyPI", "libfoo"]], "s": "Critical", "c": 9.8, "d": "2026-11-01", "w": False}
    assert second["w"] is True and "s" not in second and "c" not in second
    assert b"Secret" not in data and b"OSQI-2026-0009" not in data
    assert index_json.index_files(pub.public) == {"disclosures/index.json": data}


# -- home-page blocks -----------------------------------------------------------------------------------


def _href(src: str) -> str:
    return "LINK(" + src + ")"


def test_markers_are_replaced_by_blocks_built_from_public_disclosures() -> None:
    pub = publish([DEFAULT, make_disclosure(id="OSQI-2026-0002", title="Not yet",
                                            embargo_until=datetime(2027, 1, 1, tzinfo=UTC))], NOW)
    page = "# Home\n\nIntro.\n\n<!-- osqi:latest -->\n\n## Figures\n\n  <!-- osqi:stats -->  \n\nEnd.\n"
    out = generated.expand_markers(page, pub.public, _href)
    assert "<!-- osqi:" not in out
    assert '<a class="osqi-latest__link" href="LINK(disclosures/OSQI-2026-0001.md)">' in out
    assert 'href="LINK(disclosures/index.md)">Browse and filter all 1 disclosures</a>' in out
    assert '<dl class="osqi-figures">' in out and "<svg " in out
    assert "Not yet" not in out and "OSQI-2026-0002" not in out
    assert out.startswith("# Home\n\nIntro.\n") and out.endswith("End.\n")
    html = markdown.markdown(out, extensions=EXTENSIONS)
    assert "<p><ul" not in html and "<p><div" not in html and "&lt;div" not in html


def test_pages_without_markers_are_returned_unchanged() -> None:
    text = "# About\n\nWe mention osqi:latest in prose, and <!-- other comments -->.\n"
    assert generated.expand_markers(text, (DEFAULT,), _href) is text


def test_blocks_with_nothing_published() -> None:
    out = generated.expand_markers("<!-- osqi:latest -->\n<!-- osqi:stats -->\n", (), _href)
    assert "No disclosures have been published yet." in out
    assert "Figures appear here once the first disclosure is published." in out


@pytest.mark.parametrize("n", [1, 7])
def test_latest_block_is_limited_and_newest_first(n: int) -> None:
    items = [make_disclosure(id=f"OSQI-2026-{i:04d}", embargo_until=datetime(2026, 1, i, tzinfo=UTC))
             for i in range(1, n + 1)]
    out = generated.latest_block(items, _href)
    ids = [f"OSQI-2026-{i:04d}" for i in range(n, 0, -1)][: generated.HOME_LATEST]
    assert [out.index(f">{i}<") for i in ids] == sorted(out.index(f">{i}<") for i in ids)
    assert out.count('<li class="osqi-latest__item') == min(n, generated.HOME_LATEST)


def test_affected_text_keeps_its_one_line_form_for_feeds() -> None:
    a = Affected("GIT", "xz", ranges=(Range("5.6.0", fixed="5.6.2"),), versions=("5.6.0", "5.6.1"))
    from osqi_site.core.versions import affected_text

    assert affected_text(a) == ">= 5.6.0, < 5.6.2; versions 5.6.0, 5.6.1"


# -- the built site ------------------------------------------------------------------------------------------

_RESOURCE = re.compile(r"""<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=["']([^"']+)["']"""
                       r"""|<link\b(?=[^>]*\brel=["'](?:stylesheet|preload|modulepreload|icon|preconnect|"""
                       r"""dns-prefetch|manifest)["'])[^>]*\bhref=["']([^"']+)["']""", re.IGNORECASE)


def _build(config: Path, site: Path) -> dict[str, str]:
    assert cli.main(["build", "-f", str(config), "-d", str(site), "--as-of", "2026-06-01T00:00:00Z"]) == 0
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(site.rglob("*")) if p.suffix in (".html", ".css", ".js")}


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _build(ROOT / "mkdocs.yml", tmp_path_factory.mktemp("render") / "site")


def test_built_pages_load_nothing_from_another_host(sample_site: dict[str, str]) -> None:
    pages = {k: v for k, v in sample_site.items() if k.endswith(".html")}
    assert len(pages) >= 10
    for path, html in pages.items():
        for m in _RESOURCE.finditer(html):
            url = m.group(1) or m.group(2)
            assert "//" not in url and not url.startswith(("http:", "https:", "data:")), (path, url)
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, path
    for path, text in sample_site.items():
        if path.startswith("assets/osqi/"):
            assert "http://" not in text.replace('"http://www.w3.org/2000/svg"', "") and "https://" not in text, path


def test_scripts_load_only_where_they_act(sample_site: dict[str, str]) -> None:
    listing, disclosure, home = (sample_site["disclosures/index.html"],
                                 sample_site["disclosures/OSQI-2024-0001/index.html"], sample_site["index.html"])
    assert 'src="../assets/osqi/listing.js"' in listing and "disclosure.js" not in listing
    assert 'src="../../assets/osqi/disclosure.js"' in disclosure and "listing.js" not in disclosure
    # site.js (search index on demand, the scheme toggle's keyboard stop) is on every page; nothing else of ours.
    assert "assets/osqi/" not in home.replace("assets/osqi/osqi.css", "").replace("assets/osqi/site.js", "")
    assert 'src="assets/osqi/site.js"' in home
    assert "listing.js" not in sample_site["disclosures/2024/index.html"]
    assert '<div class="osqi-stats">' in home and '<ul class="osqi-latest">' in home and "<!-- osqi:" not in home


def test_a_configured_font_is_never_fetched_from_google(tmp_path: Path) -> None:
    config = init_project(tmp_path, datetime(2026, 11, 22, tzinfo=UTC)) / "mkdocs.yml"
    config.write_text(config.read_text().replace("font: false", "font:\n    text: Inter\n    code: JetBrains Mono"))
    html = _build(config, tmp_path / "site")["index.html"]
    assert '--md-text-font:"Inter"' in html  # used when the reader has it installed
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


# -- hostile narratives: the finished page holds no active content ---------------------------------------

HOSTILE_NARRATIVE = """
## Summary

<script>alert('r1')</script> <img src=x onerror=alert('r2')> [link](javascript:alert('r3'))
<svg onload=alert('r4')></svg> <iframe src="https://evil.example/"></iframe>
<!--osqi-block:0123456789abcdef:0-->

<div><table><tr><td>left open

## Discovery

{{ config.site_url }} [def][d] <a href="#" onclick="alert('r5')">x</a>

[d]: data:text/html,hi
"""


def test_a_hostile_narrative_renders_to_a_page_without_active_content() -> None:
    from xss import active_content

    from osqi_site.pages import convert

    d = make_disclosure(body=HOSTILE_NARRATIVE, title="<img src=x onerror=alert('title')>")
    page = generated.disclosure_page(d, generated.DATA_LINKS)
    recipe = convert.Recipe(tuple(EXTENSIONS), {"toc": {"permalink": True}})
    html = page.finish(convert.to_html(page.body, recipe).html)
    assert active_content(html) == []
    assert "{{ config.site_url }}" in html  # template syntax is text, never evaluated
    # A placeholder written by the narrative is not one of the page's: removed, and every block is there once.
    assert "osqi-block" not in html
    assert html.count('<section class="osqi-card') == 1 and html.count('<ol class="osqi-timeline"') == 1
    # The narrative's unclosed table ends before the next block: the references list is not inside it.
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    assert not tree.xpath("//table//ul[@class='osqi-references']")


def test_content_page_blocks_survive_sanitising() -> None:
    from osqi_site.core import sanitize

    content = generated.content_page("# Home\n\n<script>x()</script>\n\n<!-- osqi:stats -->\n", (DEFAULT,), _href)
    html = markdown.markdown(content.markdown, extensions=EXTENSIONS)
    finished = content.finish(sanitize.clean_around(html, generated.PLACEHOLDER))
    assert "<svg " in finished and '<dl class="osqi-figures">' in finished  # the chart is the build's own SVG
    assert "<script>" not in finished and "x()" not in finished


def test_a_narrative_cannot_name_a_placeholder_of_its_own_page() -> None:
    from osqi_site.pages import convert

    recipe = convert.Recipe(tuple(EXTENSIONS), {"toc": {"permalink": True}})
    first = generated.disclosure_page(DEFAULT, generated.DATA_LINKS)
    # The best a narrative can do: copy the placeholders of the page as it was before the copy was added.
    copied = "\n\n".join(placeholder for placeholder, _ in first.blocks)
    d = make_disclosure(body=f"\n{copied}\n\nNARRATIVE-START\n" + DEFAULT.body)
    page = generated.disclosure_page(d, generated.DATA_LINKS)
    html = page.finish(convert.to_html(page.body, recipe).html)
    assert html.count('<section class="osqi-card') == 1 and html.count('class="osqi-references"') == 1
    # Every block stays where the template put it: none moved into the narrative.
    assert html.index('<section class="osqi-card') < html.index("NARRATIVE-START") < html.index("osqi-references")
