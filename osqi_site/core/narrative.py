"""The narrative body: its ``##`` sections, the required ones, and its HTML for feeds."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from osqi_site.core.sanitize import clean

REQUIRED_SECTIONS = ("Summary", "Discovery")
MARKDOWN_EXTENSIONS = ("tables", "fenced_code", "sane_lists", "attr_list", "def_list", "abbr", "footnotes")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_FENCE_STARTS = ("```", "~~~")
"""How the text of a line ``_FENCE`` matches starts (``str.lstrip`` takes off the white space ``\\s`` matches)."""

# Python-Markdown's own worst cases, measured (see README "Bounded time"): its link pattern rescans from every
# open '[' to the end of the paragraph, its inline patterns cost more than linear time in a paragraph's
# length, and its HTML parser rescans the rest of the text from every '<tag' that no '>' follows. These
# limits keep every conversion of a narrative within seconds; real narratives stay far below them.
MAX_NARRATIVE_CHARS = 250_000
MAX_PARAGRAPH_CHARS = 20_000
MAX_OPEN_BRACKETS = 16
MAX_UNCLOSED_TAGS = 16
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_BRACKET = re.compile(r"\\.|[\[\]]")
"""A bracket, or a backslash escape (consumed whole: ``\\[`` opens nothing)."""


@dataclass(frozen=True)
class Section:
    title: str
    level: int
    line: int
    """Line offset within the body, 0-based."""
    text: str


@lru_cache(maxsize=16384)
def sections(body: str) -> tuple[Section, ...]:
    """Split the body at ATX headings, ignoring anything inside fenced code blocks.

    Cached: validation, alarms, summaries and statistics each ask for sections of the same body.
    """
    lines = body.split("\n")
    # Only a line with a '#' first can be a heading, and only one whose text starts with ``` or ~~~ a fence
    # (which alone opens or closes code): the others are taken whole, between the headings.
    # tests/test_narrative.py holds this to looking at every line.
    marked = [i for i, line in enumerate(lines) if line[:1] == "#" or line.lstrip()[:3] in _FENCE_STARTS]
    headings = [(i, heading) for i, (line, code) in zip(marked, code_marked(lines[i] for i in marked), strict=True)
                if not code and (heading := atx_heading(line))]
    if not headings:
        return ()
    ends = [i for i, _ in headings[1:]] + [len(lines)]
    return tuple(Section(title, level, i, "\n".join(lines[i + 1:end]).strip())
                 for (i, (level, title)), end in zip(headings, ends, strict=True))


def code_marked(lines: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Each line with whether it is fenced code: a ``` or ~~~ fence line, or a line between an opening fence and
    its closing one (the same character, at least three, up to three spaces in)."""
    fence: str | None = None
    for line in lines:
        m = _FENCE.match(line) if "`" in line or "~" in line else None  # most lines have neither: C speed
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        yield line, bool(m) or fence is not None


def atx_heading(line: str) -> tuple[int, str] | None:
    """``(level, title)`` of an ATX heading line (``## Title ##``), else ``None``.

    What ``^(#{1,6})\\s+(.*?)\\s*#*\\s*$`` matches, found with string operations instead: that pattern's
    adjacent unbounded quantifiers took cubic time on a long line (``## a``, 5,000 spaces, ``b``: minutes).
    ``str.isspace`` and ``str.strip()`` use the same white-space set as the pattern's ``\\s``.
    """
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or not line[level:level + 1].isspace():
        return None
    # The shortest title the pattern allows: trailing white space, closing hashes, white space again removed.
    return level, line[level:].strip().rstrip("#").rstrip()


def section_line(body: str, title: str) -> int | None:
    """0-based line of the level-2 heading ``section_text`` reads for ``title``, or ``None``."""
    for s in sections(body):
        if s.level == 2 and s.title.casefold() == title.casefold():
            return s.line
    return None


def shape_problems(body: str) -> list[tuple[int, str]]:
    """``(0-based line, message)`` for each limit of the narrative's shape exceeded; linear time."""
    if len(body) > MAX_NARRATIVE_CHARS:
        return [(0, f"the narrative is {len(body)} characters long (at most {MAX_NARRATIVE_CHARS}); move long "
                    "listings into attachments")]
    return markdown_shape_problems(body)


def markdown_shape_problems(body: str) -> list[tuple[int, str]]:
    """``shape_problems`` but the narrative's length: the bounds on paragraphs, open '[' and unclosed '<tag' that
    any Markdown the site renders must keep (content and project pages too, whose length the file limit bounds)."""
    out: list[tuple[int, str]] = []
    start, size, depth, deepest = 0, 0, 0, (0, 0)
    # A shorter narrative has no longer paragraph, one with fewer '[' no deeper ones: most skip the walk.
    walk = len(body) > MAX_PARAGRAPH_CHARS or body.count("[") > MAX_OPEN_BRACKETS
    for i, line in enumerate(body.split("\n") if walk else ()):
        if not line.strip():
            start, size, depth = i + 1, 0, 0  # a blank line ends the paragraph: Markdown's inline scope
            continue
        size += len(line) + 1
        if size > MAX_PARAGRAPH_CHARS >= size - len(line) - 1:  # reported once per paragraph
            out.append((start, f"paragraph of more than {MAX_PARAGRAPH_CHARS} characters without a blank line; "
                               "split it"))
        if "[" in line or (depth and "]" in line):  # most lines have no bracket: skipped at C speed
            for m in _BRACKET.finditer(line):
                if m.group() == "[":
                    depth += 1
                    deepest = max(deepest, (depth, -i))
                elif m.group() == "]" and depth:
                    depth -= 1
    if deepest[0] > MAX_OPEN_BRACKETS:
        out.append((-deepest[1], f"{deepest[0]} '[' open at once (at most {MAX_OPEN_BRACKETS}); close them or "
                                "escape them as \\["))
    last_gt = body.rfind(">")
    unclosed = _TAG_START.findall(body, last_gt + 1)
    if len(unclosed) > MAX_UNCLOSED_TAGS:
        first = _TAG_START.search(body, last_gt + 1)
        at = body.count("\n", 0, first.start()) if first else 0
        out.append((at, f"{len(unclosed)} '<' starting an HTML tag with no '>' after them (at most "
                          f"{MAX_UNCLOSED_TAGS}); write &lt; or put the text in a code block"))
    return out


def section_text(body: str, title: str) -> str | None:
    """Text of the first level-2 section with this title (case-insensitive), including its sub-sections."""
    found: list[str] | None = None
    for s in sections(body):
        if found is None:
            if s.level == 2 and s.title.casefold() == title.casefold():
                found = [s.text]
        elif s.level <= 2:
            break
        else:
            found.append(f"{'#' * s.level} {s.title}\n{s.text}")
    return None if found is None else "\n\n".join(x for x in found if x).strip()


def plain_summary(body: str, limit: int = 300) -> str:
    """The Summary section as one line of plain text, cut at a word boundary."""
    text = _summary_line(body)
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@lru_cache(maxsize=16384)
def _summary_line(body: str) -> str:
    """The Summary section as one line of plain text, uncut.

    Cached: a disclosure's page, search entry and CVE description each ask for its summary, at different lengths.
    """
    text = section_text(body, "Summary") or ""
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = _unlink(text)
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)
    return " ".join(text.split())


def _unlink(text: str) -> str:
    """What ``re.sub(r"!?\\[([^\\]]*)\\]\\([^)]*\\)", r"\\1", text)`` makes of ``text``, in linear time.

    The pattern rescans to the end of the text from every ``[`` that is never closed (quadratic on
    ``[[[[…``); here the next ``]`` and ``)`` are looked up once and reused while they lie ahead.
    """
    out: list[str] = []
    done = 0  # text[:done] is settled (copied to ``out`` or replaced)
    pos = 0  # where the next ``[`` is looked for
    close = paren = -1  # the next ``]`` at or after the current ``[``, the next ``)`` after its ``](``
    while (start := text.find("[", pos)) >= 0:
        if close < start:
            close = text.find("]", start)
            if close < 0:
                break  # no ``]`` after this ``[``: nothing further can match
        pos = start + 1
        if text[close + 1:close + 2] != "(":
            continue
        if paren < close + 2:
            paren = text.find(")", close + 2)
            if paren < 0:
                break
        opener = start - 1 if start - 1 >= done and text[start - 1:start] == "!" else start
        out += (text[done:opener], text[start + 1:close])
        done = pos = paren + 1
    out.append(text[done:])
    return "".join(out)


@lru_cache(maxsize=4096)
def to_html(text: str) -> str:
    """Markdown to sanitised HTML (``sanitize.clean``, the policy of the pages), for the feeds."""
    import markdown  # here: ``check`` (a pre-commit hook) reads narratives but never renders one

    return clean(markdown.markdown(text, extensions=list(MARKDOWN_EXTENSIONS), output_format="html"))
