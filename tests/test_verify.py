"""verify --previous: changes must reach importers that fetch only records newer than their last run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sitefixture import build

from osqi_site import cli
from osqi_site.publish.verify import continuity_problems

OLD = {"id": "OSQI-2026-0001", "published": "2026-01-01T00:00:00Z", "modified": "2026-01-05T00:00:00Z",
       "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]}


def _with(**changes: Any) -> dict[str, Any]:
    return {**OLD, **changes}


@pytest.mark.parametrize(("old", "new", "message"), [
    (OLD, [], "OSQI-2026-0001: was published and is gone; withdraw it instead of deleting it"),
    (OLD, [_with(published="2026-02-01T00:00:00Z")],
     "OSQI-2026-0001: published changed from 2026-01-01T00:00:00Z to 2026-02-01T00:00:00Z"),
    (OLD, [_with(modified="2025-12-01T00:00:00Z")],
     "OSQI-2026-0001: modified went backwards from 2026-01-05T00:00:00Z to 2025-12-01T00:00:00Z"),
    (_with(withdrawn="2026-01-05T00:00:00Z"), [_with(modified="2026-02-01T00:00:00Z")],
     "OSQI-2026-0001: was withdrawn and is no longer; a withdrawal is final"),
])
def test_a_vanished_redated_rewound_or_unwithdrawn_record_is_named(old: dict[str, Any], new: list[dict[str, Any]],
                                                                   message: str) -> None:
    assert continuity_problems([old], new) == [message]


def test_a_revision_a_withdrawal_and_new_records_pass() -> None:
    new = [_with(modified="2026-03-01T00:00:00Z", withdrawn="2026-03-01T00:00:00Z"),
           _with(id="OSQI-2026-0002", published="2026-02-01T00:00:00Z", modified="2026-02-01T00:00:00Z")]
    assert continuity_problems([OLD], new) == []


def test_a_vanished_disclosure_fails_verify_on_real_builds(project: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert build(project, tmp_path / "old") == 0
    (project / "disclosures" / "2026" / "OSQI-2026-0002.md").unlink()
    shutil.rmtree(project / "disclosures" / "2026" / "OSQI-2026-0002")
    assert build(project, tmp_path / "new") == 0
    assert cli.main(["verify", "--previous", str(tmp_path / "old"), str(tmp_path / "new")]) == 1
    assert "OSQI-2026-0002: was published and is gone" in capsys.readouterr().err


def test_a_changed_record_whose_modified_did_not_move_is_named_with_the_fix() -> None:
    changed = _with(affected=[{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}])
    assert continuity_problems([OLD], [changed]) == [
        "OSQI-2026-0001: the record changed but its modified stayed 2026-01-05T00:00:00Z, so importers that fetch "
        "only newer records never see the change; add a revision dated now (revisions: - date: <now>, summary: "
        "what changed) and rebuild"]


def test_a_changed_record_with_a_later_modified_passes() -> None:
    changed = _with(summary="Corrected.", modified="2026-01-06T00:00:00Z")
    assert continuity_problems([OLD], [changed]) == []


def test_an_unchanged_record_passes_and_only_modified_may_move() -> None:
    assert continuity_problems([OLD], [dict(OLD)]) == []
    assert continuity_problems([OLD], [_with(modified="2026-02-01T00:00:00Z")]) == []


@pytest.mark.parametrize("modified", ["2026-01-05T00:00:00Z", "2025-12-31T00:00:00Z"])
def test_a_new_record_not_newer_than_the_previous_site_is_named(modified: str) -> None:
    new = {"id": "OSQI-2026-0002", "published": "2025-12-01T00:00:00Z", "modified": modified}
    assert continuity_problems([OLD], [OLD, new]) == [
        f"OSQI-2026-0002: is new, but its modified {modified} is not after the newest modified of the previous "
        "site (2026-01-05T00:00:00Z), so importers that fetch only records modified since their last run would "
        "skip it; add a revision dated now (revisions: - date: <now>, summary: what changed) and rebuild"]


def test_a_new_record_newer_than_the_previous_site_passes_and_a_first_site_has_nothing_to_compare() -> None:
    new = {"id": "OSQI-2026-0002", "published": "2026-01-05T00:00:01Z", "modified": "2026-01-05T00:00:01Z"}
    assert continuity_problems([OLD], [OLD, new]) == []
    assert continuity_problems([], [new]) == []


def test_an_unreadable_modified_never_counts_as_newer() -> None:
    changed = _with(summary="x", modified="yesterday")
    problems = continuity_problems([OLD], [changed])
    assert problems and problems[0].startswith("OSQI-2026-0001: modified went backwards")


def test_verify_on_real_builds_catches_a_silent_edit_and_accepts_it_with_a_revision(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build(project, tmp_path / "old") == 0
    source = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace('fixed: "1.2.0"', 'fixed: "1.2.1"'), encoding="utf-8")
    assert build(project, tmp_path / "new") == 0
    capsys.readouterr()
    assert cli.main(["verify", "--previous", str(tmp_path / "old"), str(tmp_path / "new")]) == 1
    assert "OSQI-2026-0002: the record changed but its modified stayed" in capsys.readouterr().err
    # The fix the message names: a revision dated after the previous change.
    source.write_text(text.replace('fixed: "1.2.0"', 'fixed: "1.2.1"').replace(
        "  - date: 2026-04-01T00:00:00Z", "  - date: 2026-05-20T00:00:00Z"), encoding="utf-8")
    # Built as the recipe builds a deploy: extending the previous site's history.
    assert cli.main(["build", "-f", str(project / "mkdocs.yml"), "-d", str(tmp_path / "fixed"), "--as-of",
                     "2026-06-01T00:00:00Z", "--previous", str(tmp_path / "old")]) == 0
    assert cli.main(["verify", "--previous", str(tmp_path / "old"), str(tmp_path / "fixed")]) == 0
