"""The content gate over docs_dir in a build, MkDocs aside: which files are withheld, which are held back because
only withheld pages use them, which clash with what the site writes, and the project pages read through the same
gate. Decided over plain inputs (paths, texts, URLs); the MkDocs plugin translates its Files to and from them."""

from __future__ import annotations

import logging
import posixpath
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from osqi_site.build import leakscan, pipeline
from osqi_site.build.pipeline import ContentSource
from osqi_site.core import activefiles, realfiles
from osqi_site.core.problems import BuildError, Problem, format_problems
from osqi_site.pages import projects

log = logging.getLogger("mkdocs.plugins.osqi")


def tree_problems(docs_dir: Path, theme_dir: Path | None, root: Path) -> list[Problem]:
    """Every symbolic link and unreadable file name in docs_dir and the site's theme folder (``realfiles``)."""
    found = list(pipeline.content_files(docs_dir, root)[1])
    if theme_dir is not None:
        found.extend(realfiles.tree_problems(theme_dir, root, "theme.custom_dir"))
    return found


# -- the project pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectPages:
    found: projects.ProjectSet
    """The public project pages, read and validated, and what the withheld ones are known by."""
    withheld: frozenset[str]
    """Their withheld pages, by path as problems name them (``<docs_dir name>/projects/<slug>.md``)."""
    present: bool
    """Whether docs_dir has a projects folder at all (else the site has no /projects/)."""


def read_projects(docs_dir: Path, now: datetime, coverage_request: str | None) -> ProjectPages:
    """Read and validate the project pages; only those the content gate passes are used.

    Disclosure pages name their projects, so this runs before the gate over all of docs_dir (``gate_files``): the
    same gate function, applied here to the project pages alone (``gate_files`` checks that both agree).
    """
    folder = docs_dir / projects.FOLDER
    pages: dict[str, ContentSource] = {
        f"{docs_dir.name}/{p.relative_to(docs_dir).as_posix()}": p
        for p in (sorted(folder.glob("*.md")) if folder.is_dir() else [])}
    gated = pipeline.gate_content(pages, now)
    if gated.problems:
        raise BuildError(format_problems(gated.problems))
    found = projects.read_projects(docs_dir, gated.withheld)
    problems = projects.project_problems(found, coverage_request)
    if problems:
        raise BuildError(format_problems(problems))
    return ProjectPages(found, frozenset(gated.withheld), folder.is_dir())


# -- the files of docs_dir ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocFile:
    """A file MkDocs would publish from docs_dir (or another plugin made), as the gate needs to know it."""

    src: str
    """Its path in docs_dir, ``/``-separated (MkDocs' ``src_uri``)."""
    url: str
    """Its URL relative to the site, as MkDocs gives it."""
    source: ContentSource
    is_page: bool
    """Whether MkDocs builds a page of it (else it copies it as it is)."""


@dataclass(frozen=True)
class Markdown:
    """How the site renders a page: its Markdown extensions and their settings (mkdocs.yml), its URL, and how the
    site generator takes a page's metadata off its text (MkDocs' own parser, handed in by the adapter)."""

    extensions: Sequence[Any]
    configs: Mapping[str, Any]
    site_url: str | None
    body: Callable[[str], str]


@dataclass(frozen=True)
class Gated:
    withheld: frozenset[str]
    """Files (``DocFile.src``) not public yet: never published, and gone from the nav until they lift."""
    markers: tuple[str, ...]
    """What withheld pages are known by (titles, site paths), looked for in every output like withheld text."""
    assets: Mapping[str, ContentSource]
    """The public files MkDocs copies as they are (``src`` → source): any of them may serve a withheld page."""
    held: frozenset[str]
    """Of ``assets``, those a withheld page may use: held back at the end unless public material uses them."""


def gate_files(files: Sequence[DocFile], docs_name: str, now: datetime, *,
               theme_files: Iterable[tuple[str, str]], project_pages: ProjectPages, markdown: Markdown) -> Gated:
    """Gate every file MkDocs would publish from docs_dir (``docs_name``: the folder's name, as problems name
    files), as MkDocs classifies it.

    ``theme_files`` (``src``, path as problems name it) are the files MkDocs copies from the site's own theme
    folder: a project source too, refused like one of docs_dir when a browser would run it (``activefiles``);
    the installed themes are not.
    """
    by_rel = {f"{docs_name}/{f.src}": f for f in files}
    sources = {rel: f.source for rel, f in by_rel.items()}
    content = pipeline.gate_content(sources, now, lambda rel: by_rel[rel].is_page)
    active = [Problem(shown, 0, "file", refused) for src, shown in theme_files
              if (refused := activefiles.active_file_problem(src)) is not None]
    if content.problems or active:
        raise BuildError(format_problems([*content.problems, *active]))
    # A withheld project page's name is looked for in the output, as a withheld page's title is, and so is
    # every withheld page's URL (a link copied from the preview names what is coming).
    markers = leakscan.page_markers([*content.markers, *project_pages.found.withheld_names],
                                    [by_rel[rel].url for rel in content.withheld])
    folder = f"{docs_name}/{projects.FOLDER}/"
    if {rel for rel in content.withheld if rel.startswith(folder)} - project_pages.withheld:
        raise BuildError("osqi: a project page withheld by the content gate was read as public; "
                         "this is a bug, please report it")
    withheld = set(content.withheld)
    assets = {f.src: f.source for rel, f in by_rel.items() if rel not in withheld and not f.is_page}
    withheld_texts = {rel: pipeline.text_of(sources[rel]) for rel in content.withheld}
    texts = list(withheld_texts.values())
    # What the withheld pages link to once rendered as MkDocs would render them, then (a second, generous
    # net) every file their text names, backslash escapes taken out or not.
    rendered = rendered_links({by_rel[rel].src: (by_rel[rel].url, text) for rel, text in withheld_texts.items()
                               if by_rel[rel].is_page}, assets, markdown)
    texts.extend(pipeline.text_of(assets[a]) for a in sorted(rendered))
    held = pipeline.withheld_only(assets, texts) | rendered if texts else frozenset()
    return Gated(frozenset(by_rel[rel].src for rel in content.withheld), markers, assets, held)


def rendered_links(pages: Mapping[str, tuple[str, str]], assets: Mapping[str, ContentSource],
                   markdown: Markdown) -> frozenset[str]:
    """The files of docs_dir (``assets``) that withheld ``pages`` (``src`` → its URL and text) link to in their
    HTML, rendered with the site's own Markdown configuration, links read relative to the page's source and to
    its URL (authors write both).

    A page that cannot be rendered here counts as using every file: it is held back unless public material
    uses it (fail closed).
    """
    import markdown as md_lib

    if not pages:
        return frozenset()
    found: set[str] = set()
    site_path = _site_path(markdown.site_url)
    try:
        md = md_lib.Markdown(extensions=markdown.extensions, extension_configs=markdown.configs or {})
        for src, (url, text) in sorted(pages.items()):
            html_text = md.reset().convert(markdown.body(text))
            source_dir = posixpath.dirname(src)
            for base in (f"{source_dir}/" if source_dir else "", urllib.parse.unquote(url)):
                found |= pipeline.links_in_html(html_text, base, site_path)
    except Exception as e:  # any extension may fail outside MkDocs: then no file is taken as unused
        log.info("osqi: could not render a withheld page to find the files it uses (%s); holding back every file "
                 "no public page uses", e)
        return frozenset(assets)
    folders = {f.rstrip("/") + "/" for f in found if f}
    return frozenset(a for a in assets if a in found or any(a.startswith(f) for f in folders))


def not_named_in(held: frozenset[str], public_markdown: Iterable[str]) -> frozenset[str]:
    """Of the ``held`` files, those whose name no public page's Markdown holds: a disclosure page naming one uses
    it (disclosure pages are all public), so it is published."""
    texts = list(public_markdown)
    return frozenset(a for a in held if not any(a.rsplit("/", 1)[-1] in text for text in texts))


class PublicPage(NamedTuple):
    """A public content page as rendered: what its HTML links to, and what its frontmatter names."""

    html: str
    url: str
    meta: Mapping[str, Any]


def held_back(held: frozenset[str], assets: Mapping[str, ContentSource], pages: Iterable[PublicPage], *,
              config_file: Path | None, theme_dir: Path | None, site_url: str | None) -> list[str]:
    """Of the ``held`` files, those no public material uses, in order: taken out of the site.

    Public content pages count by the links of their rendered HTML, templates and mkdocs.yml by the names they
    hold.
    """
    if not held:
        return []
    site_path = _site_path(site_url)
    linked: set[str] = set()
    texts = [pipeline.text_of(config_file)] if config_file else []
    if theme_dir is not None:
        texts.extend(pipeline.text_of(p) for p in sorted(theme_dir.rglob("*")) if p.is_file())
    for page in pages:
        linked |= pipeline.links_in_html(page.html, urllib.parse.unquote(page.url), site_path)
        texts.append(repr(page.meta))  # Material reads icons and images named in frontmatter
    used = pipeline.publicly_used(assets, linked, texts)
    return sorted(held - used)


def _site_path(site_url: str | None) -> str:
    return urllib.parse.urlsplit(site_url or "/").path or "/"


# -- clashes -----------------------------------------------------------------------------------------------------


Origin = Literal["attachment", "content"]
"""Where a file of the site comes from that may clash: a disclosure's attachment, or a file of docs_dir (or another
plugin's)."""


class Placed(NamedTuple):
    """An attachment or a file of docs_dir: where it goes in the site, and where it comes from."""

    dest: str
    """Its path in the site (MkDocs' ``dest_uri``)."""
    origin: Origin
    source: str
    """Its source path (or, made in memory, its path in docs_dir), as a problem names it from the project root."""
    displaced: bool = False
    """A file the site no longer holds because one the site makes took its source path: checked, never a clash
    for the others."""


def clashes(made: Iterable[str], placed: Sequence[Placed], root: Path) -> list[Problem]:
    """Files published where the site writes one of its own (``made``: the path of every other file of the site),
    compared without case (as a case-insensitive file system or web server would): by construction, whatever the
    site writes there.

    An attachment may clash with any other file; a file of docs_dir with a file the plugin makes (a page, feed,
    export, marker or attachment), which MkDocs would otherwise copy over it.
    """
    mine = {p.dest.casefold() for p in placed}
    # Whatever the site holds at each path one of ``placed`` goes to: the index in ``placed``, or -1 (``made``).
    held: dict[str, list[tuple[str, int]]] = {}
    for dest in made:
        if (folded := dest.casefold()) in mine:
            held.setdefault(folded, []).append((dest, -1))
    for i, p in enumerate(placed):
        if not p.displaced:
            held.setdefault(p.dest.casefold(), []).append((p.dest, i))
    problems = []
    for i, p in enumerate(placed):
        against_any = p.origin == "attachment"
        others = sorted(dest for dest, j in held.get(p.dest.casefold(), ())
                        if j != i and (against_any or j == -1 or placed[j].origin != "content"))
        if others:
            what = "attachment" if against_any else "file"
            problems.append(Problem(realfiles.rel(p.source, root), 0, "file",
                                    f"{what} would be published as /{p.dest}, where the site writes /{others[0]}; "
                                    "rename it"))
    return problems
