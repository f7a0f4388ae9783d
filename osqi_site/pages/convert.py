"""Markdown to sanitised HTML for generated pages, in parallel, keyed by content hash so unchanged pages are reused."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import markdown
import orjson

from osqi_site import __version__
from osqi_site.build.pool import map_chunks
from osqi_site.core import sanitize
from osqi_site.pages.generated import PLACEHOLDER

CHUNK = 64
"""Pages per task: large enough that process hand-over costs little, small enough to balance two cores."""


@dataclass(frozen=True)
class Converted:
    html: str
    toc: list[dict[str, Any]]
    """Python-Markdown's ``toc_tokens``, from which the renderer builds the page's table of contents."""


@dataclass(frozen=True)
class Recipe:
    """The Markdown extensions and their settings: part of every cache key, so a config change re-renders."""

    extensions: tuple[Any, ...]
    configs: Mapping[str, Any]

    def fingerprint(self) -> str:
        described = json.dumps([[repr(e) if not isinstance(e, str) else e for e in self.extensions],
                                self.configs, markdown.__version__, __version__, sanitize.fingerprint()],
                               sort_keys=True, default=repr)
        return hashlib.sha256(described.encode()).hexdigest()


def cache_key(text: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()


def to_html(text: str, recipe: Recipe) -> Converted:
    """One text with a Markdown instance of its own (what ``convert_many`` must match)."""
    return _convert(_markdown(recipe), text)


def convert_many(texts: Sequence[str], recipe: Recipe, *, parallel: bool = True) -> list[Converted]:
    """Convert every text, on every core when there are enough of them to pay for the processes."""
    # One Markdown instance per process, reset between texts (as Python-Markdown intends), instead of one
    # per text: building it costs about a tenth of converting a page. A forked worker starts from an
    # empty copy of ``made`` and builds its own; it inherits the imported extensions.
    made: dict[int, markdown.Markdown] = {}

    def one(text: str) -> Converted:
        md = made.get(os.getpid())
        if md is None:
            md = made[os.getpid()] = _markdown(recipe)
        return _convert(md.reset(), text)

    return map_chunks(one, texts, chunk=CHUNK, parallel=parallel)


def _markdown(recipe: Recipe) -> markdown.Markdown:
    return markdown.Markdown(extensions=list(recipe.extensions), extension_configs=dict(recipe.configs))


def _convert(md: markdown.Markdown, text: str) -> Converted:
    """Convert, then sanitise (``sanitize``): a narrative's raw HTML and links are cleaned here, once per page
    and cached; the page's blocks go in later, at the placeholders the sanitiser leaves in place."""
    html = sanitize.clean_around(md.convert(text), PLACEHOLDER)
    return Converted(html, _clean_toc(list(getattr(md, "toc_tokens", []))))


def _clean_toc(tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table of contents with every title reduced to escaped text: themes print ``name`` as HTML."""
    out = []
    for token in tokens:
        token = dict(token)
        for field in ("name", "html", "data-toc-label"):
            if isinstance(token.get(field), str):
                token[field] = sanitize.clean_text(token[field])
        token["children"] = _clean_toc(list(token.get("children", [])))
        out.append(token)
    return out


def dump(converted: Converted) -> bytes:
    return orjson.dumps({"html": converted.html, "toc": converted.toc}, option=orjson.OPT_SORT_KEYS)


def load(data: bytes) -> Converted:
    obj = orjson.loads(data)
    return Converted(str(obj["html"]), list(obj["toc"]))
