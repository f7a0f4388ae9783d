"""JSON from a previous site: malformed, oversized or deeply nested input is a one-line error, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osqi_site import cli
from osqi_site.core import readjson
from osqi_site.publish import history, provenance


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_within_the_bounds_reads_as_pythons_json_reads_it() -> None:
    data = json.dumps([{"id": "OSQI-2026-0001", "a": [[1, 2.5, None, True]], "s": "é\u2028"}]).encode()
    assert readjson.loads(data) == json.loads(data)
    assert readjson.loads(_nested(readjson.MAX_DEPTH)) == json.loads(_nested(readjson.MAX_DEPTH))


@pytest.mark.parametrize("data", [_nested(readjson.MAX_DEPTH + 1), _nested(100_000), b'{"a":' * 65 + b"1" + b"}" * 65,
                                  b'[{"a":' * 40 + b"1" + b"}]" * 40])
def test_too_deep_nesting_is_an_error_not_a_recursion_error(data: bytes) -> None:
    with pytest.raises(readjson.JSONInputError):
        readjson.loads(data)


@given(st.integers(min_value=readjson.MAX_DEPTH + 1, max_value=3000), st.sampled_from(["[", '{"k":']))
def test_any_nesting_past_the_limit_is_refused(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    inner = "0" if opener != "[" else ""
    with pytest.raises(readjson.JSONInputError):
        readjson.loads((opener * depth + inner + closer * depth).encode())


@pytest.mark.parametrize("data", [b"", b"[", b"{'a': 1}", b"[NaN]", b"\xff", b"[1,]"])
def test_malformed_json_is_an_error(data: bytes) -> None:
    with pytest.raises(readjson.JSONInputError, match=r"^not JSON: "):
        readjson.loads(data)


def test_oversized_input_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readjson, "MAX_BYTES", 10)
    with pytest.raises(readjson.JSONInputError, match="over the 10-byte limit"):
        readjson.loads(b"[1,2,3,4,5,6]")
    (tmp_path / "big.json").write_bytes(b"[1,2,3,4,5,6]")
    with pytest.raises(readjson.JSONInputError, match="over the 10-byte limit"):
        readjson.read(tmp_path / "big.json")
    (tmp_path / "ok.json").write_bytes(b"[1,2,3]")
    assert readjson.read(tmp_path / "ok.json") == [1, 2, 3]


def test_a_deep_log_is_a_located_problem() -> None:
    assert history.parse(_nested(100_000), "old/history/log.json") == (
        [], ["old/history/log.json: not JSON: depth limit exceeded: line 1 column 1026 (char 1025)"])
    assert history.parse(_nested(100), "old/history/log.json") == (
        [], [f"old/history/log.json: nested more than {readjson.MAX_DEPTH} levels deep"])


def test_a_deep_provenance_file_is_no_statement() -> None:
    assert provenance.subject_digest(_nested(100_000)) is None


@pytest.mark.parametrize("depth", [100, 100_000])
def test_verify_on_a_deep_osv_index_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       depth: int) -> None:
    for site in ("old", "new"):
        (tmp_path / site / "osv").mkdir(parents=True)
    (tmp_path / "old" / "osv" / "all.json").write_bytes(_nested(depth))
    (tmp_path / "new" / "osv" / "all.json").write_bytes(b"[]")
    assert cli.main(["verify", "--previous", str(tmp_path / "old"), str(tmp_path / "new")]) == 1
    err = capsys.readouterr().err
    where = tmp_path / "old" / "osv" / "all.json"
    assert err.count("\n") == 1 and err.startswith(f"{where}: cannot read the OSV index: ")
