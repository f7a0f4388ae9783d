"""Embargo enforcement beyond disclosures: content pages, preview, scheduling, alarms, the gate, the final scan."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sitefixture import AS_OF, all_bytes, build, disclosure_text

from osqi_site import cli
from osqi_site.build import fastcheck, pipeline
from osqi_site.core import alarms, gate
from osqi_site.core.model import Affected, Credit, Disclosure, Range, Revision, TimelineEvent, Withdrawal
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import parse_instant

SETTINGS = Settings(site_url="https://osqi.example/")
WRITEUP = "Long-form ZQXWRITEUP analysis"


def _add_writeup(root: Path, embargo: str) -> None:
    (root / "content" / "writeup.md").write_text(
        f"---\ntitle: {WRITEUP}\nembargo_until: {embargo}\n---\n\n# {WRITEUP}\n\nThe whole story.\n")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - Disclosure policy: policy.md",
                                                 "  - Disclosure policy: policy.md\n  - Write-up: writeup.md"))


def test_embargoed_content_page_is_withheld_from_every_output(project: Path, tmp_path: Path) -> None:
    _add_writeup(project, "2026-06-01T00:01:00Z")
    assert build(project, tmp_path / "site") == 0
    files = all_bytes(tmp_path / "site")
    assert "writeup/index.html" not in files
    for path, data in files.items():
        assert b"ZQXWRITEUP" not in data and b"writeup/" not in data, path


def test_content_page_lifts_with_its_embargo_and_joins_the_nav(project: Path, tmp_path: Path) -> None:
    _add_writeup(project, "2026-06-01T00:01:00Z")
    assert build(project, tmp_path / "site", as_of="2026-06-01T00:01:00Z") == 0
    home = (tmp_path / "site" / "index.html").read_text()
    assert "writeup/" in home  # the nav entry is back


def test_draft_content_page_is_never_published(project: Path, tmp_path: Path) -> None:
    (project / "content" / "notes.md").write_text("---\ntitle: Internal ZQXNOTES plan\ndraft: true\n---\n# x\n")
    assert build(project, tmp_path / "site") == 0
    assert all(b"ZQXNOTES" not in d for d in all_bytes(tmp_path / "site").values())


@pytest.mark.parametrize(("front", "message"), [
    ("embargo_until: 2026-06-01", "content/bad.md:2: embargo_until: is a date without a time"),
    ("embargo_until: 2026-06-01T00:00:00", "content/bad.md:2: embargo_until: has no UTC offset"),
    ("draft: yes please", "content/bad.md:2: draft: must be true or false"),
])
def test_malformed_content_page_gate_fails_closed(project: Path, tmp_path: Path, front: str, message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "bad.md").write_text(f"---\n{front}\n---\n# Bad\n")
    assert build(project, tmp_path / "site") == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_public_page_linking_a_withheld_page_fails(project: Path, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    # The withheld page is no documentation file to MkDocs, so the link is broken, which strict mode refuses.
    _add_writeup(project, "2026-06-01T00:01:00Z")
    (project / "content" / "policy.md").write_text("# Policy\n\nSee [the write-up](writeup.md).\n")
    assert build(project, tmp_path / "site") == 1
    assert "contains a link 'writeup.md', but the target is not found" in caplog.text
    assert not (tmp_path / "site").exists()


# -- preview ------------------------------------------------------------------------------------------------

def _preview(root: Path, site: Path, as_of: str) -> int:
    return cli.main(["preview", "-f", str(root / "mkdocs.yml"), "-d", str(site), "--as-of", as_of])


def test_preview_shows_the_future_marked_on_every_page(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "preview"
    assert _preview(project, site, "2999-01-01T00:00:00Z") == 0
    assert (site / ".osqi-preview").exists() and not (site / ".osqi-build").exists()
    assert (site / "disclosures" / "OSQI-2026-0004" / "index.html").exists()
    pages = [p for p in site.rglob("*.html")]
    assert pages
    for page in pages:
        text = page.read_text()
        assert "PREVIEW as of 2999-01-01" in text, page
        assert '<meta name="robots" content="noindex, nofollow">' in text, page
    assert (site / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"


def test_build_and_preview_never_share_a_folder(project: Path, tmp_path: Path) -> None:
    assert _preview(project, tmp_path / "preview", "2999-01-01T00:00:00Z") == 0
    assert build(project, tmp_path / "preview") == 1
    assert build(project, tmp_path / "site") == 0
    assert _preview(project, tmp_path / "site", "2999-01-01T00:00:00Z") == 1
    assert (tmp_path / "site" / ".osqi-build").exists()


# -- scheduling ---------------------------------------------------------------------------------------------

def test_next_lift_prints_the_next_change(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = project / "disclosures" / "2026"
    (d / "OSQI-2026-0010.md").write_text(disclosure_text("OSQI-2026-0010", embargo="2099-01-01T17:00:00-10:00"))
    (d / "OSQI-2026-0011.md").write_text(disclosure_text("OSQI-2026-0011", embargo="2099-06-01T00:00:00Z"))
    assert cli.main(["next-lift", "-f", str(project / "mkdocs.yml")]) == 0
    assert capsys.readouterr().out == "2099-01-02T03:00:00Z\n"


def test_next_lift_prints_nothing_when_nothing_is_scheduled(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for p in (project / "disclosures").rglob("OSQI-2026-000[45]*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    assert cli.main(["next-lift", "-f", str(project / "mkdocs.yml")]) == 0
    assert capsys.readouterr().out == ""


def test_next_lift_answers_while_a_public_page_mentions_what_will_lift(project: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # The mention fails a build today, and the lift it waits for is the very answer a scheduler needs.
    d = project / "disclosures" / "2026"
    (d / "OSQI-2026-0010.md").write_text(disclosure_text("OSQI-2026-0010", embargo="2099-01-01T00:00:00Z"))
    public = d / "OSQI-2026-0002.md"
    public.write_text(public.read_text() + "\nSee also OSQI-2026-0010.\n")
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 1
    assert "mentions OSQI-2026-0010, which is not a public disclosure" in capsys.readouterr().err
    assert cli.main(["next-lift", "-f", str(project / "mkdocs.yml")]) == 0
    assert capsys.readouterr().out == "2099-01-01T00:00:00Z\n"


# -- alarms -------------------------------------------------------------------------------------------------

def _disclosure(**overrides: object) -> Disclosure:
    base = Disclosure(
        id="OSQI-2026-0001", title="Overflow in parser", embargo_until=datetime(2026, 3, 1, 12, tzinfo=UTC),
        body="## Summary\n\nS.\n\n## Discovery\n\nD.\n\n## Root cause\n\nR.\n\n## Impact\n\nI.\n\n## Fix\n\nF.\n",
        source="disclosures/OSQI-2026-0001.md", body_line=20,
        affected=(Affected("PyPI", "parserpkg", ranges=(Range("1.0", "1.1"),)),),
        credits=(Credit("Jane Doe", "FINDER"),),
        timeline=(TimelineEvent(datetime(2026, 1, 1, tzinfo=UTC).date(), "reported"),))
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_alarm_for_embargo_beyond_policy() -> None:
    late = _disclosure(embargo_until=datetime(2026, 5, 2, 12, tzinfo=UTC))  # 121 days after the report
    found = alarms.alarms([late], SETTINGS, datetime(2026, 1, 2, tzinfo=UTC))
    assert [str(p) for p in found] == [
        "disclosures/OSQI-2026-0001.md:1: embargo_until: embargo ends 121 days after the report, beyond the policy "
        "maximum of 120; record the reason in '## Embargo decisions' and shorten it or raise max_embargo_days"]
    assert alarms.alarms([_disclosure(embargo_until=datetime(2026, 5, 1, 23, tzinfo=UTC))], SETTINGS,
                         datetime(2026, 1, 2, tzinfo=UTC)) == []


def test_alarm_for_published_but_incomplete_narrative() -> None:
    thin = _disclosure(body="## Summary\n\nS.\n\n## Discovery\n\nTODO write this.\n")
    found = [str(p) for p in alarms.alarms([thin], SETTINGS, datetime(2026, 4, 1, tzinfo=UTC))]
    assert found == [
        "disclosures/OSQI-2026-0001.md:20: body: published, but the narrative has no Root cause, Impact, Fix "
        "section; radical transparency means the whole story",
        "disclosures/OSQI-2026-0001.md:26: body: published, but the narrative still says 'TODO'"]
    assert alarms.alarms([thin], SETTINGS, datetime(2026, 2, 1, tzinfo=UTC)) == []  # still embargoed: no alarm


def test_check_strict_turns_alarms_into_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    d.write_text(d.read_text().replace("## Discovery", "## Discovery\n\nTBD"))
    assert cli.main(["check", "-f", str(project / "mkdocs.yml")]) == 0
    assert "warning: disclosures/2026/OSQI-2026-0002.md" in capsys.readouterr().err
    assert cli.main(["check", "--strict", "-f", str(project / "mkdocs.yml")]) == 1


# -- property: whatever the set and the clock, nothing withheld reaches any rendered output --------------

_instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                         timezones=st.just(UTC))


@st.composite
def _disclosures(draw: st.DrawFn) -> list[Disclosure]:
    n = draw(st.integers(min_value=1, max_value=6))
    out = []
    for i in range(n):
        embargo = draw(_instants)
        later = draw(st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)), max_size=2))
        withdrawn = draw(st.booleans())
        out.append(_disclosure(
            id=f"OSQI-2026-{i + 1:04d}", title=f"Title marker QX{i}QZ", embargo_until=embargo,
            draft=draw(st.booleans()), aliases=(f"CVE-2026-{90000 + i}",),
            affected=(Affected("PyPI", f"pkgqx{i}qz", ranges=(Range("1.0", "1.1"),)),),
            body=f"## Summary\n\nBody QX{i}QZ.\n\n## Discovery\n\nD.\n",
            revisions=tuple(Revision(embargo + d, f"rev QX{i}QZ") for d in later),
            withdrawn=Withdrawal(embargo + timedelta(days=1), f"why QX{i}QZ") if withdrawn else None))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_disclosures(), now=_instants)
def test_no_withheld_string_in_any_rendered_output(items: list[Disclosure], now: datetime) -> None:
    pub = gate.publish(items, now)
    due = {d.id for d in items if not d.draft and d.embargo_until is not None and d.embargo_until <= now}
    assert {d.id for d in pub.public} == due
    out = pipeline.build_outputs(pub, SETTINGS)
    blobs = [p.source.encode() for p in out.pages] + list(out.files.values())
    for d in pub.withheld:
        i = int(d.id[-4:]) - 1
        for marker in (d.id, f"QX{i}QZ", f"pkgqx{i}qz", f"CVE-2026-{90000 + i}"):
            assert not any(marker.encode() in b for b in blobs), marker
    for d in pub.public:  # dated parts after the clock are not shown yet
        assert all(r.date <= now for r in d.revisions)
        assert d.withdrawn is None or d.withdrawn.date <= now


def test_fixture_clock_is_in_the_past() -> None:
    assert datetime.fromisoformat(AS_OF.replace("Z", "+00:00")) < datetime.now(UTC)


# -- the last line of defence: the output scan ------------------------------------------------------------

def test_a_leak_planted_by_a_theme_override_fails_the_build(project: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing in the pipeline would put it there: only the final scan can catch it.
    (project / "theme" / "main.html").write_text(
        '{% extends "osqi.html" %}\n{% block announce %}Coming: OSQI-2026-0004{% endblock %}\n')
    assert build(project, tmp_path / "site") == 1
    assert "withheld disclosure text found in the output" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_checks_found_while_loading_match_the_checks_made_afterwards(project: Path) -> None:
    """check finds mentions and alarms per file on every core; the gate's view must give the same answers."""
    from osqi_site.project import find_project

    d = project / "disclosures" / "2026"
    text = disclosure_text("OSQI-2026-0006", embargo="2026-03-01T00:00:00Z", revision="2026-08-01T00:00:00Z")
    text = (text.replace("title: Heap overflow", "title: Like OSQI-2026-0005, heap overflow")
            .replace("summary: Corrected versions", "summary: Also see OSQI-2026-0004. Corrected versions")
            .replace("note: Noticed by", "note: OSQI-2026-0009 noticed by")
            .replace("Found while", "Found while fixing OSQI-2026-0004, TODO"))
    (d / "OSQI-2026-0006.md").write_text(text)
    found, problems = find_project(project / "mkdocs.yml")
    assert found is not None, problems
    checked = fastcheck.check(found.disclosures_dir, found.root, found.settings)
    assert {m.split("/")[-1] for m in checked.mentions} >= {"OSQI-2026-0002.md", "OSQI-2026-0006.md"}
    # Before the revision is dated, after it, before and after OSQI-2026-0004 lifts.
    for now in ("2026-05-31T00:00:00Z", "2026-06-01T00:02:00Z", "2026-09-01T00:00:00Z"):
        pub = gate.publish(checked.disclosures, parse_instant(now))
        with_facts = fastcheck.publication_problems(pub, found.settings, facts=checked.mentions)
        assert with_facts == pipeline.publication_problems(pub, found.settings), now
        assert with_facts  # OSQI-2026-0005 (a draft) and -0009 (unknown) are never public
        assert (fastcheck.alarms(checked.disclosures, found.settings, parse_instant(now), facts=checked.alarms)
                == alarms.alarms(checked.disclosures, found.settings, parse_instant(now))), now
    before = gate.publish(checked.disclosures, parse_instant("2026-05-31T00:00:00Z"))
    after = gate.publish(checked.disclosures, parse_instant("2026-09-01T00:00:00Z"))
    # The revision mentioning OSQI-2026-0004 counts only once it is dated (and 0004 is public by then).
    assert not any("0004" in p.message and p.field.startswith("revisions")
                   for p in fastcheck.publication_problems(before, found.settings, facts=checked.mentions))
    assert not any("0004" in p.message for p in fastcheck.publication_problems(after, found.settings,
                                                                                facts=checked.mentions))
