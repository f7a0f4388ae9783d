"""OSV 1.7.5 export: one record per public disclosure (``osv/<ID>.json``) and the ``osv/all.json`` array."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from osqi_site.core.ecosystems import GIT
from osqi_site.core.jsondata import thaw
from osqi_site.core.model import Affected, Disclosure, Range
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import iso_z
from osqi_site.core.versions import range_type
from osqi_site.formats.absolute_links import absolute_markdown

SCHEMA_VERSION = "1.7.5"

SUMMARY_MAX = 120
"""The OSV spec's recommended longest ``summary``."""


def dump_json(obj: object) -> bytes:
    """The one JSON spelling of every export: sorted keys, 2-space indent, UTF-8, final newline.

    That spelling is ``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False)``, whose ``indent``
    makes it run in pure Python (half the cost of a disclosure's outputs at 10,000). orjson writes the same
    bytes many times faster, except for what it spells differently or accepts where json refuses:
    exponent floats (``1e-05``), NaN and infinities, integers beyond 64 bits, non-string keys,
    dataclasses and dates. Those go to json, so the output never depends on which encoder ran (a
    property test holds the two to the same bytes).
    """
    if orjson_spells_it_alike(obj):
        try:
            return orjson.dumps(obj, option=_ORJSON)
        except orjson.JSONEncodeError:
            pass  # json gives the answer (or the error) it always gave
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


_ORJSON = (orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
           | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS)


def orjson_spells_it_alike(obj: object) -> bool:
    """False if ``obj`` holds a float that Python writes with an exponent, or that is not finite."""
    todo = [obj]
    while todo:
        x = todo.pop()
        if isinstance(x, dict):
            inside: Iterable[object] = x.values()
        elif isinstance(x, list | tuple):
            inside = x
        else:
            if isinstance(x, float) and (not math.isfinite(x) or "e" in repr(x)):
                return False
            continue
        for v in inside:
            if type(v) is not str:  # a plain string (most of every record) is neither container nor float
                todo.append(v)
    return True


def osv_record(d: Disclosure, settings: Settings) -> dict[str, Any]:
    """The OSV record of a public disclosure as it stands (apply the gate's ``as_of`` first)."""
    page = settings.url(f"disclosures/{d.id}/")
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": d.id,
        "modified": iso_z(d.modified),
        "published": iso_z(d.published),
    }
    if d.withdrawn is not None:
        record["withdrawn"] = iso_z(d.withdrawn.date)
    if d.aliases:
        record["aliases"] = list(d.aliases)
    if d.related:
        record["related"] = list(d.related)
    if d.upstream:
        record["upstream"] = list(d.upstream)
    record["summary"] = _summary(d)
    record["details"] = _details(d, page)
    if d.severity:
        record["severity"] = [{"type": s.type, "score": s.vector} for s in d.severity]
    if d.affected:
        record["affected"] = [_affected(a) for a in d.affected]
    record["references"] = _references(d, page)
    if d.credits:
        record["credits"] = [_credit(c.name, c.type, c.contact) for c in d.credits]
    record["database_specific"] = _database_specific(d, page)
    return record


def osv_files(public: Sequence[Disclosure], settings: Settings) -> dict[str, bytes]:
    """``osv/<ID>.json`` for every public disclosure and ``osv/all.json``, the array of all records by id."""
    return osv_tree((d.id, record_json(d, settings)) for d in public)


def record_json(d: Disclosure, settings: Settings) -> bytes:
    """The bytes of ``osv/<ID>.json``: one record, serialised."""
    return dump_json(osv_record(d, settings))


def osv_tree(records: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """``osv/<ID>.json`` of each ``(ID, record_json)`` and ``osv/all.json``, their array by ID; each record
    is serialised once, the bulk file assembled from those bytes."""
    files: dict[str, bytes] = {}
    for ident, record in sorted(records, key=lambda x: x[0]):
        path = f"osv/{ident}.json"
        if path in files:
            raise ValueError(f"{ident} appears twice among the public disclosures")
        files[path] = record
    files["osv/all.json"] = _join_array(list(files.values()))
    return files


def _join_array(items: Sequence[bytes]) -> bytes:
    """``dump_json(list)`` assembled from already-dumped items: each record is serialised once, not twice."""
    if not items:
        return dump_json([])
    indented = [b"\n".join(b"  " + line for line in item.rstrip(b"\n").split(b"\n")) for item in items]
    return b"[\n" + b",\n".join(indented) + b"\n]\n"


def _summary(d: Disclosure) -> str:
    """The title; for a withdrawn record the reason, since the spec puts the withdrawal's rationale here.

    One line of at most ``SUMMARY_MAX`` characters (cut at a word, ``…``); the whole reason is in ``details``
    (first) and ``database_specific.withdrawn``.
    """
    if d.withdrawn is None:
        return d.title
    text = "Withdrawn: " + " ".join(d.withdrawn.reason.split())
    if len(text) <= SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _details(d: Disclosure, page: str) -> str:
    """The narrative, links made absolute against the disclosure's page (so attachments resolve anywhere)."""
    parts = []
    if d.withdrawn is not None:
        parts.append(f"**Withdrawn:** {d.withdrawn.reason.strip()}")
    parts.append(absolute_markdown(d.body.strip(), page))
    return "\n\n".join(p for p in parts if p)


def _affected(a: Affected) -> dict[str, Any]:
    """One OSV ``affected`` entry; the author's ``ecosystem_specific`` and ``database_specific`` go out unchanged.

    Validation keeps the author's ``database_specific`` clear of the keys written here (``repo``, ``package``,
    ``purl``), so merging the two never overwrites either.
    """
    out: dict[str, Any] = {}
    ours: dict[str, Any] = {}
    if a.ecosystem == GIT:
        # Not an OSV ecosystem: the upstream is identified by its repository, kept in database_specific.
        extra = {"repo": a.repo, "package": a.package, "purl": a.purl}
        ours = {k: v for k, v in extra.items() if v is not None}
    else:
        package = {"ecosystem": a.ecosystem, "name": a.package}
        if a.purl:
            package["purl"] = a.purl
        out["package"] = package
        if a.repo:
            ours = {"repo": a.repo}
    database = {**(thaw(a.database_specific) if a.database_specific else {}), **ours}
    if database:
        out["database_specific"] = database
    if a.ecosystem_specific:
        out["ecosystem_specific"] = thaw(a.ecosystem_specific)
    if a.ranges:
        out["ranges"] = [_range(a, r) for r in a.ranges]
    if a.versions:
        out["versions"] = list(a.versions)
    return out


def _range(a: Affected, r: Range) -> dict[str, Any]:
    """One OSV range: ``introduced`` first, then the end of the range; every event object has one key."""
    events: list[dict[str, str]] = [{"introduced": r.introduced}]
    if r.fixed is not None:
        events.append({"fixed": r.fixed})
    elif r.last_affected is not None:
        events.append({"last_affected": r.last_affected})
    # GIT for commits, SEMVER where the ecosystem's versions are SemVer, else ECOSYSTEM (versions.range_type);
    # validation refuses a range whose versions do not fit its type (a GIT upstream's "8.5p1").
    kind = range_type(a, r)
    out: dict[str, Any] = {"type": kind, "events": events}
    if kind == "GIT":
        out["repo"] = a.repo
    return out


def _references(d: Disclosure, page: str) -> list[dict[str, str]]:
    """Our page (ADVISORY) first, then the author's references, then each repo (PACKAGE); one per URL."""
    candidates = [("ADVISORY", page), *((r.type, r.url) for r in d.references),
                  *(("PACKAGE", a.repo) for a in d.affected if a.repo)]
    seen: set[str] = set()
    out = []
    for kind, url in candidates:
        if url not in seen:
            seen.add(url)
            out.append({"type": kind, "url": url})
    return out


def _credit(name: str, kind: str, contact: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind}
    if contact:
        out["contact"] = list(contact)
    return out


def _database_specific(d: Disclosure, page: str) -> dict[str, Any]:
    out: dict[str, Any] = {"url": page}
    if d.cwe:
        out["cwe_ids"] = list(d.cwe)
    if d.severity:
        out["severity"] = [{"type": s.type, "vector": s.vector, "score": s.score, "rating": s.rating}
                           for s in d.severity]
    if d.timeline:
        out["timeline"] = [_timeline_event(e.date, e.event, e.note) for e in d.timeline]
    if d.revisions:
        out["revisions"] = [{"date": iso_z(r.date), "summary": r.summary} for r in d.revisions]
    if d.withdrawn is not None:
        out["withdrawn"] = {"date": iso_z(d.withdrawn.date), "reason": d.withdrawn.reason}
    return out


def _timeline_event(when: date | datetime, event: str, note: str) -> dict[str, str]:
    out = {"date": iso_z(when) if isinstance(when, datetime) else when.isoformat(), "event": event}
    if note:
        out["note"] = note
    return out
