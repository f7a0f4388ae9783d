"""Each public disclosure's own outputs (page, OSV record, CSAF advisory, CVE container): made on every core, cached."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from osqi_site.build import pipeline
from osqi_site.build.cache import BuildCache
from osqi_site.build.memo import Memo
from osqi_site.build.pool import map_chunks
from osqi_site.core import gate
from osqi_site.core.model import Disclosure
from osqi_site.core.settings import Settings
from osqi_site.formats import csaf, cve, osv, search
from osqi_site.pages import generated


@dataclass(frozen=True)
class DisclosureOutput:
    id: str
    page: generated.Page
    osv: bytes
    """``osv/<ID>.json``."""
    csaf_path: str
    """Where the advisory goes below the CSAF directory (``<YYYY>/<file>.json``)."""
    csaf: bytes
    search: dict[str, str]
    """Its one entry in the search index (``search.search_entry``)."""
    cve: bytes = b""
    """Its CVE JSON 5 CNA container (``cve.cna_container``), when it carries a CVE alias; else empty."""


CHUNK = 32
"""Disclosures per task: their outputs are large, and smaller tasks keep both cores busy to the end."""

ProjectLinks = tuple[tuple[str, str], ...]
"""``(name, site-relative folder)`` of each project a disclosure belongs to (``projects.disclosure_links``)."""


def make(d: Disclosure, settings: Settings, projects: ProjectLinks = ()) -> DisclosureOutput:
    """Everything that depends on this one disclosure alone (pass only disclosures the gate made public)."""
    container = cve.container_json(d, settings) if cve.cve_ids(d) else b""
    return DisclosureOutput(d.id, generated.disclosure_page(d, generated.DATA_LINKS, projects),
                            osv.record_json(d, settings), csaf.advisory_path(d), csaf.advisory_json(d, settings),
                            search.search_entry(d), container)


def cache_key(d: Disclosure, settings: Settings, code: str, projects: ProjectLinks = ()) -> str:
    """The key of a disclosure's outputs: the disclosure as gated, its projects, the settings and the code.

    Frozen dataclasses print every field, so their ``repr`` is a complete description of the input.
    """
    extra = f"\0{projects!r}" if projects else ""  # without projects, the keys of earlier versions
    return hashlib.sha256(f"{code}\0{settings!r}\0{d!r}{extra}".encode("utf-8", "surrogatepass")).hexdigest()


def dump(out: DisclosureOutput) -> bytes:
    return orjson.dumps({"id": out.id, "src": out.page.src_path, "markdown": out.page.markdown,
                         "blocks": out.page.blocks, "osv": out.osv.decode("utf-8"), "csaf_path": out.csaf_path,
                         "csaf": out.csaf.decode("utf-8"), "search": out.search, "cve": out.cve.decode("utf-8")})


def load(data: bytes) -> DisclosureOutput:
    obj = orjson.loads(data)
    page = generated.Page(str(obj["src"]), str(obj["markdown"]),
                       tuple((str(p), str(b)) for p, b in obj["blocks"]))
    entry = {str(k): str(v) for k, v in obj["search"].items()}
    return DisclosureOutput(str(obj["id"]), page, str(obj["osv"]).encode("utf-8"), str(obj["csaf_path"]),
                            str(obj["csaf"]).encode("utf-8"), entry, str(obj["cve"]).encode("utf-8"))


def make_many(todo: Sequence[Disclosure], settings: Settings, *, parallel: bool = True,
              projects: Mapping[str, ProjectLinks] | None = None) -> list[DisclosureOutput]:
    """``make`` for each disclosure, on every core when there are enough to pay for the processes."""
    links = projects or {}
    return map_chunks(lambda d: make(d, settings, links.get(d.id, ())), todo, chunk=CHUNK, parallel=parallel)


def site(pub: gate.Publication, settings: Settings, projects: Mapping[str, ProjectLinks], cache: BuildCache,
         code: str, *, parallel: bool = True) -> pipeline.SiteOutput:
    """``pipeline.build_outputs``, each disclosure's own outputs from ``cache`` or made on every core (``made``)."""
    return pipeline.assemble(pub, settings, made(pub, settings, projects, cache, code, parallel=parallel))


KEYS = "output keys"
"""The name ``serve`` keeps the output keys under in the build cache (``BuildCache.kept``)."""


def made(pub: gate.Publication, settings: Settings, projects: Mapping[str, ProjectLinks], cache: BuildCache,
         code: str, *, parallel: bool = True) -> dict[str, DisclosureOutput]:
    """Each public disclosure's own outputs by ID, as ``make`` makes them: from ``cache`` when the disclosure,
    its projects, the settings and the ``code`` are unchanged, else made on every core, as ``make_many`` does."""
    public = {d.id: d for d in pub.public}
    links = {d.id: projects.get(d.id, ()) for d in pub.public}

    def key_each(ds: Sequence[Disclosure]) -> list[str]:
        return [cache_key(d, settings, code, links[d.id]) for d in ds]

    # serve: a disclosure whose file is unchanged is the same object on the next reload, and keeps its key.
    memo = cache.kept(KEYS, Memo[Disclosure, str])
    ds = list(public.values())
    found = key_each(ds) if memo is None else memo.map(key_each, ds, context=(settings, code),
                                                      tag=lambda d: links[d.id])
    keys = dict(zip(public, found, strict=True))

    def make_todo(todo: list[str]) -> list[DisclosureOutput]:
        return [make(public[i], settings, links[i]) for i in todo]

    return cache.through("outputs", keys, load, dump, make_todo, parallel=parallel)
