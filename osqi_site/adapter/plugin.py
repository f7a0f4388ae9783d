"""The MkDocs glue: runs the pipeline, hands MkDocs the generated pages, writes exports, swaps the site in."""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import gc
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypeVar

import jinja2
from mkdocs.config import base
from mkdocs.config import config_options as opt
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import MkDocsException, PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from osqi_site.adapter import prerender
from osqi_site.build import convert_pages, fastcheck, leakscan, outputs, pipeline, verdicts
from osqi_site.build.cache import BuildCache
from osqi_site.build.pool import give_back_memory, settle_heap
from osqi_site.core import activefiles, gate, realfiles, sanitize
from osqi_site.core.alarms import config_alarms
from osqi_site.core.problems import Problem, bug_line, debugging, format_problems
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import InstantError, epoch_problem, parse_instant
from osqi_site.formats import checksums, search, securitytxt
from osqi_site.pages import convert, generated, minify, projects
from osqi_site.project import settings_from
from osqi_site.publish import history, provenance, register, signing

log = logging.getLogger("mkdocs.plugins.osqi")
THEME_DIR = Path(__file__).parents[1] / "theme"
BUILD_MARKER = ".osqi-build"
PREVIEW_MARKER = ".osqi-preview"
ONE_SHOT = ("build", "gh-deploy")
"""Commands whose process ends with the build (``serve`` lives on, rebuilding)."""
WRITE_CHUNK = 128
"""Files per thread task when writing exports."""
LISTINGS = frozenset({"disclosures/index.md", f"{projects.FOLDER}/index.md"})
"""Generated pages that go in the nav (when the site's nav names them)."""


F = TypeVar("F", bound=Callable[..., Any])


class InternalError(PluginError):
    """An unexpected exception in the plugin, turned into one line: MkDocs fails the build, publishing nothing."""


def guarded(event: F) -> F:
    """An event handler whose unexpected exceptions fail the build with one line instead of a traceback.

    The build's own errors (``PluginError``: every located problem) pass as they are; anything else is a bug,
    reported as such. ``OSQI_DEBUG=1`` lets the original exception through, traceback and all.
    """
    @functools.wraps(event)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return event(*args, **kwargs)
        except MkDocsException:
            raise
        except Exception as e:
            if debugging():
                raise
            raise InternalError(bug_line(e)) from None

    return run  # type: ignore[return-value]


class OsqiConfig(base.Config):
    disclosures_dir = opt.Type(str, default="disclosures")
    id_prefix = opt.Type(str, default="OSQI")
    feed_limit = opt.Type(int, default=50)
    contact = opt.ListOfItems(opt.Type(str), default=["mailto:security@osqi.example"])
    publisher_namespace = opt.Type(str, default="")
    policy_path = opt.Type(str, default="policy/")
    security_txt_days = opt.Type(int, default=180)
    max_embargo_days = opt.Type(int, default=120)
    embargo_register = opt.Type(bool, default=Settings.embargo_register)
    """Publish commitments to embargoed disclosures at /embargoes/ and require each one's ``seal``."""
    strict_alarms = opt.Type(bool, default=False)
    """Fail the build on transparency alarms instead of reporting them."""
    cache_dir = opt.Type(str, default=".osqi-cache")
    """Where converted disclosure pages are kept between builds (outside the site; safe to delete)."""
    as_of = opt.Optional(opt.Type(str))
    """Build the site as it stood at this past instant (RFC 3339); never later than the real clock."""
    coverage_request = opt.Optional(opt.Type(str))
    """Where to ask for a project to be covered (mailto: or https:), shown on /projects/; default: contact."""
    signing_key = opt.Optional(opt.Type(str))
    """Fingerprint of the OpenPGP key that signs the site (``OSQI_SIGNING_KEY`` takes precedence)."""


class OsqiPlugin(BasePlugin[OsqiConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.strict_alarms = False
        """Set by ``osqi-site build --strict``; the ``strict_alarms`` option does the same."""
        self.as_of: datetime | None = None
        """Set by the ``osqi-site`` CLI for ``--as-of``; overrides the ``as_of`` option."""
        self.command: str | None = None
        """Set by on_startup; without it (a bare ``build()`` call) the build writes site_dir directly."""
        self.built = False
        self.settings: Settings | None = None
        self.publication: gate.Publication | None = None
        self.output: pipeline.SiteOutput | None = None
        self.final_site_dir: str | None = None
        self.generated: frozenset[str] = frozenset()
        """Source paths of the generated pages."""
        self.page_dates: dict[str, str] = {}
        self.converted: dict[str, convert.Converted] = {}
        self.content_blocks: dict[str, generated.Page] = {}
        """Content pages' marker blocks, from on_page_markdown until on_page_content puts them in."""
        self.exports: dict[str, bytes] = {}
        """Absolute site path → bytes of every feed and export, until on_env has written them."""
        self._export_files: list[WrittenFile] = []
        self.search_entries: tuple[dict[str, str], ...] = ()
        self.nav: Navigation | None = None
        self.root = Path(".")
        self._html_used: list[Path] = []
        self._pruned = False
        self.cache = BuildCache(log)
        """Everything builds reuse from earlier ones; serve keeps this one object from reload to reload."""
        self.site_date = "1970-01-01"
        self.content_problems: list[Problem] = []
        self.content_markers: tuple[str, ...] = ()
        self.content_withheld: frozenset[str] = frozenset()
        self.preview = False
        """Set by ``osqi-site preview``: any clock allowed, banner and noindex on every page, never deployable."""
        self._saved_epoch: str | None = None
        self._epoch_pinned = False
        self._temp_dir = ""
        self._temp_lock: int | None = None
        self.build_site_dir: Path | None = None
        """Set by ``osqi-site preview``: the build folder of mkdocs.yml, where a preview must never go."""
        self._assets: dict[str, pipeline.ContentSource] = {}
        self._asset_files: dict[str, File] = {}
        self._held: frozenset[str] = frozenset()
        """Files of docs_dir (by path in docs_dir) that withheld pages may use, until on_env decides."""
        self._content_files: list[File] = []
        """The files of docs_dir (and other plugins') that passed the gate, until on_files compares them."""
        self.projects = projects.ProjectSet((), (), ())
        self._project_pages: dict[str, projects.Project] = {}
        self._has_projects = False
        self._projects_withheld: frozenset[str] = frozenset()
        """The public project pages (``<docs_dir>/projects/<slug>.md``), read and validated in on_config."""
        self.previous: Path | None = None
        """Set by ``osqi-site build --previous``: the last deployed site (or its log), whose log this one extends."""
        self.source = provenance.Source()
        """The source tree this build read (commit, repository, dirty), for the provenance and the footer."""
        self.signer: tuple[signing.Gpg, signing.Key, int] | None = None
        self.embargo_count: int | None = None
        """Open commitments of the embargo register, for the home figures; None with the register off."""
        self.reveals: dict[str, str] = {}
        """Disclosure page source path → its embargo register reveal (register.pages_reveals)."""
        """GnuPG, the key and the signature time of this build; None: the site is unsigned."""

    # -- events, in the order MkDocs runs them ------------------------------------------------------

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.command = command
        if dirty:
            raise PluginError("osqi: --dirty builds are refused: stale withdrawn or embargoed pages could survive")

    @event_priority(100)
    @guarded
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if self.command not in ONE_SHOT or not gc.isenabled():
            return self._configure(config)
        # What this step loads and makes lives to the end of a one-shot build, and the collector would walk
        # it again each time it grows (about 2 s at 10,000 disclosures): held here, then frozen.
        gc.disable()
        try:
            return self._configure(config)
        finally:
            settle_heap()
            gc.enable()

    def _configure(self, config: MkDocsConfig) -> MkDocsConfig:
        # Everything is validated here, before MkDocs empties site_dir, so a bad input leaves the last
        # good site exactly as it was even under plain `mkdocs build`.
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch is not None and (why := epoch_problem(epoch)) is not None:
            raise PluginError(f"osqi: {why}")  # MkDocs would fail on it later, with a traceback
        now = self._clock()
        root = Path(config.config_file_path).resolve().parent
        # Read before anything is written, so the build's own files never count as uncommitted changes.
        self.source = _read_source(root)
        config.extra["osqi_source"] = self.source.footer  # every page's footer (theme/partials/copyright.html)
        try:
            settings = settings_from(config.site_url, config.site_name, config.site_description,
                                     dict(self.config.items()))
        except ValueError as e:
            raise PluginError(f"osqi: {e}") from None
        self.root = root
        disclosures_dir = (root / self.config.disclosures_dir).resolve()
        if disclosures_dir.is_relative_to(Path(config.docs_dir).resolve()):
            raise PluginError("osqi: disclosures_dir must lie outside docs_dir, so that nothing is published "
                              "if this plugin ever fails to run")
        self.cache.open(root / self.config.cache_dir, serving=self.command == "serve")
        # serve re-reads only the files that changed since its last rebuild.
        checked = fastcheck.check(disclosures_dir, root, settings,
                                  memo=self.cache.kept(fastcheck.MEMO, fastcheck.FileMemo))
        pub = gate.publish(checked.disclosures, now)
        # serve's check re-reads only changed files; what it found in the others comes back with them.
        problems = [*checked.problems, *fastcheck.publication_problems(pub, settings, facts=checked.mentions)]
        problems.extend(_tree_problems(config, root))
        warnings = [*config_alarms(settings, Path(config.config_file_path).name),
                    *fastcheck.alarms(checked.disclosures, settings, now, facts=checked.alarms)]
        if self.strict_alarms or self.config.strict_alarms:
            problems.extend(warnings)
        else:
            # INFO, not WARNING: MkDocs' own strict mode would otherwise turn every alarm into a failure.
            for w in warnings:
                log.info("osqi: transparency alarm: %s", w)
        if problems:
            raise PluginError(format_problems(problems))
        # Our layout (osqi.html, styles) sits just below the site's own overrides, above Material's.
        config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(THEME_DIR))
        self.settings, self.publication = settings, pub
        self._read_projects(config, settings, now)
        links = {d.id: projects.disclosure_links(d, self.projects.public) for d in pub.public}
        site = outputs.site(pub, settings, links, self.cache, prerender.code_digest(), parallel=self.command != "serve")
        self.output = self._with_projects(site, config, pub, settings)
        self.output = self._with_history(self.output, now, pub, settings)
        self.output = self._with_signing(self.output, settings, now)
        self.generated = frozenset(p.src_path for p in self.output.pages)
        recipe = convert.Recipe(tuple(config.markdown_extensions), dict(config.mdx_configs or {}))
        self.converted = convert_pages.converted(self.output.pages, recipe, self.cache,
                                                 parallel=self.command != "serve")
        self.page_dates = {f"disclosures/{d.id}.md": d.modified.date().isoformat() for d in pub.public}
        newest = pipeline.newest_change(pub)
        # Without a public date, a fixed old date keeps sitemap and gzip stamps reproducible.
        self.site_date = newest.date().isoformat() if newest else "1970-01-01"
        self.content_problems = []
        self.built = False
        if self.command == "serve":
            config.watch.append(str(disclosures_dir))
        elif self.command is not None:
            self._redirect_site_dir(config)
        self._pin_build_date(pub)
        log.info("osqi: %d public, %d withheld as of %s", len(pub.public), len(pub.withheld), now.isoformat())
        return config

    @guarded
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        assert self.output is not None and self.publication is not None
        clashes = sorted(f.src_uri for f in files if f.src_uri.startswith("disclosures/"))
        if clashes:
            raise PluginError(f"osqi: {', '.join(clashes)}: docs_dir must not contain a disclosures/ folder; "
                              "disclosure pages are generated from disclosures_dir")
        self._gate_content(files, config)
        for name, text in self._marker_files().items():
            # An explicit inclusion level: MkDocs would otherwise drop dotfiles such as the markers.
            files.append(File.generated(config, name, content=text, inclusion=InclusionLevel.NOT_IN_NAV))
        for project in self.projects.public:
            found = files.get_file_from_path(project.src_uri)
            if found is not None:
                found.inclusion = InclusionLevel.NOT_IN_NAV  # listed on /projects/, not each in the nav
        titles = _nav_titles(config.nav)  # MkDocs reuses our page objects in the nav: give them its titles
        for page in self.output.pages:
            inclusion = InclusionLevel.INCLUDED if page.src_path in LISTINGS else \
                InclusionLevel.NOT_IN_NAV  # one listing in the nav; a nav of every page is quadratic
            file = File.generated(config, page.src_path, content=page.markdown, inclusion=inclusion)
            prerender.GeneratedPage(file, config, page, self.converted.pop(page.src_path, None),
                                     titles.get(page.src_path))
            files.append(file)
        attached = [AttachmentFile.generated(config, dest, abs_src_path=source)
                    for dest, source in self.output.attachments.items()]
        for file in attached:
            files.append(file)
        # Exports join Files too, so that `strict` link checks see them. on_env writes them into the site on
        # every core, before the pages are rendered.
        self.exports = {}
        self._export_files = []
        for rel, data in self.output.files.items():
            # NOT_IN_NAV rather than MkDocs' default, which drops dot-folders such as .well-known/.
            file = WrittenFile.generated(config, rel, abs_src_path=os.path.join(config.site_dir, rel),
                                         inclusion=InclusionLevel.NOT_IN_NAV)
            self.exports[file.abs_dest_path] = data
            if isinstance(file, WrittenFile):  # else MkDocs finds the written file there and skips it
                self._export_files.append(file)
            files.append(file)
        collisions = _clashes(files, attached, self._content_files, self.root)
        if collisions:
            raise PluginError(format_problems(collisions))
        if self._held:  # a disclosure page naming one of them uses it: kept (disclosure pages are all public)
            self._held = frozenset(a for a in self._held if not any(
                a.rsplit("/", 1)[-1] in page.markdown for page in self.output.pages))
        self.search_entries = self.output.search
        self.output = None  # MkDocs' files and pages hold it all now; held here too, it would stay to the end
        return files

    @guarded
    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    @guarded
    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.publication is not None and self.settings is not None
        page.update_date = self.page_dates.get(page.file.src_uri, self.site_date)
        if page.file.src_uri not in self.generated:
            public = frozenset(d.id for d in self.publication.public)
            source = f"{Path(config.docs_dir).name}/{page.file.src_uri}"
            self.content_problems.extend(
                pipeline.mention_problems(source, markdown, 1, public, self.settings))
            # <!-- osqi:latest --> / <!-- osqi:stats --> markers; the blocks come from public disclosures only.
            page.meta = generated.escaped_meta(page.meta)
            linker = _linker(files, page)
            project = self._project_pages.get(page.file.src_uri)
            extra: dict[str, Callable[[], str]] = {}
            if project is not None:  # its facts, figures, disclosures and feeds, from public disclosures only
                markdown, extra = projects.project_markdown(markdown, project, self.publication.public, linker)
            key = self.signer[1] if self.signer else None
            extra = {signing.MARKER: lambda: signing.key_block(key, linker(signing.KEY_PATH) if key else ""),
                     **extra}
            if self.embargo_count is not None:  # the home figures with the register's count of open embargoes
                count, public_now = self.embargo_count, self.publication.public
                extra[generated.MARKERS["stats"]] = lambda: generated.stats_block(
                    public_now, (count, linker(register.PAGE)))
            content = generated.content_page(markdown, self.publication.public, linker, extra)
            self.content_blocks[page.file.src_uri] = content
            markdown = content.markdown
        return markdown

    @guarded
    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if isinstance(page, prerender.GeneratedPage):
            # Sanitised when converted (convert.py). A disclosure page's seal slot becomes its reveal when the
            # register is on, else nothing: the slot itself is never published.
            return page.finish(html).replace(register.SLOT, self.reveals.get(page.file.src_uri, ""), 1)
        # A content page is text from the repository like a narrative: the same policy, then its blocks.
        content = self.content_blocks.pop(page.file.src_uri, generated.Page("", ""))
        title = getattr(page, "_title_from_render", None)
        from_heading = "title" not in vars(page) and "title" not in page.meta  # no nav title, no metadata
        if isinstance(title, str) and from_heading and not page.is_homepage:
            # Material prints a title taken from the page's heading (no nav title, no metadata) through
            # `striptags`, which decodes entities: `&lt;/title&gt;` would close the <title> element. As
            # metadata it is printed as it is: escaped text.
            page.meta["title"] = sanitize.clean_text(title)
        return content.finish(sanitize.clean_around(html, generated.PLACEHOLDER))

    @event_priority(-100)  # last: other plugins' environment changes are part of what the pages render with
    @guarded
    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        # Raised here, after every page was read and before any is written.
        if self.content_problems:
            raise PluginError(format_problems(self.content_problems))
        self._hold_back_assets(files, config)
        assert self.nav is not None
        # Compiled templates are kept between builds (Jinja checks each against its source), which spares
        # compiling Material's templates on every build and every serve reload.
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(self.cache.folder("jinja")))
        pages = [f.page for f in files.documentation_pages() if isinstance(f.page, prerender.GeneratedPage)]
        inclusion = InclusionLevel.is_in_serve if self.command == "serve" else InclusionLevel.is_included
        # The exports first, and let go: the page workers below would otherwise inherit them too.
        write_files(self.exports)
        for file in self._export_files:
            file.written = True
        self.exports, self._export_files = {}, []
        give_back_memory()  # the exports' bytes, before the page workers fork
        rendered = prerender.prerender(pages, config=config, nav=self.nav, env=env,
                                       doc_files=files.documentation_pages(inclusion=inclusion),
                                       cache=self.cache.folder("html"),
                                       parallel=self.command != "serve")
        log.debug("osqi: %d of %d generated pages rendered, the others from the cache", len(rendered), len(pages))
        if self.command == "serve" and rendered:
            _write_first(files, {id(p) for p in rendered})
        self._html_used = [p.rendered for p in pages if p.rendered is not None]
        return env

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Callable[..., Any]) -> Any:
        # MkDocs' watcher polls every 0.5 s, so a saved edit waits 0.25 s on average before the rebuild
        # starts. A poll stats every watched file (about 11 us each), so a smaller project can afford to
        # look more often without the idle server using more than a few per cent of a core.
        set_poll_interval(server, poll_interval(len(self.cache.kept(fastcheck.MEMO, fastcheck.FileMemo) or ())))
        return server

    @event_priority(-100)  # after the search plugin has written its index, so the scan covers it
    @guarded
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site = Path(config.site_dir)
        minify.minify_folder(site / minify.ASSETS)  # before the seal: SHA256SUMS lists what is served
        if self.preview:
            self._mark_preview_pages(site)
        self._add_search_entries(site)
        self._seal(site)
        self._restore_build_date()
        self.cache.prune()
        if self._html_used and not self._pruned:
            prerender.prune(self._html_used[0].parent, self._html_used, time.time())
            # Once per serve session is enough: a reload only adds renders, which the next build prunes.
            self._pruned = self.command == "serve"
        self.built = True

    def on_build_error(self, *, error: Exception) -> None:
        # Also called for strict-mode warnings, which MkDocs counts only after on_post_build.
        self._restore_build_date()
        self.built = False
        self._discard()

    @guarded
    def on_shutdown(self) -> None:
        # Only here is the build known to have passed every check, strict mode included.
        if self.final_site_dir is not None and self.built:
            _swap_in(Path(self._temp_dir), Path(self.final_site_dir))
        self._discard()

    def _discard(self) -> None:
        if self.final_site_dir is not None:
            # A failed build's tree is thrown away; the last good site was never touched.
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self.final_site_dir = None
        if self._temp_lock is not None:
            os.close(self._temp_lock)
            self._temp_lock = None

    # -- helpers -----------------------------------------------------------------------------------

    def _clock(self) -> datetime:
        real_now = datetime.now(UTC)  # the one read of the wall clock; everything below takes `now`
        requested = self.as_of
        if requested is None and self.config.as_of:
            try:
                requested = parse_instant(self.config.as_of)
            except InstantError as e:
                raise PluginError(f"osqi: as_of {e}") from None
        if requested is None:
            return real_now
        if requested > real_now and not self.preview:
            raise PluginError(f"osqi: as_of {requested.isoformat()} is in the future; a build may only look back "
                              "(use `osqi-site preview` to see a future state)")
        return requested

    def _gate_content(self, files: Files, config: MkDocsConfig) -> None:
        """Gate every file MkDocs would publish from docs_dir (or another plugin made), as MkDocs classifies it."""
        assert self.publication is not None
        docs_dir = Path(config.docs_dir)
        theme_dirs = {os.path.normpath(d) for d in config.theme.dirs}
        gated = {f"{docs_dir.name}/{f.src_uri}": f for f in files
                 if f.src_dir is None or os.path.normpath(f.src_dir) not in theme_dirs}
        sources: dict[str, pipeline.ContentSource] = {
            rel: Path(f.abs_src_path) if f.abs_src_path is not None else f.content_bytes for rel, f in gated.items()}
        content = pipeline.gate_content(sources, self.publication.now,
                                        lambda rel: gated[rel].is_documentation_page())
        # The site's own theme folder is a project source too: a static file MkDocs copies from it is refused
        # like one of docs_dir when a browser would run it (``activefiles``); the installed themes are not.
        custom = os.path.normpath(config.theme.custom_dir) if config.theme.custom_dir else None
        active = [Problem(realfiles.rel(f.abs_src_path or f.src_uri, self.root), 0, "file", refused) for f in files
                  if custom is not None and f.src_dir is not None and os.path.normpath(f.src_dir) == custom
                  and (refused := activefiles.active_file_problem(f.src_uri)) is not None]
        if content.problems or active:
            raise PluginError(format_problems([*content.problems, *active]))
        self.content_withheld = frozenset(content.withheld)
        # A withheld project page's name is looked for in the output, as a withheld page's title is, and so is
        # every withheld page's URL (a link copied from the preview names what is coming).
        self.content_markers = leakscan.page_markers([*content.markers, *self.projects.withheld_names],
                                                     [gated[rel].url for rel in content.withheld])
        folder = f"{docs_dir.name}/{projects.FOLDER}/"
        if {rel for rel in content.withheld if rel.startswith(folder)} - self._projects_withheld:
            raise PluginError("osqi: a project page withheld by the content gate was read as public; "
                              "this is a bug, please report it")
        for rel in content.withheld:
            # Removed, not merely excluded: a link to it from a public page now fails the strict build.
            files.remove(gated[rel])
        withheld = set(content.withheld)
        self._content_files = [f for rel, f in gated.items() if rel not in withheld]
        # Files of docs_dir a withheld page may use; held back in on_env unless public material uses them.
        self._assets = {f.src_uri: sources[rel] for rel, f in gated.items()
                        if rel not in withheld and not f.is_documentation_page()}
        self._asset_files = {f.src_uri: f for rel, f in gated.items() if f.src_uri in self._assets}
        withheld_texts = {rel: pipeline.text_of(sources[rel]) for rel in content.withheld}
        texts = list(withheld_texts.values())
        # What the withheld pages link to once rendered as MkDocs would render them, then (a second, generous
        # net) every file their text names, backslash escapes taken out or not.
        rendered = _rendered_links(config, {rel: (gated[rel], text) for rel, text in withheld_texts.items()
                                            if gated[rel].is_documentation_page()}, self._assets)
        texts.extend(pipeline.text_of(self._assets[a]) for a in sorted(rendered))
        self._held = pipeline.withheld_only(self._assets, texts) | rendered if texts else frozenset()
        if config.nav is not None:
            # A withheld page leaves the nav until it lifts, so a scheduled rebuild publishes it unaided.
            prefix = f"{docs_dir.name}/"
            hidden = {rel.removeprefix(prefix) for rel in content.withheld}
            config.nav = pipeline.prune_nav(config.nav, hidden)

    def _hold_back_assets(self, files: Files, config: MkDocsConfig) -> None:
        """Take out of the site every file of docs_dir that a withheld page may use and nothing public does.

        Public content pages count by the links of their rendered HTML (every page has been read by now and no
        file copied yet), templates and mkdocs.yml by the names they hold.
        """
        if not self._held:
            return
        site_path = urllib.parse.urlsplit(config.site_url or "/").path or "/"
        linked: set[str] = set()
        texts = [pipeline.text_of(Path(config.config_file_path))] if config.config_file_path else []
        if config.theme.custom_dir:
            texts.extend(pipeline.text_of(p) for p in sorted(Path(config.theme.custom_dir).rglob("*"))
                         if p.is_file())
        for f in files.documentation_pages(inclusion=lambda _: True):
            page = f.page
            if page is None or isinstance(page, prerender.GeneratedPage):
                continue
            linked |= pipeline.links_in_html(page.content or "", urllib.parse.unquote(page.url), site_path)
            texts.append(repr(page.meta))  # Material reads icons and images named in frontmatter
        used = pipeline.publicly_used(self._assets, linked, texts)
        for src in sorted(self._held - used):
            log.info("osqi: %s is used only by withheld pages; held back", src)
            files.remove(self._asset_files[src])
        self._held = frozenset()

    def _read_projects(self, config: MkDocsConfig, settings: Settings, now: datetime) -> None:
        """Read and validate the project pages; only those the content gate passes are used.

        Disclosure pages name their projects, so this runs before on_files' gate over all of docs_dir: the same
        gate function, applied here to the project pages alone (on_files checks that both agree).
        """
        docs_dir = Path(config.docs_dir)
        folder = docs_dir / projects.FOLDER
        pages: dict[str, pipeline.ContentSource] = {
            f"{docs_dir.name}/{p.relative_to(docs_dir).as_posix()}": p
            for p in (sorted(folder.glob("*.md")) if folder.is_dir() else [])}
        gated = pipeline.gate_content(pages, now)
        if gated.problems:
            raise PluginError(format_problems(gated.problems))
        self._projects_withheld = frozenset(gated.withheld)
        self.projects = projects.read_projects(docs_dir, gated.withheld)
        problems = projects.project_problems(self.projects, self.config.coverage_request)
        if problems:
            raise PluginError(format_problems(problems))
        self._has_projects = (docs_dir / projects.FOLDER).is_dir()
        self._project_pages = {p.src_uri: p for p in self.projects.public}

    def _with_projects(self, output: pipeline.SiteOutput, config: MkDocsConfig, pub: gate.Publication,
                       settings: Settings) -> pipeline.SiteOutput:
        """The build's outputs with /projects/ and each project's feeds, from public disclosures only."""
        if not self._has_projects:
            return output
        request = self.config.coverage_request or settings.contact[0]
        listing = projects.listing_page(self.projects.public, pub.public, request)
        files = {**output.files, **projects.feed_files(self.projects.public, pub.public, settings)}
        return dataclasses.replace(output, pages=(*output.pages, listing), files=dict(sorted(files.items())))

    def _marker_files(self) -> dict[str, str]:
        assert self.publication is not None
        if self.preview:
            return {PREVIEW_MARKER: f"osqi-site preview as of {self.publication.now.isoformat()}; never deploy\n",
                    "robots.txt": "User-agent: *\nDisallow: /\n"}
        return {BUILD_MARKER: "osqi-site build\n"}

    def _refuse_wrong_folder(self, final: Path) -> None:
        """A preview shows embargoed text: it must never land where a public build goes, nor the reverse.

        Not in the same folder, nor one inside the other, at any depth: a deploy of the outer folder would
        publish the inner one. The build folder of mkdocs.yml counts as a build folder before it exists.
        """
        mine, other = (PREVIEW_MARKER, BUILD_MARKER) if self.preview else (BUILD_MARKER, PREVIEW_MARKER)
        kind = "a public build" if self.preview else "a preview"
        if (final / other).exists():
            raise PluginError(f"osqi: {final} holds {kind} (it has {other}); refusing to write "
                              f"{'a preview' if self.preview else 'a public build'} into it. Use another folder")
        for folder in final.parents:
            if (folder / other).exists():
                raise PluginError(f"osqi: {final} lies inside {folder}, which holds {kind} (it has {other}); "
                                  "a deploy of it would publish this one too. Use a folder outside it")
        nested = _holding_marker(final, other)
        if nested is not None:
            raise PluginError(f"osqi: {final} contains {nested}, which holds {kind} (it has {other}); "
                              "a deploy of it would publish that one too. Move it out or use another folder")
        build_dir = self.build_site_dir
        if self.preview and build_dir is not None and (
                final == build_dir or final.is_relative_to(build_dir) or build_dir.is_relative_to(final)):
            raise PluginError(f"osqi: {final} is, lies inside or contains the build folder {build_dir} of "
                              "mkdocs.yml; a preview never goes where a public build may. Use another folder")
        if self.preview and final.exists() and any(final.iterdir()) and not (final / mine).exists():
            raise PluginError(f"osqi: {final} is not empty and is not a previous preview; refusing to write")

    def _refuse_source_folder(self, final: Path, config: MkDocsConfig) -> None:
        """A build replaces its destination whole: it must never be, contain or lie inside a folder the project
        is made of, nor contain mkdocs.yml, or the swap would delete those sources. Decided on resolved real
        paths, so ``..`` and symbolic links lead nowhere else."""
        root = Path(config.config_file_path).resolve().parent
        if final.exists() and not final.is_dir():
            raise PluginError(f"osqi: site folder {final} is a file, not a folder; a build replaces its folder "
                              "whole. Use another folder, such as site/")
        if final == root or root.is_relative_to(final):
            raise PluginError(f"osqi: site folder {final} is or contains the project folder {root} (it holds "
                              f"{Path(config.config_file_path).name}); a build replaces its folder whole and would "
                              "delete the project. Use a folder inside it, such as site/")
        sources = [("disclosures_dir", root / self.config.disclosures_dir), ("docs_dir", Path(config.docs_dir)),
                   ("cache_dir", root / self.config.cache_dir), ("git folder", root / ".git"),
                   *(("theme folder", Path(d)) for d in config.theme.dirs)]
        for what, folder in sources:
            real = folder.resolve()
            if final == real or final.is_relative_to(real) or real.is_relative_to(final):
                raise PluginError(f"osqi: site folder {final} is, lies inside or contains the {what} {real}; a "
                                  "build replaces its folder whole and would delete these sources. Use another "
                                  "folder, such as site/")
        if not self.preview and final.is_dir() and not (final / BUILD_MARKER).exists() and any(final.iterdir()):
            # Not a previous build (it would hold the marker): whatever it holds would be deleted with it.
            raise PluginError(f"osqi: site folder {final} is not empty and is not a previous build (it has no "
                              f"{BUILD_MARKER}); a build replaces its folder whole and would delete what it holds. "
                              "Use an empty or new folder")

    def _redirect_site_dir(self, config: MkDocsConfig) -> None:
        final = Path(config.site_dir).resolve()
        self._refuse_source_folder(final, config)
        self._refuse_wrong_folder(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(final)
        self._temp_dir = tempfile.mkdtemp(prefix=temp_prefix(final, "building"), dir=final.parent)
        self._temp_lock = _claim(Path(self._temp_dir))  # held while this process builds: not a leftover
        os.chmod(self._temp_dir, 0o755)  # mkdtemp makes it private; the published site must be readable
        self.final_site_dir = str(final)
        config.site_dir = self._temp_dir

    def _pin_build_date(self, pub: gate.Publication) -> None:
        """MkDocs stamps "now" into a few places unless SOURCE_DATE_EPOCH is set; pin it to the site's own date."""
        self._saved_epoch = os.environ.get("SOURCE_DATE_EPOCH")
        self._epoch_pinned = True
        if self._saved_epoch is None:
            newest = pipeline.newest_change(pub)
            os.environ["SOURCE_DATE_EPOCH"] = str(int(newest.timestamp()) if newest else 86400)

    def _restore_build_date(self) -> None:
        if not self._epoch_pinned:
            return
        self._epoch_pinned = False
        if self._saved_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = self._saved_epoch

    def _add_search_entries(self, site: Path) -> None:
        assert self.publication is not None
        index = site / search.INDEX_PATH
        if index.is_file():  # absent when the site does not use the search plugin
            index.write_bytes(search.with_disclosures(index.read_bytes(), self.search_entries))

    def _mark_preview_pages(self, site: Path) -> None:
        """Every HTML file of a preview, MkDocs' or ours, carries the banner and noindex."""
        assert self.publication is not None
        for page in sorted(site.rglob("*.html")):
            page.write_text(_decorate_preview(page.read_text(encoding="utf-8"), self.publication.now),
                            encoding="utf-8")

    def _seal(self, site: Path) -> None:
        """Hash and scan every output file; write SHA256SUMS (itself scanned first) only if nothing leaked."""
        assert self.publication is not None
        markers = (*leakscan.withheld_markers(self.publication.withheld, self.publication.public),
                   *self.content_markers)
        attachments = self._withheld_attachments()
        paths = _site_files(site)
        # Only an identical marker set (and scanning code) may reuse earlier verdicts: serve keeps them in
        # memory between reloads, builds in the cache.
        looked_for = (*markers, *sorted(f"sha256:{d}" for d in attachments))
        verdict_key = verdicts.verdict_set(looked_for, prerender.code_digest())
        clean = self.cache.verdicts(verdict_key)
        sealed = verdicts.seal(site, paths, markers, known_clean=clean, parallel=self.command != "serve",
                           attachments=attachments)
        sums = checksums.from_digests(sealed.digests)
        # What is made from the final SHA256SUMS (its signature) is scanned with it, before anything is written.
        last = {checksums.NAME: sums, **self._sealing_files(sums)}
        leaks = [*sealed.leaks, *leakscan.find_leaks(last, markers, attachments)]
        if leaks:
            raise PluginError("osqi: withheld disclosure text found in the output; nothing was published:\n  "
                              + "\n  ".join(leaks))
        self.cache.keep_verdicts(verdict_key, sealed.clean)
        for name, data in last.items():
            (site / name).write_bytes(data)

    def _sealing_files(self, sums: bytes) -> dict[str, bytes]:
        """The files made from the final SHA256SUMS, which it therefore cannot list: the provenance, whose
        subject is its digest, and the signatures of both."""
        assert self.publication is not None and self.settings is not None
        if self.preview or self.command == "serve":
            return {}
        versions = {name: _dist_version(name) for name in provenance.TOOLS}
        versions["python"] = ".".join(str(n) for n in sys.version_info[:3])
        made = {provenance.PATH: provenance.statement(sums, self.source, self.publication.now,
                                                      self.settings.site_url, versions)}
        if self.signer is None:
            return made
        gpg, key, when = self.signer
        return {**made,
                signing.SUMS_SIGNATURE: self._signed(lambda: signing.detached(gpg, key, sums, when)),
                provenance.SIGNATURE: self._signed(
                    lambda: signing.detached(gpg, key, made[provenance.PATH], when))}

    def _signed(self, sign: Callable[[], bytes]) -> bytes:
        try:
            return sign()
        except signing.SigningError as e:
            raise PluginError(f"osqi: {e}") from None

    def _with_history(self, output: pipeline.SiteOutput, now: datetime, pub: gate.Publication,
                      settings: Settings) -> pipeline.SiteOutput:
        """The log carried from the previous site, with this build's entry, and the /history/ page; with the
        embargo register on, the register made from the log before this entry (register.py), its pages, and
        the commitments new to the log recorded in this build's entry."""
        entries: list[history.Entry] = []
        if self.previous is not None:
            path = self.previous / history.PATH if self.previous.is_dir() else self.previous
            try:
                data = path.read_bytes()
            except OSError as e:
                raise PluginError(f"osqi: --previous: cannot read {path}: {e.strerror}; download the deployed "
                                  f"site's /{history.PATH} (omit --previous only for the very first deploy)") from None
            entries, problems = history.parse(data, str(path))
            if problems:
                raise PluginError("osqi: the previous log cannot be extended:\n  " + "\n  ".join(problems))
        content = output.files[history.CONTENT]
        reg = register.make(pub, entries) if settings.embargo_register else None
        self.embargo_count = len(reg.open) if reg else None
        self.reveals = register.pages_reveals(reg, {d.id: d.published for d in pub.public}) if reg else {}
        try:
            entry = history.next_entry(entries, history.published_state(content), content, now,
                                       [c for _, c in reg.open] if reg else ())
        except history.LogError as e:
            raise PluginError(f"osqi: {e}") from None
        if entry is not None:
            entries.append(entry)
        files = {**output.files, history.PATH: history.dump(entries)}
        pages = (*output.pages, history.page(entries))
        if reg is not None:
            files[register.PATH] = register.dump(reg)
            pages = (*pages, register.page(reg, settings.max_embargo_days))
        return dataclasses.replace(output, pages=pages, files=dict(sorted(files.items())))

    def _with_signing(self, output: pipeline.SiteOutput, settings: Settings, now: datetime) -> pipeline.SiteOutput:
        """The public key and a cleartext-signed security.txt when a key is configured; else the site unsigned.

        Only builds are signed: a preview is never deployed and serve is a local view. A key that is configured
        but unusable fails the build, so a site meant to be signed is never deployed unsigned.
        """
        self.signer = None
        named = os.environ.get(signing.ENV) or self.config.signing_key
        if self.preview or self.command == "serve" or not named:
            log.info("osqi: the site is unsigned (%s)", "preview or serve" if named else
                     f"no signing key: set {signing.ENV} or the signing_key option")
            return output
        gpg = signing.Gpg(os.environ.get("GNUPGHOME"))
        key = self._signed_key(gpg, named)
        when = signing.signing_time(now, key)
        self.signer = (gpg, key, when)
        text = signing.signed_security_txt(output.files[securitytxt.PATH], key, settings.url(signing.KEY_PATH))
        files = {**output.files, signing.KEY_PATH: key.public,
                 securitytxt.PATH: self._signed(lambda: signing.cleartext(gpg, key, text, when))}
        log.info("osqi: signing with the OpenPGP key %s", key.primary)
        return dataclasses.replace(output, files=dict(sorted(files.items())))

    def _signed_key(self, gpg: signing.Gpg, named: str) -> signing.Key:
        try:
            return signing.find_key(gpg, named)
        except signing.SigningError as e:
            raise PluginError(f"osqi: {e}") from None

    def _withheld_attachments(self) -> dict[str, str]:
        """Digest → source path of each withheld attachment whose bytes no public attachment shares."""
        assert self.publication is not None
        public = leakscan.attachment_digests(a.source for d in self.publication.public for a in d.attachments)
        withheld = leakscan.attachment_digests(a.source for d in self.publication.withheld for a in d.attachments)
        return {digest: os.path.relpath(path, self.root) for digest, path in withheld.items() if digest not in public}


def _rendered_links(config: MkDocsConfig, pages: Mapping[str, tuple[File, str]],
                   assets: Mapping[str, pipeline.ContentSource]) -> frozenset[str]:
    """The files of docs_dir (``assets``) that withheld ``pages`` link to in their HTML, rendered with the site's
    own Markdown configuration, links read relative to the page's source and to its URL (authors write both).

    A page that cannot be rendered here counts as using every file: it is held back unless public material
    uses it (fail closed).
    """
    import posixpath

    import markdown
    from mkdocs.utils import meta as mkdocs_meta

    if not pages:
        return frozenset()
    found: set[str] = set()
    site_path = urllib.parse.urlsplit(config.site_url or "/").path or "/"
    try:
        md = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs or {})
        for _, (file, text) in sorted(pages.items()):
            body, _ = mkdocs_meta.get_data(text)
            html_text = md.reset().convert(body)
            source_dir = posixpath.dirname(file.src_uri)
            for base in (f"{source_dir}/" if source_dir else "", urllib.parse.unquote(file.url)):
                found |= pipeline.links_in_html(html_text, base, site_path)
    except Exception as e:  # any extension may fail outside MkDocs: then no file is taken as unused
        log.info("osqi: could not render a withheld page to find the files it uses (%s); holding back every file "
                 "no public page uses", e)
        return frozenset(assets)
    folders = {f.rstrip("/") + "/" for f in found if f}
    return frozenset(a for a in assets if a in found or any(a.startswith(f) for f in folders))


def _read_source(root: Path) -> provenance.Source:
    """The commit, remote and state of the git tree holding ``root``, or what CI's environment names."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    status = git("status", "--porcelain", "--untracked-files=normal") if commit else ""
    try:
        # A status git could not give counts as dirty: the provenance never claims a clean tree it did not see.
        return provenance.source(commit, status != "", git("config", "--get", "remote.origin.url") if commit
                                 else None, os.environ.get(provenance.COMMIT_ENV),
                                 os.environ.get(provenance.REPOSITORY_ENV))
    except provenance.SourceError as e:
        raise PluginError(f"osqi: {e}") from None


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _tree_problems(config: MkDocsConfig, root: Path) -> list[Problem]:
    """Every symbolic link and unreadable file name in docs_dir and the site's theme folder (``realfiles``)."""
    found = list(pipeline.content_files(Path(config.docs_dir), root)[1])
    if config.theme.custom_dir:
        found.extend(realfiles.tree_problems(Path(config.theme.custom_dir), root, "theme.custom_dir"))
    return found


def write_files(contents: Mapping[str, bytes], *, threads: int = 4) -> None:
    """Write each absolute path's bytes, several files at once.

    Creating tens of thousands of files is system time that MkDocs' copy would spend on one core. Threads,
    not forked workers: a write waits in the kernel with the GIL released, and a forked worker would
    privately copy every memory page whose objects it touches. The threads are gone when this returns, so
    workers may be forked after it.
    """
    for folder in sorted({os.path.dirname(path) for path in contents}):
        os.makedirs(folder, exist_ok=True)  # here, once each, not by the threads for every file
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(_write_file, sorted(contents.items()), chunksize=WRITE_CHUNK))  # list(): errors raise here


def _write_file(item: tuple[str, bytes]) -> None:
    with open(item[0], "wb") as f:
        f.write(item[1])


class AttachmentFile(File):
    """An attachment: copied as it is, whatever its name; MkDocs would build a page of a ``.md`` one."""

    def is_documentation_page(self) -> bool:
        return False


def _clashes(files: Files, attached: Sequence[File], content: Sequence[File], root: Path) -> list[Problem]:
    """Files published where the site writes one of its own, compared without case (as a case-insensitive file
    system or web server would): by construction, whatever the site writes there.

    An attachment may clash with any other file; a file of docs_dir with a file the plugin makes (a page, feed,
    export, marker or attachment), which MkDocs would otherwise copy over it.
    """
    outside = {id(f) for f in content}
    by_dest: dict[str, list[File]] = {}
    for f in files:
        by_dest.setdefault(f.dest_uri.casefold(), []).append(f)
    problems = []
    for mine, against_any in ((attached, True), (content, False)):
        for a in mine:
            others = sorted(f.dest_uri for f in by_dest.get(a.dest_uri.casefold(), ())
                            if f is not a and (against_any or id(f) not in outside))
            if others:
                what = "attachment" if against_any else "file"
                problems.append(Problem(realfiles.rel(a.abs_src_path or a.src_uri, root), 0, "file",
                                        f"{what} would be published as /{a.dest_uri}, where the site writes "
                                        f"/{others[0]}; rename it"))
    return problems


class WrittenFile(File):
    """A generated file that the plugin writes into site_dir itself, so MkDocs need not copy it.

    Its source is its own destination: until ``written`` is set, MkDocs copies it the way it copies
    such a file (it skips it if it is there, and fails the build if it is missing).
    """

    written = False

    def copy_file(self, dirty: bool = False) -> None:
        if not self.written:  # a dozen thousand files: MkDocs' check costs four system calls each
            super().copy_file(dirty)


def poll_interval(watched_files: int) -> float:
    """Seconds between two looks at the watched files: 0.1 s for a few hundred, MkDocs' 0.5 s from 2,500."""
    return min(0.5, max(0.1, watched_files / 5000))


def set_poll_interval(server: Any, seconds: float) -> bool:
    """Make MkDocs' polling watcher look every ``seconds``; False (and MkDocs' default kept) if it cannot.

    watchdog has no public setter: its observer and emitters keep the interval in ``_timeout``. The
    observer's applies to folders watched from now on (disclosures_dir is added after ``on_serve``).
    """
    observer = getattr(server, "observer", None)
    targets = [observer, *getattr(observer, "emitters", ())] if observer is not None else []
    if not targets or not all(hasattr(t, "_timeout") for t in targets):
        return False
    for target in targets:
        target._timeout = seconds
    return True


def _site_files(site: Path) -> list[str]:
    """Every file below ``site`` as a sorted ``/``-separated relative path (os.walk: pathlib's rglob is
    several times slower over the tens of thousands of files of a large site)."""
    out: list[str] = []
    for folder, _, names in os.walk(site):
        rel = os.path.relpath(folder, site)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        out.extend(prefix + name for name in names)
    return sorted(out)


def _decorate_preview(html: str, now: datetime) -> str:
    when = now.isoformat()
    banner = (f'<div class="osqi-preview-banner" role="alert" style="background:#8b0000;color:#fff;padding:.6rem 1rem;'
              f'font-weight:700;text-align:center">PREVIEW as of {when}: may show embargoed disclosures. '
              "Confidential; never deploy or share.</div>")
    html = html.replace("</head>", '<meta name="robots" content="noindex, nofollow"></head>', 1)
    head_end = html.find("<body")
    if head_end != -1:
        body_open = html.find(">", head_end) + 1
        html = html[:body_open] + banner + html[body_open:]
    return html


def _write_first(files: Files, pages: set[int]) -> None:
    """Move the files of ``pages`` (by ``id``) to the front, keeping every other order: MkDocs writes pages
    in this order, so serve shows the page just edited before rewriting the unchanged ones."""
    ordered = sorted(files, key=lambda f: id(f.page) not in pages if f.page is not None else True)
    for f in ordered:
        files.remove(f)
    for f in ordered:
        files.append(f)


def _nav_titles(nav: Any) -> dict[str, str]:
    """``{path: title}`` of every titled page entry in a nav configuration."""
    out: dict[str, str] = {}
    items = nav if isinstance(nav, list) else [nav] if isinstance(nav, dict) else []
    for item in items:
        if isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    out.setdefault(value, str(title))
                else:
                    out.update({k: v for k, v in _nav_titles(value).items() if k not in out})
    return out


def _linker(files: Files, page: Page) -> Callable[[str], str]:
    """Maps a page's source path to its URL relative to ``page``."""
    def href(src_path: str) -> str:
        target = files.get_file_from_path(src_path)
        if target is None:
            raise PluginError(f"osqi: {page.file.src_uri}: no page {src_path} to link to")
        return target.url_relative_to(page.file)
    return href


TEMP_TAG = ".osqi-tmp-"
"""In the name of every temporary folder a build or preview makes beside its destination:
``.<destination>.osqi-tmp-building-<random>`` (the site being built) and ``.<destination>.osqi-tmp-old-<random>``
(the site it replaced, being deleted). ``init``'s ``.gitignore`` ignores them."""
LEGACY_TEMP = (".building-", ".old-")
"""What versions before TEMP_TAG called them."""


def temp_prefix(final: Path, kind: str) -> str:
    return f".{final.name}{TEMP_TAG}{kind}-"


def clean_leftovers(final: Path) -> list[Path]:
    """Delete the temporary folders an interrupted build or preview of ``final`` left beside it.

    A build holds a lock on its temporary folder until it ends (the kernel drops it if the process is killed),
    so a folder that can be locked is a leftover, and one that cannot is another build's, still running.
    """
    removed: list[Path] = []
    prefixes = (f".{final.name}{TEMP_TAG}", *(f".{final.name}{legacy}" for legacy in LEGACY_TEMP))
    try:
        entries = sorted(os.scandir(final.parent), key=lambda e: e.name)
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefixes) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            lock = _claim(Path(entry.path), wait=False)
        except OSError:
            continue  # another build's, still running
        try:
            shutil.rmtree(entry.path)
            removed.append(Path(entry.path))
            log.info("osqi: removed %s, left by an interrupted build", entry.path)
        finally:
            os.close(lock)
    return removed


def _claim(folder: Path, *, wait: bool = True) -> int:
    """A descriptor of ``folder`` holding an exclusive lock on it (``OSError`` if taken and not ``wait``)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        os.close(fd)
        raise
    return fd


def _holding_marker(root: Path, marker: str) -> Path | None:
    """The first folder below ``root`` (not ``root`` itself) that holds ``marker``, or ``None``."""
    if not root.is_dir():
        return None
    for folder, _, names in os.walk(root):
        if marker in names and folder != str(root):
            return Path(folder)
    return None


def _swap_in(built: Path, final: Path) -> None:
    """Replace ``final`` with ``built`` using renames, so readers never see a half-written site."""
    old = None
    lock = None
    if final.exists():
        lock = _claim(final)  # the lock moves with the folder: no other run takes it for a leftover
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(final, "old"), dir=final.parent))
        old.rmdir()
        final.rename(old)
    built.rename(final)
    try:
        if old is not None:
            _remove_tree(old)
    finally:
        if lock is not None:
            os.close(lock)


def _remove_tree(root: Path, threads: int = 4) -> None:
    """``shutil.rmtree``, its sub-folders removed by several threads at once.

    Removing a file waits on the disk, with the GIL released: at 10,000 disclosures (45,000 files and
    folders) one thread took 7 s on ext4, four took 3.7 s. Runs last, when no process will be forked.
    """
    entries = [e for top in os.scandir(root) if top.is_dir(follow_symlinks=False) for e in os.scandir(top.path)]

    def remove(entry: os.DirEntry[str]) -> None:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(remove, entries))  # list(): an error in any of them is raised here
    shutil.rmtree(root)
