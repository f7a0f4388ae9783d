"""Offline JSON Schema validators over the vendored schemas in ``osqi_site/schemas/`` (never any network)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource, Specification
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4, DRAFT7

SCHEMAS = Path(__file__).resolve().parents[1] / "osqi_site" / "schemas"
OSV_SCHEMA = "osv/osv-schema-1.7.5.json"

_CSAF = "https://docs.oasis-open.org/csaf/csaf/v2.0/"
_FIRST = "https://www.first.org/cvss/"


def _offline(uri: str) -> Any:
    """The registry's fallback: an unresolved ``$ref`` is an error, never an HTTP fetch."""
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs class, mypy misreads it


@cache
def _text(rel: str) -> str:
    return (SCHEMAS / rel).read_text(encoding="utf-8")


def load(rel: str) -> dict[str, Any]:
    """A fresh copy of a vendored schema, safe to modify in memory."""
    schema: dict[str, Any] = json.loads(_text(rel))
    return schema


@cache
def _registry() -> Registry[Any]:
    return Registry(retrieve=_offline).with_resources([  # type: ignore[call-arg]  # attrs class
        # CSAF $refs the FIRST schemas by the plain URLs, without the "?2017..." suffix of their ids.
        (_FIRST + "cvss-v2.0.json", _resource("csaf/cvss-v2.0.json", DRAFT4)),
        (_FIRST + "cvss-v3.0.json", _resource("csaf/cvss-v3.0.json", DRAFT4)),
        (_FIRST + "cvss-v3.1.json", _resource("csaf/cvss-v3.1.json", DRAFT7)),
        (_CSAF + "csaf_json_schema.json", _resource("csaf/csaf_json_schema.json")),
        (_CSAF + "provider_json_schema.json", _resource("csaf/provider_json_schema.json")),
    ])


def _resource(rel: str, draft: Specification[Any] | None = None) -> Resource[Any]:
    """A vendored schema as a registry resource; ``draft`` for the FIRST files, whose ``$schema`` is older."""
    if draft is None:
        return Resource.from_contents(load(rel))
    return Resource.from_contents(load(rel), default_specification=draft)


def with_osv_prefix(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A copy of the OSV schema whose ``$defs.prefix`` also accepts ``prefix``, as registering it would."""
    out = copy.deepcopy(schema)
    node = out["$defs"]["prefix"]
    pattern: str = node["pattern"]
    if not (pattern.startswith("^(") and pattern.endswith(")-")):
        raise ValueError(f"unexpected OSV $defs.prefix pattern {pattern!r}; update tests/schemas.py")
    node["pattern"] = f"^({re.escape(prefix)}|{pattern[2:]}"
    return out


def validator(rel: str, osv_prefix: str | None = None) -> Draft202012Validator:
    """A 2020-12 validator with format checking on, for a schema path relative to ``osqi_site/schemas/``.

    ``osv_prefix`` (OSV only) adds a home-database id prefix such as ``OSQI`` to an in-memory copy;
    the vendored file itself is never changed.
    """
    schema = load(rel)
    if osv_prefix is not None:
        if rel != OSV_SCHEMA:
            raise ValueError("osv_prefix applies only to the OSV schema")
        schema = with_osv_prefix(schema, osv_prefix)
    return Draft202012Validator(schema, registry=_registry(),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(rel: str, instance: object, osv_prefix: str | None = None) -> list[str]:
    """Every validation error as ``path: message``, sorted; empty when the instance is valid."""
    found = validator(rel, osv_prefix).iter_errors(instance)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found)
