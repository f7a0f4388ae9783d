"""The frontmatter JSON Schema: valid draft 2020-12, derived from the validator, and wired by ``init``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from factory import SETTINGS, default_meta
from sitefixture import init_project

from osqi_site import cli, scaffold, schema
from osqi_site.core import ecosystems, loader, validate
from osqi_site.core.problems import Problem

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted([*(ROOT / "disclosures").rglob("*.md"),
                  *(ROOT / "osqi_site" / "scaffold_files" / "disclosures").rglob("*.md")])


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server sees it: timestamps stay the strings that were typed."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _frontmatter(text: str) -> Any:
    return yaml.load(text.split("---\n", 2)[1], Loader=_EditorLoader)  # a SafeLoader subclass


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    s = schema.frontmatter_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def _errors(v: jsonschema.Draft202012Validator, meta: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(meta))


def test_schema_is_draft_2020_12() -> None:
    s = schema.frontmatter_schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(s)


def test_every_sample_disclosure_is_accepted(validator: jsonschema.Draft202012Validator) -> None:
    assert len(SAMPLES) >= 8
    for path in SAMPLES:
        # The starter disclosure is a template: init puts a fresh salt where its slot is.
        meta = _frontmatter(path.read_text(encoding="utf-8").replace(scaffold.SEAL_SLOT, "5a" * 32))
        assert _errors(validator, meta) == [], path


@pytest.mark.parametrize("kw", [
    {},
    {"title": "A title", "package": "left-pad", "ecosystem": "npm"},
    {"ecosystem": "GIT"},
    {"ecosystem": "Debian:12"},
])
def test_a_new_draft_is_accepted(validator: jsonschema.Draft202012Validator, kw: dict[str, str]) -> None:
    args: dict[str, Any] = {"title": None, "package": None, "ecosystem": None, **kw}
    text = scaffold.new_disclosure("OSQI-2026-0042", embargo_until=datetime(2027, 1, 1, 12, tzinfo=UTC),
                                   today=date(2026, 11, 22), seal="0f" * 32, **args)
    assert _errors(validator, _frontmatter(text)) == []


def _meta(**changes: Any) -> dict[str, Any]:
    meta = default_meta()
    for key, value in changes.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    return meta


def test_unknown_keys_are_rejected_at_every_level(validator: jsonschema.Draft202012Validator) -> None:
    assert _errors(validator, _meta(embargo_untill="2026-12-01T12:00:00Z")) == [
        ": Additional properties are not allowed ('embargo_untill' was unexpected)"]
    bad = _meta()
    bad["affected"][0]["pakage"] = "x"
    assert _errors(validator, bad) == ["affected/0: Additional properties are not allowed ('pakage' was unexpected)"]


@pytest.mark.parametrize(("changes", "path"), [
    ({"id": "OSQI-26-1"}, "id"),
    ({"title": "x" * 201}, "title"),
    ({"title": "   "}, "title"),
    ({"embargo_until": "2026-12-01"}, "embargo_until"),
    ({"embargo_until": "2026-12-01T12:00:00"}, "embargo_until"),
    ({"embargo_until": None}, ""),
    ({"draft": "false"}, "draft"),
    ({"aliases": ["CVE 2024"]}, "aliases/0"),
    ({"cwe": ["787"]}, "cwe/0"),
    ({"cwe": [787]}, "cwe/0"),
    ({"affected": []}, "affected"),
    ({"affected": [{"ecosystem": "pypi", "package": "x", "versions": ["1"]}]}, "affected/0/ecosystem"),
    ({"affected": [{"ecosystem": "Debian:", "package": "x", "versions": ["1"]}]}, "affected/0/ecosystem"),
    ({"affected": [{"ecosystem": "GIT", "package": "x", "versions": ["1"]}]}, "affected/0"),
    ({"affected": [{"ecosystem": "PyPI", "package": "x"}]}, "affected/0"),
    ({"affected": [{"ecosystem": "PyPI", "package": "x", "ranges": []}]}, "affected/0"),
    ({"affected": [{"ecosystem": "PyPI", "package": "x", "ranges": [
        {"introduced": "0", "fixed": "2", "last_affected": "1"}]}]}, "affected/0/ranges/0"),
    ({"affected": [{"ecosystem": "PyPI", "package": "x", "ranges": [{"introduced": 1.0}]}]},
     "affected/0/ranges/0/introduced"),
    ({"affected": [{"ecosystem": "PyPI", "package": "x", "purl": "pkg:pypi/x@1", "versions": ["1"]}]},
     "affected/0/purl"),
    ({"severity": [{"type": "CVSS_V3", "vector": "CVSS:4.0/AV:N"}]}, "severity/0/vector"),
    ({"severity": [{"type": "CVSS_V2", "vector": "AV:N"}]}, "severity/0/type"),
    ({"credits": [{"name": "A", "type": "finder"}]}, "credits/0/type"),
    ({"credits": [{"name": "A", "type": "FINDER", "contact": ["javascript:alert(1)"]}]}, "credits/0/contact/0"),
    ({"references": [{"type": "WEB", "url": "example.org"}]}, "references/0/url"),
    ({"timeline": [{"date": "2026-1-1", "event": "discovered"}]}, "timeline/0/date"),
    ({"timeline": [{"date": "2026-01-01", "event": "found"}]}, "timeline/0/event"),
    ({"revisions": [{"date": "2026-12-01T12:00:00Z"}]}, "revisions/0"),
    ({"withdrawn": {"date": "2026-12-01T12:00:00Z"}}, "withdrawn"),
])
def test_what_the_validator_rejects_the_schema_rejects(validator: jsonschema.Draft202012Validator,
                                                       changes: dict[str, Any], path: str) -> None:
    meta = _meta(**changes)
    errors = list(validator.iter_errors(meta))
    assert errors, changes
    assert path in {"/".join(map(str, e.absolute_path)) for e in errors}
    # The validator agrees: the same frontmatter, as the loader would read it, has a problem.
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n## Summary\n\nx\n\n## Discovery\n\ny\n"
    doc, problems = loader.parse_text("disclosures/2026/OSQI-2026-0001.md", text.encode())
    assert doc is not None and not problems
    assert validate.validate_doc(doc, SETTINGS)[1], changes


def test_drafts_need_no_embargo(validator: jsonschema.Draft202012Validator) -> None:
    assert _errors(validator, _meta(embargo_until=None, draft=True)) == []
    assert _errors(validator, _meta(embargo_until=None, draft=False)) == [": 'embargo_until' is a required property"]


def test_vocabularies_come_from_the_validator() -> None:
    s = schema.frontmatter_schema()
    props = s["properties"]
    assert list(props) == list(validate.TOP_LEVEL_FIELDS)
    affected = props["affected"]["items"]
    assert list(affected["properties"]) == list(validate.AFFECTED_FIELDS)
    assert list(affected["properties"]["ranges"]["items"]["properties"]) == list(validate.RANGE_FIELDS)
    assert set(affected["properties"]["ecosystem"]["anyOf"][0]["enum"]) == {*ecosystems.OSV_ECOSYSTEMS,
                                                                           ecosystems.GIT}
    assert props["credits"]["items"]["properties"]["type"]["enum"] == list(ecosystems.CREDIT_TYPES)
    assert props["references"]["items"]["properties"]["type"]["enum"] == list(ecosystems.REFERENCE_TYPES)
    assert props["severity"]["items"]["properties"]["type"]["enum"] == list(ecosystems.SEVERITY_TYPES)
    assert props["timeline"]["items"]["properties"]["event"]["enum"] == list(ecosystems.TIMELINE_EVENTS)


def _objects(s: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    props = s["properties"]
    yield "affected[0]", props["affected"]["items"]
    yield "affected[0].ranges[0]", props["affected"]["items"]["properties"]["ranges"]["items"]
    for name in ("severity", "credits", "references", "timeline", "revisions"):
        yield f"{name}[0]", props[name]["items"]
    yield "withdrawn", props["withdrawn"]


@pytest.mark.parametrize(("field", "sub"), list(_objects(schema.frontmatter_schema())),
                         ids=[f for f, _ in _objects(schema.frontmatter_schema())])
def test_nested_keys_match_what_the_validator_allows(field: str, sub: dict[str, Any]) -> None:
    """The validator names the allowed keys of each object when it meets an unknown one: they must agree."""
    meta = default_meta()
    meta.update(severity=[{"type": "CVSS_V3", "vector": "x"}], revisions=[{}], withdrawn={})
    meta["affected"][0]["ranges"] = [{}]
    target: Any = meta
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    target["zzzzzz"] = 1
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n## Summary\n\nx\n\n## Discovery\n\ny\n"
    doc, _ = loader.parse_text("disclosures/2026/OSQI-2026-0001.md", text.encode())
    assert doc is not None
    problems: list[Problem] = validate.validate_doc(doc, SETTINGS)[1]
    message = next(p.message for p in problems if p.field == f"{field}.zzzzzz")
    allowed = message.split("allowed: ", 1)[1].split(", ")
    assert sorted(allowed) == sorted(sub["properties"])


def test_schema_command_prints_the_schema_with_the_sites_prefix(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema", "-f", str(tmp_path / "missing.yml")]) == 0
    assert json.loads(capsys.readouterr().out) == schema.frontmatter_schema("OSQI")
    config = init_project(tmp_path, datetime(2026, 11, 22, tzinfo=UTC)) / "mkdocs.yml"
    config.write_text(config.read_text().replace("id_prefix: OSQI", "id_prefix: SEC"))
    assert cli.main(["schema", "-f", str(config)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["properties"]["id"]["pattern"] == r"^SEC-\d{4}-\d{4,}$"
    assert out == schema.schema_text("SEC")


def test_init_wires_the_schema_and_a_check_task_for_vscode(tmp_path: Path) -> None:
    written = scaffold.write_project(tmp_path, datetime(2026, 11, 22, tzinfo=UTC))
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"disclosures.schema.json", ".vscode/settings.json", ".vscode/tasks.json"} <= names
    assert (tmp_path / "disclosures.schema.json").read_text() == schema.schema_text()
    settings = json.loads((tmp_path / ".vscode/settings.json").read_text())
    assert settings["yaml.schemas"] == {"./disclosures.schema.json": ["**/*.frontmatter.yaml"],
                                        "./projects.schema.json": ["**/*.project.yaml"]}
    task = json.loads((tmp_path / ".vscode/tasks.json").read_text())["tasks"][0]
    assert task["command"] == "osqi-site check"
    # The problem matcher understands the lines `check` prints (JS and Python agree on this regex).
    rx = re.compile(task["problemMatcher"]["pattern"]["regexp"])
    for problem in (Problem("disclosures/2026/OSQI-2026-0001.md", 4, "embargo_until", "is a date without a time"),
                    Problem("disclosures/2026/OSQI-2026-0001.md", 12, "## Discovery", "section is missing")):
        m = rx.match(str(problem))
        assert m is not None
        assert (m.group(1), int(m.group(2)), m.group(3), m.group(4)) == (problem.path, problem.line, problem.field,
                                                                       problem.message)
    assert "*.frontmatter.yaml" in (tmp_path / ".gitignore").read_text()
