"""Map a function over many items on every core, in forked workers, or in-process when that is cheaper or safer."""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 64
"""Items per task: large enough that handing a task over costs little, small enough to balance the cores."""

MIN_ITEMS = 200
"""Below this, starting processes costs more than it saves."""

_jobs: dict[int, tuple[Callable[[Any], Any], Sequence[Any]]] = {}
"""Work handed to forked workers: they inherit it from the parent, so neither function nor items are pickled."""
_job_ids = itertools.count()


def map_chunks(fn: Callable[[T], R], items: Sequence[T], *, chunk: int = CHUNK, parallel: bool = True,
               min_items: int = MIN_ITEMS) -> list[R]:
    """``[fn(x) for x in items]``, computed in chunks by forked worker processes when that pays.

    The result is the same list, in the same order, as the serial comprehension, which is what runs when
    ``parallel`` is false, when there are fewer than ``min_items`` items, on a single core, where ``fork``
    is unavailable, or when other threads are running (forking a threaded process can deadlock the child).
    Workers inherit ``fn`` and ``items`` through ``fork``, so ``fn`` may be a closure; only the results are
    pickled, so they should be small. An exception raised by ``fn`` is raised here, as it would be serially.
    """
    workers = min(os.cpu_count() or 1, -(-len(items) // max(1, chunk)))
    if (not parallel or len(items) < min_items or workers < 2 or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return [fn(x) for x in items]
    job = next(_job_ids)
    _jobs[job] = (fn, items)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=gc.freeze) as pool:
            starts = range(0, len(items), chunk)
            parts = pool.map(_run, [job] * len(starts), starts, [chunk] * len(starts))
            return [r for part in parts for r in part]
    finally:
        del _jobs[job]


def _run(job: int, start: int, size: int) -> list[Any]:
    fn, items = _jobs[job]
    return [fn(x) for x in items[start:start + size]]
