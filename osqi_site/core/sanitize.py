"""The one HTML and URL policy for text written by people: what narrative and content-page HTML may keep.

Every piece of HTML converted from Markdown that a person wrote (disclosure narratives in pages and in all
three feeds, content pages) passes through ``clean``: an allow-list sanitiser (nh3, the Python binding of the
Rust crate ammonia) that parses the HTML as a browser does and keeps only the tags, attributes and URL schemes
below. Everything else (scripts, event attributes, ``style``, SVG, frames, forms, comments, ``javascript:`` and
``data:`` URLs) is removed. HTML the site generates itself from frontmatter is escaped by its templates and
added after cleaning, so the policy only has to cover what the Markdown extensions emit.

``scheme_problem`` is the same URL rule for ``check``: it decides a URL by the scheme a browser would see.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from urllib.parse import urlsplit

import nh3

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
"""What Python-Markdown and the extensions in use emit (tables, footnotes, admonitions, definition lists, toc
permalinks, abbreviations, code blocks), plus the plain inline and block tags an author may write."""

ATTRIBUTES: dict[str, frozenset[str]] = {
    # class: admonitions, footnotes, headerlinks and code languages need it, and a class runs nothing.
    # id: heading anchors and footnotes. title: abbreviations, footnote back-links, permalinks.
    "*": frozenset({"class", "id", "title"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "ol": frozenset({"start", "type"}),
    "li": frozenset({"value"}),
    "td": frozenset({"colspan", "rowspan", "style"}),
    "th": frozenset({"colspan", "rowspan", "style"}),
    "details": frozenset({"open"}),
}
"""Attributes kept per tag (``*``: on every allowed tag); every other attribute, ``on*`` included, is dropped."""

STYLE_PROPERTIES = frozenset({"text-align"})
"""The one CSS property kept in a ``style`` attribute: the column alignment of Markdown tables."""

URL_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes a link or image may use; relative URLs (attachments, anchors, other pages) are kept too."""

DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
    "noembed", "noframes", "svg", "math", "textarea", "select", "title", "xmp", "plaintext",
})
"""Tags removed together with everything inside them, not only unwrapped: their text is code or markup."""


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(STYLE_PROPERTIES),
        strip_comments=True,
        link_rel=None,  # no target attribute is allowed, so no link can reach its opener
    )


@cache
def _text_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT), attributes={}, link_rel=None)


def clean(html: str) -> str:
    """``html`` with only what the policy allows; the result is safe to insert into any page or feed."""
    return str(_cleaner().clean(html))


@lru_cache(maxsize=4096)
def clean_text(html: str) -> str:
    """``html`` reduced to its text, still HTML-escaped: for table-of-contents titles, printed unescaped.

    Cached (a pure function of its text): most headings are the same few words on page after page.
    """
    return str(_text_cleaner().clean(html))


def clean_around(html: str, keep: re.Pattern[str]) -> str:
    """``clean`` every stretch of ``html`` between matches of ``keep``, which stay as they are.

    The generated pages mark where their trusted blocks go with placeholder comments; cleaning the stretches
    one by one keeps the placeholders and also closes any element a narrative leaves open before the next block.
    """
    out: list[str] = []
    start = 0
    for m in keep.finditer(html):
        out.append(_clean_stretch(html[start:m.start()]))
        out.append(m.group(0))
        start = m.end()
    out.append(_clean_stretch(html[start:]))
    return "".join(out)


SHORT_STRETCH = 512
"""Stretches up to this long are cleaned once each per process (``_clean_short``)."""


def _clean_stretch(html: str) -> str:
    # Between a generated page's blocks lie mostly the same short headings (Timeline, Machine-readable) and
    # blank lines, page after page: ``clean`` is a pure function of its text, so those are cleaned once.
    return _clean_short(html) if len(html) <= SHORT_STRETCH else clean(html)


@lru_cache(maxsize=1024)
def _clean_short(html: str) -> str:
    return clean(html)


def fingerprint() -> str:
    """The policy and the sanitiser's version: part of the cache key of every converted page."""
    described = repr((sorted(TAGS), sorted((k, sorted(v)) for k, v in ATTRIBUTES.items()), sorted(STYLE_PROPERTIES),
                      sorted(URL_SCHEMES), sorted(DROPPED_WITH_CONTENT), getattr(nh3, "__version__", "")))
    return hashlib.sha256(described.encode()).hexdigest()


# -- URLs ------------------------------------------------------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")


def browser_form(url: str) -> str:
    """What a browser's URL parser makes of ``url`` before it reads the scheme (WHATWG URL standard):
    leading and trailing C0 controls and spaces removed, every tab and newline removed anywhere.

    HTML entities must already be decoded (an HTML parser decodes attribute values before the URL parser
    sees them); ``scheme_problem`` does that for URLs taken from Markdown source."""
    return _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE))


def url_scheme(url: str) -> str | None:
    """The scheme a browser would use for ``url``, lower-cased, or ``None`` for a relative URL."""
    m = _SCHEME.match(browser_form(url))
    return m.group(0)[:-1].lower() if m else None


def shown(url: str, limit: int = 120) -> str:
    """``url`` quoted for a one-line message: invisible characters spelled out, long ones cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in url)
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def scheme_problem(url: str, allowed: Sequence[str], *, relative: bool) -> str | None:
    """Why ``url`` may not be published, or ``None``: its scheme, as a browser reads it, must be in ``allowed``
    (or the URL relative, when ``relative``). Entities are decoded first, as every HTML parser does."""
    scheme = url_scheme(html.unescape(url))
    if scheme is None and relative:
        return None
    if scheme is not None and scheme in allowed:
        return None
    kinds = ", ".join(f"{s}:" for s in allowed) + (" and relative" if relative else "")
    if scheme is None:
        return f"{shown(url)} is not an absolute URL; only {kinds} URLs may be published"
    return f"{shown(url)} uses the scheme '{scheme}:'; only {kinds} URLs may be published"


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not a plain absolute http(s) URL to a named host, or ``None``: for frontmatter fields
    that link out (references, repositories). Written in canonical form, with nothing a browser would strip."""
    return None if _is_http_url(url) else f"{shown(url)} is not an http(s) URL"


def _is_http_url(url: str) -> bool:
    # The only white space ``isprintable`` lets through is the space itself (tests/test_sanitize.py tries every
    # code point), so looking for " " finds any; the message is only spelled out for a URL that fails.
    # Nor is ``browser_form`` needed: every character it strips is a C0 control or the space. A backslash is
    # refused because browsers read it as "/" in an http(s) URL, and urlsplit does not: in
    # ``https://evil.example\@example.org/`` a reader of the source sees the host example.org, a browser goes
    # to evil.example.
    if not url.startswith(("http://", "https://")) or not url.isprintable() or " " in url or "\\" in url:
        return False
    plain = _PLAIN_HOST.match(url)
    if plain is not None:  # what urlsplit's hostname is for such a URL, a tenth of the time (every reference)
        host = plain.group(1)
    else:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return False
    return "." in host.strip(".") or host == "localhost"


_PLAIN_HOST = re.compile(r"https?://([a-z0-9.-]+)(?:[/?#]|\Z)")
"""An http(s) URL whose authority is a host in lower-case ASCII letters, digits, dots and hyphens alone: no
user, no port, no brackets, nothing for urlsplit to refuse or its ``hostname`` to change (tests/test_sanitize.py
holds the two to the same answer)."""
