"""The worker pool, and the stages as builds run them (on every core, reusing what was found): exactly what the
plain, serial stages give."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from factory import BODY, NOW, SETTINGS, disclosure_text, make_disclosure, write_disclosure

from osqi_site.build import fastcheck, pipeline, pool
from osqi_site.build.cache import BuildCache
from osqi_site.core import check, gate, loader
from osqi_site.core.alarms import alarm_facts, alarms
from osqi_site.core.settings import Settings

CORES = os.cpu_count() or 1


def _pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _slow_pid(x: int) -> tuple[int, int]:
    time.sleep(0.0005)
    return _pid(x)


def test_map_chunks_keeps_order_and_shares_the_work_between_worker_processes() -> None:
    items = list(range(1000))
    results = pool.map_chunks(_slow_pid, items, chunk=7)
    assert [r for r, _ in results] == [x * x for x in items]
    if CORES >= 2 and threading.active_count() == 1:
        pids = [pid for _, pid in results]
        assert len(set(pids)) == min(CORES, 1000 // 7 + 1), set(pids)
        # One worker per core; this process only collects (see pool._map for why).
        assert os.getpid() not in pids
    assert pool._jobs == {}


@pytest.mark.parametrize(("n", "flag"), [(1000, False), (pool.MIN_ITEMS - 1, True), (0, True)])
def test_map_chunks_stays_in_process_when_told_or_small(n: int, flag: bool) -> None:
    results = pool.map_chunks(_pid, list(range(n)), parallel=flag)
    assert [r for r, _ in results] == [x * x for x in range(n)]
    assert {pid for _, pid in results} <= {os.getpid()}


def test_map_chunks_takes_closures() -> None:
    offset = 17
    assert pool.map_chunks(lambda x: x + offset, range(500)) == [x + offset for x in range(500)]


def test_map_chunks_raises_what_fn_raises() -> None:
    def fail_on_300(x: int) -> int:
        if x == 300:
            raise ValueError("item 300")
        return x

    with pytest.raises(ValueError, match="item 300"):
        pool.map_chunks(fail_on_300, list(range(1000)))
    assert pool._jobs == {}


def test_map_chunks_raises_for_the_first_failing_item_in_order() -> None:
    def fail_from_100(x: int) -> int:
        if x >= 100:
            raise ValueError(f"item {x}")
        return x

    # The last chunks fail first in this process, the early ones in a worker: the first in order wins.
    with pytest.raises(ValueError) as raised:
        pool.map_chunks(fail_from_100, list(range(1000)), chunk=10)
    assert str(raised.value) == "item 100"


def test_map_batches_hands_each_run_of_items_to_fn_in_order() -> None:
    items = list(range(1000))
    alone = _others_ended()  # an earlier test's pool may still be closing down: map_batches would not fork
    got = pool.map_batches(lambda batch: (list(batch), os.getpid()), items, chunk=64)
    assert [x for batch, _ in got for x in batch] == items
    assert [len(batch) for batch, _ in got] == [64] * 15 + [40]
    if (os.cpu_count() or 1) >= 2 and alone:
        assert os.getpid() not in {pid for _, pid in got}  # on workers
    assert pool.map_batches(lambda batch: list(batch), items[:10], chunk=4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_map_chunks_stays_in_process_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = pool.map_chunks(_pid, list(range(1000)))
    finally:
        stop.set()
        other.join()
    assert {pid for _, pid in results} == {os.getpid()}


def _others_ended() -> bool:
    """True once no thread but this one runs: a process pool of an earlier test may still be closing down."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(timeout=5)
    return threading.active_count() == 1


def test_in_background_runs_in_a_child_and_tells_how_it_ended(tmp_path: Path) -> None:
    if CORES < 2 or not _others_ended():
        pytest.skip("needs two cores and a single-threaded test process")
    ran_in = tmp_path / "pid"

    def work() -> str | None:
        ran_in.write_text(str(os.getpid()))
        return None

    assert pool.in_background(work).wait() is None
    assert int(ran_in.read_text()) != os.getpid()
    failing = pool.in_background(lambda: "disk full")
    assert failing.wait() == "disk full" and failing.wait() == "disk full"  # asked again: the same answer

    def bug() -> str | None:
        raise KeyError("no such entry")

    with pytest.raises(RuntimeError, match="in a background process: KeyError: 'no such entry'"):
        pool.in_background(bug).wait()

    def killed() -> str | None:
        os.kill(os.getpid(), signal.SIGKILL)
        return None

    assert "ended without an answer" in (pool.in_background(killed).wait() or "")
    assert "ended without an answer" in (pool.in_background(lambda: os._exit(0)).wait() or "")


def test_in_background_runs_here_when_told_or_while_other_threads_run() -> None:
    ran_in: list[int] = []

    def work() -> str | None:
        ran_in.append(os.getpid())
        return "told"

    assert pool.in_background(work, parallel=False).wait() == "told"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert pool.in_background(work).wait() == "told"
    finally:
        stop.set()
        other.join()
    assert ran_in == [os.getpid(), os.getpid()]  # a fork now could deadlock the child


# --- the check: fastcheck against core.check ---------------------------------------------------------


def _mixed_project(root: Path, n: int) -> None:
    """``n`` disclosures, mostly valid, with every kind of problem sprinkled in, in folders whose order as
    paths differs from their order as strings ("2026" / "2026-x")."""
    d = root / "disclosures"
    no_discovery = BODY.replace("## Discovery", "## Elsewhere")
    for i in range(1, n + 1):
        ident = f"OSQI-2026-{i:04d}"
        folder = "2026-x" if i % 7 == 0 else "2026"
        kind = i % 23
        if kind == 1:
            write_disclosure(d, f"{folder}/{ident}.md", text=f"---\nid: {ident}\ntitle: [unclosed\n---\n")
        elif kind == 2:
            write_disclosure(d, f"{folder}/{ident}.md", text=disclosure_text(id=ident, cwe=["787"]))
        elif kind == 3:
            write_disclosure(d, f"{folder}/{ident}.md", text=disclosure_text(id=ident, body=no_discovery))
        elif kind == 4:
            write_disclosure(d, f"{folder}/{ident}.md", text=f"---\nid: {ident}\nid: again\n---\n")
        elif kind == 5:
            write_disclosure(d, f"{folder}/{ident}.md", text=b"\xef\xbb\xbf---\n")
        elif kind == 6:  # the same ID again, in another folder: the cross-file rule
            write_disclosure(d, f"dup/{ident}.md", text=disclosure_text(id=ident, title="Another"))
            write_disclosure(d, f"{folder}/{ident}.md", text=disclosure_text(id=ident))
        elif kind == 7:
            write_disclosure(d, f"{folder}/{ident}.md", text=f"---\nid: {ident}\ntitle: &t x\n---\n")
        elif kind == 8:
            write_disclosure(d, f"{folder}/{ident}.md", text=disclosure_text(id=ident, draft=True, embargo_until=None))
            (d / folder / ident).mkdir()
            (d / folder / ident / "poc.py").write_text("print('poc')\n")
        else:
            write_disclosure(d, f"{folder}/{ident}.md", text=disclosure_text(id=ident, title=f"Bug number {i}"))
    (d / "2026" / "notes.txt").write_text("stray")


def test_checking_a_file_makes_no_reference_cycles(tmp_path: Path) -> None:
    """The check's workers hold the collector (``map_chunks(pause_gc=True)``): a cycle made per file would be
    garbage kept until the end of a chunk, or of the whole check when it runs in one process."""
    _mixed_project(tmp_path, 46)  # every kind of file, twice
    write_disclosure(tmp_path / "disclosures", "2026/OSQI-2026-0099.md", id="OSQI-2026-0099",
                     credits=[{"name": "A", "type": "FINDER", "contact": ["https://a.example", "mailto:a@b.example"]}],
                     timeline=[{"date": "2026-10-01", "event": "discovered", "note": "see OSQI-2026-0001"}])
    sources = loader.list_tree(tmp_path / "disclosures", tmp_path).sources

    def check_all() -> None:
        for source in sources:  # as the workers do, with and without a build cache
            fastcheck._checked_here(source, tmp_path, SETTINGS)
            checked = check.check_bytes(source, source[0].read_bytes(), tmp_path, SETTINGS)
            fastcheck._load(fastcheck._dump((checked, fastcheck.facts_of(checked, SETTINGS))))

    check_all()  # first uses: compiled patterns, tables and caches are made once, and kept
    gc.collect()
    with pool.gc_paused():
        check_all()
        assert gc.collect() == 0


def _plain(found: fastcheck.CheckedWithFacts) -> check.Checked:
    return check.Checked(found.disclosures, found.problems)


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("n", [pool.MIN_ITEMS + 100, 40])
def test_the_check_as_builds_run_it_equals_the_plain_check(tmp_path: Path, n: int, parallel: bool) -> None:
    _mixed_project(tmp_path, n)
    plain = check.check(tmp_path / "disclosures", tmp_path, SETTINGS)
    fast = fastcheck.check(tmp_path / "disclosures", tmp_path, SETTINGS, parallel=parallel)
    assert _plain(fast) == plain
    assert [str(p) for p in fast.problems] == [str(p) for p in plain.problems]
    # What it found on the way is what the later stages would find by looking again.
    assert fast.mentions == {d.source: pipeline.mentions(d, SETTINGS) for d in plain.disclosures}
    assert fast.alarms == {d.source: alarm_facts(d, SETTINGS) for d in plain.disclosures}
    assert len(plain.disclosures) > n // 2
    fields = {p.field for p in plain.problems}
    assert {"id", "file", "frontmatter", "cwe[0]", "## Discovery"} <= fields, fields
    assert any("already used by" in p.message for p in plain.problems)
    assert any(d.attachments for d in plain.disclosures)


def test_the_check_with_a_memo_reads_only_new_files_and_still_equals_the_plain_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _mixed_project(tmp_path, 60)
    looked_at: list[int] = []
    real = pool.map_chunks

    def counting(fn: Callable[[Any], Any], items: Sequence[Any], **kw: Any) -> list[Any]:
        looked_at.append(len(items))
        return real(fn, items, **kw)

    monkeypatch.setattr(fastcheck, "map_chunks", counting)
    memo: fastcheck.FileMemo = {}
    first = fastcheck.check(tmp_path / "disclosures", tmp_path, SETTINGS, memo=memo)
    files = len(memo)
    assert looked_at == [files] and files > 60
    again = fastcheck.check(tmp_path / "disclosures", tmp_path, SETTINGS, memo=memo)
    assert looked_at == [files, 0] and again == first
    write_disclosure(tmp_path / "disclosures", "2026/OSQI-2026-0100.md",
                     text=disclosure_text(id="OSQI-2026-0100", title="One more"))
    third = fastcheck.check(tmp_path / "disclosures", tmp_path, SETTINGS, memo=memo)
    assert looked_at == [files, 0, 1] and len(memo) == files + 1
    assert _plain(third) == check.check(tmp_path / "disclosures", tmp_path, SETTINGS) != _plain(first)


# --- the check through the build cache: each published file's result kept under a key of its bytes ---------


def _cache(folder: Path) -> BuildCache:
    found = BuildCache()
    found.open(folder, serving=False)
    return found


def _counting_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files ``check_bytes`` is called for (in this process: the counted checks run with parallel=False)."""
    checked: list[str] = []
    real = check.check_bytes

    def counting(source: check.Source, raw: bytes, *args: Any) -> check.FileChecked:
        checked.append(str(source[0]))
        return real(source, raw, *args)

    monkeypatch.setattr(fastcheck, "check_bytes", counting)
    return checked


def _build_check(root: Path, *, settings: Settings = SETTINGS, code: str = "code",
                 parallel: bool = False) -> fastcheck.CheckedWithFacts:
    """The check as a build runs it: through the cache, then what it publishes kept (``fastcheck.keep``)."""
    cache = _cache(root / "cache")
    found = fastcheck.check(root / "disclosures", root, settings, parallel=parallel, cache=cache, code=code)
    fastcheck.keep(cache, found, gate.publish(found.disclosures, NOW))
    return found


def _kept(root: Path) -> dict[str, bytes]:
    from osqi_site.build import cachedb

    with cachedb.opened(root / "cache") as db:
        return cachedb.get_many(db, fastcheck.KIND, cachedb.keys(db, fastcheck.KIND))


@pytest.mark.parametrize("parallel", [True, False])
def test_the_check_through_the_cache_equals_the_plain_check_and_the_next_build_reads_it_back(
        tmp_path: Path, parallel: bool) -> None:
    _mixed_project(tmp_path, pool.MIN_ITEMS + 50)
    plain = check.check(tmp_path / "disclosures", tmp_path, SETTINGS)
    for _ in range(2):  # made and kept, then read back by a build with a cache object of its own
        fast = _build_check(tmp_path, parallel=parallel)
        assert _plain(fast) == plain
        assert [str(p) for p in fast.problems] == [str(p) for p in plain.problems]
        assert fast.mentions == {d.source: pipeline.mentions(d, SETTINGS) for d in plain.disclosures}
        assert fast.alarms == {d.source: alarm_facts(d, SETTINGS) for d in plain.disclosures}
        # The facts are about the very disclosure objects the check returns (``memo.found_or_made``).
        assert all(fast.mentions[d.source].of is d for d in fast.disclosures)
    assert len(_kept(tmp_path)) == len(gate.publish(plain.disclosures, NOW).public)


def test_only_what_the_build_publishes_is_kept(tmp_path: Path) -> None:
    canary = "ZQXKEPTCANARY"
    d = tmp_path / "disclosures"
    texts = {"0001": disclosure_text(id="OSQI-2026-0001", title="Public one"),
             "0002": disclosure_text(id="OSQI-2026-0002", title=f"Embargoed {canary}",
                                     embargo_until="2999-01-01T00:00:00Z"),
             "0003": disclosure_text(id="OSQI-2026-0003", title=f"Draft {canary}", draft=True, embargo_until=None),
             "0004": disclosure_text(id="OSQI-2026-0004", title=f"Invalid {canary}", cwe=["787"])}
    for n, text in texts.items():
        write_disclosure(d, f"2026/OSQI-2026-{n}.md", text=text)
    cache = _cache(tmp_path / "cache")
    found = fastcheck.check(d, tmp_path, SETTINGS, parallel=False, cache=cache, code="code")
    assert len(found.fresh) == 3  # every valid file checked now, withheld or not
    pub = gate.publish(found.disclosures, NOW)
    fastcheck.keep(cache, found, pub)
    kept = _kept(tmp_path)
    assert len(kept) == 1 and not any(canary.encode() in v for v in kept.values())
    # A disclosure the gate passed as another object (a revision it kept back) is not kept either.
    public = pub.public[0]
    fastcheck.keep(_cache(tmp_path / "cache2"), found, dataclasses.replace(pub, public=(
        dataclasses.replace(public, title=public.title),)))
    from osqi_site.build import cachedb

    with cachedb.opened(tmp_path / "cache2") as db:
        assert cachedb.keys(db, fastcheck.KIND) == set()


def test_a_file_is_checked_again_exactly_when_its_bytes_or_what_it_is_checked_with_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _mixed_project(tmp_path, 40)
    checked = _counting_checks(monkeypatch)
    folder = tmp_path / "disclosures"

    def run(settings: Settings = SETTINGS, code: str = "code") -> fastcheck.CheckedWithFacts:
        checked.clear()
        return _build_check(tmp_path, settings=settings, code=code)

    first = run()
    files = len(checked)
    public = {str(tmp_path / d.source) for d in gate.publish(first.disclosures, NOW).public}
    assert files > 40 and len(public) > 20
    assert run() == first
    unpublished = sorted(checked)  # never kept, so checked by every build
    assert not set(unpublished) & public and len(unpublished) + len(public) == files
    # Same size and the old times put back: only the bytes tell, and they are the key.
    source = folder / "2026" / "OSQI-2026-0010.md"
    assert str(source) in public
    stat = source.stat()
    source.write_text(source.read_text().replace("Bug number 10", "Bug number X"))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited = run()
    assert sorted(checked) == sorted([*unpublished, str(source)])
    assert _plain(edited) == check.check(folder, tmp_path, SETTINGS) != _plain(first)
    # An attachment added: the file's listing changed, so it is checked again, with it.
    (folder / "2026" / "OSQI-2026-0010").mkdir()
    (folder / "2026" / "OSQI-2026-0010" / "trace.txt").write_text("trace")
    attached = run()
    assert sorted(checked) == sorted([*unpublished, str(source)])
    assert _plain(attached) == check.check(folder, tmp_path, SETTINGS)
    # Other settings or other code: every file again.
    run(settings=dataclasses.replace(SETTINGS, id_prefix="XYZ"))
    assert len(checked) == files
    run(code="other code")
    assert len(checked) == files


def test_what_is_kept_is_the_check_of_the_bytes_read_not_of_what_the_file_became(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An edit saved while the build runs: the result kept under the key of the bytes read must be theirs.
    _mixed_project(tmp_path, 30)
    folder = tmp_path / "disclosures"
    source = folder / "2026" / "OSQI-2026-0010.md"
    before = source.read_bytes()
    real = fastcheck._read

    def read_then_edited(path: Path) -> bytes | None:
        data = real(path)
        if path == source:
            path.write_bytes(before.replace(b"Bug number 10", b"Edited meanwhile"))
        return data

    monkeypatch.setattr(fastcheck, "_read", read_then_edited)
    during = _build_check(tmp_path)
    assert {d.id: d.title for d in during.disclosures}["OSQI-2026-0010"] == "Bug number 10"
    monkeypatch.setattr(fastcheck, "_read", real)
    source.write_bytes(before)  # back to what was read: the kept result must be that of these bytes
    again = _build_check(tmp_path)
    assert again == during and _plain(again) == check.check(folder, tmp_path, SETTINGS)


def test_unreadable_entries_and_files_over_the_limit_are_checked_as_without_a_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from osqi_site.build import cachedb
    from osqi_site.core.loader import MAX_FILE_BYTES

    _mixed_project(tmp_path, 30)
    folder = tmp_path / "disclosures"
    write_disclosure(folder, "2026/OSQI-2026-0099.md", text="x" * (MAX_FILE_BYTES + 1))
    checked = _counting_checks(monkeypatch)
    first = _build_check(tmp_path)
    assert _plain(first) == check.check(folder, tmp_path, SETTINGS)
    assert any("byte limit" in p.message for p in first.problems)
    # Never read whole, so never kept: checked as check_file checks it.
    assert not any(c.endswith("OSQI-2026-0099.md") for c in checked)
    checked.clear()
    _build_check(tmp_path)
    always = len(checked)
    with cachedb.opened(tmp_path / "cache") as db:
        keys = sorted(cachedb.keys(db, fastcheck.KIND))
        cachedb.put_many(db, fastcheck.KIND, [(k, b"not a pickle") for k in keys[:5]]
                         + [(k, pickle.dumps(("a", "b"))) for k in keys[5:10]])
    checked.clear()
    again = _build_check(tmp_path)
    assert len(checked) == always + 10 and again == first


class _Planted:
    """What a poisoned cache entry would hold: unpickling it calls a function of the planter's choice."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


def test_a_planted_entry_never_runs_and_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from osqi_site.build import cachedb

    _mixed_project(tmp_path, 30)
    first = _build_check(tmp_path)
    marker = tmp_path / "planted-code-ran"
    with cachedb.opened(tmp_path / "cache") as db:
        keys = sorted(cachedb.keys(db, fastcheck.KIND))
        cachedb.put_many(db, fastcheck.KIND, [(keys[0], pickle.dumps(_Planted(marker))),
                                              (keys[1], pickle.dumps((_Planted(marker), None)))])
    checked = _counting_checks(monkeypatch)
    again = _build_check(tmp_path)
    assert not marker.exists()
    assert again == first and len(checked) >= 2


def test_the_check_in_parallel_really_forks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if CORES < 2 or threading.active_count() > 1:
        pytest.skip("needs two cores and a single-threaded test process")
    _mixed_project(tmp_path, pool.MIN_ITEMS)
    real = pool.map_chunks
    pids: set[int] = set()

    def spy(fn: Callable[[Any], Any], items: Sequence[Any], **kw: Any) -> list[Any]:
        tagged = real(lambda x: (fn(x), os.getpid()), items, **kw)
        pids.update(pid for _, pid in tagged)
        return [r for r, _ in tagged]

    monkeypatch.setattr(fastcheck, "map_chunks", spy)
    checked = fastcheck.check(tmp_path / "disclosures", tmp_path, SETTINGS)
    assert _plain(checked) == check.check(tmp_path / "disclosures", tmp_path, SETTINGS)
    assert len(pids) >= 2 and os.getpid() not in pids


# --- publication problems and alarms: fastcheck against the plain stages ------------------------------------


def _many_mentioning(n: int) -> list[Any]:
    """``n`` disclosures: some mention others (public or not), some are thin or still embargoed at ``NOW``."""
    out = []
    for i in range(1, n + 1):
        body = BODY + (f"\nSee OSQI-2026-{i + 1:04d}.\n" if i % 3 == 0 else "") + ("\nTODO\n" if i % 5 == 0 else "")
        embargo = NOW.replace(year=2027) if i % 4 == 0 else NOW.replace(month=10)
        out.append(make_disclosure(id=f"OSQI-2026-{i:04d}", title=f"Overflow number {i}", body=body,
                                   embargo_until=embargo))
    return out


@pytest.mark.parametrize("found_share", [0, 2, 1])
def test_publication_problems_and_alarms_as_builds_run_them_equal_the_plain_ones(found_share: int) -> None:
    ds = _many_mentioning(pool.MIN_ITEMS + 50)
    pub = gate.publish(ds, NOW)
    # Facts found for none, every other, or every disclosure; the rest are looked at on every core.
    known = ds[::found_share] if found_share else []
    mentions = {d.source: pipeline.mentions(d, SETTINGS) for d in known}
    facts = {d.source: alarm_facts(d, SETTINGS) for d in known}
    plain_problems = pipeline.publication_problems(pub, SETTINGS)
    assert fastcheck.publication_problems(pub, SETTINGS, facts=mentions) == plain_problems
    assert any("mentions OSQI-2026-" in p.message for p in plain_problems)
    plain_alarms = alarms(ds, SETTINGS, NOW)
    assert fastcheck.alarms(ds, SETTINGS, NOW, facts=facts) == plain_alarms
    assert any("TODO" in p.message for p in plain_alarms)


def test_facts_found_in_another_object_are_not_taken() -> None:
    """A disclosure the gate rebuilt (or an edited file's) is another object: what was found in the old one,
    under the same source path, must never stand for it."""
    d = make_disclosure(body=BODY + "\nSee OSQI-2026-0099.\n")
    stale = {d.source: pipeline.mentions(make_disclosure(), SETTINGS)}  # same path, mentions nothing
    pub = gate.publish([d], NOW)
    assert fastcheck.publication_problems(pub, SETTINGS, facts=stale) == pipeline.publication_problems(pub, SETTINGS)
    assert pipeline.publication_problems(pub, SETTINGS) != []
    lifted = {d.source: alarm_facts(make_disclosure(body=BODY + "\nTODO\n"), SETTINGS)}
    found = fastcheck.alarms([d], SETTINGS, NOW, facts=lifted)
    assert found == alarms([d], SETTINGS, NOW) and not any("TODO" in p.message for p in found)


@pytest.mark.parametrize("flag", [True, False])
def test_pause_gc_holds_the_collector_only_while_mapping(flag: bool) -> None:
    seen = pool.map_chunks(lambda _: gc.isenabled(), list(range(10)), pause_gc=flag)
    assert seen == [not flag] * 10
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        pool.map_chunks(lambda x: 1 // x, [0], pause_gc=flag)
    assert gc.isenabled()


@pytest.mark.parametrize("flag", [True, False])
def test_pause_gc_holds_the_collector_in_the_workers_too(flag: bool) -> None:
    alone = _others_ended()  # an earlier test's pool may still be closing down: map_chunks would not fork
    seen = pool.map_chunks(lambda _: (os.getpid(), gc.isenabled()), list(range(pool.MIN_ITEMS * 2)), pause_gc=flag)
    if (os.cpu_count() or 1) < 2 or not alone:
        pytest.skip("no workers forked here")
    assert {pid for pid, _ in seen} - {os.getpid()}, "the items ran in this process"
    assert {enabled for _, enabled in seen} == {not flag}


def test_map_chunks_inside_a_worker_stays_in_that_worker() -> None:
    def inner(_: int) -> tuple[int, set[int]]:
        return os.getpid(), {pid for _, pid in pool.map_chunks(_pid, list(range(pool.MIN_ITEMS)))}

    for outer, pids in pool.map_chunks(inner, list(range(pool.MIN_ITEMS)), chunk=50):
        if outer != os.getpid():
            assert pids == {outer}


def test_renewed_workers_give_the_same_list_in_the_same_order() -> None:
    items = list(range(750))  # three runs of 250, each large enough for workers
    got = pool.map_chunks(lambda x: x * 3, items, chunk=16, renew_every=250)
    assert got == [x * 3 for x in items]
    pids = {pid for _, pid in pool.map_chunks(lambda x: (x, os.getpid()), items, chunk=16, renew_every=250)}
    if pids != {os.getpid()}:  # forked (not a one-core machine): each run had workers of its own
        assert os.getpid() not in pids and len(pids) > (os.cpu_count() or 1)


def test_an_error_in_a_later_run_of_renewed_workers_is_raised() -> None:
    items = list(range(pool.MIN_ITEMS * 2))

    def boom(x: int) -> int:
        if x == len(items) - 1:
            raise ValueError(f"item {x}")
        return x

    with pytest.raises(ValueError, match=f"item {len(items) - 1}"):
        pool.map_chunks(boom, items, renew_every=pool.MIN_ITEMS)
