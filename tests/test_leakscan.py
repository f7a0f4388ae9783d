"""The leak scan's normal form, mentions in every spelling and field, and withheld attachments by their bytes."""

from __future__ import annotations

import bz2
import dataclasses
import functools
import gzip
import hashlib
import io
import itertools
import lzma
import re
import shutil
import string
import sys
import tarfile
import tracemalloc
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from factory import SETTINGS, make_disclosure
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sitefixture import build, built

from osqi_site.build import leakscan, pipeline
from osqi_site.core.model import (
    Affected,
    Attachment,
    Credit,
    Disclosure,
    Range,
    Reference,
    Revision,
    TimelineEvent,
    Withdrawal,
)

ID = "OSQI-2026-0004"

SPELLINGS = [
    "osqi-2026-0004",                      # lower case, as CSAF file names spell IDs
    "OSQI\u20112026\u20130004",            # non-breaking hyphen, en dash
    "OSQI\u22122026-0004",                 # minus sign
    "OS\u200bQI-20\u00ad26-0004",          # zero-width space, soft hyphen
    "\ufeffOSQI-2026\u200d-0004",          # BOM, zero-width joiner
    "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in ID),  # full-width
    "OSQI%2D2026%2d0004",                  # percent-escapes
    "&#79;SQI&#x2D;2026&hyphen;0004",      # decimal, hex and named references
    "&#79SQI-2026-0004",                   # a reference without ';'
    "OSQI-2026-<b>0004</b>",               # markup split
    "OSQI-2026-&#x30;004",                 # one digit as a reference
    "OSQI-2026-00&#48&#x34",               # references without ';'
    "\\u004fSQI-2026-0004",                # JSON escape
    "\u041e\u0405\u051a\u0406-2026-0004",    # Cyrillic look-alikes of O, S, Q, I
    "\u039fS\u051a\u0399-2026-0004",         # Greek capital omicron and iota
    "OSQ\ua4f2-2026-0004",                 # Lisu letter I, which has no case: read as I, not as UTS #39's "l"
    "OSQI-2026-\u3007\u3007\u30074",        # ideographic zero (a numeral) reads as 0
    "OSQI-\u0662\u0660\u0662\u0666-\u0660\u0660\u0660\u0664",  # Arabic-Indic digits, read by value
    "OSQI-\u0968\u0966\u0968\u096c-\u0966\u0966\u0966\u096a",  # Devanagari digits
    "&#x41E;SQI-2026-0004",                # a look-alike as a reference
    "%D0%9ESQI-2026-0004",                 # ... and percent-escaped
    "OSQI 2026 0004",                      # other separators, and none (attack finding 2-11)
    "OSQI_2026_0004",
    "OSQI/2026/0004",
    "OSQI+2026+0004",
    "OSQI20260004",
    "OSQI-2026-\u17b4\u17b50004",          # Khmer inherent vowels, default-ignorable (finding 2-14)
    "OS\u2065QI-2026-\ufff00004",           # unassigned code points
    "OSQI-2026-\U000e00000004\U00050000",   # ... in planes 14 and 5
    "\u3164OSQI\u034f-2026-0004",           # Hangul filler, combining grapheme joiner
    "OSQI-2026-\\30 004",                 # CSS hex escape (finding 2-03)
    "OSQI-2026-\\000030004",              # ... of six digits, no space
    "OSQI-2026-\\x30004",                 # JavaScript escapes
    "OSQI-2026-\\u{30}004",
    "\\4f\tSQI-2026-0004",                 # CSS escape ended by a tab
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_id_is_a_mention(spelling: str) -> None:
    assert leakscan.ids_in(f"see {spelling}.", "OSQI") == [ID]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_marker_is_a_leak(spelling: str) -> None:
    assert leakscan.find_leaks({"a.html": f"<p>x {spelling} y</p>".encode()}, [ID]) == [f"a.html: {ID}"]


def test_every_dash_reads_as_a_hyphen() -> None:
    dashes = [chr(c) for c in range(0x20000) if leakscan.is_dash(chr(c))]
    assert len(dashes) > 20 and "\u2011" in dashes and "\u2212" in dashes
    for c in dashes:
        assert leakscan.normalise(f"a{c}b") == "a-b", hex(ord(c))
    # Where a marker is matched in the normal form itself (a withheld page's path), a dash is a hyphen.
    page = "<a href=x>merger\u2011with\u2013acme/</a>".encode()
    assert leakscan.find_leaks({"a.html": page}, ["merger-with-acme/"]) == ["a.html: merger-with-acme/"]


def test_an_escaped_escape_reads_as_an_escape_and_normalising_twice_changes_nothing() -> None:
    # A reader sees "&#48;" where the page has "&amp;#48;": one level of each escape is what reaches a reader.
    assert leakscan.normalise("OSQI-2026-&amp;#48;004") == "osqi-2026-#48;004"
    assert leakscan.normalise("%2541 &amp;amp; \\\\u0041") == "41 amp; u0041"


def test_digit_boundary_and_titles_with_ampersand_and_apostrophe() -> None:
    assert leakscan.find_leaks({"a": b"OSQI-2026-00041"}, [ID]) == []
    title = "Tom & Jerry's parser"
    for spelled in ("Tom &amp; Jerry&#39;s parser", "Tom &#38; Jerry&#x27;s parser", "tom &amp jerry&apos;s parser",
                    "Tom%20%26%20Jerry%27s%20parser"):
        assert leakscan.find_leaks({"a": spelled.encode()}, [title]) == [f"a: {title}"], spelled


def test_find_leaks_sees_every_spelling_and_respects_id_boundaries() -> None:
    files = {
        "a.html": b"<p>Soon: OSQI-2026-0004 &amp; more</p>",
        "b.json": b'{"url": "https:\\/\\/x\\/Secret title\\/"}',
        "c.xml.gz": gzip.compress(b"<title>x/Secret title</title>"),
        "d.html": b"OSQI-2026-00041 is another disclosure",
        "e.bin": bytes(range(256)) + b"OSQI-2026-0004",
        "f.gz": b"\x1f\x8b not gzip",  # gzip by its magic bytes, whatever the name
        "g.gz": b"not gzip",  # by its bytes, not gzip at all: scanned as it is
    }
    leaks = leakscan.find_leaks(files, ["OSQI-2026-0004", "x/Secret title"])
    assert leaks == ["a.html: OSQI-2026-0004", "b.json: x/Secret title", "c.xml.gz: x/Secret title",
                     "e.bin: OSQI-2026-0004",
                     "f.gz: unreadable gzip (BadGzipFile), cannot prove it is clean"]
    assert leakscan.find_leaks(files, []) == []


def test_find_leaks_matches_non_ascii_markers_and_any_scripts_digits() -> None:
    files = {"a.html": "Bientôt : « Fuite sécurité » dans 🚀 l\u2019outil".encode(),
             "b.html": "OSQI-2026-0004٣ is another ID (Arabic-Indic digit)".encode(),
             "c.bin": b"\xff\xfe" + "Fuite sécurité".encode("utf-16-le") + b"\x80Fuite s\xc3\xa9curit\xc3\xa9\x81"}
    leaks = leakscan.find_leaks(files, ["Fuite sécurité", "OSQI-2026-0004"])
    assert leaks == ["a.html: Fuite sécurité", "c.bin: Fuite sécurité"]


def test_withheld_attachment_is_found_by_its_bytes_under_any_name() -> None:
    poc = b"int main() { return 1; }\n"
    digests = {hashlib.sha256(poc).hexdigest(): "poc.c"}
    found = leakscan.find_leaks({"x/y.txt": poc, "z": b"other"}, [], digests)
    assert found == ["x/y.txt: the exact bytes of withheld attachment poc.c"]


def test_look_alike_id_alias_and_title_of_the_red_team_report_are_found() -> None:
    # Attack finding 06: Cyrillic letters that look like Latin ones, in the ID, the CVE alias and the title.
    assert leakscan.ids_in("Coming soon: \u041e\u0405\u051a\u0406-2026-0002.", "OSQI") == ["OSQI-2026-0002"]
    page = "<p>\u0421\u0474\u0415-2026-77310, \u201cHeap \u043everflow in canarypkg\u201d</p>"
    markers = ["CVE-2026-77310", "Heap overflow in canarypkg", "OSQI-2026-0002"]
    assert leakscan.find_leaks({"a.html": page.encode()}, markers) == [
        "a.html: CVE-2026-77310", "a.html: Heap overflow in canarypkg"]


def test_look_alikes_read_as_the_ascii_they_imitate() -> None:
    assert leakscan.normalise("\u0421\u0412\u0415") == "cbe"  # Cyrillic Ve looks like B, not V
    assert leakscan.normalise("\u0417\u0431") == "36"          # Ze and be look like digits
    # Arabic-Indic digits keep the rule that reads digits by value (U+0661 is 1).
    assert leakscan.normalise("\u0661\u0663") == "13"


def test_ascii_is_never_folded_so_distinct_ids_and_words_stay_distinct() -> None:
    # UTS #39 gives "0" and "O" one skeleton, and "1", "I", "l" another; the normal form keeps them apart, so a
    # public ID is never taken for a withheld one and ordinary words do not match a marker.
    forms = [leakscan.normalise(s) for s in ("OSQI-2026-0001", "OSQI-2026-O001", "OSQl-2026-0001", "OSQ1-2026-0001")]
    assert len(set(forms)) == 4
    assert leakscan.find_leaks({"a": b"OSQI-2026-O0I1 and OSQI-2026-0011"}, ["OSQI-2026-0011"]) == ["a: OSQI-2026-0011"]
    assert leakscan.find_leaks({"a": b"OSQI-2026-OOll"}, ["OSQI-2026-0011"]) == []
    assert all(not c.isascii() for c in leakscan.glyph_folds())


def _prototypes() -> dict[str, str]:
    out = {}
    for line in leakscan.GLYPH_DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            source, target = ("".join(chr(int(h, 16)) for h in f.split()) for f in line.split(";")[:2])
            out[source] = target
    return out


def test_every_look_alike_fold_is_unicodes_prototype_and_a_fixed_point() -> None:
    prototypes = _prototypes()
    folds = leakscan.glyph_folds()
    assert len(folds) == 581  # as the README says
    for c, reads in folds.items():
        proto = prototypes[c]
        # Only where UTS #39 merges ASCII characters ("l" for l, I, 1; "O" for O, 0) may the reading differ.
        assert reads == proto.lower() or (proto, reads) in {("l", "i"), ("l", "1"), ("O", "0")}, (c, reads)
        assert reads.isascii() and not any(ch.isspace() or ch in "&%\\" for ch in reads)
        # Characters with a rule of their own keep it; a mark joins the letter before it and is not folded.
        assert unicodedata.decimal(c, None) is None and not leakscan.composes_backward(c), c
        assert not (leakscan.is_invisible(c) or leakscan.is_dash(c) or c.isspace()), c
        assert leakscan.normalise(c) == leakscan.normalise(reads), c
    for c in "\u041e\u0405\u0406\u0421\u0415\u0474\u043e\u0430\u0440\u0435":  # the common Cyrillic ones
        assert c in folds


_READERS: dict[str, list[str]] = {}
for _c, _reads in sorted(leakscan.glyph_folds().items()):
    _READERS.setdefault(_reads, []).append(_c)


@settings(max_examples=300)
@given(st.sampled_from(["OSQI-2026-0004", "Heap overflow in canarypkg", "CVE-2026-77310", "Secret title"]),
       st.data(), st.sampled_from([" ", "\n", "> ", " x "]), st.sampled_from([" ", "\n", " <", " y"]))
def test_any_marker_with_any_letters_replaced_by_look_alikes_is_found(marker: str, data: st.DataObject,
                                                                     before: str, after: str) -> None:
    chars = list(marker)
    swappable = [i for i, c in enumerate(chars) if _READERS.get(c.lower())]
    chosen = data.draw(st.sets(st.sampled_from(swappable), min_size=1))
    for i in chosen:
        look_alike = data.draw(st.sampled_from(_READERS[chars[i].lower()]))
        chars[i] = data.draw(st.sampled_from([look_alike, f"&#{ord(look_alike)};", look_alike + "\u200b"]))
    text = "head" + before + "".join(chars) + after + "tail"
    assert leakscan.find_leaks({"f": text.encode()}, [marker]) == [f"f: {marker}"]
    if marker.startswith("OSQI"):
        assert leakscan.ids_in(text, "OSQI") == [marker]


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_ESCAPES = st.lists(st.sampled_from(["&amp;", "&", "#48;", "#x4F;", "%25", "%", "4F", "\\\\", "\\", "u004f", "x4f",
                                     "4f ", "O", "\u200b", "\uff10", "\u2011", " "]), max_size=8).map("".join)
"""Escapes of escapes: one level of each is decoded, so a second normalisation must find nothing left to do."""


@given(_TEXT | _ESCAPES)
@example("&amp;#48;").via("an HTML escape of an HTML escape")
@example("%254F").via("a percent-escape of a percent-escape")
@example("\\\\u004f").via("a backslash escape of a backslash escape")
def test_normalise_is_idempotent(text: str) -> None:
    try:
        once = leakscan.normalise(text)
    except leakscan.TooDeep:
        return
    assert leakscan.normalise(once) == once


def _respell(c: str, how: int) -> str:
    return [c, c.upper(), f"&#{ord(c)};", f"&#x{ord(c):x};", "".join(f"%{b:02X}" for b in c.encode()),
            c + "\u200b", f"\\u{ord(c):04x}", f"\\{ord(c):x} ", f"\\{ord(c):06x}", f"\\x{ord(c):02x}",
            f"\\u{{{ord(c):x}}}", c + "\u17b4", c + "\U00050000"][how]


@given(st.sampled_from(["OSQI-2026-0004", "Secret title", "CVE-2026-41234"]), st.data(),
       st.sampled_from([" ", "\n", "> ", " x "]), st.sampled_from([" ", "\n", " <", " y"]))
def test_a_marker_respelled_any_way_and_embedded_is_found(marker: str, data: st.DataObject, before: str,
                                                           after: str) -> None:
    spelled = "".join(_respell(c, data.draw(st.integers(0, 12))) if c != "-" else
                      data.draw(st.sampled_from(["-", "\u2010", "\u2014", "\u2212", "&ndash;", "%2D", " ", "_", "/",
                                                 "+", ""]))
                      for c in marker)
    text = "head" + before + spelled + after + "tail"
    assert leakscan.find_leaks({"f": text.encode()}, [marker]) == [f"f: {marker}"]


def test_the_shipped_character_tables_are_those_made_from_this_pythons_unicode_data() -> None:
    # When it fails after a Python upgrade, write the file again:
    #   python -c "from osqi_site.build import leakscan as L; L.TABLE_DATA.write_text(L.table_text(L.made_tables()))"
    assert leakscan.TABLE_DATA.read_text(encoding="ascii") == leakscan.table_text(leakscan.made_tables())
    made, read = leakscan._from_chars(leakscan.made_tables()), leakscan._tables.__wrapped__()
    assert (read.invisible.pattern, read.astral_invisible, read.dashes.pattern, read.second_halves) == \
        (made.invisible.pattern, made.astral_invisible, made.dashes.pattern, made.second_halves)


@pytest.mark.parametrize("text", ["unicode 1.0.0\ninvisible 0\ndashes 2D\nsecond_halves 301\n", "", "unicode"])
def test_character_tables_of_another_unicode_or_unreadable_are_made_here(
        text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = tmp_path / "tables.txt"
    shipped.write_text(text.replace("1.0.0", "1.0.0" if text.startswith("unicode 1") else unicodedata.unidata_version))
    monkeypatch.setattr(leakscan, "TABLE_DATA", shipped)
    made = leakscan._from_chars(leakscan.made_tables())
    read = leakscan._tables.__wrapped__()
    assert (read.invisible.pattern, read.dashes.pattern, read.second_halves) == \
        (made.invisible.pattern, made.dashes.pattern, made.second_halves)


def test_character_tables_are_complete_over_every_code_point() -> None:
    """The short walk over planes 0, 1 and 14 finds every assigned invisible and every dash character there is;
    beyond them only unassigned code points are invisible, and the normal form removes those by category."""
    walked = set(range(0x20000)) | set(range(0xE0000, 0xE1000))
    others = [c for c in range(sys.maxunicode + 1) if c not in walked
              and ((leakscan.is_invisible(chr(c)) and unicodedata.category(chr(c)) != "Cn")
                   or leakscan.is_dash(chr(c)))]
    assert others == []
    unassigned = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cn"]
    assert all(leakscan.is_invisible(chr(c)) for c in unassigned)
    for c in [*unassigned[::997], 0x50000, 0x10FFFF, 0xE0FFF]:  # a sample over every plane
        assert leakscan.normalise(f"a{chr(c)}b") == "ab", hex(c)
    assert leakscan.is_dash("\u2212") and leakscan.is_dash("\u2e3a") and not leakscan.is_dash("\u00b1")
    assert all(leakscan.is_invisible(c) for c in "\u200b\u200c\u200d\u00ad\ufeff\u202e\u2066\ufe0f")
    assert unicodedata.category("\u2011") == "Pd"


def test_every_default_ignorable_code_point_is_removed() -> None:
    """Unicode's Default_Ignorable_Code_Point: category Cf, the variation selectors, and the code points of
    Other_Default_Ignorable_Code_Point (PropList.txt), among them the Khmer inherent vowels of finding 2-14."""
    listed = [c for r in leakscan.OTHER_DEFAULT_IGNORABLE for c in r]
    assert {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2065, 0x3164, 0xFFA0, 0xFFF0, 0xFFF8, 0xE0000, 0xE0002,
            0xE001F, 0xE0080, 0xE00FF, 0xE01F0, 0xE0FFF} <= set(listed)
    formats = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    selectors = [*range(0x180B, 0x180E), 0x180F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
    for c in listed + formats + selectors:
        assert leakscan.is_invisible(chr(c)), hex(c)
        assert leakscan.normalise(f"a{chr(c)}b") == "ab", hex(c)


_ID_TEXT = st.lists(st.sampled_from(["osqi", "OSQI", "osq", "qi", "xosqi", "_", "-", " ", "\n", "/", "2026", "0004",
                                      "00049", "1", "a", "é", "٣", "\u2011"]), max_size=12).map("".join)


@given(_ID_TEXT)
@example("xosqi-2026-0004 osqi-2026-0005").via("a prefix glued to a letter, then a real one")
@example("_osqi_2026_0004").via("an underscore before the prefix is no letter")
def test_the_id_pattern_finds_what_its_look_behind_first_form_finds(text: str) -> None:
    # The pattern puts the prefix first (C-speed search) and looks behind it; this is the plain reading.
    plain = re.compile(r"(?<![^\W_])osqi[\W_]*([0-9]{4})[\W_]*([0-9]{4,})(?![0-9])")
    assert leakscan.id_pattern("OSQI").findall(text) == plain.findall(text)


@given(st.lists(_ID_TEXT | _TEXT, max_size=6))
@example(["a OSQI-2026-0004", "b"]).via("the fast path, ID in the first text")
@example(["x", "OSQI-2026-0004"]).via("the fast path, ID in the last text")
@example(["x%", "OSQI-2026-0004"]).via("the slow path")
def test_any_ids_in_is_true_whenever_one_text_mentions_an_id(texts: list[str]) -> None:
    if any(leakscan.ids_in(t, "OSQI") for t in texts):
        assert leakscan.any_ids_in(texts, "OSQI")


def test_text_fields_are_every_text_of_every_field_but_paths_and_the_narrative() -> None:
    def plain(value: object, name: str) -> list[tuple[str, str]]:  # the rule, read as simply as it is said
        if isinstance(value, str):
            return [(name, value)]
        if isinstance(value, tuple):
            return [x for i, item in enumerate(value) for x in plain(item, f"{name}[{i}]")]
        if dataclasses.is_dataclass(value):
            return [x for f in dataclasses.fields(value) if f.name not in ("source", "body")
                    for x in plain(getattr(value, f.name), f"{name}.{f.name}" if name else f.name)]
        return []

    when = datetime(2026, 11, 2, tzinfo=UTC)
    full = make_disclosure(
        related=("GHSA-aaaa-bbbb-cccc",), upstream=("CVE-2026-1",), seal="ab" * 32,
        affected=(Affected("npm", "p", "pkg:npm/p", "https://r.example/x", (Range("0", None, "2"),), ("1", "2"),
                           '{"a": 1}', '{"b": 2}'), Affected("Go", "q")),
        credits=(Credit("A", "FINDER", ("mailto:a@x.example", "https://x.example")),),
        timeline=(TimelineEvent(date(2026, 10, 1), "discovered", "a note"), TimelineEvent(when, "reported")),
        revisions=(Revision(when, "fixed a typo"),), withdrawn=Withdrawal(when, "a duplicate"),
        attachments=(Attachment("poc.py", "disclosures/2026/OSQI-2026-0001/poc.py"),))
    assert leakscan.text_fields(full) == plain(full, "")
    assert {name.split("[")[0].split(".")[0] for name, _ in plain(full, "")} == \
        {f.name for f in dataclasses.fields(Disclosure)} - {"source", "body", "embargo_until", "body_line", "draft"}


def test_mentions_cover_every_published_field() -> None:
    base = Disclosure(id="OSQI-2026-0001", title="A title", embargo_until=None, body="", source="d/x.md")
    for changed, field in [
            (replace(base, aliases=("osqi-2026-0009",)), "aliases[0]"),
            (replace(base, references=(Reference("WEB", "https://x.example/OSQI%2D2026%2D0009"),)),
             "references[0].url"),
            (replace(base, credits=(Credit("Finder OSQI\u20112026\u20110009", "FINDER"),)), "credits[0].name")]:
        found = pipeline.mentions(changed, SETTINGS).found
        assert (1, field, "OSQI-2026-0009") in found, field


def test_lower_case_withheld_id_in_a_public_alias_fails_the_build(project: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    path.write_text(path.read_text().replace("aliases: []", "aliases: [OSQI-2026-0004]", 1))
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "OSQI-2026-0002.md:1: aliases[0]: mentions OSQI-2026-0004, which is not a public disclosure" in err
    assert not (tmp_path / "site").exists()


def test_content_page_with_a_hidden_spelling_of_a_withheld_id_fails(project: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "index.md").write_text("# Home\n\nSoon: osqi-2026-\u200b0004.\n")
    assert build(project, tmp_path / "site") == 1
    assert "content/index.md:3: body: mentions OSQI-2026-0004" in capsys.readouterr().err


def test_withheld_attachment_copied_into_content_fails_the_build(project: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    poc = next((project / "disclosures" / "2026" / "OSQI-2026-0004").iterdir())
    shutil.copy(poc, project / "content" / "harmless.txt")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "harmless.txt: the exact bytes of withheld attachment disclosures/2026/OSQI-2026-0004/poc-" in err
    assert not (tmp_path / "site").exists()


def test_a_link_to_a_withheld_page_or_project_page_fails_the_build(project: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # A link copied from the preview's address bar: the URL names what is coming, the title is not in it.
    content = project / "content"
    (content / "merger-with-acme.md").write_text("---\ntitle: Board notes\nembargo_until: 2099-01-01T00:00:00Z\n"
                                                 "---\n\nWe are merging.\n")
    (content / "projects").mkdir(exist_ok=True)
    (content / "projects" / "xz.md").write_text(
        "---\nname: XZ Utils\ncare: life-support\nsince: 2025-06-01\nembargo_until: 2099-01-01T00:00:00Z\n"
        "repo: https://github.com/tukaani-project/xz\npackages:\n  - ecosystem: Debian\n    package: xz-utils\n"
        "---\n\n## Why we look after it\n")
    index = content / "index.md"
    original = index.read_text()
    for link, marker in (("https://osqi.example/merger-with-acme/", "merger-with-acme/"),
                         ("projects/xz/", "projects/xz/"),
                         ("https://osqi.example/projects/xz/feed.xml", "projects/xz/")):
        index.write_text(f"{original}\nComing soon: [news]({link}).\n")
        assert build(project, tmp_path / "site") == 1, link
        assert f"index.html: {marker}" in capsys.readouterr().err
        assert not (tmp_path / "site").exists()
    index.write_text(original)
    assert build(project, tmp_path / "site") == 0


def test_a_withheld_pages_path_without_its_slash_fails_the_build(project: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # Servers redirect https://site/merger-with-acme to the page: the path names it with or without the slash,
    # in a link, in prose or as a file's name.
    content = project / "content"
    (content / "merger-with-acme.md").write_text("---\ntitle: Board notes\nembargo_until: 2099-01-01T00:00:00Z\n"
                                                 "---\n\nWe are merging.\n")
    index = content / "index.md"
    original = index.read_text()
    for text in ("[news](https://osqi.example/merger-with-acme)", "<https://osqi.example/merger-with-acme#x>",
                 "Soon: merger-with-acme."):
        index.write_text(f"{original}\nComing soon: {text}\n")
        assert build(project, tmp_path / "site") == 1, text
        assert "index.html: merger-with-acme/" in capsys.readouterr().err
        assert not (tmp_path / "site").exists()
    index.write_text(original)
    (content / "merger-with-acme.txt").write_text("hi\n")
    assert build(project, tmp_path / "site") == 1
    assert "SHA256SUMS: merger-with-acme/" in capsys.readouterr().err  # the list of files names each
    assert not (tmp_path / "site").exists()
    (content / "merger-with-acme.txt").unlink()
    assert build(project, tmp_path / "site") == 0


def test_a_page_path_without_its_slash_is_matched_only_where_distinctive() -> None:
    markers = leakscan.page_markers([], ["secret/", "projects/xz/", "merger-with-acme/"])
    found = leakscan.find_leaks({"a.html": b'<a href="/projects/xz?x">x</a>',
                                 "b.txt": "merger\u2011with-acme.png".encode(), "c.txt": b"merger-with-acme"}, markers)
    assert found == ["a.html: projects/xz/", "b.txt: merger-with-acme/", "c.txt: merger-with-acme/"]
    # A one-word path is that word without its slash: matched with the slash only. Nor is a longer path's name
    # another page's, nor its words apart.
    assert leakscan.find_leaks({"e.txt": b"our secret plans; projects/xzutils; merger-with-acmes; merger with acme"},
                               markers) == []


def test_page_markers_are_titles_and_paths_of_at_least_six_characters() -> None:
    assert leakscan.page_markers(["Board notes", "Notes"], ["merger-with-acme/", "ab/", "", "projects/xz/"]) == \
        ("Board notes", "merger-with-acme/", "projects/xz/")


def test_a_page_path_is_matched_whole_never_by_its_words() -> None:
    # "secret/" is a withheld page's URL: a link to it is a leak, the word "secrets" in public prose is not.
    markers = leakscan.page_markers([], ["secret/", "projects/xz/"])
    assert leakscan.find_leaks({"a.html": b'<a href="../secret/">x</a>'}, markers) == ["a.html: secret/"]
    assert leakscan.find_leaks({"b.html": b"<p>We keep no secrets except embargoes; secret work.</p>"}, markers) == []
    assert leakscan.find_leaks({"c.json": b'{"u": "https://s.example/projects/xz/"}'}, markers) == \
        ["c.json: projects/xz/"]
    assert leakscan.find_leaks({"d.txt": b"projects xz"}, markers) == []


# Pieces that exercise every rule of the normal form, and the joins between them that the fast path must
# either see through or refuse.
_PIECES = st.sampled_from([
    *"aZ09 -<>/;#x", "\n", "\t", "\x00", "\x01", "é", "e\u0301", "\u0301", "\u00b4", "\u200b", "\u00ad", "\ufeff",
    "\u2011", "\u2212", "\uff2f", "\uff05", "\uff06", "\ufb01", "\u1100", "\u1161", "\uff8a", "\uff9e", "\u0130",
    "ß", "&", "&amp;", "&amp", "&lt;", "&gt;", "&#79;", "&#x4f;", "&#x4F", "&#37;", "&#52;", "&percnt;", "&eacute;",
    "&#769;", "&ndash;", "&hyphen;", "&qopf;", "&notit;", "&ampx", "%", "%41", "%4", "%2D", "%C3%A9", "%CC%81", "%25",
    "\\", "\\n", "\\\"", "\\/", "\\u0041", "\\u00e9", "\\u0026", "\\u0301", "\\ud83d\\ude80", "<b>", "</b>",
    "<a href='x'>", "<!-- c -->", "< ", "\udc80", "\x85", "\xa0",
    # Look-alikes: Cyrillic, Greek, a caseless one, a numeral, one that NFKC makes, and as escapes.
    "\u041e", "\u0455", "\u0406", "\u0412", "\u0432", "\u0417", "\u03c3", "\ua4f2", "\u3007", "\u0627", "\U0001d7ce",
    "&#x41E;", "%D0%9E", "\\u0406",
    # CSS and JavaScript escapes, and default-ignorable and unassigned code points.
    "\\30 ", "\\30", "\\4f", "\\26 ", "\\25 ", "\\3a9 ", "\\301 ", "\\e9\t", "\\b", "\\bf", "\\f", "\\0",
    "\\x41", "\\x26", "\\xe9", "\\u{41}", "\\u{1F680}", "\\u{110000}", "\u03a9", "\u17b4", "\U00050000",
    "\u3164", "\u1369", "&hellip", "\\3b ", "\\x23", "\\u{3b}", "%4", "&#",
])


@settings(max_examples=600)
@given(st.lists(_PIECES, max_size=24))
@example(["\\u0026", "#", "0", "9", ";"])  # a JSON "&" completes a reference: the skeleton must refuse
@example(["&#37;", "0", "9"])               # an HTML "%" completes a percent-escape
@example(["%", "&#x4F", "a"])               # ... and so does an HTML hex digit
@example(["e", "\u0301"])                   # a combining accent joins the letter before it
@example(["\\3a9 ", "\u0301"])             # ... the letter a CSS escape ends with, whose space it eats
@example(["&#4", "\\x38", ";"])            # a JavaScript digit completes a reference
@example(["\\26 ", "#", "4", "8", ";"])        # a CSS "&" starts one
@example(["&hellip", "\\3b "])              # a CSS ";" completes a named reference
@example(["%4", "\\u{31}"])                 # ... a JavaScript digit a percent-escape
@example(["&#", "\\x34", "\\x38"])           # ... escapes next to each other a reference
def test_skeletons_are_the_letters_and_digits_of_the_normal_forms(pieces: list[str]) -> None:
    """The fast path's proof obligation: where it answers, it answers what normalising would."""
    text = "".join(pieces)
    got = leakscan.skeletons(text.encode("utf-8", "surrogateescape"))
    if got is None:
        return  # refused: the file is normalised whole
    views = list(leakscan.views(text))
    expected = tuple("".join(c for c in view if c.isalnum()).encode("utf-8", "surrogatepass")
                     for view in (views[0], views[-1]))  # without markup there is one view
    assert got == expected


# -- the skeleton at C speed, held byte for byte to the plain implementation ---------------------------------
#
# ``leakscan.skeletons`` finds each kind of construct by a pattern of its own and resolves the most frequent
# backslash escapes in one substitution beforehand. The implementation it replaced (commit 40b259f) is kept here
# as the reference: the tags marked in one substitution, then every construct resolved in file order by one
# substitution with a callback. Both share the rules (``_AFTER_BACKSLASH``, ``_construct_skeleton``), which the
# tests above hold to the normal form; the reference freezes the algorithm: scan order, adjacency, tags.

_REF_CONSTRUCT = re.compile(
    rb"[\\&%\x80-\xff](?:"
    rb"(?<=\\)(?:" + leakscan._AFTER_BACKSLASH.encode() + rb")"
    rb"|(?<=&)(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]{0,31};?)"
    rb"|(?<=%)[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*"
    rb"|(?<=[\x80-\xff])[\x80-\xff]*)")
_REF_NOT_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum() and c not in b"\0\1\2<>")
_REF_TAG_START = re.compile(rb"<(?=[A-Za-z/!?])")
_REF_SKELETON_TABLE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ<>", b"abcdefghijklmnopqrstuvwxyz\2\1")
_REF_SKELETON_TAG = re.compile(rb"\x00[^\x00-\x02]*\x01")
_REF_RAW_TAG_BYTES = bytes.maketrans(b"\0\1\2", b"\x7f\x7f\x7f")
_REF_ESCAPE_BODY = frozenset(string.ascii_letters.encode() + string.digits.encode() + b"&#%")
_REF_STAYS_ALONE = frozenset(b" \t\n\r\x0b\x0c!\"#$'()*+,-./:?@[]^_`{|}~")


def reference_skeletons(data: bytes) -> tuple[bytes, bytes] | None:
    """``leakscan.skeletons`` as it was: plain, one substitution per step, a callback per construct."""
    refused = False
    last_end = -1

    def one(m: re.Match[bytes]) -> bytes:
        nonlocal refused, last_end
        got = leakscan._construct_skeleton(m.group())
        start = m.start()
        if got is None or (got[1] and start and (marked[start - 1] not in _REF_STAYS_ALONE or start == last_end)) \
                or (got[2] and start and (marked[start - 1] in _REF_ESCAPE_BODY or start == last_end)):
            refused = True
            return b""
        last_end = m.end()
        return got[0]

    if b"\0" in data or b"\1" in data or b"\2" in data:
        data = data.translate(_REF_RAW_TAG_BYTES)
    marked = _REF_TAG_START.sub(b"\0", data) if b"<" in data else data
    pieces = _REF_CONSTRUCT.sub(one, marked).translate(_REF_SKELETON_TABLE, _REF_NOT_ALNUM)
    if refused:
        return None
    text = pieces.translate(None, b"\0\1\2")
    return text, (_REF_SKELETON_TAG.sub(b"", pieces).translate(None, b"\0\1\2") if b"\0" in pieces else text)


# Bytes that exercise every step of the fast path: the bytes it reserves (3, 4) and those the skeleton spells
# tags in (0-2), DEL, invalid UTF-8, "<" that starts a tag or not, ">", the escapes resolved beforehand next to
# each other and next to others, references of "%" and hex digits, percent runs, combining marks (raw, escaped,
# referenced) after constructs, non-ASCII runs.
_BYTE_PIECES = st.sampled_from([
    b"\0", b"\1", b"\2", b"\3", b"\4", b"\x7f", b"\x80", b"\xc2", b"\xff", b"\xed\xa0\x80", b"\xcc\x81",
    "\u00b6".encode(), "\u2026".encode(), "\u00e9".encode(), "\uff21".encode(), "\u0130".encode(),
    b"<", b">", b"<a", b"</", b"<!", b"<?", b"<b>", b"</b>", b"<a href='x'>", b"< ", b"<<", b"<5", b"<\xc3\xa9",
    b"\\", b"\\\\", b"\\n", b'\\"', b"\\t", b"\\r", b"\\/", b"\\b", b"\\f", b"\\bf", b"\\u0041", b"\\u0301",
    b"\\u0026", b"\\ud83d\\ude80", b"\\x41", b"\\x26", b"\\x3b", b"\\30 ", b"\\30", b"\\301 ", b"\\u{31}",
    b"&", b"&amp;", b"&lt;", b"&#39;", b"&#37;", b"&#x25;", b"&#x41", b"&#4", b"&percnt;", b"&#769;", b"&x",
    b"&hellip", b"&#", b"%", b"%4", b"%41", b"%2D", b"%25", b"%CC%81", b"%C3%A9",
    b"a", b"Z", b"e", b"0", b"9", b"#", b";", b" ", b"\n", b"\t", b"-", b"/",
])
_SKELETON_INPUT = st.lists(_BYTE_PIECES | _PIECES.map(lambda s: s.encode("utf-8", "surrogateescape"))
                           | st.binary(max_size=3), max_size=32).map(b"".join)


@settings(max_examples=1500)
@given(_SKELETON_INPUT)
@example(b"\\n\\x41").via("an escaped letter right after an escape resolved beforehand: refused")
@example(b"\\n\\u0301").via("a combining mark right after one: refused")
@example(b"&amp;\\x41").via("an escaped letter right after a reference's ';': refused")
@example(b"\\\\n \\\\\\n").via("backslashes pair from the left")
@example(b"\3\\x41 \4<a>").via("the reserved bytes in the file")
@example("\u00b6\u0301 e\u0301 \\u00e9\u0301".encode()).via("combining marks after non-ASCII runs and escapes")
def test_skeletons_are_byte_for_byte_the_plain_implementation(data: bytes) -> None:
    assert leakscan.skeletons(data) == reference_skeletons(data)


@settings(max_examples=2000)
@given(st.lists(st.sampled_from([b"<", b">", b"/", b"a", b"5", b" ", b"\\n", b"\0", b"\2", b"\3", b"\4",
                                 "\u00b6".encode()]), max_size=10).map(b"".join))
@example(b"x<<5>y").via("a '<' that starts no tag right before another")
@example(b"<a x< y>z").via("... inside what would be a tag")
@example(b"<a <b>c</b>d").via("a tag start before another")
def test_markup_is_cut_byte_for_byte_as_by_the_plain_implementation(data: bytes) -> None:
    """Markup with few refusals: tags, "<" that start none, the bytes the skeleton spells tags in."""
    assert leakscan.skeletons(data) == reference_skeletons(data)


# A large file's skeletons are made run by run (``leakscan._cuts``): cut into runs of one to a few bytes, every
# generated input must still give the plain implementation's skeletons of the whole. The pieces add line feeds
# where a cut may or may not go: after a CSS escape's hex digits, after a carriage return, inside a tag.
_LINE_PIECES = st.sampled_from([b"\n", b"\r\n", b"\\30\n", b"\\3a\r\n", b"<a\nhref=x>", b"<b\n", b">\n",
                                b"a\n", b" \n", b"\\\n"])


@settings(max_examples=2000)
@given(st.lists(_BYTE_PIECES | _LINE_PIECES | _PIECES.map(lambda s: s.encode("utf-8", "surrogateescape")),
                max_size=40).map(b"".join), st.integers(1, 12))
@example(b"<a\nb>c", 1).via("a tag that holds the line feed")
@example(b"\\30\n1", 1).via("a CSS escape that eats the line feed")
@example(b"\\30\r\n1", 1).via("... after a carriage return")
@example(b"a<b\n<\n>c\nd", 1).via("a '<' that starts no tag, then a tag")
def test_skeletons_made_run_by_run_are_those_of_the_whole(data: bytes, segment: int) -> None:
    assert leakscan.skeletons(data, segment=segment) == reference_skeletons(data)


def test_a_large_file_is_cut_into_runs_only_where_nothing_spans_the_cut() -> None:
    line = b'  "details": "a \\u00e9 &amp; %41 <b>b</b>",\n'
    data = line * 1000
    cuts = leakscan._cuts(data, 4096)
    assert cuts and all(data[c - 1:c] == b"\n" for c in cuts)
    assert all(b - a >= 4096 for a, b in itertools.pairwise(cuts))
    assert leakscan.skeletons(data, segment=4096) == reference_skeletons(data)
    # Nowhere to cut: each line feed is inside a tag, or eaten by a CSS escape.
    assert leakscan._cuts(b"<a" + b"\n" * 10_000 + b">", 10) == []
    assert leakscan._cuts(b"\\a\n" * 10_000, 10) == []


def test_every_file_of_a_built_site_has_the_plain_implementations_skeletons(project: Path, tmp_path: Path) -> None:
    site = built(project, tmp_path / "site")
    files = [data for path in sorted(site.rglob("*")) if path.is_file()
             for data, as_text in leakscan.unpacked(path.read_bytes()) if as_text]
    assert len(files) > 50
    answered = 0
    for data in files:
        got = leakscan.skeletons(data)
        assert got == reference_skeletons(data)
        assert leakscan.skeletons(data, segment=256) == got  # made run by run, as a large file is
        answered += got is not None
    assert answered > 0.9 * len(files)  # compared by value, not as refused by both (a PNG, a Vietnamese lunr.js)


def test_escapes_resolved_beforehand_are_whole_constructs_with_an_empty_skeleton() -> None:
    """What the substitution of ``_EMPTY_ESCAPES`` relies on: each is a construct of its own, whatever byte
    follows it, with no letter or digit and neither flag, so that its only trace is where it ended."""
    for escape in leakscan._EMPTY_ESCAPES:
        assert leakscan._construct_skeleton(escape) == (b"", False, False), escape
        for after in range(256):
            found = _REF_CONSTRUCT.match(escape + bytes([after]))
            assert found is not None and found.group() == escape, (escape, after)


@given(st.lists(st.sampled_from([b"\0", b"\1", b"\2", b"a", b"7", b"\x80", b"\xff"]), max_size=40).map(b"".join))
def test_runs_of_tags_are_cut_as_tags_one_by_one(pieces: bytes) -> None:
    assert leakscan._SKELETON_TAGS.sub(b"", pieces) == _REF_SKELETON_TAG.sub(b"", pieces)


@settings(max_examples=400)
@given(st.lists(_PIECES, max_size=24), st.lists(st.tuples(st.integers(0, 60), st.integers(1, 16)), min_size=1,
                                                max_size=3))
@example(["OSQI-2026-000", "\\u0026", "#52;"], [(0, 1)])  # a JSON "&" starts a reference: the ID is there
@example(["OSQI-2026-000", "&#5", "\\x32", ";"], [(0, 1)])  # a JavaScript digit completes one
@example(["OSQI-2026-000", "%3", "\\u{34}"], [(0, 1)])  # ... and a percent-escape
def test_the_scan_agrees_with_the_plain_rule(pieces: list[str], picks: list[tuple[int, int]]) -> None:
    """Hits of the fast scan == markers m whose skeleton(normalise(m)) occurs in skeleton(normalise(file)), in
    some view, for markers of ``MIN_MARKER`` letters and digits or more (shorter ones: normalise(m) occurs in
    normalise(file)); a marker ending in a digit is not found where the normal form has a digit right after it."""
    text = "".join(pieces)
    markers = sorted({m for m in (text[a:a + n] for a, n in picks) if m} | {ID})
    hits = {leak.split(": ", 1)[1] for leak in leakscan.find_leaks({"f": text.encode("utf-8", "surrogateescape")},
                                                                   markers)}
    views = list(leakscan.views(text))
    expected = set()
    for m in markers:
        form = leakscan.normalise(m)
        rule = _skeleton_occurs if len(_letters(form)) >= leakscan.MIN_MARKER else _occurs
        if form and any(rule(form, v) for v in views):
            expected.add(m)
    assert hits == expected


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _skeleton_occurs(form: str, view: str) -> bool:
    """The plain rule, by brute force: the marker's letters and digits, in the view's, at a place where the
    view's last matched character is not directly followed by a digit (if the marker ends in one)."""
    marker, places = _letters(form), [i for i, c in enumerate(view) if c.isalnum()]
    skeleton = "".join(view[i] for i in places)
    at = skeleton.find(marker)
    while at != -1:
        last = places[at + len(marker) - 1]
        if not (form[-1].isdigit() and view[last + 1:last + 2].isdigit()):
            return True
        at = skeleton.find(marker, at + 1)
    return False


def _occurs(form: str, view: str) -> bool:
    at = view.find(form)
    while at != -1:
        if not (form[-1].isdigit() and view[at + len(form):at + len(form) + 1].isdigit()):
            return True
        at = view.find(form, at + 1)
    return False


@pytest.mark.parametrize("text", [
    "OSQI 2026 0004", "OSQI_2026_0004", "OSQI20260004", "OSQI/2026/0004", "osqi:2026:0004",
    "/search?q=Secret+heap+overflow+in+zqlib", "/tree/secret-heap-overflow-in-zqlib", "secret_heap_overflow_in_zqlib",
    "<p>Secret heap<br>overflow in zqlib</p>",  # finding 2-10: the tag-stripped reading joins the words
    "OSQI-2026-0004 1", "OSQI-2026-0004, 12", "OSQI-2026-0004</b>7",
])
def test_a_marker_spelled_with_other_separators_or_none_is_a_leak(text: str) -> None:
    markers = [ID, "Secret heap overflow in zqlib"]
    assert leakscan.find_leaks({"f": text.encode()}, markers) != [], text


def test_digit_boundary_holds_in_the_normal_form_not_the_skeleton() -> None:
    markers = [ID]
    assert leakscan.find_leaks({"f": b"OSQI-2026-00041"}, markers) == []
    assert leakscan.find_leaks({"f": b"OSQI 2026 00041"}, markers) == []
    assert leakscan.find_leaks({"f": b"OSQI-2026-0004 1"}, markers) == ["f: " + ID]
    assert leakscan.find_leaks({"f": b"OSQI-2026-00041 and OSQI_2026_0004-1"}, markers) == ["f: " + ID]


def test_css_and_javascript_escapes_are_decoded_one_level() -> None:
    assert leakscan.decode("\\30 \\31\t\\000032x\\x33\\u{34}\\u0035") == "012x345"
    assert leakscan.decode("\\bf \\b x\\f") == "\u00bf  x "  # \b and \f are CSS only before a hex digit
    assert leakscan.decode("\\0 \\110000 \\d800 ") == "\ufffd" * 3  # no character: U+FFFD, as CSS reads it
    assert leakscan.normalise("\\\\30 ") == "30"  # an escaped backslash is no escape


def test_withheld_id_split_by_markdown_emphasis_is_caught_by_the_scan(project: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # The mention check reads the Markdown, where "**" is no tag and splits the prefix; the page shows
    # OSQI-2026-0004 all the same.
    (project / "content" / "index.md").write_text("# Home\n\nSoon: O**SQI**-2026-0004.\n")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "withheld disclosure text found in the output" in err and "index.html: OSQI-2026-0004" in err
    assert not (tmp_path / "site").exists()


def test_look_alike_id_in_a_content_page_fails_the_build(project: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "index.md").write_text("# Home\n\nComing soon: \u041e\u0405\u051a\u0406-2026-0004.\n")
    assert build(project, tmp_path / "site") == 1
    assert "content/index.md:3: body: mentions OSQI-2026-0004" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_look_alike_id_in_a_public_disclosure_fails_the_build(project: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    text = path.read_text().rstrip("\n") + "\n\nSee also \u041e\u0405\u051a\u0406-2026-0004.\n"
    path.write_text(text)
    line = text.split("\n").index("See also \u041e\u0405\u051a\u0406-2026-0004.") + 1
    assert build(project, tmp_path / "site") == 1
    assert f"OSQI-2026-0002.md:{line}: body: mentions OSQI-2026-0004" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_withheld_title_and_alias_with_look_alike_letters_fail_the_build(project: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    withheld = (project / "disclosures" / "2026" / "OSQI-2026-0004.md").read_text()
    title = next(line[len("title: "):] for line in withheld.split("\n") if line.startswith("title: "))
    alias = next(line for line in withheld.split("\n") if line.startswith("aliases: "))[len("aliases: ["):-1]
    look_alike_title = title.replace("o", "\u043e", 1)                      # Cyrillic o
    look_alike_alias = alias.replace("C", "\u0421", 1).replace("E", "\u0415", 1)  # Cyrillic Es and Ie
    (project / "content" / "index.md").write_text(f"# Home\n\n{look_alike_title}; {look_alike_alias}\n")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "withheld disclosure text found in the output" in err
    assert f"index.html: {title}" in err and f"index.html: {alias}" in err
    assert not (tmp_path / "site").exists()


def test_ordinary_text_in_other_scripts_gets_no_false_hit(project: Path, tmp_path: Path) -> None:
    # Look-alike folding must not make ordinary text in other scripts, or a public ID spelled with look-alikes,
    # a hit: the sample site with such a page builds.
    (project / "content" / "index.md").write_text(
        "# Home\n\n"
        "Отчёт об уязвимости в парсере: обновите пакет до версии 1.2.0 (\u041e\u0405\u051a\u0406-2026-0002).\n\n"  # noqa: RUF001
        "Ενημερώστε το πακέτο· ο αναλυτής είναι ευάλωτος σε υπερχείλιση σωρού.\n\n"  # noqa: RUF001
        "يرجى تحديث الحزمة إلى الإصدار ١.٢.٠ — OSQI-2026-0002.\n\n"  # noqa: RUF001
        "אנא עדכנו את החבילה לגרסה החדשה.\n\n"
        "กรุณาอัปเดตแพ็กเกจเป็นเวอร์ชันใหม่ 日本語のテキスト、한국어 텍스트.\n")
    assert build(project, tmp_path / "site") == 0
    assert "\u041e\u0405\u051a\u0406-2026-0002" in (tmp_path / "site" / "index.html").read_text()


# -- archives and compressed files ---------------------------------------------------------------------------

_SECRET = b"crash 2: OSQI-2026-0002 Secret heap overflow in zqlib (embargoed)\n"
_EXPLOIT = b"#!/usr/bin/env python3\n# exploit\n" + bytes(range(256)) * 8


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as t:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


_PACKINGS: dict[str, Callable[[bytes], bytes]] = {
    "zip-deflated": lambda b: _zip({"logs/crashes.txt": b}),
    "zip-bzip2": lambda b: _zip({"crashes.txt": b}, zipfile.ZIP_BZIP2),
    "zip-lzma": lambda b: _zip({"crashes.txt": b}, zipfile.ZIP_LZMA),
    "zip-stored": lambda b: _zip({"crashes.txt": b}, zipfile.ZIP_STORED),
    "tar": lambda b: _tar({"pocs/poc-2.py": b}),
    "tar.gz": lambda b: _tar({"pocs/poc-2.py": b}, "w:gz"),
    "tar.bz2": lambda b: _tar({"pocs/poc-2.py": b}, "w:bz2"),
    "tar.xz": lambda b: _tar({"pocs/poc-2.py": b}, "w:xz"),
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "lzma": lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE),
    "zip-in-tar.gz": lambda b: _tar({"bundle.zip": _zip({"a/b.txt": b})}, "w:gz"),
    "gzip-in-zip": lambda b: _zip({"x.gz": gzip.compress(b)}),
}


@pytest.mark.parametrize("packing", sorted(_PACKINGS))
def test_markers_and_withheld_attachments_are_found_inside_every_archive(packing: str) -> None:
    packed = _PACKINGS[packing]
    # The name says nothing: formats are told by their bytes.
    assert leakscan.find_leaks({"a/notes.bin": packed(b"fuzzing log\n" + _SECRET)}, ["OSQI-2026-0002"]) == \
        ["a/notes.bin: OSQI-2026-0002"]
    withheld = {hashlib.sha256(_EXPLOIT).hexdigest(): "disclosures/2026/OSQI-2026-0002/exploit.py"}
    assert leakscan.find_leaks({"a/pocs": packed(_EXPLOIT)}, [], withheld) == \
        ["a/pocs: the exact bytes of withheld attachment disclosures/2026/OSQI-2026-0002/exploit.py"]
    # What the scan compares is exact bytes: a copy with one newline added is another file (see README).
    assert leakscan.find_leaks({"a/pocs": packed(_EXPLOIT + b"\n")}, [], withheld) == []
    assert leakscan.find_leaks({"a/clean": packed(b"nothing to see\n")}, ["OSQI-2026-0002"], withheld) == []


def _bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, mtime=0)


@pytest.mark.parametrize(("data", "why"), [
    (_bomb(leakscan.MAX_UNPACKED + 1), f"unpacks to more than {leakscan.MAX_UNPACKED} bytes"),
    (_zip({f"{i}.txt": b"x" for i in range(leakscan.MAX_MEMBERS + 1)}, zipfile.ZIP_STORED),
     f"more than {leakscan.MAX_MEMBERS} files inside"),
    (_tar({f"{i}": b"" for i in range(leakscan.MAX_MEMBERS + 1)}), f"more than {leakscan.MAX_MEMBERS} files inside"),
    (functools.reduce(lambda b, _: gzip.compress(b, mtime=0), range(leakscan.MAX_NESTING + 1), b"x"),
     f"archives nested more than {leakscan.MAX_NESTING} deep"),
    (b"PK\x03\x04" + b"\0" * 100, "unreadable zip (BadZipFile)"),
    (b"\x1f\x8b\x08" + b"\0" * 20, "unreadable gzip (error)"),
    (bz2.compress(b"x" * 100)[:-8], "unreadable bzip2 (EOFError)"),
    (_zip({"x": b"secret"}).replace(b"PK\x01\x02\x14\x03\x14\x00\x00\x00", b"PK\x01\x02\x14\x03\x14\x00\x01\x00",
                                    1), "unreadable zip (RuntimeError)"),  # marked encrypted: no password
])
def test_an_archive_past_a_limit_or_unreadable_fails_closed(data: bytes, why: str) -> None:
    assert leakscan.find_leaks({"f": data}, ["OSQI-2026-0002"]) == [f"f: {why}, cannot prove it is clean"]


@pytest.mark.parametrize(("magic", "kind"), [
    (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x50\x2a\x4d\x18", "zstd"), (b"\x5f\x2a\x4d\x18", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"), (b"\x02\x21\x4c\x18", "lz4"), (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07\x00", "rar"), (b"Rar!\x1a\x07\x01\x00", "rar"),
])
def test_a_format_the_scan_cannot_open_fails_closed(magic: bytes, kind: str) -> None:
    # Its content cannot be compared with the withheld attachments: refused by its first bytes, whatever it
    # holds and whatever its name, and inside an archive too.
    data = magic + b"\x00anything at all"
    why = f"a {kind} file, a format the scan cannot open, cannot prove it is clean"
    assert leakscan.find_leaks({"f": data}, ["OSQI-2026-0002"]) == [f"f: {why}"]
    assert leakscan.find_leaks({"g.tar.gz": _tar({"in/x": data}, "w:gz")}, ["OSQI-2026-0002"]) == [f"g.tar.gz: {why}"]
    assert leakscan.find_leaks({"h": b"plain " + data}, ["OSQI-2026-0002"]) == []  # only where a file starts


def test_a_zstd_attachment_fails_the_build(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A zstd copy of a withheld attachment would be published byte for byte: Python cannot decompress it.
    d = project / "disclosures" / "2026" / "OSQI-2026-0002"
    (d / "poc.c.zst").write_bytes(b"\x28\xb5\x2f\xfd\x24\x05\x29\x00\x00hello")
    assert build(project, tmp_path / "site") == 1
    assert "disclosures/OSQI-2026-0002/poc.c.zst: a zstd file, a format the scan cannot open, cannot prove it is " \
        "clean" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_a_bomb_is_never_expanded_past_the_limit() -> None:
    # 1 GB of zeros in about 1 MB: refused after reading at most MAX_UNPACKED + 1 bytes, in bounded time.
    bomb = gzip.compress(b"\0" * (1 << 30), compresslevel=1, mtime=0)
    tracemalloc.start()
    try:
        found = leakscan.find_leaks({"f": bomb}, ["OSQI-2026-0002"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == [f"f: unpacks to more than {leakscan.MAX_UNPACKED} bytes, cannot prove it is clean"]
    assert peak < 3 * leakscan.MAX_UNPACKED, peak  # the gigabyte was never held


def test_withheld_attachment_and_id_inside_a_public_attachments_archive_fail_the_build(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = project / "disclosures" / "2026"
    poc = next((d / "OSQI-2026-0004").iterdir())
    (d / "OSQI-2026-0002" / "pocs.tar.gz").write_bytes(_tar({"pocs/poc-2.c": poc.read_bytes()}, "w:gz"))
    (d / "OSQI-2026-0002" / "fuzz-logs.zip").write_bytes(_zip({"crashes.txt": b"crash: OSQI-2026-0004\n"}))
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "disclosures/OSQI-2026-0002/pocs.tar.gz: the exact bytes of withheld attachment " \
        "disclosures/2026/OSQI-2026-0004/poc-" in err
    assert "disclosures/OSQI-2026-0002/fuzz-logs.zip: OSQI-2026-0004" in err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_a_marker_in_utf16_text_without_a_byte_order_mark_is_found(encoding: str) -> None:
    # ASCII letters are found in the raw bytes too (the NULs between them are not letters); a non-ASCII
    # letter's second byte is not NUL, so only the UTF-16 reading finds "sécurité".
    text = "crash: OSQI-2026-0002 Secret heap overflow in zqlib, faille de sécurité\r\n" * 3
    markers = ["OSQI-2026-0002", "Secret heap overflow in zqlib", "faille de sécurité"]
    for packed in (text.encode(encoding), gzip.compress(text.encode(encoding), mtime=0)):
        assert leakscan.find_leaks({"w.log": packed}, markers) == \
            ["w.log: OSQI-2026-0002", "w.log: Secret heap overflow in zqlib", "w.log: faille de sécurité"]


def test_binary_files_with_nuls_everywhere_are_not_read_as_utf16() -> None:
    assert leakscan._utf16_reading(bytes(range(256)) * 4) == []
    assert leakscan._utf16_reading(b"plain ascii") == []


def test_withheld_id_with_other_separators_in_a_content_page_fails_the_build(project: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # Attack finding 2-11: a CI job URL and a tracker path spell the ID with "_" and "/".
    (project / "content" / "index.md").write_text(
        "# Home\n\n[CI](https://ci.example.org/job/OSQI_2026_0004/)\n\n[tracker](https://git.example.org/OSQI/2026/0004)\n")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "content/index.md:3: body: mentions OSQI-2026-0004" in err
    assert "content/index.md:5: body: mentions OSQI-2026-0004" in err
    assert not (tmp_path / "site").exists()


def test_slug_of_a_withheld_title_in_a_link_fails_the_build(project: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    withheld = (project / "disclosures" / "2026" / "OSQI-2026-0004.md").read_text()
    title = next(line[len("title: "):] for line in withheld.split("\n") if line.startswith("title: "))
    slug = "-".join(title.lower().split())
    (project / "content" / "index.md").write_text(
        f"# Home\n\n[branch](https://git.example.org/tree/{slug})\n\n"
        f"[q](https://x.example.org/?q={title.replace(' ', '+')})\n")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "withheld disclosure text found in the output" in err and f"index.html: {title}" in err
    assert not (tmp_path / "site").exists()
