"""The narrative: its sections, split at headings outside fenced code as by reading every line; its plain summary,
one line made once per body, then cut at each length asked for."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from osqi_site.core import narrative
from osqi_site.core.narrative import Section, plain_summary, section_text

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def _plain_sections(body: str) -> tuple[Section, ...]:
    """The reading ``narrative.sections`` must equal: every line looked at in turn (the first version)."""
    out: list[Section] = []
    current: tuple[str, int, int] | None = None
    buf: list[str] = []
    for i, (line, code) in enumerate(_plain_code_marked(body.split("\n"))):
        heading = None if code else narrative.atx_heading(line)
        if heading:
            if current is not None:
                out.append(Section(current[0], current[1], current[2], "\n".join(buf).strip()))
            current, buf = (heading[1], heading[0], i), []
        else:
            buf.append(line)
    if current is not None:
        out.append(Section(current[0], current[1], current[2], "\n".join(buf).strip()))
    return tuple(out)


_PIECES = st.sampled_from([
    "#", "## ", "### ", "####### ", "# T", "## Summary", "Summary", " ", "   ", "\t", "\n", "\r", "\u00a0",
    "\u2028", "\u3000", "\x1c", "```", "````", "~~~", "`", "~", "x", "#", " #",
])


@given(st.lists(_PIECES, max_size=60).map("".join))
@example("## A\ntext\n```\n## not a heading\n```\n## B\n")
@example("text first\n# One\n~~~\n# code\n~~~~\n## Two ##\n")
@example("# A\n\t```\n## in code\n```\n## B\n")  # white space other than spaces before a fence
@example("# A\n\u3000~~~\n# in code\n ~~~\n## B\n")
@settings(max_examples=2000)
def test_sections_split_as_by_reading_every_line(body: str) -> None:
    assert narrative.sections(body) == _plain_sections(body)


def test_lstrip_takes_off_what_the_fence_pattern_reads_as_white_space() -> None:
    # sections() looks for fences in str.lstrip()'s text: the two must agree on every character.
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if bool(re.match(r"\s", c)) != (c.lstrip() == "")] == []


def test_sections_split_as_by_reading_every_line_in_real_narratives() -> None:
    files = _site_markdown()
    assert len(files) > 50
    for f in files:
        body = f.read_text(encoding="utf-8", errors="replace")
        assert narrative.sections(body) == _plain_sections(body), f
        assert list(narrative.code_marked(body.split("\n"))) == _plain_code_marked(body.split("\n")), f


def _plain_code_marked(lines: list[str]) -> list[tuple[str, bool]]:
    """The reading ``narrative.code_marked`` must equal: the fence pattern tried on every line."""
    out = []
    fence: str | None = None
    for line in lines:
        m = _FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        out.append((line, bool(m) or fence is not None))
    return out


@given(st.lists(_PIECES, max_size=60).map("".join))
@settings(max_examples=1000)
def test_code_is_marked_as_by_trying_the_fence_on_every_line(body: str) -> None:
    assert list(narrative.code_marked(body.split("\n"))) == _plain_code_marked(body.split("\n"))


def _site_markdown() -> list[Path]:
    """Every Markdown file of the sample site, the scaffold and the test fixtures."""
    root = Path(__file__).parent.parent
    folders = [("disclosures",), ("content",), ("tests", "fixtures"), ("osqi_site", "scaffold_files")]
    return sorted(f for folder in folders for f in root.joinpath(*folder).rglob("*.md"))


def _plain_summary_uncached(body: str, limit: int) -> str:
    """``plain_summary`` spelled out in one piece, as it was before the uncut line was cached per body."""
    text = section_text(body, "Summary") or ""
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = narrative._unlink(text)
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


_words = st.lists(st.sampled_from(["word", "`code`", "**bold**", "_em_", "[link](x.html)", "![img](y.png)", "a,",
                                   "b;", " ", "\n", "x" * 30, "é", "…"]), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(summary=_words, other=_words, limits=st.lists(st.integers(min_value=1, max_value=400), min_size=1,
                                                     max_size=5))
def test_plain_summary_at_every_length_is_the_uncached_one(summary: str, other: str, limits: list[int]) -> None:
    body = f"## Summary\n\n{summary}\n\n## Discovery\n\n{other}\n"
    # The same body at several lengths in a row, as a page, a search entry and a CVE description ask for it:
    # the cached line must never carry one length's cut into the next.
    for limit in [*limits, 300, 160, 200, 4095, *reversed(limits)]:
        assert plain_summary(body, limit) == _plain_summary_uncached(body, limit)


def test_plain_summary_is_cut_per_call() -> None:
    body = "## Summary\n\n" + " ".join(f"w{i}" for i in range(100)) + "\n"
    assert plain_summary(body, 20) == "w0 w1 w2 w3 w4 w5…"
    assert plain_summary(body, 1000).endswith("w98 w99")
    assert plain_summary(body, 20) == "w0 w1 w2 w3 w4 w5…"
