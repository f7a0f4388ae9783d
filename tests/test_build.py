"""End to end: real MkDocs builds of a project in tmp_path, scanned byte by byte for withheld text."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import feedparser
import pytest
from mkdocs.config.defaults import MkDocsConfig
from sitefixture import CANARY, all_bytes, build, digest, disclosure_text

from osqi_site import cli
from osqi_site.build.transaction import BUILD_MARKER, TEMP_TAG


def test_build_publishes_public_and_nothing_withheld(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    files = all_bytes(site)
    # Public disclosures: page, OSV, feeds, search, sitemap, attachment.
    for ident in ("OSQI-2026-0001", "OSQI-2026-0002", "OSQI-2026-0003"):
        assert f"disclosures/{ident}/index.html" in files
        assert f"osv/{ident}.json" in files
        assert ident.encode() in files["search/search_index.json"]
        assert ident.encode() in files["sitemap.xml"]
        assert ident.encode() in files["feed.xml"]
    assert files["disclosures/OSQI-2026-0002/reproducer.py"] == b"print('public reproducer')\n"
    assert b"Withdrawn" in files["disclosures/OSQI-2026-0003/index.html"]
    # The example project's page and feeds are among the files scanned below.
    assert {f"projects/exampleparse/{n}" for n in ("index.html", "feed.xml", "atom.xml", "feed.json")} <= set(files)
    assert b"OSQI-2026-0001" in files["projects/exampleparse/feed.xml"]
    # Withheld: not one byte anywhere, including attachments, IDs and every planted field.
    for path, data in files.items():
        assert CANARY.encode() not in data, path
        assert CANARY.encode() not in path.encode(), path
        for withheld in (b"OSQI-2026-0004", b"OSQI-2026-0005"):
            assert withheld not in data, (path, withheld)
    osv_all = json.loads(files["osv/all.json"])
    assert [r["id"] for r in osv_all] == ["OSQI-2026-0001", "OSQI-2026-0002", "OSQI-2026-0003"]
    assert osv_all[1]["modified"] == "2026-04-01T00:00:00Z"
    assert osv_all[2]["withdrawn"] == "2026-05-01T00:00:00Z"
    assert osv_all[2]["published"] == "2026-01-31T15:00:00Z"  # +09:00 compared as an instant


def test_embargo_lifts_at_its_instant(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site, as_of="2026-06-01T00:01:00Z") == 0
    files = all_bytes(site)
    assert "disclosures/OSQI-2026-0004/index.html" in files
    assert f"disclosures/OSQI-2026-0004/poc-{CANARY}E.c" in files
    assert all(b"OSQI-2026-0005" not in data for data in files.values())  # the draft never


def test_page_has_card_timeline_narrative_and_links(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    page = (site / "disclosures/OSQI-2026-0002/index.html").read_text()
    for expected in ("Critical 9.8", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CWE-787", "Finder Person",
                     "&gt;= 1.0.0, &lt; 1.2.0", "Timeline", "Revision history", "Corrected versions",
                     "../../osv/OSQI-2026-0002.json", 'rel="describedby" type="application/json"',
                     'title="CSAF advisory of OSQI-2026-0002" href="../../.well-known/csaf/2026/osqi-2026-0002.json"',
                     'type="application/rss+xml"', 'type="application/feed+json"',
                     "Discovery", "2026-03-01 12:00 UTC"):
        assert expected in page, expected
    listing = (site / "disclosures/index.html").read_text()
    assert listing.index("OSQI-2026-0002") < listing.index("OSQI-2026-0001")  # newest first
    assert (site / "disclosures/2026/index.html").exists()


def test_feeds_parse_and_carry_full_narrative(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    rss = feedparser.parse((site / "feed.xml").read_bytes())
    assert not rss.bozo and rss.version == "rss20"
    assert {e.id for e in rss.entries} >= {"https://advisories.example.org/disclosures/OSQI-2026-0002/"}
    feed = json.loads((site / "feed.json").read_text())
    item = next(i for i in feed["items"] if "OSQI-2026-0002" in i["id"])
    assert "Found while" in item["content_html"]


def test_failed_build_leaves_last_good_site_untouched(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    before = digest(site)
    bad = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    bad.write_text(bad.read_text().replace("embargo_until:", "embargo_untill:"))
    assert build(project, site) == 1
    assert digest(site) == before
    assert not [p for p in site.parent.iterdir() if TEMP_TAG in p.name]


def test_strict_warning_leaves_last_good_site_untouched(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    before = digest(site)
    (project / "content" / "index.md").write_text("# Home\n\n[broken](missing.md)\n")
    assert build(project, site) == 1
    assert digest(site) == before


def _temporary(site: Path) -> list[Path]:
    return [p for p in site.parent.iterdir() if TEMP_TAG in p.name]


def test_a_build_failing_late_leaves_the_last_good_site_byte_identical(project: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # Every page is written before the leak scan, the last check, fails: only the temporary folder held them.
    site = tmp_path / "site"
    assert build(project, site) == 0
    before, inode = digest(site), site.stat().st_ino
    (project / "theme" / "main.html").write_text(
        '{% extends "osqi.html" %}\n{% block announce %}Coming: OSQI-2026-0004{% endblock %}\n')
    assert build(project, site) == 1
    assert "withheld disclosure text found in the output" in capsys.readouterr().err
    assert digest(site) == before and site.stat().st_ino == inode
    assert _temporary(site) == []


@pytest.mark.parametrize("when", ["while pages are written", "after the build marked itself complete"])
def test_ctrl_c_late_in_a_build_leaves_the_last_good_site(project: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.plugins import event_priority

    from osqi_site.adapter.plugin import OsqiPlugin

    site = tmp_path / "site"
    assert build(project, site) == 0
    before, inode = digest(site), site.stat().st_ino
    (project / "content" / "index.md").write_text("# Home\n\nA new home page.\n")  # a swap would show
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # pinned for the build; Ctrl-C skips on_build_error
    if when == "while pages are written":
        real_page, pages = mkdocs_build._build_page, []

        def page(*args: Any, **kwargs: Any) -> None:
            pages.append(args)
            if len(pages) == 5:
                raise KeyboardInterrupt
            real_page(*args, **kwargs)

        monkeypatch.setattr(mkdocs_build, "_build_page", page)
    else:  # MkDocs has yet to count strict-mode warnings: the build has not ended well yet
        real_post_build = OsqiPlugin.on_post_build

        @event_priority(-100)
        def post_build(self: OsqiPlugin, *, config: Any) -> None:
            real_post_build(self, config=config)
            raise KeyboardInterrupt

        monkeypatch.setattr(OsqiPlugin, "on_post_build", post_build)
    assert build(project, site) == 130
    assert digest(site) == before and site.stat().st_ino == inode
    assert _temporary(site) == []
    assert os.environ.get("SOURCE_DATE_EPOCH") == epoch


def _started(project: Path, site: Path, command: Literal["build", "gh-deploy"]) -> MkDocsConfig:
    """The configuration of a build into ``site`` started as MkDocs' own ``command`` starts it."""
    from mkdocs.config import load_config
    from sitefixture import AS_OF

    from osqi_site.adapter.plugin import OsqiPlugin
    from osqi_site.core.timefmt import parse_instant

    config = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
    plugin = config.plugins["osqi"]
    assert isinstance(plugin, OsqiPlugin)
    plugin.as_of = parse_instant(AS_OF)
    config.plugins.on_startup(command=command, dirty=False)
    return config


def test_a_failed_build_throws_its_temporary_folder_away_at_once(project: Path, tmp_path: Path) -> None:
    """In on_build_error, not only on_shutdown: a caller that never shuts the plugin down leaves nothing either."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import Abort

    site = tmp_path / "site"
    (project / "theme" / "main.html").write_text(
        '{% extends "osqi.html" %}\n{% block announce %}Coming: OSQI-2026-0004{% endblock %}\n')
    config = _started(project, site, "build")
    with pytest.raises(Abort):
        mkdocs_build(config)
    assert _temporary(site) == [] and not site.exists()


def test_after_the_swap_site_dir_names_the_published_folder_again(project: Path, tmp_path: Path) -> None:
    """gh-deploy pushes site_dir after on_shutdown, when the temporary folder is gone."""
    from mkdocs.commands.build import build as mkdocs_build

    site = tmp_path / "site"
    config = _started(project, site, "gh-deploy")
    try:
        mkdocs_build(config)
        assert Path(config.site_dir).parent == site.parent and Path(config.site_dir) != site  # built beside it
    finally:
        config.plugins.on_shutdown()
    assert config.site_dir == str(site) and (site / BUILD_MARKER).is_file()


def test_content_page_mentioning_an_embargoed_id_fails(project: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "index.md").write_text("# Home\n\nSoon: OSQI-2026-0004.\n")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "content/index.md:3: body: mentions OSQI-2026-0004, which is not a public disclosure" in err
    assert not (tmp_path / "site").exists()


def test_as_of_in_the_future_is_refused(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build(project, tmp_path / "site", as_of="2999-01-01T00:00:00Z") == 1
    assert "is in the future" in capsys.readouterr().err


def test_check_reports_every_problem_and_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = project / "disclosures" / "2026"
    (d / "OSQI-2026-0009.md").write_text(textwrap.dedent("""\
        ---
        id: OSQI-2026-0008
        title: x
        embargo_until: 2026-01-01
        ---
        ## Summary
        """))
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    err = capsys.readouterr().err
    for line in ("disclosures/2026/OSQI-2026-0009.md:2: id: 'OSQI-2026-0008' does not match the file name",
                 "disclosures/2026/OSQI-2026-0009.md:4: embargo_until: is a date without a time",
                 "disclosures/2026/OSQI-2026-0009.md:1: affected: is required",
                 "disclosures/2026/OSQI-2026-0009.md:6: ## Discovery: section is missing"):
        assert line in err, line


def test_warm_cache_gives_the_same_bytes_and_never_holds_withheld_text(project: Path, tmp_path: Path) -> None:
    assert build(project, tmp_path / "cold") == 0
    assert _cached(project, "pages") and _cached(project, "outputs")  # the first build filled the cache
    assert build(project, tmp_path / "warm") == 0
    assert digest(tmp_path / "cold") == digest(tmp_path / "warm")
    for path in [*(project / ".osqi-cache").rglob("*"), *(tmp_path / "warm").rglob("*")]:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_cache_follows_edits_and_forgets_what_is_gone(project: Path, tmp_path: Path) -> None:
    assert build(project, tmp_path / "a") == 0
    before = _cached(project, "pages")
    source = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    source.write_text(source.read_text().replace("Found while", "Spotted while"))
    assert build(project, tmp_path / "b") == 0
    assert "Spotted while" in (tmp_path / "b" / "disclosures" / "OSQI-2026-0002" / "index.html").read_text()
    after = _cached(project, "pages")
    assert len(after) == len(before) and after != before  # one entry replaced, the stale one pruned


def _cached(project: Path, kind: str) -> set[str]:
    from osqi_site.build import cachedb

    with cachedb.opened(project / ".osqi-cache") as db:
        return cachedb.keys(db, kind)


def test_check_memo_rereads_exactly_the_edited_files(project: Path) -> None:
    from osqi_site.build import fastcheck
    from osqi_site.core.check import Checked, check
    from osqi_site.core.settings import Settings

    settings = Settings(site_url="https://osqi.example/")

    def plain(found: fastcheck.CheckedWithFacts) -> Checked:
        return Checked(found.disclosures, found.problems)

    memo: fastcheck.FileMemo = {}
    first = fastcheck.check(project / "disclosures", project, settings, memo=memo)
    assert plain(first) == check(project / "disclosures", project, settings)  # same answer as without a memo
    assert len(memo) == 5 and fastcheck.check(project / "disclosures", project, settings, memo=memo) == first
    source = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    text = source.read_text()
    # Same size and the old mtime put back: only ctime tells, and it is enough.
    stat = source.stat()
    source.write_text(text.replace("embargo_until: 2026-03-01T12:00:00Z", "embargo_until: 2026-03-01T12:00:01Z"))
    import os

    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited = fastcheck.check(project / "disclosures", project, settings, memo=memo)
    assert plain(edited) == check(project / "disclosures", project, settings) != plain(first)


def _serve_session(project: Path, site: Path) -> Callable[[], None]:
    """As ``mkdocs serve`` does: one plugin instance across builds into one folder, config read anew each time.

    Builds once and returns the reload; run it from ``project`` (MkDocs resolves paths from there).
    """
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    first = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
    first.plugins.on_startup(command="serve", dirty=False)
    mkdocs_build(first, serve_url="http://127.0.0.1:8000/")

    def reload() -> None:
        again = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
        again.plugins = first.plugins  # serve keeps its plugin instances between reloads
        mkdocs_build(again, serve_url="http://127.0.0.1:8000/")

    return reload


def test_serve_reloads_render_the_edit_and_prune_the_render_cache_once(project: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from osqi_site.adapter import prerender

    pruned: list[int] = []
    real_prune = prerender.prune

    def counted(*args: Any, **kwargs: Any) -> None:
        pruned.append(1)
        real_prune(*args, **kwargs)

    monkeypatch.setattr(prerender, "prune", counted)
    monkeypatch.chdir(project)
    site = tmp_path / "served"
    reload = _serve_session(project, site)
    source = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    source.write_text(source.read_text().replace("Found while", "Spotted while"))
    reload()
    assert "Spotted while" in (site / "disclosures" / "OSQI-2026-0002" / "index.html").read_text()
    assert pruned == [1]
    # SHA256SUMS lists exactly the files served, as it does for a build.
    listed = {line.split("  ", 1)[1] for line in (site / "SHA256SUMS").read_text().splitlines()}
    assert listed == {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} - {"SHA256SUMS"}


def test_a_damaged_cache_costs_time_not_the_build(project: Path, tmp_path: Path) -> None:
    from osqi_site.build import cachedb

    assert build(project, tmp_path / "cold") == 0
    (project / ".osqi-cache" / cachedb.NAME).write_bytes(b"garbage" * 1000)
    (project / ".osqi-cache" / "pages").mkdir()  # left by versions that kept one file per entry
    (project / ".osqi-cache" / "pages" / "old.json").write_text("{}")
    assert build(project, tmp_path / "again") == 0
    assert digest(tmp_path / "cold") == digest(tmp_path / "again")
    assert _cached(project, "pages") and not (project / ".osqi-cache" / "pages").exists()


def test_scan_verdicts_are_reused_only_for_the_same_markers(project: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from osqi_site.build import leakscan, verdicts

    scanned: list[str] = []
    real = leakscan.leaks_in

    def counting(path: str, data: bytes, automaton: Any, digest: str | None = None) -> list[str]:
        scanned.append(path)
        return real(path, data, automaton, digest)

    monkeypatch.setattr(leakscan, "leaks_in", counting)
    # Scans in this process, where they are counted, not in forked workers.
    monkeypatch.setattr(verdicts, "map_chunks", lambda fn, items, **kw: [fn(x) for x in items])
    # A marker set no earlier test built with: MkDocs keeps plugin instances, and verdicts, in one process.
    (project / "disclosures" / "2026" / "OSQI-2026-0042.md").write_text(
        disclosure_text("OSQI-2026-0042", embargo="2027-01-01T00:00:00Z", tag="VERDICTTEST"))
    assert build(project, tmp_path / "a") == 0
    files = len(scanned)
    assert files > 10
    scanned.clear()
    assert build(project, tmp_path / "b") == 0  # same inputs, same clock: every file's verdict is known
    # The files made after the scan, from the final SHA256SUMS, are always scanned (unsigned: no signatures).
    assert scanned == ["SHA256SUMS", "provenance.intoto.json"]
    # A minute later OSQI-2026-0004 lifts: other markers, so every file is scanned again.
    assert build(project, tmp_path / "c", as_of="2026-06-01T00:01:00Z") == 0
    assert len(scanned) >= files




def test_an_export_not_written_by_the_plugin_fails_the_copy_instead_of_vanishing(tmp_path: Path) -> None:
    from osqi_site.adapter.files import WrittenFile

    dest = str(tmp_path / "site" / "osv" / "all.json")
    file = WrittenFile("osv/all.json", None, str(tmp_path / "site"), False)
    file.abs_src_path = dest  # as the plugin makes it: its source is its destination
    assert file.abs_dest_path == dest
    with pytest.raises(FileNotFoundError):
        file.copy_file()  # the workers never wrote it: MkDocs' own copy fails the build
    Path(dest).write_bytes(b"[]\n")
    file.copy_file()  # there: MkDocs leaves a file whose source is its destination alone
    assert Path(dest).read_bytes() == b"[]\n"
    Path(dest).unlink()
    file.written = True  # set once the workers have written every export: no system call at all
    file.copy_file()


def test_serve_reload_still_finds_a_new_mention_of_a_withheld_id(project: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """serve looks again only at changed disclosures: the changed one must still be looked at."""
    from mkdocs.exceptions import Abort

    monkeypatch.chdir(project)
    site = tmp_path / "served"
    reload = _serve_session(project, site)
    source = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    clean = source.read_text()
    source.write_text(clean.replace("Found while", "Related to OSQI-2026-0005. Found while"))
    with pytest.raises(Abort):  # MkDocs turns the plugin's error into this, after logging it
        reload()
    assert "mentions OSQI-2026-0005, which is not a public disclosure" in caplog.text
    source.write_text(clean)
    reload()
    assert "OSQI-2026-0005" not in (site / "disclosures" / "OSQI-2026-0002" / "index.html").read_text()


def test_only_one_shot_builds_freeze_the_heap_and_the_collector_always_comes_back(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve lives on: freezing there would keep every reload's cyclic garbage for good."""
    import gc

    monkeypatch.chdir(project)
    frozen = gc.get_freeze_count()
    _serve_session(project, tmp_path / "served")()  # the first build and a reload
    assert gc.get_freeze_count() == frozen and gc.isenabled()
    try:
        assert build(project, tmp_path / "site") == 0
        assert gc.get_freeze_count() > frozen and gc.isenabled()
        bad = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
        bad.write_text(bad.read_text().replace("id: OSQI-2026-0002", "id: nonsense"))
        assert build(project, tmp_path / "site") == 1  # on_config fails: the collector is back all the same
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # what the builds froze goes back to the collector: this test process lives on


def test_exports_are_written_by_threads_that_are_gone_before_any_worker_forks(tmp_path: Path) -> None:
    import threading

    from osqi_site.adapter.files import write_files

    before = threading.active_count()
    contents = {str(tmp_path / "site" / f"d{i % 7}" / f"f{i}.json"): f"{i}\n".encode() for i in range(500)}
    write_files(contents)
    assert threading.active_count() == before  # else map_chunks would refuse to fork (and run on one core)
    assert {p: Path(p).read_bytes() for p in contents} == contents


def test_page_folders_are_made_by_a_child_while_the_build_goes_on(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from osqi_site.adapter.files import make_folders
    from osqi_site.build import pool

    made_by = tmp_path / "pid"
    real = os.makedirs

    def recording(name: str, exist_ok: bool = False) -> None:
        made_by.write_text(str(os.getpid()))
        real(name, exist_ok=exist_ok)

    monkeypatch.setattr(os, "makedirs", recording)
    pages = [str(tmp_path / "site" / "disclosures" / f"OSQI-2026-{i:04d}" / "index.html")
             for i in range(pool.MIN_ITEMS)]
    assert make_folders(pages, parallel=False) is None and make_folders(pages[:3], parallel=True) is None
    assert not made_by.exists()  # MkDocs makes those as it writes the pages
    child = make_folders(pages, parallel=True)
    assert child is not None and child.wait() is None
    assert all(Path(page).parent.is_dir() for page in pages)
    if (os.cpu_count() or 1) >= 2 and threading.active_count() == 1:
        assert int(made_by.read_text()) != os.getpid()
    (tmp_path / "file").write_text("not a folder")
    blocked = make_folders([str(tmp_path / "file" / f"p{i}" / "index.html") for i in range(pool.MIN_ITEMS)],
                           parallel=True)
    assert blocked is not None and "Not a directory" in (blocked.wait() or "")  # told, not raised: MkDocs reports it


def test_a_failed_build_waits_for_the_folder_child_before_its_site_is_deleted(tmp_path: Path) -> None:
    import time

    from osqi_site.adapter.plugin import OsqiPlugin
    from osqi_site.build import pool

    made = tmp_path / "made"

    def slow() -> str | None:
        time.sleep(0.3)
        made.write_text("done")
        return None

    plugin = OsqiPlugin()
    plugin._page_folders = pool.in_background(slow)
    plugin.on_build_error(error=RuntimeError("a page failed"))
    assert made.exists()  # ended before abort deletes the temporary site: it cannot make a folder there after


def test_hostile_text_reaches_no_reader_as_active_content(project: Path, tmp_path: Path) -> None:
    """Frontmatter text and narrative HTML meant to run script, through a real build: every page, the search
    index, the listing index and the feeds hold it only as inert text."""
    import lxml.html
    from xss import active_content

    marker = "XSSCANARY"
    hostile = disclosure_text("OSQI-2026-0006", embargo="2026-04-01T00:00:00Z")
    hostile = hostile.replace("title: Heap overflow in parser chunk handling",
                              f"title: \"<img src=x onerror=alert('{marker}title')> overflow\"")
    hostile = hostile.replace("package: publicpkg", f"package: \"<script>alert('{marker}pkg')</script>\"")
    hostile = hostile.replace("name: Finder Person", f"name: \"<svg onload=alert('{marker}credit')>\"")
    hostile = hostile.replace("note: Noticed by fuzzing.", f"note: \"<iframe src=//evil.example/{marker}>\"")
    hostile = hostile.replace("A summary of the overflow.",
                              f"A summary <img src=x onerror=alert('{marker}summary')> of the overflow.\n\n"
                              f"<script>alert('{marker}body')</script>\n\n"
                              f"<a href=\"#\" onclick=\"alert('{marker}click')\">x</a> {{{{ config }}}}")
    (project / "disclosures/2026/OSQI-2026-0006.md").write_text(hostile)
    about = project / "content" / "policy.md"
    about.write_text(f"---\ndescription: '\"><script>alert(\"{marker}description\")</script>'\n"
                     f"author: '\"><script>alert(\"{marker}author\")</script>'\n---\n"
                     + about.read_text() + f"\n<script>alert('{marker}content')</script>\n"
                     f"<img src=x onerror=alert('{marker}content')>\n")
    # Not in the nav: its title comes from its heading, which Material prints through `striptags`.
    (project / "content" / "hidden.md").write_text(
        f"# &lt;/title&gt;&lt;script&gt;alert('{marker}heading')&lt;/script&gt; Hidden\n\nText.\n")
    site = tmp_path / "site"
    assert build(project, site) == 0
    files = all_bytes(site)
    assert marker.encode() in files["disclosures/OSQI-2026-0006/index.html"]  # the text is there, as text
    assert f"{marker}description".encode() in files["policy/index.html"]
    assert f"{marker}heading".encode() in files["hidden/index.html"]
    for path, data in files.items():
        if path.endswith(".html"):
            assert active_content(data.decode(), marker=marker) == [], path
    index = json.loads(files["search/search_index.json"])
    ours = [d for d in index["docs"] if d["location"] == "disclosures/OSQI-2026-0006/"]
    assert len(ours) == 1
    for field in ("title", "text"):
        parsed = lxml.html.fragment_fromstring(ours[0][field], create_parent="div")
        assert [el.tag for el in parsed.iter()] == ["div"], field
    feed = json.loads(files["feed.json"])
    for item in feed["items"]:
        assert active_content(item["content_html"]) == []
    for name in ("feed.xml", "atom.xml"):
        for entry in feedparser.parse(files[name]).entries:
            for content in entry.get("content", []):
                assert active_content(content["value"]) == [], name


def test_a_preview_keeps_no_check_result_since_its_clock_may_publish_what_is_withheld(
        project: Path, tmp_path: Path) -> None:
    from osqi_site.build import cachedb, fastcheck

    later = "2026-07-01T00:00:00Z"  # OSQI-2026-0004's embargo has lifted by then; not at the build's clock
    assert cli.main(["preview", "-f", str(project / "mkdocs.yml"), "-d", str(tmp_path / "preview"),
                     "--as-of", later]) == 0
    assert CANARY.encode() in (tmp_path / "preview" / "disclosures" / "OSQI-2026-0004" / "index.html").read_bytes()
    with cachedb.opened(project / ".osqi-cache") as db:
        assert cachedb.keys(db, fastcheck.KIND) == set()
    assert build(project, tmp_path / "site") == 0  # a build at its own clock keeps what it publishes
    with cachedb.opened(project / ".osqi-cache") as db:
        kept = cachedb.get_many(db, fastcheck.KIND, cachedb.keys(db, fastcheck.KIND))
    assert kept and not any(CANARY.encode() in v for v in kept.values())


def test_every_cache_key_names_the_python_and_the_library_versions_the_build_runs_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A validation, an export or a scan verdict may change with a library: one upgraded makes every entry anew.
    from osqi_site.adapter import prerender

    digest = prerender.code_digest.__wrapped__
    base = digest()
    assert any(r.startswith("packageurl-python==") for r in prerender.runtime())
    real = prerender._version
    monkeypatch.setattr(prerender, "_version", lambda d: "0.0.1" if d == "packageurl-python" else real(d))
    assert digest() != base
    monkeypatch.setattr(prerender, "_version", real)
    monkeypatch.setattr(sys, "version", "3.99.0")
    assert digest() != base


def _with_cache_dir(project: Path, value: str) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text()
    anchor = "      embargo_register: true"
    assert anchor in text
    config.write_text(text.replace(anchor, f"{anchor}\n      cache_dir: {value}", 1))


@pytest.mark.parametrize("kind", ["file", "dangling link", "device"])
def test_a_cache_dir_that_is_no_folder_is_one_line_not_a_traceback(project: Path, tmp_path: Path, kind: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    if kind == "file":
        (project / ".osqi-cache").write_text("not a folder")
    elif kind == "dangling link":
        (project / ".osqi-cache").symlink_to(tmp_path / "nowhere")
    else:
        _with_cache_dir(project, "/dev/null")
    assert build(project, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "cache_dir:" in err and "is not a folder" in err and "Traceback" not in err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(("value", "what"), [("content/cachex", "docs_dir"), ("theme/cachex", "theme.custom_dir"),
                                             ("disclosures/cachex", "disclosures_dir"), (".", "the project folder")])
def test_a_cache_dir_in_or_around_what_is_published_is_refused(project: Path, value: str, what: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _with_cache_dir(project, value)
    assert build(project, project / "site") == 1
    err = capsys.readouterr().err
    assert f"cache_dir: {value} lies" in err and what in err and "Traceback" not in err
    assert not (project / value / "cache.sqlite3").exists()


def test_a_site_folder_in_or_around_the_cache_is_refused_by_the_transaction(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for site in (project / ".osqi-cache" / "site", project / "out"):
        if site.name == "out":
            _with_cache_dir(project, "out/cache")
        assert build(project, site) == 1
        assert "the cache_dir" in capsys.readouterr().err


def test_a_disclosure_withheld_again_leaves_nothing_of_it_in_the_cache(project: Path, tmp_path: Path) -> None:
    source = project / "disclosures" / "2026" / "OSQI-2026-0001.md"
    text = source.read_text()
    source.write_text(text.replace("title: Out-of-bounds read", "title: ZQXAGAIN Out-of-bounds read", 1))
    assert build(project, tmp_path / "site") == 0
    cache = project / ".osqi-cache"
    assert any(b"ZQXAGAIN" in p.read_bytes() for p in cache.rglob("*") if p.is_file())  # kept while published
    source.write_text(source.read_text().replace("embargo_until: 2026-01-15T12:00:00Z",
                                                 "embargo_until: 2999-01-15T12:00:00Z"))
    assert build(project, tmp_path / "site") == 0
    leftovers = [p for p in cache.rglob("*") if p.is_file() and b"ZQXAGAIN" in p.read_bytes()]
    assert leftovers == []


def test_a_build_at_an_earlier_clock_leaves_no_byte_of_what_it_withholds_in_the_cache(project: Path,
                                                                                     tmp_path: Path) -> None:
    # OSQI-2026-0004 (CANARY in its title) is public in July, withheld at the fixture's clock.
    assert build(project, tmp_path / "july", as_of="2026-07-01T00:00:00Z") == 0
    cache = project / ".osqi-cache"
    assert any(CANARY.encode() in p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert build(project, tmp_path / "site") == 0
    # Deleted entries are overwritten in the database file and gone from its log, unused renders deleted.
    assert [p for p in cache.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()] == []


@pytest.mark.parametrize("name", ["html", "html/build", "jinja"])
def test_a_file_where_the_cache_keeps_a_folder_costs_time_only(project: Path, tmp_path: Path, name: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert build(project, tmp_path / "a") == 0
    import shutil

    in_the_way = project / ".osqi-cache" / name
    shutil.rmtree(in_the_way)
    in_the_way.write_text("x")
    assert build(project, tmp_path / "b") == 0
    assert "Traceback" not in capsys.readouterr().err
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
