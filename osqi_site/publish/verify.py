"""Publication invariants between two built sites: nothing published disappears or goes back in time, and every
change reaches importers that fetch only what is newer than their last run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

FIX = "add a revision dated now (revisions: - date: <now>, summary: what changed) and rebuild"


def continuity_problems(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> list[str]:
    """Compare two OSV ``all.json`` arrays; every broken invariant becomes one message naming the record.

    Aggregators never learn of a deletion (osv.dev does not propagate them), and osv.dev's REST importer
    fetches only records whose ``modified`` is newer than its last run. So a changed record must move its
    ``modified`` forward, and a new record must be newer than everything the previous site held: either
    failure would leave consumers silently wrong.
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
        elif _instant(new.get("modified")) < _instant(old.get("modified")):
            out.append(f"{ident}: modified went backwards from {old.get('modified')} to {new.get('modified')}")
        elif _content(old) != _content(new) and _instant(new.get("modified")) <= _instant(old.get("modified")):
            out.append(f"{ident}: the record changed but its modified stayed {new.get('modified')}, so importers "
                       f"that fetch only newer records never see the change; {FIX}")
        if old.get("withdrawn") and not new.get("withdrawn"):
            out.append(f"{ident}: was withdrawn and is no longer; a withdrawal is final")
    newest = max((_instant(r.get("modified")) for r in before.values()), default=None)
    for ident in sorted(set(after) - set(before)):
        modified = after[ident].get("modified")
        if newest is not None and _instant(modified) <= newest:
            out.append(f"{ident}: is new, but its modified {modified} is not after the newest modified of the "
                       f"previous site ({_spelled(newest)}), so importers that fetch only records modified since "
                       f"their last run would skip it; {FIX}")
    return out


def _content(record: Mapping[str, Any]) -> dict[str, Any]:
    """Everything of a record but its ``modified``: what an importer would store."""
    return {k: v for k, v in record.items() if k != "modified"}


_EPOCH = datetime.fromisoformat("0001-01-01T00:00:00+00:00")


def _instant(value: Any) -> datetime:
    """An OSV timestamp (``…Z``); anything unreadable sorts first, so it can never pass for a newer change."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return _EPOCH
    return moment if moment.tzinfo is not None else _EPOCH


def _spelled(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
