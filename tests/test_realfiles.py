"""Real files only: every symbolic link and unreadable file name in disclosures/, docs_dir and the theme folder
is a located error for ``check`` and ``build``, never a traceback, and nothing is published."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sitefixture import CANARY, all_bytes, build

from osqi_site import cli
from osqi_site.core import loader, realfiles

WITHHELD_ATTACHMENT = "disclosures/2026/OSQI-2026-0004/poc-ZQXCANARYE.c"
"""An attachment of the embargoed disclosure of the site fixture; it holds the canary."""


def _check(root: Path) -> int:
    return cli.main(["check", "-f", str(root / "mkdocs.yml")])


def _refused_everywhere(root: Path, site: Path, capsys: pytest.CaptureFixture[str], expected: str) -> None:
    """``check`` and ``build`` both fail with exactly the located line ``expected``; no site, no traceback."""
    assert _check(root) == 1
    err = capsys.readouterr().err
    assert expected in err.splitlines(), err
    assert "Traceback" not in err
    assert build(root, site) == 1
    out = capsys.readouterr()
    # MkDocs logs the plugin's error with an "ERROR: " in front of its first line.
    assert {expected, f"ERROR: {expected}"} & set(out.err.splitlines()), out.err
    assert "Traceback" not in out.err + out.out
    assert not site.exists()
    assert not [p for p in site.parent.iterdir() if p.name.startswith(f".{site.name}.")]


def test_a_link_in_docs_dir_to_a_withheld_attachment_is_refused(project: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "poc.c").symlink_to(project / WITHHELD_ATTACHMENT)
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "content/poc.c:0: file: symbolic link points outside the content folder; refused")


def test_a_linked_folder_in_docs_dir_is_refused_with_the_pages_under_it(project: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "launch").symlink_to(project / "disclosures" / "2026" / "OSQI-2026-0004",
                                                target_is_directory=True)
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "content/launch:0: file: symbolic link points outside the content folder; refused")


def test_a_link_inside_docs_dir_is_refused_too(project: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # Inside docs_dir and to a public page: refused all the same, the policy is "no links", not "safe links".
    (project / "content" / "mirror").mkdir()
    (project / "content" / "mirror" / "home.md").symlink_to(project / "content" / "index.md")
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "content/mirror/home.md:0: file: symbolic link to index.md; symbolic links are refused "
                        "(a link can publish what its target withholds): put the file itself here")


def test_a_link_in_the_theme_folder_is_refused(project: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # MkDocs copies the theme folder's static files into the site like docs_dir's.
    (project / "theme" / "poc.c").symlink_to(project / WITHHELD_ATTACHMENT)
    assert build(project, tmp_path / "site") == 1
    assert "theme/poc.c:0: file: symbolic link points outside the theme folder; refused" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(("make", "message"), [
    (lambda c: (c / "loop").symlink_to(c / "loop"), "symbolic link loop; remove it"),
    (lambda c: (c / "loop").symlink_to(c / "loop" / "deeper", target_is_directory=True),
     "symbolic link loop; remove it"),
    (lambda c: (c / "loop").symlink_to(c, target_is_directory=True), "symbolic link to a folder; use a real folder"),
    (lambda c: (c / "loop").symlink_to(c / "gone.md"), "broken symbolic link; remove it"),
])
def test_loops_and_broken_links_are_located_errors(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   make: object, message: str) -> None:
    make(project / "content")  # type: ignore[operator]
    _refused_everywhere(project, tmp_path / "site", capsys, f"content/loop:0: file: {message}")


def test_a_linked_docs_dir_is_refused(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content").rename(project / "real-content")
    (project / "content").symlink_to(project / "real-content", target_is_directory=True)
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "content:0: docs_dir: is a symbolic link; use a real folder (symbolic links are refused)")


def test_an_undecodable_name_in_docs_dir_is_a_located_error(project: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with open(os.path.join(os.fsencode(project / "content"), b"logo\xff.png"), "wb") as f:
        f.write(b"png")
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "content/logo\\xff.png:0: file: file name is not valid UTF-8; rename it")


def test_an_undecodable_attachment_name_fails_check_not_the_checksum_writer(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = os.fsencode(project / "disclosures" / "2026" / "OSQI-2026-0002")
    with open(os.path.join(folder, b"trace\xfe.txt"), "wb") as f:
        f.write(b"trace")
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "disclosures/2026/OSQI-2026-0002/trace\\xfe.txt:0: file: file name is not valid UTF-8; "
                        "rename it")


def test_a_link_in_disclosures_to_a_withheld_attachment_is_refused(project: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (project / "disclosures" / "2026" / "OSQI-2026-0002" / "poc.c").symlink_to(project / WITHHELD_ATTACHMENT)
    _refused_everywhere(project, tmp_path / "site", capsys,
                        "disclosures/2026/OSQI-2026-0002/poc.c:0: file: symbolic link to "
                        "2026/OSQI-2026-0004/poc-ZQXCANARYE.c; symbolic links are refused (a link can publish "
                        "what its target withholds): put the file itself here")


def test_the_fixture_builds_and_publishes_nothing_withheld_once_the_links_are_gone(project: Path,
                                                                                    tmp_path: Path) -> None:
    link = project / "content" / "poc.c"
    link.symlink_to(project / WITHHELD_ATTACHMENT)
    assert build(project, tmp_path / "site") == 1
    link.unlink()
    assert build(project, tmp_path / "site") == 0
    for path, data in all_bytes(tmp_path / "site").items():
        assert CANARY.encode() not in data and CANARY not in path, path


@pytest.mark.parametrize(("name", "expected"), [
    ("plain.txt", None), ("résumé.pdf", None), ("日本.png", None), ("with space.txt", None),
    ("a\udcffb", "file name is not valid UTF-8; rename it"),
    ("a\x00b", "file name holds a control or invisible character (U+0000); rename it"),
    ("a\u202eb", "file name holds a control or invisible character (U+202E); rename it"),
    ("a\u00a0b", "file name holds a control or invisible character (U+00A0); rename it"),
])
def test_name_problem(name: str, expected: str | None) -> None:
    assert realfiles.name_problem(name) == expected


def test_shown_makes_every_name_printable_on_one_line() -> None:
    assert realfiles.shown("a/b\udcffc\nd") == "a/b\\xffc\\u000ad"
    assert realfiles.shown("plain/name.txt") == "plain/name.txt"


# -- attachment names against what the site writes ---------------------------------------------------------------

def test_a_markdown_attachment_is_published_as_it_is_not_rendered_as_a_page(project: Path, tmp_path: Path) -> None:
    notes = project / "disclosures" / "2026" / "OSQI-2026-0002" / "notes.md"
    notes.write_text("# Notes\n\n<script>alert(1)</script>\n")
    assert build(project, tmp_path / "site") == 0
    files = all_bytes(tmp_path / "site")
    assert files["disclosures/OSQI-2026-0002/notes.md"] == notes.read_bytes()
    assert "disclosures/OSQI-2026-0002/notes/index.html" not in files


@pytest.mark.parametrize("name", ["index.md", "INDEX.HTML", "index.json"])
def test_an_attachment_named_like_the_page_fails_check_and_build(project: Path, tmp_path: Path, name: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (project / "disclosures" / "2026" / "OSQI-2026-0002" / name).write_text("<script>alert(1)</script>")
    _refused_everywhere(project, tmp_path / "site", capsys,
                        f"disclosures/2026/OSQI-2026-0002/{name}:0: file: attachment name '{name}' is reserved: "
                        "the site writes its own index files beside the disclosure page; rename it")


def test_the_build_refuses_an_attachment_where_the_site_writes_whatever_the_name_rule_says(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # By construction: with the name rule of check switched off, the build still compares every destination.
    monkeypatch.setattr(loader, "attachment_name_problem", lambda name: None)
    (project / "disclosures" / "2026" / "OSQI-2026-0002" / "Index.html").write_text("<script>alert(1)</script>")
    assert build(project, tmp_path / "site") == 1
    assert ("disclosures/2026/OSQI-2026-0002/Index.html:0: file: attachment would be published as "
            "/disclosures/OSQI-2026-0002/Index.html, where the site writes /disclosures/OSQI-2026-0002/index.html; "
            "rename it") in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(("name", "written"), [("feed.json", "feed.json"), ("OSV/all.json", "osv/all.json"),
                                               ("Disclosures.md", "disclosures/index.html")])
def test_a_file_of_docs_dir_where_the_plugin_writes_is_refused(
        project: Path, tmp_path: Path, name: str, written: str, capsys: pytest.CaptureFixture[str]) -> None:
    # MkDocs would copy it over the feed or export the plugin wrote, or build a page where the listing goes.
    path = project / "content" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("forged")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert f"content/{name}:0: file: file would be published as /" in err
    assert f"where the site writes /{written}" in err
    assert not (tmp_path / "site").exists()
