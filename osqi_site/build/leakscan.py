"""The leak scan in one place: what withheld material is known by, one normal form for text, the matching."""

# Read top to bottom: (1) the normal form, (2) mentions of disclosure IDs in text, (3) the markers of withheld
# material, (4) the scan of output files: normalised text, and exact bytes of withheld attachments.
# Speed machinery (worker processes, verdicts kept between builds) lives in seal.py and plugin.py.

from __future__ import annotations

import bz2
import dataclasses
import functools
import gzip
import hashlib
import html
import io
import itertools
import lzma
import re
import string
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from html.entities import html5
from pathlib import Path
from typing import IO
from urllib.parse import unquote

import ahocorasick_rs

from osqi_site.core.model import Disclosure

# -- (1) the normal form ----------------------------------------------------------------------------------
#
# Two spellings a reader takes for the same text have the same normal form: compatibility forms (full-width
# letters, ligatures, superscripts), case, invisible and formatting characters, typographic hyphens and dashes,
# whitespace runs, HTML character references (named, decimal, hex, with or without ";"), percent-escapes and
# backslash escapes (JSON and JavaScript strings: \uXXXX, \u{X...}, \xXX, \n ...; CSS: \ and 1-6 hex digits and
# one optional whitespace). Escapes are decoded one level each, in the order software decodes them before a
# reader sees the text (backslash escapes, then HTML, then the URL); the escape characters left over (& % \) are then
# dropped, so an escape of an escape, which a reader sees as an escape, stays one, and decoding again changes
# nothing: normalise(normalise(x)) == normalise(x).

MAX_ROUNDS = 8
"""Rounds of Unicode folding before giving up; real text needs one or two (folding can unfold NFKC)."""

MIN_MARKER = 6
"""Shorter normalised markers are not searched for: they would match ordinary words."""


class TooDeep(ValueError):
    """Text still changing after ``MAX_ROUNDS`` rounds of folding (no known text does this)."""


def normalise(text: str) -> str:
    """The normal form of ``text`` (see above)."""
    return _fold_all(decode(text))


def _fold_all(text: str) -> str:
    for _ in range(MAX_ROUNDS):
        done = _fold(text)
        if done == text:
            return done
        text = done
    raise TooDeep(f"text still changing after {MAX_ROUNDS} rounds of Unicode folding")


def decode(text: str) -> str:
    """One level of backslash (JSON, JavaScript, CSS), HTML and URL escapes, in that order; the escape
    characters left are dropped."""
    if "\\" in text:
        text = _BACKSLASH_ESCAPE.sub(_backslash_char, text)
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = unquote(text, errors="surrogateescape")
    return _drop_escape_chars(text)


def _drop_escape_chars(text: str) -> str:
    return text.replace("&", "").replace("%", "").replace("\\", "")  # C speed, where translate is not


_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _fold(text: str) -> str:
    if text.isascii():
        text = text.lower()  # the whole of NFKC and case folding on ASCII
    else:
        # Case folding can undo NFKC (and NFKC can make foldable letters): each round does both; the loop
        # in ``normalise`` repeats them until neither changes anything.
        text = unicodedata.normalize("NFKC", text)
        # Look-alikes (Cyrillic O, Greek I, Armenian Oh ...) before case folding: the confusables data describe
        # shapes, and the lower case of a capital look-alike need not look like the lower-case letter (Cyrillic
        # Ve, U+0412, looks like B; its lower case, U+0432, like a small capital B).
        glyphs = _glyphs()
        if not glyphs.sources.isdisjoint(text):  # a set test is six times cheaper than a translation
            text = text.translate(glyphs.table)
        text = text.casefold()
        text = _tables().invisible.sub("", text)
        if text and max(text) >= _ASTRAL:  # max() is C speed; such text is rare
            text = _drop_astral_invisible(text)
        text = _drop_escape_chars(_tables().dashes.sub("-", text))  # NFKC makes & of a full-width one
        text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)  # ٣ is 3
    return " ".join(text.split())  # whitespace runs, of any script, are one space


# What follows a backslash in an escape, longest spelling first. JSON's and JavaScript's \b and \f are CSS hex
# digits too: before another hex digit they are read as CSS (\bf is U+00BF), alone as JSON.
_AFTER_BACKSLASH = (r"u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}"
                    r"|x[0-9a-fA-F]{2}|[\\/\"nrt]|[bf](?![0-9a-fA-F])|[0-9a-fA-F]{1,6}(?:\r\n|[ \t\n\r\f])?")
_BACKSLASH_ESCAPE = re.compile(r"\\(?:" + _AFTER_BACKSLASH + ")")


def _backslash_char(m: re.Match[str]) -> str:
    s = m.group(0)
    kind = s[1]
    if kind == "u" and s[2] == "{":  # JavaScript \u{X...}
        return _code_point(int(s[3:-1], 16))
    if kind == "u":
        units = [int(s[i + 2:i + 6], 16) for i in range(0, len(s), 6)]
        if len(units) == 2:  # a surrogate pair: one character
            return chr(0x10000 + ((units[0] - 0xD800) << 10) + (units[1] - 0xDC00))
        return chr(units[0])
    if kind == "x":  # JavaScript \xXX
        return chr(int(s[2:], 16))
    if kind in string.hexdigits and s not in ("\\b", "\\f"):  # CSS: 1-6 hex digits and one whitespace eaten
        return _code_point(int(s[1:].rstrip(), 16))
    return {"b": " ", "f": " ", "n": " ", "r": " ", "t": " "}.get(kind, kind)


def _code_point(value: int) -> str:
    """The character ``value`` names; U+FFFD, as CSS reads them, for zero, surrogates and beyond Unicode."""
    return chr(value) if 0 < value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else "\ufffd"


_ASTRAL = "\U00010000"
_BEYOND_PLANES = "\U00020000"


def _drop_astral_invisible(text: str) -> str:
    """Invisible characters beyond the BMP: a set for planes 1 and 14, the category beyond them. (A regex class
    holding characters beyond the BMP is a list of ranges tried one by one at every character: ten times
    slower than the BMP's bitmap, now that the unassigned code points make it long.)"""
    astral = _tables().astral_invisible
    return "".join(c for c in text if c < _ASTRAL or not (
        c in astral or (c >= _BEYOND_PLANES and unicodedata.category(c) == "Cn")))


@dataclass(frozen=True)
class _Tables:
    invisible: re.Pattern[str]
    """The invisible characters of the BMP."""
    astral_invisible: frozenset[str]
    """The invisible characters of planes 1 and 14."""
    dashes: re.Pattern[str]
    second_halves: frozenset[str]
    """Characters that are the second of a canonical pair, and Hangul vowels and final consonants."""


# Plane 0, 1 and 14 hold every assigned invisible character, dash and canonical pair; tests/test_leakscan.py
# checks that a walk over all 1.1 million code points finds no other, so the short walk here is complete. The
# unassigned code points beyond them (most of planes 2-16) are removed by their category (``_drop_unassigned``).
_PLANES = (range(0x20000), range(0xE0000, 0xE1000))

OTHER_DEFAULT_IGNORABLE = (range(0x034F, 0x0350), range(0x115F, 0x1161), range(0x17B4, 0x17B6), range(0x2065, 0x2066),
                           range(0x3164, 0x3165), range(0xFFA0, 0xFFA1), range(0xFFF0, 0xFFF9), range(0xE0000, 0xE0001),
                           range(0xE0002, 0xE0020), range(0xE0080, 0xE0100), range(0xE01F0, 0xE1000))
"""Unicode's Other_Default_Ignorable_Code_Point (PropList.txt, unchanged since Unicode 6.0): with category Cf
and the variation selectors, the Default_Ignorable_Code_Point property (DerivedCoreProperties.txt)."""


def is_invisible(c: str) -> bool:
    """Every default-ignorable code point and more: format characters (category Cf: zero-width space and joiners,
    soft hyphen, BOM, bidi controls, tags), variation selectors, Other_Default_Ignorable_Code_Point (Khmer
    inherent vowels, Hangul fillers, ...); controls other than whitespace; and unassigned code points (category
    Cn), which a later Unicode may make invisible and which no reader sees as a letter today."""
    category = unicodedata.category(c)
    if category in ("Cf", "Cn") or (category == "Cc" and not c.isspace()):
        return True
    if ord(c) in _OTHER_DEFAULT_IGNORABLE:
        return True
    name = unicodedata.name(c, "") if category in ("Mn", "Lo") else ""  # where selectors and fillers are
    return "VARIATION SELECTOR" in name or "FILLER" in name


_OTHER_DEFAULT_IGNORABLE = frozenset(c for r in OTHER_DEFAULT_IGNORABLE for c in r)


def is_dash(c: str) -> bool:
    """Dash punctuation (category Pd) and symbols or punctuation Unicode names a dash, hyphen or minus."""
    category = unicodedata.category(c)
    words = unicodedata.name(c, "").split(" ")
    return c != "-" and (category == "Pd" or (category[0] in "PS" and bool({"DASH", "HYPHEN", "MINUS"} & set(words))))


@functools.cache
def _tables() -> _Tables:
    """The tables, read from ``TABLE_DATA`` when it was made from this Python's Unicode data, else made here.

    Making them walks 135,000 code points (a tenth of a second), in every process that folds non-ASCII text:
    each worker of a check. tests/test_leakscan.py holds the file to what ``made_tables`` makes."""
    try:
        lines = TABLE_DATA.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    listed = dict(line.split(" ", 1) for line in lines if line and not line.startswith("#") and " " in line)
    if listed.get("unicode") != unicodedata.unidata_version or set(listed) != {"unicode", *_TABLE_NAMES}:
        return _from_chars(made_tables())
    return _from_chars({name: _chars(listed[name]) for name in _TABLE_NAMES})


TABLE_DATA = Path(__file__).parents[1] / "data" / "unicode-tables.txt"
"""``made_tables`` for one version of Unicode, as ranges of code points (written by ``table_text``)."""
_TABLE_NAMES = ("invisible", "dashes", "second_halves")


def made_tables() -> dict[str, list[str]]:
    """The characters of each table, sorted, found by walking planes 0, 1 and 14 (see ``_PLANES``)."""
    invisible = [chr(c) for plane in _PLANES for c in plane if is_invisible(chr(c))]
    dashes = [chr(c) for plane in _PLANES for c in plane if is_dash(chr(c))]
    halves = {chr(int(d[1], 16)) for plane in _PLANES for c in plane
              if len(d := unicodedata.decomposition(chr(c)).split()) == 2 and not d[0].startswith("<")}
    hangul = {chr(c) for c in (*range(0x1100, 0x1200), *range(0xD7B0, 0xD800))
              if unicodedata.name(chr(c), "").startswith(("HANGUL JUNGSEONG", "HANGUL JONGSEONG"))}
    return {"invisible": invisible, "dashes": dashes, "second_halves": sorted(halves | hangul)}


def table_text(tables: Mapping[str, list[str]]) -> str:
    """``TABLE_DATA``'s text for ``tables`` (``made_tables``) and this Python's Unicode version."""
    ranges = {name: " ".join(f"{a:X}" if a == b else f"{a:X}-{b:X}" for a, b in _ranges(tables[name]))
              for name in _TABLE_NAMES}
    return (f"# Made by osqi_site.build.leakscan.made_tables from Python's unicodedata; tests/test_leakscan.py says\n"
            f"# how to write it again. Code points in hex, ranges inclusive.\nunicode {unicodedata.unidata_version}\n"
            + "".join(f"{name} {ranges[name]}\n" for name in _TABLE_NAMES))


def _chars(ranges: str) -> list[str]:
    out: list[str] = []
    for item in ranges.split():
        first, _, last = item.partition("-")
        out.extend(map(chr, range(int(first, 16), int(last or first, 16) + 1)))
    return out


def _from_chars(tables: Mapping[str, list[str]]) -> _Tables:
    invisible = tables["invisible"]
    return _Tables(re.compile(_char_class(c for c in invisible if c < _ASTRAL)),
                   frozenset(c for c in invisible if c >= _ASTRAL), re.compile(_char_class(tables["dashes"])),
                   frozenset(tables["second_halves"]))


def _ranges(chars: Iterable[str]) -> list[list[int]]:
    """Sorted code points as ``[first, last]`` runs."""
    ranges: list[list[int]] = []
    for p in sorted(map(ord, chars)):
        if ranges and ranges[-1][1] == p - 1:
            ranges[-1][1] = p
        else:
            ranges.append([p, p])
    return ranges


def _char_class(chars: Iterable[str]) -> str:
    """A regex class of ``chars`` written as ranges: a class of single characters is slow to match."""
    return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                         for a, b in _ranges(chars)) + "]"


# Look-alike letters and digits from other scripts (Unicode Technical Standard #39, confusables.txt) read as
# the ASCII character they imitate: OSQI-2026-0002 spelled in Cyrillic (U+041E U+0405 U+051A U+0406) is
# OSQI-2026-0002 to a reader. The fold is
# restricted by construction, so that no text that was clean can become a hit:
#   * Only non-ASCII characters are folded, and only to an ASCII prototype. ASCII itself is never touched: UTS #39
#     maps "0" to "O" and "1", "I" to "l", which would make distinct IDs and ordinary words collide.
#   * Where UTS #39 gives one prototype for several ASCII characters ("l" for l, I, 1 and |; "O" for O and 0),
#     the character's own Unicode properties choose: a numeral with value 1 or 0 reads as "1" or "0", a capital
#     letter or a letter named I as "i", anything else as the prototype. So Cyrillic I (U+0406) is "i", as in OSQI.
#   * Characters the normal form already settles keep their rule: decimal digits of any script are read by value
#     (٣ is 3), NFKC forms, invisibles, dashes, whitespace; marks and the second halves of canonical pairs are
#     left alone, as they join the character before them. A prototype holding whitespace or an escape character
#     (& % \) is not used.
# The fold maps one character to a fixed ASCII string whatever surrounds it, so the scan's fast path may
# normalise each run of non-ASCII characters on its own (see ``skeletons``).

GLYPH_DATA = Path(__file__).parents[1] / "data" / "confusables-ascii.txt"
"""Unicode's confusables.txt, the lines mapping one non-ASCII character to an ASCII prototype (origin inside)."""


@dataclass(frozen=True)
class _Glyphs:
    sources: frozenset[str]
    table: Mapping[int, str]
    """Code point of a look-alike → the lower-case ASCII it reads as (for ``str.translate``)."""


def glyph_folds() -> Mapping[str, str]:
    """Each look-alike character the normal form folds, and the ASCII text it reads as."""
    return {chr(c): reads for c, reads in _glyphs().table.items()}


@functools.cache
def _glyphs() -> _Glyphs:
    folds: dict[str, str] = {}
    for line in GLYPH_DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        source, target = (("".join(chr(int(h, 16)) for h in f.split())) for f in line.split(";")[:2])
        reads = _reading(source, target)
        if reads is not None:
            folds[source] = reads
    return _Glyphs(frozenset(folds), {ord(c): reads for c, reads in folds.items()})


def _reading(c: str, prototype: str) -> str | None:
    """The ASCII text look-alike ``c`` reads as, or None where the normal form has its own rule for ``c``."""
    if (len(c) != 1 or c.isascii() or not prototype.isascii() or unicodedata.normalize("NFKC", c) != c
            or unicodedata.decimal(c, None) is not None or is_invisible(c) or is_dash(c) or c.isspace()
            or composes_backward(c)):
        return None
    if any(ch.isspace() or ch in "&%\\" for ch in prototype):
        return None
    words = unicodedata.name(c, "").split(" ")
    if prototype == "l":
        prototype = "1" if unicodedata.numeric(c, None) == 1 else \
            "i" if unicodedata.category(c) == "Lu" or words[-1] == "I" else "l"
    elif prototype == "O":
        prototype = "0" if unicodedata.numeric(c, None) == 0 else "o"
    return prototype.lower()


MARKUP = re.compile(r"<[A-Za-z/!?][^<>]*>")
"""An HTML tag or comment: text split by markup (``OSQI-2026-<b>0004</b>``) reads as one word."""


def views(text: str) -> Iterator[str]:
    """The normal forms a reader may see: the text, and the text with its markup taken out.

    Markup is taken out in a second view, not in place: a tag's attributes are published too. As in a
    browser, escapes are decoded between the tags, never across one (``&am<b></b>p;`` is no "&").
    """
    yield normalise(text)
    if "<" in text:
        yield _fold_all("".join(decode(part) for part in MARKUP.split(text)))


def normal_views(data: bytes) -> list[bytes]:
    """``views`` of a file's bytes, as UTF-8 (lone surrogates kept): what the scan matches markers in.

    Text that is ASCII without ``&``, ``%``, ``\\``, controls or ``<`` takes the fast path: every step of the
    normal form but lower-casing and joining whitespace is the identity on it (tests/test_leakscan.py holds
    the two paths to the same answer).
    """
    if data.isascii() and not _TRIGGER.search(data):
        return [b" ".join(data.translate(_LOWER).split())]
    return [v.encode("utf-8", "surrogatepass") for v in views(data.decode("utf-8", "surrogateescape"))]


_TRIGGER = re.compile(rb"[&%\\<\x00-\x08\x0e-\x1f\x7f]")
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


# -- (2) mentions of disclosure IDs -----------------------------------------------------------------------
#
# A public disclosure or content page that mentions an ID which is not public fails the build: the mention
# alone reveals the ID. IDs are looked for in the normal form, so ``osqi-2026-0007``, ``OSQI\u2011...``
# (non-breaking hyphens), ``OSQI-2026-\u200b0007`` and ``OSQI%2D2026-0007`` are all mentions of OSQI-2026-0007.


@functools.cache
def id_pattern(prefix: str) -> re.Pattern[str]:
    """A disclosure ID in normalised text: the prefix, a 4-digit year and a number of 4 digits or more, joined by
    any run of non-alphanumeric characters or none (``OSQI 2026 0002``, ``OSQI_2026_0002``, ``OSQI/2026/0002``,
    ``OSQI20260002``), not preceded by a letter or digit nor followed by a digit. Linear: each gap's class
    excludes the digits after it. The prefix comes first, and what precedes it is looked at behind it, so that
    the engine looks for the prefix's letters at C speed instead of trying the look-behind at every character
    (fifteen times faster on text without an ID)."""
    gap = r"[\W_]*"
    literal = re.escape(normalise(prefix))
    return re.compile(rf"{literal}(?<![^\W_]{literal}){gap}([0-9]{{4}}){gap}([0-9]{{4,}})(?![0-9])")


def ids_in(text: str, prefix: str) -> list[str]:
    """Every disclosure ID ``text`` mentions, in any spelling, written as the site writes IDs."""
    found: list[tuple[str, str]]
    try:
        if text.isascii() and not _TRIGGER_TEXT.search(text):
            found = id_pattern(prefix).findall(text.lower())  # its normal form, but for whitespace runs
        elif not _may_mention(text, prefix):
            found = []
        else:
            found = [v for view in views(text) for v in id_pattern(prefix).findall(view)]
    except TooDeep:
        return [f"{prefix}-????-????"]  # cannot be read: reported like an unknown ID, so the build fails
    return sorted({f"{prefix}-{year}-{number}" for year, number in found})


_TRIGGER_TEXT = re.compile(_TRIGGER.pattern.decode())


def _may_mention(text: str, prefix: str) -> bool:
    """False only if no normal form of ``text`` holds the prefix's letters and digits (see ``skeletons``)."""
    try:
        both = skeletons(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return True
    return both is None or any(_id_skeleton(prefix).search(sk) for sk in both)


@functools.cache
def _id_skeleton(prefix: str) -> re.Pattern[bytes]:
    """The skeleton of any ID in normal form: the prefix's letters and digits, then eight digits or more."""
    letters = "".join(c for c in normalise(prefix) if c.isalnum()).encode("utf-8", "surrogatepass")
    return re.compile(re.escape(letters) + rb"[0-9]{8}")


def mention_lines(text: str, first_line: int, prefix: str) -> list[tuple[int, str]]:
    """``(line, ID)`` for each ID ``text`` mentions; one spelled across lines is put on the first line."""
    located: list[tuple[int, str]] = []
    lines = text.split("\n")
    for ident in ids_in(text, prefix):
        at = [first_line + i for i, line in enumerate(lines) if ident in ids_in(line, prefix)]
        located.extend((line, ident) for line in at or [first_line])
    return sorted(located)


FIELD_BREAK = "\n<\n"
"""Joins texts so that the IDs found in the whole are those found in the parts: escapes and IDs stop at
whitespace, and no tag (``MARKUP``) reaches over a "<" that starts none."""


def any_ids_in(texts: Iterable[str], prefix: str) -> bool:
    """Whether some text of ``texts`` mentions an ID (``ids_in``), looked at all at once; it may also say so when
    none does alone (an ID spelled across two texts), never the other way round: a cheap first look."""
    texts = list(texts)
    plain = "\n".join(texts)
    if plain.isascii() and not _TRIGGER_TEXT.search(plain):
        # Each text takes ids_in's fast path, and an ID it finds in one is found here: a line feed is a gap
        # the pattern may start or end an ID at, never one that hides it.
        return id_pattern(prefix).search(plain.lower()) is not None
    return bool(ids_in(FIELD_BREAK.join(texts), prefix))


def text_fields(d: Disclosure) -> list[tuple[str, str]]:
    """``(field, text)`` for every text a disclosure publishes except its narrative, found by walking the
    dataclasses, so that a field added later is covered too. Source paths are not published and are left out."""
    out: list[tuple[str, str]] = []
    _walk(d, "", out)
    return out


def _walk(value: object, name: str, out: list[tuple[str, str]]) -> None:
    # A function of its own, not a closure calling itself: that would be a reference cycle per disclosure,
    # garbage the check's workers (which hold the collector, ``map_chunks(pause_gc=True)``) would keep.
    # Most values are text, or nothing to read: taken here, a call and a name shorter (one walk per check).
    if type(value) is str or isinstance(value, str):
        out.append((name, value))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            if type(item) is str:
                out.append((f"{name}[{i}]", item))
            elif item is not None:
                _walk(item, f"{name}[{i}]", out)
    elif value is not None and not isinstance(value, (bool, int, float, date)):
        prefix = f"{name}." if name else ""
        for field in _published_fields(type(value)):
            item = getattr(value, field)
            if type(item) is str:
                out.append((prefix + field, item))
            elif item is not None and type(item) not in _PLAIN:
                _walk(item, prefix + field, out)


_PLAIN = frozenset({bool, int, float, date, datetime})
"""Values with no text in them, passed over without a call (``walk`` still decides every other type)."""


def _published_fields(cls: type) -> tuple[str, ...]:
    # Anything else than text, numbers, dates, tuples and dataclasses would be a new kind of field: fail loudly.
    if cls not in _FIELDS:
        _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("source", "body"))
    return _FIELDS[cls]


_FIELDS: dict[type, tuple[str, ...]] = {}


# -- (3) the markers of withheld material -----------------------------------------------------------------


def markers_of(d: Disclosure) -> tuple[str, ...]:
    """What a disclosure is known by, searched for in every output while it is withheld: its ID, title and
    aliases, and its seal (the embargo register's salt: published, it would let anyone test an ID against
    the commitment). Add other secrets planted in a disclosure here, and the scan looks for them too."""
    return (d.id, d.title, *d.aliases, *((d.seal,) if d.seal else ()))


def withheld_markers(withheld: Iterable[Disclosure], public: Iterable[Disclosure]) -> tuple[str, ...]:
    """The markers of withheld disclosures that no public one shares, compared in the normal form."""
    shared = {_normal_or_raw(s) for d in public for s in markers_of(d)}
    return tuple(sorted({s for d in withheld for s in markers_of(d)
                         if len(_normal_or_raw(s)) >= MIN_MARKER and _normal_or_raw(s) not in shared}))


def page_markers(titles: Iterable[str], urls: Iterable[str]) -> tuple[str, ...]:
    """What withheld content and project pages are known by, searched for in every output while they are
    withheld: their titles (a project page's name) and their site paths as MkDocs gives them (``merger-with-
    acme/``, ``projects/xz/``, with the trailing slash), so that a link copied from the preview is caught too.
    As for every marker, one shorter than ``MIN_MARKER`` in the normal form is not searched for (a page
    ``ab.md``, at ``ab/``, would match ordinary text); nor is the site's root, ``index.md``."""
    return tuple(sorted({m for m in (*titles, *urls) if len(_normal_or_raw(m)) >= MIN_MARKER}))


def _normal_or_raw(s: str) -> str:
    try:
        return normalise(s)
    except TooDeep:
        return s


def attachment_digests(paths: Iterable[str]) -> dict[str, str]:
    """SHA-256 hex digest → path of each non-empty file: a withheld attachment found under any name."""
    out: dict[str, str] = {}
    for path in sorted(paths):
        with open(path, "rb") as f:
            data = f.read()
        if data:  # an empty file is every empty file
            out.setdefault(hashlib.sha256(data).hexdigest(), path)
    return out


# -- (4) the scan -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakAutomaton:
    """Every marker's skeleton at once (Aho-Corasick), and the digests of withheld attachments."""

    matcher: ahocorasick_rs.BytesAhoCorasick | None
    markers: tuple[tuple[str, ...], ...]
    """For each pattern index, the markers with that skeleton."""
    attachments: Mapping[str, str]
    """SHA-256 hex digest → a name for the withheld file with those bytes."""
    short: tuple[tuple[str, str], ...] = ()
    """``(normal form, marker)`` of each marker matched in the normal form itself rather than by skeleton: one
    whose skeleton is shorter than ``MIN_MARKER``, or a page's site path (``merger-with-acme/``,
    ``page_markers``), as a few letters, or a path's words alone, would match ordinary words."""
    paths: tuple[tuple[str, str], ...] = ()
    """``(path without its trailing slash, marker)`` of each page's site path matched in the normal form without
    its slash (``_slashless``): found where no letter or digit follows it, as the slash ensured."""


def skeleton_of(form: str) -> str:
    """The letters and digits of a text in normal form, in order."""
    return "".join(c for c in form if c.isalnum())


def _is_site_path(form: str) -> bool:
    # A page's URL as MkDocs gives it (page_markers): "secret/" must not match the word "secret".
    return form.endswith(("/", ".html"))


def _slashless(form: str) -> str | None:
    """A page's site path without its trailing slash, where that stays distinctive, else None.

    A link or a file name copied without the slash (``https://site/merger-plans``, ``merger-plans.txt``) names
    the page as well as the slash form: servers redirect to it. Without the slash, a path with a separator in
    it (``merger-plans``, ``projects/xz``) is still not ordinary prose; a one-word path (``secret/``,
    ``about/``) would be the word itself, and a false alarm on every page using the word would fail every
    build, so such a path is matched with its slash only."""
    if not form.endswith("/"):
        return None
    bare = form.rstrip("/")
    return bare if skeleton_of(bare) != bare and bare.strip("/") else None


@functools.cache
def _skeleton_bytes(form: str) -> bytes:
    return skeleton_of(form).encode("utf-8", "surrogatepass")


def leak_automaton(markers: Iterable[str], attachments: Mapping[str, str] | None = None) -> LeakAutomaton | None:
    """The matcher of every marker at once (``None`` when there is nothing to look for)."""
    by_skeleton: dict[bytes, set[str]] = {}
    short: set[tuple[str, str]] = set()
    paths: set[tuple[str, str]] = set()
    for m in markers:
        form = _normal_or_raw(m)
        skeleton = skeleton_of(form)
        if len(skeleton) >= MIN_MARKER and not _is_site_path(form):
            by_skeleton.setdefault(skeleton.encode("utf-8", "surrogatepass"), set()).add(m)
        elif (bare := _slashless(form)) is not None:
            paths.add((bare, m))
        elif form and m:
            short.add((form, m))
    if not by_skeleton and not short and not paths and not attachments:
        return None
    keys = sorted(by_skeleton)
    matcher = ahocorasick_rs.BytesAhoCorasick(keys, implementation=ahocorasick_rs.Implementation.DFA) \
        if keys else None
    return LeakAutomaton(matcher, tuple(tuple(sorted(by_skeleton[k])) for k in keys), dict(attachments or {}),
                         tuple(sorted(short)), tuple(sorted(paths)))


# The skeleton is the rule. Normalising every output byte costs about 100 ms per MB, and the letters and
# digits of a text are what a reader reads whatever stands between them (OSQI_2026_0002, a title as a URL
# slug). The *skeleton* of a file is the letters and digits of its normal form, in order, computed construct
# by construct: each escape (backslash, HTML, percent run) and each run of non-ASCII characters is normalised
# on its own (cached: the same few recur), ASCII outside them is only lower-cased. Decoding is one level per
# kind, so a construct's normal form does not depend on its neighbours, except in the cases refused
# (``_construct_skeleton`` answers None or a flag, and the file is normalised whole): a backslash escape of
# "&" or "%" (either begins an escape with the characters after it), one of a letter, digit, "#" or ";" right
# after a letter, digit, "&", "#" or "%" (it may complete an escape begun there), an HTML reference to "%" or
# a hex digit, and a construct whose normal form starts with a character that combines with the one before
# it (a combining accent after "e" makes "é"). A marker is found where its skeleton occurs in a skeleton of
# the file (``markers_in``); tests/test_leakscan.py holds skeletons(x) == letters and digits of normalise(x)
# for generated x, and the scan to the rule.

# How the skeleton is made in few passes over the bytes, each at C speed where it can be (``bytes.find`` jumps
# to a byte at memchr speed, the regex engine to a literal first byte; a character class is tested byte by
# byte, and a Python step per construct costs about a microsecond):
#   1. The most frequent backslash escapes, whose skeleton is empty and which are a whole construct whatever
#      follows them (``\n``, ``\"``, ``\\`` ... in every JSON string), become byte 3 in one substitution. To the
#      construct after it, byte 3 is the end of a construct, as ``_adjacent`` needs (a byte 3 of the file
#      becomes DEL first: a control, as it is, that splits no letters and joins no escapes).
#   2. The other constructs are found kind by kind (``_constructs``): from each "\", "&" and "%" by the pattern
#      of its kind, the runs of non-ASCII bytes in a copy where they are 0x80 and ASCII is 0. No construct
#      holds the first byte of another kind, so the kinds are found apart, exactly where one scan finds them.
#   3. Each "<" that starts no tag (``MARKUP``) is found by one scan.
#   4. In file order, each construct is replaced by its skeleton, or the skeleton is refused (``_adjacent``),
#      and each "<" that starts no tag becomes byte 4 (a byte 4 of the file becomes DEL first).
#   5. One translation lower-cases ASCII, deletes what is not a letter or digit, and spells the markup in three
#      bytes: "<" (each left starts a tag) is byte 0, ">" byte 1, byte 4 byte 2. A byte 0, the bytes after it
#      that are none of 0-2, and a byte 1 are a tag, cut out of the skeleton exactly as ``MARKUP`` cuts it out
#      of the text; adjacent tags are cut at once (``_SKELETON_TAGS``).
# tests/test_leakscan.py holds ``skeletons`` byte for byte to the plain implementation it replaced (the tags
# marked by one substitution, then one substitution with a callback per construct; about twice as slow), over
# generated bytes and every file of a built site.

_ENDED = b"\3"
"""A construct resolved before the others are found (``_EMPTY_ESCAPE``), deleted from the skeleton."""
_LONE_LT = b"\4"
"""A "<" that starts no tag, byte 2 in the skeleton (where the file has none, a byte 4 of it is deleted as the
control it is)."""
_ENDED_AS_DEL = bytes.maketrans(_ENDED, b"\x7f")
_LONE_LT_AS_DEL = bytes.maketrans(_LONE_LT, b"\x7f")
_EMPTY_ESCAPES = (b"\\\\", b"\\n", b'\\"', b"\\t", b"\\r", b"\\/")
"""Backslash escapes whose skeleton is empty, with neither flag of ``_construct_skeleton``, and that are a whole
construct whatever follows them (tests/test_leakscan.py checks both). Substituted from left to right, two
backslashes pair as the construct scan pairs them."""
_EMPTY_ESCAPE = re.compile(b"|".join(re.escape(e) for e in _EMPTY_ESCAPES))
_BACKSLASH_CONSTRUCT = re.compile(rb"\\(?:" + _AFTER_BACKSLASH.encode() + rb")")
_REFERENCE = re.compile(rb"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]{0,31};?)")
_PERCENT_RUN = re.compile(rb"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")
_NON_ASCII = b"\0" * 128 + b"\x80" * 128
"""ASCII as byte 0, the rest as 0x80: where runs of non-ASCII bytes start and end, found at memchr speed."""
_NOT_A_TAG = re.compile(rb"<(?![A-Za-z/!?])")
_NOT_ALNUM_ASCII = bytes(c for c in range(128) if not chr(c).isalnum())
_NOT_ALNUM = bytes(c for c in _NOT_ALNUM_ASCII if c not in b"<>\4")
_NOT_ALNUM_NOR_LONE_LT = _NOT_ALNUM + _LONE_LT
_SKELETON_TABLE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ<>\4", b"abcdefghijklmnopqrstuvwxyz\0\1\2")
_SKELETON_TAGS = re.compile(rb"\x00[\x03-\xff]*+\x01(?:\x00[\x03-\xff]*+\x01)*+")
"""``MARKUP`` in the skeleton's tag bytes (``[\\x03-\\xff]`` is ``[^\\x00-\\x02]``), a run of adjacent tags at once."""
_ESCAPE_BODY = frozenset(string.ascii_letters.encode() + string.digits.encode() + b"&#%")
"""Bytes an HTML or URL escape may be cut after, for an escaped letter, digit, "#" or ";" to complete it."""
_STAYS_ALONE = frozenset(b" \t\n\r\x0b\x0c!\"#$'()*+,-./:?@[]^_`{|}~")
"""ASCII that no escape ends with, that normalising neither removes nor changes, and that composes with nothing."""
_ESCAPE_BODY_OR_ENDED = _ESCAPE_BODY | set(_ENDED)


SEGMENT = 1 << 22
"""Bytes whose skeletons are made at once: a larger file is cut into runs of about this size (``_cuts``), so that
scanning it holds a few copies of one run rather than of the whole file (osv/all.json is 50 MB at 10,000
disclosures, and each step of ``skeletons`` makes a copy)."""


def skeletons(data: bytes, *, segment: int = SEGMENT) -> tuple[bytes, bytes] | None:
    """The letters and digits of both normal forms of ``data`` (``views``: as written, without markup), or
    None where they cannot be found construct by construct (see above).

    A file larger than ``segment`` is cut where no construct or tag spans the cut (``_cuts``), and the skeletons
    of its runs are joined: each step reads only the bytes of a construct or tag and the byte before it. What
    is decided for the whole file (is there a backslash, a "<" that starts no tag) is decided once, over all of
    it, as for a file made at once.
    """
    backslash = b"\\" in data
    lone = b"<" in data and _NOT_A_TAG.search(data) is not None
    markup = b"<" in data
    bounds = [0, *_cuts(data, segment), len(data)]
    plain: list[bytes] = []
    bare: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        run = data if end - start == len(data) else data[start:end]
        pieces = _pieces(run, backslash, lone)
        if pieces is None:
            return None
        both = _finished(pieces, markup, lone)
        plain.append(both[0])
        bare.append(both[1])
    if len(plain) == 1:
        return plain[0], bare[0]
    # One object twice when no run has a tag, as for a file without markup (``markers_in`` relies on it).
    tagless = all(p is b for p, b in zip(plain, bare, strict=True))
    joined = b"".join(plain)
    del plain  # before the second join: a large file's skeletons are the most memory its scan holds
    return (joined, joined) if tagless else (joined, b"".join(bare))


def _pieces(data: bytes, backslash: bool, lone: bool) -> bytes | None:
    """Steps 1 to 4 and the translation of step 5 over ``data`` (the whole file or one run of it): its constructs
    resolved and tags marked, or None where a construct is refused. ``backslash`` and ``lone`` say whether the
    whole file has a backslash and a "<" that starts no tag."""
    if backslash:
        if _ENDED in data:  # only a backslash escape can be refused for what stands before it
            data = data.translate(_ENDED_AS_DEL)
        data = _EMPTY_ESCAPE.sub(_ENDED, data)
    edits = _constructs(data, backslash)
    if lone:
        if _LONE_LT in data:
            data = data.translate(_LONE_LT_AS_DEL)  # one for one: the edits' places stay
        edits += [(m.start(), _LONE) for m in _NOT_A_TAG.finditer(data)]
    if edits:
        edits.sort()
        resolved = _resolved(data, edits)
        if resolved is None:
            return None
        data = resolved
    return data.translate(_SKELETON_TABLE, _NOT_ALNUM if lone else _NOT_ALNUM_NOR_LONE_LT)


def _finished(pieces: bytes, markup: bool, lone: bool) -> tuple[bytes, bytes]:
    """Both skeletons from ``pieces`` (``_pieces``): with the markup bytes deleted, and with the tags cut out."""
    if not markup or b"\0" not in pieces:  # no tag: one skeleton, the same object twice (``markers_in``)
        if b"\1" in pieces:
            pieces = pieces.replace(b"\1", b"")  # C speed where they are few, as here
        if lone:
            pieces = pieces.replace(b"\2", b"")
        return pieces, pieces
    return pieces.translate(None, b"\0\1\2"), _SKELETON_TAGS.sub(b"", pieces).translate(None, b"\0\1\2")


_HEX_OR_CR = frozenset(b"0123456789abcdefABCDEF\r")


def _cuts(data: bytes, segment: int) -> list[int]:
    """Where to cut ``data`` into runs of at least ``segment`` bytes: right after a line feed that no construct
    and no tag holds. No construct holds a line feed but a CSS escape, which eats one after its hex digits (or
    after a carriage return): so the byte before it is neither. A tag may hold one: so the last "<" or ">"
    before it is a ">", or there is none. Each byte is looked at a bounded number of times."""
    cuts: list[int] = []
    open_tag = False  # whether the last "<" or ">" before ``seen`` is a "<"
    seen = 0
    at = max(1, segment)
    while (nl := data.find(b"\n", at)) != -1 and nl + 1 < len(data):
        lt, gt = data.rfind(b"<", seen, nl), data.rfind(b">", seen, nl)
        if lt != gt:  # one of them is between seen and nl: the later one tells
            open_tag = lt > gt
        seen = nl
        if not open_tag and data[nl - 1] not in _HEX_OR_CR:
            cuts.append(nl + 1)
            at = nl + 1 + max(1, segment)
        else:
            at = nl + 1
    return cuts


def _constructs(data: bytes, backslash: bool) -> list[tuple[int, int]]:
    """``(start, end)`` of each construct of ``data``, kind by kind."""
    found: list[tuple[int, int]] = []
    if backslash:
        _find(data, _BACKSLASH_CONSTRUCT, b"\\", found)
    _find(data, _REFERENCE, b"&", found)
    _find(data, _PERCENT_RUN, b"%", found)
    if not data.isascii():
        _find_runs(data.translate(_NON_ASCII), found)
    return found


_LONE = -1
"""The end of an edit that is a "<" starting no tag."""


def _find(data: bytes, construct: re.Pattern[bytes], first: bytes, into: list[tuple[int, int]]) -> None:
    """Where ``construct`` matches in ``data``, scanning from left to right as the regex engine would, but
    jumping from one ``first`` byte to the next at memchr speed (most are few)."""
    at = data.find(first)
    while at != -1:
        found = construct.match(data, at)
        if found is None:
            at = data.find(first, at + 1)
        else:
            into.append(found.span())
            at = data.find(first, found.end())


def _find_runs(non_ascii: bytes, into: list[tuple[int, int]]) -> None:
    """Where the runs of byte 0x80 are in ``non_ascii`` (``_NON_ASCII``): the runs of non-ASCII bytes."""
    at = non_ascii.find(b"\x80")
    while at != -1:
        end = non_ascii.find(b"\0", at)
        if end == -1:
            into.append((at, len(non_ascii)))
            return
        into.append((at, end))
        at = non_ascii.find(b"\x80", end)


def _resolved(data: bytes, edits: list[tuple[int, int]]) -> bytes | None:
    """``data`` with each construct replaced by its skeleton and each lone "<" by byte 4, or None where a
    construct's skeleton is refused."""
    out: list[bytes] = []
    append = out.append  # a local name: this loop runs once per construct
    skeleton = _construct_skeleton
    lone_end = _LONE
    done = 0
    last_end = -1
    for start, end in edits:
        append(data[done:start])
        if end == lone_end:
            append(_LONE_LT)
            done = start + 1
            continue
        got = skeleton(data[start:end])
        if got is None or ((got[1] or got[2]) and start and _adjacent(got, data[start - 1], start == last_end)):
            return None
        append(got[0])
        done = last_end = end
    append(data[done:])
    return b"".join(out)


def _adjacent(got: tuple[bytes, bool, bool], before: int, after_construct: bool) -> bool:
    """Whether a construct with flags ``got`` may join what stands before it: the byte ``before`` it, right
    after another construct or not (byte 3 is one that ended there).

    A character that joins the one before it is harmless after whitespace or punctuation that stays as it is
    in the normal form (none of them composes); after anything else the file goes the slow way, and so it does
    right after another construct (a CSS escape eats the whitespace that ends it). An escaped letter, digit,
    "#" or ";" may complete an HTML or URL escape only right after its body."""
    return (got[1] and (before not in _STAYS_ALONE or after_construct)) or \
        (got[2] and (before in _ESCAPE_BODY_OR_ENDED or after_construct))


@functools.lru_cache(maxsize=1 << 16)
def _construct_skeleton(raw: bytes) -> tuple[bytes, bool, bool] | None:
    """The skeleton of one construct, whether its normal form starts with a character that may join the one
    before it, and whether it is a backslash escape that may complete an HTML or URL escape begun before it
    (an escaped letter, digit, "#" or ";"); None if the construct may begin an escape with what follows it."""
    text = raw.decode("utf-8", "surrogateescape")
    completes = False
    if raw[:1] == b"\\":
        unescaped = _BACKSLASH_ESCAPE.sub(_backslash_char, text)
        if "&" in unescaped or "%" in unescaped:
            return None
        completes = any(c.isascii() and (c.isalnum() or c in "#;") for c in unescaped)
    if raw[:1] == b"&" and any(c == "%" or c in string.hexdigits for c in _reference_value(text)):
        return None  # may complete a percent-escape after it
    try:
        form = normalise(text)
    except TooDeep:
        return None
    letters = "".join(c for c in form if c.isalnum()).encode("utf-8", "surrogatepass")
    return (letters, bool(form) and composes_backward(form[0]), completes)


def _reference_value(text: str) -> str:
    """What ``html.unescape`` puts for the reference at the start of ``text`` (the rest it leaves as is)."""
    name = text[1:]
    if name.startswith("#"):
        return html.unescape(text)  # the whole construct: all its digits and the ";"
    if name in html5:
        return html5[name]
    # As html.unescape does: the longest name that starts the text (legacy names may go without ";").
    return next((html5[name[:x]] for x in range(len(name) - 1, 1, -1) if name[:x] in html5), "")


def composes_backward(c: str) -> bool:
    """Whether ``c`` can join the character before it in NFKC: a mark, the second half of a canonical pair, or
    a Hangul vowel or final consonant."""
    return unicodedata.category(c)[0] == "M" or c in _tables().second_halves


def leaks_in(path: str, data: bytes, automaton: LeakAutomaton, digest: str | None = None) -> list[str]:
    """``path: marker`` for each marker in one output file, archives and compressed files opened (``unpacked``),
    and ``path: the exact bytes of withheld attachment <name>`` when the file, or any file inside it, is one,
    under whatever name."""
    found: set[str] = set()
    try:
        parts = unpacked(data)
    except Unprovable as e:
        return [f"{path}: {e}, cannot prove it is clean"]
    for i, (text, scan_text) in enumerate(parts):
        sha = digest if i == 0 and digest else hashlib.sha256(text).hexdigest()
        if sha in automaton.attachments:
            found.add(f"the exact bytes of withheld attachment {automaton.attachments[sha]}")
        if not scan_text:
            continue
        try:
            found.update(markers_in(text, automaton))
        except TooDeep:
            return [f"{path}: text still changing after {MAX_ROUNDS} rounds of folding, cannot prove it is clean"]
    return [f"{path}: {h}" for h in sorted(found)]


# Archives and compressed files. A file is opened for what the standard library reads (gzip, bzip2, xz and
# lzma, zip, tar), recognised by its first bytes, never by its name, and opened again inside, so that a
# withheld attachment bundled into a public tarball, or a withheld ID in a deflated zip member, is found.
# The work is bounded: past MAX_UNPACKED bytes in all, MAX_MEMBERS files or MAX_NESTING levels, or where an
# archive cannot be read (damaged, encrypted), the file fails the build: what cannot be read cannot be proven
# clean (a zip bomb is refused, not expanded). Each opened file's bytes are compared with the withheld
# attachments' digests and scanned for markers; a compressed file's own bytes are not scanned as text (they
# are the compressor's output), an archive's are (member names and stored members are in them).

MAX_UNPACKED = 64 * 1024 * 1024
"""Bytes an output file may unpack to, all levels together."""
MAX_MEMBERS = 10_000
"""Files an output file may unpack to, all levels together."""
MAX_NESTING = 4
"""Archives inside archives: ``x.tar.gz`` is two levels, a zip in it three."""


class Unprovable(ValueError):
    """An archive the scan cannot read within its bounds."""


def unpacked(data: bytes) -> list[tuple[bytes, bool]]:
    """``(bytes, scan as text)`` for a file and every file inside it, recursively (see above), and the UTF-16
    reading of each that looks like UTF-16 without a byte-order mark (``_utf16_reading``)."""
    out: list[tuple[bytes, bool]] = []
    budget = [MAX_UNPACKED, MAX_MEMBERS]
    todo = [(data, 0)]
    while todo:
        blob, depth = todo.pop()
        refused = _unopenable_kind(blob)
        if refused is not None:
            raise Unprovable(f"a {refused} file, a format the scan cannot open")
        kind = _archive_kind(blob)
        out.append((blob, kind not in _COMPRESSORS))
        if kind is None:
            out.extend((reading, True) for reading in _utf16_reading(blob))
            continue
        if depth >= MAX_NESTING:
            raise Unprovable(f"archives nested more than {MAX_NESTING} deep")
        todo.extend((member, depth + 1) for member in _members(kind, blob, budget))
    return out


def _utf16_reading(data: bytes) -> list[bytes]:
    """The text of ``data`` read as UTF-16 without a byte-order mark (as UTF-8), when it looks like it: NUL in
    at least a quarter of the odd (little-endian) or even (big-endian) bytes, as ASCII text in UTF-16 has, and
    at most an eighth as many in the others (most binary files have NULs everywhere). Editors, ``iconv`` and
    browsers that sniff the NULs show such a file as text; scanned as it is, its letters are NUL-separated."""
    if b"\0" not in data:  # memchr: the common case costs nothing more
        return []
    even, odd = data[0::2].count(0), data[1::2].count(0)
    quarter = len(data) // 8
    if odd > quarter and even * 8 <= odd:
        encoding = "utf-16-le"
    elif even > quarter and odd * 8 <= even:
        encoding = "utf-16-be"
    else:
        return []
    return [data[:len(data) // 2 * 2].decode(encoding, "replace").encode("utf-8")]


_COMPRESSORS = ("gzip", "bzip2", "xz", "lzma")
_BZIP2 = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")


# Compressed and archive formats the standard library cannot read (Python 3.11 has no zstd): what is inside
# cannot be scanned or compared with the withheld attachments, so a file starting with one of these magics is
# refused whole, whatever its name, inside an archive or not. Brotli has no magic number and cannot be told
# from other bytes: it is not recognised (a limit, README "Archives, compressed files and UTF-16").
_UNOPENABLE = re.compile(rb"(?P<zstd>\x28\xb5\x2f\xfd|[\x50-\x5f]\x2a\x4d\x18)"  # a frame, a skippable frame
                         rb"|(?P<lz4>\x04\x22\x4d\x18|\x02\x21\x4c\x18)"  # a frame, the legacy format
                         rb"|(?P<_7z>7z\xbc\xaf\x27\x1c)|(?P<rar>Rar!\x1a\x07)")  # rar 1.5 to 4 and 5


def _unopenable_kind(data: bytes) -> str | None:
    """The name of the unopenable format ``data`` starts with (``_UNOPENABLE``), or None."""
    found = _UNOPENABLE.match(data)
    return None if found is None else str(found.lastgroup).lstrip("_")


def _archive_kind(data: bytes) -> str | None:
    """The archive or compression format ``data`` starts with (its magic bytes), or None."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if _BZIP2.match(data):
        return "bzip2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[:3] == b"\x5d\x00\x00" and len(data) >= 13:  # .lzma ("alone"): the usual properties byte
        return "lzma"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if data[257:262] == b"ustar":
        return "tar"
    return None


def _members(kind: str, data: bytes, budget: list[int]) -> list[bytes]:
    """The files inside one archive or compressed file, each counted against ``budget`` (bytes, files)."""
    try:
        if kind in _COMPRESSORS:
            return [_take(_decompressing(kind, data), budget)]  # _take closes it
        if kind == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return [_take(z.open(info), budget) for info in z.infolist() if not info.is_dir()]
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as t:
            out = []
            for member in t:
                budget[1] -= 1
                if budget[1] < 0:
                    raise Unprovable(f"more than {MAX_MEMBERS} files inside")
                handle = t.extractfile(member) if member.isfile() else None
                if handle is not None:
                    out.append(_take(handle, budget))
            return out
    except Unprovable:
        raise
    except (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile, tarfile.TarError,
            lzma.LZMAError, zlib.error) as e:
        raise Unprovable(f"unreadable {kind} ({type(e).__name__})") from None


def _decompressing(kind: str, data: bytes) -> gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=io.BytesIO(data))
    if kind == "bzip2":
        return bz2.BZ2File(io.BytesIO(data))
    return lzma.LZMAFile(io.BytesIO(data), format=lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)


def _take(stream: IO[bytes] | gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile, budget: list[int]) -> bytes:
    """All of ``stream``, or Unprovable past the budget: never more than the budget is decompressed."""
    budget[1] -= 1
    if budget[1] < 0:
        raise Unprovable(f"more than {MAX_MEMBERS} files inside")
    with stream:
        data = stream.read(budget[0] + 1)
    budget[0] -= len(data)
    if budget[0] < 0:
        raise Unprovable(f"unpacks to more than {MAX_UNPACKED} bytes")
    return data


def markers_in(data: bytes, automaton: LeakAutomaton) -> set[str]:
    """The markers in ``data``: those whose skeleton occurs in the skeleton of a normal form of ``data``
    (``skeletons``; where it refuses, the skeletons of the normal forms themselves), except that a marker
    ending in a digit is not found where the normal form has another digit right after it."""
    found: set[str] = set()
    if automaton.matcher is None and not automaton.short and not automaton.paths:
        return found
    both = skeletons(data)
    forms: list[str] | None = None
    if both is None:  # normalised whole; the skeletons of the normal forms themselves
        forms = _normal_texts(data)
        sks = [v.encode().translate(None, _NOT_ALNUM_ASCII) if v.isascii() else
               skeleton_of(v).encode("utf-8", "surrogatepass") for v in forms]
    else:
        sks = list(both[:1] if both[1] is both[0] else both)  # the same object when the file has no markup
    for sk in sks:
        found.update(_skeleton_hits(data, sk, automaton, forms))
    for form, marker in automaton.short:
        # Necessary: a text holding the form holds its letters and digits, contiguous in its skeleton. Only
        # files that pass are normalised whole (about 100 ms per MB).
        if not any(_skeleton_bytes(form) in sk for sk in sks):
            continue
        forms = forms or _normal_texts(data)
        if any(_occurs(form, v) for v in forms):
            found.add(marker)
    for bare, marker in automaton.paths:
        if not any(_skeleton_bytes(bare) in sk for sk in sks):
            continue
        forms = forms or _normal_texts(data)
        if any(_path_occurs(bare, v) for v in forms):
            found.add(marker)
    return found


def _skeleton_hits(data: bytes, sk: bytes, automaton: LeakAutomaton, forms: list[str] | None) -> set[str]:
    found: set[str] = set()
    if automaton.matcher is None:
        return found
    for index, _, end in automaton.matcher.find_matches_as_indexes(sk, overlapping=True):
        names = automaton.markers[index]
        # OSQI-2026-0001 must not match OSQI-2026-00012 (any script's digit counts). Where the skeleton has a
        # digit after the marker, only the normal form tells "0001 2" (a hit) from "00012".
        if _ends_in_digit(names[0]) and _digit_at(sk, end):
            forms = forms or _normal_texts(data)
            if not any(_apart_not_before_a_digit(names[0], v) for v in forms):
                continue
        found.update(names)
    return found


def _normal_texts(data: bytes) -> list[str]:
    return [v.decode("utf-8", "surrogatepass") for v in normal_views(data)]


def _apart_not_before_a_digit(marker: str, view: str) -> bool:
    """Whether the marker's letters and digits occur in ``view`` with anything else between them, and no
    digit (any script's, as ``str.isdigit``) right after the last."""
    pattern = _spelled_apart(marker)
    found = pattern.search(view)
    while found is not None:
        if not view[found.end():found.end() + 1].isdigit():
            return True
        found = pattern.search(view, found.start() + 1)
    return False


@functools.cache
def _spelled_apart(marker: str) -> re.Pattern[str]:
    """The marker's letters and digits with any non-alphanumerics between them. Linear: each gap's class
    excludes the letter after it, so no two quantifiers compete for a character."""
    gap = r"[\W_]*"
    return re.compile(gap.join(re.escape(c) for c in skeleton_of(_normal_or_raw(marker))))


def _occurs(form: str, view: str) -> bool:
    """Whether ``form`` occurs in ``view`` not followed by a digit where it ends in one."""
    at = view.find(form)
    while at != -1:
        if not (form[-1].isdigit() and view[at + len(form):at + len(form) + 1].isdigit()):
            return True
        at = view.find(form, at + 1)
    return False


def _path_occurs(bare: str, view: str) -> bool:
    """Whether a site path without its slash occurs in ``view`` with no letter or digit right after it (the
    path ``merger-plans`` in ``merger-plans#x`` or ``merger-plans.txt``, not in ``merger-plansx``)."""
    at = view.find(bare)
    while at != -1:
        if not view[at + len(bare):at + len(bare) + 1].isalnum():
            return True
        at = view.find(bare, at + 1)
    return False


def _ends_in_digit(marker: str) -> bool:
    return _normal_or_raw(marker)[-1:].isdigit()


def _digit_at(data: bytes, at: int) -> bool:
    """Whether the character starting at byte ``at`` is a digit (any script's, as ``str.isdigit``)."""
    return data[at:at + 4].decode("utf-8", "replace")[:1].isdigit()


def find_leaks(files: Mapping[str, bytes], markers: Iterable[str],
               attachments: Mapping[str, str] | None = None) -> list[str]:
    """``path: marker`` for every output file that contains a withheld marker or attachment."""
    automaton = leak_automaton(markers, attachments)
    if automaton is None:
        return []
    return [hit for path, data in sorted(files.items()) for hit in leaks_in(path, data, automaton)]
