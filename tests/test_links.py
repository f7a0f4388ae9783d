"""The narrative URL scan: every kind of destination with its line, code skipped, linear on any input."""

from __future__ import annotations

import time
from bisect import bisect_right
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from osqi_site.core import links
from osqi_site.core.links import FoundUrl

TEXT = """Intro [a](javascript:alert(1)) and ![i](data:image/png;base64,xx)
`[x](javascript:code)` is code
```
<a href="javascript:fenced">
```
<a title="t"
 href="jav&#x09;ascript:x" onclick=y>t</a> <IMG SRC=relative.png>
[ref]:
  vbscript:msgbox
<!-- <a href="javascript:comment"> -->
<p srcset="a.png 1x, javascript:q 2x">
[nested](https://example.org/a_(b)) <https://example.org/auto>
"""


def test_every_kind_of_url_is_found_on_its_line() -> None:
    assert links.urls(TEXT) == [
        FoundUrl(0, "link", "javascript:alert(1)"),
        FoundUrl(0, "link", "data:image/png;base64,xx"),
        FoundUrl(6, "<a href>", "jav&#x09;ascript:x"),
        FoundUrl(6, "<img src>", "relative.png"),
        FoundUrl(8, "link", "vbscript:msgbox"),
        FoundUrl(10, "<p srcset>", "a.png"),
        FoundUrl(10, "<p srcset>", "javascript:q"),
        FoundUrl(11, "link", "https://example.org/a_(b)"),
    ]


@pytest.mark.parametrize("text", [
    "](a" * 200_000, "<a " * 200_000, "`` ` " * 100_000, "<!--" * 200_000, "](<" * 200_000,
    "<a href='" * 100_000, "[" * 300_000 + "]" * 300_000, "`" * 500_000, "~" * 500_000 + "\n" + "x" * 100,
    "<a\n" * 200_000, "](" + "(" * 300_000,
])
def test_the_scan_is_linear(text: str) -> None:
    started = time.perf_counter()
    links.urls(text)
    assert time.perf_counter() - started < 2.0


def _plain_without_code(text: str) -> str:
    """The reading ``links._without_code`` must equal: every line looked at in turn (the first version)."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        marker = stripped[:1]
        run = len(stripped) - len(stripped.lstrip(marker)) if marker in ("`", "~") else 0
        if fence:
            if indent < 4 and run >= len(fence) and stripped[:1] == fence[0] and not stripped[run:].strip():
                fence = ""
            out.append("")
            continue
        if indent < 4 and run >= 3:
            fence = marker * run
            out.append("")
            continue
        out.append(_plain_without_code_spans(line))
    return "\n".join(out)


def _plain_without_code_spans(line: str) -> str:
    """The reading ``links._without_code_spans`` must equal: backticks found one by one, blanked one by one."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while True:
        i = line.find("`", i)
        if i < 0:
            break
        j = i
        while j < n and line[j] == "`":
            j += 1
        runs.append((i, j))
        i = j
    if len(runs) < 2:
        return line
    by_length: dict[int, list[int]] = {}
    for r, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(r)
    chars = list(line)
    r = 0
    while r < len(runs):
        a, b = runs[r]
        same = by_length[b - a]
        k = bisect_right(same, r)
        if k == len(same):
            r += 1
            continue
        close = same[k]
        for p in range(a, runs[close][1]):
            chars[p] = " "
        r = close + 1
    return "".join(chars)


_CODE_PIECES = st.sampled_from([
    "`", "``", "```", "````", "~", "~~~", "~~~~", " ", "   ", "    ", "\t", "\n", "\r", "\r\n", "x", "py",
    "[a](b)", "<a href=j:x>", "\u00a0", "\u2028", "\x85",
])


@given(st.lists(_CODE_PIECES, max_size=60).map("".join))
@example("```\ncode\n```\n`span` [a](javascript:x)")
@example("~~~~\n~~~\n~~~~ \nafter")
@example("   ```py\n    ```\n```\nx")
@settings(max_examples=1500)
def test_code_is_blanked_as_by_reading_every_line(text: str) -> None:
    assert links._without_code(text) == _plain_without_code(text)


def test_code_is_blanked_as_by_reading_every_line_in_real_narratives() -> None:
    files = _site_markdown()
    assert len(files) > 50
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        assert links._without_code(text) == _plain_without_code(text), f


@given(st.lists(st.sampled_from(["`", "``", "```", "x", " ", "[a](b)", "\u00e9"]), max_size=40).map("".join))
@example("`a` ``b`` `c`` ``")
@settings(max_examples=1500)
def test_code_spans_are_blanked_as_by_reading_every_backtick(line: str) -> None:
    assert links._without_code_spans(line) == _plain_without_code_spans(line)


def _plain_urls(text: str) -> list[FoundUrl]:
    """The reading ``links.urls`` must equal: code taken out line by line, then every destination and tag read."""
    prose = _plain_without_code(text)
    starts = [0, *(i + 1 for i, c in enumerate(prose) if c == "\n")]
    found = [FoundUrl(bisect_right(starts, pos) - 1, "link", url) for pos, url in links._markdown_destinations(prose)]
    found += [FoundUrl(bisect_right(starts, pos) - 1, f"<{tag} {attr}>", url)
              for pos, tag, attr, url in links._html_attributes(prose)]
    return sorted(found, key=lambda f: f.line)


_URL_PIECES = st.sampled_from([
    "]", "](", "]:", "[a]", "(", ")", ":", "<", "<a", "<a href=", "<img src='", "<!--", "-->", ">", "'", '"',
    "`", "```", "~~~", "    ", " ", "\n", "x", "javascript:x", "&#x09;", "srcset=", "a.png 1x, j:y 2x",
])


@given(st.lists(_URL_PIECES, max_size=50).map("".join))
@example("[a]\n(javascript:x)")
@example("x ]\n```\n(j:y)\n```\n: z")
@settings(max_examples=2000)
def test_urls_are_found_as_by_reading_every_line(text: str) -> None:
    assert links.urls(text) == _plain_urls(text)


def test_urls_are_found_as_by_reading_every_line_in_real_narratives() -> None:
    files = _site_markdown()
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        assert links.urls(text) == _plain_urls(text), f


def _site_markdown() -> list[Path]:
    """Every Markdown file of the sample site, the scaffold and the test fixtures."""
    root = Path(__file__).parent.parent
    folders = [("disclosures",), ("content",), ("tests", "fixtures"), ("osqi_site", "scaffold_files")]
    return sorted(f for folder in folders for f in root.joinpath(*folder).rglob("*.md"))
