"""The page gate of docs_dir: every file MkDocs would publish goes through it, whatever its name, and a file
used only by withheld pages stays out. End to end, with a canary in every withheld file, every byte scanned."""

from __future__ import annotations

import shutil
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from factory import BODY, SETTINGS, disclosure_text
from hypothesis import given
from hypothesis import strategies as st
from mkdocs.utils import markdown_extensions
from mkdocs.utils import meta as mkdocs_meta
from sitefixture import AS_OF, all_bytes, build

from osqi_site import cli
from osqi_site.build import content_gate, pipeline
from osqi_site.core.loader import parse_text
from osqi_site.core.problems import BuildError
from osqi_site.core.timefmt import parse_instant
from osqi_site.pages import projects

LATER = "2026-06-01T00:01:00Z"
"""One minute after the fixture's clock: what is embargoed until then has lifted in a build at LATER."""


def _no_canary(site: Path, *canaries: str) -> None:
    for path, data in all_bytes(site).items():
        for canary in canaries:
            assert canary.encode() not in data and canary not in path, (path, canary)


def _gate(files: Mapping[str, bytes], is_page: object = None) -> content_gate.ContentGate:
    if is_page is None:
        return content_gate.gate_content(files, parse_instant(AS_OF))
    return content_gate.gate_content(files, parse_instant(AS_OF), is_page)  # type: ignore[arg-type]


# -- every spelling MkDocs reads as Markdown is gated ---------------------------------------------------------

def test_pages_in_every_markdown_spelling_are_gated_and_lift_on_time(project: Path, tmp_path: Path) -> None:
    # The spellings come from MkDocs itself: whatever it builds into a page, the gate reads.
    for n, ext in enumerate(markdown_extensions):
        (project / "content" / f"plan{n}{ext}").write_text(
            f"---\ntitle: Plan ZQXPAGE{n} ahead\nembargo_until: {LATER}\n---\n\nZQXPAGE{n} body.\n")
    assert build(project, tmp_path / "site") == 0
    _no_canary(tmp_path / "site", "ZQXPAGE")
    assert build(project, tmp_path / "lifted", as_of=LATER) == 0
    lifted = all_bytes(tmp_path / "lifted")
    for n in range(len(markdown_extensions)):
        assert f"ZQXPAGE{n} body.".encode() in lifted[f"plan{n}/index.html"]


def test_next_lift_sees_pages_in_other_markdown_spellings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for d in (project / "disclosures" / "2026").glob("OSQI-2026-0004*"):
        shutil.rmtree(d) if d.is_dir() else d.unlink()
    (project / "content" / "plan.markdown").write_text("---\nembargo_until: 2999-01-02T00:00:00Z\n---\nx\n")
    assert cli.main(["next-lift", "-f", str(project / "mkdocs.yml")]) == 0
    assert capsys.readouterr().out.strip() == "2999-01-02T00:00:00Z"


@pytest.mark.parametrize("name", ["plan.MD", "plan.Markdown", "plan.txt", "plan.html", "plan.md.bak"])
def test_a_file_mkdocs_copies_as_is_cannot_carry_a_gate(project: Path, tmp_path: Path, name: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # MkDocs copies these byte for byte (its rule for pages is case-sensitive): frontmatter would hold nothing back.
    (project / "content" / name).write_text("---\ntitle: Launch ZQXSTATIC\ndraft: true\n---\nZQXSTATIC\n")
    expected = (f"content/{name}:3: draft: MkDocs publishes this file as it is, not as a page (its name is not one "
                "MkDocs reads as Markdown), so this frontmatter withholds nothing; give it a .md name or remove "
                "the field")
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert expected in capsys.readouterr().err.splitlines()
    assert build(project, tmp_path / "site") == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_a_copied_file_with_unreadable_frontmatter_naming_a_gate_fails_closed() -> None:
    gated = _gate({"content/plan.txt": b"---\nembargo_until: [unclosed\n---\nx\n"})
    assert [(p.path, p.line, p.field) for p in gated.problems] == [("content/plan.txt", 1, "frontmatter")]
    assert _gate({"content/data.yml": b"---\nname: [unclosed\n---\n"}).problems == ()
    assert _gate({"content/data.yml": b"---\nitems: [1, 2]\n---\n"}).problems == ()


# -- keys near a gate key -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "meant"), [
    ("embargo_untill", "embargo_until"), ("Embargo_Until", "embargo_until"), ("EMBARGO-UNTIL", "embargo_until"),
    ("embargo\u200b_until", "embargo_until"), ("embargoed", "embargo_until"), ("draft_", "draft"),
    ("Draft", "draft"), ("drafts", "draft"),
])
def test_a_key_near_a_gate_key_on_a_content_page_is_a_located_error(key: str, meant: str) -> None:
    gated = _gate({"content/launch.md": f"---\ntitle: Launch\n{key}: 2999-01-01T00:00:00Z\n---\nx\n".encode()})
    assert [str(p) for p in gated.problems] == [f"content/launch.md:3: {key}: unknown field; did you mean '{meant}'?"]
    assert gated.withheld == ("content/launch.md",)  # and withheld: a page with a problem is never public


@pytest.mark.parametrize("key", ["title", "description", "hide", "icon", "status", "subtitle", "tags",
                                 "date", "search", "authors", "comments", "social"])
def test_ordinary_page_keys_pass_the_gate(key: str) -> None:
    gated = _gate({"content/page.md": f"---\n{key}: x\n---\nx\n".encode()})
    assert gated.problems == () and gated.withheld == ()


def test_a_mistyped_gate_key_fails_check_and_build(project: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "launch.md").write_text("---\ntitle: Launch ZQXTYPO\nembargo_untill: 2999-01-01T00:00:00Z"
                                                   "\n---\nZQXTYPO\n")
    expected = "content/launch.md:3: embargo_untill: unknown field; did you mean 'embargo_until'?"
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert expected in capsys.readouterr().err.splitlines()
    assert build(project, tmp_path / "site") == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


_TEMPLATE = ("a content page cannot choose its template (the theme's templates are reviewed as code, and most of "
             "them cannot render a page); remove the field")


@pytest.mark.parametrize("template", ["osqi-prerendered.html", "partials/header.html", "no-such-template.html",
                                      "sitemap.xml", "main.html", "404.html", ""])
def test_a_content_page_choosing_its_template_is_a_located_error(template: str) -> None:
    gated = _gate({"content/notes.md": f"---\ntitle: Notes\ntemplate: '{template}'\n---\nx\n".encode(),
                   "content/other.md": f"Title: Other\nTemplate: {template or 'x'}\n\nbody\n".encode(),
                   "content/copied.txt": f"Template: {template or 'x'}\n\nbody\n".encode()})
    assert [str(p) for p in gated.problems] == [f"content/notes.md:3: template: {_TEMPLATE}",
                                                f"content/other.md:2: template: {_TEMPLATE}"]


def test_a_template_key_fails_check_and_build_as_a_located_error(project: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "notes.md").write_text("---\ntitle: Notes\ntemplate: osqi-prerendered.html\n---\n# N\n")
    expected = f"content/notes.md:3: template: {_TEMPLATE}"
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert expected in capsys.readouterr().err.splitlines()
    assert build(project, tmp_path / "site") == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_gate_content_asks_mkdocs_classification_only_for_files_with_frontmatter_or_past_a_bound() -> None:
    asked: list[str] = []

    def is_page(rel: str) -> bool:
        asked.append(rel)
        return rel.endswith(".md")

    _gate({"content/a.png": b"\x89PNG", "content/b.md": b"# no frontmatter", "content/c.md": b"---\nx: 1\n---\n"},
          is_page)
    assert asked == ["content/a.png", "content/c.md"]  # a.png is not UTF-8: refused if it were a page


def test_the_cli_classifies_pages_as_mkdocs_does() -> None:
    names = [f"a{ext}" for ext in markdown_extensions] + ["a.MD", "a.txt", "a.md.txt", "a.html", "md", "a.mdx"]
    from mkdocs.utils import is_markdown_file

    from osqi_site.core import pagenames

    assert markdown_extensions == pagenames.MARKDOWN_SUFFIXES  # the core's copy of MkDocs' rule is MkDocs' rule
    assert [pagenames.mkdocs_reads_as_page(n) for n in names] == [is_markdown_file(n) for n in names]


# -- files only withheld pages use ------------------------------------------------------------------------------

def _launch_site(root: Path) -> None:
    content = root / "content"
    (content / "img").mkdir()
    (content / "downloads" / "launch").mkdir(parents=True)
    (content / "css").mkdir()
    (content / "img" / "diagram.png").write_bytes(b"\x89PNG ZQXASSET diagram")
    (content / "img" / "shared.png").write_bytes(b"\x89PNG shared")
    (content / "img" / "bg.png").write_bytes(b"\x89PNG ZQXASSET background")
    (content / "img" / "logo.png").write_bytes(b"\x89PNG logo")
    (content / "downloads" / "launch" / "data.csv").write_text("ZQXASSET,1\n")
    (content / "css" / "launch.css").write_text("/* ZQXASSET */ body { background: url(../img/bg.png) }\n")
    (content / "img" / "Caf%C3%A9.png").write_bytes(b"\x89PNG ZQXASSET encoded")
    (content / "launch.md").write_text(
        f"---\ntitle: Launch ZQXASSET day\nembargo_until: {LATER}\n---\n\n"
        "![diagram](img/diagram.png)\n\n<img src=\"img/shared.png\">\n\n"
        "[All the data](downloads/launch/)\n\n<link rel=\"stylesheet\" href=\"css/launch.css\">\n\n"
        "![encoded](img/Caf%25C3%25A9.png)\n")
    index = content / "index.md"
    index.write_text(index.read_text() + "\n\n![shared](img/shared.png)\n\nNot a link: diagram.png\n")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  custom_dir: theme\n",
                                                 "  custom_dir: theme\n  logo: img/logo.png\n"))


def test_files_only_withheld_pages_use_stay_out_and_return_when_they_lift(project: Path, tmp_path: Path) -> None:
    _launch_site(project)
    assert build(project, tmp_path / "site") == 0
    files = all_bytes(tmp_path / "site")
    _no_canary(tmp_path / "site", "ZQXASSET")
    assert files["img/shared.png"] == b"\x89PNG shared"  # a public page links it too
    assert files["img/logo.png"] == b"\x89PNG logo"      # mkdocs.yml names it
    assert build(project, tmp_path / "lifted", as_of=LATER) == 0
    lifted = all_bytes(tmp_path / "lifted")
    for name in ("img/diagram.png", "img/bg.png", "downloads/launch/data.csv", "css/launch.css",
                 "img/Caf%C3%A9.png"):
        assert name in lifted, name


def test_a_file_a_withheld_page_names_by_full_url_with_a_tab_entity_stays_out(project: Path, tmp_path: Path) -> None:
    # Red team, round 3: a browser loads img/hb.png for "h&#9;b.png" (tab, LF and CR leave a URL), and the
    # link, on the site's own host, named no file of docs_dir by path.
    _launch_site(project)
    (project / "content" / "img" / "hb.png").write_bytes(b"\x89PNG ZQXASSET tab")
    (project / "content" / "img" / "hf.png").write_bytes(b"\x89PNG ZQXASSET cr")
    launch = project / "content" / "launch.md"
    launch.write_text(launch.read_text() + '\n<img src="https://advisories.example.org/img/h&#9;b.png">\n\n'
                                           '<img src="//advisories.example.org/img/h&#13;f.png">\n')
    assert build(project, tmp_path / "site") == 0
    _no_canary(tmp_path / "site", "ZQXASSET")
    assert build(project, tmp_path / "lifted", as_of=LATER) == 0
    assert {"img/hb.png", "img/hf.png"} <= set(all_bytes(tmp_path / "lifted"))


def test_a_file_a_public_stylesheet_uses_stays_although_a_withheld_page_names_it(project: Path,
                                                                                 tmp_path: Path) -> None:
    _launch_site(project)
    (project / "content" / "css" / "site.css").write_text("body { background: url(../img/bg.png) }\n")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text() + "extra_css:\n  - css/site.css\n")
    assert build(project, tmp_path / "site") == 0
    files = all_bytes(tmp_path / "site")
    assert files["img/bg.png"] == b"\x89PNG ZQXASSET background"
    assert "img/diagram.png" not in files and "css/launch.css" not in files


def test_withheld_only_over_approximates_and_publicly_used_follows_links() -> None:
    assets: dict[str, content_gate.ContentSource] = {
        "img/a.png": b"", "img/b.png": b"", "dl/x/data.csv": b"", "dl/other.csv": b"",
        "css/w.css": b"i { background: url(../img/b.png) }", "img/unrelated.png": b""}
    held = content_gate.withheld_only(assets, ["<IMG SRC='IMG/A.PNG'> [data](dl/x/) <link href=css/w.css>"])
    assert held == {"img/a.png", "dl/x/data.csv", "css/w.css", "img/b.png"}
    assert content_gate.withheld_only(assets, ["&#x61;.png"]) == {"img/a.png"}  # entities decoded
    assert content_gate.withheld_only(assets, ["[d](dl/other%2Ecsv)"]) == {"dl/other.csv"}  # percent-escapes decoded
    assert content_gate.publicly_used(assets, {"css/w.css"}, []) == {"css/w.css", "img/b.png"}
    assert content_gate.publicly_used(assets, set(), ["logo: img/a.png"]) == {"img/a.png"}


@pytest.mark.parametrize(("html", "url", "expected"), [
    ('<img src="../img/a.png">', "about/", {"img/a.png"}),
    ('<img src="img/a%20b.png?v=1#x">', "", {"img/a b.png"}),
    ('<a href="/sub/dl/x.csv">', "about/", {"dl/x.csv"}),
    ('<img srcset="a.png 1x, /sub/b.png 2x">', "p/", {"p/a.png", "b.png"}),
    ('<a href="https://elsewhere.example/img/a.png">', "", set()),
    ('<p title="img/a.png">img/a.png</p>', "", set()),  # named, not linked
])
def test_links_in_html(html: str, url: str, expected: set[str]) -> None:
    assert content_gate.links_in_html(html, url, "/sub/") == expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<img src="https://Site.example/sub/img/h&#9;b.png">', {"img/hb.png"}),  # a browser drops tab, LF, CR
    ('<img src="//site.example/sub/img/h&#13;f.png">', {"img/hf.png"}),
    ('<a href="http://site.example:8000/sub/dl/x.csv">', {"dl/x.csv"}),  # the same host, any scheme or port
    ('<a href="https://site.example">', {""}),
    ('<img src="https://elsewhere.example/sub/img/a.png">', set()),
])
def test_links_in_html_reads_full_urls_on_the_site_host_as_site_paths(html: str, expected: set[str]) -> None:
    assert content_gate.links_in_html(html, "p/", "https://site.example/sub/") == expected


def test_the_text_net_drops_what_a_browser_drops_from_a_url() -> None:
    assets: dict[str, content_gate.ContentSource] = {"img/hb.png": b"", "img/hf.png": b"", "img/h.png": b""}
    held = content_gate.withheld_only(assets, ['<img src="https://example.org/img/h&#9;b.png">',
                                               "![f](img/h&#x0D;&#10;f.png)"])
    assert held == {"img/hb.png", "img/hf.png"}


_NAME = st.text(alphabet="abcxyzABC019-_.é ", min_size=1, max_size=8).filter(lambda s: s.strip(". ") == s)
_SPELLINGS: list[Callable[[str], str]] = [
    lambda p: p, lambda p: urllib.parse.quote(p), lambda p: p.upper(), lambda p: "../" + p, lambda p: "/" + p,
    lambda p: "".join(f"&#{ord(c)};" for c in p), lambda p: urllib.parse.quote(p).replace("%", "%25"),
]


@given(folders=st.lists(_NAME, max_size=3), name=_NAME, spelling=st.sampled_from(_SPELLINGS),
       wrap=st.sampled_from(["![x]({})", '<img src="{}">', "[x]: {}", "<a href='{}'>x</a>"]))
def test_a_file_a_withheld_page_links_is_always_held_however_the_link_is_spelt(
        folders: list[str], name: str, spelling: Callable[[str], str], wrap: str) -> None:
    path = "/".join([*folders, name + ".png"])
    held = content_gate.withheld_only({path: b"", "unrelated.bin": b""}, [wrap.format(spelling(path))])
    assert path in held


def test_a_file_a_public_disclosure_names_stays_although_a_withheld_page_names_it(project: Path,
                                                                                  tmp_path: Path) -> None:
    _launch_site(project)
    public = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    public.write_text(public.read_text() + "\n![diagram](/img/diagram.png)\n")
    assert build(project, tmp_path / "site") == 0
    files = all_bytes(tmp_path / "site")
    assert files["img/diagram.png"] == b"\x89PNG ZQXASSET diagram"
    assert "downloads/launch/data.csv" not in files


@pytest.mark.parametrize("lead", ["\n", "\n\n  \n", "\ufeff\n"])
def test_frontmatter_after_blank_lines_naming_a_gate_is_a_located_error(lead: str) -> None:
    # MkDocs reads frontmatter only from the first line: below a blank line it is a rule and a heading, published.
    text = f"{lead}---\ntitle: Launch\ndraft: true\n---\nx\n"
    gated = _gate({"content/launch.md": text.encode()})
    line = 3 + lead.count("\n")
    assert [str(p) for p in gated.problems] == [
        f"content/launch.md:{line}: draft: this frontmatter does not start on the first line, so MkDocs publishes "
        "it as text and it withholds nothing; remove the blank lines before the first '---'"]


def test_a_horizontal_rule_after_a_blank_line_is_no_frontmatter() -> None:
    assert _gate({"content/page.md": b"\n---\n\nSome text.\n"}).problems == ()
    assert _gate({"content/page.md": b"\n---\ntitle: Just a title\n---\n"}).problems == ()


# -- metadata MkDocs reads without '---' fences (MultiMarkdown style) ------------------------------------------

_UNFENCED = ("MkDocs reads these first lines as the page's metadata (MultiMarkdown style, without '---' fences), "
             "a style the gate does not read; write them as YAML frontmatter between '---' lines")
_VERBATIM = ("MkDocs publishes this file as it is, not as a page (its name is not one MkDocs reads as Markdown), "
             "so this frontmatter withholds nothing; give it a .md name or remove the field")


@pytest.mark.parametrize(("text", "line", "key"), [
    ("embargo_until: 2099-01-01T00:00:00Z\ntitle: Plan\n\n# Plan\n", 1, "embargo_until"),
    ("Title: Plan\nDraft: true\n\nbody\n", 2, "draft"),                       # MkDocs folds the key's case
    ("title: Plan\n    spread over\n   Embargo-Until: 2099\n\nbody\n", 3, "embargo-until"),  # indented up to 3
    ("\ufefftitle: Plan\r\nembargoed: yes\r\n\r\nbody\r\n", 2, "embargoed"),  # BOM, CRLF, a near key
])
def test_unfenced_metadata_naming_a_gate_is_a_located_error(text: str, line: int, key: str) -> None:
    from mkdocs.utils.meta import get_data
    assert key in get_data(text.removeprefix("\ufeff"))[1]  # MkDocs itself reads the key as page metadata
    for name, message in (("content/plan.md", _UNFENCED), ("content/plan.txt", _VERBATIM),
                          ("content/plan2.MD", _VERBATIM)):
        problems = [str(p) for p in _gate({name: text.encode()}).problems]
        assert problems == [f"{name}:{line}: {key}: {message}"]


@pytest.mark.parametrize("text", [
    "title: Plan\n\n# Plan\nembargo_until: 2099\n",   # below MkDocs' metadata: text
    "# Plan\nembargo_until: 2099\n",                  # no metadata at all
    "Note: the draft is below\n\nbody\n",             # metadata MkDocs reads, no gate key
    "    draft: true\n\nindented code\n",             # four spaces: code, not metadata, to MkDocs
])
def test_text_mkdocs_does_not_read_as_a_gate_passes(text: str) -> None:
    from mkdocs.utils.meta import get_data
    assert not {"draft", "embargo_until"} & set(get_data(text)[1])
    assert _gate({"content/plan.md": text.encode()}).problems == ()


def test_a_page_with_unfenced_gate_metadata_fails_check_and_build(project: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "secret.md").write_text(
        "embargo_until: 2099-01-01T00:00:00Z\ntitle: ZQXMMD secret plan\n\n# Plan\n\nZQXMMD unreleased details\n")
    (project / "content" / "plan.txt").write_text("embargo_until: 2099-01-01T00:00:00Z\n\nZQXMMD secret\n")
    expected = [f"content/plan.txt:1: embargo_until: {_VERBATIM}",
                f"content/secret.md:1: embargo_until: {_UNFENCED}"]
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert [line for line in capsys.readouterr().err.splitlines() if "embargo_until" in line] == expected
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert all(line in err for line in expected)
    assert not (tmp_path / "site").exists()


# -- files a withheld page uses, however its Markdown spells their names ---------------------------------------

def test_a_file_a_withheld_page_names_with_backslash_escapes_stays_out(project: Path, tmp_path: Path) -> None:
    content = project / "content"
    (content / "img" / "deep").mkdir(parents=True)
    (content / "img" / "launch_diagram.png").write_bytes(b"\x89PNG ZQXESC diagram")
    (content / "img" / "plan-b.png").write_bytes(b"\x89PNG ZQXESC plan b")
    (content / "img" / "deep" / "x.png").write_bytes(b"\x89PNG ZQXESC deep")
    (content / "secret.md").write_text(
        f"---\nembargo_until: {LATER}\n---\n\n# Launch\n\n![d](img/launch\\_diagram.png)\n\n"
        "![b](img/plan\\-b.png)\n\n[folder](img/dee\\p/)\n")
    assert build(project, tmp_path / "site") == 0
    _no_canary(tmp_path / "site", "ZQXESC")
    assert build(project, tmp_path / "lifted", as_of=LATER) == 0
    lifted = all_bytes(tmp_path / "lifted")
    assert {"img/launch_diagram.png", "img/plan-b.png", "img/deep/x.png"} <= set(lifted)


def test_the_textual_net_takes_backslash_escapes_out() -> None:
    assets: dict[str, content_gate.ContentSource] = {
        "img/launch_diagram.png": b"", "img/plan-b.png": b"", "img/bg_x.png": b"", "img/unrelated.png": b"",
        "css/w.css": b"i { background: url(../img/bg\\5f x.png) }"}
    assert content_gate.withheld_only(assets, ["![d](img/launch\\_diagram.png) ![b](img/plan\\-b\\.png)"]) == {
        "img/launch_diagram.png", "img/plan-b.png"}
    # A stylesheet the withheld page loads names its image with a CSS escape.
    assert content_gate.withheld_only(assets, ["<link href='css/w.css'>"]) == {"css/w.css", "img/bg_x.png"}
    # A public text is read as written: an escaped name there is not taken as a use (the closed side).
    assert content_gate.publicly_used(assets, set(), ["img/launch\\_diagram.png"]) == set()


def test_the_rendered_net_finds_what_the_site_markdown_makes_of_a_withheld_page(project: Path) -> None:
    from mkdocs.config import load_config
    from mkdocs.structure.files import File

    config = load_config(str(project / "mkdocs.yml"))
    assets: dict[str, content_gate.ContentSource] = {
        "sub/img/a_b.png": b"", "img/c.png": b"", "dl/x/data.csv": b"", "img/unrelated.png": b"", "CNAME": b""}
    page = File("sub/secret.md", str(project / "content"), str(project / "site"), use_directory_urls=True)
    text = ("---\ntitle: x\n---\n![a](img/a\\_b.png) ![c][ref] [data](../dl/x/) [home](../)\n\n"
            "[ref]: ../img/c.png\n")
    markdown = content_gate.Markdown(config.markdown_extensions, config.mdx_configs, config.site_url,
                                     lambda text: mkdocs_meta.get_data(text)[0])
    assert content_gate.rendered_links({page.src_uri: (page.url, text)}, assets, markdown) == {
        "sub/img/a_b.png", "img/c.png", "dl/x/data.csv"}


def test_the_rendered_net_holds_what_only_the_rendered_page_names(project: Path, tmp_path: Path) -> None:
    # Python-Markdown's wikilinks make [[Launch Plan]] a link to /Launch_Plan/: no spelling of the folder is in
    # the page's text, only in its HTML, so only the rendered net sees that the page uses Launch_Plan/plan.pdf.
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("markdown_extensions:\n", "markdown_extensions:\n  - wikilinks\n", 1))
    (project / "content" / "Launch_Plan").mkdir()
    (project / "content" / "Launch_Plan" / "plan.pdf").write_bytes(b"%PDF ZQXWIKI plan")
    (project / "content" / "launch.md").write_text(f"---\nembargo_until: {LATER}\n---\n\n# Launch\n\n[[Launch Plan]]\n")
    assert build(project, tmp_path / "site") == 0
    _no_canary(tmp_path / "site", "ZQXWIKI")
    assert build(project, tmp_path / "lifted", as_of=LATER) == 0
    assert "Launch_Plan/plan.pdf" in all_bytes(tmp_path / "lifted")


# -- bidirectional controls ("Trojan Source") -------------------------------------------------------------------

@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
                                     "\u202b", "\u202c"])
def test_a_bidi_control_in_a_content_page_is_a_located_error(control: str) -> None:
    # Stored backwards after U+202E, OSQI-2026-0002 reads forwards on screen: no check of stored text sees it.
    text = f"# Home\n\nSoon: {control}2000-6202-IQSO\n"
    for source in (text, f"---\ntitle: Home\n---\n{text}"):
        problems = _gate({"content/index.md": source.encode()}).problems
        assert [(p.path, p.line, p.field) for p in problems] == \
            [("content/index.md", 3 if source is text else 6, "file")], problems
        assert f"bidirectional control U+{ord(control):04X}" in problems[0].message


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c"])
def test_the_marks_of_ordinary_right_to_left_text_pass_the_gate(mark: str) -> None:
    text = f"# Home\n\n\u05e9\u05dc\u05d5\u05dd{mark} world\n"
    for source in (text, f"---\ntitle: \u05e9\u05dc\u05d5\u05dd{mark} world\n---\n{text}"):
        assert _gate({"content/index.md": source.encode()}).problems == ()
    assert pipeline.mention_problems("content/index.md", text, 1, frozenset(), SETTINGS) == []
    disclosure = disclosure_text(title=f"\u05e9\u05dc\u05d5\u05dd{mark} world", body=BODY + text)
    doc, problems = parse_text("disclosures/2026/OSQI-2026-0001.md", disclosure.encode())
    assert problems == [] and doc is not None


def test_a_reversed_id_after_a_right_to_left_override_fails_check_and_build(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "index.md").write_text("# Home\n\nComing soon: \u202e4000-6202-IQSO\u202c.\n",
                                                  encoding="utf-8")
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert "content/index.md:3: file: contains the bidirectional control U+202E" in capsys.readouterr().err
    assert build(project, tmp_path / "site") == 1
    assert "content/index.md:3: file: contains the bidirectional control U+202E" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_the_mention_check_of_a_page_refuses_a_bidi_control() -> None:
    # The last net: the Markdown MkDocs hands over (after other plugins) is checked again.
    problems = pipeline.mention_problems("content/x.md", "a\n\u2067b", 1, frozenset(), SETTINGS)
    assert [(p.line, p.field) for p in problems] == [(2, "body")]
    assert problems[0].message.startswith("contains the bidirectional control U+2067, which makes the text after "
                                          "it display in another order than it is stored")


# -- the gate's decisions over plain inputs (build/content_gate.py) ---------------------------------------------

NO_PROJECTS = content_gate.ProjectPages(projects.ProjectSet((), (), ()), frozenset(), False)
PLAIN = content_gate.Markdown([], {}, "https://osqi.example/", lambda text: mkdocs_meta.get_data(text)[0])


def _doc(src: str, text: str, *, url: str = "") -> content_gate.DocFile:
    return content_gate.DocFile(src, url or src.removesuffix(".md") + "/", text.encode(), src.endswith(".md"))


def test_gate_files_withholds_and_holds_back_by_plain_paths_and_texts() -> None:
    files = [_doc("index.md", "# Home\n"),
             _doc("launch-plan.md", "---\ntitle: The ZQXPLAN launch\ndraft: true\n---\n![x](img/launch.png)\n"),
             _doc("img/launch.png", ""), _doc("img/logo.png", "")]
    gated = content_gate.gate_files(files, "content", parse_instant(AS_OF), theme_files=(), project_pages=NO_PROJECTS,
                                    markdown=PLAIN)
    assert gated.withheld == {"launch-plan.md"}
    assert gated.markers == ("The ZQXPLAN launch", "launch-plan/")  # its title and its URL
    assert set(gated.assets) == {"img/launch.png", "img/logo.png"}
    assert gated.held == {"img/launch.png"}


def test_gate_files_refuses_an_active_file_of_the_site_theme() -> None:
    with pytest.raises(BuildError) as raised:
        content_gate.gate_files([_doc("index.md", "# Home\n")], "content", parse_instant(AS_OF),
                                theme_files=[("x.svg", "theme/x.svg")], project_pages=NO_PROJECTS, markdown=PLAIN)
    assert str(raised.value).startswith("theme/x.svg:0: file: 'x.svg' would be served as image/svg+xml")


def test_gate_files_stops_when_the_project_pages_were_read_otherwise() -> None:
    # Disclosure pages are linked to the projects read before this gate: both must have withheld the same pages.
    page = _doc("projects/acme.md", "---\ntitle: Acme\ndraft: true\n---\n# Acme\n")
    agreed = content_gate.ProjectPages(projects.ProjectSet((), ("Acme",), ()), frozenset({"content/projects/acme.md"}),
                                       True)
    assert content_gate.gate_files([page], "content", parse_instant(AS_OF), theme_files=(), project_pages=agreed,
                                   markdown=PLAIN).withheld == {"projects/acme.md"}
    with pytest.raises(BuildError, match="a project page withheld by the content gate was read as public"):
        content_gate.gate_files([page], "content", parse_instant(AS_OF), theme_files=(), project_pages=NO_PROJECTS,
                                markdown=PLAIN)


def test_held_back_keeps_what_public_material_uses() -> None:
    assets: dict[str, content_gate.ContentSource] = {"img/a.png": b"", "img/b.png": b"", "img/c.png": b"",
                                                 "img/d.png": b""}
    pages = [content_gate.PublicPage('<img src="../img/a.png">', "news/", {}),
             content_gate.PublicPage("", "about/", {"image": "img/b.png"})]  # Material reads frontmatter images
    held = frozenset(assets)
    assert content_gate.held_back(held, assets, pages, config_file=None, theme_dir=None, site_url=None) == [
        "img/c.png", "img/d.png"]
    assert content_gate.not_named_in(held, ["![c](../img/c.png)"]) == {"img/a.png", "img/b.png", "img/d.png"}


def test_clashes_are_found_without_case_and_never_between_two_files_of_docs_dir(tmp_path: Path) -> None:
    made = ["feed.json", "disclosures/X/index.html", "disclosures/Y/index.html"]
    placed = [content_gate.Placed("Feed.json", "content", str(tmp_path / "content" / "Feed.json")),
              content_gate.Placed("img/a.png", "content", str(tmp_path / "content" / "img" / "a.png")),
              content_gate.Placed("IMG/A.png", "content", str(tmp_path / "content" / "IMG" / "A.png")),
              content_gate.Placed("disclosures/X/Index.html", "attachment", str(tmp_path / "d" / "X" / "Index.html")),
              content_gate.Placed("disclosures/X/a.png", "attachment", str(tmp_path / "d" / "X" / "a.png")),
              content_gate.Placed("Disclosures/X/A.png", "attachment", str(tmp_path / "d" / "X" / "A.png")),
              content_gate.Placed("disclosures/Y/b.png", "attachment", str(tmp_path / "d" / "Y" / "b.png")),
              content_gate.Placed("Disclosures/Y/B.png", "content", str(tmp_path / "content" / "B.png"))]
    assert [str(p) for p in content_gate.clashes(made, placed, tmp_path)] == [
        "content/Feed.json:0: file: file would be published as /Feed.json, where the site writes /feed.json; "
        "rename it",
        "d/X/Index.html:0: file: attachment would be published as /disclosures/X/Index.html, where the site "
        "writes /disclosures/X/index.html; rename it",
        "d/X/a.png:0: file: attachment would be published as /disclosures/X/a.png, where the site writes "
        "/Disclosures/X/A.png; rename it",
        "d/X/A.png:0: file: attachment would be published as /Disclosures/X/A.png, where the site writes "
        "/disclosures/X/a.png; rename it",
        "d/Y/b.png:0: file: attachment would be published as /disclosures/Y/b.png, where the site writes "
        "/Disclosures/Y/B.png; rename it",
        "content/B.png:0: file: file would be published as /Disclosures/Y/B.png, where the site writes "
        "/disclosures/Y/b.png; rename it"]


def test_a_displaced_file_is_refused_yet_never_refuses_another(tmp_path: Path) -> None:
    # MkDocs keeps one file per source path: the feed the site makes took the place of docs_dir's own feed.json.
    placed = [content_gate.Placed("feed.json", "content", str(tmp_path / "content" / "feed.json"), True),
              content_gate.Placed("notes.txt", "content", str(tmp_path / "content" / "notes.txt"), True),
              content_gate.Placed("Notes.txt", "attachment", str(tmp_path / "d" / "Notes.txt"))]
    # The attachment is not refused for a file the site will not hold; the displaced file is, for either.
    assert [p.path for p in content_gate.clashes(["feed.json"], placed, tmp_path)] == [
        "content/feed.json", "content/notes.txt"]
