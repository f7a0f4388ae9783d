"""The content gate over docs_dir in a build, MkDocs aside: which files are withheld, which are held back because
only withheld pages use them, which clash with what the site writes, and the project pages read through the same
gate. Decided over plain inputs (paths, texts, URLs); the MkDocs plugin translates its Files to and from them."""

from __future__ import annotations

import html
import logging
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from osqi_site.build import leakscan
from osqi_site.core import activefiles, gate, realfiles
from osqi_site.core.loader import (
    MAX_FILE_BYTES,
    bidi_control_problem,
    long_line_problem,
    not_utf8_problem,
    page_meta,
)
from osqi_site.core.narrative import markdown_shape_problems
from osqi_site.core.pagenames import mkdocs_reads_as_page
from osqi_site.core.problems import BuildError, Problem, format_problems
from osqi_site.core.validate import (
    PAGE_GATE_KEYS,
    PAGE_TEMPLATE_KEY,
    PAGE_TEMPLATE_REFUSED,
    near_gate_keys,
    page_gate_fields,
)
from osqi_site.pages import projects

log = logging.getLogger("mkdocs.plugins.osqi")


def tree_problems(docs_dir: Path, theme_dir: Path | None, root: Path) -> list[Problem]:
    """Every symbolic link and unreadable file name in docs_dir and the site's theme folder (``realfiles``)."""
    found = list(content_files(docs_dir, root)[1])
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
    gated = gate_content(pages, now)
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
    content = gate_content(sources, now, lambda rel: by_rel[rel].is_page)
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
    withheld_texts = {rel: text_of(sources[rel]) for rel in content.withheld}
    texts = list(withheld_texts.values())
    # What the withheld pages link to once rendered as MkDocs would render them, then (a second, generous
    # net) every file their text names, backslash escapes taken out or not.
    rendered = rendered_links({by_rel[rel].src: (by_rel[rel].url, text) for rel, text in withheld_texts.items()
                               if by_rel[rel].is_page}, assets, markdown)
    texts.extend(text_of(assets[a]) for a in sorted(rendered))
    held = withheld_only(assets, texts) | rendered if texts else frozenset()
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
    try:
        md = md_lib.Markdown(extensions=markdown.extensions, extension_configs=markdown.configs or {})
        for src, (url, text) in sorted(pages.items()):
            html_text = md.reset().convert(markdown.body(text))
            source_dir = posixpath.dirname(src)
            for base in (f"{source_dir}/" if source_dir else "", urllib.parse.unquote(url)):
                found |= links_in_html(html_text, base, markdown.site_url)
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
    linked: set[str] = set()
    texts = [text_of(config_file)] if config_file else []
    if theme_dir is not None:
        texts.extend(text_of(p) for p in sorted(theme_dir.rglob("*")) if p.is_file())
    for page in pages:
        linked |= links_in_html(page.html, urllib.parse.unquote(page.url), site_url)
        texts.append(repr(page.meta))  # Material reads icons and images named in frontmatter
    used = publicly_used(assets, linked, texts)
    return sorted(held - used)


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


# -- the gate over docs_dir's files: each file as MkDocs classifies it, its frontmatter and bounds --------------

@dataclass(frozen=True)
class ContentGate:
    withheld: tuple[str, ...]
    """Site-relative source paths of content pages that are not public yet."""
    markers: tuple[str, ...]
    """Titles of withheld pages, searched for in the output like withheld disclosures."""
    next_lift: datetime | None
    problems: tuple[Problem, ...]


ContentSource = Path | bytes
"""A file of docs_dir by its path, or by its bytes when another MkDocs plugin made it in memory."""


def content_files(docs_dir: Path, project_root: Path) -> tuple[dict[str, Path], tuple[Problem, ...]]:
    """Every real file below ``docs_dir`` keyed ``<docs_dir name>/<path>`` as problems name them, and the
    problems of the tree: every symbolic link and unreadable name (see ``realfiles``)."""
    linked = realfiles.linked_root(docs_dir, project_root, "docs_dir")
    if linked is not None:
        return {}, (linked,)
    problems: list[Problem] = []
    found = {f"{docs_dir.name}/{p.relative_to(docs_dir).as_posix()}": p
             for p in realfiles.walk(docs_dir, project_root, problems)}
    return dict(sorted(found.items())), tuple(problems)


def prune_nav(nav: Any, hidden: set[str]) -> Any:
    """The nav configuration without entries that point at ``hidden`` pages (and sections left empty)."""
    if isinstance(nav, list):
        kept = [prune_nav(item, hidden) for item in nav]
        return [k for k in kept if k not in (None, [], {})]
    if isinstance(nav, dict):
        out = {key: prune_nav(value, hidden) for key, value in nav.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})} or None
    if isinstance(nav, str) and nav in hidden:
        return None
    return nav


def gate_content(files: Mapping[str, ContentSource], now: datetime,
                 is_page: Callable[[str], bool] = mkdocs_reads_as_page) -> ContentGate:
    """Apply the embargo rule to every file MkDocs would publish from docs_dir.

    A file MkDocs builds into a page (``is_page``: MkDocs' own classification) is public unless its
    frontmatter holds it back with ``embargo_until`` or ``draft``; a key close to those is an error. A file
    MkDocs copies as it is cannot be held back by frontmatter, so one that starts with a frontmatter naming
    a gate key (``notes.MD``, ``plan.txt``) is an error rather than published with its embargo ignored.
    """
    withheld: list[str] = []
    markers: set[str] = set()
    upcoming: list[datetime] = []
    problems: list[Problem] = []
    for rel, source in sorted(files.items()):
        head = source[:_HEAD] if isinstance(source, bytes) else _head(source)
        starts_with_fence = head.lstrip(b"\xef\xbb\xbf").startswith(b"---")
        active = activefiles.active_file_problem(rel)
        if active is not None and not is_page(rel):
            problems.append(Problem(rel, 0, "file", active))
        if not _over_limit(source) and (shape := _shape_problems(rel, source, starts_with_fence)) and is_page(rel):
            # The bytes first, as for bidirectional controls: only a file past a bound is asked whether it is a page.
            problems.extend(shape)
        if not starts_with_fence:
            # MkDocs also reads unfenced ``Key: value`` lines at the top as metadata (MultiMarkdown style).
            problems.extend(_unfenced_gate_problems(rel, source, head, is_page))
        if not starts_with_fence and head.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"---"):
            # Frontmatter after blank lines is Markdown to MkDocs: its fields would be published as text.
            problems.extend(_verbatim_gate_problems(rel, source, _DISPLACED))
        if not starts_with_fence and not _over_limit(source):
            # A page with frontmatter is checked by ``page_meta`` below, one too long is refused there.
            problems.extend(_bidi_problems(rel, source, is_page))
        if not starts_with_fence and not _over_limit(source):
            continue  # no frontmatter: nothing holds it back, and a page of it is within the size limit
        if not is_page(rel):
            if starts_with_fence:
                problems.extend(_verbatim_gate_problems(rel, source, _VERBATIM))
            continue
        meta, lines, found = page_meta(source if isinstance(source, bytes) else source.read_bytes(), rel)
        embargo, draft, invalid = page_gate_fields(rel, meta, lines)
        problems.extend([*found, *invalid])
        if found or invalid or not gate.page_is_public(embargo, draft, now):
            withheld.append(rel)
            title = meta.get("title")
            if isinstance(title, str) and len(title) >= 6:
                markers.add(title)
            if embargo is not None and embargo > now and not draft:
                upcoming.append(embargo)
    return ContentGate(tuple(withheld), tuple(sorted(markers)), min(upcoming, default=None), tuple(problems))


def _shape_problems(rel: str, source: ContentSource, fenced: bool) -> list[Problem]:
    """A page MkDocs renders, held to the bounds of a disclosure's narrative (``narrative.markdown_shape_problems``:
    paragraphs, open '[', unclosed '<tag'), and, unless its frontmatter has ``page_meta`` read it whole
    (``fenced``), to valid UTF-8 and the line limit: in linear time, where Python-Markdown would take hours
    (9,000 '[' at the end of a page took 12 s to build, twice that 39 s) or MkDocs fail on the bytes."""
    raw = source if isinstance(source, bytes) else source.read_bytes()
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # MkDocs reads pages as utf-8-sig
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [] if fenced else [not_utf8_problem(rel, raw, e)]
    long = None if fenced else long_line_problem(rel, text)
    first = 1
    if fenced:
        from mkdocs.utils import meta as mkdocs_meta

        # The body as MkDocs renders it: what follows the frontmatter it takes off.
        if (m := mkdocs_meta.YAML_RE.match(text)) is not None:
            first, text = 1 + text.count("\n", 0, m.end()), text[m.end():]
    shape = [Problem(rel, first + line, "body", message) for line, message in markdown_shape_problems(text)]
    return [*([long] if long else []), *shape]


_BIDI_BYTES = re.compile(rb"\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
"""The UTF-8 bytes of the bidirectional controls ``loader.bidi_control_problem`` refuses."""


def _bidi_problems(rel: str, source: ContentSource, is_page: Callable[[str], bool]) -> list[Problem]:
    """A bidirectional control in a page without frontmatter (``loader.bidi_control_problem``). The bytes are
    searched first: MkDocs' classification is asked only of a file that holds one."""
    raw = source if isinstance(source, bytes) else source.read_bytes()
    if not _BIDI_BYTES.search(raw) or not is_page(rel):
        return []
    found = bidi_control_problem(rel, raw.decode("utf-8", "replace").removeprefix("\ufeff"))
    return [found] if found else []


_HEAD = 4096
"""Bytes read from each file of docs_dir to see whether it starts with frontmatter (after blank lines)."""


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(_HEAD)


def _over_limit(source: ContentSource) -> bool:
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    return size > MAX_FILE_BYTES


_VERBATIM = ("MkDocs publishes this file as it is, not as a page (its name is not one MkDocs reads as Markdown), "
             "so this frontmatter withholds nothing; give it a .md name or remove the field")


_DISPLACED = ("this frontmatter does not start on the first line, so MkDocs publishes it as text and it withholds "
              "nothing; remove the blank lines before the first '---'")


_UNFENCED = ("MkDocs reads these first lines as the page's metadata (MultiMarkdown style, without '---' fences), "
             "a style the gate does not read; write them as YAML frontmatter between '---' lines")


def _unfenced_gate_problems(rel: str, source: ContentSource, head: bytes,
                            is_page: Callable[[str], bool]) -> list[Problem]:
    """A gate key (or a key close to one) in the metadata MkDocs reads from unfenced first lines, as MkDocs'
    own parser (``mkdocs.utils.meta.get_data``) reads them: such a page or file would be published whatever
    the key says."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    if b":" not in first:
        return []  # MkDocs takes metadata only from a first line of the form ``Key: value``
    from mkdocs.utils import meta as mkdocs_meta

    if isinstance(source, bytes):
        raw = source[:MAX_FILE_BYTES]
    else:
        with open(source, "rb") as f:
            raw = f.read(MAX_FILE_BYTES)
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff")  # MkDocs reads pages as utf-8-sig
    _, data = mkdocs_meta.get_data(text)
    keys = [k for k in data if k in PAGE_GATE_KEYS] + [k for k, _ in near_gate_keys(data)]
    # MkDocs lower-cases these keys and renders the page with the template one names: refused as in YAML.
    template = is_page(rel) and PAGE_TEMPLATE_KEY in data
    if not keys and not template:
        return []
    lines: dict[str, int] = {}
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        match = mkdocs_meta.META_RE.match(line)
        if match:
            lines.setdefault(match.group("key").lower().strip(), number)
        elif not line.strip() or not mkdocs_meta.META_MORE_RE.match(line):
            break  # where MkDocs' metadata ends
    message = _UNFENCED if is_page(rel) else _VERBATIM
    at = lines.get(PAGE_TEMPLATE_KEY, 1)
    refused = [Problem(rel, at, PAGE_TEMPLATE_KEY, PAGE_TEMPLATE_REFUSED)] if template else []
    return [*(Problem(rel, lines.get(k, 1), k, message) for k in keys), *refused]


def _verbatim_gate_problems(rel: str, source: ContentSource, message: str) -> list[Problem]:
    """A file whose frontmatter MkDocs will not read (``message`` says why) naming a gate key (or a key close
    to one): it would be published whatever the key says."""
    if isinstance(source, bytes):
        raw = source[:MAX_FILE_BYTES]
    else:
        with open(source, "rb") as f:
            raw = f.read(MAX_FILE_BYTES)
    text = raw.lstrip(b"\xef\xbb\xbf")
    start = text.lstrip()
    skipped = text[:len(text) - len(start)].count(b"\n")  # blank lines before a displaced block
    meta, lines, found = page_meta(start, rel)
    if found:
        # Not frontmatter we can read: fail closed if its first lines so much as name a gate key.
        folded = "".join(ch for ch in raw[:65536].decode("utf-8", "replace").casefold() if ch.isalnum())
        if any(word in folded for word in ("embargo", "draft")):
            return [Problem(rel, 1 + skipped, "frontmatter", message)]
        return []
    keys = [k for k in meta if k in PAGE_GATE_KEYS] + [k for k, _ in near_gate_keys(meta)]
    return [Problem(rel, lines.get(k, 1) + skipped, k, message) for k in keys]


def withheld_only(assets: Mapping[str, ContentSource], withheld_texts: Iterable[str]) -> frozenset[str]:
    """The files of docs_dir (``assets``, by docs-relative path) that withheld pages may use.

    Over-approximated on purpose, since what it finds is held back unless public material uses it: a file is
    taken as used when a withheld page's text (HTML entities and percent-escapes decoded, case folded) holds its
    file name anywhere, however the link is written, or ends a link at a folder above it (``downloads/``);
    then, in turn, the files named by the text files so found (a stylesheet a withheld page loads names its
    images).
    """
    return frozenset(_closure(assets, list(withheld_texts), _withheld_names, _generously_folded))


def publicly_used(assets: Mapping[str, ContentSource], linked: Iterable[str], public_texts: Iterable[str]) -> set[str]:
    """The files of docs_dir that public material uses: those public pages link to (``linked``: resolved
    paths), those named in ``public_texts`` (templates, mkdocs.yml), and those named by the text files found so."""
    found = {a for a in linked if a in assets}
    return found | _closure(assets, [*public_texts, *(text_of(assets[a]) for a in sorted(found))], _file_name)


Names = Callable[[str], Callable[[str], bool]]
"""For a file's path, the test of whether a (folded) text names it."""


def _closure(assets: Mapping[str, ContentSource], texts: list[str], names: Names,
             spell: Callable[[str], str] | None = None) -> set[str]:
    found: set[str] = set()
    tests = {a: names(a) for a in assets}
    fold = spell or _folded
    todo = [fold(t) for t in texts]
    while todo:
        text = todo.pop()
        new = sorted(a for a, named in tests.items() if a not in found and named(text))
        found.update(new)
        todo.extend(fold(text_of(assets[a])) for a in new)
    return found


_HEX_ESCAPE = r"\\(?:u\{|u|x)?([0-9a-fA-F]{1,6})\}?[ \t]?"
"""A CSS (``\\5f ``), JavaScript (``\\x5f``, ``\\u005f``, ``\\u{5f}``) hex escape: bounded, no nested quantifier."""


def _generously_folded(text: str) -> str:
    """``_folded`` of ``text`` as written and with its backslash escapes taken out: Markdown's (``launch\\_diagram``
    renders as ``launch_diagram``), and CSS's or JavaScript's hex escapes decoded. More spellings can only find
    more files, which is the closed side for a withheld page."""
    import re

    def hex_char(m: re.Match[str]) -> str:
        code = int(m.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""

    plain = re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)
    decoded = re.sub(r"\\(.)", r"\1", re.sub(_HEX_ESCAPE, hex_char, text), flags=re.DOTALL)
    # Each also without tab, LF and CR, which a browser drops from a URL: ``img/h&#9;b.png`` loads ``hb.png``.
    return "\n".join(dict.fromkeys(form for t in (text, plain, decoded) for spelt in _spellings(t)
                                    for form in (spelt, spelt.translate(_URL_IGNORED))))


def _file_name(asset: str) -> Callable[[str], bool]:
    name = asset.rsplit("/", 1)[-1].casefold()
    return lambda text: name in text


_LINK_END = r"(?=[\s)\]\"'<>#?]|$)"
"""Where a URL ends. The folder patterns below have no unbounded quantifier at all."""


def _withheld_names(asset: str) -> Callable[[str], bool]:
    import re

    name = asset.rsplit("/", 1)[-1].casefold()
    folders = [part.casefold() for part in asset.split("/")[:-1] if part]
    if not folders:
        return lambda text: name in text
    # A link ends at a folder after a slash (``../launch``, ``dl/launch/``), or is one relative folder
    # with its slash (``(launch/)``); a bare word (``<img``, "the launch") is not a link.
    ends_at_folder = re.compile("|".join(
        rf"(?<=/){re.escape(f)}/?{_LINK_END}|(?:^|(?<=[\s(\"'=])){re.escape(f)}/{_LINK_END}" for f in folders))
    return lambda text: name in text or ends_at_folder.search(text) is not None


def _folded(text: str) -> str:
    """``text`` case folded with its HTML entities decoded, as written and percent-decoded once and twice
    (a name is looked for in each: more spellings can only find more)."""
    return "\n".join(dict.fromkeys(_spellings(text)))


def _spellings(text: str) -> list[str]:
    """``text`` case folded with its HTML entities decoded, as written and percent-decoded once and twice."""
    once = html.unescape(text)
    twice = urllib.parse.unquote(once)
    return [t.casefold() for t in (once, twice, urllib.parse.unquote(twice))]


def text_of(source: ContentSource) -> str:
    """The text of a file that may name others (a stylesheet, a script, an HTML or SVG file), else ``""``."""
    if isinstance(source, Path):
        try:
            if source.stat().st_size > MAX_FILE_BYTES:
                return ""
            source = source.read_bytes()
        except OSError:
            return ""
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # an image or archive names nothing


_URL_IGNORED = str.maketrans("", "", "\t\n\r")
"""What the WHATWG URL parser removes from anywhere in a URL before reading it."""


def _same_host(url: urllib.parse.SplitResult, site: urllib.parse.SplitResult) -> bool:
    """Whether a full URL (``https://host/...``, or scheme-relative ``//host/...``) names the site's host. Any
    scheme or port: the same server answers, or redirects to the site, and a wider match holds back more."""
    return site.hostname is not None and url.hostname == site.hostname


_URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "poster", "data", "action", "formaction", "xlink:href",
                             "background", "cite", "longdesc", "manifest", "usemap"})
"""HTML attributes whose value is a URL; a file only named elsewhere in a public page is not taken as used."""


def links_in_html(html_text: str, page_url: str, site_url: str | None = None) -> set[str]:
    """Every site-relative path (unquoted, no query or fragment) an HTML page at ``page_url`` links to,
    from any attribute that holds URLs (``href``, ``src``, ``srcset``, ``poster``, ``data``...). A full URL on
    ``site_url``'s host (``https://site/img/a.png``, ``//site/img/a.png``) is a path of this site too; tab,
    LF and CR inside a URL are dropped first, as a browser's URL parser does (``img/h&#9;b.png`` loads
    ``img/hb.png``)."""
    import posixpath
    import urllib.parse
    from html.parser import HTMLParser

    found: set[str] = set()
    base = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url) + "/"
    site = urllib.parse.urlsplit(site_url or "/")
    site_path = site.path or "/"

    def add(url: str) -> None:
        parts = urllib.parse.urlsplit(url.strip().translate(_URL_IGNORED))
        if parts.scheme or parts.netloc:
            if not _same_host(parts, site):
                return  # another site's file
            parts = parts._replace(path=parts.path or "/")
        if not parts.path:
            return
        path = urllib.parse.unquote(parts.path)
        if path.startswith("/"):
            path = path.removeprefix(site_path).lstrip("/") if path.startswith(site_path) else path.lstrip("/")
        else:
            path = posixpath.join(base, path)
        normal = posixpath.normpath(path)
        if not normal.startswith(".."):
            found.add("" if normal == "." else normal)

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if value is None or name not in _URL_ATTRIBUTES:
                    continue
                if name == "srcset":
                    for candidate in value.split(","):
                        add(candidate.strip().split(" ")[0])
                else:
                    add(value)

    parser = Links(convert_charrefs=True)
    parser.feed(html_text)
    parser.close()
    return found
