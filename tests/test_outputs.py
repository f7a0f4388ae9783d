"""A disclosure's own outputs: the same bytes made serially, in parallel or read back from the cache."""

from __future__ import annotations

from dataclasses import replace

from factory import NOW, SETTINGS, make_disclosure

from osqi_site.build import outputs, pipeline
from osqi_site.core.gate import publish
from osqi_site.core.model import Disclosure


def _many(n: int) -> list[Disclosure]:
    return [make_disclosure(id=f"OSQI-2026-{i:04d}", title=f"Overflow number {i}") for i in range(1, n + 1)]


def test_parallel_serial_and_cached_outputs_are_identical() -> None:
    items = _many(250)  # enough for the worker processes (parallel.MIN_ITEMS)
    serial = outputs.make_many(items, SETTINGS, parallel=False)
    parallel = outputs.make_many(items, SETTINGS, parallel=True)
    assert parallel == serial
    assert [outputs.load(outputs.dump(o)) for o in serial] == serial


def test_build_outputs_with_precomputed_parts_gives_the_same_site() -> None:
    pub = publish(tuple(_many(5)), NOW)
    own = {d.id: outputs.make(d, SETTINGS) for d in pub.public}
    assert pipeline.build_outputs(pub, SETTINGS, own) == pipeline.build_outputs(pub, SETTINGS)


def test_cache_key_follows_the_disclosure_the_settings_and_the_code() -> None:
    d = make_disclosure()
    key = outputs.cache_key(d, SETTINGS, "code")
    assert outputs.cache_key(d, SETTINGS, "code") == key
    assert outputs.cache_key(replace(d, title=d.title + "!"), SETTINGS, "code") != key
    assert outputs.cache_key(d, replace(SETTINGS, site_url="https://other.example/"), "code") != key
    assert outputs.cache_key(d, SETTINGS, "other code") != key
