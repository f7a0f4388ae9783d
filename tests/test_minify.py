"""The theme's own CSS and JavaScript are published minified; the sources in the package stay readable."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sitefixture import build

from osqi_site.pages import minify

SOURCES = Path(minify.__file__).parents[1] / "theme" / minify.ASSETS


def test_css_and_js_are_minified_and_nothing_else() -> None:
    css = "/* a comment */\n.a  {\n  color : red ;\n}\n"
    js = "/* a comment */\nvar  answer = 42 ;  // done\n"
    assert minify.minified("x.css", css) == ".a{color:red}\n"
    assert minify.minified("x.js", js) == "var answer=42;\n"
    assert minify.minified("x.js", "/*! keep me */\nvar a = 1;\n") == "/*! keep me */var a=1;\n"
    assert minify.minified("x.svg", css) is None


def test_the_built_site_serves_the_minified_assets(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    sources = sorted(p for p in SOURCES.iterdir() if p.suffix in (".css", ".js"))
    assert {p.name for p in sources} >= {"osqi.css", "site.js", "listing.js", "disclosure.js"}
    for source in sources:
        text = source.read_text(encoding="utf-8")
        served = (site / minify.ASSETS / source.name).read_text(encoding="utf-8")
        assert served == minify.minified(source.name, text), source.name
        assert len(served) < 0.85 * len(text), source.name  # comments and indentation are a good part of them
    served_css = (site / minify.ASSETS / "osqi.css").read_bytes()
    sums = (site / "SHA256SUMS").read_text()
    assert f"{hashlib.sha256(served_css).hexdigest()}  {minify.ASSETS}/osqi.css\n" in sums  # what is served
