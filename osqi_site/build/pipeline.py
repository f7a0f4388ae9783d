"""The pipeline in one place: load → validate → gate → render → exports, plus the checks that span outputs.

Each stage here is plain and serial. Builds run the same stages on every core and through the build cache
(``fastcheck``, ``outputs.site``, ``convert_pages``), with the same results.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osqi_site.build import leakscan
from osqi_site.core import activefiles, gate, realfiles

# The first stage, the check of every disclosure, is the core's; named here with the stages that follow it.
from osqi_site.core.check import Checked as Checked
from osqi_site.core.check import check as check
from osqi_site.core.loader import (
    MAX_FILE_BYTES,
    bidi_control_problem,
    long_line_problem,
    not_utf8_problem,
    page_meta,
)
from osqi_site.core.model import Disclosure
from osqi_site.core.narrative import markdown_shape_problems
from osqi_site.core.pagenames import mkdocs_reads_as_page
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings
from osqi_site.core.validate import (
    PAGE_GATE_KEYS,
    PAGE_TEMPLATE_KEY,
    PAGE_TEMPLATE_REFUSED,
    near_gate_keys,
    page_gate_fields,
)

if TYPE_CHECKING:
    from osqi_site.build import outputs
    from osqi_site.pages import generated


@dataclass(frozen=True)
class SiteOutput:
    """Everything the shell must publish for one build."""

    pages: tuple[generated.Page, ...]
    files: Mapping[str, bytes]
    """Site-relative path → bytes of every feed and export."""
    attachments: Mapping[str, str]
    """Site-relative path → absolute source path, for files copied beside public disclosure pages."""
    search: tuple[dict[str, str], ...] = ()
    """The search-index entry of each public disclosure, in ID order."""


def mention_problems(path: str, text: str, first_line: int, public_ids: frozenset[str],
                     settings: Settings) -> list[Problem]:
    """Every mention of a disclosure ID that is not public, in any spelling (see ``leakscan``), and a
    bidirectional control, which would show readers text in another order than the check reads it."""
    bidi = bidi_control_problem(path, text, first_line, "body")
    return [*([bidi] if bidi else []), *(Problem(path, line, "body", _not_public(ident))
            for line, ident in leakscan.mention_lines(text, first_line, settings.id_prefix)
            if ident not in public_ids)]


@dataclass(frozen=True)
class Mentions:
    """Every disclosure ID a disclosure mentions. ``of`` is that very disclosure."""

    of: Disclosure
    found: tuple[tuple[int, str, str], ...]
    """``(line, field, ID)``: the narrative first, then every other published field (``leakscan.text_fields``)."""


def mentions(d: Disclosure, settings: Settings) -> Mentions:
    """The IDs one disclosure mentions, looked at alone: what ``publication_problems`` does for each."""
    found = [(line, "body", ident) for line, ident in leakscan.mention_lines(d.body, d.body_line, settings.id_prefix)]
    fields = [(name, text) for name, text in leakscan.text_fields(d) if name != "id"]
    # All fields at once first (most mention nothing); FIELD_BREAK keeps their normal forms apart.
    if leakscan.ids_in(leakscan.FIELD_BREAK.join(text for _, text in fields), settings.id_prefix):
        for name, text in fields:
            found.extend((1, name, ident) for ident in leakscan.ids_in(text, settings.id_prefix))
    return Mentions(d, tuple(found))


def publication_problems(pub: gate.Publication, settings: Settings) -> list[Problem]:
    """Mentions of non-public IDs inside public disclosures (their narrative, fields and attachments' names);
    a disclosure the gate changed (a revision not yet dated) is looked at as the gate passed it."""
    return unpublished_mentions(pub, [mentions(d, settings) for d in pub.public])


def unpublished_mentions(pub: gate.Publication, each: Sequence[Mentions]) -> list[Problem]:
    """The problems of ``publication_problems`` from ``each`` public disclosure's ``mentions``, in order."""
    from osqi_site.formats.cve import claim_problems

    public_ids = frozenset(d.id for d in pub.public)
    return [*(Problem(d.source, line, field, _not_public(ident))
              for d, m in zip(pub.public, each, strict=True) for line, field, ident in m.found
              if ident not in public_ids), *claim_problems(pub.public)]


def _not_public(ident: str) -> str:
    return (f"mentions {ident}, which is not a public disclosure (embargoed, draft or unknown); remove the "
            "mention until it is published")


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
    return "\n".join(dict.fromkeys(_folded(t) for t in (text, plain, decoded)))


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
    import urllib.parse

    once = html.unescape(text)
    twice = urllib.parse.unquote(once)
    return "\n".join(dict.fromkeys(t.casefold() for t in (once, twice, urllib.parse.unquote(twice))))


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


_URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "poster", "data", "action", "formaction", "xlink:href",
                             "background", "cite", "longdesc", "manifest", "usemap"})
"""HTML attributes whose value is a URL; a file only named elsewhere in a public page is not taken as used."""


def links_in_html(html_text: str, page_url: str, site_path: str = "/") -> set[str]:
    """Every site-relative path (unquoted, no query or fragment) an HTML page at ``page_url`` links to,
    from any attribute that holds URLs (``href``, ``src``, ``srcset``, ``poster``, ``data``...)."""
    import posixpath
    import urllib.parse
    from html.parser import HTMLParser

    found: set[str] = set()
    base = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url) + "/"

    def add(url: str) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme or parts.netloc or not parts.path:
            return  # another site (a link to this site by its full URL names no file of docs_dir by path)
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


def build_outputs(pub: gate.Publication, settings: Settings,
                  projects: Mapping[str, outputs.ProjectLinks] | None = None) -> SiteOutput:
    """Every page and file of the site; ``projects`` names the projects each disclosure belongs to (by ID)."""
    from osqi_site.build import outputs

    links = projects or {}
    return assemble(pub, settings, {d.id: outputs.make(d, settings, links.get(d.id, ())) for d in pub.public})


def assemble(pub: gate.Publication, settings: Settings, own: Mapping[str, outputs.DisclosureOutput]) -> SiteOutput:
    """Every page and file of the site, from each public disclosure's own outputs (``outputs.make``, by ID)."""
    # Imported here: `check` (a pre-commit hook) never renders, and Jinja, feedgen, lxml and the exporters
    # would add a quarter of a second to every run of it.
    from osqi_site.formats import csaf, cve, osv, securitytxt
    from osqi_site.formats.feeds import feed_files
    from osqi_site.formats.index_json import index_files
    from osqi_site.pages import generated

    parts = [(d, own[d.id]) for d in pub.public]
    pages = [p.page for _, p in parts]
    pages.extend(generated.listing_pages(pub))
    files: dict[str, bytes] = {}
    files.update(feed_files(pub.public, settings))
    files.update(osv.osv_tree((p.id, p.osv) for _, p in parts))
    files.update(index_files(pub.public))  # the listing's filter index
    files.update(csaf.csaf_tree([(d, p.csaf) for d, p in parts], settings, pub.now))
    # CNA containers, for CVE Services: each CVE's file is its owner's container.
    files.update({cve.cve_path(ident): own[d.id].cve for ident, d in cve.cve_owners(pub.public)})
    files[securitytxt.PATH] = securitytxt.security_txt(settings, pub.now)
    attachments = {f"disclosures/{d.id}/{a.name}": a.source for d in pub.public for a in d.attachments}
    entries = tuple(p.search for _, p in sorted(parts, key=lambda x: x[0].id))
    return SiteOutput(tuple(pages), dict(sorted(files.items())), dict(sorted(attachments.items())), entries)


def newest_change(pub: gate.Publication) -> datetime | None:
    """The newest public date of the site; stands in for "last updated" everywhere, never the build time."""
    return max((d.modified for d in pub.public), default=None)
