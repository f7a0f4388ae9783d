"""Bounded time: crafted worst cases pass through check and build within seconds, and the linear rewrites of
the heading, link and URL patterns decide exactly what those patterns decided."""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from factory import disclosure_text
from hypothesis import given
from hypothesis import strategies as st
from sitefixture import build, init_project, make_project

from osqi_site import cli
from osqi_site.core import narrative, sanitize
from osqi_site.core.loader import MAX_LINE_CHARS, parse_text

SECONDS = 3.0
"""What any one of these inputs may take; each took minutes or hours before its guard."""

# The patterns the rewrites replaced, kept here only as the reference the rewrites must equal.
_OLD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_OLD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# --- the rewritten functions, on their old worst cases ----------------------------------------------------


def test_a_heading_with_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    line = "## a" + " " * 3_000 + "b"  # the old pattern: cubic, about a minute
    assert _timed(lambda: narrative.sections(line + "\n")) < SECONDS
    assert narrative.atx_heading(line) == (2, line[3:])


def test_the_summary_of_unclosed_brackets_is_made_in_linear_time() -> None:
    body = "## Summary\n\n" + "[" * 60_000  # the old pattern: quadratic, about 15 s
    assert _timed(lambda: narrative.plain_summary(body)) < SECONDS


def test_a_url_with_many_dots_is_checked_in_linear_time() -> None:
    for url in ("https://" + "a." * 12_000 + " ", "https://" + "a." * 12_000 + "/" + "%" * 12_000):
        # the pattern it replaced: quadratic, about 10 s on the first
        start = time.perf_counter()
        sanitize.http_url_problem(url)
        assert time.perf_counter() - start < SECONDS
    assert sanitize.http_url_problem("https://" + "a." * 12_000 + " ") is not None


@given(st.text(alphabet="# \t\u00a0\u2003a#\x0b\x0c\r", max_size=24))
def test_atx_heading_equals_the_pattern_it_replaced(line: str) -> None:
    m = _OLD_HEADING.match(line)
    assert narrative.atx_heading(line) == (None if m is None else (len(m.group(1)), m.group(2)))


@given(st.text(alphabet="![]()a \n", max_size=40))
def test_link_stripping_equals_the_pattern_it_replaced(text: str) -> None:
    assert narrative._unlink(text) == _OLD_LINK.sub(r"\1", text)


# --- check, the real command, on crafted worst cases ------------------------------------------------------

RUNS = {  # one line of each, as the Summary's text (over the line limit where the run is long)
    "heading-spaces": "## a" + " " * 9_000 + "b",
    "spaces": " " * 20_000 + "x",
    "hashes": "#" * 20_000,
    "stars": "*" * 9_999,
    "underscores": "_" * 9_999,
    "brackets": "[" * 9_999,
    "link-openers": "[](" * 3_333,
    "image-openers": "![" * 4_999,
    "backticks": "`" * 9_999,
    "less-than": "<" * 9_999,
    "unclosed-tags": "<a " * 3_333,
    "ampersands": "&" * 9_999,
    "long-word": "x" * 50_000,
}

SHAPES = {  # whole narratives: many lines
    "many-headings": "".join(f"## H{i}\n\ntext\n\n" for i in range(20_000)),
    "paragraph-of-brackets": "[a\n" * 5_000,
    "nested-quotes": "".join(">" * i + " a\n" for i in range(1, 400)),
    "nested-lists": "".join("  " * i + "- a\n" for i in range(400)),
    "one-huge-paragraph": ("word " * 20 + "\n") * 2_400,
    "many-links": "[a](https://example.org/) " * 30 + "\n",
}


def _write(root: Path, name: str, summary: str) -> Path:
    folder = root / "disclosures" / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    ident = f"OSQI-2026-{9000 + sorted({**RUNS, **SHAPES}).index(name):04d}"
    path = folder / f"{ident}.md"
    path.write_text(disclosure_text(id=ident, seal=hashlib.sha256(ident.encode()).hexdigest(),
                                    body=f"\n## Summary\n\n{summary}\n\n## Discovery\n\nFuzzing.\n"),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted({**RUNS, **SHAPES}))
def test_check_on_a_crafted_worst_case_takes_seconds(name: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = init_project(tmp_path)
    _write(root, name, {**RUNS, **SHAPES}[name])
    took = _timed(lambda: cli.main(["check", "-f", str(root / "mkdocs.yml")]))
    assert took < SECONDS, f"check took {took:.1f} s"
    assert "Traceback" not in capsys.readouterr().err


def test_a_line_over_the_limit_is_a_located_error() -> None:
    text = disclosure_text(body="\n## Summary\n\n" + "x" * (MAX_LINE_CHARS + 1) + "\n")
    doc, problems = parse_text("d.md", text.encode())
    line = text.split("\n").index("x" * (MAX_LINE_CHARS + 1)) + 1
    assert doc is None
    assert [str(p) for p in problems] == [f"d.md:{line}: file: line {line} is longer than 10000 characters; break it"]


@pytest.mark.parametrize(("body", "line", "message"), [
    ("a\n" * 130_000, 0, "the narrative is 260000 characters long (at most 250000); move long listings into "
                         "attachments"),
    ("\nx\n\n" + "word word\n" * 2_001, 3, "paragraph of more than 20000 characters without a blank line; split it"),
    ("\nok\n" + "[" * 17 + "\n", 2, "17 '[' open at once (at most 16); close them or escape them as \\["),
    ("\n" + "<a " * 17 + "\n", 1, "17 '<' starting an HTML tag with no '>' after them (at most 16); write &lt; or "
                                "put the text in a code block"),
])
def test_a_narrative_past_a_shape_limit_is_a_located_error(body: str, line: int, message: str) -> None:
    assert narrative.shape_problems(body) == [(line, message)]


@pytest.mark.parametrize("body", [
    "[" * 16 + "\n",  # at the limits: accepted
    "\\[" * 100 + "\n",  # escaped brackets open nothing
    ("[a] " * 100 + "\n") * 10,  # closed ones neither
    "[" * 10 + "\n\n" + "[" * 10 + "\n",  # a blank line ends the paragraph and its brackets
    "<a " * 100 + ">\n",  # a '>' after them: Markdown's HTML parser stops there
    "x\n" * 10_000,
])
def test_a_narrative_within_the_limits_has_no_shape_problem(body: str) -> None:
    assert narrative.shape_problems(body) == []


@given(st.lists(st.sampled_from(["## Summary", "## Discovery", "", "text", "[", "]", "[a](b)", "![x](", "`", "```",
                                 "<a ", "<b>", "&amp", "*", "_", "> ", "- ", "    code", "#", "\\[", "|a|b|",
                                 "|-|-|", ": def", "[^1]", "[^1]: n"]), max_size=60),
       st.integers(min_value=1, max_value=200))
def test_any_generated_narrative_is_checked_and_converted_within_seconds(parts: list[str], repeat: int) -> None:
    body = "\n".join(part * (repeat if part in ("[", "`", "<a ", "*", "_") else 1) for part in parts) + "\n"

    def everything() -> None:
        narrative.shape_problems(body)
        narrative.sections(body)
        narrative.plain_summary(body)
        narrative.to_html.__wrapped__(body)  # not from the cache

    assert _timed(everything) < SECONDS


def test_build_of_a_narrative_at_the_limits_takes_seconds(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    para = "\n".join(["`a" * 40, "<a>" * 26, "*" * 79, "[a](https://example.org/) " * 3] * 60)  # ~17 KB
    body = ("\n## Summary\n\n" + "[" * narrative.MAX_OPEN_BRACKETS + " open brackets\n\n## Discovery\n\n"
            + "\n\n".join([para] * 5) + "\n")
    assert narrative.shape_problems(body) == [] and len(body) > 80_000
    (root / "disclosures" / "2026" / "OSQI-2026-0009.md").write_text(
        disclosure_text(id="OSQI-2026-0009", embargo_until="2026-03-01T00:00:00Z", seal="09" * 32,
                        timeline=[{"date": "2026-01-01", "event": "discovered"}], body=body), encoding="utf-8")
    took = _timed(lambda: build(root, tmp_path / "site"))
    assert (tmp_path / "site" / "disclosures" / "OSQI-2026-0009" / "index.html").is_file()
    assert took < 10 * SECONDS, f"build took {took:.1f} s"


# --- content and project pages: the same bounds, before MkDocs renders them -------------------------------

_WITHHELD = "---\ntitle: Hushhush acquisition\nembargo_until: 2027-06-01T12:00:00Z\n---\n# Hushhush\n\ntext\n\n"
_BRACKETS = "'[' open at once (at most 16); close them or escape them as \\["


@pytest.mark.parametrize(("page", "tail", "line", "message"), [
    # A withheld page is rendered by the content gate, a public one by MkDocs: both took 12 s per 9,000 '['.
    ("merger-plans.md", _WITHHELD + "[" * 9_000 + "\n", 9, f"body: 9000 {_BRACKETS}"),
    ("notes.md", "# Notes\n\n" + ("[" * 9_000 + "\n") * 2, 4, f"body: 18000 {_BRACKETS}"),
    ("projects/exampleparse.md", "\n" + "[" * 9_000 + "\n", 2, f"body: 9000 {_BRACKETS}"),  # appended
    ("long.md", "# Long\n\n" + "x" * (MAX_LINE_CHARS + 1) + "\n", 3,
     "file: line 3 is longer than 10000 characters; break it"),
    ("paragraph.md", "# P\n\n" + "word word\n" * 2_001, 3,
     "body: paragraph of more than 20000 characters without a blank line; split it"),
    ("tags.md", _WITHHELD + "<a " * 3_333 + "\n", 9, "body: 3333 '<' starting an HTML tag with no '>' after them "
                                                     "(at most 16); write &lt; or put the text in a code block"),
])
def test_a_content_page_past_a_shape_limit_fails_check_and_build_within_seconds(
        page: str, tail: str, line: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = init_project(tmp_path)
    path = root / "content" / page
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(before + tail, encoding="utf-8")
    located = f"content/{page}:{before.count(chr(10)) + line}: {message}"
    for args in (["check"], ["build", "-d", str(tmp_path / "site"), "--as-of", "2026-06-01T00:00:00Z"]):
        capsys.readouterr()
        took = _timed(functools.partial(cli.main, [args[0], "-f", str(root / "mkdocs.yml"), *args[1:]]))
        err = capsys.readouterr().err.splitlines()
        assert took < SECONDS, f"{args[0]} took {took:.1f} s"
        assert located in err or f"ERROR: {located}" in err, err
    assert not (tmp_path / "site").exists()


def test_a_content_page_at_the_limits_builds(tmp_path: Path) -> None:
    root = init_project(tmp_path)
    (root / "content" / "ok.md").write_text("# OK\n\n" + "[" * 16 + " open\n\n" + "x" * MAX_LINE_CHARS + "\n\n"
                                            + "\\[" * 100 + "\n\n" + "<a " * 16 + "\n", encoding="utf-8")
    assert build(root, tmp_path / "site") == 0
    assert (tmp_path / "site" / "ok" / "index.html").is_file()
