"""The history: each deploy that changes the content adds one chained entry; a rewritten history is refused."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sitefixture import AS_OF, CANARY, build, built

from osqi_site import cli
from osqi_site.publish import history

T1 = datetime(2026, 6, 1, tzinfo=UTC)
T2 = datetime(2026, 6, 2, tzinfo=UTC)
LIFT = "2026-06-02T00:00:00Z"
"""After OSQI-2026-0004's embargo lifts (2026-06-01T00:01:00Z)."""


def _log(*states: dict[str, tuple[str, bool]]) -> list[history.Entry]:
    entries: list[history.Entry] = []
    for i, s in enumerate(states):
        entry = history.next_entry(entries, s, json.dumps(sorted(s.items())).encode(),
                                   datetime(2026, 6, 1 + i, tzinfo=UTC))
        assert entry is not None
        entries.append(entry)
    return entries


def test_each_change_is_logged_by_kind() -> None:
    log = _log({"A": ("m1", False)},
               {"A": ("m2", False), "B": ("m1", False)},
               {"A": ("m3", True), "B": ("m1", False), "C": ("m1", True)},
               {"A": ("m3", True)})
    assert [(e["n"], e["published"], e["revised"], e["withdrawn"], e["removed"]) for e in log] == [
        (0, [{"id": "A", "modified": "m1"}], [], [], []),
        (1, [{"id": "B", "modified": "m1"}], [{"id": "A", "modified": "m2"}], [], []),
        (2, [{"id": "C", "modified": "m1"}], [], [{"id": "A", "modified": "m3"}, {"id": "C", "modified": "m1"}], []),
        (3, [], [], [], ["B", "C"]),
    ]
    assert log[0]["previous"] == "" and all(log[i]["previous"] == history.entry_hash(log[i - 1]) for i in (1, 2, 3))
    assert history.state(log) == {"A": ("m3", True)}
    assert history.parse(history.dump(log)) == (log, [])


def test_nothing_changed_adds_nothing_and_the_clock_cannot_go_back() -> None:
    log = _log({"A": ("m1", False)})
    content = json.dumps(sorted({"A": ("m1", False)}.items())).encode()
    assert history.next_entry(log, {"A": ("m1", False)}, content, T2) is None
    with pytest.raises(history.LogError, match="cannot go back in time"):
        history.next_entry(log, {"A": ("m2", False)}, b"other", datetime(2026, 5, 1, tzinfo=UTC))


def _problems(entries: list[history.Entry]) -> list[str]:
    return history.parse(history.dump(entries))[1]


def test_a_reordered_removed_or_rewritten_entry_breaks_the_chain() -> None:
    log = _log({"A": ("m1", False)}, {"A": ("m2", False)}, {"A": ("m3", False)})
    assert any("numbered 1, expected 0" in p for p in _problems([log[1], log[0], log[2]]))
    assert any("entry 1: numbered 2, expected 1" in p for p in _problems([log[0], log[2]]))
    rewritten = [{**log[0], "published": []}, log[1], log[2]]
    assert _problems(rewritten) == [f"{history.PATH}: entry 1: 'previous' is not the hash of entry 0: an earlier "
                                    "entry was changed, removed or reordered"]
    assert any("exactly the keys" in p for p in _problems([{**log[0], "extra": 1}]))
    assert any("first entry must have an empty" in p for p in _problems([{**log[0], "previous": "x"}]))
    assert history.parse(b"{}")[1] == [f"{history.PATH}: not a JSON array of entries"]


def test_extends_entry_for_entry() -> None:
    log = _log({"A": ("m1", False)}, {"A": ("m2", False)})
    assert history.extends(log[:1], log) == []
    assert history.extends(log, log[:1])[0].endswith("entries were removed")
    other = _log({"A": ("m9", False)}, {"A": ("m2", False)})
    assert history.extends(log, other) == [f"{history.PATH}: entry 0 differs from the previous log's: the "
                                           "published history was rewritten"]


def _entries(site: Path) -> list[history.Entry]:
    entries, problems = history.parse((site / history.PATH).read_bytes())
    assert problems == []
    return entries


def test_a_lift_between_two_deploys_is_one_new_entry(project: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    one = built(project, tmp_path / "one", AS_OF)
    first = _entries(one)
    assert [x["id"] for x in first[0]["published"]] == ["OSQI-2026-0001", "OSQI-2026-0002", "OSQI-2026-0003"]
    assert first[0]["content"] == hashlib.sha256((one / "osv" / "all.json").read_bytes()).hexdigest()
    assert CANARY.encode() not in (one / history.PATH).read_bytes()
    assert b"OSQI-2026-0004" not in (one / history.PATH).read_bytes() + (one / "history" / "index.html").read_bytes()
    two = built(project, tmp_path / "two", LIFT, previous=one)
    second = _entries(two)
    assert second[:1] == first and second[1]["published"] == [{"id": "OSQI-2026-0004",
                                                               "modified": "2026-06-01T00:01:00Z"}]
    assert cli.main(["verify", "--previous", str(one), str(two)]) == 0
    assert cli.main(["audit", str(two), "--previous", str(one)]) == 1  # unsigned: that alone is reported
    err = capsys.readouterr().err
    assert "history" not in err and "SHA256SUMS.asc: missing" in err
    page = (two / "disclosures" / "OSQI-2026-0004" / "index.html").read_text()
    assert 'href="../../history/#OSQI-2026-0004"' in page
    assert 'id="OSQI-2026-0004"' in (two / "history" / "index.html").read_text()
    # The log file alone serves as --previous; a deploy that changes nothing adds no entry.
    three = built(project, tmp_path / "three", LIFT, previous=two / history.PATH)
    assert _entries(three) == second


def test_verify_refuses_a_log_that_does_not_extend_the_old_one(project: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    one = built(project, tmp_path / "one", AS_OF)
    restarted = built(project, tmp_path / "restarted", LIFT)  # --previous forgotten: the log starts again
    assert cli.main(["verify", "--previous", str(one), str(restarted)]) == 1
    assert "entry 0 differs from the previous log's" in capsys.readouterr().err
    (restarted / history.PATH).unlink()
    assert cli.main(["verify", "--previous", str(one), str(restarted)]) == 1
    assert "missing, but the previous site has a log" in capsys.readouterr().err


def test_a_build_refuses_a_broken_previous_log(project: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    one = built(project, tmp_path / "one", AS_OF)
    log = one / history.PATH
    entries = _entries(one)
    log.write_bytes(history.dump([{**entries[0], "n": 5}]))
    assert build(project, tmp_path / "two", LIFT, previous=one) == 1
    assert "the previous log cannot be extended" in capsys.readouterr().err
    assert build(project, tmp_path / "two", LIFT, previous=tmp_path / "nowhere") == 1
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "two").exists()
