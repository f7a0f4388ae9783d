"""The site's own stylesheet and scripts, minified as they are published; the sources stay readable."""

from __future__ import annotations

from pathlib import Path

import rcssmin
import rjsmin

ASSETS = "assets/osqi"
"""Where the theme's own CSS and JavaScript land in the site (Material's are minified already)."""


def minified(name: str, text: str) -> str | None:
    """``text`` minified by the file's kind (``.css`` or ``.js``); ``None`` for any other file."""
    if name.endswith(".css"):
        return str(rcssmin.cssmin(text)) + "\n"
    if name.endswith(".js"):
        # keep_bang_comments: a licence or a /*! ... */ note the author wants published stays.
        return str(rjsmin.jsmin(text, keep_bang_comments=True)) + "\n"
    return None


def minify_folder(folder: Path) -> int:
    """Minify every CSS and JS file directly in ``folder`` in place (the shell's write); the bytes saved."""
    saved = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        small = minified(path.name, text)
        if small is not None and len(small) < len(text):
            path.write_text(small, encoding="utf-8")
            saved += len(text.encode("utf-8")) - len(small.encode("utf-8"))
    return saved
