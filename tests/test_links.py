"""The narrative URL scan: every kind of destination with its line, code skipped, linear on any input."""

from __future__ import annotations

import time

import pytest

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
