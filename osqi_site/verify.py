"""Publication invariants between two built sites: nothing published disappears or goes back in time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def continuity_problems(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> list[str]:
    """Compare two OSV ``all.json`` arrays; every broken invariant becomes one message.

    Aggregators never learn of a deletion (osv.dev does not propagate them) and skip records whose
    ``modified`` did not move forward, so each of these would leave consumers silently wrong.
    """
    before = {str(r["id"]): r for r in previous}
    after = {str(r["id"]): r for r in current}
    out = []
    for ident in sorted(before):
        old, new = before[ident], after.get(ident)
        if new is None:
            out.append(f"{ident}: was published and is gone; withdraw it instead of deleting it")
            continue
        if old.get("published") != new.get("published"):
            out.append(f"{ident}: published changed from {old.get('published')} to {new.get('published')}")
        if str(new.get("modified", "")) < str(old.get("modified", "")):
            out.append(f"{ident}: modified went backwards from {old.get('modified')} to {new.get('modified')}")
        if old.get("withdrawn") and not new.get("withdrawn"):
            out.append(f"{ident}: was withdrawn and is no longer; a withdrawal is final")
    return out
