"""Which file names a browser would open as an active document (HTML, XHTML, SVG, XML) on the site's origin."""

from __future__ import annotations

import mimetypes

_TYPES = mimetypes.MimeTypes()
"""Python's built-in table only: a ``MimeTypes`` instance never reads the machine's /etc/mime.types, so the
answer is the same on every machine."""

for _ext, _type in {
    # What common static hosts (nginx, Apache, GitHub Pages) also serve as a document, missing from Python's table.
    ".xht": "application/xhtml+xml", ".xhtml": "application/xhtml+xml", ".shtml": "text/html",
    ".shtm": "text/html", ".svgz": "image/svg+xml", ".atom": "application/atom+xml", ".rss": "application/rss+xml",
    ".xsd": "application/xml", ".xslt": "application/xslt+xml", ".mathml": "application/mathml+xml",
    ".mml": "application/mathml+xml", ".xul": "application/vnd.mozilla.xul+xml",
}.items():
    _TYPES.add_type(_type, _ext)

_ACTIVE = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "message/rfc822", "multipart/related"})
"""Types a browser renders as a document that may run script (besides every ``*/xml`` and ``*+xml``); MHTML
(message/rfc822) among them, as some browsers open it as a page."""


def active_type(name: str) -> str | None:
    """The media type under which a static host would serve ``name`` as a document that can run script, else None.

    Decided by the type, not by a list of extensions: case does not matter (hosts fold it), trailing dots and
    spaces are dropped (some servers do), and a compressed file counts as what it holds (``x.svg.gz``).
    """
    last = name.rsplit("/", 1)[-1].rstrip(". ").casefold()
    kind, _ = _TYPES.guess_type(last, strict=False)
    if kind is None:
        return None
    if kind in _ACTIVE or kind.endswith("/xml") or kind.endswith("+xml"):
        return kind
    return None


def active_file_problem(name: str) -> str | None:
    """Why the file ``name`` may not be published as it is, with what to do instead; None if it may."""
    kind = active_type(name)
    if kind is None:
        return None
    last = name.rsplit("/", 1)[-1]
    return (f"'{last}' would be served as {kind}, which a browser opens as a document that can run script on "
            f"the site's origin; publish it as text by renaming it to '{last}.txt' (or convert an image to PNG)")
