"""The build cache's store of small entries: content-keyed blobs in one SQLite file, not one file per entry."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path

NAME = "cache.sqlite3"
"""The file, inside the cache folder."""

_SCHEMA = "CREATE TABLE IF NOT EXISTS entry (kind TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, " \
          "PRIMARY KEY (kind, key))"
_BATCH = 500
"""Keys per query: well below SQLite's limit on bound parameters."""


@contextlib.contextmanager
def opened(folder: Path) -> Iterator[sqlite3.Connection]:
    """The cache database in ``folder``, created if missing, started afresh if it is not a database.

    Open it only for as long as it is used: a connection must never be open across a ``fork``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    try:
        conn = _connect(path)
    except sqlite3.DatabaseError:
        # Damaged or not a database at all: a cache can always start again, the next build is just slower.
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(NAME + suffix).unlink(missing_ok=True)
        conn = _connect(path)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def joined(folder: Path) -> Iterator[sqlite3.Connection]:
    """The cache database that this build has already ``opened``, for another of its processes to write into.

    Never started afresh: that would delete what another process is writing. A database that is missing or
    damaged raises ``sqlite3.Error`` instead. Cheaper than ``opened``, which reads the whole table to check it.
    """
    # mode=rw: a missing file is an error here, not a new empty database.
    conn = _connect(f"{(folder / NAME).absolute().as_uri()}?mode=rw", checked=False)
    try:
        yield conn
    finally:
        conn.close()


def _connect(path: Path | str, *, checked: bool = True) -> sqlite3.Connection:
    """A connection to the database at ``path`` (a ``file:`` URI when a string)."""
    # isolation_level None: the transactions are explicit (``_transaction``).
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, uri=isinstance(path, str))
    try:
        # WAL: a serve and a build of the same project read while the other writes; NORMAL still never
        # leaves a damaged database after a crash of the process, and spares a disk flush per transaction.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # A deleted entry's bytes are overwritten, not left in a free page: a disclosure published by one build
        # and withheld by the next (an earlier clock) leaves nothing of it in the file.
        conn.execute("PRAGMA secure_delete=ON")
        if checked:
            conn.execute(_SCHEMA)
            # Every column by name: a table of another shape is as damaged as a file that is no database.
            conn.execute("SELECT count(*), max(kind), max(key), max(length(data)) FROM entry").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def get_many(conn: sqlite3.Connection, kind: str, keys: Iterable[str]) -> dict[str, bytes]:
    """``key → data`` for each of ``keys`` that is stored under ``kind``."""
    wanted = sorted(set(keys))
    out: dict[str, bytes] = {}
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start:start + _BATCH]
        rows = conn.execute(f"SELECT key, data FROM entry WHERE kind = ? AND key IN ({','.join('?' * len(batch))})",
                            (kind, *batch))
        out.update((str(key), bytes(data)) for key, data in rows)
    return out


def put_many(conn: sqlite3.Connection, kind: str, entries: Mapping[str, bytes] | Iterable[tuple[str, bytes]], *,
             replace: bool = True) -> None:
    """Store every entry in one transaction: all of them or, after a crash, none.

    ``entries`` may be a generator of ``(key, data)``: each is then made only when stored, so thousands of
    entries never sit in memory together (freed, they would still hold the process's peak memory).
    ``replace=False`` keeps an entry already stored under the same key as it is: for entries whose key says
    all there is (scan verdicts), which a rebuild would otherwise write again, every one of them.
    """
    pairs = sorted(entries.items()) if isinstance(entries, Mapping) else entries
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    with _transaction(conn):
        conn.executemany(f"{verb} INTO entry (kind, key, data) VALUES (?, ?, ?)",
                         ((kind, key, data) for key, data in pairs))


def keep_only(conn: sqlite3.Connection, kind: str, keep: Collection[str]) -> int:
    """Delete the entries of ``kind`` whose key is not in ``keep``; returns how many were deleted."""
    wanted = set(keep)
    with _transaction(conn):
        # The keys are read and only the others deleted: nothing is written when there are none, the usual case.
        gone = [key for (key,) in conn.execute("SELECT key FROM entry WHERE kind = ?", (kind,)) if key not in wanted]
        conn.executemany("DELETE FROM entry WHERE kind = ? AND key = ?", ((kind, key) for key in gone))
    return len(gone)


def keys(conn: sqlite3.Connection, kind: str, prefix: str = "") -> set[str]:
    """Every key stored under ``kind`` that starts with ``prefix``."""
    rows = conn.execute("SELECT key FROM entry WHERE kind = ? AND substr(key, 1, ?) = ?", (kind, len(prefix), prefix))
    return {str(k) for (k,) in rows}


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")  # take the write lock now: a concurrent build waits instead of failing later
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def truncate_log(conn: sqlite3.Connection) -> None:
    """Write the log into the database and empty it: old versions of pages (deleted entries) live on in the log
    until then."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
