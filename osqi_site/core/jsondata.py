"""Free-form JSON data from frontmatter (OSV ``ecosystem_specific`` / ``database_specific``): checked, then frozen."""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

MAX_DEPTH = 8
"""Nesting levels below the mapping itself; Go's affected symbols need three."""
MAX_NODES = 2000
"""Values in all (every mapping, list, string and number counts one)."""
MAX_BYTES = 32 * 1024
"""Size of the canonical JSON text: far above any real ecosystem_specific, far below a denial of service."""
_SAFE_INT = 2**53 - 1
"""Integers every JSON reader keeps exactly (RFC 8259 §6 interoperability)."""


def freeze(value: Any) -> tuple[str | None, str | None]:
    """``(canonical JSON text, None)`` for a mapping of plain JSON data, else ``(None, why not)``.

    The text (sorted keys, no spaces) is what the model keeps: immutable, hashable and the same bytes for the
    same data, so the outputs and their cache keys never depend on the order the author wrote the keys in.
    """
    if not isinstance(value, dict):
        return None, f"must be a mapping of field: value, not {type(value).__name__}"
    nodes = [0]
    problem = _check(value, "", 0, nodes)
    if problem is not None:
        return None, problem
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, f"is {len(text.encode('utf-8'))} bytes as JSON; keep it under {MAX_BYTES}"
    return text, None


def thaw(text: str) -> dict[str, Any]:
    """The mapping back from its canonical text, for the exports."""
    data: dict[str, Any] = json.loads(text)
    return data


def _check(value: Any, at: str, depth: int, nodes: list[int]) -> str | None:
    nodes[0] += 1
    if nodes[0] > MAX_NODES:
        return f"holds more than {MAX_NODES} values; keep it small"
    if depth > MAX_DEPTH:
        return f"{_where(at)}nests deeper than {MAX_DEPTH} levels"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                return f"{_where(at)}has a key {key!r} that is not a non-empty string (quote it)"
            bad = _control(key)
            if bad:
                return f"{_where(at)}key {key!r} holds the control character {bad}"
            found = _check(item, f"{at}.{key}", depth + 1, nodes)
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _check(item, f"{at}[{i}]", depth + 1, nodes)
            if found is not None:
                return found
        return None
    if isinstance(value, str):
        bad = _control(value)
        return f"{_where(at)}holds the control character {bad}" if bad else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if abs(value) <= _SAFE_INT else f"{_where(at)}is an integer beyond 2^53; write it as a string"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{_where(at)}is not a finite number"
    # YAML reads unquoted dates and timestamps as such; JSON has no such type.
    return f"{_where(at)}is {type(value).__name__}, not JSON data (quote it to make it a string)"


def _control(text: str) -> str | None:
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def _where(at: str) -> str:
    return f"at {at.lstrip('.')}: " if at else ""
