"""Embargo enforcement beyond disclosures: content pages, preview, scheduling, continuity, alarms, escaping."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osqi_site import cli
from osqi_site.build import fastcheck, leakscan, pipeline
from osqi_site.core import alarms, gate
from osqi_site.core.model import Affected, Credit, Disclosure, Range, Revision, TimelineEvent, Withdrawal
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import parse_instant
from osqi_site.publish.verify import continuity_problems
from tests.sitefixture import AS_OF, all_bytes, build, disclosure_text, project

__all__ = ["project"]

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


def test_public_page_linking_a_withheld_page_fails(project: Path, tmp_path: Path) -> None:
    _add_writeup(project, "2026-06-01T00:01:00Z")
    (project / "content" / "policy.md").write_text("# Policy\n\nSee [the write-up](writeup.md).\n")
    assert build(project, tmp_path / "site") == 1


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


# -- continuity ---------------------------------------------------------------------------------------------

def _rec(ident: str, published: str = "2026-01-01T00:00:00Z", modified: str = "2026-01-01T00:00:00Z",
         withdrawn: str | None = None) -> dict[str, str]:
    r = {"id": ident, "published": published, "modified": modified}
    if withdrawn:
        r["withdrawn"] = withdrawn
    return r


@pytest.mark.parametrize(("new", "message"), [
    ([], "OSQI-2026-0001: was published and is gone; withdraw it instead of deleting it"),
    ([_rec("OSQI-2026-0001", published="2026-02-01T00:00:00Z")], "OSQI-2026-0001: published changed"),
    ([_rec("OSQI-2026-0001", modified="2025-12-01T00:00:00Z")], "OSQI-2026-0001: modified went backwards"),
])
def test_continuity_violations(new: list[dict[str, str]], message: str) -> None:
    problems = continuity_problems([_rec("OSQI-2026-0001")], new)
    assert len(problems) == 1 and problems[0].startswith(message)


def test_continuity_accepts_revision_withdrawal_and_new_records() -> None:
    new = [_rec("OSQI-2026-0001", modified="2026-03-01T00:00:00Z", withdrawn="2026-03-01T00:00:00Z"),
           _rec("OSQI-2026-0002", published="2026-02-01T00:00:00Z", modified="2026-02-01T00:00:00Z")]
    assert continuity_problems([_rec("OSQI-2026-0001")], new) == []


def test_verify_command_on_real_builds(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build(project, tmp_path / "old") == 0
    (project / "disclosures" / "2026" / "OSQI-2026-0002.md").unlink()
    shutil.rmtree(project / "disclosures" / "2026" / "OSQI-2026-0002")
    assert build(project, tmp_path / "new") == 0
    assert cli.main(["verify", "--previous", str(tmp_path / "old"), str(tmp_path / "new")]) == 1
    assert "OSQI-2026-0002: was published and is gone" in capsys.readouterr().err


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


# -- hostile text is escaped wherever it is shown -----------------------------------------------------------

def test_raw_html_in_fields_is_escaped_in_every_output(project: Path, tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    p = project / "disclosures" / "2026" / "OSQI-2026-0002.md"
    text = p.read_text()
    front, body = text.split("\n---\n", 1)
    meta = yaml.safe_load(front.removeprefix("---\n"))
    meta["title"] = f"Overflow {hostile}"
    meta["credits"][0]["name"] = f"Mallory {hostile}"
    meta["timeline"][0]["note"] = hostile
    p.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body)
    assert build(project, tmp_path / "site") == 0
    for path, data in all_bytes(tmp_path / "site").items():
        if path.endswith((".html", ".xml")):
            assert b"<script>alert" not in data and b"<img src=x" not in data, path
    item = next(i for i in json.loads((tmp_path / "site" / "feed.json").read_text())["items"]
                if "OSQI-2026-0002" in i["id"])
    assert "<script>" not in item["content_html"]
    assert item["title"].endswith(hostile)  # JSON Feed titles are plain text, shown as text by readers


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

def test_find_leaks_sees_every_spelling_and_respects_id_boundaries() -> None:
    files = {
        "a.html": b"<p>Soon: OSQI-2026-0004 &amp; more</p>",
        "b.json": b'{"url": "https:\\/\\/x\\/Secret title\\/"}',
        "c.xml.gz": gzip.compress(b"<title>x/Secret title</title>"),
        "d.html": b"OSQI-2026-00041 is another disclosure",
        "e.bin": bytes(range(256)) + b"OSQI-2026-0004",
        "f.gz": b"\x1f\x8b not gzip",  # gzip by its magic bytes, whatever the name
        "g.gz": b"not gzip",  # by its bytes, not gzip at all: scanned as it is
    }
    leaks = leakscan.find_leaks(files, ["OSQI-2026-0004", "x/Secret title"])
    assert leaks == ["a.html: OSQI-2026-0004", "b.json: x/Secret title", "c.xml.gz: x/Secret title",
                     "e.bin: OSQI-2026-0004",
                     "f.gz: unreadable gzip (BadGzipFile), cannot prove it is clean"]
    assert leakscan.find_leaks(files, []) == []


def test_find_leaks_matches_non_ascii_markers_and_any_scripts_digits() -> None:
    files = {"a.html": "Bientôt : « Fuite sécurité » dans 🚀 l\u2019outil".encode(),
             "b.html": "OSQI-2026-0004٣ is another ID (Arabic-Indic digit)".encode(),
             "c.bin": b"\xff\xfe" + "Fuite sécurité".encode("utf-16-le") + b"\x80Fuite s\xc3\xa9curit\xc3\xa9\x81"}
    leaks = leakscan.find_leaks(files, ["Fuite sécurité", "OSQI-2026-0004"])
    assert leaks == ["a.html: Fuite sécurité", "c.bin: Fuite sécurité"]


def _reference_leaks(text: str, markers: list[str]) -> set[str]:
    """The rule, spelled out over text: normalise(marker) in normalise(text) (or in the text without its
    markup), and a marker ending in a digit not followed by another digit."""
    found = set()
    for m in markers:
        form = leakscan.normalise(m)
        for view in leakscan.views(text):
            at = view.find(form) if form else -1
            while at != -1:
                if not (form[-1].isdigit() and view[at + len(form):at + len(form) + 1].isdigit()):
                    found.add(m)
                    break
                at = view.find(form, at + 1)
    return found


_SCRIPTS = st.sampled_from([*"aAé€-/\\ 0159٣²", "🚀", "OSQI-2026-", "\udc80", "&amp;", "%41", "<b>", "\u200b",
                              "\u2011", "\uff2f", "\n\n"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(_SCRIPTS, max_size=40), picks=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12)),
                                                             min_size=1, max_size=4))
def test_find_leaks_on_bytes_agrees_with_the_rule_over_text(parts: list[str], picks: list[tuple[int, int]]) -> None:
    # Markers are cut from the text itself (so that many occur) and may hold an undecodable byte, which
    # text read with surrogateescape spells as a lone surrogate.
    text = "".join(parts)
    markers = sorted({m for m in (text[a:a + n] for a, n in picks) if m} | {"OSQI-2026-0"})
    data = text.encode("utf-8", "surrogateescape")
    hits = {leak.split(": ", 1)[1] for leak in leakscan.find_leaks({"f.html": data}, markers)}
    # The file as the scan reads it, normalised by the simple rule (the scan takes a fast path on plain ASCII).
    expected = _reference_leaks(data.decode("utf-8", "surrogateescape"), markers)
    assert hits == expected


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
