"""The ``osqi-site`` command: a thin shell that reads the clock and files and calls the pipeline."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from osqi_site import scaffold
from osqi_site.build import clock, content_gate
from osqi_site.build.judge import Judged, judge
from osqi_site.build.pool import settle_heap
from osqi_site.core import gate, readjson
from osqi_site.core.loader import load_tree, parse_text
from osqi_site.core.problems import DEBUG_ENV, Problem, bug_line, debugging, format_problems
from osqi_site.core.settings import OPTION_DEFAULTS
from osqi_site.core.timefmt import InstantError, iso_z, parse_instant
from osqi_site.pages import projects
from osqi_site.project import Project, configured_site_dir, find_project
from osqi_site.publish.verify import continuity_problems

BUG_EXIT = 70
"""Exit status when the guard in ``main`` caught an unexpected exception (EX_SOFTWARE): a bug, not bad input."""


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # the banner drowns our own messages
    args = _parser().parse_args(argv)
    saved = os.environ.get(DEBUG_ENV)
    if args.debug:
        os.environ[DEBUG_ENV] = "1"  # the MkDocs plugin's guard reads it too
    try:
        return int(args.run(args))
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        return 130
    except Exception as e:
        # Every input problem is reported as data long before this; what arrives here is a bug. One line,
        # not a traceback, unless asked for. Nothing was published: build and preview swap a finished site
        # in only at the very end, and their temporary folder is removed when a build fails.
        if debugging():
            raise
        print(bug_line(e), file=sys.stderr)
        return BUG_EXIT
    finally:
        if args.debug and saved is None:
            os.environ.pop(DEBUG_ENV, None)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="osqi-site", description="Publish OSQI vulnerability disclosures.")
    p.add_argument("--debug", action="store_true",
                   help=f"show the full traceback of an unexpected error (same as {DEBUG_ENV}=1)")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, help_text: str, run: object) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.set_defaults(run=run)
        return c

    c = command("init", "create a new, working site project in DIR", _init)
    c.add_argument("dir", type=Path)
    c = command("check", "validate every disclosure; exit 1 on any problem", _check)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c.add_argument("--strict", action="store_true", help="treat transparency alarms as errors")
    c = command("next-lift", "print the next instant at which the public site changes", _next)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c = command("build", "validate, gate and build the site (atomically)", _build)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c.add_argument("-d", "--site-dir", type=Path, default=None)
    c.add_argument("--as-of", default=None, metavar="T",
                   help="build the site as it stood at this past RFC 3339 instant (never later than now)")
    c.add_argument("--strict", action="store_true", help="treat transparency alarms as errors")
    c.add_argument("--previous", type=Path, default=None, metavar="OLD",
                   help="the previous site (or its history/log.json): the new log extends its log")
    c = command("preview", "render the site as it will be at T, for staff review only (banner, noindex)", _preview)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c.add_argument("-d", "--site-dir", type=Path, default=Path("site-preview"))
    c.add_argument("--as-of", required=True, metavar="T", help="RFC 3339 instant, past or future")
    c.add_argument("--strict", action="store_true", help="treat transparency alarms as errors")
    c = command("serve", "serve the site locally, rebuilding on change (gated by the real clock)", _serve)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c.add_argument("-a", "--dev-addr", default=None, metavar="IP:PORT")
    c = command("verify", "refuse a deploy that unpublishes or back-dates a disclosure (compares two sites)", _verify)
    c.add_argument("--previous", type=Path, required=True, metavar="OLD_SITE_DIR")
    c.add_argument("site_dir", type=Path, metavar="NEW_SITE_DIR")
    c = command("new", "create a new draft disclosure with the next free ID", _new)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c.add_argument("--title", default=None)
    c.add_argument("--package", default=None)
    c.add_argument("--ecosystem", default=None)
    c.add_argument("--embargo-until", default=None, metavar="T", help="RFC 3339 instant; default: 90 days from now")
    c.add_argument("--no-input", action="store_true", help="never ask; missing fields get TODO placeholders")
    c = command("cve", "print the CVE JSON 5 CNA container of a public disclosure's CVE (for cve publish)", _cve)
    c.add_argument("cve_id", metavar="CVE-ID")
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c = command("audit", "check a published site (folder or http(s) URL): signature, checksums, provenance",
                _audit)
    c.add_argument("site", metavar="SITE", help="a site folder, or the site's http(s) URL")
    c.add_argument("--previous", default=None, metavar="OLD", help="an earlier copy (folder or URL) to compare with")
    c.add_argument("--fingerprint", default=None, metavar="FPR",
                   help="the OpenPGP fingerprint the signature must be made by (default: the site's own key)")
    c = command("schema", "print the JSON Schema of disclosure frontmatter, for editors", _schema)
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"),
                   help="read id_prefix from this config when it exists (default prefix: OSQI)")
    c.add_argument("--projects", action="store_true", help="the schema of project pages' frontmatter instead")
    c = command("new-project", "create a project page, content/projects/SLUG.md, with every required field",
                _new_project)
    c.add_argument("slug", help="the page's file name and URL: lower-case letters, digits and '-'")
    c.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    c.add_argument("--name", required=True)
    c.add_argument("--care", required=True, choices=projects.CARE_LEVELS)
    c.add_argument("--repo", required=True, help="the project's repository (http(s) URL)")
    c.add_argument("--ecosystem", default="GIT", help="of its package (default GIT: matched by --repo)")
    c.add_argument("--package", default=None, help="its package name (required unless --ecosystem GIT)")
    return p


def _fail(problems: Sequence[Problem]) -> int:
    print(format_problems(problems), file=sys.stderr)
    return 1


def _project(config_file: Path) -> tuple[Project | None, int]:
    project, problems = find_project(config_file)
    if project is None:
        return None, _fail(problems)
    return project, 0


def _check(args: argparse.Namespace) -> int:
    project, rc = _project(args.config_file)
    if project is None:
        return rc
    now = clock.now()
    # A pre-commit hook: what the check loads lives until exit, and the collector would walk it again each time
    # it grows (a third of a second at 10,000 disclosures); held while it is made, then frozen.
    collecting = gc.isenabled()
    gc.disable()
    try:
        judged = _judge(project, now, args.config_file, strict=args.strict)
    finally:
        settle_heap()
        if collecting:
            gc.enable()
    problems = [*judged.problems, *projects.read_projects(project.docs_dir).problems,
                *_content(project, now)[1]]  # docs_dir: links, file names, the content pages' gate fields
    if judged.warnings:
        print("\n".join(f"warning: {w}" for w in judged.warnings), file=sys.stderr)
    if problems:
        return _fail(problems)
    pub = judged.publication
    drafts = sum(1 for d in pub.withheld if d.draft)
    print(f"{len(judged.disclosures)} disclosures valid: {len(pub.public)} public, "
          f"{len(pub.withheld) - drafts} embargoed, {drafts} drafts")
    return 0


def _judge(project: Project, now: datetime, config_file: Path, *, strict: bool = False) -> Judged:
    return judge(project.disclosures_dir, project.root, project.settings, now, config_name=config_file.name,
                 strict=strict)


def _next(args: argparse.Namespace) -> int:
    project, rc = _project(args.config_file)
    if project is None:
        return rc
    now = clock.now()
    judged = _judge(project, now, args.config_file)
    # Only the files' own problems stop it: a mention of an ID not yet public fails a build now, yet is
    # resolved by that ID's lift, which is what the scheduler asking here must learn.
    if judged.invalid:
        return _fail(judged.invalid)
    content, problems = _content(project, now)
    if problems:
        return _fail(problems)
    candidates = [t for t in (gate.next_change(judged.disclosures, now), content.next_lift) if t is not None]
    upcoming = min(candidates, default=None)
    if upcoming is not None:
        print(iso_z(upcoming))
    return 0


def _content(project: Project, now: datetime) -> tuple[content_gate.ContentGate, list[Problem]]:
    """The content gate of docs_dir at ``now`` and every problem of docs_dir (its tree and its pages)."""
    files, tree = content_gate.content_files(project.docs_dir, project.root)
    content = content_gate.gate_content(files, now)
    return content, [*tree, *content.problems]


def _build(args: argparse.Namespace) -> int:
    return _run_mkdocs(args, preview=False)


def _preview(args: argparse.Namespace) -> int:
    return _run_mkdocs(args, preview=True)


def _run_mkdocs(args: argparse.Namespace, *, preview: bool) -> int:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    from osqi_site.adapter.plugin import InternalError

    as_of = None
    if args.as_of is not None:
        try:
            as_of = parse_instant(args.as_of)
        except InstantError as e:
            print(f"--as-of {e}", file=sys.stderr)
            return 2
    overrides = {"site_dir": str(args.site_dir)} if args.site_dir else {}
    handler = _show_mkdocs_log()
    try:
        config = load_config(str(args.config_file), strict=True, **overrides)
        plugin = config.plugins.get("osqi")
        if plugin is None:
            return _fail([Problem(str(args.config_file), 0, "plugins", "the osqi plugin is not enabled")])
        plugin.as_of = as_of
        plugin.previous = getattr(args, "previous", None)
        plugin.strict_alarms = args.strict
        plugin.preview = preview
        if preview:  # the folder builds go to, even before one exists there: a preview never goes near it
            plugin.build_site_dir = configured_site_dir(args.config_file)
        target = config.site_dir
        config.plugins.run_event("startup", command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.run_event("shutdown")
            settle_heap()  # the process ends next: no collection need walk the whole build again
    except (PluginError, ConfigurationError, Abort) as e:
        print(str(e), file=sys.stderr)
        # MkDocs wraps a plugin's error in its own Abort: the plugin's guard caught a bug when either is ours.
        return BUG_EXIT if isinstance(e, InternalError) or isinstance(e.__context__, InternalError) else 1
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    signer = plugin.signer[1].primary if plugin.signer else None
    print(f"Preview as of {iso_z(as_of)} in {target}: confidential, never deploy" if preview and as_of
          else f"Site built in {target}, signed with the OpenPGP key {signer}" if signer
          else f"Site built in {target}; unsigned (no signing key configured)")
    return 0


def _verify(args: argparse.Namespace) -> int:
    records = []
    for site in (args.previous, args.site_dir):
        path = site / "osv" / "all.json"
        try:
            data = readjson.read(path)  # OLD comes from the network in the CI recipe: bounded in size and depth
        except (OSError, ValueError) as e:
            print(f"{path}: cannot read the OSV index: {e}", file=sys.stderr)
            return 1
        if not isinstance(data, list) or not all(isinstance(r, dict) and "id" in r for r in data):
            print(f"{path}: not an OSV all.json array", file=sys.stderr)
            return 1
        records.append(data)
    problems = [*continuity_problems(records[0], records[1]), *_history_problems(args.previous, args.site_dir)]
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(records[1])} records; every previously published disclosure is still there, dates consistent")
    return 0


def _history_problems(old_site: Path, new_site: Path) -> list[str]:
    """The new site's log must be whole and extend the old one's entry for entry (when the old one had a log)."""
    from osqi_site.publish import history

    logs: list[bytes | None] = []
    for site in (old_site, new_site):
        try:
            logs.append((site / history.PATH).read_bytes())
        except OSError:
            logs.append(None)
    if logs[0] is None:
        return []  # a site from before the history: the new log starts here
    if logs[1] is None:
        return [f"{new_site / history.PATH}: missing, but the previous site has a log"]
    old, old_problems = history.parse(logs[0], str(old_site / history.PATH))
    new, problems = history.parse(logs[1], str(new_site / history.PATH))
    if old_problems:
        return old_problems
    content = new_site / history.CONTENT
    last = history.content_problem(new, content.read_bytes()) if content.is_file() else None
    return [*problems, *history.extends(old, new), *([last] if last else [])]


def _audit(args: argparse.Namespace) -> int:
    from osqi_site.publish import audit

    def open_site(where: str) -> tuple[audit.Fetch, list[str] | None] | None:
        if where.startswith(("http://", "https://")):
            return audit.url_reader(where), None
        if not Path(where).is_dir():
            print(f"{where}: not a site folder nor an http(s) URL", file=sys.stderr)
            return None
        return audit.folder_reader(Path(where)), audit.site_listing(Path(where))

    site = open_site(args.site)
    previous = open_site(args.previous) if args.previous else None
    if site is None or (args.previous and previous is None):
        return 1
    report = audit.audit(site[0], args.fingerprint, site[1], previous=previous[0] if previous else None)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    for fact in report.facts:
        print(fact)
    return 1 if report.problems else 0


def _show_mkdocs_log() -> logging.Handler:
    """MkDocs reports plugin errors and strict-mode warnings through logging; show them to the user."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    return handler


def _serve(args: argparse.Namespace) -> int:  # pragma: no cover - long-running, exercised by hand
    import shutil
    import tempfile

    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    if args.dev_addr is not None and (problem := dev_addr_problem(args.dev_addr)):
        print(f"serve -a {args.dev_addr!r}: {problem}", file=sys.stderr)
        return 2
    # MkDocs rewrites every file of the preview on each reload, into a fresh temporary folder. Creating
    # thousands of small files costs far more on a disk file system than in memory (0.2-0.7 ms against
    # 0.02 ms each, measured on ext4), so the preview goes to memory when the machine offers it.
    memory = memory_tempdir(os.environ, _read_text("/proc/self/mounts"), _free_bytes)
    # MkDocs deletes its preview folder when Ctrl-C stops it. A plain `kill`, a closed terminal, or a
    # Ctrl-C sent to a server started in the background (which inherits SIGINT ignored) must stop it the
    # same way, not leave the preview taking memory.
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    handlers = {stop: signal.signal(stop, _interrupt) for stop in stops}
    saved, own = tempfile.tempdir, None
    try:
        # MkDocs makes its folder before it reads the configuration or binds the port, and removes it only
        # once serving has started: every temporary file of this run goes into a folder of ours instead,
        # removed whatever happens (a bad config, a port in use, a signal in the first second).
        own = tempfile.mkdtemp(prefix="osqi-serve-", dir=memory)
        tempfile.tempdir = own
        serve(str(args.config_file), dev_addr=args.dev_addr, strict=True)
    except (PluginError, ConfigurationError, Abort) as e:
        print(str(e), file=sys.stderr)
        return 1
    except OSError as e:  # the port is taken or the address not this machine's: not a bug
        print(f"serve: cannot serve on {args.dev_addr or 'the configured address'}: {e.strerror or e}",
              file=sys.stderr)
        return 1
    finally:
        tempfile.tempdir = saved
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)
        for stop, handler in handlers.items():
            signal.signal(stop, handler)
    return 0


def dev_addr_problem(value: str) -> str | None:
    """What is wrong with ``serve -a HOST:PORT``, or None: checked before anything starts, as MkDocs would
    check it later, but with ASCII digits only and the port in range (``int()`` takes other scripts' digits)."""
    import ipaddress

    host, colon, port = value.rpartition(":")
    if not colon or not host:
        return "must be HOST:PORT, e.g. 127.0.0.1:8000"
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        return f"the port {port!r} must be a whole number from 1 to 65535 in ASCII digits"
    if host == "localhost":
        return None
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        if not bare.isascii():
            raise ValueError(bare)
        ipaddress.ip_address(bare)
    except ValueError:
        return f"the host {host!r} must be localhost or an IP address (IPv6 in brackets: [::1])"
    return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


MEMORY_DIR = "/dev/shm"
MEMORY_DIR_MIN_FREE = 2 << 30
"""Bytes that must be free in memory before serve puts its preview there (10,000 disclosures take 420 MB)."""


def memory_tempdir(environ: Mapping[str, str], mounts: str, free_bytes: Callable[[str], int]) -> str | None:
    """The memory-backed folder for serve's preview, or ``None`` to keep the system default.

    A ``TMPDIR`` the user set always wins; otherwise ``/dev/shm``, if it is a tmpfs mount with room to spare.
    """
    if any(environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")):
        return None
    if not any(line.split()[1:3] == [MEMORY_DIR, "tmpfs"] for line in mounts.splitlines() if line.strip()):
        return None
    try:
        roomy = free_bytes(MEMORY_DIR) >= MEMORY_DIR_MIN_FREE
    except OSError:
        return None
    return MEMORY_DIR if roomy and os.access(MEMORY_DIR, os.W_OK | os.X_OK) else None


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _free_bytes(path: str) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _init(args: argparse.Namespace) -> int:
    target: Path = args.dir
    if target.exists() and not target.is_dir():
        print(f"{target}: not a folder; init writes a new site into a new or empty folder", file=sys.stderr)
        return 1
    if target.exists() and any(target.iterdir()):
        print(f"{target}: folder is not empty; init only writes into a new or empty folder", file=sys.stderr)
        return 1
    written = scaffold.write_project(target, clock.now())
    for path in written:
        print(f"created {path}")
    print(f"\nNext: cd {target} && osqi-site check && osqi-site build")
    print("Editors: disclosures.schema.json describes the frontmatter; in VS Code the default build task "
          "(.vscode/tasks.json) runs osqi-site check and shows each problem at its line.")
    return 0


def _new(args: argparse.Namespace) -> int:
    project, rc = _project(args.config_file)
    if project is None:
        return rc
    now = clock.now()
    try:
        embargo = parse_instant(args.embargo_until) if args.embargo_until else None
    except InstantError as e:
        print(f"--embargo-until {e}", file=sys.stderr)
        return 2
    if args.ecosystem is not None and (problem := scaffold.ecosystem_problem(args.ecosystem)):
        print(f"--ecosystem {problem}", file=sys.stderr)
        return 2
    default_embargo = now + timedelta(days=90)
    if sys.stdin.isatty() and not args.no_input:
        fields = scaffold.ask_new_fields(title=args.title, package=args.package, ecosystem=args.ecosystem,
                                         embargo_until=embargo, default_embargo=default_embargo, ask=input,
                                         say=lambda message: print(message, file=sys.stderr))
    else:
        fields = scaffold.NewFields(args.title, args.package, args.ecosystem, embargo or default_embargo)
    # IDs in use come from file names too, so a file that does not parse yet still keeps its number.
    loaded = load_tree(project.disclosures_dir, project.root)
    in_use = {d.stem for d in loaded.docs} | {f.stem for f in project.disclosures_dir.rglob("*.md")}
    ident = scaffold.next_id(sorted(in_use), project.settings.id_prefix, now.year)
    path = project.disclosures_dir / str(now.year) / f"{ident}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = scaffold.new_disclosure(ident, title=fields.title, package=fields.package, ecosystem=fields.ecosystem,
                                   embargo_until=fields.embargo_until, today=now.date(),
                                   seal=secrets.token_hex(32))
    with path.open("x", encoding="utf-8") as fh:  # never overwrite
        fh.write(text)
    print(path.relative_to(project.root) if path.is_relative_to(project.root) else path)
    return 0


def _cve(args: argparse.Namespace) -> int:
    """Print the CNA container of one CVE; a withheld or unknown ID gets one answer, revealing nothing."""
    from osqi_site.formats.cve import cna_container, owner

    project, rc = _project(args.config_file)
    if project is None:
        return rc
    # Every problem of the publication, not only the disclosures' own: a public narrative that mentions an ID
    # still withheld fails the build, and would reach CVE Services through the container's description.
    judged = _judge(project, clock.now(), args.config_file)
    if judged.problems:
        return _fail(judged.problems)
    pub = judged.publication
    found = owner(pub.public, str(args.cve_id).strip().upper())
    if found is None:  # withheld, draft or unknown: the same words, so the answer reveals nothing
        print(f"{args.cve_id}: no public disclosure carries this CVE ID", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(cna_container(found, project.settings), indent=2, sort_keys=True,
                                ensure_ascii=False) + "\n")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from osqi_site.schema import projects_schema_text, schema_text

    if args.projects:
        sys.stdout.write(projects_schema_text())
        return 0
    prefix = str(OPTION_DEFAULTS["id_prefix"])
    if args.config_file.exists():
        project, rc = _project(args.config_file)
        if project is None:
            return rc
        prefix = project.settings.id_prefix
    sys.stdout.write(schema_text(prefix))
    return 0


def _new_project(args: argparse.Namespace) -> int:
    # The slug is a bare file name, never a path: checked whole before it is joined to any folder, so
    # '../x' or '/abs/x' cannot lead the page out of content/projects/.
    if not projects.is_slug(args.slug):
        print(f"new-project: {args.slug!r} is not a slug: lower-case ASCII letters, digits and '-', "
              "starting and ending with a letter or digit, at most 64 characters", file=sys.stderr)
        return 2
    project, rc = _project(args.config_file)
    if project is None:
        return rc
    if args.ecosystem != "GIT" and not args.package:
        print("--package is required unless --ecosystem is GIT", file=sys.stderr)
        return 2
    text = projects.new_project_page(args.name, care=args.care, repo=args.repo, ecosystem=args.ecosystem,
                                     package=args.package or "", today=clock.now().date())
    path = project.docs_dir / projects.FOLDER / f"{args.slug}.md"
    rel = f"{project.docs_dir.name}/{projects.FOLDER}/{args.slug}.md"
    # The page must pass the build's own validation before it is written: the slug, the URL, the ecosystem.
    doc, found = parse_text(rel, text.encode("utf-8"))
    invalid = found if doc is None else projects.validate_project(doc)[1]
    if invalid:
        return _fail(invalid)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as fh:  # never overwrite
            fh.write(text)
    except FileExistsError:
        print(f"{rel}: already exists", file=sys.stderr)
        return 1
    print(rel)
    return 0
