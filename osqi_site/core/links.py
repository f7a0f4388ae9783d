"""Every URL a narrative names (Markdown links, images, link definitions, raw-HTML attributes), with its line.

``check`` uses it to reject a script-bearing link where the author wrote it; the sanitiser (``sanitize``)
removes any such URL from the output whatever this scan finds, so the scan may err towards finding too much,
never the other way round for what it covers. Code (fenced blocks and code spans) is skipped: a disclosure of
a cross-site scripting bug may show its payload. One pass over the text, no backtracking: linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

URL_ATTRIBUTES = frozenset({
    "href", "src", "srcset", "action", "formaction", "poster", "background", "cite", "data", "longdesc", "lowsrc",
    "dynsrc", "ping", "usemap", "codebase", "archive", "classid", "manifest", "icon", "profile", "xlink:href",
})
"""HTML attributes whose value a browser loads or follows as a URL."""

_WHITESPACE = " \t\n\r\f"
_TAG_NAME_END = _WHITESPACE + "/>"
_ATTR_NAME_END = _WHITESPACE + "/>="


@dataclass(frozen=True)
class FoundUrl:
    line: int
    """0-based line within the text."""
    where: str
    """``link`` for Markdown, or ``<tag attribute>`` for raw HTML."""
    url: str


def urls(text: str) -> list[FoundUrl]:
    """Every URL of ``text`` (Markdown with raw HTML) outside code, in order."""
    if "<" not in text and "](" not in text and "]:" not in text:
        # Nothing opens a tag or a link destination; taking code out only blanks characters, so it opens none.
        return []
    prose = _without_code(text)
    links = _markdown_destinations(prose)
    attributes = _html_attributes(prose)
    if not links and not attributes:
        return []
    # Line starts found per line, not per character: this runs over every narrative of the archive.
    starts = [0, *(m.end() for m in re.finditer("\n", prose))]

    def line(pos: int) -> int:
        return bisect_right(starts, pos) - 1

    found = [FoundUrl(line(pos), "link", url) for pos, url in links]
    found += [FoundUrl(line(pos), f"<{tag} {attr}>", url) for pos, tag, attr, url in attributes]
    return sorted(found, key=lambda f: f.line)


_FENCE_LINE = re.compile(r"^ {0,3}(?:```|~~~)", re.MULTILINE)
"""A line that may open or close a fence: up to three spaces, then three backticks or tildes."""


def _without_code(text: str) -> str:
    """``text`` with fenced code blocks and code spans blanked out (newlines kept, so lines stay put).

    Only the lines that may open or close a fence (``_FENCE_LINE``) are looked at one by one; the stretches
    between them are blanked or have their code spans removed whole. tests/test_links.py holds this to the
    plain line-by-line reading."""
    out: list[str] = []
    fence = ""
    done = 0  # text[:done] is settled; it ends at a line start, or at the line feed that ends a fence
    for m in _FENCE_LINE.finditer(text):
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        stripped = text[m.start():end].lstrip(" ")
        marker = stripped[0]
        run = len(stripped) - len(stripped.lstrip(marker))
        if not fence:
            out.append(_without_spans(text[done:m.start()]))
            fence, done = marker * run, m.start()
        elif run >= len(fence) and marker == fence[0] and not stripped[run:].strip():
            out.append("\n" * text.count("\n", done, end))  # the fence and its lines, each made empty
            fence, done = "", end
    rest = text[done:]
    out.append("\n" * rest.count("\n") if fence else _without_spans(rest))
    return "".join(out)


def _without_spans(prose: str) -> str:
    """``prose`` (whole lines, none in a fence) with the code spans of each line blanked out."""
    if "`" not in prose:
        return prose
    return "\n".join(_without_code_spans(line) if "`" in line else line for line in prose.split("\n"))


_BACKTICKS = re.compile("`+")


def _without_code_spans(line: str) -> str:
    """The line with every backtick code span replaced by spaces (a span closes with a run of equal length)."""
    runs = [m.span() for m in _BACKTICKS.finditer(line)]
    if len(runs) < 2:
        return line
    by_length: dict[int, list[int]] = {}
    for r, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(r)
    out: list[str] = []
    done = 0  # line[:done] is settled
    r = 0
    while r < len(runs):
        a, b = runs[r]
        same = by_length[b - a]
        k = bisect_right(same, r)  # the next run of exactly this many backticks closes the span
        if k == len(same):
            r += 1
            continue
        close = same[k]
        end = runs[close][1]
        out += (line[done:a], " " * (end - a))
        done = end
        r = close + 1
    out.append(line[done:])
    return "".join(out)


def _markdown_destinations(prose: str) -> list[tuple[int, str]]:
    """``(position, destination)`` after every ``](`` (inline links and images) and ``]:`` (definitions)."""
    out: list[tuple[int, str]] = []
    pos = prose.find("]")
    while pos >= 0:
        opener = prose[pos + 1:pos + 2]
        if opener in ("(", ":"):
            start = pos + 2
            while start < len(prose) and prose[start] in _WHITESPACE:
                start += 1
            if prose[start:start + 1] == "<":
                end = prose.find(">", start)
                end = len(prose) if end < 0 else end
                url = prose[start + 1:end]
            else:
                end, depth = start, 0
                while end < len(prose) and prose[end] not in _WHITESPACE:
                    if prose[end] == "(":
                        depth += 1
                    elif prose[end] == ")":
                        if depth == 0:
                            break
                        depth -= 1
                    end += 1
                url = prose[start:end]
            if url:
                out.append((start, url))
            pos = max(pos, end - 1)  # never read a destination twice: linear time
        pos = prose.find("]", pos + 1)
    return out


def _html_attributes(prose: str) -> list[tuple[int, str, str, str]]:
    """``(position, tag, attribute, value)`` of every URL attribute of every raw HTML start tag.

    Tokenised as an HTML parser does (names lower-cased, quoted or bare values); a tag or comment left open
    takes the rest of the text, as it would in a browser, and the scan never goes back over it."""
    out: list[tuple[int, str, str, str]] = []
    n = len(prose)
    i = prose.find("<")
    while 0 <= i < n:
        if prose.startswith("<!--", i):
            end = prose.find("-->", i + 4)
            i = n if end < 0 else end + 3
        elif i + 1 < n and prose[i + 1].isascii() and prose[i + 1].isalpha():
            i = _tag(prose, i + 1, out)
        else:
            i += 1
        i = prose.find("<", i) if i < n else -1
    return out


def _tag(prose: str, i: int, out: list[tuple[int, str, str, str]]) -> int:
    """Read one start tag from its name at ``i``; return the position after it."""
    n = len(prose)
    start = i
    while i < n and prose[i] not in _TAG_NAME_END:
        i += 1
    tag = prose[start:i].lower()
    while i < n:
        while i < n and prose[i] in _WHITESPACE + "/":
            i += 1
        if i >= n or prose[i] == ">":
            return i + 1
        name_start = i
        i += 1  # the first character belongs to the name whatever it is ("=" included)
        while i < n and prose[i] not in _ATTR_NAME_END:
            i += 1
        name = prose[name_start:i].lower()
        while i < n and prose[i] in _WHITESPACE:
            i += 1
        if i >= n or prose[i] != "=":
            continue
        i += 1
        while i < n and prose[i] in _WHITESPACE:
            i += 1
        value_start = i
        if i < n and prose[i] in "\"'":
            close = prose.find(prose[i], i + 1)
            value = prose[i + 1:close if close >= 0 else n]
            i = n if close < 0 else close + 1
        else:
            while i < n and prose[i] not in _WHITESPACE + ">":
                i += 1
            value = prose[value_start:i]
        if name in URL_ATTRIBUTES:
            if name == "srcset":
                out.extend((value_start, tag, name, part.split()[0]) for part in value.split(",") if part.split())
            else:
                out.append((value_start, tag, name, value))
    return n
