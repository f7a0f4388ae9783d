"""MkDocs glue for generated pages: no second Markdown pass, theme HTML rendered on every core and cached."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import orjson
from markupsafe import Markup
from mkdocs.commands.build import get_context
from mkdocs.config import base
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import PluginCollection
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, get_toc
from mkdocs.theme import Theme
from mkdocs.utils import meta as mkdocs_meta

from osqi_site import __version__
from osqi_site.build.pool import MIN_ITEMS, map_chunks
from osqi_site.core import sanitize
from osqi_site.formats.osv import orjson_spells_it_alike
from osqi_site.pages import convert, generated

PRERENDERED_TEMPLATE = "osqi-prerendered.html"
"""A one-line template that prints a page's HTML rendered earlier, in a worker or a previous build."""

CHUNK = 32
"""Pages per worker task."""

RENEW_EVERY = 2048
"""Pages after which the rendering workers are replaced: rendering a page touches its objects, inherited from
the parent, so each worker's copy-on-write memory grows with the pages it rendered (about 35 KB a page)."""

STALE_AFTER = 24 * 3600
"""Seconds after which a cached render that no build used is deleted (a preview or serve may still want it)."""

_TOOLS = ("mkdocs", "mkdocs-material", "jinja2", "markupsafe", "markdown", "pymdown-extensions")


@functools.lru_cache(maxsize=4096)
def translated(lang: Any, fallback: Any, key: str) -> Any:
    """What Material's ``partials/language.html`` prints for ``key``: the site language's text, else English's,
    else the key. Kept per language module and key: Jinja imports the language files without context and keeps
    the module it made, so the same module gives the same text for a key."""
    return lang.t(key) or fallback.t(key) or key


class GeneratedPage(Page):
    """A disclosure or listing page: Markdown already converted (in parallel or from the cache)."""

    def __init__(self, file: File, config: MkDocsConfig, source: generated.Page,
                 converted: convert.Converted | None, title: str | None = None) -> None:
        self._toc_tokens: list[dict[str, Any]] | None = None
        self._toc: Any = []
        super().__init__(title, file, config)
        self.osqi = source
        self.converted = converted
        self.rendered: Path | None = None
        """The cached file holding this page's finished theme HTML, once it exists."""

    def read_source(self, config: MkDocsConfig) -> None:
        source = config.plugins.on_page_read_source(page=self, config=config)
        if source is not None:  # another plugin supplies the source: behave exactly like MkDocs
            self.markdown, self.meta = mkdocs_meta.get_data(source)
            self.converted = None
            return
        self.markdown, self.meta = self.osqi.body, self.osqi.meta

    def render(self, config: MkDocsConfig, files: Files) -> None:
        if self.converted is None:  # another plugin supplied the source, and MkDocs converted it
            super().render(config, files)
            self.content = sanitize.clean_around(self.content or "", generated.PLACEHOLDER)  # as convert.py does
            return
        self.content = self.converted.html
        # Built when a theme first reads it: a page rendered earlier and taken from the cache never needs it.
        self._toc, self._toc_tokens = None, self.converted.toc
        self.converted = None  # content holds it now

    @property
    def toc(self) -> Any:
        if self._toc is None:
            self._toc = get_toc(self._toc_tokens or [])  # type: ignore[arg-type]  # Python-Markdown's tokens
        return self._toc

    @toc.setter
    def toc(self, value: Any) -> None:
        self._toc, self._toc_tokens = value, None

    def toc_description(self) -> Any:
        """What the table of contents holds, without building it when it is still Python-Markdown's tokens."""
        return self._toc_tokens if self._toc is None else _describe_toc(self._toc)

    def finish(self, html: str) -> str:
        """The converted page with its blocks put in; they are not needed after, so they are let go."""
        html = self.osqi.finish(html)
        self.osqi = generated.Page(self.osqi.src_path, "")
        return html

    def prerendered_html(self) -> Markup:
        """Called by the one-line template: the page as rendered by the theme, read once and released."""
        assert self.rendered is not None
        return Markup(self.rendered.read_text(encoding="utf-8"))

    def release(self) -> None:
        """Drop the page's text once written: thousands of pages would otherwise stay in memory."""
        self.content = ""  # not None: page events (Material's search) expect text
        self.markdown = ""  # not None: MkDocs takes that for "never read" and loses the title


# -- fingerprints ------------------------------------------------------------------------------------------


def theme_fingerprint(config: MkDocsConfig, nav: Navigation) -> str:
    """Everything besides the page itself that the theme's HTML of a page can depend on."""
    described = {
        "config": {k: _describe(v) for k, v in sorted(config.items()) if k not in _NOT_RENDERED},
        "theme_files": [_dir_digest(Path(d)) for d in config.theme.dirs],
        "nav": _describe_nav(nav.items),
        "homepage": nav.homepage.url if nav.homepage else None,
        "tools": {name: _version(name) for name in _TOOLS},
        "osqi": [__version__, code_digest()],
        # MkDocs puts the build date (SOURCE_DATE_EPOCH, which the plugin pins) into every page context.
        "build_date": os.environ.get("SOURCE_DATE_EPOCH"),
    }
    return _sha(json.dumps(described, sort_keys=True, default=_unstable))


_NOT_RENDERED = {"site_dir", "watch", "config_file_path"}
"""Config keys no page's HTML reads: the output folder (a fresh temporary folder each build), files to watch."""


def page_key(page: GeneratedPage, theme: str) -> str:
    """The cache key of a page's rendered HTML: the theme fingerprint and every page attribute a theme reads."""
    small = {
        "uri": page.file.src_uri, "url": page.url, "canonical": page.canonical_url, "edit": page.edit_url,
        "title": page.title, "meta": page.meta, "update_date": page.update_date, "homepage": page.is_homepage,
        "parent": page.parent.title if page.parent else None,
        "previous": page.previous_page.url if page.previous_page else None,
        "next": page.next_page.url if page.next_page else None,
    }
    digest = hashlib.sha256(theme.encode())
    digest.update(_key_json(small))
    digest.update(b"\0")
    # Python-Markdown's tokens (or the toc built from them) hold only text, integers, lists and dicts, which
    # orjson spells unambiguously: the check _key_json makes would cost more than the rest of the key.
    digest.update(orjson.dumps(page.toc_description(), option=orjson.OPT_SORT_KEYS, default=_unstable))
    digest.update(b"\0")
    digest.update((page.content or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _key_json(value: Any) -> bytes:
    """``value`` spelled unambiguously for a cache key: orjson (a tenth of json's time, which mattered for
    thousands of pages per build and reload) unless ``value`` holds what orjson would spell like
    something else (NaN as null) or cannot spell (integers beyond 64 bits). What neither can spell
    (keys of mixed types, which cannot be sorted) gets a key of its own, so it is always rendered anew."""
    if orjson_spells_it_alike(value):
        with contextlib.suppress(orjson.JSONEncodeError):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=_unstable)
    try:
        return json.dumps(value, sort_keys=True, default=_unstable).encode()
    except (TypeError, ValueError):
        return f"unkeyable:{secrets.token_hex(16)}".encode()


def _describe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_describe(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(_describe(v), sort_keys=True, default=_unstable) for v in value)
    if isinstance(value, Theme):
        return {"name": value.name, "dirs": value.dirs, "options": _describe(dict(value.items()))}
    if isinstance(value, PluginCollection):
        return [[name, f"{type(p).__module__}.{type(p).__qualname__}", _describe(dict(p.config.items()))]
                for name, p in value.items()]
    if isinstance(value, base.Config):
        return _describe(dict(value.items()))
    if isinstance(value, Mapping):
        return {str(k): _describe(v) for k, v in value.items()}
    return _unstable(value)


def _unstable(value: Any) -> str:
    text = f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"
    # A value without a stable description (its repr names a memory address) must never match a later
    # build's: a fresh random part makes every key unique, so that page is always rendered anew.
    return f"{text}:{secrets.token_hex(8)}" if " at 0x" in text else text


def _describe_nav(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        children = _describe_nav(item.children) if isinstance(item, Section) else None
        out.append([type(item).__name__, item.title, getattr(item, "url", None), children])
    return out


def _describe_toc(items: Iterable[AnchorLink]) -> list[Any]:
    return [[i.title, i.url, i.level, _describe_toc(i.children)] for i in items]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _dir_digest(folder: Path) -> str:
    """A theme folder's identity: an installed package's version, or the hash of every file in it."""
    for dist, module in (("mkdocs-material", "material"), ("mkdocs", "mkdocs")):
        package = sys.modules.get(module)
        if package is not None and package.__file__ and folder.is_relative_to(Path(package.__file__).parent):
            return f"{dist}=={_version(dist)}:{folder.relative_to(Path(package.__file__).parent).as_posix()}"
    digest = hashlib.sha256(str(folder).encode())
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(b"\0" + f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


@functools.cache
def code_digest() -> str:
    """The identity of this package's code, templates and theme, and of the Python and the libraries it runs on
    (a validation, an export or a scan verdict may change with any of them): part of every cache key."""
    return hashlib.sha256("\0".join([_dir_digest(Path(__file__).parents[1]), *runtime()]).encode()).hexdigest()


def runtime() -> list[str]:
    """The Python version, its Unicode tables' version and every installed requirement of this package, with
    its version."""
    required = sorted({re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].strip().lower()
                       for r in metadata.requires("osqi-site") or () if "extra ==" not in r})
    return [sys.version, unicodedata.unidata_version, *(f"{name}=={_version(name)}" for name in required)]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- rendering ---------------------------------------------------------------------------------------------


def prerender(pages: Sequence[GeneratedPage], *, config: MkDocsConfig, nav: Navigation, env: jinja2.Environment,
              doc_files: Sequence[File], cache: Path, parallel: bool) -> list[GeneratedPage]:
    """Give every page its rendered HTML, from ``cache`` or rendered now; returns the pages rendered now.

    After this, MkDocs renders each page with the one-line template, so page events still run in order,
    but ``page.content`` is empty by then: a page's HTML is final once the theme has rendered it.
    """
    cache.mkdir(parents=True, exist_ok=True)
    theme = theme_fingerprint(config, nav)
    todo: list[GeneratedPage] = []
    present = set(os.listdir(cache))  # one listing, not a look at the disk for each page
    for page in pages:
        page.rendered = cache / f"{page_key(page, theme)}.html"
        if page.rendered.name not in present:
            todo.append(page)
    if parallel and len(todo) >= MIN_ITEMS:
        warm_templates(env, {page.meta.get("template", "main.html") for page in todo})
    # Forked workers inherit the pages, configuration and environment; only ``None`` comes back.
    map_chunks(lambda page: _render_one(page, config, nav, env, doc_files), todo, chunk=CHUNK, parallel=parallel,
               renew_every=RENEW_EVERY)
    for page in pages:
        page.meta["template"] = PRERENDERED_TEMPLATE
        # The theme's HTML holds the content now: dropping it here frees every page's text before MkDocs
        # writes the first one, and spares later page events (Material's search) from rescanning it.
        page.release()
    return todo


def warm_templates(env: jinja2.Environment, names: Iterable[str]) -> None:
    """Load ``names`` and every template they name by a constant (extends, include, import), here, before the
    rendering workers fork: they inherit the compiled templates instead of each compiling them again (every
    worker, and again each time workers are renewed). A template named by an expression loads when a worker
    first renders it, as before.

    Nothing here changes what any page renders: a loaded template is the one a worker would load. One that
    cannot be loaded (missing, invalid) is skipped here and met, if at all, where a render asks for it.
    """
    loader = env.loader
    seen: set[str] = set()
    todo = list(names)
    while todo and loader is not None:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            env.get_template(name)
            source = loader.get_source(env, name)[0]
            todo.extend(n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if n is not None)
        except Exception:  # a warm-up never fails a build: whatever went wrong, a render meets it if it asks
            continue


def _render_one(page: GeneratedPage, config: MkDocsConfig, nav: Navigation, env: jinja2.Environment,
                doc_files: Sequence[File]) -> None:
    """What MkDocs' own page build does up to the template's output, which goes to the cache instead."""
    config._current_page = page
    page.active = True
    try:
        context = get_context(nav, doc_files, config, page)
        template = env.get_template(page.meta.get("template", "main.html"))
        context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
        html = template.render(context)
    finally:
        page.active = False
        config._current_page = None
    assert page.rendered is not None
    # Written under a unique name, then renamed: a reader never sees half a page, even after a crash.
    partial = page.rendered.with_name(f"{page.rendered.name}.{os.getpid()}.partial")
    partial.write_bytes(html.encode("utf-8", errors="xmlcharrefreplace"))
    partial.replace(page.rendered)


def prune(own: Path, used: Iterable[Path], now: float) -> None:
    """Keep in ``own`` (this kind of build's folder of renders) only what this build used, touched; in the folders
    of the other kinds of build beside it (and files left beside them by versions before), what was used lately.

    A kind of build deletes its own unused renders at once: a disclosure withheld again leaves no render of it
    behind. Another kind's are kept a day, so that a build, a preview and a serve in turn still reuse theirs.
    """
    used = set(used)
    for path in used:
        with contextlib.suppress(OSError):  # gone meanwhile: nothing to keep
            os.utime(path)
    limit = now - STALE_AFTER
    for old in own.glob("*"):
        if old not in used:
            with contextlib.suppress(OSError):
                old.unlink()
    others = [p for p in own.parent.glob("*") if p != own]
    for old in [f for p in others for f in (p.glob("*") if p.is_dir() else [p])]:
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            pass
