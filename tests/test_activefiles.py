"""Attachments and files of docs_dir that a browser would open as an active document (HTML, XHTML, SVG, XML)
on the site's origin are refused with a located error in check and build, decided by media type."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import pytest
from sitefixture import build

from osqi_site import cli
from osqi_site.core.activefiles import active_file_problem, active_type

ACTIVE = ["poc.html", "poc.htm", "POC.HTML", "a.xhtml", "a.xht", "a.shtml", "a.svg", "a.SVG", "a.svgz",
          "a.svg.gz", "a.html.br", "a.xml", "a.xsl", "a.rdf", "a.atom", "a.mht", "a.mhtml", "a.html.", "a.html ",
          "traces/deep/x.Xhtml"]
INERT = ["poc.html.txt", "a.svg.txt", "a.png", "a.txt", "a.c", "a.py", "a.json", "a.csv", "a.pdf", "a.pcap",
         "a.tar.gz", "README", "a.css", "a.html.d/notes.txt"]


@pytest.mark.parametrize("name", ACTIVE)
def test_names_served_as_active_documents_are_refused(name: str) -> None:
    kind = active_type(name)
    assert kind is not None and (kind in {"text/html", "application/xhtml+xml", "image/svg+xml", "message/rfc822"}
                                 or kind.endswith(("/xml", "+xml"))), kind
    assert active_file_problem(name) is not None


@pytest.mark.parametrize("name", INERT)
def test_names_served_as_text_or_data_pass(name: str) -> None:
    assert active_type(name) is None and active_file_problem(name) is None


def test_the_answer_does_not_depend_on_the_machines_mime_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # The machine's /etc/mime.types feeds the module-level table; the rule reads only Python's own.
    machine = mimetypes.MimeTypes()
    machine.add_type("text/plain", ".svg")
    machine.add_type("text/html", ".txt")
    monkeypatch.setattr(mimetypes, "_db", machine)
    assert mimetypes.guess_type("a.svg")[0] == "text/plain"
    assert active_type("a.svg") == "image/svg+xml"
    assert active_type("a.html.txt") is None


def test_an_html_or_svg_attachment_fails_check_and_build(project: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = project / "disclosures" / "2026" / "OSQI-2026-0002"
    (folder / "poc.html").write_text("<html><body><script>document.title='XSS'</script></body></html>")
    (folder / "diagram.SVG").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (folder / "poc.html.txt").write_text("<script>served as text</script>")
    expected = [
        "disclosures/2026/OSQI-2026-0002/diagram.SVG:0: file: 'diagram.SVG' would be served as image/svg+xml, which "
        "a browser opens as a document that can run script on the site's origin; publish it as text by renaming "
        "it to 'diagram.SVG.txt' (or convert an image to PNG)",
        "disclosures/2026/OSQI-2026-0002/poc.html:0: file: 'poc.html' would be served as text/html, which a browser "
        "opens as a document that can run script on the site's origin; publish it as text by renaming it to "
        "'poc.html.txt' (or convert an image to PNG)"]
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "would be served" in line] == expected
    assert build(project, tmp_path / "site") == 1
    build_err = capsys.readouterr().err
    assert all(line in build_err for line in expected)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("name", ["x.html", "img/diagram.svg", "feed.XML"])
def test_an_active_document_in_docs_dir_fails_check_and_build(project: Path, tmp_path: Path, name: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "content" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<script>alert(document.domain)</script>")
    last = name.rsplit("/", 1)[-1]
    prefix = f"content/{name}:0: file: '{last}' would be served as "
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert any(line.startswith(prefix) and f"renaming it to '{last}.txt'" in line
               for line in capsys.readouterr().err.splitlines())
    assert build(project, tmp_path / "site") == 1
    assert prefix in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_an_active_document_in_the_sites_theme_folder_fails_the_build(project: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # MkDocs copies a theme folder's static files (not its .html templates) into the site.
    (project / "theme" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>')
    assert build(project, tmp_path / "site") == 1
    assert "theme/logo.svg:0: file: 'logo.svg' would be served as image/svg+xml" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()
    (project / "theme" / "logo.svg").unlink()
    (project / "theme" / "extra.html").write_text("{# a template: rendered by the theme, never copied #}")
    assert build(project, tmp_path / "site") == 0
