"""The leak scan's normal form, mentions in every spelling and field, and withheld attachments by their bytes."""

from __future__ import annotations

import hashlib
import shutil
import sys
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from factory import SETTINGS
from hypothesis import example, given, settings
from hypothesis import strategies as st

from osqi_site import leakscan, pipeline
from osqi_site.model import Credit, Disclosure, Reference
from tests.sitefixture import build, project

__all__ = ["project"]

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
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_id_is_a_mention(spelling: str) -> None:
    assert leakscan.ids_in(f"see {spelling}.", "OSQI") == [ID]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_marker_is_a_leak(spelling: str) -> None:
    assert leakscan.find_leaks({"a.html": f"<p>x {spelling} y</p>".encode()}, [ID]) == [f"a.html: {ID}"]


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


def test_withheld_attachment_is_found_by_its_bytes_under_any_name() -> None:
    poc = b"int main() { return 1; }\n"
    digests = {hashlib.sha256(poc).hexdigest(): "poc.c"}
    found = leakscan.find_leaks({"x/y.txt": poc, "z": b"other"}, [], digests)
    assert found == ["x/y.txt: the exact bytes of withheld attachment poc.c"]


_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(_TEXT)
def test_normalise_is_idempotent(text: str) -> None:
    try:
        once = leakscan.normalise(text)
    except leakscan.TooDeep:
        return
    assert leakscan.normalise(once) == once


def _respell(c: str, how: int) -> str:
    return [c, c.upper(), f"&#{ord(c)};", f"&#x{ord(c):x};", "".join(f"%{b:02X}" for b in c.encode()),
            c + "\u200b", f"\\u{ord(c):04x}"][how]


@given(st.sampled_from(["OSQI-2026-0004", "Secret title", "CVE-2026-41234"]), st.data(),
       st.sampled_from([" ", "\n", "> ", " x "]), st.sampled_from([" ", "\n", " <", " y"]))
def test_a_marker_respelled_any_way_and_embedded_is_found(marker: str, data: st.DataObject, before: str,
                                                           after: str) -> None:
    spelled = "".join(_respell(c, data.draw(st.integers(0, 6))) if c != "-" else
                      data.draw(st.sampled_from(["-", "\u2010", "\u2014", "\u2212", "&ndash;", "%2D"]))
                      for c in marker)
    text = "head" + before + spelled + after + "tail"
    assert leakscan.find_leaks({"f": text.encode()}, [marker]) == [f"f: {marker}"]


def test_character_tables_are_complete_over_every_code_point() -> None:
    """The short walk over planes 0, 1 and 14 finds every invisible and dash character there is."""
    walked = set(range(0x20000)) | set(range(0xE0000, 0xE1000))
    others = [c for c in range(sys.maxunicode + 1) if c not in walked
              and (leakscan.is_invisible(chr(c)) or leakscan.is_dash(chr(c)))]
    assert others == []
    assert leakscan.is_dash("\u2212") and leakscan.is_dash("\u2e3a") and not leakscan.is_dash("\u00b1")
    assert all(leakscan.is_invisible(c) for c in "\u200b\u200c\u200d\u00ad\ufeff\u202e\u2066\ufe0f")
    assert unicodedata.category("\u2011") == "Pd"


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


# Pieces that exercise every rule of the normal form, and the joins between them that the fast path must
# either see through or refuse.
_PIECES = st.sampled_from([
    *"aZ09 -<>/;#x", "\n", "\t", "\x00", "\x01", "é", "e\u0301", "\u0301", "\u00b4", "\u200b", "\u00ad", "\ufeff",
    "\u2011", "\u2212", "\uff2f", "\uff05", "\uff06", "\ufb01", "\u1100", "\u1161", "\uff8a", "\uff9e", "\u0130",
    "ß", "&", "&amp;", "&amp", "&lt;", "&gt;", "&#79;", "&#x4f;", "&#x4F", "&#37;", "&#52;", "&percnt;", "&eacute;",
    "&#769;", "&ndash;", "&hyphen;", "&qopf;", "&notit;", "&ampx", "%", "%41", "%4", "%2D", "%C3%A9", "%CC%81", "%25",
    "\\", "\\n", "\\\"", "\\/", "\\u0041", "\\u00e9", "\\u0026", "\\u0301", "\\ud83d\\ude80", "<b>", "</b>",
    "<a href='x'>", "<!-- c -->", "< ", "\udc80", "\x85", "\xa0",
])


@settings(max_examples=600)
@given(st.lists(_PIECES, max_size=24))
@example(["\\u0026", "#", "0", "9", ";"])  # a JSON "&" completes a reference: the skeleton must refuse
@example(["&#37;", "0", "9"])               # an HTML "%" completes a percent-escape
@example(["%", "&#x4F", "a"])               # ... and so does an HTML hex digit
@example(["e", "\u0301"])                   # a combining accent joins the letter before it
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


@settings(max_examples=400)
@given(st.lists(_PIECES, max_size=24), st.lists(st.tuples(st.integers(0, 60), st.integers(1, 16)), min_size=1,
                                                max_size=3))
def test_the_scan_agrees_with_the_plain_rule(pieces: list[str], picks: list[tuple[int, int]]) -> None:
    """Hits of the fast scan == markers m with normalise(m) in a normal form of the file (digit rule aside)."""
    text = "".join(pieces)
    markers = sorted({m for m in (text[a:a + n] for a, n in picks) if m} | {ID})
    hits = {leak.split(": ", 1)[1] for leak in leakscan.find_leaks({"f": text.encode("utf-8", "surrogateescape")},
                                                                   markers)}
    views = list(leakscan.views(text))
    expected = set()
    for m in markers:
        form = leakscan.normalise(m)
        if form and any(_occurs(form, v) for v in views):
            expected.add(m)
    assert hits == expected


def _occurs(form: str, view: str) -> bool:
    at = view.find(form)
    while at != -1:
        if not (form[-1].isdigit() and view[at + len(form):at + len(form) + 1].isdigit()):
            return True
        at = view.find(form, at + 1)
    return False


def test_withheld_id_split_by_markdown_emphasis_is_caught_by_the_scan(project: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # The mention check reads the Markdown, where "**" is no tag; the page shows OSQI-2026-0004 all the same.
    (project / "content" / "index.md").write_text("# Home\n\nSoon: OSQI-2026-**0004**.\n")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "withheld disclosure text found in the output" in err and "index.html: OSQI-2026-0004" in err
    assert not (tmp_path / "site").exists()
