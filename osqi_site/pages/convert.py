"""Markdown to sanitised HTML for generated pages, with the site's own Markdown extensions and their settings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import markdown

from osqi_site import __version__
from osqi_site.core import sanitize
from osqi_site.pages.generated import PLACEHOLDER


@dataclass(frozen=True)
class Converted:
    html: str
    toc: list[dict[str, Any]]
    """Python-Markdown's ``toc_tokens``, from which the renderer builds the page's table of contents."""


@dataclass(frozen=True)
class Recipe:
    """The Markdown extensions and their settings; its ``fingerprint`` is part of every cache key of converted pages,
    so a config change converts them again."""

    extensions: tuple[Any, ...]
    configs: Mapping[str, Any]

    def fingerprint(self) -> str:
        described = json.dumps([[repr(e) if not isinstance(e, str) else e for e in self.extensions],
                                self.configs, markdown.__version__, __version__, sanitize.fingerprint()],
                               sort_keys=True, default=repr)
        return hashlib.sha256(described.encode()).hexdigest()


def to_html(text: str, recipe: Recipe) -> Converted:
    """One text with a Markdown instance of its own."""
    return Converter(recipe)(text)


class Converter:
    """Converts text after text with one Markdown instance, reset between texts (as Python-Markdown intends):
    building an instance costs about a tenth of converting a page. Each text converts as with ``to_html``."""

    def __init__(self, recipe: Recipe) -> None:
        self._md = markdown.Markdown(extensions=list(recipe.extensions), extension_configs=dict(recipe.configs))

    def __call__(self, text: str) -> Converted:
        """Convert, then sanitise (``sanitize``): a narrative's raw HTML and links are cleaned here, once per page
        and cached; the page's blocks go in later, at the placeholders the sanitiser leaves in place."""
        md = self._md.reset()
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
