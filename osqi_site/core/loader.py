"""Loading: the only stage that reads disclosure files; turns bytes into frontmatter data with line numbers."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from osqi_site.core import activefiles, realfiles
from osqi_site.core.model import Attachment
from osqi_site.core.problems import Problem

# The C loader parses several times faster; the pure-Python one behaves identically.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_node_tag = functools.lru_cache(maxsize=4096)(functools.partial(yaml.resolver.Resolver.resolve,
                                                                yaml.resolver.Resolver()))
"""The tag the safe loaders give a node (``resolve(kind, value, implicit)``), cached: YAML 1.1's implicit tags,
which PyYAML fixes, and no path resolvers, so a pure function of its arguments. The C parser asks for the tag
of each node, a Python call each; most of them (keys, collections, ``PyPI``, ``false``) repeat."""


class _Loader(_SafeLoader):
    """The safe loader, asking ``_node_tag`` (tests/test_loader.py holds the tags to the stock loaders')."""

    resolve = staticmethod(_node_tag)

MAX_FILE_BYTES = 1_000_000
"""A disclosure larger than this is refused: no real narrative is that long, a runaway paste is."""

_CONFLICT = re.compile(r"^(<{7}|>{7}|\|{7})(\s|$)", re.MULTILINE)
_ID_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*-\d{4}-\d{4,}$")
_FENCE_LINE = re.compile(r"\n(?:---|\.\.\.)[^\S\n]*$", re.MULTILINE)
"""The line feed before a line of its own that closes the frontmatter (trailing white space and ``\\r`` allowed):
starting with a line feed, the pattern is only tried where one is, not at every character."""
_CONFLICT_MARKERS = ("<" * 7, ">" * 7, "|" * 7)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MAX_YAML_DEPTH = 32
_LINE_LEAD = " \t?:-"
"""Indentation and block indicators: what may precede the start of a block collection on its line."""
_SAFE_COMPOSE_DEPTH = 256
"""Nesting the C composer may meet without the event screen: a few kilobytes of C stack at most."""
_PARENT_FIELD = re.compile(r"(\.[^.\[]+|\[\d+\])$")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
MAX_LINE_CHARS = 10_000
"""A line longer than this is refused: no field or sentence needs it, and it bounds the work per line."""
MAX_NUMBER_CHARS = 100
"""A YAML number written longer than this is refused: Python will not turn an integer of more than 4,300
digits into text (a traceback), and no field of a disclosure is a number of that size."""
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
_FORBIDDEN_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""The ASCII characters of ``_FORBIDDEN``: the same search in ASCII text."""
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional embeddings, overrides and isolates: text after them is displayed in another order than it
is stored (``U+202E 2000-6202-IQSO`` reads OSQI-2026-0002), so no check that reads stored text could see what
readers see ("Trojan Source"). The marks of ordinary right-to-left text (U+200E, U+200F, U+061C) stay allowed."""
_LONE_CR = re.compile("\r(?!\n)")


def find_forbidden_char(text: str) -> re.Match[str] | None:
    """The first control character other than tab and line feed, U+FFFE or U+FFFF (XML 1.0, hence every
    feed, has no place for them), bidirectional embedding, override or isolate (``_BIDI_CONTROLS``), or
    carriage return that does not end a CRLF line (Markdown reads a lone one as a line break, the section
    and mention checks do not). Linear time; the common case without
    any carriage return is one character-class scan (a third of the cost of one pattern for both), of a class
    of ASCII characters alone in ASCII text (twice as fast)."""
    found = (_FORBIDDEN_ASCII if text.isascii() else _FORBIDDEN).search(text)
    if "\r" in text:
        cr = _LONE_CR.search(text)
        if cr is not None and (found is None or cr.start() < found.start()):
            return cr
    return found


@dataclass(frozen=True)
class SourceDoc:
    """One disclosure file after parsing, before any field is checked."""

    path: str
    """Path relative to the project root, ``/``-separated."""
    stem: str
    meta: dict[str, Any]
    lines: dict[str, int]
    """Line number of every field path (``affected[0].ranges[0].fixed``) in the file."""
    body: str
    body_line: int
    """Line number where the Markdown body starts."""
    attachments: tuple[Attachment, ...] = ()

    def line(self, field: str) -> int:
        """The line of ``field``, or of its nearest ancestor that exists, or of the frontmatter start."""
        while field:
            if field in self.lines:
                return self.lines[field]
            field = _PARENT_FIELD.sub("", field) if "." in field or "[" in field else ""
        return 1


@dataclass(frozen=True)
class LoadResult:
    docs: tuple[SourceDoc, ...]
    problems: tuple[Problem, ...]


class _YamlRejected(Exception):
    def __init__(self, line: int, message: str, field: str = "frontmatter") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.field = field


@dataclass(frozen=True)
class TreeListing:
    """What ``load_tree`` reads, found without reading any file: each disclosure source and its attachments."""

    sources: tuple[tuple[Path, tuple[Attachment, ...]], ...]
    """In the order ``load_tree`` loads them."""
    problems: tuple[Problem, ...]
    """Problems of the tree itself: links, stray files, a missing folder."""


def load_tree(root: Path, project_root: Path) -> LoadResult:
    """Read every disclosure and attachment below ``root``; never follow a link out of it."""
    listing = list_tree(root, project_root)
    problems = list(listing.problems)
    docs: list[SourceDoc] = []
    for f, attached in listing.sources:
        doc, found = load_file(f, project_root, attached)
        problems.extend(found)
        if doc is not None:
            docs.append(doc)
    return LoadResult(tuple(docs), tuple(problems))


def list_tree(root: Path, project_root: Path) -> TreeListing:
    """Walk ``root`` as ``load_tree`` does, without reading a file: the sources to load and the tree's problems."""
    problems: list[Problem] = []
    if not root.is_dir():
        rel = _rel(root, project_root)
        return TreeListing((), (Problem(rel, 0, "disclosures_dir", "folder does not exist"),))
    linked = realfiles.linked_root(root, project_root, "disclosures_dir")
    if linked is not None:
        return TreeListing((), (linked,))
    folders: set[str] = set()
    # Dotfiles (editor swap files, .gitkeep) are never content; every link and unreadable name is a problem.
    files = _sorted_paths(f for f in realfiles.walk(root, project_root, problems, folders)
                          if not f.name.startswith("."))
    md_files = [f for f in files if f.suffix == ".md"]  # sorted, as files are
    owners = _attachment_owners(root, md_files, folders)
    owning = _owner_finder(owners)
    attachments: dict[Path, list[Attachment]] = {}
    for f in files:
        owner = owning(f)
        if owner is not None and f != owner:
            folder = owners[owner]
            name = f.relative_to(folder).as_posix()
            refused = attachment_name_problem(name)
            if refused is not None:
                problems.append(Problem(_rel(f, project_root), 0, "file", refused))
                continue
            attachments.setdefault(owner, []).append(Attachment(name=name, source=str(f)))
        elif f.suffix != ".md":
            problems.append(Problem(_rel(f, project_root), 0, "file",
                                    "not a disclosure (.md) and not inside a disclosure's attachment folder "
                                    "named after its ID; move or delete it"))
    problems.extend(_case_clashes(attachments, project_root))
    sources = []
    for f in md_files:
        owner = owning(f)
        if owner is not None and owner != f:
            continue
        sources.append((f, tuple(attachments.get(f, ()))))
    return TreeListing(tuple(sources), tuple(problems))


def _sorted_paths(paths: Iterable[Path]) -> list[Path]:
    """``sorted(paths)``; where paths compare by their parts (POSIX), with the parts as key: much faster."""
    return sorted(paths, key=lambda p: p.parts) if os.name == "posix" else sorted(paths)


def _attachment_owners(root: Path, md_files: list[Path], folders: set[str]) -> dict[Path, Path]:
    """Map each disclosure source to its attachment folder: a folder named after the file's stem.

    Two layouts are supported: ``X/X.md`` (the disclosure lives inside its folder) and
    ``X.md`` beside a folder ``X/``. ``md_files`` are sorted; so is the map. ``folders`` holds every
    folder of the tree (as ``str``): looking there spares a system call per disclosure.
    """
    owners: dict[Path, Path] = {}
    for f in md_files:
        if not _ID_SHAPE.match(f.stem):
            continue  # only a disclosure owns a folder; a stray 2026/2026.md must not swallow 2026/
        if f.parent.name == f.stem and f.parent != root:
            owners[f] = f.parent
        elif str(f)[:-len(f.suffix)] in folders:
            owners[f] = f.parent / f.stem
    return owners


def _owner_finder(owners: dict[Path, Path]) -> Callable[[Path], Path | None]:
    """For a file, the first owner (in ``owners`` order) that is the file or whose folder holds it.

    Looks up the file and each of its parent folders rather than trying every owner, which made
    listing a tree with many attachment folders quadratic.
    """
    rank = {owner: i for i, owner in enumerate(owners)}
    by_folder: dict[Path, Path] = {}
    for owner, folder in owners.items():
        by_folder.setdefault(folder, owner)
    shallowest = min((len(folder.parts) for folder in by_folder), default=0)

    def owning(f: Path) -> Path | None:
        found = f if f in rank else None
        if not by_folder:
            return found
        parents = f.parents  # only those as deep as some folder can be one
        for folder in (f, *(parents[i] for i in range(len(f.parts) - shallowest))):
            owner = by_folder.get(folder)
            if owner is not None and (found is None or rank[owner] < rank[found]):
                found = owner
        return found

    return owning


def _rel(p: Path, project_root: Path) -> str:
    return realfiles.rel(p, project_root)


RESERVED_STEM = "index"
"""Every page of the site is written as ``index.html`` in a folder of its own, the listing's filter data as
``index.json``: an attachment called ``index.*`` (any case) would stand where the site writes, or be taken for
a page by a case-insensitive web server."""


def attachment_name_problem(name: str) -> str | None:
    """Why an attachment's name (relative to its folder) may not be published: it would collide with what the
    site itself writes, or a browser would open it as an active document."""
    for part in name.split("/"):
        stem, _, _ = part.partition(".")
        if stem.casefold() == RESERVED_STEM:
            return (f"attachment name '{part}' is reserved: the site writes its own index files beside the "
                    "disclosure page; rename it")
    # An attachment is published on the site's origin: an HTML or SVG proof of concept would run its script there.
    return activefiles.active_file_problem(name)


def _case_clashes(attachments: dict[Path, list[Attachment]], project_root: Path) -> list[Problem]:
    """Attachments of one disclosure whose names differ only in case: one would overwrite the other on a
    case-insensitive file system or web server. The later in name order is reported."""
    found = []
    for attached in attachments.values():
        seen: set[str] = set()
        for a in attached:
            key = a.name.casefold()
            if key in seen:
                found.append(Problem(_rel(Path(a.source), project_root), 0, "file",
                                     f"attachment name '{a.name}' differs only in case from another attachment "
                                     "of this disclosure; rename one"))
            seen.add(key)
    return found


def load_file(path: Path, project_root: Path,
              attachments: tuple[Attachment, ...] = ()) -> tuple[SourceDoc | None, list[Problem]]:
    """Parse one disclosure file; returns the parsed document or the reasons it could not be read."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [too_large(_rel(path, project_root), size)]
    return load_bytes(path, project_root, path.read_bytes(), attachments)


def load_bytes(path: Path, project_root: Path, raw: bytes,
               attachments: tuple[Attachment, ...] = ()) -> tuple[SourceDoc | None, list[Problem]]:
    """``load_file`` of the bytes already read from ``path``."""
    rel = _rel(path, project_root)
    if len(raw) > MAX_FILE_BYTES:
        return None, [too_large(rel, len(raw))]
    return parse_text(rel, raw, attachments)


def too_large(rel: str, size: int) -> Problem:
    return Problem(rel, 0, "file", f"{size} bytes is over the {MAX_FILE_BYTES}-byte limit")


def read_page_meta(path: Path, rel: str) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """Frontmatter of a content page (which may have none), parsed as strictly as a disclosure's."""
    return page_meta(path.read_bytes(), rel)


def page_meta(raw: bytes, rel: str) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """``read_page_meta`` of bytes already read (a page another plugin generated, or a file's first bytes)."""
    if len(raw) > MAX_FILE_BYTES:
        return {}, {}, [Problem(rel, 0, "file", f"{len(raw)} bytes is over the {MAX_FILE_BYTES}-byte limit")]
    if not raw.lstrip(b"\xef\xbb\xbf").startswith(b"---"):
        return {}, {}, []
    doc, problems = parse_text(rel, raw)
    if doc is None:
        return {}, {}, problems
    return doc.meta, doc.lines, []


def parse_text(rel: str, raw: bytes,
               attachments: tuple[Attachment, ...] = ()) -> tuple[SourceDoc | None, list[Problem]]:
    """Decode, split and parse a disclosure's bytes; pure, so tests can feed it directly."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [Problem(rel, 1, "file", "starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, [not_utf8_problem(rel, raw, e)]
    problems: list[Problem] = []
    if any(marker in text for marker in _CONFLICT_MARKERS):  # the common case skips the line-by-line search
        problems = [Problem(rel, text.count("\n", 0, m.start()) + 1, "file",
                            "merge-conflict marker; resolve the conflict first")
                    for m in _CONFLICT.finditer(text)]
    if "\x00" in text:
        problems.append(Problem(rel, text.count("\n", 0, text.index("\x00")) + 1, "file", "contains a NUL byte"))
    elif (bad := find_forbidden_char(text)) is not None:
        problems.append(Problem(rel, text.count("\n", 0, bad.start()) + 1, "file", forbidden_char_message(bad)))
    if (long := long_line_problem(rel, text)) is not None:
        problems.append(long)
    if problems:
        return None, problems
    first_end = text.find("\n")
    if (text if first_end < 0 else text[:first_end]).rstrip("\r") != "---":
        return None, [Problem(rel, 1, "frontmatter",
                              "missing: the file must start with a '---' line, YAML fields, and a closing '---'")]
    fence = _FENCE_LINE.search(text, first_end) if first_end >= 0 else None
    if fence is None:
        return None, [Problem(rel, 1, "frontmatter", "not closed: add a '---' line after the YAML fields")]
    fence_start = fence.start() + 1  # the closing line itself
    end = text.count("\n", 0, fence_start)
    yaml_text = text[first_end + 1:fence_start - 1]
    try:
        meta, field_lines = _parse_yaml(yaml_text, first_line=2)
    except _YamlRejected as e:
        return None, [Problem(rel, e.line, e.field, e.message)]
    if not isinstance(meta, dict):
        return None, [Problem(rel, 2, "frontmatter", "must be a mapping of field: value")]
    body_start = text.find("\n", fence.end())
    body = "" if body_start < 0 else text[body_start + 1:]
    stem = Path(rel).stem
    return SourceDoc(rel, stem, meta, field_lines, body, end + 2, attachments), []


def long_line_problem(rel: str, text: str) -> Problem | None:
    """The first line of ``text`` longer than ``MAX_LINE_CHARS``, located."""
    if len(text) <= MAX_LINE_CHARS:  # a shorter file cannot have a longer line
        return None
    long = next((i for i, line in enumerate(text.split("\n")) if len(line) > MAX_LINE_CHARS), None)
    if long is None:
        return None
    return Problem(rel, long + 1, "file", f"line {long + 1} is longer than {MAX_LINE_CHARS} characters; break it")


def not_utf8_problem(rel: str, raw: bytes, e: UnicodeDecodeError) -> Problem:
    """Where ``raw`` stops being UTF-8 (``e``: the error decoding it), located."""
    line = raw[: e.start].count(b"\n") + 1
    return Problem(rel, line, "file", f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save it as UTF-8")


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_control_problem(rel: str, text: str, first_line: int = 1, field: str = "file") -> Problem | None:
    """The first bidirectional control of ``text`` (see ``_BIDI_CONTROLS``) as a located problem: for a content
    page, which, unlike a disclosure, may hold other control characters."""
    found = _BIDI.search(text)
    if found is None:
        return None
    return Problem(rel, first_line + text.count("\n", 0, found.start()), field, forbidden_char_message(found))


def forbidden_char_message(found: re.Match[str]) -> str:
    """Why the character ``find_forbidden_char`` found may not be there."""
    if found.group() == "\r":
        return "carriage return without a line feed (an old Mac line ending); save with LF or CRLF line endings"
    if found.group() in _BIDI_CONTROLS:
        return (f"contains the bidirectional control U+{ord(found.group()):04X}, which makes the text after it "
                "display in another order than it is stored (a \"Trojan Source\" spelling that hides what readers "
                "see from every check); remove it")
    kind = "non-character" if found.group() in "\ufffe\uffff" else "control character"
    return f"contains the {kind} U+{ord(found.group()):04X}; remove it (tab and line feed are allowed)"


def _parse_yaml(text: str, first_line: int) -> tuple[Any, dict[str, int]]:
    if "&" not in text and "*" not in text and _nesting_bound(text) <= _SAFE_COMPOSE_DEPTH:
        # Without '&' or '*' there is no anchor nor alias, and the nesting the composer can meet is bounded,
        # so the event screen is skipped: one parse instead of two. Whatever this pass rejects is parsed again
        # below, screen first, so every problem is found and worded exactly as the screen would.
        try:
            return _compose(text, first_line)
        except Exception:  # the screened parse below reports it, or raises it again
            pass
    _screen_events(text, first_line)
    return _compose(text, first_line)


def _nesting_bound(text: str) -> int:
    """An upper bound on how deeply the YAML in ``text`` can nest, found without parsing it.

    libyaml opens a block collection only at a column greater than its parent's (an indentless sequence
    excepted, at most one per mapping), and only where a line's indentation and its ``-``, ``?`` and ``:``
    indicators end; a flow collection needs a ``[`` or ``{`` of its own, and an entry of a flow sequence may
    be a single-pair mapping (``[? a]``, ``[[b]: c]``) with no ``{``: two levels per ``[``.
    """
    # splitlines() breaks lines at every character libyaml does, and at a few more: never an underestimate.
    lead = max([len(line) - len(line.lstrip(_LINE_LEAD)) for line in text.splitlines()], default=0)
    return 2 * (lead + 1) + 2 * text.count("[") + text.count("{")


def _compose(text: str, first_line: int) -> tuple[Any, dict[str, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        lines: dict[str, int] = {}
        value = _build(node, loader, "", lines, first_line, 1, _may_hide_chars(text))
        return value, lines
    except yaml.MarkedYAMLError as e:
        raise _rejected(e, first_line) from None
    except yaml.YAMLError as e:
        raise _YamlRejected(first_line, f"malformed YAML: {e}") from None
    finally:
        loader.dispose()


def _may_hide_chars(text: str) -> bool:
    """Whether a scalar parsed from ``text`` may hold a forbidden character (``find_forbidden_char``).

    Every character of a scalar is one of the text's, but for escapes, which only a backslash starts, and line
    breaks, which YAML reads as a line feed, a space or nothing: without a backslash and a forbidden character
    in the text, no scalar holds one, and looking in each (some ninety a disclosure) is spared.
    tests/test_loader.py holds this to checking every scalar."""
    return "\\" in text or find_forbidden_char(text) is not None


def _rejected(e: yaml.MarkedYAMLError, first_line: int) -> _YamlRejected:
    mark = e.problem_mark or e.context_mark
    line = (mark.line + first_line) if mark is not None else first_line
    return _YamlRejected(line, f"malformed YAML: {e.problem or e}")


def _screen_events(text: str, first_line: int) -> None:
    """Refuse, before anything is built, the YAML features that hide or multiply content.

    Anchors and aliases make "billion laughs" bombs possible and let one field silently mirror
    another; no disclosure needs them. Deep nesting is refused because libyaml's composer
    recurses in C and would crash the process rather than raise.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = (event.start_mark.line if event.start_mark else 0) + first_line
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _YamlRejected(line, "YAML anchors and aliases (&, *) are not allowed; write the value out")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _YamlRejected(line, f"nested more than {MAX_YAML_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as e:
        raise _rejected(e, first_line) from None
    except yaml.YAMLError as e:
        raise _YamlRejected(first_line, f"malformed YAML: {e}") from None


def _build(node: yaml.Node, loader: yaml.SafeLoader, path: str, lines: dict[str, int], first_line: int,
           depth: int, check_chars: bool = True) -> Any:
    """Construct plain Python values, recording the line of every field path below ``path``.

    The caller records the line of ``path`` itself; ``depth`` counts the collections down to ``node``;
    ``check_chars``: see ``_scalar``.
    """
    if isinstance(node, _ScalarNode):
        return _scalar(node, loader, path or "frontmatter", first_line, check_chars)
    line = node.start_mark.line + first_line
    if depth > MAX_YAML_DEPTH:
        # Only reachable unscreened: the screen refuses this first, with the same words.
        raise _YamlRejected(line, f"nested more than {MAX_YAML_DEPTH} levels deep")
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP_TAG:
            raise _YamlRejected(line, f"explicit YAML tag {node.tag} is not allowed")
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + first_line
            if key_node.tag == _MERGE_TAG:
                raise _YamlRejected(key_line, "YAML merge keys (<<) are not allowed")
            if not isinstance(key_node, _ScalarNode):
                raise _YamlRejected(key_line, "mapping keys must be plain strings")
            if key_node.tag == _STR_TAG:
                key = key_node.value
                if check_chars:
                    _scalar(key_node, loader, path or "frontmatter", first_line)  # only checks its characters
            else:
                key = str(_scalar(key_node, loader, path, first_line, check_chars))
            child = prefix + key
            if key in out:
                raise _YamlRejected(key_line, f"duplicate key '{key}' (first on line {lines.get(child, '?')})")
            lines[child] = key_line
            # A scalar (most values) is taken here, as _build would take it, a call shorter.
            out[key] = (_scalar(value_node, loader, child or "frontmatter", first_line, check_chars)
                        if isinstance(value_node, _ScalarNode)
                        else _build(value_node, loader, child, lines, first_line, depth + 1, check_chars))
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            raise _YamlRejected(line, f"explicit YAML tag {node.tag} is not allowed")
        items = []
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines.setdefault(child, item.start_mark.line + first_line)
            items.append(_scalar(item, loader, child, first_line, check_chars) if isinstance(item, _ScalarNode)
                         else _build(item, loader, child, lines, first_line, depth + 1, check_chars))
        return items
    return loader.construct_object(node, deep=True)


_ScalarNode = yaml.ScalarNode


def _scalar(node: yaml.ScalarNode, loader: yaml.SafeLoader, field: str, first_line: int,
            check_chars: bool = True) -> Any:
    """A scalar's value; anything Python cannot turn it into is a located rejection, never an exception.

    ``check_chars=False`` skips looking for forbidden characters in text, which ``_compose`` does only where
    none can be there."""
    tag = node.tag
    if tag == _STR_TAG:
        # What construct_object makes of a str scalar, without its bookkeeping. A double-quoted escape
        # ("\x1b") makes characters the file-wide check cannot see in the source text.
        if check_chars and (bad := find_forbidden_char(node.value)) is not None:
            raise _YamlRejected(node.start_mark.line + first_line, forbidden_char_message(bad), field)
        return node.value
    if tag == _TIMESTAMP_TAG:
        # Kept as written: YAML's own timestamp rules are looser than RFC 3339 (offset minutes
        # up to 99, no offset at all), so validation parses the text strictly instead.
        return str(node.value)
    line = node.start_mark.line + first_line
    if tag in (_INT_TAG, _FLOAT_TAG) and len(node.value) > MAX_NUMBER_CHARS:
        raise _YamlRejected(line, f"a number written with {len(node.value)} characters (at most "
                            f"{MAX_NUMBER_CHARS}); quote it if it is text", field)
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, KeyError, TypeError, ArithmeticError):  # an explicit !!int abc, !!bool maybe, ...
        name = tag.rsplit(":", 1)[-1]
        raise _YamlRejected(line, f"{node.value[:40]!a} is not a valid YAML {name}; quote it if it is text",
                            field) from None
