"""Links that work wherever the text travels: relative narrative links made absolute, every self-link resolves."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from factory import SETTINGS, make_disclosure
from hypothesis import given
from hypothesis import strategies as st
from sitefixture import build

from osqi_site.formats.absolute_links import absolute_html, absolute_markdown, absolute_url
from osqi_site.formats.feeds import item_html
from osqi_site.formats.osv import osv_record

PAGE = "https://osqi.example/disclosures/OSQI-2026-0001/"
BODY = """
## Summary

See the [reproducer](poc.py), the ![trace](img/trace.png "trace") and [the listing](../), or
[an anchor](#fix), <a href="raw.html">raw</a>, [mail](mailto:a@b.example) and [abs](https://x.org/y).

[ref]: notes.txt

```
[not a link](code.py)
```

## Discovery

Inline `[code](span.py)` stays.
"""


def test_markdown_links_become_absolute_against_the_page_and_code_stays() -> None:
    out = absolute_markdown(BODY, PAGE)
    for target in ("poc.py", "img/trace.png", "raw.html", "notes.txt"):
        assert f"{PAGE}{target}" in out
    assert "(https://osqi.example/disclosures/)" in out and f"({PAGE}#fix)" in out
    assert "(mailto:a@b.example)" in out and "(https://x.org/y)" in out
    assert "[not a link](code.py)" in out and "`[code](span.py)`" in out


def test_html_links_become_absolute() -> None:
    out = absolute_html('<p><a href="poc.py">x</a> <img alt="t" src=\'img/t.png\'> <code>href="q"</code></p>', PAGE)
    assert out == (f'<p><a href="{PAGE}poc.py">x</a> <img alt="t" src=\'{PAGE}img/t.png\'> '
                   '<code>href="q"</code></p>')


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_absolute_url_never_leaves_a_relative_url(url: str) -> None:
    out = absolute_url(url.strip(), PAGE)
    assert out == "" or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", out)


def test_feed_items_and_osv_details_carry_absolute_links_only() -> None:
    d = make_disclosure(body=BODY)
    feed = item_html(d, SETTINGS)
    assert not [u for u in re.findall(r'(?:href|src)="([^"]*)"', feed) if not re.match(r"^[a-z]+:", u)]
    details = osv_record(d, SETTINGS)["details"]
    prose = re.sub(r"`[^`\n]*`", "", details.split("```")[0] + details.split("```")[2])  # code stays as written
    assert not [u for u in re.findall(r"\]\(([^)\s]+)", prose) if not re.match(r"^[a-z]+:", u)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _self_links(site: Path, base: str) -> dict[str, set[str]]:
    """Every URL starting with the site URL in every feed, OSV record, CSAF document and CVE container."""
    pattern = re.compile(re.escape(base) + r"[^\s\"'<>)\]]*")
    found: dict[str, set[str]] = {}
    files = [site / "feed.xml", site / "atom.xml", site / "feed.json", *sorted((site / "osv").glob("*.json")),
             *sorted((site / ".well-known" / "csaf").rglob("*.json")), *sorted((site / "cve").glob("*.json"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        texts = _strings(json.loads(text)) if path.suffix == ".json" else [html.unescape(text)]
        found[path.relative_to(site).as_posix()] = {m for t in texts for m in pattern.findall(t)}
    return found


def test_every_self_link_of_a_built_site_resolves_to_a_built_file(project: Path, tmp_path: Path) -> None:
    p = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    p.write_text(p.read_text().replace("aliases: []", "aliases: [CVE-2026-40001]").replace(
        "## Discovery\n", "## Discovery\n\nThe [reproducer](reproducer.py) and ![it](reproducer.py), "
        "[all disclosures](../), [the policy](../../policy/).\n"))
    site = tmp_path / "site"
    assert build(project, site) == 0
    base = "https://advisories.example.org/"
    links = _self_links(site, base)
    assert {"feed.xml", "atom.xml", "feed.json", "cve/CVE-2026-40001.json"} <= set(links)
    assert f"{base}disclosures/OSQI-2026-0002/reproducer.py" in links["feed.json"]
    assert f"{base}disclosures/OSQI-2026-0002/reproducer.py" in links["osv/OSQI-2026-0002.json"]
    broken: dict[str, list[str]] = {}
    for source, urls in links.items():
        for url in urls:
            path = unquote(urlsplit(url).path).removeprefix(urlsplit(base).path)
            target = site / (path + "index.html" if path.endswith("/") or not path else path)
            if not target.is_file():
                broken.setdefault(source, []).append(url)
    assert broken == {}
