"""The build cache: everything a build reuses from earlier builds and serve reloads, behind one object."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from osqi_site.build import cachedb, pool

T = TypeVar("T")
K = TypeVar("K")

VERDICTS = "clean"
"""Entries naming file contents proven free of a marker set: ``<marker set>:<content key>``."""
STORE_CHUNK = 128
"""Entries per task of ``through``'s workers, each task's stored in one transaction. Opening the database and
committing cost about 1.2 ms a transaction (measured at 10,000 outputs), while making one entry costs 0.7 ms
(a disclosure's outputs) to 2 ms (a page converted): with fewer, storing costs more than it should; with more,
the last task keeps one core waiting longer for the other."""
LEGACY_FOLDERS = ("outputs", "pages")
"""One file per entry, as versions before the database kept them: deleted when seen."""


class BuildCache:
    """What one build may take from earlier ones instead of making it again, and keeps for later ones.

    On disk, in the cache folder: converted pages and disclosure outputs by content key, and the leak scan's
    verdicts (``cachedb``, one SQLite file), plus the folders other steps keep there (``folder``). While
    serving, the object lives from one reload to the next and also keeps in memory what the last reload made.

    A cache that cannot be read or written only costs time: a database error is logged and the step goes on
    without it, and an entry that cannot be read back is made again.
    """

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._log = log or logging.getLogger(__name__)
        self._root: Path | None = None
        self.serving = False
        """True while ``serve`` keeps this object between reloads: what a build made is kept in memory too."""
        self._keep: dict[str, set[str]] = {}
        """Kind → every key this build used: ``prune`` drops the others."""
        self._memory: dict[str, dict[str, Any]] = {}
        """Kind → key → value of the last reload, when serving."""
        self._verdicts: tuple[str, frozenset[str]] = ("", frozenset())
        """The last reload's marker set and the contents proven clean against it, when serving."""
        self._kept: dict[str, Any] = {}
        """Objects other steps keep from one reload to the next (``kept``), when serving."""

    def open(self, root: Path, *, serving: bool) -> None:
        """Start a build that uses the cache folder ``root``; ``serving``: this object lives on to the next reload."""
        self._root, self.serving, self._keep = root, serving, {}
        if not serving:
            self._memory, self._verdicts, self._kept = {}, ("", frozenset()), {}

    def folder(self, name: str) -> Path:
        """A folder of the cache that a step keeps files in (rendered pages, compiled templates), created; a file in
        its way (the cache is the build's own: anything there can be made again) is deleted first."""
        path = self._folder() / name
        for step in [*reversed(Path(name).parents[:-1]), Path(name)]:
            at = self._folder() / step
            if os.path.lexists(at) and not at.is_dir():
                at.unlink()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def through(self, kind: str, keys: Mapping[str, str], load: Callable[[bytes], T], dump: Callable[[T], bytes],
                make: Callable[[list[str]], list[T]], *, parallel: bool = False,
                chunk: int = STORE_CHUNK) -> dict[str, T]:
        """``name → value`` for every ``name → key``: remembered (serve), read from the cache, or made now.

        ``make`` gets some of the names still missing, in the order of ``keys``, and returns their values in
        that order, made in the process it runs in. It gets them ``chunk`` at a time, on every core when
        ``parallel`` and there are enough (``pool.map_batches``). Each value is stored under its key for the
        next build by the process that made it: a worker stores each chunk as soon as it is made, so no
        process waits with values to store, nor copies another's memory to store them; what this process made
        is stored once all are made, in one transaction.
        """
        memory = self._memory.get(kind, {})
        done: dict[str, T] = {name: memory[key] for name, key in keys.items() if key in memory}
        stored = self._read(kind, [key for name, key in keys.items() if name not in done])
        for name, key in keys.items():
            if name not in done and key in stored:
                with contextlib.suppress(ValueError, KeyError, TypeError):  # unreadable: made below
                    done[name] = load(stored[key])
        del stored
        todo = [name for name in keys if name not in done]
        here, folder = os.getpid(), self._folder()

        def made(names: Sequence[str]) -> _Made[T]:
            values = make(list(names))
            if os.getpid() == here:
                return _Made(values, False, None)
            # Serialised one at a time as they are stored, never all at once.
            entries = ((keys[name], dump(value)) for name, value in zip(names, values, strict=True))
            return _Made(values, True, _store(folder, kind, entries))

        batches = pool.map_batches(made, todo, chunk=chunk, parallel=parallel)
        done.update(zip(todo, (value for batch in batches for value in batch.values), strict=True))
        failed = [batch for batch in batches if batch.failed is not None]
        if failed:
            self._log.warning("osqi: could not store %d cache entries: %s", sum(len(b.values) for b in failed),
                              failed[0].failed)
        left = _made_here(todo, batches)
        self._write(kind, len(left), ((keys[name], dump(done[name])) for name in left))
        self._keep.setdefault(kind, set()).update(keys.values())
        if self.serving:
            self._memory[kind] = {keys[name]: value for name, value in done.items()}
        return done

    def lookup(self, kind: str, keys: Iterable[str]) -> dict[str, bytes]:
        """The entries of ``kind`` stored under ``keys``, as stored (the caller reads them, and makes again what it
        cannot). Finding one does not keep it: only ``store`` says what this build used (``prune``)."""
        return self._read(kind, sorted(set(keys)))

    def store(self, kind: str, entries: Mapping[str, bytes], *, found: Iterable[str] = ()) -> None:
        """Store ``entries`` (key → bytes) in one transaction; they and the entries ``found`` (by ``lookup``) are
        what this build used of ``kind``, and ``prune`` deletes every other. For what a build may keep only once it
        knows more than when the entries were made (``fastcheck.keep``)."""
        self._write(kind, len(entries), sorted(entries.items()))
        self._keep.setdefault(kind, set()).update([*entries, *found])

    def kept(self, name: str, make: Callable[[], K]) -> K | None:
        """The object kept under ``name`` from one serve reload to the next (``make()`` the first time); ``None``
        when not serving, since then nothing outlives the build."""
        if not self.serving:
            return None
        if name not in self._kept:
            self._kept[name] = make()
        found: K = self._kept[name]
        return found

    def verdicts(self, marker_set: str) -> frozenset[str]:
        """The contents proven clean against this very marker set (``verdicts.verdict_set``) by an earlier build
        or reload; against any other set, none."""
        remembered, clean = self._verdicts
        if remembered == marker_set:
            return clean
        found: frozenset[str] = frozenset()
        with self._db("cache unreadable, every file is scanned") as db:
            if db is not None:
                prefix = f"{marker_set}:"
                found = frozenset(k.removeprefix(prefix) for k in cachedb.keys(db, VERDICTS, prefix))
        return found

    def keep_verdicts(self, marker_set: str, clean: frozenset[str]) -> None:
        """Keep the contents proven clean against ``marker_set``, and only those: verdicts against other marker
        sets are never reused."""
        if self.serving:  # a reload keeps them in memory; storing thousands each time costs
            self._verdicts = (marker_set, clean)
            return
        keys = sorted(f"{marker_set}:{k}" for k in clean)
        with self._db("could not store scan verdicts") as db:
            if db is not None:
                cachedb.put_many(db, VERDICTS, ((k, b"") for k in keys), replace=False)
                cachedb.keep_only(db, VERDICTS, keys)

    def prune(self) -> None:
        """Drop the entries this build did not use (``through``), so the cache holds only the current site's."""
        with self._db("could not prune the cache") as db:
            if db is not None:
                for kind, keep in sorted(self._keep.items()):
                    cachedb.keep_only(db, kind, keep)
                cachedb.truncate_log(db)
        for legacy in LEGACY_FOLDERS:
            shutil.rmtree(self._folder() / legacy, ignore_errors=True)

    def _folder(self) -> Path:
        if self._root is None:
            raise RuntimeError("the build cache is used before a build opened it")
        return self._root

    def _read(self, kind: str, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        if keys:
            with self._db("cache unreadable, rebuilding its entries") as db:
                if db is not None:
                    found = cachedb.get_many(db, kind, keys)
        return found

    def _write(self, kind: str, count: int, entries: Iterable[tuple[str, bytes]]) -> None:
        if count:
            with self._db(f"could not store {count} cache entries") as db:
                if db is not None:
                    cachedb.put_many(db, kind, entries)

    @contextlib.contextmanager
    def _db(self, failing: str) -> Iterator[sqlite3.Connection | None]:
        """The cache database for one step, or ``None`` when it cannot be opened (its file is a folder, say); an
        error opening it or in the step is logged as ``failing``, and the step goes on without the cache."""
        with contextlib.ExitStack() as stack:
            db: sqlite3.Connection | None = None
            try:
                db = stack.enter_context(cachedb.opened(self._folder()))
            except (sqlite3.Error, OSError) as e:
                self._log.warning("osqi: %s: %s", failing, e)
            try:
                yield db
            except sqlite3.Error as e:
                self._log.warning("osqi: %s: %s", failing, e)


@dataclass(frozen=True)
class _Made(Generic[T]):
    """The values of one chunk of names, whether the worker that made them stored them, and why that failed."""

    values: list[T]
    stored: bool
    failed: str | None


def _made_here(todo: list[str], batches: Sequence[_Made[T]]) -> list[str]:
    """The names of ``todo`` whose values no worker stored, sorted."""
    left: list[str] = []
    start = 0
    for batch in batches:
        if not batch.stored:
            left.extend(todo[start:start + len(batch.values)])
        start += len(batch.values)
    return sorted(left)


def _store(folder: Path, kind: str, entries: Iterable[tuple[str, bytes]]) -> str | None:
    """Store ``entries`` from a worker, in one transaction of their own; what failed, in one line."""
    try:
        with cachedb.joined(folder) as db:
            cachedb.put_many(db, kind, entries)
    except sqlite3.Error as e:
        return str(e)
    return None
