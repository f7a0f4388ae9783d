"""The build cache, without MkDocs: what comes through it is what making it anew gives, whatever the cache holds."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osqi_site.build import cache as cache_module
from osqi_site.build import cachedb, pool
from osqi_site.build.cache import BuildCache


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _make(text: str) -> str:
    return text.upper()


class Build:
    """One build's use of the cache: ``name → text``, each value ``_make(text)``, keyed by the text's hash."""

    def __init__(self, cache: BuildCache, *, parallel: bool = False) -> None:
        self.cache = cache
        self.made: list[str] = []
        self.parallel = parallel

    def run(self, texts: dict[str, str]) -> dict[str, str]:
        def make(todo: list[str]) -> list[str]:
            self.made.extend(todo)
            return [_make(texts[name]) for name in todo]

        return self.cache.through("pages", {name: _key(t) for name, t in texts.items()},
                                  lambda data: _load(data), lambda value: value.encode(), make,
                                  parallel=self.parallel)


def _load(data: bytes) -> str:
    text = data.decode()  # UnicodeDecodeError is a ValueError: an unreadable entry
    if not text.isupper():
        raise ValueError("not an entry")
    return text


def _opened(folder: Path, *, serving: bool = False, cache: BuildCache | None = None) -> BuildCache:
    found = cache or BuildCache()
    found.open(folder, serving=serving)
    return found


def _stored(folder: Path, kind: str = "pages") -> set[str]:
    with cachedb.opened(folder) as db:
        return cachedb.keys(db, kind)


def test_a_later_build_reads_back_what_an_earlier_one_made(tmp_path: Path) -> None:
    texts = {"a": "one", "b": "two"}
    first = Build(_opened(tmp_path))
    assert first.run(texts) == {"a": "ONE", "b": "TWO"} and first.made == ["a", "b"]
    second = Build(_opened(tmp_path))
    assert second.run({**texts, "c": "three"}) == {"a": "ONE", "b": "TWO", "c": "THREE"}
    assert second.made == ["c"]


def test_an_unreadable_entry_is_made_again_and_stored_anew(tmp_path: Path) -> None:
    Build(_opened(tmp_path)).run({"a": "one", "b": "two"})
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "pages", {_key("one"): b"\xff\xfe not utf-8", _key("two"): b"lowercase"})
    again = Build(_opened(tmp_path))
    assert again.run({"a": "one", "b": "two"}) == {"a": "ONE", "b": "TWO"}
    assert again.made == ["a", "b"]
    last = Build(_opened(tmp_path))
    assert last.run({"a": "one", "b": "two"}) == {"a": "ONE", "b": "TWO"} and last.made == []


def test_a_database_error_is_logged_and_the_build_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    Build(_opened(tmp_path)).run({"a": "one"})

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    for name in ("get_many", "put_many", "keep_only", "keys"):
        monkeypatch.setattr(cachedb, name, broken)
    cache = _opened(tmp_path)
    build = Build(cache)
    with caplog.at_level(logging.WARNING):
        assert build.run({"a": "one", "b": "two"}) == {"a": "ONE", "b": "TWO"}
        assert cache.verdicts("set") == frozenset()
        cache.keep_verdicts("set", frozenset({"x"}))
        cache.prune()
    assert build.made == ["a", "b"]  # nothing could be read: everything made
    assert [r.getMessage() for r in caplog.records] == [
        "osqi: cache unreadable, rebuilding its entries: disk I/O error",
        "osqi: could not store 2 cache entries: disk I/O error",
        "osqi: cache unreadable, every file is scanned: disk I/O error",
        "osqi: could not store scan verdicts: disk I/O error",
        "osqi: could not prune the cache: disk I/O error"]


def _stored_by(stored_by: Path, monkeypatch: pytest.MonkeyPatch, fails: sqlite3.Error | None = None) -> None:
    """Each process that stores entries adds its ID to ``stored_by`` (and fails with ``fails``). Forked workers
    inherit this."""
    real = cachedb.put_many

    def spy(db: sqlite3.Connection, kind: str, entries: Any) -> None:
        with stored_by.open("a") as f:
            f.write(f"{os.getpid()}\n")
        if fails is not None:
            raise fails
        real(db, kind, entries)

    monkeypatch.setattr(cachedb, "put_many", spy)


def _storers(stored_by: Path) -> set[int]:
    return {int(pid) for pid in stored_by.read_text().split()}


def _forks() -> bool:
    return (os.cpu_count() or 1) >= 2 and threading.active_count() == 1


def test_entries_made_by_workers_are_stored_by_those_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _forks():
        pytest.skip("needs two cores and a single-threaded test process")
    _stored_by(tmp_path / "pids", monkeypatch)
    folder = tmp_path / "cache"
    texts = {f"n{i}": f"text {i}" for i in range(pool.MIN_ITEMS)}  # enough to pay for workers
    first = Build(_opened(folder), parallel=True)
    assert first.run(texts) == {name: _make(t) for name, t in texts.items()} and first.made == []  # made in workers
    storers = _storers(tmp_path / "pids")
    assert os.getpid() not in storers and len(storers) >= 2  # this process never held their values to store them
    second = Build(_opened(folder))
    assert second.run(texts) == {name: _make(t) for name, t in texts.items()}
    assert second.made == []  # every entry read back


def test_what_workers_could_not_store_is_logged_once_by_this_process(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    _stored_by(tmp_path / "pids", monkeypatch, fails=sqlite3.OperationalError("disk I/O error"))
    cache = _opened(tmp_path / "cache")
    texts = {f"n{i}": f"text {i}" for i in range(pool.MIN_ITEMS)}
    with caplog.at_level(logging.WARNING):
        assert Build(cache, parallel=True).run(texts) == {name: _make(t) for name, t in texts.items()}
    # Logged by this process, as the values come back: a strict build counts it as MkDocs' other warnings.
    assert [r.getMessage() for r in caplog.records] == [
        f"osqi: could not store {pool.MIN_ITEMS} cache entries: disk I/O error"]
    assert _stored(tmp_path / "cache") == set()


def test_a_few_entries_are_made_and_stored_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stored_by(tmp_path / "pids", monkeypatch)
    build = Build(_opened(tmp_path / "cache"), parallel=True)
    build.run({"a": "one", "b": "two"})
    assert build.made == ["a", "b"]  # no workers for two entries
    assert _storers(tmp_path / "pids") == {os.getpid()} and _stored(tmp_path / "cache") == {_key("one"), _key("two")}


def test_a_worker_never_starts_the_database_afresh(tmp_path: Path) -> None:
    # A worker writes into the database this build opened; deleting a damaged one (what ``opened`` does) could
    # throw away what another worker is writing. Missing or damaged, it is an error there.
    with pytest.raises(sqlite3.Error), cachedb.joined(tmp_path) as db:
        cachedb.put_many(db, "pages", {"k": b"v"})
    assert not (tmp_path / cachedb.NAME).exists()
    (tmp_path / cachedb.NAME).write_bytes(b"garbage" * 1000)
    with pytest.raises(sqlite3.Error), cachedb.joined(tmp_path) as db:
        cachedb.put_many(db, "pages", {"k": b"v"})
    assert (tmp_path / cachedb.NAME).read_bytes() == b"garbage" * 1000


def test_a_damaged_database_file_costs_time_only(tmp_path: Path) -> None:
    Build(_opened(tmp_path)).run({"a": "one"})
    (tmp_path / cachedb.NAME).write_bytes(b"garbage" * 1000)
    again = Build(_opened(tmp_path))
    assert again.run({"a": "one"}) == {"a": "ONE"} and again.made == ["a"]


def test_a_database_of_another_shape_is_started_afresh(tmp_path: Path) -> None:
    Build(_opened(tmp_path)).run({"a": "one"})
    with sqlite3.connect(tmp_path / cachedb.NAME) as db:
        db.execute("DROP TABLE entry")
        db.execute("CREATE TABLE entry (x)")
    again = Build(_opened(tmp_path))
    assert again.run({"a": "one"}) == {"a": "ONE"} and again.made == ["a"]
    third = Build(_opened(tmp_path))
    assert third.run({"a": "one"}) == {"a": "ONE"} and third.made == []  # stored again: the cache works


def test_a_database_file_that_is_a_folder_is_a_warning_not_a_crash(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / cachedb.NAME).mkdir()
    build = Build(_opened(tmp_path))
    with caplog.at_level(logging.WARNING):
        assert build.run({"a": "one"}) == {"a": "ONE"} and build.made == ["a"]
    assert any("cache" in r.getMessage() for r in caplog.records)


def test_a_pruned_entry_leaves_no_byte_of_itself_in_the_database_or_its_log(tmp_path: Path) -> None:
    # A disclosure published at one clock and withheld at the next: its entries must not linger in free pages.
    canary = b"ZQXPRUNED" * 2000  # large enough for overflow pages
    cache = _opened(tmp_path)
    cache.store("checked", {"gone": canary, "kept": b"public"})
    cache.prune()
    later = _opened(tmp_path)
    later.store("checked", {}, found=["kept"])
    later.prune()
    files = [p for p in tmp_path.iterdir() if p.name.startswith(cachedb.NAME)]
    assert files and not any(b"ZQXPRUNED" in p.read_bytes() for p in files)
    assert later.lookup("checked", ["kept", "gone"]) == {"kept": b"public"}


def test_prune_keeps_only_what_this_build_used(tmp_path: Path) -> None:
    Build(_opened(tmp_path)).run({"a": "one", "b": "two", "c": "three"})
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "other", {"k": b"another kind, not used by this build"})
    (tmp_path / "pages").mkdir()  # one file per entry, as versions before the database kept them
    (tmp_path / "pages" / "old.json").write_text("{}")
    cache = _opened(tmp_path)
    Build(cache).run({"b": "two", "d": "four"})
    assert _stored(tmp_path) == {_key(t) for t in ("one", "two", "three", "four")}  # kept until the end
    cache.prune()
    assert _stored(tmp_path) == {_key("two"), _key("four")}
    assert _stored(tmp_path, "other") == {"k"}  # a kind this build did not use is left alone
    assert not (tmp_path / "pages").exists()


def test_scan_verdicts_are_kept_per_marker_set(tmp_path: Path) -> None:
    _opened(tmp_path).keep_verdicts("set1", frozenset({"digest-a", "digest-b gz"}))
    assert _opened(tmp_path).verdicts("set1") == {"digest-a", "digest-b gz"}  # read back by another build
    assert _opened(tmp_path).verdicts("set2") == frozenset()
    _opened(tmp_path).keep_verdicts("set2", frozenset({"digest-c"}))
    assert _opened(tmp_path).verdicts("set1") == frozenset()  # only the latest marker set is kept
    assert _opened(tmp_path).verdicts("set2") == {"digest-c"}


def test_serve_keeps_values_and_verdicts_in_memory_between_reloads(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _opened(tmp_path, serving=True)
    Build(cache).run({"a": "one", "b": "two"})
    cache.keep_verdicts("set1", frozenset({"digest-a"}))
    assert _stored(tmp_path, cache_module.VERDICTS) == set()  # a reload keeps them in memory only

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read from the database")

    monkeypatch.setattr(cachedb, "get_many", unreachable)
    monkeypatch.setattr(cachedb, "keys", unreachable)
    reload = Build(_opened(tmp_path, serving=True, cache=cache))
    assert reload.run({"a": "one", "b": "two"}) == {"a": "ONE", "b": "TWO"} and reload.made == []
    assert cache.verdicts("set1") == {"digest-a"}
    monkeypatch.undo()
    assert cache.verdicts("set2") == frozenset()  # another marker set: from the database, which has none
    build = Build(_opened(tmp_path, cache=cache))  # the same object, no longer serving: memory dropped
    assert build.run({"a": "one"}) == {"a": "ONE"} and build.made == []  # read back from the database
    assert cache.verdicts("set1") == frozenset()


def test_objects_are_kept_between_reloads_only_while_serving(tmp_path: Path) -> None:
    cache = _opened(tmp_path)
    assert cache.kept("memo", dict) is None
    _opened(tmp_path, serving=True, cache=cache)
    memo: dict[str, int] | None = cache.kept("memo", dict)
    assert memo == {} and memo is not None
    memo["x"] = 1
    _opened(tmp_path, serving=True, cache=cache)
    assert cache.kept("memo", dict) is memo
    _opened(tmp_path, cache=cache)
    _opened(tmp_path, serving=True, cache=cache)
    assert cache.kept("memo", dict) == {}


def test_folders_are_made_below_the_cache_and_only_once_it_is_opened(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        BuildCache().folder("html")
    assert _opened(tmp_path / "c").folder("html") == tmp_path / "c" / "html"
    assert (tmp_path / "c" / "html").is_dir()


BUILDS = st.lists(st.tuples(
    st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["one", "two", "three", "four"]), max_size=5),
    st.booleans(),  # serving
    st.lists(st.sampled_from(["one", "two", "three", "four"]), max_size=2),  # entries damaged before it runs
), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(BUILDS)
def test_what_comes_through_the_cache_is_always_what_making_it_gives(builds: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = BuildCache()
        for texts, serving, damaged in builds:
            with cachedb.opened(Path(folder)) as db:
                cachedb.put_many(db, "pages", {_key(t): b"damaged" for t in damaged})
            build = Build(_opened(Path(folder), serving=serving, cache=cache))
            assert build.run(texts) == {name: _make(t) for name, t in texts.items()}
            cache.prune()
            assert _stored(Path(folder)) == {_key(t) for t in texts.values()}
