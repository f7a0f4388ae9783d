"""A disclosure's own outputs, and the site made of them: the same bytes made serially, on every core, read
back from the cache or kept by serve, and the same files as the formats' plain functions make."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factory import NOW, SETTINGS, make_disclosure

from osqi_site.build import outputs, pipeline
from osqi_site.build.cache import BuildCache
from osqi_site.core.gate import Publication, publish
from osqi_site.core.model import Disclosure, Withdrawal
from osqi_site.formats import csaf, cve, osv


def _many(n: int) -> list[Disclosure]:
    return [make_disclosure(id=f"OSQI-2026-{i:04d}", title=f"Overflow number {i}", aliases=[f"CVE-2026-{10000 + i}"])
            for i in range(1, n + 1)]


def _site_publication(n: int) -> Publication:
    """``n`` public disclosures, one of them a withdrawn duplicate of another's CVE."""
    dup = make_disclosure(id=f"OSQI-2026-{n + 1:04d}", aliases=["CVE-2026-10001"],
                          withdrawn=Withdrawal(datetime(2026, 11, 10, tzinfo=UTC), "Duplicate."))
    return publish((*_many(n), dup), NOW)


LINKS = {"OSQI-2026-0002": (("Example project", "projects/example/"),)}


def test_parallel_serial_and_cached_outputs_are_identical() -> None:
    items = _many(250)  # enough for the worker processes (parallel.MIN_ITEMS)
    serial = outputs.make_many(items, SETTINGS, parallel=False)
    parallel = outputs.make_many(items, SETTINGS, parallel=True)
    assert parallel == serial
    assert [outputs.load(outputs.dump(o)) for o in serial] == serial


@pytest.mark.parametrize("serving", [False, True])
def test_the_site_as_builds_make_it_is_the_plain_site(tmp_path: Path, serving: bool) -> None:
    pub = _site_publication(250)  # enough for the worker processes (pool.MIN_ITEMS)
    plain = pipeline.build_outputs(pub, SETTINGS, LINKS)
    runs: list[BuildCache] = []
    for _ in range(3):  # made on every core, then read back (from the database, or kept in memory by serve)
        cache = BuildCache() if not serving or not runs else runs[-1]
        cache.open(tmp_path, serving=serving)
        runs.append(cache)
        assert outputs.site(pub, SETTINGS, LINKS, cache, "code") == plain
    assert any("Example project" in html for p in plain.pages for _, html in p.blocks)


def test_serve_remakes_a_disclosure_whose_projects_changed(tmp_path: Path) -> None:
    pub = _site_publication(3)
    cache = BuildCache()
    for links in (LINKS, {}, {"OSQI-2026-0002": (("Renamed project", "projects/renamed/"),)}, LINKS):
        cache.open(tmp_path, serving=True)  # one object from reload to reload, as serve keeps it
        assert outputs.site(pub, SETTINGS, links, cache, "code") == pipeline.build_outputs(pub, SETTINGS, links)


def test_the_sites_exports_are_what_the_formats_plain_functions_make() -> None:
    pub = _site_publication(5)
    files = pipeline.build_outputs(pub, SETTINGS).files
    for plain in (osv.osv_files(pub.public, SETTINGS), csaf.csaf_files(pub.public, SETTINGS, NOW),
                  cve.cve_files(pub.public, SETTINGS)):
        assert plain and {path: files[path] for path in plain} == plain
    assert b"rejectedReasons" not in files["cve/CVE-2026-10001.json"]  # the live owner's, not the duplicate's


def test_cache_key_follows_the_disclosure_the_settings_and_the_code() -> None:
    d = make_disclosure()
    key = outputs.cache_key(d, SETTINGS, "code")
    assert outputs.cache_key(d, SETTINGS, "code") == key
    assert outputs.cache_key(replace(d, title=d.title + "!"), SETTINGS, "code") != key
    assert outputs.cache_key(d, replace(SETTINGS, site_url="https://other.example/"), "code") != key
    assert outputs.cache_key(d, SETTINGS, "other code") != key
