"""build/judge.py: one judgement of the disclosures at an instant, shared by the commands and the plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sitefixture import AS_OF, disclosure_text

from osqi_site.build.judge import Judged, judge
from osqi_site.core.timefmt import parse_instant
from osqi_site.project import find_project


def _judge(root: Path, *, strict: bool) -> Judged:
    found, problems = find_project(root / "mkdocs.yml")
    assert found is not None, problems
    return judge(found.disclosures_dir, found.root, found.settings, parse_instant(AS_OF), config_name="site.yml",
                 strict=strict)


def test_files_publication_and_alarms_each_land_where_they_belong(project: Path) -> None:
    d = project / "disclosures" / "2026"
    (d / "OSQI-2026-0009.md").write_text("---\nid: OSQI-2026-0009\n---\n")  # invalid: missing fields
    public = d / "OSQI-2026-0002.md"
    public.write_text(public.read_text() + "\nSee OSQI-2026-0004.\n")  # embargoed at AS_OF
    judged = _judge(project, strict=False)
    assert [p.path for p in judged.invalid] and {p.path for p in judged.invalid} == {
        "disclosures/2026/OSQI-2026-0009.md"}
    mention = [p for p in judged.problems if "mentions OSQI-2026-0004" in p.message]
    assert [p.path for p in mention] == ["disclosures/2026/OSQI-2026-0002.md"]
    assert set(judged.invalid) < set(judged.problems)
    # The sample's example domain is a configuration alarm, named by the configuration file given.
    assert any(w.path == "site.yml" and w.field == "site_url" for w in judged.warnings)
    assert not any(w in judged.problems for w in judged.warnings)
    assert [x.id for x in judged.publication.public] == ["OSQI-2026-0001", "OSQI-2026-0002", "OSQI-2026-0003"]
    assert {x.id for x in judged.disclosures} == {"OSQI-2026-0001", "OSQI-2026-0002", "OSQI-2026-0003",
                                                    "OSQI-2026-0004", "OSQI-2026-0005"}


def test_strict_makes_every_alarm_a_problem(project: Path) -> None:
    lenient, strict = _judge(project, strict=False), _judge(project, strict=True)
    assert lenient.warnings and strict.warnings == ()
    assert set(strict.problems) == {*lenient.problems, *lenient.warnings}


def test_the_clock_decides_what_is_public(project: Path) -> None:
    d = project / "disclosures" / "2026"
    (d / "OSQI-2026-0010.md").write_text(disclosure_text("OSQI-2026-0010", embargo="2026-06-01T00:00:00Z"))
    assert "OSQI-2026-0010" in {x.id for x in _judge(project, strict=False).publication.public}  # at its instant
    (d / "OSQI-2026-0010.md").write_text(disclosure_text("OSQI-2026-0010", embargo="2026-06-01T00:00:01Z"))
    assert "OSQI-2026-0010" not in {x.id for x in _judge(project, strict=False).publication.public}


def test_check_holds_the_collector_while_judging_and_always_gives_it_back(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``osqi-site check`` (a one-shot command) judges with the collector held, then freezes what it made."""
    import gc

    from osqi_site import cli
    from osqi_site.build import judge as judge_module

    seen: list[bool] = []
    real = judge_module.judge

    def watched(*args: Any, **kwargs: Any) -> Judged:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "judge", watched)
    frozen = gc.get_freeze_count()
    try:
        assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 0
        assert seen == [False] and gc.isenabled() and gc.get_freeze_count() > frozen
        monkeypatch.setattr(cli, "judge", lambda *a, **k: 1 / 0)
        assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) != 0  # reported as an internal error
        assert gc.isenabled()  # and the collector is back all the same
    finally:
        gc.unfreeze()  # this test process lives on
