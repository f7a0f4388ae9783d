"""The narrative body: its ``##`` sections, the required ones, and its HTML for feeds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import markdown

from .sanitize import clean

REQUIRED_SECTIONS = ("Summary", "Discovery")
MARKDOWN_EXTENSIONS = ("tables", "fenced_code", "sane_lists", "attr_list", "def_list", "abbr", "footnotes")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


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
    out: list[Section] = []
    current: tuple[str, int, int] | None = None
    buf: list[str] = []
    fence: str | None = None
    for i, line in enumerate(body.split("\n")):
        m_fence = _FENCE.match(line)
        if m_fence:
            marker = m_fence.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        m = None if fence is not None or m_fence else _HEADING.match(line)
        if m:
            if current is not None:
                out.append(Section(current[0], current[1], current[2], "\n".join(buf).strip()))
            current, buf = (m.group(2), len(m.group(1)), i), []
        else:
            buf.append(line)
    if current is not None:
        out.append(Section(current[0], current[1], current[2], "\n".join(buf).strip()))
    return tuple(out)


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
    text = section_text(body, "Summary") or ""
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@lru_cache(maxsize=4096)
def to_html(text: str) -> str:
    """Markdown to sanitised HTML (``sanitize.clean``, the policy of the pages), for the feeds."""
    return clean(markdown.markdown(text, extensions=list(MARKDOWN_EXTENSIONS), output_format="html"))
