"""The JSON Schema (draft 2020-12) of disclosure and project page frontmatter, for editors and other tools.

Built from the validator's own vocabularies, field lists and patterns, so the schema and ``osqi-site check``
cannot drift apart. The validator remains the authority: a few rules need more than a schema can say (the
ID must match the file name, CVSS vectors must be canonical and scorable, revisions must follow
publication), so a document the schema accepts can still fail ``check``, never the other way round for the
rules the schema does express.

Editors see YAML values as written: an unquoted ``2026-12-01T12:00:00Z`` is a string to them, so instants
and dates are described as strings with a pattern.
"""

from __future__ import annotations

import json
from typing import Any

from osqi_site.core import ecosystems as eco
from osqi_site.core import jsondata
from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import _DATE, _RFC3339  # the parser's own patterns: one definition of an instant
from osqi_site.core.validate import (
    _ALIAS,
    _CWE,
    _HTTP_URL,
    _TITLE_MAX,
    _VERSION,
    AFFECTED_FIELDS,
    OUR_DATABASE_KEYS,
    RANGE_FIELDS,
    SEAL,
    TOP_LEVEL_FIELDS,
)
from osqi_site.pages import projects

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "disclosures.schema.json"

_CONTACT = r"^(https?://|mailto:)\S+$"
_PURL = r"^pkg:[a-z][a-z0-9.+-]*/[^@?#\s]+(\?[^@#\s]*)?(#[^@\s]*)?$"
"""A purl without a version, as near as a pattern gets; ``check`` decides with packageurl-python."""
_NON_EMPTY = r"\S"

# Sub-objects whose keys the validator lists inline; a test checks each against validate.py's behaviour.
SEVERITY_FIELDS = ("type", "vector")
CREDIT_FIELDS = ("name", "type", "contact")
REFERENCE_FIELDS = ("type", "url")
EVENT_FIELDS = ("date", "event", "note")
REVISION_FIELDS = ("date", "summary")
WITHDRAWN_FIELDS = ("date", "reason")


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "pattern": _NON_EMPTY, "description": description, **extra}


def _instant(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": _RFC3339.pattern, "description": description,
            "examples": ["2026-12-01T12:00:00Z"]}


def _object(fields: tuple[str, ...], properties: dict[str, Any], required: tuple[str, ...],
            description: str, **extra: Any) -> dict[str, Any]:
    if set(properties) != set(fields):
        raise AssertionError(f"schema properties {sorted(properties)} differ from validator fields {sorted(fields)}")
    return {"type": "object", "description": description, "properties": {k: properties[k] for k in fields},
            "required": list(required), "additionalProperties": False, **extra}


def _list(items: dict[str, Any], description: str, *, min_items: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "description": description, "items": items}
    if min_items:
        out["minItems"] = min_items
    return out


def _ecosystem() -> dict[str, Any]:
    names = sorted(eco.OSV_ECOSYSTEMS, key=str.casefold)
    suffixed = "^(" + "|".join(n.replace(".", r"\.") for n in names) + r"):\s*\S.*$"
    return {
        "description": "An OSV ecosystem (optionally with a ':suffix' such as 'Debian:12'), or GIT for an upstream "
                       "project known by its repository.",
        "anyOf": [{"type": "string", "enum": [*names, eco.GIT]}, {"type": "string", "pattern": suffixed}],
    }


def _range() -> dict[str, Any]:
    version = {"type": "string", "pattern": _VERSION.pattern}
    return _object(RANGE_FIELDS, {
        "introduced": {**version, "description": "First affected version; \"0\" for all versions. Quote it."},
        "fixed": {**version, "description": "First version with the fix. Quote it."},
        "last_affected": {**version, "description": "Last affected version when there is no fix. Quote it."},
    }, ("introduced",), "One contiguous range of affected versions.",
        **{"not": {"required": ["fixed", "last_affected"]}})


def _affected() -> dict[str, Any]:
    version = {"type": "string", "pattern": _VERSION.pattern}
    return _object(AFFECTED_FIELDS, {
        "ecosystem": _ecosystem(),
        "package": _text("Package name as the ecosystem spells it (for GIT: the project's name)."),
        "purl": {"type": "string", "pattern": _PURL,
                 "description": "Package URL without a version, e.g. pkg:pypi/requests."},
        "repo": {"type": "string", "pattern": _HTTP_URL.pattern,
                 "description": "Upstream repository URL; required when ecosystem is GIT."},
        "ranges": _list(_range(), "Affected version ranges."),
        "versions": _list(version, "Explicitly affected versions."),
        "ecosystem_specific": {"type": "object", "maxProperties": jsondata.MAX_NODES,
                               "description": "OSV affected[].ecosystem_specific, emitted unchanged: what the "
                                              "ecosystem defines, e.g. Go's affected imports and symbols. Plain "
                                              "JSON data, no control characters, at most "
                                              f"{jsondata.MAX_DEPTH} levels deep."},
        "database_specific": {"type": "object", "maxProperties": jsondata.MAX_NODES,
                              "not": {"anyOf": [{"required": [k]} for k in OUR_DATABASE_KEYS]},
                              "description": "OSV affected[].database_specific, emitted unchanged (merged with "
                                             "the repo, package and purl the export writes itself)."},
    }, ("ecosystem", "package"), "One affected package.",
        anyOf=[{"required": ["ranges"], "properties": {"ranges": {"minItems": 1}}},
               {"required": ["versions"], "properties": {"versions": {"minItems": 1}}}],
        allOf=[{"if": {"properties": {"ecosystem": {"const": eco.GIT}}, "required": ["ecosystem"]},
                "then": {"required": ["repo"]}}])


def _severity() -> dict[str, Any]:
    return _object(SEVERITY_FIELDS, {
        "type": {"type": "string", "enum": list(eco.SEVERITY_TYPES), "description": "CVSS version of the vector."},
        "vector": _text("CVSS vector in canonical form; the score is computed from it, never typed in."),
    }, SEVERITY_FIELDS, "A CVSS vector.",
        allOf=[{"if": {"properties": {"type": {"const": "CVSS_V3"}}, "required": ["type"]},
                "then": {"properties": {"vector": {"pattern": r"^CVSS:3\.[01]/"}}}},
               {"if": {"properties": {"type": {"const": "CVSS_V4"}}, "required": ["type"]},
                "then": {"properties": {"vector": {"pattern": r"^CVSS:4\.0/"}}}}])


def frontmatter_schema(id_prefix: str = Settings.id_prefix) -> dict[str, Any]:
    """The schema of a disclosure's frontmatter for a site whose IDs start with ``id_prefix``."""
    if not id_prefix.replace("-", "").isalnum():
        raise ValueError(f"id_prefix '{id_prefix}' must be letters, digits and '-'")
    properties: dict[str, Any] = {
        "id": {"type": "string", "pattern": rf"^{id_prefix}-\d{{4}}-\d{{4,}}$",
               "description": f"{id_prefix}-YYYY-NNNN; must equal the file name without .md.",
               "examples": [f"{id_prefix}-2026-0001"]},
        "title": _text("One line naming the bug class and the component.", maxLength=_TITLE_MAX),
        "embargo_until": _instant("Instant (with offset, preferably Z) from which the disclosure is public. "
                                  "Required unless draft: true."),
        "draft": {"type": "boolean", "description": "true keeps the disclosure out of every output, whatever "
                                                    "its dates say.", "default": False},
        "aliases": _list({"type": "string", "pattern": _ALIAS.pattern}, "Other IDs of the same "
                         "vulnerability, e.g. CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx."),
        "related": _list({"type": "string", "pattern": _ALIAS.pattern}, "OSV related: IDs of closely related "
                         "but different vulnerabilities."),
        "upstream": _list({"type": "string", "pattern": _ALIAS.pattern}, "OSV upstream: IDs of the upstream "
                          "vulnerabilities this one includes."),
        "affected": _list(_affected(), "Affected packages and versions.", min_items=1),
        "severity": _list(_severity(), "CVSS vectors."),
        "cwe": _list({"type": "string", "pattern": _CWE.pattern}, "CWE identifiers such as CWE-787; each must be "
                     "a weakness of MITRE's CWE catalogue (checked by osqi-site check)."),
        "credits": _list(_object(CREDIT_FIELDS, {
            "name": _text("Name as the person or organisation chooses to be credited."),
            "type": {"type": "string", "enum": list(eco.CREDIT_TYPES), "description": "OSV credit role."},
            "contact": _list({"type": "string", "pattern": _CONTACT}, "https:// or mailto: URLs."),
        }, ("name", "type"), "One credit."), "Everyone who found, reported, analysed, fixed or coordinated.",
            min_items=1),
        "references": _list(_object(REFERENCE_FIELDS, {
            "type": {"type": "string", "enum": list(eco.REFERENCE_TYPES), "description": "OSV reference type."},
            "url": {"type": "string", "pattern": _HTTP_URL.pattern, "description": "An http(s) URL."},
        }, REFERENCE_FIELDS, "One reference."), "Advisories, fixes, reports and articles."),
        "timeline": _list(_object(EVENT_FIELDS, {
            "date": {"type": "string", "pattern": f"{_DATE.pattern}|{_RFC3339.pattern}",
                     "description": "A day (2026-11-09) or an instant (2026-11-09T14:00:00Z).",
                     "examples": ["2026-11-09"]},
            "event": {"type": "string", "enum": list(eco.TIMELINE_EVENTS), "description": "What happened."},
            "note": _text("One sentence of context."),
        }, ("date", "event"), "One dated event."), "From discovery to disclosure, oldest first.", min_items=1),
        "revisions": _list(_object(REVISION_FIELDS, {
            "date": _instant("When the change was published; after embargo_until."),
            "summary": _text("What changed and why."),
        }, REVISION_FIELDS, "One dated change."), "Append-only log of changes after publication."),
        "withdrawn": _object(WITHDRAWN_FIELDS, {
            "date": _instant("When the disclosure was withdrawn; after embargo_until."),
            "reason": _text("Why, e.g. a duplicate of another ID."),
        }, WITHDRAWN_FIELDS, "Marks a published disclosure as withdrawn; it stays online as a tombstone."),
        "seal": {"type": "string", "pattern": SEAL.pattern,
                 "description": "The embargo register's random salt: 64 lower-case hex digits, secret until the "
                                "embargo lifts, never shared (osqi-site new writes one; or "
                                "python3 -c 'import secrets; print(secrets.token_hex(32))'). Required when "
                                "embargo_register is on, unless draft: true."},
    }
    return {
        "$schema": DRAFT,
        "title": "Disclosure frontmatter",
        "description": "The YAML fields between the '---' lines at the top of a disclosure file. Generated by "
                       "`osqi-site schema`; `osqi-site check` remains the authority.",
        "type": "object",
        "properties": {k: properties[k] for k in TOP_LEVEL_FIELDS},
        "required": ["id", "title", "affected", "credits", "timeline"],
        "additionalProperties": False,
        "if": {"properties": {"draft": {"const": True}}, "required": ["draft"]},
        "then": {},
        "else": {"required": ["embargo_until"]},
    }


def schema_text(id_prefix: str = Settings.id_prefix) -> str:
    """The schema as stable, pretty-printed JSON with a final newline."""
    return json.dumps(frontmatter_schema(id_prefix), indent=2, ensure_ascii=False) + "\n"


# -- project pages -----------------------------------------------------------------------------------------------------

PROJECTS_SCHEMA_FILE = "projects.schema.json"


def projects_frontmatter_schema() -> dict[str, Any]:
    """The JSON Schema of a project page's frontmatter, from the validator's own field lists and patterns."""
    url = {"type": "string", "pattern": _HTTP_URL.pattern}
    package = _object(projects.PACKAGE_FIELDS, {
        "ecosystem": _ecosystem(),
        "package": _text("Package name as the ecosystem spells it; not with GIT."),
        "repo": {**url, "description": "Upstream repository URL; only, and required, with GIT."},
    }, ("ecosystem",), "One package the project publishes, matched against disclosures' affected entries.",
        **{"if": {"properties": {"ecosystem": {"const": eco.GIT}}, "required": ["ecosystem"]},
           "then": {"required": ["repo"], "not": {"required": ["package"]}},
           "else": {"required": ["package"], "not": {"required": ["repo"]}}})
    properties: dict[str, Any] = {
        "name": _text("The project's name as readers know it.", maxLength=projects._NAME_MAX),
        "care": {"type": "string", "enum": list(projects.CARE_LEVELS),
                 "description": "; ".join(f"{c}: {m}" for c, m in projects.CARE_MEANINGS.items())},
        "since": {"type": "string", "pattern": _DATE.pattern, "description": "The day the institute took it on.",
                  "examples": ["2024-04-01"]},
        "repo": {**url, "description": "The project's repository (http(s) URL)."},
        "packages": _list(package, "What it publishes; its disclosures are those affecting one of these.",
                          min_items=1),
        "contacts": _list({"type": "string", "pattern": projects._CONTACT.pattern}, "https:// or mailto: URLs."),
        "description": _text("One sentence for the list of projects.", maxLength=projects._DESCRIPTION_MAX),
        "embargo_until": _instant("Optional: the page is public from this instant, like any content page."),
        "draft": {"type": "boolean", "description": "true keeps the page out of the site.", "default": False},
    }
    return {
        "$schema": DRAFT,
        "title": "Project page frontmatter",
        "description": "The YAML fields at the top of content/projects/<slug>.md. Generated by `osqi-site schema "
                       "--projects`; `osqi-site check` remains the authority.",
        "type": "object",
        "properties": {k: properties[k] for k in projects.TOP_LEVEL_FIELDS},
        "required": ["name", "care", "since", "repo", "packages"],
        "additionalProperties": False,
    }


def projects_schema_text() -> str:
    """The project pages' schema as stable, pretty-printed JSON with a final newline."""
    return json.dumps(projects_frontmatter_schema(), indent=2, ensure_ascii=False) + "\n"
