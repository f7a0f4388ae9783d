"""Generated pages' Markdown converted as builds do it: on every core, kept in the build cache by content hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence

import orjson

from osqi_site.build.cache import BuildCache
from osqi_site.build.pool import map_chunks
from osqi_site.pages import generated
from osqi_site.pages.convert import Converted, Converter, Recipe

CHUNK = 64
"""Pages per task: large enough that process hand-over costs little, small enough to balance two cores."""


def converted(pages: Sequence[generated.Page], recipe: Recipe, cache: BuildCache, *,
              parallel: bool = True) -> dict[str, Converted]:
    """Each page's body converted (``convert.to_html``), by source path: from ``cache`` when the body and the
    recipe are unchanged, else on every core."""
    fingerprint = recipe.fingerprint()
    bodies = {p.src_path: p.body for p in pages}
    keys = {src: cache_key(body, fingerprint) for src, body in bodies.items()}

    convert = _per_process(recipe)

    def make(todo: list[str]) -> list[Converted]:
        return [convert(bodies[src]) for src in todo]

    return cache.through("pages", keys, load, dump, make, parallel=parallel)


def convert_many(texts: Sequence[str], recipe: Recipe, *, parallel: bool = True) -> list[Converted]:
    """``[convert.to_html(t, recipe) for t in texts]``, on every core when there are enough texts to pay for the
    processes."""
    return map_chunks(_per_process(recipe), texts, chunk=CHUNK, parallel=parallel)


def _per_process(recipe: Recipe) -> Callable[[str], Converted]:
    """``convert.to_html(text, recipe)`` with one Converter (one Markdown instance) per process instead of one
    per text. A forked worker starts from an empty copy of ``made`` and builds its own; it inherits the
    imported extensions."""
    made: dict[int, Converter] = {}

    def one(text: str) -> Converted:
        converter = made.get(os.getpid())
        if converter is None:
            converter = made[os.getpid()] = Converter(recipe)
        return converter(text)

    return one


def cache_key(text: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()


def dump(page: Converted) -> bytes:
    return orjson.dumps({"html": page.html, "toc": page.toc}, option=orjson.OPT_SORT_KEYS)


def load(data: bytes) -> Converted:
    obj = orjson.loads(data)
    return Converted(str(obj["html"]), list(obj["toc"]))
