"""Projects under the institute's care: their pages' frontmatter, which disclosures they own, their figures and feeds.

A project is a content page, ``<docs_dir>/projects/<slug>.md``, whose frontmatter says what the institute looks
after and how. Everything computed here (disclosure lists, figures, feeds) takes the *public* disclosures
(``Publication.public``) and nothing else, so no withheld disclosure can move a count or appear in a list.
No MkDocs import: the plugin only wires these functions in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from osqi_site.core import ecosystems as eco
from osqi_site.core.loader import SourceDoc, read_page_meta
from osqi_site.core.model import Affected, Disclosure
from osqi_site.core.pagenames import mkdocs_reads_as_page
from osqi_site.core.problems import Problem
from osqi_site.core.timefmt import InstantError, parse_date_or_instant
from osqi_site.core.validate import (
    _Checker,  # the disclosures' checker: same rules, same messages, same located problems
)
from osqi_site.pages import stats

FOLDER = "projects"
"""The folder of project pages below ``docs_dir``, and of their pages and feeds in the site."""

CARE_LEVELS = ("maintenance", "life-support", "watch")
CARE_LABELS = {"maintenance": "Maintenance", "life-support": "Life support", "watch": "Watch"}
CARE_MEANINGS = {
    "maintenance": "we share the maintenance: reviews, fixes, releases and vulnerability handling",
    "life-support": "we handle vulnerability reports and security releases, nothing else",
    "watch": "we follow its security and audit it from time to time",
}

PROJECT_FIELDS = ("name", "care", "since", "repo", "packages", "contacts", "description")
"""What a project page's frontmatter says about the project."""
GATE_FIELDS = ("embargo_until", "draft")
"""Gating fields every content page may carry; a withheld project page is left out of everything."""
TOP_LEVEL_FIELDS = (*PROJECT_FIELDS, *GATE_FIELDS)
PACKAGE_FIELDS = ("ecosystem", "package", "repo")

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
"""A project's slug, matched whole (``fullmatch``: ``$`` would also pass a trailing newline)."""
_CONTACT = re.compile(r"^(https?://|mailto:)\S+$")
_NAME_MAX = 100
_DESCRIPTION_MAX = 300


@dataclass(frozen=True)
class PackageRef:
    """One package a project publishes: ``{ecosystem, package}``, or ``{ecosystem: GIT, repo}`` for an upstream."""

    ecosystem: str
    package: str | None = None
    repo: str | None = None


@dataclass(frozen=True)
class Project:
    slug: str
    name: str
    care: str
    since: date
    repo: str
    packages: tuple[PackageRef, ...]
    source: str
    """The page's path as problems name it, ``<docs_dir name>/projects/<slug>.md``."""
    contacts: tuple[str, ...] = ()
    description: str = ""

    @property
    def src_uri(self) -> str:
        """The page's path below ``docs_dir``, as MkDocs names it."""
        return f"{FOLDER}/{self.slug}.md"

    @property
    def folder(self) -> str:
        """Site-relative folder of the page and its feeds."""
        return f"{FOLDER}/{self.slug}/"


@dataclass(frozen=True)
class ProjectSet:
    """The projects of a site: the public ones, and the names of withheld ones (never published)."""

    public: tuple[Project, ...]
    withheld_names: tuple[str, ...]
    problems: tuple[Problem, ...]


# -- matching ------------------------------------------------------------------------------------------------


def covers(ref: PackageRef, a: Affected) -> bool:
    """The one matching rule: whether a project's package entry names a disclosure's affected entry.

    A ``GIT`` entry matches any affected entry naming the same repository (see ``same_repo``). Any other entry
    matches an affected entry with the same package name (exactly as written) and the same ecosystem; an
    ecosystem given without a ``:suffix`` (``Debian``) matches every suffix (``Debian:12``).
    """
    if ref.ecosystem == eco.GIT:
        return ref.repo is not None and a.repo is not None and same_repo(ref.repo, a.repo)
    if a.package != ref.package:
        return False
    if ":" in ref.ecosystem:
        return a.ecosystem == ref.ecosystem
    return a.ecosystem.split(":", 1)[0] == ref.ecosystem


def same_repo(x: str, y: str) -> bool:
    """Two repository URLs name the same repository: scheme and host in any case, without ``.git`` or ``/``."""
    return _repo_key(x) == _repo_key(y)


def _repo_key(url: str) -> str:
    scheme, _, rest = url.strip().partition("://")
    host, _, path = rest.partition("/")
    path = path.rstrip("/").removesuffix(".git").rstrip("/")
    return f"{scheme.lower()}://{host.lower()}/{path}"


def affects(project: Project, d: Disclosure) -> bool:
    return any(covers(ref, a) for ref in project.packages for a in d.affected)


def disclosures_of(project: Project, public: Iterable[Disclosure]) -> list[Disclosure]:
    """The project's public disclosures, newest first (withdrawn ones included, marked as such on the page)."""
    found = [d for d in public if affects(project, d)]
    return sorted(found, key=lambda d: (d.published, d.id), reverse=True)


def projects_of(d: Disclosure, projects: Iterable[Project]) -> tuple[Project, ...]:
    """The projects a disclosure belongs to, by name."""
    return tuple(sorted((p for p in projects if affects(p, d)), key=lambda p: (p.name.casefold(), p.slug)))


# -- figures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFigures:
    """The home page's figures (``stats.figures``) over one project's public disclosures, plus time to fix."""

    figures: stats.Figures
    median_days_to_fix: float | None
    with_fix_date: int


def project_figures(project: Project, public: Sequence[Disclosure]) -> ProjectFigures:
    """``public`` must be ``Publication.public``: the figures count nothing else."""
    mine = disclosures_of(project, public)
    to_fix, with_fix = stats.median_days(stats.counted(mine), stats.days_to_fix)
    return ProjectFigures(stats.figures(mine), to_fix, with_fix)


# -- reading and validating project pages --------------------------------------------------------------------


def read_projects(docs_dir: Path, withheld: Iterable[str] = ()) -> ProjectSet:
    """Every project page below ``docs_dir/projects``, validated; ``withheld`` holds the content gate's paths.

    Only the loader reads the files (its strict YAML); a withheld page is validated too (fail closed) but only
    its name is kept, as a marker the leak scan looks for.
    """
    folder = docs_dir / FOLDER
    if not folder.is_dir():
        return ProjectSet((), (), ())
    hidden = frozenset(withheld)
    public: list[Project] = []
    names: list[str] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*")):
        rel = f"{docs_dir.name}/{path.relative_to(docs_dir).as_posix()}"
        if any(part.startswith(".") for part in path.relative_to(docs_dir).parts):
            continue  # MkDocs never publishes dot files, nor does the content gate look at them
        if path.suffix != ".md":
            # MkDocs builds `.markdown`, `.mdown`, `.mkdn`, `.mkd` into pages too: here such a page would be
            # published unchecked as a project, so only `<slug>.md` is a page in this folder.
            if mkdocs_reads_as_page(path.name) and not path.is_dir():
                problems.append(Problem(rel, 0, "file", f"a page in {FOLDER}/ is a project page, named "
                                        f"<slug>.md; rename it '{path.stem}.md'"))
            continue
        if path.parent != folder:
            problems.append(Problem(rel, 0, "file", f"a project page lies directly in {FOLDER}/; move it"))
            continue
        if path.name == "index.md":
            problems.append(Problem(rel, 0, "file", f"{FOLDER}/index.md is made by the build; remove this file"))
            continue
        meta, lines, found = read_page_meta(path, rel)
        if found:
            problems.extend(found)
            continue
        project, invalid = validate_project(SourceDoc(rel, path.stem, meta, lines, "", 1))
        problems.extend(invalid)
        if project is None:
            continue
        if rel in hidden:
            names.append(project.name)
        else:
            public.append(project)
    # As for withheld pages' titles: short names would match ordinary words, and a public name is no secret.
    shown = {p.name for p in public}
    markers = sorted({n for n in names if len(n) >= 6} - shown)
    return ProjectSet(tuple(public), tuple(markers), tuple(problems))


def is_slug(text: str) -> bool:
    """Whether ``text`` is a bare slug: ASCII lower-case letters, digits and '-', never a path."""
    return SLUG.fullmatch(text) is not None


def validate_project(doc: SourceDoc) -> tuple[Project | None, list[Problem]]:
    """Check one project page's frontmatter completely; the Project only if it has no problem at all."""
    c = _Checker(doc)
    meta = doc.meta
    if not meta:
        c.add("frontmatter", "missing: a project page starts with '---', its fields (name, care, since, repo, "
                             "packages) and a closing '---'")
        return None, c.problems
    c.unknown_keys(meta, TOP_LEVEL_FIELDS, "")
    if not is_slug(doc.stem):
        c.add("file", f"'{doc.stem}.md': a project's file name is its URL: lower-case letters, digits and '-'")
    name = c.text(meta.get("name"), "name", max_len=_NAME_MAX)
    care = c.choice(meta.get("care"), "care", CARE_LEVELS)
    since = _take_since(c, meta.get("since"))
    repo = c.url(meta.get("repo"), "repo")
    refs = c.each(c.listing(meta.get("packages"), "packages", required=True), "packages", _take_package(c))
    contacts = []
    for i, item in enumerate(c.listing(meta.get("contacts"), "contacts")):
        text = c.text(item, f"contacts[{i}]")
        if text is not None and not _CONTACT.match(text):
            c.add(f"contacts[{i}]", f"'{text}' must be an https:// or mailto: URL")
        elif text is not None:
            contacts.append(text)
    description = c.text(meta.get("description"), "description", required=False, max_len=_DESCRIPTION_MAX)
    seen: dict[PackageRef, int] = {}
    for i, ref in enumerate(refs):
        if ref in seen:
            c.add(f"packages[{i}]", f"is listed twice (first as packages[{seen[ref]}])")
        seen.setdefault(ref, i)
    if c.problems or name is None or care is None or since is None or repo is None:
        return None, c.problems
    return Project(doc.stem, name, care, since, repo, refs, doc.path, tuple(contacts), description or ""), []


def _take_since(c: _Checker, value: Any) -> date | None:
    if value is None:
        c.add("since", "is required: the day the institute took the project on, e.g. 2024-04-01")
        return None
    try:
        when = parse_date_or_instant(value)
    except InstantError:
        c.add("since", f"'{value}' is not a date; write the day as 2024-04-01")
        return None
    if isinstance(when, datetime):
        c.add("since", "is an instant; write the day alone, e.g. 2024-04-01")
        return None
    return when


def _take_package(c: _Checker) -> Callable[[dict[str, Any], str], PackageRef | None]:
    def build(m: dict[str, Any], fld: str) -> PackageRef | None:
        n = len(c.problems)
        c.unknown_keys(m, PACKAGE_FIELDS, f"{fld}.")
        ecosystem = c.text(m.get("ecosystem"), f"{fld}.ecosystem")
        if ecosystem is not None and ecosystem != eco.GIT and not eco.is_osv_ecosystem(ecosystem):
            c.add(f"{fld}.ecosystem", f"'{ecosystem}' is not an OSV ecosystem (PyPI, npm, crates.io, Go, Maven, "
                  "Debian, ...) nor GIT")
        if ecosystem == eco.GIT:
            repo = c.url(m.get("repo"), f"{fld}.repo") if m.get("repo") is not None else None
            if m.get("repo") is None:
                c.add(f"{fld}.repo", "is required when ecosystem is GIT: the upstream repository URL")
            if "package" in m:
                c.add(f"{fld}.package", "a GIT entry is matched by its repo alone; remove package")
            return PackageRef(eco.GIT, None, repo) if len(c.problems) == n and repo is not None else None
        package = c.text(m.get("package"), f"{fld}.package")
        if "repo" in m:
            c.add(f"{fld}.repo", "only a GIT entry is matched by repository; remove repo or use ecosystem: GIT")
        if len(c.problems) > n or ecosystem is None or package is None:
            return None
        return PackageRef(ecosystem, package)
    return build


def project_problems(projects: ProjectSet, coverage_request: str | None) -> list[Problem]:
    """Problems of the project pages, and of the ``coverage_request`` option when projects use it."""
    problems = list(projects.problems)
    if coverage_request is not None and not _CONTACT.match(coverage_request):
        problems.append(Problem("mkdocs.yml", 0, "coverage_request",
                                f"'{coverage_request}' must be an https:// or mailto: URL"))
    return problems


# -- pages -----------------------------------------------------------------------------------------------------


@cache
def _env() -> Any:
    from osqi_site.pages.generated import (
        _env as render_env,  # the disclosure pages' environment: same escaping, same helpers
    )

    return render_env()


def care_label(care: str) -> str:
    return CARE_LABELS[care]


def project_block(project: Project, public: Sequence[Disclosure], href: Callable[[str], str]) -> str:
    """The HTML the build puts at the top of a project page: facts, figures, disclosures and feeds.

    ``public`` must be ``Publication.public``; ``href`` maps a page's source path to a link from the project page.
    """
    from osqi_site.pages.generated import days_label

    mine = disclosures_of(project, public)
    return str(_env().get_template("project_block.html.j2").render(
        p=project, care=CARE_LABELS[project.care], meaning=CARE_MEANINGS[project.care],
        items=[(d, href(f"disclosures/{d.id}.md")) for d in mine], f=project_figures(project, public),
        days_label=days_label, all_href=href(f"{FOLDER}/index.md"))).strip()


PROJECT_MARKER = "<!-- osqi:project -->"
"""Where the build's block goes on a project page (put there by ``project_markdown``, never by an author)."""


def project_markdown(markdown: str, project: Project, public: Sequence[Disclosure],
                     href: Callable[[str], str]) -> tuple[str, dict[str, Callable[[], str]]]:
    """A project page's Markdown with its name as the title and a marker for the build's block before the
    author's text, and the block's maker: the block is the build's own HTML, put in after the page is
    sanitised (``render.content_page``). An author's own copy of the marker is dropped first."""
    from osqi_site.pages.generated import md_heading

    text = "\n".join(line for line in markdown.strip().split("\n") if line.strip() != PROJECT_MARKER)
    page = f"# {md_heading(project.name)}\n\n{PROJECT_MARKER}\n\n{text}\n"
    return page, {PROJECT_MARKER: lambda: project_block(project, public, href)}


def listing_page(projects: Sequence[Project], public: Sequence[Disclosure], coverage_request: str) -> Any:
    """``/projects/``: every public project with its care level and figures, a care filter, how to ask for more."""
    from osqi_site.pages.generated import NOT_SEARCHED, Page, _front_matter, _render_with_blocks, block_key

    rows = [(p, project_figures(p, public)) for p in sorted(projects, key=lambda p: (p.name.casefold(), p.slug))]
    fm = _front_matter(title="Projects under our care",
                       description="The open-source projects the institute looks after, how, and since when.",
                       hide=["toc"], search=NOT_SEARCHED, osqi_projects=True)
    text, blocks = _render_with_blocks("projects.md.j2", block_key(f"{FOLDER}/index.md"), front_matter=fm, rows=rows,
                                       care_levels=[(c, CARE_LABELS[c], CARE_MEANINGS[c]) for c in CARE_LEVELS],
                                       counts={c: sum(1 for p in projects if p.care == c) for c in CARE_LEVELS},
                                       coverage_request=coverage_request)
    return Page(f"{FOLDER}/index.md", text, blocks)


def disclosure_links(d: Disclosure, projects: Sequence[Project]) -> tuple[tuple[str, str], ...]:
    """``(name, site-relative folder)`` of each project a disclosure belongs to, for its page."""
    return tuple((p.name, p.folder) for p in projects_of(d, projects))


# -- feeds -----------------------------------------------------------------------------------------------------


def feed_files(projects: Sequence[Project], public: Sequence[Disclosure], settings: Any) -> dict[str, bytes]:
    """``projects/<slug>/feed.xml``, ``atom.xml`` and ``feed.json`` of each project: the site's feeds, narrowed."""
    from osqi_site.formats.feeds import Channel
    from osqi_site.formats.feeds import feed_files as site_feed_files

    out: dict[str, bytes] = {}
    for p in projects:
        channel = Channel(folder=p.folder, title=f"{settings.site_name}: {p.name}", home=p.folder)
        out.update(site_feed_files(disclosures_of(p, public), settings, channel))
    return out


# -- scaffolding -----------------------------------------------------------------------------------------------


def new_project_page(name: str, *, care: str, repo: str, ecosystem: str, package: str, today: date) -> str:
    """A new project page with every required field and the body's skeleton; values are quoted for YAML."""
    import json

    entry = (f"  - ecosystem: GIT\n    repo: {json.dumps(repo)}\n" if ecosystem == eco.GIT else
             f"  - ecosystem: {json.dumps(ecosystem)}\n    package: {json.dumps(package)}\n")
    return (f"---\nname: {json.dumps(name, ensure_ascii=False)}\ncare: {care}\nsince: {today.isoformat()}\n"
            f"repo: {json.dumps(repo)}\npackages:\n{entry}---\n\n"
            "## Why we look after it\n\nTODO: why this project matters and what help it needs.\n\n"
            "## What we do there\n\nTODO: what the institute does, and what it leaves to the maintainers.\n")
