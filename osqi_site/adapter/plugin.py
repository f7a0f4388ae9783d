"""The MkDocs glue: runs the pipeline, hands MkDocs the generated pages, writes exports, swaps the site in."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
from collections.abc import Callable, Sequence
from datetime import datetime
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
from mkdocs.utils import meta as mkdocs_meta

from osqi_site.adapter import files as files_
from osqi_site.adapter import prerender
from osqi_site.build import (
    clock,
    content_gate,
    convert_pages,
    fastcheck,
    finish,
    outputs,
    pipeline,
    transaction,
    verdicts,
)
from osqi_site.build.cache import BuildCache
from osqi_site.build.judge import judge
from osqi_site.build.pool import Background, give_back_memory, settle_heap
from osqi_site.core import gate, realfiles, sanitize
from osqi_site.core.problems import BuildError, Problem, bug_line, debugging, format_problems
from osqi_site.core.settings import OPTION_DEFAULTS, Settings, settings_from
from osqi_site.core.timefmt import InstantError, epoch_problem, parse_instant
from osqi_site.formats import search
from osqi_site.pages import convert, generated, minify, projects
from osqi_site.publish import provenance, register, signing

log = logging.getLogger("mkdocs.plugins.osqi")
THEME_DIR = Path(__file__).parents[1] / "theme"
ONE_SHOT = ("build", "gh-deploy")
"""Commands whose process ends with the build (``serve`` lives on, rebuilding)."""
LISTINGS = frozenset({"disclosures/index.md", f"{projects.FOLDER}/index.md"})
"""Generated pages that go in the nav (when the site's nav names them)."""


F = TypeVar("F", bound=Callable[..., Any])


class InternalError(PluginError):
    """An unexpected exception in the plugin, turned into one line: MkDocs fails the build, publishing nothing."""


def guarded(event: F) -> F:
    """An event handler whose unexpected exceptions fail the build with one line instead of a traceback.

    The build's own errors (``PluginError``, and ``BuildError`` from the build's modules) pass as they are;
    anything else is a bug, reported as such. ``OSQI_DEBUG=1`` lets the original exception through, traceback and all.
    """
    @functools.wraps(event)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return event(*args, **kwargs)
        except MkDocsException:
            raise
        except BuildError as e:  # the build's modules stop it with what the user reads
            raise PluginError(str(e)) from None
        except Exception as e:
            if debugging():
                raise
            raise InternalError(bug_line(e)) from None

    return run  # type: ignore[return-value]


class OsqiConfig(base.Config):
    """The ``osqi`` plugin's options; every default comes from ``core.settings.OPTION_DEFAULTS``."""

    disclosures_dir = opt.Type(str, default=OPTION_DEFAULTS["disclosures_dir"])
    id_prefix = opt.Type(str, default=OPTION_DEFAULTS["id_prefix"])
    feed_limit = opt.Type(int, default=OPTION_DEFAULTS["feed_limit"])
    contact = opt.ListOfItems(opt.Type(str), default=list(OPTION_DEFAULTS["contact"]))
    publisher_namespace = opt.Type(str, default=OPTION_DEFAULTS["publisher_namespace"])
    policy_path = opt.Type(str, default=OPTION_DEFAULTS["policy_path"])
    security_txt_days = opt.Type(int, default=OPTION_DEFAULTS["security_txt_days"])
    max_embargo_days = opt.Type(int, default=OPTION_DEFAULTS["max_embargo_days"])
    embargo_register = opt.Type(bool, default=OPTION_DEFAULTS["embargo_register"])
    """Publish commitments to embargoed disclosures at /embargoes/ and require each one's ``seal``."""
    strict_alarms = opt.Type(bool, default=OPTION_DEFAULTS["strict_alarms"])
    """Fail the build on transparency alarms instead of reporting them."""
    cache_dir = opt.Type(str, default=OPTION_DEFAULTS["cache_dir"])
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
        self.settings: Settings | None = None
        self.publication: gate.Publication | None = None
        self.output: pipeline.SiteOutput | None = None
        self.txn: transaction.Transaction | None = None
        """The publishing transaction of a one-shot build: on_config begins it, on_shutdown commits it."""
        self._site_config: MkDocsConfig | None = None
        self.generated: frozenset[str] = frozenset()
        """Source paths of the generated pages."""
        self.page_dates: dict[str, str] = {}
        self.converted: dict[str, convert.Converted] = {}
        self.content_blocks: dict[str, generated.Page] = {}
        """Content pages' marker blocks, from on_page_markdown until on_page_content puts them in."""
        self.exports: dict[str, bytes] = {}
        """Absolute site path → bytes of every feed and export, until on_env has written them."""
        self._export_files: list[files_.WrittenFile] = []
        self.search_entries: tuple[dict[str, str], ...] = ()
        self.nav: Navigation | None = None
        self.root = Path(".")
        self._html_used: list[Path] = []
        self._page_folders: Background | None = None
        """The child making the generated pages' folders in site_dir (``files.make_folders``), until on_post_build."""
        self._page_paths: list[str] = []
        """Where MkDocs will write the generated pages, from on_files until on_env has their folders made."""
        self._pruned = False
        self.cache = BuildCache(log)
        """Everything builds reuse from earlier ones; serve keeps this one object from reload to reload."""
        self.site_date = "1970-01-01"
        self.content_problems: list[Problem] = []
        self.content_markers: tuple[str, ...] = ()
        """What withheld content and project pages are known by, looked for in every output (``content_gate.Gated``)."""
        self.preview = False
        """Set by ``osqi-site preview``: any clock allowed, banner and noindex on every page, never deployable."""
        self._saved_epoch: str | None = None
        self._epoch_pinned = False
        self.build_site_dir: Path | None = None
        """Set by ``osqi-site preview``: the build folder of mkdocs.yml, where a preview must never go."""
        self._assets: dict[str, content_gate.ContentSource] = {}
        self._asset_files: dict[str, File] = {}
        self._held: frozenset[str] = frozenset()
        """Files of docs_dir (by path in docs_dir) that withheld pages may use, until on_env decides."""
        self._content_files: list[File] = []
        """The files of docs_dir (and other plugins') that passed the gate, until on_files compares them."""
        self.projects = projects.ProjectSet((), (), ())
        self._project_pages: dict[str, projects.Project] = {}
        """The public project pages (``<docs_dir>/projects/<slug>.md``) by path in docs_dir."""
        self._projects_gated = content_gate.ProjectPages(self.projects, frozenset(), False)
        """The project pages, read through the gate and validated in on_config."""
        self.previous: Path | None = None
        """Set by ``osqi-site build --previous``: the last deployed site (or its log), whose log this one extends."""
        self.source = provenance.Source()
        """The source tree this build read (commit, repository, dirty), for the provenance and the footer."""
        self.signer: finish.Signer | None = None
        """GnuPG, the key and the signature time of this build; None: the site is unsigned."""
        self.embargo_count: int | None = None
        """Open commitments of the embargo register, for the home figures; None with the register off."""
        self.reveals: dict[str, str] = {}
        """Disclosure page source path → its embargo register reveal (register.pages_reveals)."""

    # -- events, in the order MkDocs runs them ------------------------------------------------------

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.command = command
        self._pruned = False  # once per session: MkDocs may reuse this object for the next one
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
        self.source = finish.read_source(root)
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
        cache_dir = self._cache_folder(root, disclosures_dir, config)
        self.cache.open(cache_dir, serving=self.command == "serve")
        code = prerender.code_digest()
        # serve re-reads only the files that changed since its last rebuild; a build, those the cache lacks.
        judged = judge(disclosures_dir, root, settings, now, config_name=Path(config.config_file_path).name,
                       strict=self.strict_alarms or self.config.strict_alarms,
                       memo=self.cache.kept(fastcheck.MEMO, fastcheck.FileMemo), cache=self.cache, code=code)
        pub = judged.publication
        # INFO, not WARNING: MkDocs' own strict mode would otherwise turn every alarm into a failure.
        for w in judged.warnings:
            log.info("osqi: transparency alarm: %s", w)
        problems = [*judged.problems, *content_gate.tree_problems(Path(config.docs_dir), _theme_dir(config), root)]
        if problems:
            raise PluginError(format_problems(problems))
        if judged.checked is not None and not self.preview:  # a preview's clock may publish what is withheld
            fastcheck.keep(self.cache, judged.checked, pub)
        del judged  # and with it the check's pickled results: not carried into the workers forked below
        give_back_memory()
        # Our layout (osqi.html, styles) sits just below the site's own overrides, above Material's.
        config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(THEME_DIR))
        self.settings, self.publication = settings, pub
        self._projects_gated = content_gate.read_projects(Path(config.docs_dir), now, self.config.coverage_request)
        self.projects = self._projects_gated.found
        self._project_pages = {p.src_uri: p for p in self.projects.public}
        links = {d.id: projects.disclosure_links(d, self.projects.public) for d in pub.public}
        site = outputs.site(pub, settings, links, self.cache, code, parallel=self.command != "serve")
        output = finish.with_projects(site,
                                      self.projects, self._projects_gated.present, pub, settings,
                                      self.config.coverage_request)
        recorded = finish.with_history(output, self.previous, now, pub, settings)
        self.embargo_count, self.reveals = recorded.embargo_count, recorded.reveals
        self.output = self._with_signing(recorded.output, settings, now)
        self.generated = frozenset(p.src_path for p in self.output.pages)
        recipe = convert.Recipe(tuple(config.markdown_extensions), dict(config.mdx_configs or {}))
        self.converted = convert_pages.converted(self.output.pages, recipe, self.cache,
                                                 parallel=self.command != "serve")
        self.page_dates = {f"disclosures/{d.id}.md": d.modified.date().isoformat() for d in pub.public}
        newest = pipeline.newest_change(pub)
        # Without a public date, a fixed old date keeps sitemap and gzip stamps reproducible.
        self.site_date = newest.date().isoformat() if newest else "1970-01-01"
        self.content_problems = []
        if self.command == "serve":
            config.watch.append(str(disclosures_dir))
        elif self.command is not None:
            self._begin_transaction(config)
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
        for name, text in transaction.marker_files(preview=self.preview, now=self.publication.now).items():
            # An explicit inclusion level: MkDocs would otherwise drop dotfiles such as the markers.
            files.append(File.generated(config, name, content=text, inclusion=InclusionLevel.NOT_IN_NAV))
        for project in self.projects.public:
            found = files.get_file_from_path(project.src_uri)
            if found is not None:
                found.inclusion = InclusionLevel.NOT_IN_NAV  # listed on /projects/, not each in the nav
        titles = files_.nav_titles(config.nav)  # MkDocs reuses our page objects in the nav: give them its titles
        pages: list[str] = []
        for page in self.output.pages:
            inclusion = InclusionLevel.INCLUDED if page.src_path in LISTINGS else \
                InclusionLevel.NOT_IN_NAV  # one listing in the nav; a nav of every page is quadratic
            file = File.generated(config, page.src_path, content=page.markdown, inclusion=inclusion)
            prerender.GeneratedPage(file, config, page, self.converted.pop(page.src_path, None),
                                     titles.get(page.src_path))
            files.append(file)
            pages.append(file.abs_dest_path)
        attached = [files_.AttachmentFile.generated(config, dest, abs_src_path=source)
                    for dest, source in self.output.attachments.items()]
        for file in attached:
            files.append(file)
        # Exports join Files too, so that `strict` link checks see them. on_env writes them into the site on
        # every core, before the pages are rendered.
        self.exports = {}
        self._export_files = []
        for rel, data in self.output.files.items():
            # NOT_IN_NAV rather than MkDocs' default, which drops dot-folders such as .well-known/.
            file = files_.WrittenFile.generated(config, rel, abs_src_path=os.path.join(config.site_dir, rel),
                                         inclusion=InclusionLevel.NOT_IN_NAV)
            self.exports[file.abs_dest_path] = data
            if isinstance(file, files_.WrittenFile):  # else MkDocs finds the written file there and skips it
                self._export_files.append(file)
            files.append(file)
        collisions = self._clashes(files, attached)
        if collisions:
            raise PluginError(format_problems(collisions))
        if self._held:
            self._held = content_gate.not_named_in(self._held, [page.markdown for page in self.output.pages])
        self.search_entries = self.output.search
        self.output = None  # MkDocs' files and pages hold it all now; held here too, it would stay to the end
        self._page_paths = pages  # their folders are made in on_env
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
            linker = files_.linker(files, page)
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
        env.globals["osqi_translated"] = prerender.translated  # theme/partials/language.html
        pages = [f.page for f in files.documentation_pages() if isinstance(f.page, prerender.GeneratedPage)]
        inclusion = InclusionLevel.is_in_serve if self.command == "serve" else InclusionLevel.is_included
        # The exports first, and let go: the page workers below would otherwise inherit them too.
        files_.write_files(self.exports)
        for file in self._export_files:
            file.written = True
        self.exports, self._export_files = {}, []
        give_back_memory()  # the exports' bytes, before the page workers fork
        # Forked only now: every memory page this process changes or frees while a child lives stays in memory
        # for the child too, and reading the pages (after on_files) and letting the exports go change most of them.
        self._page_folders = files_.make_folders(self._page_paths, parallel=self.command != "serve")
        self._page_paths = []
        rendered = prerender.prerender(pages, config=config, nav=self.nav, env=env,
                                       doc_files=files.documentation_pages(inclusion=inclusion),
                                       cache=self.cache.folder(f"html/{self._render_kind()}"),
                                       parallel=self.command != "serve")
        log.debug("osqi: %d of %d generated pages rendered, the others from the cache", len(rendered), len(pages))
        if self.command == "serve" and rendered:
            files_.write_first(files, {id(p) for p in rendered})
        self._html_used = [p.rendered for p in pages if p.rendered is not None]
        return env

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Callable[..., Any]) -> Any:
        # MkDocs' watcher polls every 0.5 s, so a saved edit waits 0.25 s on average before the rebuild
        # starts. A poll stats every watched file (about 11 us each), so a smaller project can afford to
        # look more often without the idle server using more than a few per cent of a core.
        watched = self.cache.kept(fastcheck.MEMO, fastcheck.FileMemo) or {}
        files_.set_poll_interval(server, files_.poll_interval(len(watched)))
        return server

    @event_priority(-100)  # after the search plugin has written its index, so the scan covers it
    @guarded
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._page_folders_made()
        site = Path(config.site_dir)
        minify.minify_folder(site / minify.ASSETS)  # before the seal: SHA256SUMS lists what is served
        if self.preview:
            self._mark_preview_pages(site)
        self._add_search_entries(site)
        self.search_entries = ()
        give_back_memory()  # what rendering and writing the pages freed, before the seal's workers fork
        self._seal(site)
        self._restore_build_date()
        self.cache.prune()
        if self._html_used and not self._pruned:
            prerender.prune(self._html_used[0].parent, self._html_used, clock.now().timestamp())
            # Once per serve session is enough: a reload only adds renders, which the next build prunes.
            self._pruned = self.command == "serve"
        if self.txn is not None:
            self.txn.mark_complete()

    def on_build_error(self, *, error: Exception) -> None:
        # Also called for strict-mode warnings, which MkDocs counts only after on_post_build.
        self._restore_build_date()
        self._page_folders_made()  # before the temporary site is deleted, or the child could make folders in it again
        if self.txn is not None:
            self.txn.abort()

    @guarded
    def on_shutdown(self) -> None:
        # Only here is the build known to have passed every check, strict mode included.
        self._restore_build_date()  # Ctrl-C skips on_build_error
        txn, config = self.txn, self._site_config
        self.txn = self._site_config = None
        if txn is None or config is None:
            return
        try:
            txn.commit()
        except transaction.Refused as e:  # another run put the other kind of site there meanwhile
            raise PluginError(f"osqi: {e}; nothing was published") from None
        finally:
            config.site_dir = str(txn.final)  # gh-deploy pushes site_dir after this; the temporary one is gone

    # -- helpers -----------------------------------------------------------------------------------

    def _clock(self) -> datetime:
        requested = self.as_of
        if requested is None and self.config.as_of:
            try:
                requested = parse_instant(self.config.as_of)
            except InstantError as e:
                raise PluginError(f"osqi: as_of {e}") from None
        try:
            return clock.build_instant(requested, preview=self.preview)
        except clock.ClockError as e:
            raise PluginError(f"osqi: {e}") from None

    def _gate_content(self, files: Files, config: MkDocsConfig) -> None:
        """Gate every file MkDocs would publish from docs_dir (or another plugin made), as MkDocs classifies it."""
        assert self.publication is not None
        theme_dirs = {os.path.normpath(d) for d in config.theme.dirs}
        gated = {f.src_uri: f for f in files if f.src_dir is None or os.path.normpath(f.src_dir) not in theme_dirs}
        custom = os.path.normpath(config.theme.custom_dir) if config.theme.custom_dir else None
        theme_files = [(f.src_uri, realfiles.rel(f.abs_src_path or f.src_uri, self.root)) for f in files
                       if custom is not None and f.src_dir is not None and os.path.normpath(f.src_dir) == custom]
        docs = [content_gate.DocFile(f.src_uri, f.url, f.content_bytes if f.abs_src_path is None else
                                     Path(f.abs_src_path), f.is_documentation_page()) for f in gated.values()]
        markdown = content_gate.Markdown(config.markdown_extensions, config.mdx_configs, config.site_url,
                                         lambda text: mkdocs_meta.get_data(text)[0])
        decided = content_gate.gate_files(docs, Path(config.docs_dir).name, self.publication.now,
                                          theme_files=theme_files, project_pages=self._projects_gated,
                                          markdown=markdown)
        self.content_markers = decided.markers
        for src in sorted(decided.withheld):
            # Removed, not merely excluded: a link to it from a public page now fails the strict build.
            files.remove(gated[src])
        self._content_files = [f for src, f in gated.items() if src not in decided.withheld]
        self._assets = dict(decided.assets)
        self._asset_files = {src: gated[src] for src in decided.assets}
        self._held = decided.held
        if config.nav is not None:
            # A withheld page leaves the nav until it lifts, so a scheduled rebuild publishes it unaided.
            config.nav = content_gate.prune_nav(config.nav, set(decided.withheld))

    def _hold_back_assets(self, files: Files, config: MkDocsConfig) -> None:
        """Take out of the site every file of docs_dir that a withheld page may use and nothing public does (every
        page has been read by now and no file copied yet)."""
        pages = [content_gate.PublicPage(f.page.content or "", f.page.url, f.page.meta)
                 for f in files.documentation_pages(inclusion=lambda _: True)
                 if f.page is not None and not isinstance(f.page, prerender.GeneratedPage)] if self._held else []
        for src in content_gate.held_back(self._held, self._assets, pages, config_file=_config_file(config),
                                          theme_dir=_theme_dir(config), site_url=config.site_url):
            log.info("osqi: %s is used only by withheld pages; held back", src)
            files.remove(self._asset_files[src])
        self._held = frozenset()

    def _clashes(self, files: Files, attached: Sequence[File]) -> list[Problem]:
        """Files published where the site writes one of its own (``content_gate.clashes``)."""
        listed = {id(f) for f in files}
        # MkDocs keeps one file per source path: one of ours may have taken a content file's place in Files.
        groups: tuple[tuple[content_gate.Origin, Sequence[File]], ...] = (("attachment", attached),
                                                                           ("content", self._content_files))
        placed = [content_gate.Placed(f.dest_uri, origin, f.abs_src_path or f.src_uri, id(f) not in listed)
                  for origin, group in groups for f in group]
        ours = {id(f) for f in (*attached, *self._content_files)}
        return content_gate.clashes((f.dest_uri for f in files if id(f) not in ours), placed, self.root)

    def _render_kind(self) -> str:
        """The kind of build whose renders are kept together (``prerender.prune``): build, preview or serve."""
        return "preview" if self.preview else "serve" if self.command == "serve" else "build"

    def _cache_folder(self, root: Path, disclosures_dir: Path, config: MkDocsConfig) -> Path:
        """``cache_dir``, made and resolved; refused, in one line, where a cache must never be. Decided on real paths.

        A build loads the cache's compiled templates and check results: one that a repository tracks could have
        been planted by a pull request. A cache inside or around what the site is made of or published to would
        be published, or read as content.
        """
        name = self.config.cache_dir
        given = root / name
        real = given.resolve()
        if os.path.lexists(given) and not real.is_dir():
            raise PluginError(f"osqi: cache_dir: {name} is not a folder (a file, or a link to nothing); "
                              "delete it or name another cache_dir")
        # The site folder is the transaction's to refuse (Transaction.begin): it may never be or hold cache_dir.
        sources = [("the project folder", root, False), ("docs_dir", Path(config.docs_dir).resolve(), True),
                   ("disclosures_dir", disclosures_dir, True)]
        theme = _theme_dir(config)
        if theme is not None:
            sources.append(("theme.custom_dir", theme.resolve(), True))
        for what, folder, inside_too in sources:
            if folder.is_relative_to(real) or (inside_too and real.is_relative_to(folder)):
                raise PluginError(f"osqi: cache_dir: {name} lies {'in or ' if inside_too else ''}around {what}; "
                                  "a cache there would be published or read as content: name a folder of its own "
                                  "(the default is .osqi-cache)")
        if (why := finish.cache_refusal(given)) is not None:
            raise PluginError(f"osqi: cache_dir: {name} {why}")
        try:
            real.mkdir(parents=True, exist_ok=True)
            ignore = real / ".gitignore"
            if not ignore.is_file():
                # Whatever the folder is called and whatever the project ignores, git never offers to add the
                # cache (a preview's embargoed renders, say) to a commit.
                ignore.write_text("# The osqi build cache: never to be committed.\n*\n", encoding="utf-8")
        except OSError as e:
            raise PluginError(f"osqi: cache_dir: {name} cannot be made: {e.strerror or e}") from None
        return real

    def _begin_transaction(self, config: MkDocsConfig) -> None:
        """Point MkDocs at a temporary folder beside site_dir, swapped in by on_shutdown only once complete."""
        root = Path(config.config_file_path).resolve().parent
        sources = [("disclosures_dir", root / self.config.disclosures_dir), ("docs_dir", Path(config.docs_dir)),
                   ("cache_dir", root / self.config.cache_dir), ("git folder", root / ".git"),
                   *(("theme folder", Path(d)) for d in config.theme.dirs)]
        try:
            self.txn = transaction.Transaction.begin(Path(config.site_dir), preview=self.preview,
                                                     config_file=Path(config.config_file_path), sources=sources,
                                                     build_dir=self.build_site_dir)
        except transaction.Refused as e:
            raise PluginError(f"osqi: {e}") from None
        self._site_config = config
        config.site_dir = str(self.txn.site_dir)  # MkDocs writes nowhere else

    def _pin_build_date(self, pub: gate.Publication) -> None:
        """MkDocs stamps "now" into a few places unless SOURCE_DATE_EPOCH is set; pin it to the site's own date."""
        self._saved_epoch = os.environ.get("SOURCE_DATE_EPOCH")
        self._epoch_pinned = True
        if self._saved_epoch is None:
            newest = pipeline.newest_change(pub)
            os.environ["SOURCE_DATE_EPOCH"] = str(int(newest.timestamp()) if newest else 86400)

    def _page_folders_made(self) -> None:
        """Wait for the child making the generated pages' folders (``files.make_folders``), if one still runs. A
        folder it could not make, MkDocs made or reported when it wrote the page: its answer is not needed."""
        if self._page_folders is not None:
            with contextlib.suppress(RuntimeError):  # it raised (a Ctrl-C reached it too): nothing more to know
                self._page_folders.wait()
            self._page_folders = None

    def _restore_build_date(self) -> None:
        if not self._epoch_pinned:
            return
        self._epoch_pinned = False
        if self._saved_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = self._saved_epoch

    def _add_search_entries(self, site: Path) -> None:
        index = site / search.INDEX_PATH
        if index.is_file():  # absent when the site does not use the search plugin
            index.write_bytes(search.with_disclosures(index.read_bytes(), self.search_entries))

    def _mark_preview_pages(self, site: Path) -> None:
        """Every HTML file of a preview, MkDocs' or ours, carries the banner and noindex."""
        assert self.publication is not None
        for page in sorted(site.rglob("*.html")):
            page.write_text(finish.with_preview_banner(page.read_text(encoding="utf-8"), self.publication.now),
                            encoding="utf-8")

    def _seal(self, site: Path) -> None:
        """Hash and scan every output file; write SHA256SUMS (itself scanned first) only if nothing leaked."""
        assert self.publication is not None and self.settings is not None
        looked = finish.looked_for(self.publication, self.content_markers, self.root)
        # Only an identical marker set (and scanning code) may reuse earlier verdicts: serve keeps them in
        # memory between reloads, builds in the cache.
        verdict_key = verdicts.verdict_set(looked.identity, prerender.code_digest())
        clean = self.cache.verdicts(verdict_key)
        # What is made from the final SHA256SUMS (provenance, signatures): builds only, never a preview or serve.
        source, now, url, signer = self.source, self.publication.now, self.settings.site_url, self.signer
        sealed = finish.seal(site, looked, known_clean=clean, parallel=self.command != "serve",
                             made_from_sums=(lambda sums: {}) if self.preview or self.command == "serve" else
                             lambda sums: finish.sealing_files(sums, source, now, url, signer))
        self.cache.keep_verdicts(verdict_key, sealed.clean)
        for name, data in sealed.files.items():
            (site / name).write_bytes(data)

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
        self.signer = finish.find_signer(named, now, os.environ.get("GNUPGHOME"))
        signed = finish.with_signing(output, settings, self.signer)
        log.info("osqi: signing with the OpenPGP key %s", self.signer.key.primary)
        return signed


def _theme_dir(config: MkDocsConfig) -> Path | None:
    """The site's own theme folder (``theme.custom_dir``), a project source like docs_dir."""
    return Path(config.theme.custom_dir) if config.theme.custom_dir else None


def _config_file(config: MkDocsConfig) -> Path | None:
    return Path(config.config_file_path) if config.config_file_path else None


