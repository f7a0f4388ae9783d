"""Placeholder alarms: a site_url or contact on a reserved example domain is a warning, an error under --strict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from factory import BODY, SETTINGS, make_disclosure
from hypothesis import given, settings
from hypothesis import strategies as st
from sitefixture import AS_OF

from osqi_site import cli
from osqi_site.core.alarms import _PLACEHOLDER, alarm_facts, config_alarms, is_reserved_domain
from osqi_site.core.settings import Settings

REAL = Settings(site_url="https://advisories.osqi.org/", contact=("mailto:security@osqi.org",))


@pytest.mark.parametrize("host", ["example.com", "EXAMPLE.ORG", "www.example.net", "osqi.example", "a.b.test",
                                  "x.invalid", "localhost", "site.localhost", "example.com."])
def test_reserved_domains(host: str) -> None:
    assert is_reserved_domain(host)


@pytest.mark.parametrize("host", ["osqi.org", "example.co", "myexample.com", "example.com.au", "testing.org",
                                  "examples.dev", ""])
def test_real_domains(host: str) -> None:
    assert not is_reserved_domain(host)


def test_real_settings_raise_no_alarm() -> None:
    assert config_alarms(REAL) == []
    assert config_alarms(replace(REAL, contact=("tel:+15551234567", "https://osqi.org/report"))) == []


def test_placeholder_site_url_and_contacts_are_named() -> None:
    found = config_alarms(replace(REAL, site_url="https://osqi.example/",
                                  contact=("mailto:security@osqi.example", "https://example.org/report",
                                           "mailto:ok@osqi.org")), "site.yml")
    assert [str(p) for p in found] == [
        "site.yml:0: site_url: 'https://osqi.example/' is a reserved example domain (RFC 2606/6761): every link in "
        "the feeds, OSV and CSAF would point nowhere; set the site's real URL",
        "site.yml:0: contact: 'mailto:security@osqi.example' is on a reserved example domain (RFC 2606/6761): "
        "security.txt and CSAF would send reporters nowhere; set the address that receives reports",
        "site.yml:0: contact: 'https://example.org/report' is on a reserved example domain (RFC 2606/6761): "
        "security.txt and CSAF would send reporters nowhere; set the address that receives reports"]


def _set_real(root: Path) -> None:
    cfg = root / "mkdocs.yml"
    text = cfg.read_text(encoding="utf-8").replace("https://advisories.example.org/", "https://advisories.osqi.org/")
    contact = "      feed_limit: 50\n      contact: [mailto:security@osqi.org]"
    cfg.write_text(text.replace("      feed_limit: 50", contact), encoding="utf-8")


def test_check_warns_and_strict_fails_on_an_init_site_until_the_placeholders_are_replaced(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(project / "mkdocs.yml")
    assert cli.main(["check", "-f", cfg]) == 0
    err = capsys.readouterr().err
    assert "warning: mkdocs.yml:0: site_url: 'https://advisories.example.org/' is a reserved" in err
    assert "warning: mkdocs.yml:0: contact: 'mailto:security@osqi.example'" in err
    assert cli.main(["check", "--strict", "-f", cfg]) == 1
    _set_real(project)
    capsys.readouterr()
    assert cli.main(["check", "-f", cfg]) == 0
    assert "reserved" not in capsys.readouterr().err  # the fixture's thin narratives still warn, as they should


def test_build_strict_fails_on_placeholders(project: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    args = ["build", "-f", str(project / "mkdocs.yml"), "--as-of", AS_OF, "--strict"]
    assert cli.main([*args, "-d", str(tmp_path / "a")]) == 1
    assert "site_url: 'https://advisories.example.org/' is a reserved example domain" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert cli.main([*args[:-1], "-d", str(tmp_path / "b")]) == 0  # not strict: the placeholders only warn
    _set_real(project)
    capsys.readouterr()
    cli.main([*args, "-d", str(tmp_path / "c")])  # still fails on the fixture's thin narratives, by design
    assert "reserved" not in capsys.readouterr().err


@pytest.mark.parametrize(("words", "said"), [
    ("Still TODO.", "TODO"), ("TBD", "TBD"), ("a FIXME here", "FIXME"), ("x TBD then TODO", "TBD"),
    ("TODOs and TBDs", None), ("FIXMEs, xTODO, TODO_later", None), ("todo tbd fixme", None),
])
def test_each_placeholder_word_is_named(words: str, said: str | None) -> None:
    d = make_disclosure(body=BODY + f"\n{words}\n")
    found = [p.message for p in alarm_facts(d, SETTINGS).once_lifted if "still says" in p.message]
    assert found == ([] if said is None else [f"published, but the narrative still says '{said}'"])


@given(st.lists(st.sampled_from(["TODO", "TBD", "FIXME", "TO", "DO", "T", "x", "_", " ", "\n", "é", "1"]),
                max_size=20).map("".join))
@settings(max_examples=1000)
def test_placeholders_are_found_as_by_the_pattern_alone(text: str) -> None:
    # The alarm looks for a placeholder only where one of the words occurs; the pattern must agree everywhere.
    expected = _PLACEHOLDER.search(BODY + text)
    facts = alarm_facts(make_disclosure(body=BODY + text), SETTINGS)
    assert [p.message for p in facts.once_lifted if "still says" in p.message] == (
        [] if expected is None else [f"published, but the narrative still says '{expected.group(0)}'"])
