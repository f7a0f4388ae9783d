"""JSON from outside this build (a previous site's log and OSV index): read within bounds of size and depth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

MAX_BYTES = 256 << 20
"""A previous site's ``osv/all.json`` of 10,000 disclosures is tens of MB; anything far larger is refused."""
MAX_DEPTH = 64
"""Nesting levels of arrays and objects; the files read here need five. Python's ``json`` recurses per level
(100,000 ``[`` raise RecursionError), and so do ``json.dumps`` and hashing of what was read."""


class JSONInputError(ValueError):
    """The input is not JSON this publisher reads: malformed, too large or too deeply nested (one line)."""


def loads(data: bytes) -> Any:
    """The value of ``data``, or ``JSONInputError``; never a RecursionError, whatever the bytes."""
    if len(data) > MAX_BYTES:
        raise JSONInputError(f"{len(data)} bytes is over the {MAX_BYTES}-byte limit")
    try:
        value = orjson.loads(data)  # iterative parser with its own depth limit: no recursion on hostile input
    except orjson.JSONDecodeError as e:
        raise JSONInputError(f"not JSON: {e}") from None
    if _depth_over(value, MAX_DEPTH):
        raise JSONInputError(f"nested more than {MAX_DEPTH} levels deep")
    return value


def read(path: Path) -> Any:
    """``loads`` of a file, reading no more than one byte past the limit; OSError as it comes."""
    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise JSONInputError(f"over the {MAX_BYTES}-byte limit")
    return loads(data)


def _depth_over(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels; a loop over a stack, never recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
