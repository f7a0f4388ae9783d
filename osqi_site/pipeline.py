"""The pipeline in one place: load → validate → gate → render → exports, plus the checks that span outputs."""

from __future__ import annotations

import gzip
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick_rs

from . import gate
from .alarms import AlarmFacts, alarm_facts
from .loader import load_tree, read_page_meta
from .memo import found_or_made
from .model import Disclosure
from .parallel import map_chunks
from .problems import Problem
from .settings import Settings
from .validate import page_gate_fields, validate_all

if TYPE_CHECKING:
    from . import outputs, render


@dataclass(frozen=True)
class Checked:
    """Every valid disclosure and every problem found on the way."""

    disclosures: tuple[Disclosure, ...]
    problems: tuple[Problem, ...]
    mentions: Mapping[str, Mentions] = field(default_factory=dict)
    """By source path: the IDs each disclosure mentions (for ``publication_problems``), when found on the way."""
    alarms: Mapping[str, AlarmFacts] = field(default_factory=dict)
    """By source path: each disclosure's alarms (for ``alarms.alarms``), when found on the way."""


@dataclass(frozen=True)
class SiteOutput:
    """Everything the shell must publish for one build."""

    pages: tuple[render.Page, ...]
    files: Mapping[str, bytes]
    """Site-relative path → bytes of every feed and export."""
    attachments: Mapping[str, str]
    """Site-relative path → absolute source path, for files copied beside public disclosure pages."""
    search: tuple[dict[str, str], ...] = ()
    """The search-index entry of each public disclosure, in ID order."""


def check(disclosures_dir: Path, project_root: Path, settings: Settings, *, parallel: bool = True,
          memo: dict[Any, Any] | None = None) -> Checked:
    """Load and validate every disclosure; the result is complete even when problems were found.

    Each file is loaded and validated on its own, on every core when there are enough of them to pay for
    the processes; only the rules that span files run here, in path order. ``parallel=False`` keeps all of
    it in this process (``serve``). Either way the result is the same.

    ``memo`` (kept by a long-lived caller such as ``serve`` between rebuilds) remembers each file's result
    under its inode, size, mtime and ctime: any write changes ctime, which no tool can set back, so an
    edited file is always read again. It is replaced by this call's entries, so it never grows.
    """
    from .loader import list_tree, load_file
    from .model import Attachment
    from .parallel import map_chunks
    from .validate import Validated, combine, validate_one

    if not parallel and memo is None:
        loaded = load_tree(disclosures_dir, project_root)
        valid, problems = validate_all(loaded.docs, settings)
        return Checked(valid, tuple(sorted({*loaded.problems, *problems})),
                       {d.source: mentions(d, settings) for d in valid},
                       {d.source: alarm_facts(d, settings) for d in valid})
    listing = list_tree(disclosures_dir, project_root)

    def one(source: tuple[Path, tuple[Attachment, ...]]) -> tuple[tuple[Problem, ...], Validated | None, Facts]:
        # Only the validation crosses back from a worker, never the parsed document: it is what pickling costs.
        # The checks that need one valid disclosure at a time run here too, while it is at hand on every core.
        doc, found = load_file(source[0], project_root, source[1])
        validated = None if doc is None else validate_one(doc, settings)
        d = None if validated is None else validated.disclosure
        return tuple(found), validated, None if d is None else (mentions(d, settings), alarm_facts(d, settings))

    if memo is None:
        results = map_chunks(one, listing.sources, parallel=parallel, pause_gc=True)
    else:
        keys = [(source, settings, _stat_key(source[0])) for source in listing.sources]
        missing = [source for source, key in zip(listing.sources, keys, strict=True) if key not in memo]
        made = dict(zip(missing, map_chunks(one, missing, parallel=parallel, pause_gc=True), strict=True))
        results = [memo[key] if key in memo else made[source]
                   for source, key in zip(listing.sources, keys, strict=True)]
        memo.clear()
        memo.update(zip(keys, results, strict=True))
    valid, problems = combine(result for _, result, _ in results if result is not None)
    facts = [f for _, _, f in results if f is not None]
    return Checked(valid, tuple(sorted({*listing.problems, *(p for found, _, _ in results for p in found),
                                        *problems})),
                   {m.of.source: m for m, _ in facts}, {a.of.source: a for _, a in facts})


Facts = tuple["Mentions", AlarmFacts] | None
"""What ``check`` finds out about one valid disclosure beyond its validity."""


def _stat_key(path: Path) -> tuple[int, ...] | None:
    try:
        st = path.stat()
    except OSError:
        return None  # unreadable: never remembered as anything but what loading it reports
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def mention_problems(path: str, text: str, first_line: int, public_ids: frozenset[str],
                     settings: Settings) -> list[Problem]:
    """Every mention of a disclosure ID that is not public: the mention alone would reveal the ID."""
    return [Problem(path, line, "body", _not_public(ident))
            for line, ident in _ids_in(text, first_line, settings) if ident not in public_ids]


@dataclass(frozen=True)
class Mentions:
    """Every disclosure ID a disclosure mentions, found while it was loaded. ``of`` is that very disclosure."""

    of: Disclosure
    found: tuple[tuple[int, str, str], ...]
    """``(line, field, ID)``, narrative first, then title, revisions, withdrawal, timeline, attachment names."""


def mentions(d: Disclosure, settings: Settings) -> Mentions:
    found = [(line, "body", ident) for line, ident in _ids_in(d.body, d.body_line, settings)]
    fields = [d.title, *(r.summary for r in d.revisions), d.withdrawn.reason if d.withdrawn else "",
              *(e.note for e in d.timeline), *(a.name for a in d.attachments),
              # OSV's related/upstream and the free-form mappings reach the OSV record as written.
              *d.related, *d.upstream, *(a.ecosystem_specific or "" for a in d.affected),
              *(a.database_specific or "" for a in d.affected)]
    for text in fields:
        found.extend((1, "frontmatter", ident) for _, ident in _ids_in(text, 1, settings))
    return Mentions(d, tuple(found))


def _ids_in(text: str, first_line: int, settings: Settings) -> list[tuple[int, str]]:
    return [(first_line + text.count("\n", 0, m.start()), m.group(0))
            for m in settings.id_mention_pattern.finditer(text)]


def publication_problems(pub: gate.Publication, settings: Settings, *, parallel: bool = True,
                         facts: Mapping[str, Mentions] | None = None) -> list[Problem]:
    """Mentions of non-public IDs inside public disclosures (their narrative, fields and attachments' names).

    ``facts`` (by source path, from ``pipeline.check`` with the same settings) spares looking again at the
    disclosures they were found in; a disclosure the gate changed (a revision not yet dated) is looked at as
    the gate passed it.
    """
    public_ids = frozenset(d.id for d in pub.public)
    each = found_or_made(pub.public, facts, lambda d: d.source,
                         lambda todo: map_chunks(lambda d: mentions(d, settings), todo, parallel=parallel))
    from .cve import claim_problems

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


def content_pages(docs_dir: Path) -> dict[str, Path]:
    """Every Markdown page below ``docs_dir``, keyed ``<docs_dir name>/<path>`` as problems name them."""
    return {f"{docs_dir.name}/{p.relative_to(docs_dir).as_posix()}": p for p in sorted(docs_dir.rglob("*.md"))
            if not any(part.startswith(".") for part in p.relative_to(docs_dir).parts)}


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


def gate_content(pages: Mapping[str, Path], now: datetime) -> ContentGate:
    """Apply the embargo rule to content pages that carry ``embargo_until`` or ``draft`` in frontmatter."""
    withheld: list[str] = []
    markers: set[str] = set()
    upcoming: list[datetime] = []
    problems: list[Problem] = []
    for rel, path in sorted(pages.items()):
        meta, lines, found = read_page_meta(path, rel)
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


def build_outputs(pub: gate.Publication, settings: Settings,
                  own: Mapping[str, outputs.DisclosureOutput] | None = None) -> SiteOutput:
    """Every page and file of the site; ``own`` holds each public disclosure's own outputs if already made."""
    # Imported here: `check` (a pre-commit hook) never renders, and Jinja, feedgen, lxml and the exporters
    # would add a quarter of a second to every run of it.
    from . import outputs, render, securitytxt
    from .csaf import csaf_files
    from .cve import cve_files
    from .feeds import feed_files
    from .index_json import index_files
    from .osv import osv_files

    if own is None:
        own = {d.id: outputs.make(d, settings) for d in pub.public}
    parts = [own[d.id] for d in pub.public]
    pages = [p.page for p in parts]
    pages.extend(render.listing_pages(pub))
    files: dict[str, bytes] = {}
    files.update(feed_files(pub.public, settings))
    files.update(osv_files(pub.public, settings, {p.id: p.osv for p in parts}))
    files.update(index_files(pub.public))  # the listing's filter index
    files.update(csaf_files(pub.public, settings, pub.now, {p.id: p.csaf for p in parts}))
    files.update(cve_files(pub.public, settings, {p.id: p.cve for p in parts}))  # CNA containers, for CVE Services
    files[securitytxt.PATH] = securitytxt.security_txt(settings, pub.now)
    attachments = {f"disclosures/{d.id}/{a.name}": a.source for d in pub.public for a in d.attachments}
    entries = tuple(p.search for p in sorted(parts, key=lambda p: p.id))
    return SiteOutput(tuple(pages), dict(sorted(files.items())), dict(sorted(attachments.items())), entries)


def withheld_markers(withheld: Iterable[Disclosure], public: Iterable[Disclosure]) -> tuple[str, ...]:
    """Strings that identify a withheld disclosure and no public one: its ID, title and aliases."""
    shared = {s for d in public for s in (d.id, d.title, *d.aliases)}
    raw = {s for d in withheld for s in (d.id, d.title, *d.aliases) if len(s) >= 6} - shared
    # Outputs escape text for HTML and XML, so the escaped spelling is searched for as well.
    return tuple(sorted(raw | {html.escape(s) for s in raw}))


def find_leaks(files: Mapping[str, bytes], markers: Iterable[str]) -> list[str]:
    """``path: marker`` for every output file that contains a withheld marker (gzip files are opened).

    Aho-Corasick finds every marker in one pass whatever their number: a regex alternation costs time
    in proportion to markers times bytes, which made the scan quadratic as the archive grew.
    """
    automaton = leak_automaton(markers)
    if automaton is None:
        return []
    return [hit for path, data in sorted(files.items()) for hit in leaks_in(path, data, automaton)]


@dataclass(frozen=True)
class LeakAutomaton:
    """Every marker at once, matched over the raw bytes of a file (see ``leaks_in``)."""

    matcher: ahocorasick_rs.BytesAhoCorasick
    markers: tuple[str, ...]
    """The marker of each pattern index."""


def leak_automaton(markers: Iterable[str]) -> LeakAutomaton | None:
    """The matcher of every marker at once (``None`` when there is nothing to look for)."""
    unique = tuple(sorted({m for m in markers if m}))
    if not unique:
        return None
    # Matched as UTF-8 bytes, without decoding each file first: six times faster than matching text.
    patterns = [_marker_bytes(m) for m in unique]
    matcher = ahocorasick_rs.BytesAhoCorasick(patterns, implementation=ahocorasick_rs.Implementation.DFA)
    return LeakAutomaton(matcher, unique)


def _marker_bytes(marker: str) -> bytes:
    # surrogateescape: a marker holding an undecodable byte (as text read with that handler spells it)
    # is that byte again; any other lone surrogate is written as UTF-8 would, which only finds more.
    try:
        return marker.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return marker.encode("utf-8", "surrogatepass")


def leaks_in(path: str, data: bytes, automaton: LeakAutomaton) -> list[str]:
    """``path: marker`` for each marker in one output file (a gzip file is opened first).

    A marker's UTF-8 bytes occur in a file exactly where the text read from it holds the marker (UTF-8
    is self-synchronising), and bytes that are not UTF-8 at all are looked at as they are.
    """
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return [f"{path}: unreadable gzip, cannot prove it is clean"]
    # JSON may escape "/" as "\\/"; that spelling is searched only where it occurs.
    variants = (data, data.replace(b"\\/", b"/")) if b"\\/" in data else (data,)
    hits = {automaton.markers[index] for v in variants
            for index, _, end in automaton.matcher.find_matches_as_indexes(v, overlapping=True)
            if not _digit_at(v, end)}  # OSQI-2026-0001 must not match OSQI-2026-00012
    return [f"{path}: {h}" for h in sorted(hits)]


def _digit_at(data: bytes, at: int) -> bool:
    """Whether the character starting at byte ``at`` is a digit (any script's, as ``str.isdigit``)."""
    return data[at:at + 4].decode("utf-8", "surrogateescape")[:1].isdigit()


def newest_change(pub: gate.Publication) -> datetime | None:
    """The newest public date of the site; stands in for "last updated" everywhere, never the build time."""
    return max((d.modified for d in pub.public), default=None)
