"""The sample site in a real browser (Debian's Chromium through Playwright), served from 127.0.0.1.

Covers what only a browser can show: the listing's filters, Material's search (a public alias is found, an
embargoed title is not), the disclosure page with its table of contents and copy buttons, the narrow layout,
contrast and focus, and that no request ever goes to another host. Full-page screenshots at desktop and phone
widths go to ``test-output/browser/``; ``OSQI_UPDATE_SCREENSHOTS=1`` also refreshes the README's
(``tests/screenshots/``: the first screen of the home and a disclosure page, desktop and phone).

Locally these tests skip when Chromium or Playwright is missing; under CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import pytest
import yaml

from osqi_site import cli

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Response, ViewportSize

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AS_OF = "2026-06-01T00:00:00Z"
"""A fixed past clock: every sample is as it will stay, and OSQI-2026-0001 is still under embargo."""
EMBARGOED = ROOT / "disclosures" / "2026" / "OSQI-2026-0001.md"
OUTPUT = ROOT / "test-output" / "browser"
README_SHOTS = ROOT / "tests" / "screenshots"
README_PAGES = ("home-", "disclosure-", "projects-", "project-", "dark-home-desktop", "dark-disclosure-phone")
TOP_HEIGHTS = {"home-desktop": 1700}
"""The home page's first screen plus its figures and chart."""
"""The README shows these: the top of the page, as a reader first sees it."""
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests must run under CI=true: {reason}")
    pytest.skip(reason)


# -- the site and the browser -------------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _served(site: Path) -> Iterator[str]:
    """A built site served on a free loopback port, for as long as the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("browser") / "site"
    assert cli.main(["build", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site), "--as-of", AS_OF]) == 0
    with _served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; install Debian's Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """A browser context that records the host of every request and refuses any that leaves 127.0.0.1."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.local = urlsplit(base_url).netloc
        self.hosts: set[str] = set()
        self.failed: list[str] = []
        context.on("request", lambda r: self.hosts.add(urlsplit(r.url).netloc or r.url.split(":", 1)[0]))
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        if urlsplit(route.request.url).netloc == self.local:
            route.continue_()
        else:
            route.abort()  # recorded by the request listener, and never sent

    def open(self, path: str) -> Page:
        page = self.context.new_page()

        def failed(r: Response) -> None:
            if r.status >= 400:
                self.failed.append(f"{r.status} {r.url}")

        page.on("response", failed)
        page.goto(self.base_url + path)
        page.wait_for_load_state("networkidle")
        return page


CLS_OBSERVER = """window.__osqiCls = 0;
new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__osqiCls += e.value;
}).observe({type: "layout-shift", buffered: true});"""
"""Cumulative layout shift as Lighthouse counts it: every layout-shift entry not caused by recent input."""


@pytest.fixture
def visit(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Visit]:
    param = getattr(request, "param", DESKTOP)
    viewport, scheme = param if isinstance(param, tuple) else (param, "light")
    context = browser.new_context(viewport=viewport, base_url=base_url, color_scheme=scheme)
    context.add_init_script(CLS_OBSERVER)
    v = Visit(context, base_url)
    try:
        yield v
        # The network facts every test checks: nothing went anywhere but the local server, and nothing asked
        # for was missing (Material asks for sitemap.xml beside every <link rel=alternate>: none may 404).
        assert v.hosts <= {v.local}, f"requests left the site: {sorted(v.hosts - {v.local})}"
        assert v.failed == []
    finally:
        context.close()


def _shot(page: Page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    full = OUTPUT / f"{name}.png"
    page.screenshot(path=str(full), full_page=True)
    top = OUTPUT / f"{name}-top.png"
    page.evaluate("window.scrollTo(0, 0)")
    size = page.viewport_size or DESKTOP
    height = TOP_HEIGHTS.get(name, size["height"])
    page.screenshot(path=str(top), full_page=True, clip={"x": 0, "y": 0, "width": size["width"], "height": height})
    if os.environ.get("OSQI_UPDATE_SCREENSHOTS") == "1" and name.startswith(README_PAGES):
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(top, README_SHOTS / f"{name}.png")
    return full


def _rows(page: Page) -> list[str]:
    rows: list[str] = page.eval_on_selector_all("table.osqi-listing tbody td.osqi-listing__id a",
                                                "els => els.map(e => e.textContent)")
    return rows


# -- the listing -------------------------------------------------------------------------------------------


def test_listing_filters_by_every_facet_and_text(visit: Visit) -> None:
    page = visit.open("disclosures/")
    page.wait_for_selector("form.osqi-filters:not([hidden])")
    everything = ["OSQI-2024-0003", "OSQI-2024-0002", "OSQI-2024-0001", "OSQI-2023-0001", "OSQI-2022-0001",
                  "OSQI-2021-0001"]
    assert _rows(page) == everything
    assert page.inner_text("#osqi-count") == "All 6 disclosures."

    page.select_option("#osqi-ecosystem", "Maven")
    assert _rows(page) == ["OSQI-2021-0001"]
    assert page.inner_text("#osqi-count") == "1 of 6 disclosures match."
    assert "ecosystem=Maven" in page.url  # a filtered view is a link that can be shared

    page.click("form.osqi-filters button[type=reset]")
    page.wait_for_function("document.querySelectorAll('table.osqi-listing tbody tr').length === 6")
    page.select_option("#osqi-status", "withdrawn")
    assert _rows(page) == ["OSQI-2024-0002"]
    page.select_option("#osqi-status", "public")
    page.select_option("#osqi-year", "2024")
    assert _rows(page) == ["OSQI-2024-0003", "OSQI-2024-0001"]
    page.select_option("#osqi-severity", "Critical")
    assert _rows(page) == ["OSQI-2024-0001"]

    page.click("form.osqi-filters button[type=reset]")
    page.fill("#osqi-package", "xz")
    assert _rows(page) == ["OSQI-2024-0002", "OSQI-2024-0001"]
    page.fill("#osqi-package", "")
    for query, expected in (("CVE-2021-44228", ["OSQI-2021-0001"]), ("openssh", ["OSQI-2024-0003"]),
                            ("osqi-2023", ["OSQI-2023-0001"]), ("heap expat", ["OSQI-2022-0001"]),
                            ("no such thing", [])):
        page.fill("#osqi-q", query)
        assert _rows(page) == expected, query
    assert page.inner_text("table.osqi-listing tbody") == "No disclosure matches these filters."

    # The URL carries the filters: reloading it restores the same view.
    page.fill("#osqi-q", "log4j")
    page.reload()
    page.wait_for_selector("form.osqi-filters:not([hidden])")
    assert page.input_value("#osqi-q") == "log4j"
    assert _rows(page) == ["OSQI-2021-0001"]


def test_listing_works_without_javascript(browser: Browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(base_url + "disclosures/")
        assert not page.is_visible("form.osqi-filters")  # controls that could not work are not shown
        assert len(_rows(page)) == 6
        page.click("nav.osqi-years >> text=2024")
        assert page.url.endswith("/disclosures/2024/")
        assert _rows(page) == ["OSQI-2024-0003", "OSQI-2024-0002", "OSQI-2024-0001"]
    finally:
        context.close()


def test_filters_and_copy_buttons_show_keyboard_focus(visit: Visit) -> None:
    page = visit.open("disclosures/")
    page.wait_for_selector("form.osqi-filters:not([hidden])")
    page.focus("#osqi-q")
    seen = []
    for _ in range(7):  # search box, five filters, the Clear button
        style = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
            return [e.id || e.type, s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        seen.append(style[0])
        assert style[1] != "none" and style[2] >= 2, style
        page.keyboard.press("Tab")
    assert seen == ["osqi-q", "osqi-ecosystem", "osqi-package", "osqi-severity", "osqi-year", "osqi-status", "reset"]

    page = visit.open("disclosures/OSQI-2024-0001/")
    page.focus("article h1 a.headerlink")  # the last focusable before the card
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
        return [e.classList.contains('osqi-copy'), e.getAttribute('aria-label'), s.outlineStyle,
                parseFloat(s.outlineWidth)]; }""")
    assert focused[0] is True and focused[1] == "Copy OSQI-2024-0001"
    assert focused[2] != "none" and focused[3] >= 2


# -- search --------------------------------------------------------------------------------------------------


def _search(page: Page, query: str) -> tuple[str, list[str]]:
    box = page.locator(".md-search__input")
    box.fill("")
    box.press_sequentially(query)  # Material searches on key events, so type like a person
    page.wait_for_function("""q => { const m = document.querySelector('.md-search-result__meta');
        return document.querySelector('.md-search__input').value === q && m && !/Initializing/i.test(m.textContent)
            && (/No matching/i.test(m.textContent) || /matching/i.test(m.textContent)); }""", arg=query)
    page.wait_for_timeout(300)  # let the result list settle after the meta line
    meta = page.inner_text(".md-search-result__meta")
    hrefs = page.eval_on_selector_all(".md-search-result__list a", "els => els.map(e => e.getAttribute('href'))")
    return meta, hrefs


def test_search_finds_a_public_alias_and_nothing_embargoed(visit: Visit) -> None:
    page = visit.open("")
    page.click(".md-search__input")
    meta, hrefs = _search(page, "CVE-2024-3094")
    assert any("disclosures/OSQI-2024-0001/" in h for h in hrefs), (meta, hrefs)
    assert "No matching" not in meta

    title = yaml.safe_load(EMBARGOED.read_text(encoding="utf-8").split("---\n", 2)[1])["title"]
    meta, hrefs = _search(page, title)
    assert not any("OSQI-2026-0001" in h for h in hrefs), hrefs
    # Results may list the query's missing words ("Missing: tinyparse"); their own titles and text may not.
    shown = page.eval_on_selector_all(".md-search-result__article > :not(.md-search-result__terms)",
                                      "els => els.map(e => e.textContent).join(' ')")
    assert "tinyparse" not in shown.lower()
    meta, hrefs = _search(page, "tinyparse")
    assert meta == "No matching documents" and hrefs == []


# -- pages ---------------------------------------------------------------------------------------------------


def test_disclosure_page_card_toc_copy_and_timeline(visit: Visit) -> None:
    visit.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=visit.base_url.rstrip("/"))
    page = visit.open("disclosures/OSQI-2024-0001/")
    article = page.locator("article.md-content__inner")
    first = article.locator(":scope > *:not(h1)").first
    assert first.get_attribute("class") == "osqi-card osqi-card--critical"  # the card comes first
    assert page.inner_text(".osqi-card__badges .osqi-sev") == "Critical 10.0"
    assert page.is_visible("table.osqi-affected >> text=5.6.2")
    # Table of contents in the right sidebar, although generated pages are not in the nav.
    toc = page.locator(".md-sidebar--secondary nav[aria-label='Table of contents']")
    assert toc.is_visible()
    toc_links = toc.locator("a.md-nav__link").all_inner_texts()
    assert [t.strip() for t in toc_links][:3] == ["Timeline", "Summary", "Discovery"]
    assert "Revision history" in [t.strip() for t in toc_links]
    # Copy buttons, added by script beside every identifier.
    assert page.locator("button.osqi-copy").count() == 2
    page.click("button[aria-label='Copy CVE-2024-3094']")
    page.wait_for_selector("button.osqi-copy[data-copied]")
    assert page.evaluate("navigator.clipboard.readText()") == "CVE-2024-3094"
    assert page.inner_text("[role=status].osqi-visually-hidden") == "Copied CVE-2024-3094 to the clipboard"
    # The timeline: the publication placed among the events, the milestones marked in the same list.
    events = page.locator("ol.osqi-timeline > li").evaluate_all("els => els.map(e => e.className)")
    assert events.index("osqi-event osqi-event--published osqi-event--key") < events.index(
        "osqi-event osqi-event--fix_released osqi-event--after osqi-event--key")


def test_withdrawn_disclosure_is_unmistakable(visit: Visit) -> None:
    page = visit.open("disclosures/OSQI-2024-0002/")
    banner = page.locator(".osqi-withdrawn")
    assert banner.is_visible()
    assert "Withdrawn on 2024-04-02 09:00 UTC. Do not act on this record." in banner.inner_text()
    assert page.locator(".osqi-card.osqi-card--withdrawn .osqi-badge--withdrawn").is_visible()
    # The banner is the first thing after the title.
    assert page.evaluate("document.querySelector('article h1').nextElementSibling.className") == "osqi-withdrawn"


def test_home_page_shows_latest_disclosures_and_figures(visit: Visit) -> None:
    page = visit.open("")
    latest = page.locator("ul.osqi-latest > li .osqi-latest__id").all_inner_texts()
    assert latest == ["OSQI-2024-0003", "OSQI-2024-0002", "OSQI-2024-0001", "OSQI-2023-0001", "OSQI-2022-0001"]
    figures = page.locator(".osqi-figure").all_inner_texts()
    assert len(figures) == 3
    assert figures[0].split("\n")[:2] == ["Disclosures published", "5"]
    assert page.locator("figure.osqi-chart svg[role=img] rect").count() == 4  # 2021-2024
    page.click("ul.osqi-latest a >> text=regreSSHion")
    assert page.url.endswith("/disclosures/OSQI-2024-0003/")


# -- layout, accessibility and screenshots ---------------------------------------------------------------

PAGES = {"home": "", "listing": "disclosures/", "disclosure": "disclosures/OSQI-2024-0001/",
         "withdrawn": "disclosures/OSQI-2024-0002/"}

_CONTRAST = """sel => Array.from(document.querySelectorAll(sel)).filter(e => e.offsetParent !== null).map(e => {
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= .03928 ? v / 12.92
        : Math.pow((v + .055) / 1.055, 2.4); }).reduce((a, v, i) => a + v * [.2126, .7152, .0722][i], 0);
    let bg = null, node = e;
    while (node && node.nodeType === 1) {
        const c = rgb(getComputedStyle(node).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
        node = node.parentElement;
    }
    bg = bg || [255, 255, 255];
    const fg = rgb(getComputedStyle(e).color).slice(0, 3);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return [sel, e.textContent.trim().slice(0, 30), Math.round((hi + .05) / (lo + .05) * 100) / 100];
})"""
TEXT_SELECTORS = (".osqi-sev", ".osqi-badge", ".osqi-eco", ".osqi-role", ".osqi-alias", ".osqi-listing__date",
                  ".osqi-event__when", ".osqi-facts dt", ".osqi-fixed", ".osqi-nofix", ".osqi-figure__note",
                  ".osqi-figure__value", ".osqi-latest__meta", ".osqi-filters label", ".osqi-filters__count",
                  ".osqi-event__gap", ".osqi-reftype", ".osqi-affected caption")


@pytest.mark.parametrize("visit", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_pages_hold_at_every_width_and_are_screenshotted(visit: Visit) -> None:
    for name, path in PAGES.items():
        page = visit.open(path)
        if name == "listing":
            page.wait_for_selector("form.osqi-filters:not([hidden])")
        width = page.viewport_size["width"] if page.viewport_size else 0
        # Nothing is wider than the screen: tables scroll inside their box or stack as cards.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        # One h1, and heading levels never skip on the way down.
        levels = page.eval_on_selector_all("article h1, article h2, article h3, article h4, article h5, article h6",
                                           "els => els.map(e => Number(e.tagName[1]))")
        assert levels.count(1) == 1 and levels[0] == 1, (name, levels)
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (name, levels)
        # Our own text meets WCAG AA contrast (4.5:1) on the background it is drawn on.
        for sel in TEXT_SELECTORS:
            for found in page.evaluate(_CONTRAST, sel):
                assert found[2] >= 4.5, (name, found)
        assert _shot(page, f"{name}-{'desktop' if width >= 1000 else 'phone'}").stat().st_size > 0


# -- hostile text --------------------------------------------------------------------------------------------

HOSTILE_ID = "OSQI-2024-0099"
HOSTILE_PAYLOAD = "<img src=nowhere.png onerror=window.__osqiXss=1>"


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample site plus a public disclosure whose title, package, credit and narrative carry markup."""
    root = tmp_path_factory.mktemp("hostile") / "project"
    for name in ("mkdocs.yml",):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)
    for folder in ("content", "theme", "disclosures"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "disclosures" / "2024" / f"{HOSTILE_ID}.md").write_text(f"""---
id: {HOSTILE_ID}
title: "xsstitle {HOSTILE_PAYLOAD}"
embargo_until: 2024-05-01T00:00:00Z
seal: "{"ab" * 32}"
affected:
  - ecosystem: PyPI
    package: "xsspkg {HOSTILE_PAYLOAD}"
    ranges:
      - introduced: "0"
        fixed: "1.0"
credits:
  - name: "{HOSTILE_PAYLOAD}"
    type: FINDER
timeline:
  - date: 2024-04-01
    event: discovered
    note: "{HOSTILE_PAYLOAD}"
---

## Summary

xsssummary {HOSTILE_PAYLOAD} <script>window.__osqiXss=2</script>

## Discovery

<a href="#" onclick="window.__osqiXss=3">click</a> <svg onload="window.__osqiXss=4"></svg>
""", encoding="utf-8")
    site = root / "site"
    assert cli.main(["build", "-f", str(root / "mkdocs.yml"), "-d", str(site), "--as-of", AS_OF]) == 0
    with _served(site) as url:
        yield url


def test_hostile_text_runs_no_script_in_search_listing_or_page(browser: Browser, hostile_url: str) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=hostile_url)
    v = Visit(context, hostile_url)
    dialogs: list[str] = []

    def dismissed(d: Dialog) -> None:
        dialogs.append(d.message)
        d.dismiss()

    context.on("page", lambda p: p.on("dialog", dismissed))
    try:
        page = v.open("")
        page.click(".md-search__input")
        for query in ("xsspkg", "xsstitle", "xsssummary"):
            _meta, hrefs = _search(page, query)
            assert any(f"disclosures/{HOSTILE_ID}/" in h for h in hrefs), (query, hrefs)
            shown = page.inner_text(".md-search-result__list")
            assert "<img src=nowhere.png" in shown, query  # the markup is shown as the text it is
        assert page.evaluate("window.__osqiXss") is None

        listing = v.open("disclosures/")
        listing.fill("#osqi-q", "xsspkg")
        listing.wait_for_function("() => document.querySelectorAll('table.osqi-listing tbody tr').length === 1")
        assert HOSTILE_PAYLOAD in listing.inner_text("table.osqi-listing tbody")
        assert listing.evaluate("window.__osqiXss") is None

        disclosure = v.open(f"disclosures/{HOSTILE_ID}/")
        disclosure.click("text=click")
        assert disclosure.evaluate("window.__osqiXss") is None
        assert HOSTILE_PAYLOAD in disclosure.inner_text("article")
        assert dialogs == []
        assert v.hosts <= {v.local}
        # A payload that ran would have asked for nowhere.png.
        assert not [f for f in v.failed if "nowhere.png" in f]
    finally:
        context.close()


# -- one timeline ----------------------------------------------------------------------------------------------

_TIMELINE_SECTION = """() => {
    // Every visible list, figure or table between the Timeline heading and the next heading.
    const start = document.getElementById('timeline'), found = [];
    for (let e = start.nextElementSibling; e && !/^H[1-6]$/.test(e.tagName); e = e.nextElementSibling) {
        for (const x of [e, ...e.querySelectorAll('ol, ul, figure, svg, table')]) {
            if (/^(OL|UL|FIGURE|SVG|TABLE)$/i.test(x.tagName) && x.getClientRects().length) found.push(x);
        }
    }
    return found.map(x => [x.tagName, x.className.baseVal ?? x.className, x.children.length,
                           x.getBoundingClientRect().right]);
}"""


@pytest.mark.parametrize("visit", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_a_disclosure_timeline_is_shown_once_with_every_note(visit: Visit) -> None:
    source = ROOT / "disclosures" / "2024" / "OSQI-2024-0001.md"
    events = yaml.safe_load(source.read_text(encoding="utf-8").split("---\n", 2)[1])["timeline"]
    page = visit.open("disclosures/OSQI-2024-0001/")
    width = page.viewport_size["width"] if page.viewport_size else 0
    shown = page.evaluate(_TIMELINE_SECTION)
    # One list: every event of the record plus the publication, nothing drawn a second time beside it.
    assert [(tag, cls, n) for tag, cls, n, _ in shown] == [("OL", "osqi-timeline", len(events) + 1)], shown
    assert all(right <= width for *_, right in shown), shown
    text = page.inner_text("ol.osqi-timeline")
    for e in events:
        if e.get("note"):
            assert " ".join(e["note"].split()) in " ".join(text.split()), e["note"]


# -- the standard audits (issue 16): axe, layout shift, focus order, links, colour schemes -------------------

AUDITED = {"home": "", "listing": "disclosures/", "year": "disclosures/2024/",
           "disclosure": "disclosures/OSQI-2024-0001/", "project": "projects/xz/", "projects": "projects/",
           "transparency": "transparency/"}
SCHEMES = [(DESKTOP, "light"), (PHONE, "light"), (DESKTOP, "dark"), (PHONE, "dark")]
SCHEME_IDS = ["desktop-light", "phone-light", "desktop-dark", "phone-dark"]
NO_MOTION = "*, *::before, *::after { transition: none !important; animation: none !important; }"
"""Focus styles are looked at in their final state, not halfway through Material's fade-ins."""


def _settled(visit: Visit, path: str) -> Page:
    """A page with everything our scripts add in place (the listing's filters come after index.json)."""
    page = visit.open(path)
    if page.locator("form.osqi-filters").count():
        page.wait_for_selector("form.osqi-filters:not([hidden])")
    page.wait_for_timeout(300)  # a late shift would still be counted
    return page


@pytest.mark.parametrize("visit", SCHEMES, indirect=True, ids=SCHEME_IDS)
def test_axe_finds_nothing_serious_and_nothing_shifts(visit: Visit) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for name, path in AUDITED.items():
        page = _settled(visit, path)
        # axe's colour-contrast rule runs in the scheme of this context: AA in light and in dark.
        found = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found
                   if v["impact"] in ("serious", "critical")]
        assert serious == [], (name, serious)
        assert page.evaluate("window.__osqiCls") <= 0.1, (name, page.evaluate("window.__osqiCls"))
        page.close()


_FOCUSED = """() => { const e = document.activeElement;
    if (!e || e === document.body) return null;
    const r = e.getBoundingClientRect();
    return {what: `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${String(e.className).split(' ')[0]}`,
            w: r.width, h: r.height, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            shown: e.checkVisibility({opacityProperty: true, visibilityProperty: true}),
            inContent: !!e.closest('article.md-content__inner')}; }"""


@pytest.mark.parametrize("visit", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_every_keyboard_stop_before_the_content_is_visible(visit: Visit) -> None:
    for name, path in AUDITED.items():
        page = _settled(visit, path)
        page.add_style_tag(content=NO_MOTION)
        size = page.viewport_size or DESKTOP
        stops: list[str] = []
        for _ in range(60):
            page.keyboard.press("Tab")
            f = page.evaluate(_FOCUSED)
            assert f is not None, (name, stops)
            stops.append(f["what"])
            # Visible: not hidden nor transparent, of some size, and on the screen.
            assert f["shown"] and f["w"] > 0 and f["h"] > 0, (name, f)
            assert f["right"] > 0 and f["left"] < size["width"] and f["bottom"] > 0 and f["top"] < size["height"], (
                name, f)
            if f["inContent"]:
                break
        else:
            pytest.fail(f"{name}: 60 stops without reaching the content: {stops}")
        page.close()


@pytest.mark.parametrize("visit", [(DESKTOP, "light"), (DESKTOP, "dark")], indirect=True, ids=["light", "dark"])
def test_links_in_text_are_underlined(visit: Visit) -> None:
    for name, path in AUDITED.items():
        page = _settled(visit, path)
        plain = page.evaluate("""() => Array.from(document.querySelectorAll(
                'article p a, article li a, article td a, article dd a'))
            .filter(a => !a.matches('.headerlink, .osqi-latest__link') && a.checkVisibility())
            .filter(a => !getComputedStyle(a).textDecorationLine.includes('underline'))
            .map(a => a.outerHTML.slice(0, 80))""")
        assert plain == [], (name, plain)
        page.close()


def test_the_colour_scheme_follows_the_system_and_the_toggle_overrides_it(browser: Browser, base_url: str) -> None:
    schemes: tuple[tuple[Literal["light", "dark"], str, str], ...] = (("light", "default", "slate"),
                                                                      ("dark", "slate", "default"))
    for system, scheme, other in schemes:
        context = browser.new_context(viewport=DESKTOP, color_scheme=system)
        try:
            page = context.new_page()
            page.goto(base_url + "disclosures/OSQI-2024-0001/")
            page.wait_for_load_state("networkidle")
            assert page.get_attribute("body", "data-md-color-scheme") == scheme
            bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
            toggle = page.locator(".md-header__option label:not([hidden])")
            assert toggle.count() == 1
            toggle.click()
            page.wait_for_function(f"document.body.getAttribute('data-md-color-scheme') === '{other}'")
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") != bg
            page.reload()  # the reader's choice is kept
            page.wait_for_load_state("networkidle")
            assert page.get_attribute("body", "data-md-color-scheme") == other
            # The keyboard reaches the toggle as one stop named for what it does.
            stop = page.locator(".md-header__option > .md-option:checked")
            assert stop.count() == 1
            assert ("dark" if other == "slate" else "light") not in (stop.get_attribute("aria-label") or "")
        finally:
            context.close()


def test_the_search_index_is_fetched_only_when_search_is_opened(visit: Visit) -> None:
    asked: list[str] = []
    visit.context.on("request", lambda r: asked.append(urlsplit(r.url).path))
    page = visit.open("disclosures/OSQI-2024-0001/")
    page.wait_for_timeout(500)
    assert "/search/search_index.json" not in asked
    page.click(".md-search__input")
    page.wait_for_function("() => !/Initializing/i.test(document.querySelector('.md-search-result__meta').textContent)")
    assert "/search/search_index.json" in asked
    meta, hrefs = _search(page, "CVE-2024-3094")
    assert any("disclosures/OSQI-2024-0001/" in h for h in hrefs), (meta, hrefs)


@pytest.mark.parametrize("visit", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_projects_pages_filter_and_link_both_ways(visit: Visit) -> None:
    page = visit.open("projects/")
    rows = page.locator("table.osqi-project-list tbody tr")
    assert rows.count() == 3
    page.check("#osqi-care-life-support")  # a radio: works without JavaScript
    assert [r.inner_text().split("\n")[0] for r in rows.all() if r.is_visible()] == ["XZ Utils"]
    page.check("#osqi-care-all")
    assert sum(1 for r in rows.all() if r.is_visible()) == 3
    width = "desktop" if (page.viewport_size or DESKTOP)["width"] >= 1000 else "phone"
    assert page.evaluate("document.documentElement.scrollWidth") <= (page.viewport_size or DESKTOP)["width"]
    _shot(page, f"projects-{width}")
    page.click("table.osqi-project-list a >> text=XZ Utils")
    page.wait_for_url("**/projects/xz/")
    page.wait_for_selector(".osqi-project")
    assert page.locator(".osqi-project .osqi-latest__id").all_inner_texts() == ["OSQI-2024-0002", "OSQI-2024-0001"]
    _shot(page, f"project-{width}")
    page.click(".osqi-project a >> text=OSQI-2024-0001")
    page.wait_for_url("**/disclosures/OSQI-2024-0001/")
    page.click(".osqi-card a >> text=XZ Utils")
    page.wait_for_url("**/projects/xz/")


@pytest.mark.parametrize("visit", [(DESKTOP, "dark"), (PHONE, "dark")], indirect=True, ids=["desktop", "phone"])
def test_dark_scheme_screenshots(visit: Visit) -> None:
    for name, path in (("home", ""), ("disclosure", "disclosures/OSQI-2024-0001/")):
        page = _settled(visit, path)
        assert page.get_attribute("body", "data-md-color-scheme") == "slate"
        width = "desktop" if (page.viewport_size or DESKTOP)["width"] >= 1000 else "phone"
        _shot(page, f"dark-{name}-{width}")
        page.close()


@pytest.mark.parametrize("visit", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_what_our_scripts_add_moves_nothing(visit: Visit) -> None:
    """The room for the listing's filters and the copy buttons is reserved before the scripts run: the content
    below them sits where it sits when the script never runs (blocked here)."""
    for path, script, ready, below in (
            ("disclosures/", "listing.js", "form.osqi-filters:not([hidden])", "table.osqi-listing"),
            ("disclosures/OSQI-2024-0001/", "disclosure.js", "button.osqi-copy", "table.osqi-affected")):
        tops = []
        for blocked in (True, False):
            page = visit.context.new_page()
            if blocked:
                page.route(f"**/assets/osqi/{script}", lambda route: route.abort())
            page.goto(visit.base_url + path)
            page.wait_for_load_state("networkidle")
            if not blocked:
                page.wait_for_selector(ready)
            tops.append(page.evaluate(f"document.querySelector('{below}').getBoundingClientRect().top"))
            page.close()
        assert tops[0] == tops[1], (path, tops)
