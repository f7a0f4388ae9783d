"""What writers see: exact problem messages (file, line, field, how to fix), the pre-commit hook, ``new``'s prompts."""

from __future__ import annotations

import io
import re
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sitefixture import init_project

from osqi_site import cli

ROOT = Path(__file__).resolve().parents[1]
REL = "disclosures/2026/OSQI-2026-0002.md"

BROKEN = """\
---
id: OSQI-2026-0009
embargo_untill: 2026-12-01T12:00:00Z
embargo_until: 2026-12-01
affected:
  - ecosystem: PyPI
    package: libfoo
    ranges:
      - introduced: 1.0
        fixed: "1.2"
severity:
  - type: CVSS_V3
    vector: "CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H"
credits:
  - name: Ada
    type: FINDER
timeline:
  - date: 2026-10-01
    event: discovered
---

## Summary

A summary.
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return init_project(tmp_path, datetime(2026, 11, 22, tzinfo=UTC))


def test_check_messages_name_file_line_field_and_the_fix(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / REL).write_text(BROKEN, encoding="utf-8")
    assert cli.main(["check", "-f", str(site / "mkdocs.yml")]) == 1
    err = capsys.readouterr().err.splitlines()
    expected = [
        # init turns the embargo register on: a disclosure that is not a draft needs its seal.
        f"{REL}:1: seal: is required when embargo_register is on (unless draft: true); generate one with: "
        "python3 -c 'import secrets; print(secrets.token_hex(32))'",
        f"{REL}:1: title: is required",
        f"{REL}:2: id: 'OSQI-2026-0009' does not match the file name 'OSQI-2026-0002.md'; "
        "rename the file or fix the id",
        f"{REL}:3: embargo_untill: unknown field; did you mean 'embargo_until'?",
        f"{REL}:4: embargo_until: is a date without a time; write an instant such as 2026-12-01T12:00:00Z",
        f"{REL}:9: affected[0].ranges[0].introduced: must be a string, not a number (quote it)",
        f"{REL}:13: severity[0].vector: write the vector in canonical form: "
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        f"{REL}:21: ## Discovery: section is missing; add a '## Discovery' heading with its text",
        "8 problems found; nothing was published.",
    ]
    assert [line for line in err if not line.startswith("warning:")] == expected


def test_every_problem_line_has_the_path_line_field_shape(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / REL).write_text(BROKEN, encoding="utf-8")
    cli.main(["check", "-f", str(site / "mkdocs.yml")])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("disclosures/")]
    assert lines
    assert all(re.match(r"^disclosures/\S+\.md:\d+: [^:]+: \S", ln) for ln in lines), lines


def test_pre_commit_hook_runs_check_on_disclosure_changes() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks == [{
        "id": "osqi-site-check",
        "name": "osqi-site check",
        "description": "Validate OSQI disclosures (frontmatter, required sections, embargo rules) before they "
                       "are committed.",
        "entry": "osqi-site check",
        "language": "python",
        "pass_filenames": False,
        "files": "^disclosures/",
    }]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert hooks[0]["entry"].split()[0] in scripts  # `language: python` installs this package's scripts
    files = re.compile(hooks[0]["files"])
    assert files.search("disclosures/2026/OSQI-2026-0001.md")
    assert not files.search("content/index.md") and not files.search("docs/disclosures/x.md")


# -- osqi-site new ---------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """Standard input that claims to be a terminal, with the user's answers queued."""

    def isatty(self) -> bool:
        return True


def _new(site: Path, monkeypatch: pytest.MonkeyPatch, answers: str | None, *flags: str) -> int:
    if answers is not None:
        monkeypatch.setattr(sys, "stdin", _Terminal(answers))
    return cli.main(["new", "-f", str(site / "mkdocs.yml"), *flags])


def _created(site: Path, out: str) -> str:
    return (site / out.strip().splitlines()[-1].split()[-1]).read_text(encoding="utf-8")


def test_new_asks_for_missing_fields_and_asks_again_on_a_wrong_answer(
        site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    answers = "Heap overflow in frobnicate's chunk parser\nfrobnicate\npypi\nPyPI\n2027-01-15\n2027-01-15T12:00:00Z\n"
    assert _new(site, monkeypatch, answers) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "'pypi' is not an OSV ecosystem; did you mean 'PyPI'?",
        "embargo_until is a date without a time; write an instant such as 2026-12-01T12:00:00Z",
    ]
    for prompt in ("Title (one line naming the bug class and component): ", "Package name", "Ecosystem [PyPI]",
                   "Embargo until ["):
        assert prompt in captured.out
    text = _created(site, captured.out)
    year = datetime.now(UTC).year
    expected_id = f"OSQI-{year}-0002" if year == 2026 else f"OSQI-{year}-0001"
    assert f"id: {expected_id}\n" in text
    assert 'title: "Heap overflow in frobnicate\'s chunk parser"\n' in text
    assert '    package: "frobnicate"\n' in text and '  - ecosystem: "PyPI"\n' in text
    assert "embargo_until: 2027-01-15T12:00:00Z\n" in text
    for section in ("## Summary", "## Discovery", "## Root cause", "## Impact", "## Fix"):
        assert f"\n{section}\n" in text


def test_new_asks_only_what_the_flags_leave_out(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert _new(site, monkeypatch, "\n", "--title", "T", "--package", "p", "--ecosystem", "npm") == 0
    out = capsys.readouterr().out
    assert "Title" not in out and "Package" not in out and "Ecosystem" not in out
    assert "Embargo until [" in out  # the one field left; an empty answer keeps the 90-day default
    assert "embargo_until: 20" in _created(site, out)


def test_new_with_closed_input_keeps_every_default(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert _new(site, monkeypatch, "") == 0
    text = _created(site, capsys.readouterr().out)
    assert "TODO: one-line title" in text and '"TODO-package"' in text and '  - ecosystem: "PyPI"' in text


def test_new_does_not_ask_without_a_terminal_or_with_no_input(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("should not be read\n"))
    assert cli.main(["new", "-f", str(site / "mkdocs.yml")]) == 0
    assert _new(site, monkeypatch, "should not be read either\n", "--no-input") == 0
    out = capsys.readouterr().out
    assert "Title" not in out and "should not" not in out


def test_new_refuses_a_wrong_ecosystem_flag_with_the_fix(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["new", "-f", str(site / "mkdocs.yml"), "--no-input", "--ecosystem", "crates"]) == 2
    assert capsys.readouterr().err.strip() == (
        "--ecosystem 'crates' is not an OSV ecosystem; use one such as PyPI, npm, crates.io, Go, Maven or Debian, "
        "or GIT")
    assert cli.main(["new", "-f", str(site / "mkdocs.yml"), "--no-input", "--ecosystem", "debian:12"]) == 2
    assert "did you mean 'Debian:12'?" in capsys.readouterr().err


def test_new_never_reuses_the_number_of_a_file_that_does_not_parse(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    year = datetime.now(UTC).year
    broken = site / "disclosures" / str(year) / f"OSQI-{year}-0005.md"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("no frontmatter here\n", encoding="utf-8")
    assert _new(site, monkeypatch, None, "--no-input") == 0
    assert capsys.readouterr().out.strip().endswith(f"OSQI-{year}-0006.md")
