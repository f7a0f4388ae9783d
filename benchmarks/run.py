"""Scale benchmark of issue 5: ``python -m benchmarks.run --n 1000 [--n 10000] [--out results.md] [--serve]``.

For every N, in one run on the same generated inputs, each step runs as a child process and is timed
(wall clock), with its CPU time and peak RSS from ``os.wait4`` (the child's own rusage) and the peak PSS of
its whole process tree (worker processes included) sampled from /proc:

* ``osqi-site check``;
* a full ``osqi-site build`` (fresh: no site folder, caches removed);
* a second ``osqi-site build`` into the same folder with nothing changed;
* the baseline: plain mkdocs-material, ``plugins: [search]``, the same public narratives as plain pages
  kept out of the nav (``not_in_nav: /adv/*``), ``strict: false``, ``SOURCE_DATE_EPOCH`` set;
* with ``--serve``: ``osqi-site serve`` on loopback, the time from writing an edited title into one
  disclosure to the new title being served.

It prints Markdown tables (measurements, targets with met/not met) and appends them to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from .generate import PUBLIC_UNTIL, SEED, GeneratedSet, generate, write_baseline

ROW_CHECK = "`osqi-site check`"
ROW_FULL = "`osqi-site build`, full (fresh, no cache)"
ROW_REBUILD = "`osqi-site build` again, nothing changed"
ROW_BASELINE = "baseline: mkdocs-material, same public narratives, `not_in_nav`"
ROW_SERVE = "`osqi-site serve`: title edit written → new title served"
ROWS = (ROW_CHECK, ROW_FULL, ROW_REBUILD, ROW_BASELINE)

SOURCE_DATE_EPOCH = str(int(PUBLIC_UNTIL.timestamp()))
SERVE_TIMEOUT = 120.0
SERVE_EDITS = 3
"""Edits timed per serve measurement; the median is reported."""
"""Seconds to wait for the edited page after the write, as the issue's measurement allows."""
MB = 1_000_000


@dataclass
class Measurement:
    label: str
    wall: float
    rss_kb: int
    rc: int
    timed_out: bool = False
    cpu: float = 0.0
    """User + system CPU seconds of the child."""
    load: float = 0.0
    """1-minute load average just before the step: other work on the machine competes for its CPUs."""
    tree_kb: int | None = None
    """Peak sum of PSS over the child and all its descendants (sampled every 0.1 s): counts worker processes,
    which ``ru_maxrss`` (the largest single process) does not, and shares forked pages fairly."""
    output_bytes: int | None = None
    output_files: int | None = None
    index_bytes: int | None = None
    log: Path | None = None
    walls: list[float] = field(default_factory=list)
    """With ``--repeat``: the wall time of every round, in order; this measurement is the median round's."""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out


@dataclass
class ServeResult:
    startup: float | None
    latency: float | None
    """The median of ``latencies``: one reload on this shared machine can take half as long again as the next."""
    detail: str
    latencies: list[float] = field(default_factory=list)
    """Seconds from each saved edit to its page being served, in order."""


@dataclass
class Findability:
    sampled: int
    found: int
    misses: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    n: int
    counts: dict[str, int]
    """Disclosures by status: public, embargoed, withdrawn (public too), draft."""
    steps: dict[str, Measurement] = field(default_factory=dict)
    findable: Findability | None = None
    serve: ServeResult | None = None

    @property
    def public(self) -> int:
        return self.counts.get("public", 0) + self.counts.get("withdrawn", 0)


# -- processes -----------------------------------------------------------------------------------------


def osqi_command() -> list[str]:
    """The ``osqi-site`` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("osqi-site")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("osqi-site")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from osqi_site.cli import main; sys.exit(main())"]


def run_timed(label: str, cmd: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path,
              timeout: float) -> Measurement:
    """Run ``cmd`` to completion; wall time from spawn to reaping, peak RSS from the child's own rusage."""
    load = os.getloadavg()[0]
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        expired = threading.Event()

        def _expire() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(timeout, _expire)
        timer.start()
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
    return Measurement(label, wall, int(usage.ru_maxrss), proc.returncode, expired.is_set(),
                       cpu=usage.ru_utime + usage.ru_stime, load=load, log=log, tree_kb=sampler.peak_kb or None)


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants (Linux /proc), keeping the peak."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.peak_kb = root, interval, 0
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)

    def run(self) -> None:
        if not os.path.isdir("/proc"):
            return
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.root))
            self._done.wait(self.interval)


def tree_pss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


def tree_size(root: Path) -> tuple[int, int]:
    """Apparent size in bytes (``du -sb``) and number of files below ``root``."""
    total = files = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
                files += 1
    return total, files


def _measure_output(m: Measurement, site: Path) -> None:
    if m.ok and site.is_dir():
        m.output_bytes, m.output_files = tree_size(site)
        index = site / "search" / "search_index.json"
        m.index_bytes = index.stat().st_size if index.exists() else 0


def _tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# -- search index ----------------------------------------------------------------------------------------


def findability(site: Path, made: GeneratedSet, sample: int = 200) -> Findability:
    """Can each sampled public disclosure be found by its ID, aliases, packages and title words?

    Everything the index holds for the disclosure's page (entries whose location starts with
    ``disclosures/<ID>/``, every field) is searched case-insensitively, as a client-side index would be.
    """
    index = site / "search" / "search_index.json"
    if not index.exists():
        return Findability(0, 0, ["no search/search_index.json"])
    data = json.loads(index.read_text(encoding="utf-8"))
    docs: list[dict[str, Any]] = data.get("docs", []) if isinstance(data, dict) else []
    by_page: dict[str, list[str]] = {}
    for doc in docs:
        location = str(doc.get("location", ""))
        parts = location.split("/")
        if len(parts) >= 2 and parts[0] == "disclosures":
            by_page.setdefault(parts[1], []).append(json.dumps(doc, ensure_ascii=False).lower())
    public = made.public
    step = max(1, len(public) // sample)
    chosen = public[::step][:sample]
    result = Findability(len(chosen), 0)
    for s in chosen:
        text = "\n".join(by_page.get(s.id, []))
        words = [w.strip("'(),.").lower() for w in s.title.split() if len(w) >= 5]
        wanted = [s.id, *s.aliases, *s.packages, *words]
        missing = [w for w in wanted if w.lower() not in text]
        if missing:
            result.misses.append(f"{s.id}: {', '.join(missing[:4])}")
        else:
            result.found += 1
    return result


# -- serve -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # loopback only
            body: bytes = resp.read()
            return body.decode("utf-8", errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def measure_serve(project: Path, made: GeneratedSet, env: dict[str, str], log: Path,
                  startup_timeout: float, edits: int = SERVE_EDITS) -> ServeResult:
    """Start ``osqi-site serve`` on 127.0.0.1, edit one public disclosure's title ``edits`` times, and time
    each edit until its page is served; the result is the median."""
    target = next((s for s in made.items if s.status == "public"), None)
    if target is None:
        return ServeResult(None, None, "no public disclosure to edit")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/disclosures/{target.id}/"
    original = target.path.read_text(encoding="utf-8")
    old_line = f"title: {json.dumps(target.title, ensure_ascii=False)}"
    if old_line not in original:
        return ServeResult(None, None, "could not find the title line to edit")
    cmd = [*osqi_command(), "serve", "-f", "mkdocs.yml", "-a", f"127.0.0.1:{port}"]
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            startup = None
            while time.perf_counter() - start < startup_timeout and proc.poll() is None:
                body = _get(url)
                if body is not None and target.id in body:
                    startup = time.perf_counter() - start
                    break
                time.sleep(0.2)
            if startup is None:
                why = "server exited" if proc.poll() is not None else f"not serving after {startup_timeout:.0f} s"
                return ServeResult(None, None, why)
            latencies: list[float] = []
            for edit in range(edits):
                time.sleep(1.0)  # let the watcher settle after the previous build
                token = f"RELOADPROBE{os.getpid()}x{int(time.time())}e{edit}"
                new_title = f"{token} {target.title}"[:190]
                edited = original.replace(old_line, f"title: {json.dumps(new_title, ensure_ascii=False)}", 1)
                latency = _time_edit(target.path, edited, token, url, log.with_suffix(".edit"), proc)
                if latency is None:
                    return ServeResult(startup, None, f"edit {edit + 1}: new title not served within "
                                       f"{SERVE_TIMEOUT:.0f} s", latencies)
                latencies.append(latency)
            return ServeResult(startup, statistics.median(latencies), "ok", latencies)
        finally:
            _stop(proc)
            target.path.write_text(original, encoding="utf-8")


def _time_edit(path: Path, edited: str, token: str, url: str, staged: Path,
               proc: subprocess.Popen[Any]) -> float | None:
    """Seconds from saving ``edited`` over ``path`` until ``url`` serves ``token`` (None: not in time)."""
    # Saved the way editors save: the whole file appears at once (a rename), so the watcher never sees
    # a half-written or empty disclosure and rebuilds once.
    staged.write_text(edited, encoding="utf-8")
    written = time.perf_counter()
    os.replace(staged, path)
    while time.perf_counter() - written < SERVE_TIMEOUT and proc.poll() is None:
        body = _get(url)
        if body is not None and token in body:
            return time.perf_counter() - written
        time.sleep(0.05)
    return None


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # mkdocs serve shuts down cleanly on Ctrl-C
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


# -- one N -----------------------------------------------------------------------------------------------


def bench_env(work: Path, snapshot: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, PYTHONUNBUFFERED="1",
               XDG_CACHE_HOME=str(work / "xdg-cache"))
    if snapshot is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(snapshot), env.get("PYTHONPATH", "")) if p)
    return env


def snapshot_package(work: Path, source: Path | None = None) -> tuple[Path, str]:
    """Copy osqi_site as it is now into ``work``; every child imports that copy (PYTHONPATH comes before the
    editable install's finder), so edits made to the working tree during a long run cannot mix versions."""
    import hashlib

    import osqi_site

    src = source.resolve() if source is not None else Path(osqi_site.__file__).resolve().parent
    dest = work / "snapshot"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest / "osqi_site", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    digest = hashlib.sha256()
    for f in sorted(p for p in (dest / "osqi_site").rglob("*") if p.is_file()):
        digest.update(f.relative_to(dest).as_posix().encode() + b"\0" + f.read_bytes())
    return dest, digest.hexdigest()[:12]


def clear_caches(project: Path, work: Path) -> None:
    """A full build starts cold: no site folder, no project cache, no user cache."""
    for p in (project / ".osqi-cache", project / ".cache", work / "xdg-cache"):
        shutil.rmtree(p, ignore_errors=True)


def run_one(n: int, work: Path, *, seed: int, timeout: float, serve: bool, profile: Path | None,
            snapshot: Path | None, echo: TextIO, only_profile: bool = False,
            progress: Callable[[RunResult], None] = lambda r: None, repeat: int = 1) -> RunResult:
    """Every measurement for one N; ``progress`` is called after each step, so a killed run keeps its figures."""
    base = work / f"n{n}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    project, site, logs = base / "project", base / "site", base / "logs"
    logs.mkdir()
    t = time.perf_counter()
    made = generate(project, n, seed)
    public = made.public
    baseline_cfg = write_baseline(base / "baseline", project / "mkdocs.yml", public)
    print(f"[N={n}] generated {len(made.items)} disclosures ({len(public)} public) and the baseline "
          f"in {time.perf_counter() - t:.1f} s", file=echo, flush=True)
    env = bench_env(work, snapshot)
    osqi = osqi_command()
    result = RunResult(n, {k: made.count(k) for k in ("public", "embargoed", "withdrawn", "draft")})
    steps = result.steps

    rounds: dict[str, list[Measurement]] = {}

    def step(label: str, cmd: list[str], cwd: Path, name: str, out_dir: Path | None) -> Measurement:
        m = run_timed(label, cmd, cwd=cwd, env=env, log=logs / f"{name}.log", timeout=timeout)
        if out_dir is not None:
            _measure_output(m, out_dir)
        rounds.setdefault(label, []).append(m)
        steps[label] = median_round(rounds[label])
        progress(result)
        state = "ok" if m.ok else _failure(m)
        print(f"[N={n}] {name}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU, {m.rss_kb / 1024:.0f} MiB peak RSS, "
              f"{(m.tree_kb or 0) / 1024:.0f} MiB peak tree PSS, "
              f"load before {m.load:.2f} ({state})", file=echo, flush=True)
        if not m.ok:
            print(_tail(m.log), file=echo)
        return m

    # Rounds alternate the four steps, so that a slow spell of this shared machine falls on all of them.
    for _ in range(0 if only_profile else repeat):
        check = step(ROW_CHECK, [*osqi, "check", "-f", "mkdocs.yml"], project, "check", None)
        if not check.ok:
            raise SystemExit(f"osqi-site check failed on the generated set at N={n}; see {check.log}")
        clear_caches(project, work)
        shutil.rmtree(site, ignore_errors=True)
        build = [*osqi, "build", "-f", "mkdocs.yml", "-d", str(site)]
        step(ROW_FULL, build, project, "build-full", site)
        step(ROW_REBUILD, build, project, "build-again", site)
        baseline_site = base / "baseline-site"
        step(ROW_BASELINE, [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(baseline_cfg),
                            "-d", str(baseline_site)], baseline_cfg.parent, "baseline", baseline_site)
    if not only_profile:
        result.findable = findability(site, made) if steps[ROW_FULL].ok else None
        progress(result)
        if serve:
            result.serve = measure_serve(project, made, env, logs / "serve.log", startup_timeout=timeout)
            progress(result)
            print(f"[N={n}] serve: {result.serve}", file=echo, flush=True)
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        clear_caches(project, work)
        entry = work / "osqi_main.py"  # cProfile runs a script; the console script may be an .exe shim
        entry.write_text(PROFILE_ENTRY, encoding="utf-8")
        for name in (f"build-{n}", f"build-{n}-again"):  # cold, then with nothing changed
            prof = profile / f"{name}.prof"
            cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), str(entry),
                   "build", "-f", "mkdocs.yml", "-d", str(base / "site-profiled")]
            m = run_timed("profile", cmd, cwd=project, env=env, log=logs / f"profile-{name}.log",
                          timeout=timeout * 3)
            if prof.exists():
                (profile / f"{name}.txt").write_text(profile_summary(prof), encoding="utf-8")
                print(f"[N={n}] profile: {prof} and {prof.with_suffix('.txt')} ({m.wall:.1f} s under cProfile)",
                      file=echo, flush=True)
    return result


PROFILE_ENTRY = """\
import concurrent.futures
import concurrent.futures.process
import sys


class _InProcess(concurrent.futures.Executor):
    # cProfile sees only its own process: work sent to a process pool runs here instead, so it is attributed.
    def __init__(self, *args, **kwargs):
        pass

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:
            future.set_exception(e)
        return future


concurrent.futures.ProcessPoolExecutor = _InProcess
concurrent.futures.process.ProcessPoolExecutor = _InProcess
from osqi_site.build import pool  # noqa: E402
from osqi_site.cli import main  # noqa: E402

# Likewise the build cache's writes, which a build otherwise leaves to a forked child.
pool.in_background = lambda fn, *, parallel=True: pool.Background(None, None, fn())

sys.exit(main())
"""
"""The profiled build: ``osqi-site`` with its process pools (if any) run in-process, so their cost is attributed."""

PHASES: tuple[tuple[str, str, str], ...] = (
    ("osqi on_config: load, validate, gate, render pages, exports", "osqi_site/adapter/plugin.py", "on_config"),
    ("  fastcheck.check (load + validate every file)", "osqi_site/build/fastcheck.py", "check"),
    ("  fastcheck.publication_problems", "osqi_site/build/fastcheck.py", "publication_problems"),
    ("  fastcheck.alarms", "osqi_site/build/fastcheck.py", "alarms"),
    ("  outputs.site (each disclosure's outputs, then the site)", "osqi_site/build/outputs.py", "site"),
    ("    generated.disclosure_page", "osqi_site/pages/generated.py", "disclosure_page"),
    ("    generated.listing_pages", "osqi_site/pages/generated.py", "listing_pages"),
    ("    feeds.feed_files", "osqi_site/formats/feeds.py", "feed_files"),
    ("    osv.osv_tree", "osqi_site/formats/osv.py", "osv_tree"),
    ("    csaf.csaf_tree", "osqi_site/formats/csaf.py", "csaf_tree"),
    ("    convert_pages.convert_many (Markdown of disclosure pages)", "osqi_site/build/convert_pages.py",
     "convert_many"),
    ("osqi on_files", "osqi_site/adapter/plugin.py", "on_files"),
    ("MkDocs: read + Markdown→HTML per page (_populate_page)", "mkdocs/commands/build.py", "_populate_page"),
    ("  osqi on_page_markdown", "osqi_site/adapter/plugin.py", "on_page_markdown"),
    ("    osqi _page_date", "osqi_site/adapter/plugin.py", "_page_date"),
    ("  Python-Markdown convert", "markdown/core.py", "convert"),
    ("MkDocs: page templates + page events (_build_page)", "mkdocs/commands/build.py", "_build_page"),
    ("  osqi on_page_content", "osqi_site/adapter/plugin.py", "on_page_content"),
    ("  Material search: parse page HTML (on_page_context)", "material/plugins/search/plugin.py",
     "on_page_context"),
    ("  Jinja2 page template render (Template.render)", "jinja2/environment.py", "render"),
    ("Material search: write index (on_post_build)", "material/plugins/search/plugin.py", "on_post_build"),
    ("MkDocs: copy static files", "mkdocs/structure/files.py", "copy_static_files"),
    ("osqi on_post_build: read site, SHA256SUMS, leak scan", "osqi_site/adapter/plugin.py", "on_post_build"),
    ("  leakscan.find_leaks", "osqi_site/build/leakscan.py", "find_leaks"),
    ("  checksums.sha256sums", "osqi_site/formats/checksums.py", "sha256sums"),
    ("osqi on_shutdown (swap the site in)", "osqi_site/adapter/plugin.py", "on_shutdown"),
)
"""Functions whose cumulative time tells where a build goes (matched by path suffix and name)."""


def profile_summary(prof: Path, top: int = 30) -> str:
    """Self time by package, then the top functions by self and by cumulative time, with short paths."""
    import io
    import pstats
    import sysconfig

    stats = pstats.Stats(str(prof))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    prefixes = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                       sysconfig.get_paths()["stdlib"]}, key=len, reverse=True)

    def short(path: str) -> str:
        for prefix in prefixes:
            if path.startswith(prefix + os.sep):
                return path[len(prefix) + 1:]
        marker = f"{os.sep}osqi_site{os.sep}"
        return "osqi_site/" + path.split(marker, 1)[1] if marker in path else path

    by_package: dict[str, float] = {}
    for (path, _, _), (_, _, tottime, _, _) in raw.items():
        name = short(path)
        package = name.split("/", 1)[0] if "/" in name else ("builtins" if path == "~" else "stdlib")
        by_package[package] = by_package.get(package, 0.0) + tottime
    total = sum(by_package.values()) or 1.0
    buf = io.StringIO()
    buf.write(f"=== build phases, cumulative ({total:.1f} s profiled) ===\n")
    for label, suffix, func in PHASES:
        secs = sum(v[3] for (path, _, name), v in raw.items()
                   if name == func and short(path).replace(os.sep, "/").endswith(suffix))
        if secs:
            buf.write(f"{secs:9.2f} s {100 * secs / total:5.1f}%  {label}\n")
    buf.write(f"\n=== self time by package ({total:.1f} s profiled) ===\n")
    for package, secs in sorted(by_package.items(), key=lambda kv: -kv[1])[:15]:
        buf.write(f"{secs:9.2f} s {100 * secs / total:5.1f}%  {package}\n")
    for key in ("tottime", "cumulative"):
        part = io.StringIO()
        pstats.Stats(str(prof), stream=part).sort_stats(key).print_stats(top)
        text = part.getvalue()
        for prefix in prefixes:
            text = text.replace(prefix + os.sep, "")
        text = re.sub(r"\S*/osqi_site/", "osqi_site/", text)  # the run's snapshot folder, whatever it was
        buf.write(f"\n=== top {top} by {key} ===\n{text}")
    return buf.getvalue()


# -- reporting -------------------------------------------------------------------------------------------


def median_round(ms: Sequence[Measurement]) -> Measurement:
    """The round with the median wall time (the lower one of an even count), carrying every round's wall."""
    if any(not m.ok for m in ms):
        chosen = next(m for m in ms if not m.ok)  # a failed round is what must be seen
    else:
        chosen = sorted(ms, key=lambda m: m.wall)[(len(ms) - 1) // 2]
    return replace(chosen, walls=[m.wall for m in ms] if len(ms) > 1 else [])


def memory(m: Measurement) -> int:
    """The memory figure targets compare: the process tree's peak PSS, or the single-process peak RSS if larger
    (a step shorter than one sampling interval) or when /proc is unavailable."""
    return max(m.tree_kb or 0, m.rss_kb)


def _failure(m: Measurement) -> str:
    if m.timed_out:
        return "timeout"
    if m.rc < 0:
        return f"killed by signal {-m.rc}"
    return f"failed, exit {m.rc}"


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def results_table(r: RunResult) -> str:
    base = r.steps.get(ROW_BASELINE)
    lines = [
        "| Step | Wall (s) | Peak RSS (MiB) | Peak tree PSS (MiB) | Output (MB) | Files | Search index (MB) "
        "| Wall ÷ baseline | Memory ÷ baseline | Output ÷ baseline | Index ÷ baseline | ms per disclosure | CPU (s) "
        "| Load before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in ROWS:
        m = r.steps.get(label)
        if m is None:
            continue
        wall = None if not m.ok else m.wall
        status = "" if m.ok else f" ({_failure(m)} after {m.wall:,.0f} s)"
        ok_base = base if base is not None and base.ok else None
        out_mb = None if m.output_bytes is None else m.output_bytes / MB
        idx_mb = None if m.index_bytes is None else m.index_bytes / MB
        lines.append("| " + " | ".join([
            label + status,
            _fmt(wall),
            _fmt(m.rss_kb / 1024, 0),
            _fmt(None if m.tree_kb is None else m.tree_kb / 1024, 0),
            _fmt(out_mb, 1),
            "—" if m.output_files is None else f"{m.output_files:,}",
            _fmt(idx_mb, 2),
            _fmt(_ratio(wall, ok_base.wall if ok_base else None), 2, "x"),
            _fmt(_ratio(memory(m), memory(ok_base) if ok_base else None), 2, "x"),
            _fmt(_ratio(m.output_bytes, ok_base.output_bytes if ok_base else None), 2, "x")
            if m.output_bytes is not None else "—",
            _fmt(_ratio(m.index_bytes, ok_base.index_bytes if ok_base else None), 2, "x")
            if m.index_bytes is not None else "—",
            _fmt(None if wall is None else wall * 1000 / r.n, 2),
            _fmt(m.cpu, 2),
            _fmt(m.load, 2),
        ]) + " |")
    if r.serve is not None:
        s = r.serve
        extra = "" if s.latency is not None else f" ({s.detail})"
        startup = "" if s.startup is None else f"; first page served {s.startup:.1f} s after start"
        if len(s.latencies) > 1:
            startup += f"; median of {len(s.latencies)} edits: " + ", ".join(f"{x:.2f}" for x in s.latencies) + " s"
        lines.append(f"| {ROW_SERVE}{extra}{startup} | {_fmt(s.latency)} |" + " — |" * 12)
    return "\n".join(lines)


def targets_table(r: RunResult) -> str:
    s = r.steps
    full, again, check, base = s.get(ROW_FULL), s.get(ROW_REBUILD), s.get(ROW_CHECK), s.get(ROW_BASELINE)

    def wall(m: Measurement | None) -> float | None:
        return m.wall if m is not None and m.ok else None

    def le(value: float | None, limit: float) -> bool | None:
        return None if value is None else value <= limit

    def paired(a: Measurement | None, b: Measurement | None) -> float | None:
        """a ÷ b: with rounds, the median of each round's ratio (steps of one round ran minutes apart, so a
        slow spell of the machine weighs on both); else of the single measurements."""
        if a is not None and b is not None and a.ok and b.ok and len(a.walls) > 1 and len(a.walls) == len(b.walls):
            return statistics.median(x / y for x, y in zip(a.walls, b.walls, strict=True))
        return _ratio(wall(a), wall(b))

    full_vs_base = paired(full, base)
    again_vs_full = paired(again, full)
    check_vs_full = paired(check, full)

    def rounds(a: Measurement | None, b: Measurement | None, digits: int = 2) -> str:
        """The ratio in each round, when the steps were repeated."""
        if a is None or b is None or len(a.walls) < 2 or len(a.walls) != len(b.walls):
            return ""
        each = ", ".join(f"{x / y:.{digits}f}x" for x, y in zip(a.walls, b.walls, strict=True))
        return f" (median of {len(a.walls)} rounds: {each})"
    rss_vs_base = _ratio(memory(full), memory(base)) if full and base and full.ok and base.ok else None
    idx_vs_base = (_ratio(full.index_bytes, base.index_bytes)
                   if full and base and full.index_bytes is not None else None)
    f = r.findable
    found = f"{f.found}/{f.sampled} sampled disclosures findable" if f else "not measured"
    findable_ok = None if f is None else f.found == f.sampled
    idx_ok = le(idx_vs_base, 0.25)
    rows = [
        ("Full build ÷ baseline", "≤ 1.0x (aim 0.5x)", _fmt(full_vs_base, 2, "x") + rounds(full, base),
         _verdict(le(full_vs_base, 1.0))),
        ("Rebuild, nothing changed ÷ full build", "≤ 0.5x", _fmt(again_vs_full, 2, "x") + rounds(again, full),
         _verdict(le(again_vs_full, 0.5))),
        ("`check` ÷ full build", "≤ 0.1x", _fmt(check_vs_full, 3, "x") + rounds(check, full, 3),
         _verdict(le(check_vs_full, 0.1))),
        ("Peak memory of full build ÷ baseline (tree PSS)", "≤ 1.0x", _fmt(rss_vs_base, 2, "x"),
         _verdict(le(rss_vs_base, 1.0))),
        ("Search index ÷ baseline, still finding ID, alias, package, title words", "≤ 0.25x, all found",
         f"{_fmt(idx_vs_base, 2, 'x')}; {found}",
         _verdict(None if idx_ok is None else bool(idx_ok and findable_ok))),
    ]
    if r.serve is not None:
        rows.append(("`serve`: edit saved → page served", "≤ 2 s (at N = 1,000)",
                     _fmt(r.serve.latency, 2, " s") if r.serve.latency is not None else r.serve.detail,
                     _verdict(le(r.serve.latency, 2.0))))
    out = ["| Target (issue 5) | Goal | Measured | Verdict |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if f is not None and f.misses:
        out.append("")
        out.append("Not findable (first 5): " + "; ".join(f.misses[:5]))
    return "\n".join(out)


def scaling_table(results: Sequence[RunResult]) -> str:
    """Per-disclosure cost of the largest N against the smallest: nothing may grow faster than linearly."""
    ok = [r for r in results if ROW_FULL in r.steps and r.steps[ROW_FULL].ok]
    if len(ok) < 2:
        return ""
    small, large = min(ok, key=lambda r: r.n), max(ok, key=lambda r: r.n)
    lines = [f"| Per-disclosure cost | N = {small.n:,} | N = {large.n:,} | Ratio | Goal | Verdict |",
             "|---|---:|---:|---:|---|---|"]
    for label in ROWS:
        a, b = small.steps.get(label), large.steps.get(label)
        if a is None or b is None or not a.ok or not b.ok:
            continue
        pa, pb = a.wall * 1000 / small.n, b.wall * 1000 / large.n
        goal = "≤ 1.2x" if label in (ROW_FULL, ROW_REBUILD, ROW_CHECK) else "(reference)"
        verdict = _verdict(pb / pa <= 1.2) if goal != "(reference)" else "—"
        lines.append(f"| {label} (ms) | {pa:.2f} | {pb:.2f} | {pb / pa:.2f}x | {goal} | {verdict} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    import yaml

    return (f"{os.cpu_count()} CPUs ({cpu}){ram}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; MkDocs {version('mkdocs')}; "
            f"Material {version('mkdocs-material')}; Markdown {version('markdown')}; "
            f"PyYAML {version('pyyaml')} (C loader: {'yes' if getattr(yaml, '__with_libyaml__', False) else 'no'}); "
            f"osqi-site {version('osqi-site')}")


def raw_results(results: Sequence[RunResult], code: str) -> dict[str, Any]:
    """Everything measured, for later comparison across runs."""
    out: dict[str, Any] = {"machine": machine(), "code": code, "runs": []}
    for r in results:
        out["runs"].append({
            "n": r.n,
            "counts": r.counts,
            "steps": {label: {"wall_s": m.wall, "cpu_s": m.cpu, "peak_rss_kib": m.rss_kb, "rc": m.rc,
                              "timed_out": m.timed_out, "output_bytes": m.output_bytes,
                              "output_files": m.output_files, "search_index_bytes": m.index_bytes,
                              "load_before": m.load, "peak_tree_pss_kib": m.tree_kb, "walls_s": m.walls}
                      for label, m in r.steps.items()},
            "findable": None if r.findable is None else {"sampled": r.findable.sampled, "found": r.findable.found,
                                                         "misses": r.findable.misses},
            "serve": None if r.serve is None else {"startup_s": r.serve.startup, "latency_s": r.serve.latency,
                                                   "detail": r.serve.detail, "latencies_s": r.serve.latencies},
        })
    return out


def from_raw(data: dict[str, Any]) -> list[RunResult]:
    """The inverse of :func:`raw_results`."""
    out = []
    for run in data.get("runs", []):
        r = RunResult(int(run["n"]), {k: int(v) for k, v in run["counts"].items()})
        for label, m in run["steps"].items():
            r.steps[label] = Measurement(label, m["wall_s"], m["peak_rss_kib"], m["rc"], m["timed_out"],
                                         cpu=m["cpu_s"], load=m["load_before"], tree_kb=m.get("peak_tree_pss_kib"),
                                         output_bytes=m["output_bytes"], output_files=m["output_files"],
                                         index_bytes=m["search_index_bytes"], walls=list(m.get("walls_s") or []))
        if run.get("findable"):
            f = run["findable"]
            r.findable = Findability(f["sampled"], f["found"], list(f["misses"]))
        if run.get("serve"):
            v = run["serve"]
            r.serve = ServeResult(v["startup_s"], v["latency_s"], v["detail"], list(v.get("latencies_s") or []))
        out.append(r)
    return out


def report(results: Sequence[RunResult], code: str = "", machine_text: str | None = None) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"## Benchmark run {stamp}", "", f"Machine: {machine_text or machine()}", ""]
    if code:
        parts += [f"Code measured: snapshot of osqi_site taken at the start of the run, sha256 {code}.", ""]
    for r in results:
        counts = r.counts
        parts += [f"### N = {r.n:,}", "",
                  f"{r.public:,} public ({counts.get('withdrawn', 0):,} of them withdrawn), "
                  f"{counts.get('embargoed', 0):,} embargoed, {counts.get('draft', 0):,} drafts; baseline: "
                  f"{r.public:,} plain pages.", "",
                  results_table(r), "", targets_table(r), ""]
    scaling = scaling_table(results)
    if scaling:
        parts += ["### Scaling", "", scaling, ""]
    return "\n".join(parts)


# -- command line ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--n", type=int, action="append", help="number of disclosures (repeatable; default 1000)")
    p.add_argument("--out", type=Path, default=None, help="append the Markdown report to this file")
    p.add_argument("--json", type=Path, default=None,
                   help="write the raw measurements to this JSON file (updated after every step)")
    p.add_argument("--report", type=Path, nargs="+", default=None, metavar="JSON",
                   help="measure nothing: print the report of earlier --json files (a later file wins for an N)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where projects and sites go (kept); default: a temporary folder, removed afterwards")
    p.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per step (default 3600)")
    p.add_argument("--repeat", type=int, default=1, metavar="R",
                   help="run check, full build, rebuild and baseline R times in alternating rounds and report "
                        "the median round of each (default 1)")
    p.add_argument("--serve", action="store_true", help="also measure `osqi-site serve` reload latency")
    p.add_argument("--serve-n", type=int, action="append", default=None,
                   help="N values at which --serve is measured (default: 1000 if requested, else every N)")
    p.add_argument("--no-snapshot", action="store_true",
                   help="run the working tree's osqi_site, not a copy taken at the start of the run")
    p.add_argument("--code", type=Path, default=None, metavar="DIR",
                   help="measure this osqi_site package folder (e.g. an earlier run's snapshot) instead")
    p.add_argument("--profile", type=Path, default=None,
                   help="also run a full build and a rebuild per N under cProfile; write .prof/.txt files here")
    p.add_argument("--only-profile", action="store_true", help="with --profile: skip the timed steps")
    args = p.parse_args(argv)
    args.n = args.n or [1000]
    if any(n < 1 for n in args.n):
        p.error("--n must be positive")
    return args


def _serve_at(ns: Iterable[int], requested: list[int] | None) -> set[int]:
    ns = list(ns)
    wanted = set(requested) if requested else {1000}
    return (wanted & set(ns)) or set(ns)


def _report_only(paths: Sequence[Path]) -> str:
    by_n: dict[int, RunResult] = {}
    codes, machines = [], []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        codes.append(str(data.get("code", "")))
        machines.append(str(data.get("machine", "")))
        for r in from_raw(data):
            by_n[r.n] = r
    code = ", ".join(dict.fromkeys(c for c in codes if c))
    return report([by_n[n] for n in sorted(by_n)], code, machines[-1] if machines else None)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        text = _report_only(args.report)
        print(text)
        if args.out is not None:
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return 0
    temp = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="osqi-bench-")) if temp else args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    serve_at = _serve_at(args.n, args.serve_n) if args.serve else set()
    results: list[RunResult] = []
    snapshot, code = (None, "") if args.no_snapshot else snapshot_package(work, args.code)

    def save(current: RunResult) -> None:
        if args.json is not None:
            done = [r for r in results if r is not current]
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(raw_results([*done, current], code), indent=2) + "\n",
                                 encoding="utf-8")

    try:
        for n in args.n:
            results.append(run_one(n, work, seed=args.seed, timeout=args.timeout, serve=n in serve_at,
                                   profile=args.profile, snapshot=snapshot, echo=sys.stderr, progress=save,
                                   only_profile=args.only_profile and args.profile is not None,
                                   repeat=max(1, args.repeat)))
    finally:
        if temp and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif temp:
            print(f"work folder kept: {work}", file=sys.stderr)
    text = report(results, code)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    if args.json is not None:
        args.json.write_text(json.dumps(raw_results(results, code), indent=2) + "\n", encoding="utf-8")
    failed = [m.label for r in results for m in r.steps.values() if not m.ok]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

