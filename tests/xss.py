"""What counts as active content in HTML a reader's browser would run: one judge for every sanitiser test."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

ACTIVE_ELEMENTS = frozenset({
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style", "link", "meta",
    "base", "form", "input", "button", "textarea", "select", "template", "noscript", "portal", "audio", "video",
})
"""Elements that run code, load documents or take input; none may come from a narrative."""

URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "action", "formaction", "poster", "background", "cite",
                            "data", "xlink:href", "{http://www.w3.org/1999/xlink}href", "ping", "lowsrc"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _fragments(html: str) -> list[etree._Element]:
    """``html`` parsed as a browser parses a fragment (lxml's HTML parser: comments kept, entities decoded)."""
    if not html.strip():
        return []
    return list(lxml.html.fragments_fromstring(html)) if html.lstrip()[:1] == "<" else \
        [lxml.html.fragment_fromstring(html, create_parent="div")]


def active_content(html: str, *, marker: str | None = None) -> list[str]:
    """Everything in ``html`` that could run script: active elements, ``on*`` attributes, ``style``
    beyond text alignment, URLs with a scheme other than http(s) or mailto, comments.

    With ``marker``, only active elements whose markup contains it count (a whole themed page has scripts
    and icons of its own); attributes and URLs count wherever they are.
    """
    found: list[str] = []
    for root in _fragments(html):
        if not isinstance(root.tag, str):
            found.append(f"comment {root!r}")
            continue
        for el in root.iter():
            if not isinstance(el.tag, str):
                if marker is None or marker in (el.text or ""):
                    found.append(f"comment {el.text!r}")
                continue
            tag = el.tag.lower()
            if tag in ACTIVE_ELEMENTS and (marker is None or marker in etree.tostring(el, encoding="unicode")):
                found.append(f"<{tag}>")
            for name, value in el.attrib.items():
                name = name.lower()
                if name.startswith("on"):
                    found.append(f"<{tag} {name}>")
                elif name == "style" and marker is None and not _only_text_align(value):
                    found.append(f"<{tag} style={value!r}>")
                elif name in URL_ATTRIBUTES:
                    urls = [part.split()[0] for part in value.split(",") if part.split()] if name == "srcset" \
                        else [value]
                    for url in urls:
                        scheme = url_scheme(url)
                        if scheme is not None and scheme not in SAFE_SCHEMES:
                            found.append(f"<{tag} {name}={url!r}>")
    return found


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads, written here independently of ``osqi_site.core.sanitize`` so that the judge
    does not share a bug with what it judges: C0 controls and spaces trimmed, tabs and newlines dropped."""
    m = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(33))))))
    return m.group(0)[:-1].lower() if m else None


def _only_text_align(style: str) -> bool:
    declarations = [d.strip() for d in style.split(";") if d.strip()]
    return all(d.split(":", 1)[0].strip().lower() == "text-align" for d in declarations)
