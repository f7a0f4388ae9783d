"""Map a function over many items on every core, in forked workers, or in-process when that is cheaper or safer."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 64
"""Items per task: large enough that handing a task over costs little, small enough to balance the cores."""

MIN_ITEMS = 200
"""Below this, starting processes costs more than it saves."""

_jobs: dict[int, tuple[Callable[[Any], Any], Sequence[Any], bool]] = {}
"""Work handed to forked workers: they inherit it from the parent, so neither function nor items are pickled;
the flag is ``map_chunks``' ``pause_gc``."""
_job_ids = itertools.count()
_in_worker = False
"""True in a worker: a map_chunks inside ``fn`` runs in that worker, not in workers of its own."""


def map_chunks(fn: Callable[[T], R], items: Sequence[T], *, chunk: int = CHUNK, parallel: bool = True,
               min_items: int = MIN_ITEMS, pause_gc: bool = False, renew_every: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, computed in chunks on every core when that pays.

    The result is the same list, in the same order, as the serial comprehension, which is what runs when
    ``parallel`` is false, when there are fewer than ``min_items`` items, on a single core, where ``fork``
    is unavailable, inside a worker, or when other threads are running (forking a threaded process can
    deadlock the child).
    Otherwise one forked worker per core takes the chunks in order. Workers inherit ``fn`` and ``items``
    through ``fork``, so ``fn`` may be a closure; only their results are pickled. If ``fn`` raises, the
    exception of the first item in order that failed is raised here, as it would be serially.

    ``pause_gc`` holds the cyclic garbage collector until every result is in, and in each worker while it
    computes a chunk. It suits an ``fn`` that makes no reference cycles and results that are kept: the
    collector would only walk the growing pile of results again and again (half a second at 10,000 checked
    disclosures). Cyclic garbage made meanwhile waits, so leave it off for anything else.

    ``renew_every`` gives each run of that many items fresh workers. A forked worker shares the parent's
    memory until it writes to it, and merely reading a Python object writes its reference count: a worker
    that touches thousands of inherited objects ends up with a private copy of every memory page they sit
    on. Fresh workers start from the shared pages again, which bounds that growth.
    """
    with gc_paused(pause_gc):
        step = max(1, renew_every or len(items))
        out: list[R] = []
        for start in range(0, len(items), step):
            # A slice's items are still inherited, not pickled: the slice object is all that is added.
            for batch in _map(_each(fn), items[start:start + step], max(1, chunk), parallel, min_items,
                              pause_gc=pause_gc):
                out.extend(batch)
        return out


@contextlib.contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """The cyclic garbage collector held in the block (``pause``), as ``map_chunks(pause_gc=True)`` holds it."""
    collecting = pause and gc.isenabled()
    if collecting:
        gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def map_batches(fn: Callable[[Sequence[T]], R], items: Sequence[T], *, chunk: int = CHUNK, parallel: bool = True,
                min_items: int = MIN_ITEMS) -> list[R]:
    """``[fn(items[i:i + chunk]) for i in range(0, len(items), chunk)]``: ``fn`` of each run of ``chunk`` items,
    on every core when that pays, exactly as ``map_chunks`` decides and runs it (same order, same first failure).

    For work that has something to do once per run of items in the process that made them, such as storing
    them (``BuildCache.through``)."""
    return _map(fn, items, max(1, chunk), parallel, min_items)


def _map(fn: Callable[[Sequence[T]], R], items: Sequence[T], chunk: int, parallel: bool,
         min_items: int, *, pause_gc: bool = False) -> list[R]:
    starts = range(0, len(items), chunk)
    workers = min(os.cpu_count() or 1, len(starts))
    if len(items) < min_items or not _may_fork(parallel, workers):
        return [fn(items[start:start + chunk]) for start in starts]
    job = next(_job_ids)
    _jobs[job] = (fn, items, pause_gc)
    try:
        # This process only collects. Were it to compute chunks too, it would hold the GIL while the pool's
        # result thread waits for it, and a worker blocks on its full result pipe until that thread reads:
        # with large results (a disclosure's outputs) that made two cores no faster than one.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_start) as pool:
            futures = [pool.submit(_run, job, start, chunk) for start in starts]
            out: list[R] = []
            for future in futures:
                try:
                    out.append(future.result())
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
            return out
    finally:
        del _jobs[job]


def _each(fn: Callable[[T], R]) -> Callable[[Sequence[T]], list[R]]:
    return lambda batch: [fn(x) for x in batch]


class Background:
    """Work running in a forked child (``in_background``), or already done here."""

    def __init__(self, pid: int | None, answer: int | None, result: str | None = None) -> None:
        self._pid, self._answer, self._result = pid, answer, result

    def wait(self) -> str | None:
        """Wait for the work to end: ``None`` if it succeeded, else the line it returned to say what failed.

        An exception it raised is raised here as ``RuntimeError``, with its type and message: a bug in it
        fails the caller as it would have in this process.
        """
        if self._pid is not None and self._answer is not None:
            with os.fdopen(self._answer, "rb") as answer:
                said = answer.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = self._answer = None
            line = said[1:].decode("utf-8", "replace")
            if said[:1] == _RAISED:
                raise RuntimeError(f"in a background process: {line}")
            self._result = None if said[:1] == _DONE else line if said[:1] == _FAILED else \
                f"the background process ended without an answer (wait status {status})"
        return self._result


_DONE, _FAILED, _RAISED = b"+", b"-", b"!"
"""What a background child answers first: done; failed, or raised (either followed by one line)."""


def in_background(fn: Callable[[], str | None], *, parallel: bool = True) -> Background:
    """Run ``fn`` in a forked child while this process goes on; ``wait()`` gives what ``fn`` returned:
    ``None``, or one line saying what failed.

    For work whose only result is on disk (the build cache's writes), done while this process runs alone on
    one core and the others idle. The child inherits ``fn`` and all it uses through ``fork``, as the workers
    of ``map_chunks`` do, and ends with ``os._exit``: it must not log or print (its caller learns from
    ``wait``), nor open anything this process has open. Where ``map_chunks`` would not fork (``parallel``
    false, a single core, other threads running, inside a worker, no ``fork``), ``fn`` runs here and now.
    """
    if not _may_fork(parallel, os.cpu_count() or 1):
        return Background(None, None, fn())
    answer, answer_in_child = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or processes left for a child: the work is done here instead
        os.close(answer)
        os.close(answer_in_child)
        return Background(None, None, fn())
    if pid == 0:  # the child: never returns
        try:
            os.close(answer)
            global _in_worker
            _in_worker = True  # nothing forks from here
            try:
                failed = fn()
                said = _DONE if failed is None else _FAILED + failed.encode("utf-8", "replace")
            except BaseException as e:
                said = _RAISED + f"{type(e).__name__}: {e}".encode("utf-8", "replace")
            os.write(answer_in_child, said[:_ANSWER_MAX])
        finally:
            os._exit(0)
    os.close(answer_in_child)
    return Background(pid, answer)


_ANSWER_MAX = 4096
"""Bytes a child answers at most: one write of at most this many reaches the pipe whole (``PIPE_BUF``)."""


def _may_fork(parallel: bool, workers: int) -> bool:
    """Whether forking is allowed and pays: see ``map_chunks`` for each reason it would not."""
    return not (not parallel or workers < 2 or _in_worker or threading.active_count() > 1
                or "fork" not in multiprocessing.get_all_start_methods())


def settle_heap() -> None:
    """Take every object alive now out of the cyclic garbage collector's sight, for good (``gc.freeze``).

    For one-shot commands: what a check or build has loaded lives until the process ends, yet every full
    collection walks it again (about 3 s of a 10,000-disclosure build, and 0.7 s more at exit). Cyclic
    garbage alive now is kept as well, so a long-running process (``serve``) must never call this.
    """
    gc.freeze()


def give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc's ``malloc_trim``; elsewhere nothing happens).

    Freed objects of a few kilobytes leave holes in the C heap that the process keeps: before forking
    workers, that memory would count for the parent until the end and be shared with every worker.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        return
    trim(0)


def _worker_start() -> None:
    # The inherited heap is never garbage: keep the collector off it (and off its copy-on-write pages),
    # and collect as usual whatever the parent's pause_gc.
    global _in_worker
    _in_worker = True
    gc.freeze()
    gc.enable()


def _run(job: int, start: int, size: int) -> Any:
    fn, items, pause_gc = _jobs[job]
    # An fn that makes no cycles (what pause_gc says) leaves the collector nothing to find here either: it would
    # only walk each chunk's objects while they are made (a tenth of a 10,000-disclosure check's time).
    with gc_paused(pause_gc):
        return fn(items[start:start + size])
