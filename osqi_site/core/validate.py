"""Validation: turns parsed frontmatter into Disclosure values, collecting every problem instead of stopping."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packageurl import PackageURL

from osqi_site.core import cwe as cwe_catalogue
from osqi_site.core import ecosystems as eco
from osqi_site.core import jsondata, links
from osqi_site.core.loader import SourceDoc
from osqi_site.core.model import (
    Affected,
    Credit,
    Disclosure,
    Range,
    Reference,
    Revision,
    Severity,
    TimelineEvent,
    Withdrawal,
)
from osqi_site.core.narrative import REQUIRED_SECTIONS, section_line, section_text, shape_problems
from osqi_site.core.problems import Problem
from osqi_site.core.sanitize import http_url_problem, scheme_problem, shown
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import InstantError, parse_date_or_instant, parse_instant
from osqi_site.core.versions import range_problem

T = TypeVar("T")

TOP_LEVEL_FIELDS = ("id", "title", "embargo_until", "draft", "aliases", "related", "upstream", "affected",
                    "severity", "cwe", "credits",
                    "references", "timeline", "revisions", "withdrawn", "seal")
AFFECTED_FIELDS = ("ecosystem", "package", "purl", "repo", "ranges", "versions", "ecosystem_specific",
                   "database_specific")
OUR_DATABASE_KEYS = ("repo", "package", "purl")
"""Keys the OSV export itself writes into ``affected[].database_specific``; an author's mapping may not use them."""
RANGE_FIELDS = ("introduced", "fixed", "last_affected")

_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$")
_CWE = re.compile(r"^CWE-[1-9][0-9]*$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(/[^\s]*)?$|^https?://localhost(:\d+)?(/[^\s]*)?$")
"""For the editors' JSON Schema only (schema.py); ``check`` decides with ``sanitize.http_url_problem``."""
_CONTACT_SCHEMES = ("http", "https", "mailto")
_NARRATIVE_SCHEMES = ("http", "https", "mailto")
_VERSION = re.compile(r"^[^\s]+$")
_TITLE_MAX = 200


@dataclass
class _Checker:
    """Collects the problems of one document; every ``take_*`` returns a value or ``None`` and never raises."""

    doc: SourceDoc
    problems: list[Problem] = field(default_factory=list)

    def add(self, fld: str, message: str) -> None:
        self.problems.append(Problem(self.doc.path, self.doc.line(fld), fld, message))

    def unknown_keys(self, value: dict[str, Any], allowed: Iterable[str], prefix: str) -> None:
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = _closest(key, allowed)
                extra = f"; did you mean '{hint}'?" if hint else f"; allowed: {', '.join(allowed)}"
                self.add(f"{prefix}{key}", f"unknown field{extra}")

    def text(self, value: Any, fld: str, *, required: bool = True, max_len: int | None = None) -> str | None:
        if value is None:
            if required:
                self.add(fld, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(fld, "must be a non-empty string" if isinstance(value, str) else
                     f"must be a string, not {_type_name(value)} (quote it)")
            return None
        if max_len is not None and len(value) > max_len:
            self.add(fld, f"is {len(value)} characters long; keep it under {max_len}")
        return value.strip()

    def listing(self, value: Any, fld: str, *, required: bool = False) -> list[Any]:
        if value is None:
            if required:
                self.add(fld, "is required: give at least one entry")
            return []
        if not isinstance(value, list):
            self.add(fld, f"must be a list, not {_type_name(value)}")
            return []
        if required and not value:
            self.add(fld, "must have at least one entry")
        return value

    def mapping(self, value: Any, fld: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(fld, f"must be a mapping of field: value, not {_type_name(value)}")
            return None
        return value

    def choice(self, value: Any, fld: str, options: Iterable[str]) -> str | None:
        options = tuple(options)
        text = self.text(value, fld)
        if text is not None and text not in options:
            self.add(fld, f"'{text}' is not one of: {', '.join(options)}")
            return None
        return text

    def instant(self, value: Any, fld: str) -> datetime | None:
        try:
            return parse_instant(value)
        except InstantError as e:
            self.add(fld, str(e))
            return None

    def url(self, value: Any, fld: str) -> str | None:
        """An http(s) URL, decided by parsing it as a browser would (``sanitize.http_url_problem``)."""
        text = self.text(value, fld)
        problem = None if text is None else http_url_problem(text)
        if problem is not None:
            self.add(fld, problem)
            return None
        return text

    def each(self, items: list[Any], fld: str, build: Callable[[dict[str, Any], str], T | None]) -> tuple[T, ...]:
        out: list[T] = []
        for i, item in enumerate(items):
            sub = f"{fld}[{i}]"
            mapping = self.mapping(item, sub)
            if mapping is not None:
                built = build(mapping, sub)
                if built is not None:
                    out.append(built)
        return tuple(out)


def _type_name(value: Any) -> str:
    if isinstance(value, datetime):
        return "a timestamp"
    if isinstance(value, date):
        return "a date"
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "a mapping",
            type(None): "empty"}.get(type(value), type(value).__name__)


def _closest(key: str, allowed: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
    return found[0] if found else None


def validate_doc(doc: SourceDoc, settings: Settings) -> tuple[Disclosure | None, list[Problem]]:
    """Check one document completely; return the Disclosure only if it has no problem at all."""
    c = _Checker(doc)
    meta = doc.meta
    c.unknown_keys(meta, TOP_LEVEL_FIELDS, "")
    ident = _take_id(c, meta.get("id"), settings)
    title = c.text(meta.get("title"), "title", max_len=_TITLE_MAX)
    draft = _take_draft(c, meta.get("draft"))
    embargo = _take_embargo(c, meta, draft)
    aliases = tuple(_take_aliases(c, meta.get("aliases"), ident))
    related = tuple(_take_ids(c, meta.get("related"), "related", ident))
    upstream = tuple(_take_ids(c, meta.get("upstream"), "upstream", ident))
    affected = c.each(c.listing(meta.get("affected"), "affected", required=True), "affected", _take_affected(c, draft))
    severity = c.each(c.listing(meta.get("severity"), "severity"), "severity", _take_severity(c))
    cwe = tuple(_take_cwe(c, meta.get("cwe")))
    credits = c.each(c.listing(meta.get("credits"), "credits", required=True), "credits", _take_credit(c))
    references = c.each(c.listing(meta.get("references"), "references"), "references", _take_reference(c))
    timeline = c.each(c.listing(meta.get("timeline"), "timeline", required=True), "timeline", _take_event(c))
    revisions = c.each(c.listing(meta.get("revisions"), "revisions"), "revisions", _take_revision(c, embargo))
    withdrawn = _take_withdrawn(c, meta.get("withdrawn"), embargo)
    seal = _take_seal(c, meta.get("seal"), required=settings.embargo_register and not draft)
    # Before the sections: a narrative past these limits is refused before anything else reads it.
    for line, message in shape_problems(doc.body):
        c.problems.append(Problem(doc.path, doc.body_line + line, "body", message))
    if not draft:
        _check_sections(c, doc)
    _check_narrative_urls(c, doc)
    if c.problems or ident is None or title is None:
        return None, c.problems
    return Disclosure(
        id=ident, title=title, embargo_until=embargo, body=doc.body, source=doc.path, body_line=doc.body_line,
        draft=draft,
        aliases=aliases, related=related, upstream=upstream,
        affected=affected, severity=severity, cwe=cwe, credits=credits,
        references=references, timeline=timeline,
        revisions=tuple(sorted(revisions, key=lambda r: r.date)), withdrawn=withdrawn,
        attachments=doc.attachments, seal=seal,
    ), []


SEAL = re.compile(r"^[0-9a-f]{64}$")
"""A seal: 32 random bytes in lower-case hex, the form ``secrets.token_hex(32)`` writes."""
_SEAL_HOW = "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"


def _take_seal(c: _Checker, value: Any, *, required: bool) -> str | None:
    if value is None:
        if required:
            c.add("seal", f"is required when embargo_register is on (unless draft: true); {_SEAL_HOW}")
        return None
    if not isinstance(value, str) or not SEAL.fullmatch(value):
        shown = f"{value!r}" if isinstance(value, str) and len(value) <= 80 else f"a {_type_name(value)}"
        c.add("seal", f"{shown} is not 64 lower-case hex digits (quote it in YAML); {_SEAL_HOW}")
        return None
    return value


def _take_id(c: _Checker, value: Any, settings: Settings) -> str | None:
    ident = c.text(value, "id")
    if ident is None:
        return None
    if not ident.isascii():
        # Other scripts' digits would read as the same number as ASCII ones: two spellings of one ID.
        c.add("id", f"{ident!a} has characters other than ASCII letters, digits and '-'; write it as "
              f"{settings.id_prefix}-YYYY-NNNN with the digits 0-9")
        return None
    if not settings.id_pattern.match(ident):
        c.add("id", f"'{ident}' does not have the form {settings.id_prefix}-YYYY-NNNN")
        return None
    if ident != c.doc.stem:
        c.add("id", f"'{ident}' does not match the file name '{c.doc.stem}.md'; rename the file or fix the id")
        return None
    return ident


def _take_draft(c: _Checker, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        c.add("draft", f"must be true or false, not {_type_name(value)}")
        return True  # an unreadable draft flag must never publish anything
    return value


def _take_embargo(c: _Checker, meta: dict[str, Any], draft: bool) -> datetime | None:
    if "embargo_until" not in meta or meta["embargo_until"] is None:
        if not draft:
            c.add("embargo_until", "is required unless draft: true; write an instant such as 2026-12-01T12:00:00Z")
        return None
    return c.instant(meta["embargo_until"], "embargo_until")


def _take_aliases(c: _Checker, value: Any, ident: str | None) -> list[str]:
    return _take_ids(c, value, "aliases", ident)


def _take_ids(c: _Checker, value: Any, fld: str, ident: str | None) -> list[str]:
    """A list of vulnerability IDs (``aliases``, and OSV's ``related`` and ``upstream``)."""
    out: list[str] = []
    for i, item in enumerate(c.listing(value, fld)):
        alias = c.text(item, f"{fld}[{i}]")
        if alias is None:
            continue
        if not _ALIAS.match(alias):
            c.add(f"{fld}[{i}]", f"'{alias}' is not an identifier such as CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx")
        elif alias in out or alias == ident:
            c.add(f"{fld}[{i}]", f"'{alias}' is listed twice")
        else:
            out.append(alias)
    return out


def _take_cwe(c: _Checker, value: Any) -> list[str]:
    out: list[str] = []
    for i, item in enumerate(c.listing(value, "cwe")):
        text = c.text(item, f"cwe[{i}]")
        if text is not None and not _CWE.match(text):
            c.add(f"cwe[{i}]", f"'{text}' is not a CWE identifier such as CWE-787")
        elif text is not None and (unknown := cwe_catalogue.problem(text)):
            c.add(f"cwe[{i}]", unknown)
        elif text is not None:
            out.append(text)
    return out


@lru_cache(maxsize=4096)
def purl_problem(purl: str) -> str | None:
    """Why ``purl`` is not a package URL without a version, written as the purl spec writes it, or ``None``.

    packageurl-python decides, the library the exports build and pin purls with, so every purl ``check``
    accepts is one the exports can read (``pkg:pypi/?x`` has no name) and is published as written: OSV emits
    the author's string, CSAF the library's, and the two must not differ (``pkg:PyPI/Lib_Foo``). Cached: a
    package's purl repeats across its disclosures, and parsing one costs more than the rest of its entry.
    """
    if _PLAIN_PURL.fullmatch(purl):
        return None
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        parsed = None
    if parsed is None or parsed.version is not None:
        return f"'{purl}' is not a package URL without version, e.g. pkg:pypi/requests"
    canonical: str = parsed.to_string()
    if canonical != purl:
        return f"'{purl}' is not written as the purl specification writes it; write '{canonical}'"
    return None


_PLAIN_PURL = re.compile(r"pkg:(?:pypi/[a-z0-9.-]+|npm/(?:%40[a-z0-9._-]+/)?[a-z0-9._-]+"
                         r"|(?:cargo|gem|golang|maven|nuget)/[a-z0-9._-]+(?:/[a-z0-9._-]+)*)")
"""Purls the library reads back as written, whole: lower-case letters, digits and ``.-_`` (no ``_`` for PyPI,
which the library turns into ``-``), npm's scope as ``%40``, no version, qualifiers nor subpath. Accepted at C
speed (parsing one costs the library more than the rest of its entry); tests/test_validate.py holds every
string this matches to the library's answer."""


def _take_affected(c: _Checker, draft: bool) -> Callable[[dict[str, Any], str], Affected | None]:
    def build(m: dict[str, Any], fld: str) -> Affected | None:
        n = len(c.problems)
        c.unknown_keys(m, AFFECTED_FIELDS, f"{fld}.")
        ecosystem = c.text(m.get("ecosystem"), f"{fld}.ecosystem")
        if ecosystem is not None and ecosystem != eco.GIT and not eco.is_osv_ecosystem(ecosystem):
            c.add(f"{fld}.ecosystem", f"'{ecosystem}' is not an OSV ecosystem (PyPI, npm, crates.io, Go, Maven, "
                  "Debian, ...) nor GIT")
        package = c.text(m.get("package"), f"{fld}.package")
        purl = c.text(m.get("purl"), f"{fld}.purl", required=False)
        if purl is not None and (problem := purl_problem(purl)):
            c.add(f"{fld}.purl", problem)
        repo = c.url(m["repo"], f"{fld}.repo") if m.get("repo") is not None else None
        if ecosystem == eco.GIT and m.get("repo") is None:
            c.add(f"{fld}.repo", "is required when ecosystem is GIT: the upstream repository URL")
        ranges = c.each(c.listing(m.get("ranges"), f"{fld}.ranges"), f"{fld}.ranges", _take_range(c))
        versions = tuple(_take_versions(c, m.get("versions"), f"{fld}.versions"))
        if not m.get("ranges") and not m.get("versions"):
            c.add(f"{fld}", "needs ranges or versions: say which versions are affected")
        specific = {key: _take_json(c, m.get(key), f"{fld}.{key}") for key in ("ecosystem_specific",
                                                                             "database_specific")}
        if len(c.problems) > n or ecosystem is None or package is None:
            return None
        entry = Affected(ecosystem, package, purl, repo, ranges, versions, specific["ecosystem_specific"],
                         specific["database_specific"])
        # A draft may hold placeholders (`osqi-site new` writes fixed: "TODO"); it is checked once it is not one.
        for i, r in enumerate(() if draft else ranges):
            unevaluable = range_problem(entry, r)
            if unevaluable is not None:
                c.add(f"{fld}.ranges[{i}]", unevaluable)
        return None if len(c.problems) > n else entry
    return build


def _take_json(c: _Checker, value: Any, fld: str) -> str | None:
    """An OSV free-form mapping, kept as canonical JSON; reserved keys and non-JSON data are errors."""
    if value is None:
        return None
    text, problem = jsondata.freeze(value)
    if problem is not None:
        c.add(fld, problem)
        return None
    if fld.endswith(".database_specific"):
        taken = [key for key in OUR_DATABASE_KEYS if key in value]
        if taken:
            c.add(fld, f"'{taken[0]}' is written by the OSV export itself (from the entry's own fields); "
                  "use another key")
            return None
    return text


def _take_versions(c: _Checker, value: Any, fld: str) -> list[str]:
    out: list[str] = []
    for i, item in enumerate(c.listing(value, fld)):
        text = c.text(item, f"{fld}[{i}]")
        if text is not None and not _VERSION.match(text):
            c.add(f"{fld}[{i}]", f"'{text}' is not a version (no spaces)")
        elif text is not None:
            out.append(text)
    return out


def _take_range(c: _Checker) -> Callable[[dict[str, Any], str], Range | None]:
    def build(m: dict[str, Any], fld: str) -> Range | None:
        n = len(c.problems)
        c.unknown_keys(m, RANGE_FIELDS, f"{fld}.")
        introduced = c.text(m.get("introduced"), f"{fld}.introduced")
        fixed = c.text(m.get("fixed"), f"{fld}.fixed", required=False)
        last = c.text(m.get("last_affected"), f"{fld}.last_affected", required=False)
        if fixed is not None and last is not None:
            c.add(f"{fld}", "give fixed or last_affected, not both")
        if introduced is not None and introduced in (fixed, last):
            c.add(f"{fld}", f"introduced and the end of the range are both '{introduced}'")
        if len(c.problems) > n or introduced is None:
            return None
        return Range(introduced, fixed, last)
    return build


def _take_severity(c: _Checker) -> Callable[[dict[str, Any], str], Severity | None]:
    def build(m: dict[str, Any], fld: str) -> Severity | None:
        c.unknown_keys(m, ("type", "vector"), f"{fld}.")
        kind = c.choice(m.get("type"), f"{fld}.type", eco.SEVERITY_TYPES)
        vector = c.text(m.get("vector"), f"{fld}.vector")
        if kind is None or vector is None:
            return None
        return _score(c, kind, vector, f"{fld}.vector")
    return build


def _score(c: _Checker, kind: str, vector: str, fld: str) -> Severity | None:
    scored = _cvss(kind, vector)
    if isinstance(scored, str):
        c.add(fld, scored)
        return None
    score, rating, canonical = scored
    if canonical != vector:
        c.add(fld, f"write the vector in canonical form: {canonical}")
        return None
    return Severity(kind, vector, score, rating)


@lru_cache(maxsize=4096)
def _cvss(kind: str, vector: str) -> tuple[float, str, str] | str:
    """Base score, rating and canonical form of a vector, or why it is invalid; cached, as vectors repeat."""
    try:
        if kind == "CVSS_V3":
            if not vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
                raise CVSSError("a CVSS v3 vector starts with CVSS:3.1/ or CVSS:3.0/")
            v3 = CVSS3(vector)
            return float(v3.base_score), str(v3.severities()[0]), v3.clean_vector()
        if not vector.startswith("CVSS:4.0/"):
            raise CVSSError("a CVSS v4 vector starts with CVSS:4.0/")
        v4 = CVSS4(vector)
        return float(v4.base_score), str(v4.severity), v4.clean_vector()
    except CVSSError as e:
        return f"invalid {kind} vector '{vector}': {e}"


def _take_credit(c: _Checker) -> Callable[[dict[str, Any], str], Credit | None]:
    def build(m: dict[str, Any], fld: str) -> Credit | None:
        c.unknown_keys(m, ("name", "type", "contact"), f"{fld}.")
        name = c.text(m.get("name"), f"{fld}.name")
        kind = c.choice(m.get("type"), f"{fld}.type", eco.CREDIT_TYPES)
        contacts = []
        for i, item in enumerate(c.listing(m.get("contact"), f"{fld}.contact")):
            url = c.text(item, f"{fld}.contact[{i}]")
            if url is not None and (scheme_problem(url, _CONTACT_SCHEMES, relative=False) is not None
                                    or not url.startswith(("http://", "https://", "mailto:"))
                                    or not url.isprintable() or any(ch.isspace() for ch in url)
                                    or "\\" in url):  # read as "/" by browsers (sanitize._is_http_url)
                c.add(f"{fld}.contact[{i}]", f"{shown(url)} must be an https:// or mailto: URL")
            elif url is not None:
                contacts.append(url)
        if name is None or kind is None:
            return None
        return Credit(name, kind, tuple(contacts))
    return build


def _take_reference(c: _Checker) -> Callable[[dict[str, Any], str], Reference | None]:
    def build(m: dict[str, Any], fld: str) -> Reference | None:
        c.unknown_keys(m, ("type", "url"), f"{fld}.")
        kind = c.choice(m.get("type"), f"{fld}.type", eco.REFERENCE_TYPES)
        url = c.url(m.get("url"), f"{fld}.url")
        return Reference(kind, url) if kind is not None and url is not None else None
    return build


def _take_event(c: _Checker) -> Callable[[dict[str, Any], str], TimelineEvent | None]:
    def build(m: dict[str, Any], fld: str) -> TimelineEvent | None:
        c.unknown_keys(m, ("date", "event", "note"), f"{fld}.")
        when: date | datetime | None = None
        try:
            when = parse_date_or_instant(m.get("date"))
        except InstantError as e:
            c.add(f"{fld}.date", "is required" if m.get("date") is None else str(e))
        event = c.choice(m.get("event"), f"{fld}.event", eco.TIMELINE_EVENTS)
        note = c.text(m.get("note"), f"{fld}.note", required=False) or ""
        if when is None or event is None:
            return None
        return TimelineEvent(when, event, note)
    return build


def _take_revision(c: _Checker, embargo: datetime | None) -> Callable[[dict[str, Any], str], Revision | None]:
    def build(m: dict[str, Any], fld: str) -> Revision | None:
        c.unknown_keys(m, ("date", "summary"), f"{fld}.")
        when = c.instant(m.get("date"), f"{fld}.date")
        # A revision records a change after publication; an earlier date is a typo that would reorder feeds.
        if when is not None and embargo is not None and when < embargo:
            c.add(f"{fld}.date", "is before embargo_until; a revision records a change after publication")
        summary = c.text(m.get("summary"), f"{fld}.summary")
        return Revision(when, summary) if when is not None and summary is not None else None
    return build


def _take_withdrawn(c: _Checker, value: Any, embargo: datetime | None) -> Withdrawal | None:
    if value is None:
        return None
    m = c.mapping(value, "withdrawn")
    if m is None:
        return None
    c.unknown_keys(m, ("date", "reason"), "withdrawn.")
    when = c.instant(m.get("date"), "withdrawn.date")
    reason = c.text(m.get("reason"), "withdrawn.reason")
    if when is not None and embargo is not None and when < embargo:
        c.add("withdrawn.date", "is before embargo_until; a withdrawal follows publication")
    return Withdrawal(when, reason) if when is not None and reason is not None else None


def _check_sections(c: _Checker, doc: SourceDoc) -> None:
    for title in REQUIRED_SECTIONS:
        text = section_text(doc.body, title)
        if text is None:
            c.problems.append(Problem(doc.path, doc.body_line, f"## {title}",
                                      f"section is missing; add a '## {title}' heading with its text"))
        elif not text.strip():
            c.problems.append(Problem(doc.path, doc.body_line + (section_line(doc.body, title) or 0), f"## {title}",
                                      "section is empty; write it before publication"))


def _check_narrative_urls(c: _Checker, doc: SourceDoc) -> None:
    """Every link, image and raw-HTML URL of the narrative must be http(s), mailto or relative: located here,
    where the author wrote it (the sanitiser would otherwise drop it from the published page unannounced)."""
    for found in links.urls(doc.body):
        problem = scheme_problem(found.url, _NARRATIVE_SCHEMES, relative=True)
        if problem is not None:
            c.problems.append(Problem(doc.path, doc.body_line + found.line, "body", f"{found.where} {problem}"))


@dataclass(frozen=True)
class Validated:
    """One document's validation, with what the rules that span documents need to know of it."""

    path: str
    ident: str | None
    """The ``id`` as written (stripped), valid or not: the uniqueness rule looks at every claimed ID."""
    id_line: int
    disclosure: Disclosure | None
    problems: tuple[Problem, ...]
    seal: str | None = None
    """The ``seal`` as written when well-formed, valid document or not: no two documents may share one."""
    seal_line: int = 1


def validate_one(doc: SourceDoc, settings: Settings) -> Validated:
    """``validate_doc``, plus what ``combine`` needs of the document; small, so it crosses processes cheaply."""
    raw_id = doc.meta.get("id")
    ident = raw_id.strip() if isinstance(raw_id, str) else None
    disclosure, found = validate_doc(doc, settings)
    raw_seal = doc.meta.get("seal")
    seal = raw_seal if isinstance(raw_seal, str) and SEAL.fullmatch(raw_seal) else None
    return Validated(doc.path, ident, doc.line("id"), disclosure, tuple(found), seal, doc.line("seal"))


def combine(results: Iterable[Validated]) -> tuple[tuple[Disclosure, ...], list[Problem]]:
    """The rules that span documents (unique IDs and seals), over every document's own validation, in path order."""
    problems: list[Problem] = []
    valid: list[Disclosure] = []
    seen: dict[str, str] = {}
    seals: dict[str, str] = {}
    for result in sorted(results, key=lambda r: r.path):
        if result.seal and result.seal in seals:
            # A shared salt makes two commitments guessable from one reveal: each secret gets its own.
            problems.append(Problem(result.path, result.seal_line, "seal",
                                    f"is the same as the seal of {seals[result.seal]}; each disclosure needs its "
                                    f"own random seal; {_SEAL_HOW}"))
        elif result.seal:
            seals[result.seal] = result.path
        ident = result.ident
        if ident and ident in seen:
            problems.append(Problem(result.path, result.id_line, "id",
                                    f"'{ident}' is already used by {seen[ident]}; IDs are never reused"))
        elif ident:
            seen[ident] = result.path
        problems.extend(result.problems)
        if result.disclosure is not None:
            valid.append(result.disclosure)
    return tuple(sorted(valid, key=lambda d: d.id)), problems


def validate_all(docs: Iterable[SourceDoc], settings: Settings) -> tuple[tuple[Disclosure, ...], list[Problem]]:
    """Validate every document, then the rules that span documents (unique IDs)."""
    return combine(validate_one(doc, settings) for doc in docs)


def page_gate_fields(path: str, meta: dict[str, Any], lines: dict[str, int]) -> tuple[datetime | None, bool,
                                                                                    list[Problem]]:
    """``embargo_until`` and ``draft`` of a content page, checked like a disclosure's: fail closed.

    ``template`` is refused (``PAGE_TEMPLATE_REFUSED``). A content page may carry any other key (MkDocs and
    Material read many), but one that is close to a gate key
    (``embargo_untill``, ``Embargo_Until``, ``draft_``) is an error, as it is in a disclosure: ignoring it
    would publish a page its author meant to hold back.
    """
    doc = SourceDoc(path, "", meta, lines, "", 1)
    c = _Checker(doc)
    for key, meant in near_gate_keys(meta):
        c.add(key, f"unknown field; did you mean '{meant}'?")
    if PAGE_TEMPLATE_KEY in meta:
        c.add(PAGE_TEMPLATE_KEY, PAGE_TEMPLATE_REFUSED)
    draft = _take_draft(c, meta.get("draft"))
    embargo = c.instant(meta["embargo_until"], "embargo_until") if meta.get("embargo_until") is not None else None
    if "embargo_until" in meta and meta["embargo_until"] is None:
        c.add("embargo_until", "is empty; give an instant such as 2026-12-01T12:00:00Z or remove the field")
    return embargo, draft, c.problems


PAGE_GATE_KEYS = ("embargo_until", "draft")

PAGE_TEMPLATE_KEY = "template"
PAGE_TEMPLATE_REFUSED = ("a content page cannot choose its template (the theme's templates are reviewed as code, "
                         "and most of them cannot render a page); remove the field")
"""MkDocs renders a page with the template its metadata names: a partial, a missing name or the publisher's own
``osqi-prerendered.html`` would fail the build halfway, and any other would publish the page as something else
(``sitemap.xml``). Refused outright on every content page, rather than checked against the theme folders."""


def near_gate_keys(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """``(key, gate key)`` for each key of ``meta`` that is not a gate key but close to one.

    Keys are compared folded: case, and every character that is not a letter or digit (``_``, ``-``, spaces,
    invisible characters) ignored, then by similarity as for unknown disclosure fields; a key holding a gate
    key's first word (``embargoed``, ``drafted``) counts as close too.
    """
    folded = {_fold_key(k): k for k in PAGE_GATE_KEYS}
    found = []
    for key in meta:
        if not isinstance(key, str) or key in PAGE_GATE_KEYS:
            continue
        f = _fold_key(key)
        hint = folded.get(f) or folded.get(_closest(f, tuple(folded)) or "")
        if hint is None:
            hint = next((k for k in PAGE_GATE_KEYS if k.split("_")[0] in f), None)
        if hint is not None:
            found.append((key, hint))
    return found


def _fold_key(key: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", key).casefold() if ch.isalnum())
