"""The HTML and URL policy: hostile markup loses everything active, legitimate Markdown output stays as it is."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import lxml.html
import markdown
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from xss import active_content

from osqi_site.core import narrative, sanitize
from osqi_site.pages import convert, generated

SITE_EXTENSIONS = ("tables", "attr_list", "md_in_html", "admonition", "def_list", "footnotes", "toc")
SITE_RECIPE = convert.Recipe(SITE_EXTENSIONS, {"toc": {"permalink": True}})
"""The sample site's ``markdown_extensions`` (mkdocs.yml)."""

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x OnErRoR=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="  JAVASCRIPT:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "<object data=javascript:alert(1)></object><embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><input type=submit formaction=javascript:alert(1)></form>',
    "<details open ontoggle=alert(1)>x</details>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    "<base href=javascript:alert(1)//>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    '<table><td background="javascript:alert(1)">x</td></table>',
    "<a href=\"#\" onclick=\"alert(1)\">x</a>",
]


@pytest.mark.parametrize("html", HOSTILE)
def test_clean_leaves_nothing_active(html: str) -> None:
    assert active_content(sanitize.clean(html)) == []
    assert active_content(html), "the case must be active before cleaning, or it tests nothing"


HOSTILE_NARRATIVES = [
    "## Summary\n\n<script>alert('n1')</script>\n",
    "## Summary\n\nText <img src=x onerror=alert('n2')> inline.\n",
    "## Summary\n\n[click](javascript:alert('n3'))\n",
    "## Summary\n\n[click][x]\n\n[x]: javascript:alert('n4')\n",
    "## Summary\n\n![img](javascript:alert('n5'))\n",
    "## Summary\n\n[click](jav&#x09;ascript:alert('n6'))\n",
    "## Summary\n\n<svg onload=alert('n7')></svg>\n",
    "## Summary\n\n<iframe src=\"https://evil.example/\"></iframe>\n",
    "## Summary\n\n<!-- hidden <script>alert('n9')</script> -->\n",
    "## Summary {: onclick=\"alert('n10')\" }\n\nText.\n",
    "## Summary\n\nText.\n{: onmouseover=\"alert('n11')\" style=\"position:fixed;inset:0\" }\n",
    "## <img src=x onerror=alert('n12')>\n\nText.\n",
    "## Summary\n\n<div markdown=\"1\">\n<a href=\"javascript:alert('n13')\">x</a>\n</div>\n",
    "## Summary\n\nA footnote[^1].\n\n[^1]: <script>alert('n14')</script>\n",
    "## Summary\n\n<details ontoggle=alert('n15') open><summary>x</summary></details>\n",
    "## Summary\n\n!!! note \"<img src=x onerror=alert('n16')>\"\n    Body.\n",
    "## Summary { data-toc-label=\"<img src=x onerror=alert('n17')>\" }\n\nText.\n",
]


@pytest.mark.parametrize("body", HOSTILE_NARRATIVES)
def test_pages_and_feeds_convert_hostile_narratives_to_inert_html(body: str) -> None:
    page = convert.to_html(body, SITE_RECIPE)
    assert active_content(page.html) == []
    assert active_content(narrative.to_html(body)) == []
    for token in page.toc:  # themes print a title as HTML
        assert all("<" not in value for value in token.values() if isinstance(value, str)), token


def test_template_syntax_is_published_as_text() -> None:
    body = "## Summary\n\n{{ config.site_url }} {% include 'x' %} ${jndi:ldap://x}\n"
    assert "{{ config.site_url }} {% include 'x' %} ${jndi:ldap://x}" in convert.to_html(body, SITE_RECIPE).html


LEGITIMATE = """\
## Summary

A **heap overflow** in `libfoo` with *emphasis*, a [link](https://example.org/a?b=1&c=2), a
[relative link](../OSQI-2026-0002/), [mail](mailto:security@example.org) and a footnote[^1].
The HTML spec is maintained by the W3C.

*[HTML]: Hyper Text Markup Language

| Left | Centre | Right |
|:-----|:------:|------:|
| 1    | 2      | 3     |

!!! warning "Upgrade now"
    The fixed release is 1.2.3.

Term
:   Its definition.

![crash](crash.png){: width="300" }

Paragraph with a class.
{: .osqi-note #custom-id }

<details markdown="1"><summary>More</summary>

Hidden *detail*.

</details>

<kbd>Ctrl</kbd>+<kbd>C</kbd>, H<sub>2</sub>O, x<sup>2</sup>, <del>old</del> <ins>new</ins>.

```c
int main(void) { return 0; }  /* <not a tag> & "quotes" */
```

1. one
2. two

[^1]: The footnote text.
"""


@pytest.mark.parametrize("extensions", [
    (*SITE_EXTENSIONS, "abbr", "fenced_code"),
    narrative.MARKDOWN_EXTENSIONS,
])
def test_legitimate_markdown_output_is_kept(extensions: tuple[str, ...]) -> None:
    # Both the site's extensions and the feeds': cleaning may respell the markup, never change the tree.
    raw = markdown.markdown(LEGITIMATE, extensions=list(extensions), extension_configs={"toc": {"permalink": True}})
    assert _tree(sanitize.clean(raw)) == _tree(raw)


def _tree(html: str) -> list[str]:
    """The elements as lxml spells them, with CSS declarations spelled one way (nh3 drops the spaces) and
    without ``markdown="1"``, which only an extension the feeds do not load would have consumed."""
    out = []
    for el in lxml.html.fragments_fromstring(html):
        if isinstance(el, str):
            continue
        for styled in el.iter():
            if isinstance(styled.tag, str):
                styled.attrib.pop("markdown", None)
            if isinstance(styled.tag, str) and "style" in styled.attrib:
                styled.attrib["style"] = styled.attrib["style"].replace(" ", "").rstrip(";")
        out.append(lxml.html.tostring(el, encoding="unicode"))
    return out


def test_the_table_alignment_is_the_one_style_kept() -> None:
    raw = '<table><tr><td style="text-align: center; color: red">x</td></tr></table><p style="color:red">y</p>'
    assert sanitize.clean(raw) == '<table><tbody><tr><td style="text-align:center">x</td></tr></tbody></table><p>y</p>'


def test_placeholders_are_kept_and_each_stretch_is_cleaned_on_its_own() -> None:
    from osqi_site.pages.generated import PLACEHOLDER

    placeholder = "<!--osqi-block:0123456789abcdef:0-->"
    html = f"<p>open <b>bold\n{placeholder}\n<script>alert(1)</script><p>after</p><!-- comment -->"
    cleaned = sanitize.clean_around(html, PLACEHOLDER)
    assert cleaned == f"<p>open <b>bold\n</b></p>{placeholder}\n<p>after</p>"


def _clean_around_uncached(html: str) -> str:
    """``clean_around`` as it was: nh3 on every stretch, none remembered."""
    from osqi_site.pages.generated import PLACEHOLDER

    cleaner = sanitize._cleaner()
    out, start = [], 0
    for m in PLACEHOLDER.finditer(html):
        out += [str(cleaner.clean(html[start:m.start()])), m.group(0)]
        start = m.end()
    return "".join([*out, str(cleaner.clean(html[start:]))])


_STRETCHES = st.one_of(
    st.sampled_from(["", "\n\n", '\n<h2 id="timeline">Timeline<a class="headerlink" href="#timeline">&para;</a></h2>\n',
                     "<p>open <b>bold\n", "<script>alert(1)</script>", "<!-- c -->", "</div>", "<table><tr><td>x",
                     "<p>" + "word " * 200 + "</p>"]),
    st.lists(st.sampled_from(["<", ">", "&", "p", "/", "a href=javascript:x", "\n", " ", "é", "b"]),
             max_size=40).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(_STRETCHES, min_size=1, max_size=8), st.integers(min_value=0, max_value=3))
def test_clean_around_is_the_uncached_stretch_by_stretch_clean(stretches: list[str], repeat: int) -> None:
    # Short stretches are cleaned once each and remembered: the same page cleaned again, and pages sharing
    # stretches, must come out exactly as if every stretch were cleaned anew.
    html = "".join(f"{text}<!--osqi-block:0123456789abcdef:{i}-->" for i, text in enumerate(stretches))
    for page in [html] * (repeat + 1) + [html + stretches[0]]:
        assert sanitize.clean_around(page, generated.PLACEHOLDER) == _clean_around_uncached(page)


@given(st.lists(st.sampled_from(["Summary", "<em>Root</em> cause", "<script>x</script>", "&amp;", "<", "a&b",
                                 "<img src=x onerror=alert(1)>", "é", " "]), max_size=6).map("".join))
def test_clean_text_is_the_uncached_text_cleaner(html: str) -> None:
    expected = str(sanitize._text_cleaner().clean(html))
    assert sanitize.clean_text(html) == expected
    assert sanitize.clean_text(html) == expected  # and again, from the cache


def test_a_long_stretch_is_not_remembered() -> None:
    sanitize._clean_short.cache_clear()
    long = "<p>" + "x" * sanitize.SHORT_STRETCH + "</p>"
    sanitize.clean_around(f"<p>a</p><!--osqi-block:0123456789abcdef:0-->{long}", generated.PLACEHOLDER)
    assert sanitize._clean_short.cache_info().currsize == 1  # the short one only: pages' narratives stay out


# -- generated narratives -------------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>",
    "<svg onload=alert(1)>", "<iframe src=//evil.example>", "<!--", "-->", "<style>", "</", "<", ">", "\"", "'",
    "javascript:", "jav&#x09;ascript:", "data:text/html,", "onerror=", " onclick=alert(1) ", "[x](", "](", ")",
    "![i](", "[r]: ", "{: onclick=alert(1) }", "{: style='x' }", "`", "```\n", "\n", "\n\n", "## ", "!!! note\n    ",
    "<div markdown=1>", "</div>", "<details open ontoggle=alert(1)>", "<math>", "<mglyph>", "<noscript>",
    "<a href=\"#\" onmouseover=\"x\">", "&lt;script&gt;", "&#60;", "&", "{{ x }}", "[^1]", "[^1]: ", "|a|b|\n|-|-|\n",
])


@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=30))
def test_no_generated_narrative_publishes_active_content(pieces: list[str]) -> None:
    body = "".join(pieces)
    assert active_content(convert.to_html(body, SITE_RECIPE).html) == []
    assert active_content(narrative.to_html(body)) == []


# -- URLs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "scheme"), [
    ("javascript:alert(1)", "javascript"),
    ("JaVaScRiPt:alert(1)", "javascript"),
    ("  \x01\x1fjavascript:alert(1)", "javascript"),
    ("java\tscript:alert(1)", "javascript"),
    ("java\nscr\ript:alert(1)", "javascript"),
    ("data:text/html,x", "data"),
    ("vbscript:msgbox", "vbscript"),
    ("https://example.org/", "https"),
    ("mailto:a@example.org", "mailto"),
    ("poc.c", None),
    ("../OSQI-2026-0002/", None),
    ("#fn:1", None),
    ("//example.org/x", None),
    ("java%73cript:alert(1)", None),  # a percent-escape is no scheme: a browser takes it as a relative path
    ("1javascript:alert(1)", None),
])
def test_url_scheme_is_what_a_browser_reads(url: str, scheme: str | None) -> None:
    assert sanitize.url_scheme(url) == scheme


@pytest.mark.parametrize("url", ["jav&#x09;ascript:alert(1)", "javascript&colon;alert(1)", "&#106;avascript:x",
                                 "&NewLine;javascript:alert(1)"])
def test_scheme_problem_decodes_entities_first(url: str) -> None:
    problem = sanitize.scheme_problem(url, ("http", "https"), relative=True)
    assert problem is not None and "uses the scheme 'javascript:'" in problem


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b#c", True),
    ("http://localhost:8080/x", True),
    ("https://xn--bcher-kva.example/", True),
    ("https://example", False),
    ("HTTPS://example.org/", False),  # canonical spelling only, as before
    ("https://exa mple.org/", False),
    ("https://example.org/\u200b", False),
    ("https://[::1/", False),
    ("https://evil.example\\@example.org/x", False),  # browsers go to evil.example, urlsplit reads example.org
    ("https://example.org\\x", False),
    ("java\tscript:alert(1)", False),
    ("ftp://example.org/", False),
])
def test_http_url_problem(url: str, ok: bool) -> None:
    assert (sanitize.http_url_problem(url) is None) is ok


def test_the_http_url_check_is_linear() -> None:
    import time

    started = time.perf_counter()
    sanitize.http_url_problem("https://" + "a." * 200_000 + " ")
    assert time.perf_counter() - started < 1.0


def test_the_space_is_the_only_printable_white_space() -> None:
    # http_url_problem looks for " " alone in a printable URL: every other white space must be unprintable.
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if c.isprintable() and c.isspace()] == [" "]


@given(st.lists(st.sampled_from(["h", "t", "p", "s", ":", "/", ".", "a", "x", "A", "0", "-", "_", "8080", "[", "]",
                                 "@", "?", "#", " ", "\\", "\t",
                                 "\n", "\u00a0", "\u2003", "\u200b", "\x00", "\x85", "%", "localhost", "http://",
                                 "https://"]), max_size=30).map("".join)
       .map(lambda rest: rest if rest.startswith("h") else "https://" + rest) | st.text(max_size=30))
@example("https://example.org/a b")
@example("https://example.org/\u2003")
@example("https://example.org/\n")
@example("http://LOCALHOST/").via("a host urlsplit lower-cases")
@example("https://x@localhost/").via("a user before the host")
@example("https://example.org:8080/").via("a port")
@example("https://localhost").via("a host alone")
@settings(max_examples=2000)
def test_http_url_problem_equals_the_plain_rule(url: str) -> None:
    assert sanitize.http_url_problem(url) == _plain_http_url_problem(url)


def _plain_http_url_problem(url: str) -> str | None:
    """The rule as first written: every white space looked for, the message made before deciding."""
    bad = f"{sanitize.shown(url)} is not an http(s) URL"
    if not url.startswith(("http://", "https://")) or sanitize.browser_form(url) != url or not url.isprintable():
        return bad
    if any(c.isspace() for c in url) or "\\" in url:
        return bad
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return bad
    return None if "." in host.strip(".") or host == "localhost" else bad
