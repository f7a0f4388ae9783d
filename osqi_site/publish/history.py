"""The append-only public history: ``/history/log.json``, a hash chain of what each deploy published."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from osqi_site.core import readjson
from osqi_site.core.timefmt import InstantError, iso_z, parse_instant

PATH = "history/log.json"
PAGE = "history/index.md"
CONTENT = "osv/all.json"
"""The published content an entry's digest stands for: every public record, withdrawn ones included."""
KINDS = ("published", "revised", "withdrawn")
KEYS = frozenset({"n", "as_of", "content", "previous", *KINDS, "removed"})
SEALED = "sealed"
"""The optional key of an entry listing the embargo register's commitments that first appeared with it
(``register.py``): present only when there are some, so a site without the register keeps its entries' shape."""

Entry = dict[str, Any]
State = dict[str, tuple[str, bool]]
"""ID → (modified, withdrawn) of every record the log says is published."""


class LogError(ValueError):
    """The log given as the previous one cannot be extended (malformed, or its chain is broken)."""


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 of the entry's canonical JSON (sorted keys, no spaces): what the next entry's ``previous`` holds."""
    return hashlib.sha256(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def dump(entries: Sequence[Entry]) -> bytes:
    """The log file: a JSON array, oldest entry first, one entry per line so a diff shows the new one."""
    lines = [json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for e in entries]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8") if lines else b"[]\n"


def parse(data: bytes, where: str = PATH) -> tuple[list[Entry], list[str]]:
    """The entries of a log and every problem of it: shape, numbering, time order and the hash chain."""
    try:
        entries = readjson.loads(data)  # a previous site's file: bounded in size and depth
    except readjson.JSONInputError as e:
        return [], [f"{where}: {e}"]
    if not isinstance(entries, list):
        return [], [f"{where}: not a JSON array of entries"]
    problems: list[str] = []
    previous = ""
    last_time: datetime | None = None
    for i, entry in enumerate(entries):
        at = f"{where}: entry {i}"
        if not isinstance(entry, dict) or set(entry) - {SEALED} != KEYS:
            problems.append(f"{at}: must have exactly the keys {', '.join(sorted(KEYS))} (and {SEALED})")
            previous = entry_hash(entry) if isinstance(entry, dict) else ""
            continue
        if entry["n"] != i:
            problems.append(f"{at}: numbered {entry['n']!r}, expected {i}: entries were removed or reordered")
        if entry["previous"] != previous:
            problems.append(f"{at}: 'previous' is not the hash of entry {i - 1}: an earlier entry was changed, "
                            "removed or reordered" if i else f"{at}: the first entry must have an empty 'previous'")
        when = _instant(entry["as_of"])
        if when is None:
            problems.append(f"{at}: as_of {entry['as_of']!r} is not an RFC 3339 instant")
        elif last_time is not None and when < last_time:
            problems.append(f"{at}: as_of {entry['as_of']} is earlier than the entry before it")
        last_time = when or last_time
        problems.extend(f"{at}: {p}" for p in _shape_problems(entry))
        previous = entry_hash(entry)
    return entries, problems


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_instant(value)
    except InstantError:
        return None


def _shape_problems(entry: Entry) -> list[str]:
    problems = []
    if not isinstance(entry["content"], str) or len(entry["content"]) != 64:
        problems.append("content must be a SHA-256 in hex")
    for kind in KINDS:
        items = entry[kind]
        if not isinstance(items, list) or not all(
                isinstance(x, dict) and set(x) == {"id", "modified"} and all(isinstance(v, str) for v in x.values())
                for x in items):
            problems.append(f"{kind} must be a list of {{id, modified}}")
    if not isinstance(entry["removed"], list) or not all(isinstance(x, str) for x in entry["removed"]):
        problems.append("removed must be a list of IDs")
    if SEALED in entry and (not isinstance(entry[SEALED], list) or not entry[SEALED] or not all(
            isinstance(x, str) and len(x) == 64 and all(c in "0123456789abcdef" for c in x) for x in entry[SEALED])):
        problems.append(f"{SEALED} must be a non-empty list of SHA-256 commitments in hex")
    return problems


def state(entries: Sequence[Entry]) -> State:
    """What the log says is published after its last entry."""
    out: State = {}
    for entry in entries:
        for kind in KINDS:
            for item in entry[kind]:
                out[item["id"]] = (item["modified"], kind == "withdrawn" or (kind == "revised" and
                                                                             out.get(item["id"], ("", False))[1]))
        for ident in entry["removed"]:
            out.pop(ident, None)
    return out


def published_state(all_json: bytes) -> State:
    """ID → (modified, withdrawn) of every record of ``osv/all.json``: what this build publishes."""
    records = orjson.loads(all_json)  # the whole array of every public record: the fast parser
    return {r["id"]: (r["modified"], "withdrawn" in r) for r in records}


def next_entry(entries: Sequence[Entry], current: State, content: bytes, as_of: datetime,
               sealed: Collection[str] = ()) -> Entry | None:
    """The entry this build adds, or None when the published content is the last entry's and no commitment of
    ``sealed`` (the embargo register's open ones) is new to the log: nothing to log."""
    digest = hashlib.sha256(content).hexdigest()
    logged = {c for e in entries for c in e.get(SEALED, ())}
    new = sorted(set(sealed) - logged)
    if entries and entries[-1]["content"] == digest and not new:
        return None
    when = iso_z(as_of)
    if entries and parse_instant(entries[-1]["as_of"]) > as_of:
        raise LogError(f"the build's clock {when} is earlier than the log's last entry ({entries[-1]['as_of']}); "
                       "the history cannot go back in time")
    before = state(entries)
    changes: dict[str, list[dict[str, str]]] = {kind: [] for kind in KINDS}
    for ident, (modified, withdrawn) in sorted(current.items()):
        old = before.get(ident)
        if old is None:
            changes["published"].append({"id": ident, "modified": modified})
            if withdrawn:
                changes["withdrawn"].append({"id": ident, "modified": modified})
        elif withdrawn and not old[1]:
            changes["withdrawn"].append({"id": ident, "modified": modified})
        elif old[0] != modified:
            changes["revised"].append({"id": ident, "modified": modified})
    return {"n": len(entries), "as_of": when, "content": digest,
            "previous": entry_hash(entries[-1]) if entries else "", **changes,
            "removed": sorted(set(before) - set(current)), **({SEALED: new} if new else {})}


def extends(old: Sequence[Entry], new: Sequence[Entry]) -> list[str]:
    """Problems unless ``new`` holds every entry of ``old``, unchanged and in order, before its own."""
    if len(new) < len(old):
        return [f"{PATH}: the new log has {len(new)} entries, the previous one {len(old)}: entries were removed"]
    return [f"{PATH}: entry {i} differs from the previous log's: the published history was rewritten"
            for i, (a, b) in enumerate(zip(old, new, strict=False)) if entry_hash(a) != entry_hash(b)][:1]


def content_problem(entries: Sequence[Entry], content: bytes) -> str | None:
    """A problem unless the log's last entry names exactly this published content."""
    if not entries:
        return f"{PATH}: empty, yet the site publishes {CONTENT}"
    if entries[-1]["content"] != hashlib.sha256(content).hexdigest():
        return f"{PATH}: the last entry's content digest is not that of {CONTENT}: the log does not describe this site"
    return None


def page_html(entries: Sequence[Entry]) -> str:
    """The /history/ page's HTML: each entry, newest first, then each disclosure's entries (by anchor)."""
    rows = []
    for e in reversed(entries):
        changes = "; ".join(
            f"{kind}: " + ", ".join(f'<a href="#{html.escape(x["id"])}">{html.escape(x["id"])}</a>' for x in e[kind])
            for kind in KINDS if e[kind])
        if e["removed"]:
            changes += ("; " if changes else "") + "removed: " + ", ".join(html.escape(x) for x in e["removed"])
        if e.get(SEALED):
            n = len(e[SEALED])
            sealed = f'<a href="../embargoes/">{n} embargo{"es" if n != 1 else ""} sealed</a>'
            changes += ("; " if changes else "") + sealed
        rows.append(f'<tr id="entry-{e["n"]}"><td>{e["n"]}</td><td><time datetime="{html.escape(e["as_of"])}">'
                    f'{html.escape(e["as_of"])}</time></td><td>{changes or "—"}</td>'
                    f'<td><code>{html.escape(e["content"][:16])}</code></td></tr>')
    by_id: dict[str, list[tuple[int, str]]] = {}
    for e in entries:
        for kind in KINDS:
            for x in e[kind]:
                by_id.setdefault(x["id"], []).append((e["n"], kind))
    sections = [f'<li id="{html.escape(i)}"><strong>{html.escape(i)}</strong>: '
                + ", ".join(f'<a href="#entry-{n}">{kind} in entry {n}</a>' for n, kind in found) + "</li>"
                for i, found in sorted(by_id.items())]
    return ('<table class="osqi-history"><thead><tr><th>Entry</th><th>As of</th><th>Changes</th>'
            "<th>Content digest</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>\n"
            "<h2 id=\"by-disclosure\">By disclosure</h2>\n<ul class=\"osqi-history-ids\">" + "".join(sections)
            + "</ul>")


def page(entries: Sequence[Entry]) -> Any:
    """``/history/``: the log for people; the HTML goes in as a block after the Markdown is converted."""
    from osqi_site.pages.generated import NOT_SEARCHED, Page, _front_matter, block_key

    placeholder = f"<!--osqi-block:{block_key(PAGE)}:0-->"
    fm = _front_matter(title="Publication history", search=NOT_SEARCHED, hide=["toc"],
                       description="Every deploy of this site: what it published, revised and withdrawn.")
    text = (f"---\n{fm}\n---\n\n# Publication history\n\nEach deploy that changed what this site publishes adds "
            "one entry to [`log.json`](log.json): its instant, the disclosures it published, revised or withdrawn, "
            "the SHA-256 of `osv/all.json` and the hash of the entry before it, so no entry can be changed, "
            "removed or reordered without breaking the chain. `osqi-site audit` checks it.\n\n"
            f"{placeholder}\n")
    return Page(PAGE, text, ((placeholder, page_html(entries)),))
