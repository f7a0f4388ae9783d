"""Parallel loading and validation: forked workers give exactly what the serial path gives."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from factory import BODY, SETTINGS, disclosure_text, write_disclosure

from osqi_site.build import pipeline, pool

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


# --- pipeline.check ------------------------------------------------------------------------------


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


@pytest.mark.parametrize("n", [pool.MIN_ITEMS + 100, 40])
def test_check_in_parallel_equals_check_in_process(tmp_path: Path, n: int) -> None:
    _mixed_project(tmp_path, n)
    serial = pipeline.check(tmp_path / "disclosures", tmp_path, SETTINGS, parallel=False)
    fast = pipeline.check(tmp_path / "disclosures", tmp_path, SETTINGS)
    assert fast == serial
    assert [str(p) for p in fast.problems] == [str(p) for p in serial.problems]
    assert len(serial.disclosures) > n // 2
    fields = {p.field for p in serial.problems}
    assert {"id", "file", "frontmatter", "cwe[0]", "## Discovery"} <= fields, fields
    assert any("already used by" in p.message for p in serial.problems)
    assert any(d.attachments for d in serial.disclosures)


def test_check_in_parallel_really_forks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if CORES < 2 or threading.active_count() > 1:
        pytest.skip("needs two cores and a single-threaded test process")
    _mixed_project(tmp_path, pool.MIN_ITEMS)
    real = pool.map_chunks
    pids: set[int] = set()

    def spy(fn: Callable[[Any], Any], items: Sequence[Any], **kw: Any) -> list[Any]:
        tagged = real(lambda x: (fn(x), os.getpid()), items, **kw)
        pids.update(pid for _, pid in tagged)
        return [r for r, _ in tagged]

    monkeypatch.setattr(pool, "map_chunks", spy)
    checked = pipeline.check(tmp_path / "disclosures", tmp_path, SETTINGS)
    assert checked == pipeline.check(tmp_path / "disclosures", tmp_path, SETTINGS, parallel=False)
    assert len(pids) >= 2 and os.getpid() not in pids


@pytest.mark.parametrize("flag", [True, False])
def test_pause_gc_holds_the_collector_only_while_mapping(flag: bool) -> None:
    seen = pool.map_chunks(lambda _: gc.isenabled(), list(range(10)), pause_gc=flag)
    assert seen == [not flag] * 10
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        pool.map_chunks(lambda x: 1 // x, [0], pause_gc=flag)
    assert gc.isenabled()


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
