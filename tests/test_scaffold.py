"""Scaffolding: the next free ID and the text of a new draft, which must load and validate as a draft."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from factory import NOW, SETTINGS
from hypothesis import given
from hypothesis import strategies as st

from osqi_site import scaffold
from osqi_site.build import pipeline
from osqi_site.core import ecosystems, loader, validate
from osqi_site.core.model import Disclosure
from osqi_site.scaffold import new_disclosure, next_id

TODAY = date(2026, 11, 22)
EMBARGO = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)


# --- next_id -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("existing", "expected"), [
    ([], "OSQI-2026-0001"),
    (["OSQI-2026-0001"], "OSQI-2026-0002"),
    (["OSQI-2026-0001", "OSQI-2026-0005"], "OSQI-2026-0006"),     # gaps are never refilled
    (["OSQI-2026-0005", "OSQI-2026-0001", "OSQI-2026-0003"], "OSQI-2026-0006"),
    (["OSQI-2026-0009"], "OSQI-2026-0010"),
    (["OSQI-2026-9999"], "OSQI-2026-10000"),
    (["OSQI-2026-10000", "OSQI-2026-0002"], "OSQI-2026-10001"),
    (["OSQI-2025-0042", "OSQI-2027-0007"], "OSQI-2026-0001"),     # other years do not count
    (["SEC-2026-0042", "XOSQI-2026-0042", "OSQI-2026-0042x"], "OSQI-2026-0001"),
    (["OSQI-2026-42", "OSQI-2026-", "2026-0042", "notes"], "OSQI-2026-0001"),
])
def test_next_id_is_one_past_the_highest_of_the_year(existing: list[str], expected: str) -> None:
    assert next_id(existing, "OSQI", 2026) == expected


def test_next_id_uses_the_given_prefix() -> None:
    assert next_id(["SEC-2026-0004", "OSQI-2026-0010"], "SEC", 2026) == "SEC-2026-0005"


def test_next_id_accepts_any_iterable() -> None:
    assert next_id((f"OSQI-2026-{n:04d}" for n in (1, 2, 7)), "OSQI", 2026) == "OSQI-2026-0008"


@given(st.sets(st.integers(min_value=1, max_value=99_999), max_size=30))
def test_next_id_is_new_and_above_every_used_number(numbers: set[int]) -> None:
    existing = [f"OSQI-2026-{n:04d}" for n in numbers]
    new = next_id(existing, "OSQI", 2026)
    assert new not in existing
    assert SETTINGS.id_pattern.match(new)
    assert int(new.rsplit("-", 1)[1]) == max(numbers, default=0) + 1


# --- new_disclosure ----------------------------------------------------------------------------------


def _check(text: str, ident: str = "OSQI-2026-0007") -> tuple[Disclosure | None, list[str]]:
    rel = f"disclosures/2026/{ident}.md"
    doc, problems = loader.parse_text(rel, text.encode("utf-8"))
    if doc is None:
        return None, [str(p) for p in problems]
    disclosure, problems = validate.validate_doc(doc, SETTINGS)
    return disclosure, [str(p) for p in problems]


def _new(**kw: object) -> str:
    args: dict[str, object] = {"title": None, "package": None, "ecosystem": None, "embargo_until": EMBARGO,
                               "today": TODAY, "seal": "ab" * 32}
    args.update(kw)
    return new_disclosure("OSQI-2026-0007", **args)  # type: ignore[arg-type]


def test_new_disclosure_is_a_valid_draft() -> None:
    disclosure, problems = _check(_new())
    assert problems == []
    assert disclosure is not None
    assert disclosure.draft is True
    assert disclosure.id == "OSQI-2026-0007"
    assert disclosure.embargo_until == EMBARGO
    assert disclosure.affected[0].ecosystem == "PyPI"
    assert disclosure.timeline[0].date == TODAY and disclosure.timeline[0].event == "discovered"


def test_new_disclosure_has_the_required_sections_to_fill_in() -> None:
    doc, _ = loader.parse_text("disclosures/2026/OSQI-2026-0007.md", _new().encode())
    assert doc is not None
    for title in ("Summary", "Discovery"):
        assert f"\n## {title}\n" in doc.body


def test_new_disclosure_is_never_public_while_a_draft() -> None:
    from osqi_site.core import gate

    disclosure, _ = _check(_new(embargo_until=NOW - timedelta(days=1)))
    assert disclosure is not None
    assert not gate.is_public(disclosure, NOW)


def test_new_disclosure_writes_the_embargo_in_utc() -> None:
    text = _new(embargo_until=datetime(2026, 12, 1, 17, 0, tzinfo=timezone(timedelta(hours=-10))))
    assert "embargo_until: 2026-12-02T03:00:00Z\n" in text
    disclosure, problems = _check(text)
    assert problems == [] and disclosure is not None
    assert disclosure.embargo_until == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("title", [
    'Heap overflow in "libfoo"',
    "Path traversal: ../ escapes # the sandbox",
    "Back\\slash and 'quotes'",
    "- starts like a list item",
    "&anchor *alias !tag %directive @at `tick` {brace} [bracket] |pipe >fold",
    "Überlauf im Parser, «typografisch» 🐛",
    "tab\tinside",
])
def test_new_disclosure_keeps_the_title_and_package_as_given(title: str) -> None:
    disclosure, problems = _check(_new(title=title, package=title))
    assert problems == []
    assert disclosure is not None
    assert disclosure.title == title
    assert disclosure.affected[0].package == title


_PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                                   # non-characters, refused like Cc; bidi controls, refused ("Trojan Source")
                                   exclude_characters="\ufffe\uffff" + "".join(sorted(loader._BIDI_CONTROLS))),
                     min_size=1, max_size=120)


@given(_PRINTABLE.filter(lambda t: t.strip() != ""))
def test_any_printable_title_round_trips(title: str) -> None:
    disclosure, problems = _check(_new(title=title))
    assert problems == []
    assert disclosure is not None and disclosure.title == title.strip()


@pytest.mark.parametrize(("title", "code"), [("\x1b[1mBold\x1b[0m overflow", "001B"), ("bell\x07", "0007")])
def test_a_title_with_control_characters_still_gives_a_loadable_draft(title: str, code: str) -> None:
    # Loadable: the draft parses, and check locates the one thing wrong with it (control characters are refused
    # in every field, as no feed can carry them).
    _, problems = _check(_new(title=title))
    assert problems == [f"disclosures/2026/OSQI-2026-0007.md:3: title: contains the control character U+{code}; "
                        "remove it (tab and line feed are allowed)"]


@pytest.mark.parametrize("ecosystem", [*sorted(ecosystems.OSV_ECOSYSTEMS), "Debian:12", "Ubuntu:24.04:LTS"])
def test_new_disclosure_is_valid_for_every_osv_ecosystem(ecosystem: str) -> None:
    disclosure, problems = _check(_new(ecosystem=ecosystem, package="pkg"))
    assert problems == []
    assert disclosure is not None and disclosure.affected[0].ecosystem == ecosystem


def test_new_disclosure_for_a_git_upstream_is_a_valid_draft() -> None:
    _, problems = _check(_new(ecosystem=ecosystems.GIT, package="curl"))
    assert problems == []


# --- write_project -----------------------------------------------------------------------------------


def test_the_starter_project_checks_clean(tmp_path: Path) -> None:
    written = scaffold.write_project(tmp_path / "site", NOW)
    names = {p.relative_to(tmp_path / "site").as_posix() for p in written}
    assert {".gitignore", "mkdocs.yml"} <= names
    assert "gitignore" not in names
    checked = pipeline.check(tmp_path / "site" / "disclosures", tmp_path / "site", SETTINGS)
    assert checked.problems == ()
    assert [d.id for d in checked.disclosures] == ["OSQI-2026-0001"]  # the one example
