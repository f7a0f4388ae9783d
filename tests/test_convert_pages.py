"""Generated pages converted as builds do it (on every core, through the build cache): what plain conversion gives."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from test_convert import RECIPE, TEXTS

from osqi_site.build import convert_pages, pool
from osqi_site.build.cache import BuildCache
from osqi_site.pages import convert, generated


def _texts(n: int) -> list[str]:
    return [f"## Part {i}\n\nParagraph {i}.\n" + TEXTS[i % len(TEXTS)] for i in range(n)]


@pytest.mark.parametrize("parallel", [True, False])
def test_conversion_on_every_core_keeps_order_and_output(parallel: bool) -> None:
    texts = _texts(300)
    assert convert_pages.convert_many(texts, RECIPE, parallel=parallel) == [convert.to_html(t, RECIPE) for t in texts]


def test_conversion_on_every_core_really_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    if (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        pytest.skip("needs two cores and a single-threaded test process")
    real = pool.map_chunks
    pids: set[int] = set()

    def spy(fn: Callable[[Any], Any], items: Sequence[Any], **kw: Any) -> list[Any]:
        tagged = real(lambda x: (fn(x), os.getpid()), items, **kw)
        pids.update(pid for _, pid in tagged)
        return [r for r, _ in tagged]

    monkeypatch.setattr(convert_pages, "map_chunks", spy)
    texts = _texts(300)
    assert convert_pages.convert_many(texts, RECIPE) == [convert.to_html(t, RECIPE) for t in texts]
    assert len(pids) >= 2 and os.getpid() not in pids


def test_pages_through_the_cache_are_the_plainly_converted_pages(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [generated.Page(f"p{i}.md", f'---\n"title": "P{i}"\n---\n{t}') for i, t in enumerate(_texts(40))]
    plain = {p.src_path: convert.to_html(p.body, RECIPE) for p in pages}
    cache = BuildCache()
    cache.open(tmp_path, serving=False)
    assert convert_pages.converted(pages, RECIPE, cache) == plain  # made now
    again = BuildCache()
    again.open(tmp_path, serving=False)
    made: list[str] = []
    real = convert.Converter.__call__

    def counting(self: convert.Converter, text: str) -> convert.Converted:
        made.append(text)
        return real(self, text)

    monkeypatch.setattr(convert.Converter, "__call__", counting)
    edited = [*pages[:-1], generated.Page("p39.md", pages[-1].markdown + "\nEdited.\n")]
    out = convert_pages.converted(edited, RECIPE, again)  # read back, but for the edited page
    assert made == [edited[-1].body]
    assert out == {p.src_path: convert.to_html(p.body, RECIPE) for p in edited}


def test_a_converted_page_reads_back_as_it_was() -> None:
    for t in TEXTS:
        page = convert.to_html(t, RECIPE)
        assert convert_pages.load(convert_pages.dump(page)) == page


def test_the_cache_key_follows_the_text_and_the_recipe() -> None:
    other = convert.Recipe(("toc",), {}).fingerprint()
    key = convert_pages.cache_key(TEXTS[0], RECIPE.fingerprint())
    assert key == convert_pages.cache_key(TEXTS[0], RECIPE.fingerprint())
    assert key != convert_pages.cache_key(TEXTS[1], RECIPE.fingerprint())
    assert key != convert_pages.cache_key(TEXTS[0], other)
