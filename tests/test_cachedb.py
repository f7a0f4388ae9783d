"""The cache database: entries by kind and key, all-or-nothing writes, pruning, and a fresh start when damaged."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from osqi_site.build import cachedb


def test_entries_round_trip_by_kind_and_key(tmp_path: Path) -> None:
    with cachedb.opened(tmp_path / "cache") as db:
        cachedb.put_many(db, "pages", {"k1": b"one", "k2": b"\x00two"})
        cachedb.put_many(db, "outputs", {"k1": b"other kind"})
        assert cachedb.get_many(db, "pages", ["k1", "k2", "missing"]) == {"k1": b"one", "k2": b"\x00two"}
        cachedb.put_many(db, "pages", {"k1": b"replaced"})
    with cachedb.opened(tmp_path / "cache") as db:  # kept on disk
        assert cachedb.get_many(db, "pages", ["k1"]) == {"k1": b"replaced"}
        assert cachedb.get_many(db, "outputs", ["k1", "k2"]) == {"k1": b"other kind"}


def test_lookups_of_many_keys_are_batched(tmp_path: Path) -> None:
    entries = {f"key{i:05d}": str(i).encode() for i in range(1234)}  # more than one batch of parameters
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "pages", entries)
        assert cachedb.get_many(db, "pages", [*entries, "absent"]) == entries


def test_keep_only_prunes_one_kind(tmp_path: Path) -> None:
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "pages", {"a": b"1", "b": b"2", "c": b"3"})
        cachedb.put_many(db, "outputs", {"a": b"1", "z": b"9"})
        assert cachedb.keep_only(db, "pages", {"b", "not-stored"}) == 2
        assert cachedb.keys(db, "pages") == {"b"}
        assert cachedb.keys(db, "outputs") == {"a", "z"}


def test_entries_put_without_replacing_keep_what_is_stored(tmp_path: Path) -> None:
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "clean", {"a": b"first", "b": b""})
        cachedb.put_many(db, "clean", {"a": b"second", "c": b""}, replace=False)
        assert cachedb.get_many(db, "clean", ["a", "b", "c"]) == {"a": b"first", "b": b"", "c": b""}
        cachedb.put_many(db, "clean", {"a": b"third"})
        assert cachedb.get_many(db, "clean", ["a"]) == {"a": b"third"}


def test_keep_only_deletes_every_other_key_of_its_kind_and_writes_nothing_when_none(tmp_path: Path) -> None:
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "pages", {f"k{i}": b"x" for i in range(600)})
        cachedb.put_many(db, "outputs", {"k1": b"x"})
        before = db.total_changes
        assert cachedb.keep_only(db, "pages", [f"k{i}" for i in range(600)]) == 0
        assert db.total_changes == before
        assert cachedb.keep_only(db, "pages", [f"k{i}" for i in range(0, 600, 2)]) == 300
        assert cachedb.keys(db, "pages") == {f"k{i}" for i in range(0, 600, 2)}
        assert cachedb.keys(db, "outputs") == {"k1"}


def test_a_damaged_database_is_started_afresh(tmp_path: Path) -> None:
    (tmp_path / cachedb.NAME).write_bytes(b"this is not a database" * 100)
    with cachedb.opened(tmp_path) as db:
        assert cachedb.keys(db, "pages") == set()
        cachedb.put_many(db, "pages", {"k": b"v"})
    with cachedb.opened(tmp_path) as db:
        assert cachedb.get_many(db, "pages", ["k"]) == {"k": b"v"}


def test_a_failed_write_stores_nothing(tmp_path: Path) -> None:
    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "pages", {"a": b"1"})
        bad = {"b": b"2", "c": None}  # NULL breaks NOT NULL: the insert fails after storing "b"
        with pytest.raises(sqlite3.IntegrityError):
            cachedb.put_many(db, "pages", bad)  # type: ignore[arg-type]
        assert cachedb.keys(db, "pages") == {"a"}


def test_a_reader_is_not_blocked_by_another_connection_writing(tmp_path: Path) -> None:
    with cachedb.opened(tmp_path) as writer, cachedb.opened(tmp_path) as reader:
        cachedb.put_many(writer, "pages", {"a": b"1"})
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO entry (kind, key, data) VALUES ('pages', 'b', x'00')")
        assert cachedb.get_many(reader, "pages", ["a", "b"]) == {"a": b"1"}  # sees the last commit only
        writer.execute("COMMIT")
        assert cachedb.get_many(reader, "pages", ["a", "b"]) == {"a": b"1", "b": b"\x00"}


def test_entries_may_be_made_one_at_a_time_as_they_are_stored(tmp_path: Path) -> None:
    made: list[str] = []

    def entries() -> Iterator[tuple[str, bytes]]:
        for key in ("a", "b"):
            made.append(key)
            yield key, key.encode()

    with cachedb.opened(tmp_path) as db:
        cachedb.put_many(db, "pages", entries())
        assert made == ["a", "b"] and cachedb.get_many(db, "pages", ["a", "b"]) == {"a": b"a", "b": b"b"}
