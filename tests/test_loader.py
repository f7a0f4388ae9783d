"""The loader: the only stage that reads files; it refuses anything ambiguous and never leaves the tree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from factory import BODY, DEFAULT_ID, SETTINGS, disclosure_text, line_of, write_disclosure
from hypothesis import example, given, settings
from hypothesis import strategies as st

from osqi_site.core import loader, validate
from osqi_site.core.loader import MAX_FILE_BYTES, MAX_YAML_DEPTH, load_tree, parse_text
from osqi_site.core.model import Attachment

REL = f"disclosures/2026/{DEFAULT_ID}.md"
STRAY = ("not a disclosure (.md) and not inside a disclosure's attachment folder named after its ID; "
         "move or delete it")
OUTSIDE = "symbolic link points outside the disclosures folder; refused"


def _load(root: Path) -> loader.LoadResult:
    return load_tree(root / "disclosures", root)


def _strs(problems: Any) -> list[str]:
    return sorted(str(p) for p in problems)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the code under test reads through ``Path.read_bytes``/``read_text``/``open``."""
    seen: list[Path] = []
    real_bytes, real_text, real_open = Path.read_bytes, Path.read_text, Path.open

    def read_bytes(self: Path) -> bytes:
        seen.append(self.resolve())
        return real_bytes(self)

    def read_text(self: Path, *a: Any, **kw: Any) -> str:
        seen.append(self.resolve())
        return real_text(self, *a, **kw)

    def open_(self: Path, *a: Any, **kw: Any) -> Any:
        seen.append(self.resolve())
        return real_open(self, *a, **kw)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "read_text", read_text)
    monkeypatch.setattr(Path, "open", open_)
    return seen


# --- parsing one file --------------------------------------------------------------------------------


def test_parse_text_records_the_line_of_every_field() -> None:
    text = disclosure_text(revisions=[{"date": "2026-12-01T00:00:00Z", "summary": "Fixed version added."}])
    doc, problems = parse_text(REL, text.encode())
    assert problems == [] and doc is not None
    assert doc.path == REL and doc.stem == DEFAULT_ID
    assert doc.lines["id"] == 2
    assert doc.lines["embargo_until"] == line_of(text, "embargo_until:")
    assert doc.lines["affected"] == line_of(text, "affected:")
    assert doc.lines["affected[0]"] == line_of(text, "- ecosystem: PyPI")
    assert doc.lines["affected[0].ranges[0].fixed"] == line_of(text, "fixed: 1.2.3")
    assert doc.lines["revisions[0].summary"] == line_of(text, "summary: Fixed")
    assert doc.body == BODY
    assert doc.body_line == text.split("\n").index("---", 1) + 2


def test_line_falls_back_to_the_nearest_ancestor_then_line_1() -> None:
    doc, _ = parse_text(REL, disclosure_text().encode())
    assert doc is not None
    assert doc.line("affected[0].ranges[0].nonexistent") == doc.lines["affected[0].ranges[0]"]
    assert doc.line("affected[3].package") == doc.lines["affected"]
    assert doc.line("withdrawn.date") == 1


def test_crlf_files_parse_like_lf_files() -> None:
    text = disclosure_text()
    lf, _ = parse_text(REL, text.encode())
    crlf, problems = parse_text(REL, text.replace("\n", "\r\n").encode())
    assert problems == [] and lf is not None and crlf is not None
    assert crlf.meta == lf.meta and crlf.lines == lf.lines and crlf.body_line == lf.body_line
    disclosure, problems = validate.validate_doc(crlf, SETTINGS)
    assert problems == [] and disclosure is not None


def test_frontmatter_may_close_with_three_dots() -> None:
    doc, problems = parse_text(REL, b"---\nid: x\n...\nbody\n")
    assert problems == [] and doc is not None
    assert doc.meta == {"id": "x"} and doc.body == "body\n" and doc.body_line == 4


def test_empty_frontmatter_is_an_empty_mapping() -> None:
    doc, problems = parse_text(REL, b"---\n---\n")
    assert problems == [] and doc is not None and doc.meta == {}


@pytest.mark.parametrize(("raw", "expected"), [
    (b"\xef\xbb\xbf---\nid: x\n---\n", "1: file: starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM"),
    (b"---\nid: x\ntitle: caf\xe9\n---\n", "3: file: not valid UTF-8 (byte 0xe9); save it as UTF-8"),
    (b"---\nid: x\n---\n\nbody \x00 here\n", "5: file: contains a NUL byte"),
    (b"", "1: frontmatter: missing: the file must start with a '---' line, YAML fields, and a closing '---'"),
    (b"id: x\n---\n", "1: frontmatter: missing: the file must start with a '---' line, YAML fields, and a "
                      "closing '---'"),
    (b"---\nid: x\n", "1: frontmatter: not closed: add a '---' line after the YAML fields"),
    (b"---\n- a\n---\n", "2: frontmatter: must be a mapping of field: value"),
    (b"---\nplain text\n---\n", "2: frontmatter: must be a mapping of field: value"),
    (b"---\nid: x\nid: y\n---\n", "3: frontmatter: duplicate key 'id' (first on line 2)"),
    (b"---\nx:\n  a: 1\n  b: 2\n  a: 3\n---\n", "5: frontmatter: duplicate key 'a' (first on line 3)"),
    (b"---\n? [a, b]\n: c\n---\n", "2: frontmatter: mapping keys must be plain strings"),
    (b"---\nid: x\n  title: y\n---\n", "3: frontmatter: malformed YAML: mapping values are not allowed in this "
                                       "context"),
    (b"---\nx: !!python/name:os.system\n---\n",
     "2: frontmatter: malformed YAML: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/name:os.system'"),
    (b"---\nbase: &b {a: 1}\nx:\n  <<: *b\n---\n",
     "2: frontmatter: YAML anchors and aliases (&, *) are not allowed; write the value out"),
    (b"---\nx:\n  <<: {a: 1}\n---\n", "3: frontmatter: YAML merge keys (<<) are not allowed"),
    (b"---\na: &x foo\nb: *x\n---\n",
     "2: frontmatter: YAML anchors and aliases (&, *) are not allowed; write the value out"),
    (b"---\nid: x\n---\n\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> branch\n",
     "5: file: merge-conflict marker; resolve the conflict first"),
    (b"---\n<<<<<<< ours\nid: x\n|||||||\nid: y\n=======\nid: z\n>>>>>>> theirs\n---\n",
     "2: file: merge-conflict marker; resolve the conflict first"),
])
def test_unreadable_input_is_one_located_problem(raw: bytes, expected: str) -> None:
    doc, problems = parse_text(REL, raw)
    assert doc is None
    assert problems[0].path == REL
    assert str(problems[0]) == f"{REL}:{expected}"


def test_every_conflict_marker_is_reported() -> None:
    raw = b"---\n<<<<<<< ours\nid: x\n|||||||\nid: y\n=======\nid: z\n>>>>>>> theirs\n---\n"
    _, problems = parse_text(REL, raw)
    assert [p.line for p in problems] == [2, 4, 8]


def test_a_setext_underline_is_not_a_conflict_marker() -> None:
    doc, problems = parse_text(REL, b"---\nid: x\n---\n\nTitle\n=======\n\ntext <<<<<<< inline\n")
    assert problems == [] and doc is not None


def test_billion_laughs_is_rejected_quickly() -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    raw = ("---\n" + "\n".join(rows) + "\n---\n").encode()
    start = time.perf_counter()
    doc, problems = parse_text(REL, raw)
    elapsed = time.perf_counter() - start
    assert doc is None
    assert [str(p) for p in problems] == [
        f"{REL}:2: frontmatter: YAML anchors and aliases (&, *) are not allowed; write the value out"]
    assert elapsed < 1.0


def test_deeply_nested_yaml_is_a_problem_not_a_crash() -> None:
    depth = 5_000  # 20 KB: far below MAX_FILE_BYTES; one '[' per line, as lines are limited to 10,000 characters
    raw = b"---\na: " + b"[\n " * depth + b"]" * depth + b"\n---\n"
    doc, problems = parse_text(REL, raw)
    assert doc is None
    assert [(p.line, p.field) for p in problems] == [(1 + MAX_YAML_DEPTH, "frontmatter")]  # the level too deep
    # (the frontmatter mapping is the first level, on line 2; each '[' line one more)


def test_very_deeply_nested_yaml_does_not_kill_the_process() -> None:
    code = ("from osqi_site.core.loader import parse_text\n"
            "d = 50_000\n"
            "doc, problems = parse_text('x.md', b'---\\na: ' + b'[\\n ' * d + b']\\n ' * d + b'\\n---\\n')\n"
            "print(problems[0].field if problems else 'accepted')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "frontmatter")


@pytest.mark.parametrize("value", [b"!!python/object/apply:os.system ['true']", b"!!python/tuple [a, b]",
                                   b"!custom {a: 1}"])
def test_explicit_tags_on_collections_are_refused(value: bytes) -> None:
    doc, problems = parse_text(REL, b"---\nx: " + value + b"\n---\n")
    assert doc is None
    assert [(p.line, p.field) for p in problems] == [(2, "frontmatter")]


def test_a_lone_anchor_is_refused() -> None:
    doc, problems = parse_text(REL, b"---\nid: x\ntitle: &t Heap overflow\n---\n")
    assert doc is None
    assert [str(p) for p in problems] == [
        f"{REL}:3: frontmatter: YAML anchors and aliases (&, *) are not allowed; write the value out"]


# --- the tree ----------------------------------------------------------------------------------------


def test_a_valid_tree_loads_every_disclosure(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    write_disclosure(d, "2025/OSQI-2025-0003.md", id="OSQI-2025-0003")
    (d / "2026" / ".gitkeep").write_text("")
    (d / "2026" / ".OSQI-2026-0001.md.swp").write_bytes(b"\x00\x01")
    result = _load(empty_project)
    assert result.problems == ()
    assert [doc.path for doc in result.docs] == ["disclosures/2025/OSQI-2025-0003.md",
                                                 "disclosures/2026/OSQI-2026-0001.md"]


def test_missing_disclosures_folder_is_a_problem(tmp_path: Path) -> None:
    result = load_tree(tmp_path / "disclosures", tmp_path)
    assert result.docs == ()
    assert _strs(result.problems) == ["disclosures:0: disclosures_dir: folder does not exist"]


def test_stray_file_is_a_problem(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (d / "2026" / "notes.txt").write_text("todo")
    (d / "README").write_text("hi")
    result = _load(empty_project)
    assert [doc.stem for doc in result.docs] == [DEFAULT_ID]
    assert _strs(result.problems) == [f"disclosures/2026/notes.txt:0: file: {STRAY}",
                                      f"disclosures/README:0: file: {STRAY}"]


def test_every_file_of_every_folder_is_reported_in_one_run(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d, "2026/OSQI-2026-0001.md", text=b"\xef\xbb\xbf---\n")
    write_disclosure(d, "2026/OSQI-2026-0002.md", text="no frontmatter\n")
    write_disclosure(d, "2024/OSQI-2024-0001.md", text="---\nid: [\n---\n")
    (d / "2025").mkdir()
    (d / "2025" / "x.pdf").write_bytes(b"%PDF")
    result = _load(empty_project)
    assert result.docs == ()
    assert [(p.path, p.field) for p in sorted(result.problems)] == [
        ("disclosures/2024/OSQI-2024-0001.md", "frontmatter"),
        ("disclosures/2025/x.pdf", "file"),
        ("disclosures/2026/OSQI-2026-0001.md", "file"),
        ("disclosures/2026/OSQI-2026-0002.md", "frontmatter"),
    ]


@pytest.mark.parametrize("layout", ["inside", "beside"])
def test_attachments_in_the_id_folder_are_attached(empty_project: Path, layout: str) -> None:
    d = empty_project / "disclosures"
    folder = d / "2026" / DEFAULT_ID
    rel = f"2026/{DEFAULT_ID}/{DEFAULT_ID}.md" if layout == "inside" else f"2026/{DEFAULT_ID}.md"
    source = write_disclosure(d, rel)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "poc.py").write_text("print('poc')\n")
    (folder / "traces").mkdir()
    (folder / "traces" / "asan.txt").write_text("ERROR: AddressSanitizer\n")
    (folder / "notes.md").write_text("# not a disclosure, an attachment\n")
    result = _load(empty_project)
    assert result.problems == ()
    assert [doc.path for doc in result.docs] == [f"disclosures/{rel}"]
    assert result.docs[0].attachments == (
        Attachment(name="notes.md", source=str(folder / "notes.md")),
        Attachment(name="poc.py", source=str(folder / "poc.py")),
        Attachment(name="traces/asan.txt", source=str(folder / "traces" / "asan.txt")),
    )
    assert source.is_file()


def test_attachments_reach_the_validated_disclosure(empty_project: Path, run_check: Any) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (d / "2026" / DEFAULT_ID).mkdir()
    (d / "2026" / DEFAULT_ID / "poc.py").write_text("x")
    checked = run_check()
    assert checked.problems == ()
    assert [a.name for a in checked.disclosures[0].attachments] == ["poc.py"]


def test_a_folder_not_named_after_a_disclosure_holds_stray_files(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (d / "2026" / "OSQI-2026-0009").mkdir()
    (d / "2026" / "OSQI-2026-0009" / "poc.py").write_text("x")
    result = _load(empty_project)
    assert _strs(result.problems) == [f"disclosures/2026/OSQI-2026-0009/poc.py:0: file: {STRAY}"]
    assert result.docs[0].attachments == ()


def test_huge_file_is_refused_without_being_read(empty_project: Path, reads: list[Path]) -> None:
    d = empty_project / "disclosures"
    text = disclosure_text()
    huge = write_disclosure(d, text=text + "x" * (MAX_FILE_BYTES + 1 - len(text.encode())))
    assert huge.stat().st_size == MAX_FILE_BYTES + 1
    reads.clear()
    result = _load(empty_project)
    assert result.docs == ()
    assert _strs(result.problems) == [
        f"{REL}:0: file: {MAX_FILE_BYTES + 1} bytes is over the {MAX_FILE_BYTES}-byte limit"]
    assert huge.resolve() not in reads


def test_a_file_of_exactly_the_limit_is_read(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    text = disclosure_text()
    filler = ("x" * 99 + "\n") * MAX_FILE_BYTES  # lines of 100: no line over MAX_LINE_CHARS
    write_disclosure(d, text=text + filler[:MAX_FILE_BYTES - len(text.encode())])
    result = _load(empty_project)
    assert result.problems == ()
    assert len(result.docs) == 1


def test_symlink_out_of_the_tree_is_refused_and_never_read(empty_project: Path, reads: list[Path]) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    secret = empty_project / "outside" / "OSQI-2026-0002.md"
    secret.parent.mkdir()
    secret.write_text(disclosure_text(id="OSQI-2026-0002", title="Embargoed elsewhere"))
    link = d / "2026" / "OSQI-2026-0002.md"
    link.symlink_to(secret)
    reads.clear()
    result = _load(empty_project)
    assert [doc.stem for doc in result.docs] == [DEFAULT_ID]
    assert _strs(result.problems) == [f"disclosures/2026/OSQI-2026-0002.md:0: file: {OUTSIDE}"]
    assert secret.resolve() not in reads


def test_symlink_to_a_folder_out_of_the_tree_is_refused_and_never_read(empty_project: Path, reads: list[Path]) -> None:
    d = empty_project / "disclosures"
    outside = empty_project / "elsewhere"
    write_disclosure(outside, "OSQI-2026-0002.md", id="OSQI-2026-0002")
    (d / "2026").mkdir()
    (d / "2026" / "linked").symlink_to(outside, target_is_directory=True)
    reads.clear()
    result = _load(empty_project)
    assert result.docs == ()
    assert _strs(result.problems) == [f"disclosures/2026/linked:0: file: {OUTSIDE}"]
    assert not [p for p in reads if p.is_relative_to(outside.resolve())]


def test_symlinked_attachment_out_of_the_tree_is_not_attached(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (empty_project / "id_rsa").write_text("PRIVATE KEY")
    folder = d / "2026" / DEFAULT_ID
    folder.mkdir()
    (folder / "poc.txt").symlink_to(empty_project / "id_rsa")
    result = _load(empty_project)
    assert _strs(result.problems) == [f"disclosures/2026/{DEFAULT_ID}/poc.txt:0: file: {OUTSIDE}"]
    assert result.docs[0].attachments == ()


def test_symlink_escaping_through_a_chain_is_refused(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (empty_project / "secret.md").write_text("---\nid: x\n---\n")
    (d / "2026" / "hop.md").symlink_to(empty_project / "secret.md")
    (d / "2026" / "entry.md").symlink_to(d / "2026" / "hop.md")
    result = _load(empty_project)
    assert {p.path for p in result.problems} == {"disclosures/2026/entry.md", "disclosures/2026/hop.md"}
    assert all(p.message == OUTSIDE for p in result.problems)


def test_symlink_to_a_folder_inside_the_tree_is_refused(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (d / "current").symlink_to(d / "2026", target_is_directory=True)
    result = _load(empty_project)
    assert _strs(result.problems) == ["disclosures/current:0: file: symbolic link to a folder; use a real folder"]
    assert [doc.path for doc in result.docs] == [REL]


def test_dangling_symlink_is_a_problem_not_a_crash(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (d / "2026" / "OSQI-2026-0002.md").symlink_to(d / "2026" / "deleted.md")
    result = _load(empty_project)
    assert [p.path for p in result.problems] == ["disclosures/2026/OSQI-2026-0002.md"]


def test_symlink_to_a_withheld_attachment_inside_the_tree_is_refused(empty_project: Path) -> None:
    # The link's target is inside disclosures/, yet every link is refused: its target may be withheld.
    d = empty_project / "disclosures"
    write_disclosure(d)
    write_disclosure(d, id="OSQI-2026-0002", draft=True)
    (d / "2026" / "OSQI-2026-0002").mkdir()
    (d / "2026" / "OSQI-2026-0002" / "exploit.c").write_text("secret")
    (d / "2026" / DEFAULT_ID).mkdir()
    (d / "2026" / DEFAULT_ID / "poc.c").symlink_to(d / "2026" / "OSQI-2026-0002" / "exploit.c")
    result = _load(empty_project)
    assert _strs(result.problems) == [
        f"disclosures/2026/{DEFAULT_ID}/poc.c:0: file: symbolic link to 2026/OSQI-2026-0002/exploit.c; symbolic "
        "links are refused (a link can publish what its target withholds): put the file itself here"]
    assert {doc.stem: doc.attachments for doc in result.docs}[DEFAULT_ID] == ()


def test_symlink_loop_is_a_located_problem_not_a_crash(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    (d / "2026" / "a.md").symlink_to(d / "2026" / "b.md")
    (d / "2026" / "b.md").symlink_to(d / "2026" / "a.md")
    (d / "2026" / "self").symlink_to(d / "2026" / "self")
    result = _load(empty_project)
    assert _strs(result.problems) == [f"disclosures/2026/{n}:0: file: symbolic link loop; remove it"
                                      for n in ("a.md", "b.md", "self")]


def test_a_linked_disclosures_folder_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_disclosure(real)
    (tmp_path / "disclosures").symlink_to(real, target_is_directory=True)
    result = _load(tmp_path)
    assert result.docs == ()
    assert _strs(result.problems) == [
        "disclosures:0: disclosures_dir: is a symbolic link; use a real folder (symbolic links are refused)"]


@pytest.mark.parametrize(("name", "shown", "message"), [
    (b"poc\xff.c", "poc\\xff.c", "file name is not valid UTF-8; rename it"),
    (b"poc\n.c", "poc\\u000a.c", "file name holds a control or invisible character (U+000A); rename it"),
    (b"poc\xe2\x80\x8b.c", "poc\\u200b.c",
     "file name holds a control or invisible character (U+200B); rename it"),
])
def test_an_unreadable_file_name_is_a_located_problem(empty_project: Path, name: bytes, shown: str,
                                                      message: str) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    folder = d / "2026" / DEFAULT_ID
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), name), "wb") as f:
        f.write(b"x")
    result = _load(empty_project)
    assert _strs(result.problems) == [f"disclosures/2026/{DEFAULT_ID}/{shown}:0: file: {message}"]
    assert result.docs[0].attachments == ()


def test_an_undecodable_folder_name_is_reported_once_and_not_entered(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    bad = os.path.join(os.fsencode(d / "2026"), b"x\xff")
    os.mkdir(bad)
    with open(os.path.join(bad, b"y\xfe.md"), "wb") as f:
        f.write(b"x")
    result = _load(empty_project)
    assert _strs(result.problems) == ["disclosures/2026/x\\xff:0: file: file name is not valid UTF-8; rename it"]


@pytest.mark.parametrize("name", ["index.md", "index.html", "index.json", "INDEX.HTML", "Index.Md", "index",
                                  "traces/index.htm"])
def test_an_attachment_named_like_a_file_the_site_writes_is_refused(empty_project: Path, name: str) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    path = d / "2026" / DEFAULT_ID / name
    path.parent.mkdir(parents=True)
    path.write_text("<script>alert(1)</script>")
    result = _load(empty_project)
    part = name.rsplit("/", 1)[-1]
    assert _strs(result.problems) == [
        f"disclosures/2026/{DEFAULT_ID}/{name}:0: file: attachment name '{part}' is reserved: the site writes "
        "its own index files beside the disclosure page; rename it"]
    assert result.docs[0].attachments == ()


def test_attachments_differing_only_in_case_are_refused(empty_project: Path) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d)
    folder = d / "2026" / DEFAULT_ID
    folder.mkdir()
    (folder / "PoC.c").write_text("a")
    (folder / "poc.c").write_text("b")
    result = _load(empty_project)
    assert _strs(result.problems) == [
        f"disclosures/2026/{DEFAULT_ID}/poc.c:0: file: attachment name 'poc.c' differs only in case from another "
        "attachment of this disclosure; rename one"]


def test_a_stray_year_page_does_not_hide_the_disclosures_beside_it(empty_project: Path, run_check: Any) -> None:
    d = empty_project / "disclosures"
    write_disclosure(d, "2026/2026.md", text="---\ntitle: Disclosures of 2026\n---\n")
    write_disclosure(d, "2026/OSQI-2026-0002.md", id="OSQI-2026-0002", cwe=["787"])
    checked = run_check()
    assert "disclosures/2026/OSQI-2026-0002.md" in {p.path for p in checked.problems}


# --- the one-pass YAML parse matches the screened parse ------------------------------------------------


def _screened_reference(text: str) -> tuple[Any, dict[str, int]]:
    """How frontmatter was always parsed: the event screen, then the C composer and a generic builder."""
    loader._screen_events(text, 2)
    yaml_loader = loader._Loader(text)
    try:
        node = yaml_loader.get_single_node()
        if node is None:
            return {}, {}
        lines: dict[str, int] = {}
        return _reference_build(node, yaml_loader, "", lines), lines
    except yaml.MarkedYAMLError as e:
        raise loader._rejected(e, 2) from None
    except yaml.YAMLError as e:
        raise loader._YamlRejected(2, f"malformed YAML: {e}") from None
    finally:
        yaml_loader.dispose()


def _reference_build(node: yaml.Node, yaml_loader: Any, path: str, lines: dict[str, int]) -> Any:
    line = node.start_mark.line + 2
    if path:
        lines.setdefault(path, line)
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise loader._YamlRejected(line, f"explicit YAML tag {node.tag} is not allowed")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 2
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise loader._YamlRejected(key_line, "YAML merge keys (<<) are not allowed")
            if not isinstance(key_node, yaml.ScalarNode):
                raise loader._YamlRejected(key_line, "mapping keys must be plain strings")
            key = str(loader._scalar(key_node, yaml_loader, path or "frontmatter", 2))  # the same scalar rules
            child = f"{path}.{key}" if path else key
            if key in out:
                raise loader._YamlRejected(key_line, f"duplicate key '{key}' (first on line {lines.get(child, '?')})")
            lines[child] = key_line
            out[key] = _reference_build(value_node, yaml_loader, child, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise loader._YamlRejected(line, f"explicit YAML tag {node.tag} is not allowed")
        return [_reference_build(item, yaml_loader, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        return loader._scalar(node, yaml_loader, path or "frontmatter", 2)  # its own tests pin the scalar rules
    return yaml_loader.construct_object(node, deep=True)


def _outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        value, lines = parse(text)
    except loader._YamlRejected as e:
        return "rejected", (e.line, e.message)
    except Exception as e:  # compared, not handled
        return "raised", (type(e).__name__, str(e))
    return "parsed", repr((value, lines))  # repr: True and 1, 1.0 and 1 must not compare equal


def _deepest_nesting(text: str) -> int:
    """How deep the event stream nests before it ends or breaks."""
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=loader._Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return deepest


_TRICKY_YAML = [
    "", "a: 1", "a: b: c", "- a: b: c", "x: 1\n--- y", "x: 1\n...\n--- y", "? a\n: b", "? - a\n: - b", "? [a]\n: b",
    "1: x\n2: y", "1: x\n'1': y", "true: x\nnull: y", "a: !!binary aGVsbG8=", "a: !!str 1\nb: !!int '3'", "a: ! 3",
    "a: !custom 1", "a: !!python/name:os.system", "a: !!set {x}", "a: !!omap [a: 1]", "a: !!float '1'",
    "date: 2020-01-01\nt: 2020-01-01T00:00:00Z\nu: 2020-1-1 1:02:03\nn: ~\nf: 1.5\nb: yes\no: 0o17\nh: 0x1f",
    "'a': 1\n\"a\": 2", "x: {a: 1, a: 2}", "- a", "plain", "<<: {a: 1}", "x:\n  <<: [{a: 1}]", "x: 1\n  y: 2",
    "x: |\n  text\n  - more\ny: >-\n  folded", "a[0]: x\na: [y]", "a: [y]\na[0]: x", "a: {b.c: 1}\na.b: 2",
    "a:\n- b\n- c:\n  - d", "a:\n  - - - - x", "a: [[[[[]]]]]", "a: {b: {c: {d: [e, {f: g}]}}}",
    "a: x\r\nb: y\r\n", "a: x\rb: y", "a: \u2028 - b", "a: x\x85b: y", "a:\u2029- b", "\ta: 1", "a:\t1", "a: 'x\n  y'",
    "a: \"\\x41\\u00e9\"", "a: -1\nb: - 1", "- - - a\n- - b", "-\n  -\n    -\n      x", "a: !!map {b: 1}",
    "a: !!seq [1]", "? |\n  block\n: v", "[a, b]: c", "{a: b}: c", "a: [b, c]: d", "a: 'unterminated", "a: [1, 2",
    "a: 1 # comment\n# only a comment", "%YAML 1.1\n---\na: 1", "--- a", "--- |\n  x", "a: 1\n---\nb: 2",
    "a: " + "[" * 32 + "]" * 32, "a: " + "[" * 31 + "]" * 31, "a: " + "[" * 300 + "]" * 300,
    "".join(" " * i + "k:\n" for i in range(40)) + " " * 40 + "v",
    "".join(" " * i + "k:\n" for i in range(31)) + " " * 31 + "v: 1", "- " * 40 + "x", "- " * 31 + "x",
    "a: &x 1", "a: *x", "a: 'AT&T'", "a: 2*3", "a: [*x]",
]


@pytest.mark.parametrize("text", _TRICKY_YAML)
def test_one_pass_parse_equals_screened_parse(text: str) -> None:
    assert _outcome(lambda t: loader._parse_yaml(t, 2), text) == _outcome(_screened_reference, text)


def test_one_pass_parse_equals_screened_parse_on_the_fixtures() -> None:
    fixtures = sorted(Path(__file__).parent.joinpath("fixtures").rglob("*.md"))
    texts = [disclosure_text(), *(f.read_bytes().decode("utf-8", "replace") for f in fixtures)]
    for text in texts:
        front = text.split("\n---", 1)[0].removeprefix("---\n")
        assert _outcome(lambda t: loader._parse_yaml(t, 2), front) == _outcome(_screened_reference, front), front


_YAML_PIECES = st.sampled_from([
    "a", "b", "1", "'q'", '"d"', "- ", "? ", ": ", ":", "[", "]", "{", "}", ", ", "#c", "&x ", "*x", "!!str ",
    "!t ", "<<", "|", ">", "~", "2020-01-01", "--- ", "...", " ", "  ", "\t", "\n", "\r\n", "\u2028", "\x85",
])


@given(st.lists(_YAML_PIECES, max_size=40).map("".join))
@settings(max_examples=600)
def test_one_pass_parse_equals_screened_parse_on_any_text(text: str) -> None:
    assert _outcome(lambda t: loader._parse_yaml(t, 2), text) == _outcome(_screened_reference, text)
    assert _deepest_nesting(text) <= loader._nesting_bound(text)


@given(st.lists(st.sampled_from(["- ", "? ", ": ", "a: ", "[", "{", "a", "\n", " ", "  ", "]", "}", ","]),
                max_size=60).map("".join))
@example("a: [[? ]: ")  # single-pair mappings inside flow sequences: five levels from two '['
@example("a: " + "[? " * 40)
@settings(max_examples=400)
def test_nesting_bound_is_never_below_the_real_nesting(text: str) -> None:
    assert _deepest_nesting(text) <= loader._nesting_bound(text)


def test_listing_sorts_and_finds_owners_as_by_trying_every_owner(empty_project: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    d = empty_project / "disclosures"
    for rel in ["2026/OSQI-2026-0001.md", "2026/OSQI-2026-0001/OSQI-2026-0001.md",
                "2026/OSQI-2026-0001/OSQI-2026-0002/OSQI-2026-0002.md", "2026/OSQI-2026-0003/OSQI-2026-0003.md",
                "2026/OSQI-2026-0003/deeper/OSQI-2026-0004.md", "2026-x/OSQI-2026-0005.md", "2026/2026.md",
                "2026/OSQI-2026-0006.md", "OSQI-2026-0007/OSQI-2026-0007.md"]:
        write_disclosure(d, rel, text=disclosure_text(id=Path(rel).stem))
    for rel in ["2026/OSQI-2026-0001/poc.py", "2026/OSQI-2026-0001/OSQI-2026-0002/trace.txt",
                "2026/OSQI-2026-0003/deeper/x.bin", "2026-x/OSQI-2026-0005/a.txt", "2026/OSQI-2026-0009/stray.txt",
                "2026/notes.txt", "OSQI-2026-0007/sub/a.txt"]:
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text("x")
    fast = loader.list_tree(d, empty_project)

    def every_owner(owners: dict[Path, Path]) -> Any:  # how owners were always found: try each in order
        return lambda f: next((o for o, folder in owners.items() if f == o or f.is_relative_to(folder)), None)

    monkeypatch.setattr(loader, "_owner_finder", every_owner)
    monkeypatch.setattr(loader, "_sorted_paths", sorted)
    assert fast == loader.list_tree(d, empty_project)
    assert len(fast.sources) >= 5 and any(attached for _, attached in fast.sources)


_HIDING_PIECES = st.sampled_from([
    "a", "k", ": ", "- ", "\n", "  ", "'", '"', "|", ">", "\\", "\\x1b", "\\u202e", "\\r", "\\n", "\\t", "\\e", "\\N",
    "\\\n", "\u202e", "\u2066", "\x1b", "\x85", "\r", "\r\n", "\u2028", "\ufffe", "\t", "#", "[", "]", ", ", "!!str ",
])


@given(st.lists(_HIDING_PIECES, max_size=30).map("".join))
@example('a: "x\\u202ey"')
@example("a: |\n  x\r\n  y\r\n")
@example("a: x\u202ey")
@example('"k\\x1b": 1')
@settings(max_examples=1500)
def test_scalars_are_checked_for_forbidden_characters_as_by_looking_in_each(text: str) -> None:
    # _compose looks in each scalar only when the text could hide a forbidden character (_may_hide_chars);
    # the screened reference looks in every one.
    assert _outcome(lambda t: loader._parse_yaml(t, 2), text) == _outcome(_screened_reference, text)


def test_the_ascii_forbidden_characters_are_those_of_the_full_class() -> None:
    # find_forbidden_char searches ASCII text for _FORBIDDEN_ASCII instead of _FORBIDDEN.
    ascii_chars = [chr(i) for i in range(128)]
    assert ([c for c in ascii_chars if loader._FORBIDDEN_ASCII.match(c)]
            == [c for c in ascii_chars if loader._FORBIDDEN.match(c)])


_SCALAR_LOOKS = st.sampled_from([
    "", "~", "null", "Null", "NULL", "true", "True", "yes", "No", "off", "ON", "y", "n", "0", "-1", "+1", "0x1F",
    "0o17", "0b101", "1_000", "190:20:30", "1.5", ".5", "-.inf", ".NaN", "1e3", "6.8523015e+5", "2020-01-01",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "<<", "=", "!", "&a", "*a", "PyPI", "FINDER",
])


@given(st.one_of(_SCALAR_LOOKS, st.text(max_size=12), st.lists(_SCALAR_LOOKS, max_size=3).map(" ".join)),
       st.sampled_from([(True, False), (False, True), (False, False), (True, True)]))
@settings(max_examples=2000)
def test_node_tags_are_the_safe_loaders(value: str, implicit: tuple[bool, bool]) -> None:
    # The loader asks loader._node_tag, a cache, for every node's tag: it must be what the safe loader says.
    stock: Callable[[type[yaml.Node], str | None, Any], str] = yaml.SafeLoader("").resolve
    assert loader._node_tag(yaml.ScalarNode, value, implicit) == stock(yaml.ScalarNode, value, implicit)
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert loader._node_tag(kind, None, implicit[0]) == stock(kind, None, implicit[0])


def _tree(node: yaml.Node | None) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.tag, node.value, node.style, node.start_mark.line
    if isinstance(node, yaml.SequenceNode):
        return node.tag, [_tree(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return node.tag, [(_tree(k), _tree(v)) for k, v in node.value]
    return None


def _composed(cls: Any, text: str) -> Any:
    yaml_loader = cls(text)
    try:
        return _tree(yaml_loader.get_single_node())
    except yaml.YAMLError as e:
        return "error", str(e)
    finally:
        yaml_loader.dispose()


@given(st.lists(st.one_of(_YAML_PIECES, _SCALAR_LOOKS), max_size=40).map("".join))
@settings(max_examples=1000)
def test_the_loader_composes_as_the_stock_safe_loader(text: str) -> None:
    assert _composed(loader._Loader, text) == _composed(loader._SafeLoader, text)


def test_the_loader_composes_as_the_stock_safe_loader_on_the_fixtures() -> None:
    fixtures = sorted(Path(__file__).parent.parent.rglob("disclosures/**/*.md"))
    fixtures += sorted(Path(__file__).parent.joinpath("fixtures").rglob("*.md"))
    assert len(fixtures) > 50
    for f in fixtures:
        front = f.read_bytes().decode("utf-8", "replace").split("\n---", 1)[0].removeprefix("---\n")
        assert _composed(loader._Loader, front) == _composed(loader._SafeLoader, front), f


_PLAIN_CLOSING_LINE = re.compile(r"^(?:---|\.\.\.)[^\S\n]*$", re.MULTILINE)
"""The first pattern for the line that closes the frontmatter, tried at every character."""


@given(st.lists(st.sampled_from(["---", "...", "--", "..", "-", ".", "\n", "\r\n", "\r", " ", "\t", "\u00a0",
                                 "\u2028", "a: 1", "x"]), max_size=30).map(lambda parts: "---\n" + "".join(parts)))
@example("---\n---\n")
@example("---\na: 1\n... \r\nbody")
@example("---\na: ---\n --- \n---x\n---")
@settings(max_examples=2000)
def test_the_closing_line_is_found_as_by_trying_every_character(text: str) -> None:
    first_end = text.find("\n")
    fence = loader._FENCE_LINE.search(text, first_end)
    plain = _PLAIN_CLOSING_LINE.search(text, first_end + 1)
    assert (None if fence is None else (fence.start() + 1, fence.end())) == (None if plain is None else plain.span())
    # and parse_text splits the document where the plain pattern does
    doc, problems = loader.parse_text("disclosures/OSQI-2026-0001.md", text.encode())
    unclosed = any("not closed" in p.message for p in problems)
    if loader.find_forbidden_char(text) is None:
        assert unclosed == (plain is None)
    if doc is not None:
        assert plain is not None and doc.body_line == text.count("\n", 0, plain.start()) + 2
