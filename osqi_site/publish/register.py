"""The embargo register: commitments to withheld disclosures, their reveal, and the checks anyone can make of them."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from osqi_site.core.gate import Publication
from osqi_site.core.timefmt import InstantError, iso_z, parse_instant

PATH = "embargoes/register.json"
PAGE = "embargoes/index.md"
DOMAIN = b"osqi-embargo-register-v1\0"
"""The domain tag that starts every commitment's input, so the hash cannot stand for anything else."""
SLOT = "<!--osqi-seal-->"
"""Where a disclosure page's reveal goes (its template writes it as a block); always replaced, never published."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def commitment(seal: str, ident: str) -> str:
    """SHA-256 hex of ``DOMAIN + seal + b"\\0" + id``: the seal as its 64 ASCII hex digits, the ID in UTF-8.

    A reader checks one with ``printf 'osqi-embargo-register-v1\\0%s\\0%s' SEAL ID | sha256sum``. The salt
    (256 random bits) is what keeps the ID from being guessed by hashing every possible one.
    """
    return hashlib.sha256(DOMAIN + seal.encode("ascii") + b"\0" + ident.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Revealed:
    id: str
    seal: str
    commitment: str
    since: str | None
    """The as-of instant of the log entry where the commitment first appeared; None if it never did."""


@dataclass(frozen=True)
class Register:
    now: datetime
    open: tuple[tuple[str, str], ...]
    """``(first seen, commitment)`` of every withheld, not draft, sealed disclosure, sorted."""
    revealed: tuple[Revealed, ...]
    """Every public disclosure with a seal, by ID."""


def open_commitments(pub: Publication) -> list[str]:
    """The commitments of the withheld disclosures that are embargoed (not drafts) and sealed."""
    return sorted(commitment(d.seal, d.id) for d in pub.withheld if not d.draft and d.seal)


def first_seen(entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Commitment → the as-of instant of the first history entry that lists it under ``sealed``."""
    seen: dict[str, str] = {}
    for entry in entries:
        sealed = entry.get("sealed")
        for c in sealed if isinstance(sealed, list) else ():  # a malformed log is reported by history.parse
            if isinstance(c, str):
                seen.setdefault(c, entry["as_of"])
    return seen


def make(pub: Publication, entries: Sequence[Mapping[str, Any]]) -> Register:
    """The register at ``pub.now`` from the log before this build: a commitment the log has not seen yet is
    first seen now, by the entry this build adds (``history.next_entry`` with ``sealed``)."""
    seen = first_seen(entries)
    now = iso_z(pub.now)
    opened = tuple(sorted((seen.get(c, now), c) for c in open_commitments(pub)))
    revealed = tuple(Revealed(d.id, d.seal, c, seen.get(c)) for d in pub.public if d.seal
                     for c in [commitment(d.seal, d.id)])
    return Register(pub.now, opened, revealed)


def dump(reg: Register) -> bytes:
    """``/embargoes/register.json``: open commitments (oldest first) and the revealed ones; no build time."""
    doc = {"domain": DOMAIN.rstrip(b"\0").decode(),
           "open": [{"commitment": c, "sealed_since": since} for since, c in reg.open],
           "revealed": [{"id": r.id, "seal": r.seal, "commitment": r.commitment, "sealed_since": r.since}
                        for r in reg.revealed]}
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _days(since: str, now: datetime) -> int:
    return (now - parse_instant(since)).days


def pages_reveals(reg: Register, embargo_until: Mapping[str, datetime]) -> dict[str, str]:
    """``disclosures/<ID>.md`` → its reveal HTML; ``embargo_until`` gives how long each was held."""
    out = {}
    for r in reg.revealed:
        held = (f'Sealed since <time datetime="{html.escape(r.since)}">{html.escape(r.since[:10])}</time>, '
                f"held {max(0, _days(r.since, embargo_until[r.id]))} days until its embargo lifted"
                if r.since else "Not on the embargo register before publication")
        out[f"disclosures/{r.id}.md"] = (
            f'<h2 id="embargo-register">Embargo register</h2>\n<p class="osqi-seal">{held}. '
            f'Seal <code>{r.seal}</code>; commitment <code>{r.commitment}</code> '
            f'(<a href="../../embargoes/">how to check</a>).</p>')
    return out


def page(reg: Register, max_days: int) -> Any:
    """``/embargoes/``: the open commitments and their age, those older than ``max_days`` marked."""
    from osqi_site.pages.generated import NOT_SEARCHED, Page, _front_matter, block_key

    rows = []
    for since, c in reg.open:
        days = _days(since, reg.now)
        late = days > max_days
        mark = ' class="osqi-register__late"' if late else ""
        rows.append(f"<tr{mark}><td><code>{c}</code></td>"
                    f'<td><time datetime="{html.escape(since)}">{html.escape(since[:10])}</time></td>'
                    f"<td>{days}{' (over ' + str(max_days) + ')' if late else ''}</td></tr>")
    table = ('<table class="osqi-register"><thead><tr><th>Commitment</th><th>Sealed since</th><th>Age (days)</th>'
             "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>") if rows else \
        "<p>No embargo is open: the institute holds no undisclosed vulnerability.</p>"
    placeholder = f"<!--osqi-block:{block_key(PAGE)}:0-->"
    fm = _front_matter(title="Embargo register", search=NOT_SEARCHED, hide=["toc"],
                       description="Commitments to every vulnerability the institute holds under embargo.")
    count = len(reg.open)
    text = (f"---\n{fm}\n---\n\n# Embargo register\n\nThe institute keeps one kind of secret: a vulnerability "
            f"under embargo. It holds **{count}** now. For each it publishes only a commitment, the SHA-256 of "
            "`osqi-embargo-register-v1`, a zero byte, the disclosure's random seal (64 hex digits), a zero "
            "byte and its ID, with the date the commitment first appeared in the "
            "[publication history](../history/index.md); "
            "nothing else. When the embargo lifts, the disclosure's page reveals the seal, and anyone can check "
            "it: `printf 'osqi-embargo-register-v1\\0%s\\0%s' SEAL ID | sha256sum`. Ages over the policy "
            f"maximum of {max_days} days are marked. Machine-readable: [`register.json`](register.json); "
            "`osqi-site audit` checks every reveal and that no commitment vanished without one.\n\n"
            f"{placeholder}\n")
    return Page(PAGE, text, ((placeholder, table),))


def parse(data: bytes, where: str = PATH) -> tuple[list[str], list[Revealed], list[str]]:
    """The open commitments, the reveals and the problems of a ``register.json``."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        return [], [], [f"{where}: not JSON: {e}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("open"), list) or not isinstance(doc.get("revealed"), list):
        return [], [], [f"{where}: must be an object with the lists 'open' and 'revealed'"]
    problems: list[str] = []
    opened = [o["commitment"] for o in doc["open"] if isinstance(o, dict) and _hex(o.get("commitment"))]
    if len(opened) != len(doc["open"]):
        problems.append(f"{where}: an open entry is not {{commitment, sealed_since}} with a SHA-256 in hex")
    revealed = []
    for r in doc["revealed"]:
        if not (isinstance(r, dict) and isinstance(r.get("id"), str) and _hex(r.get("seal"))
                and _hex(r.get("commitment")) and (r.get("sealed_since") is None or _instant(r["sealed_since"]))):
            problems.append(f"{where}: a revealed entry is not {{id, seal, commitment, sealed_since}}")
            continue
        revealed.append(Revealed(r["id"], r["seal"], r["commitment"], r["sealed_since"]))
    return opened, revealed, problems


def _hex(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.fullmatch(value))


def _instant(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_instant(value)
    except (InstantError, ValueError):
        return False
    return True


def reveal_problems(revealed: Sequence[Revealed]) -> list[str]:
    """A problem for every reveal whose seal and ID do not hash to its commitment."""
    return [f"{PATH}: {r.id}: the revealed seal does not match its commitment {r.commitment}"
            for r in revealed if commitment(r.seal, r.id) != r.commitment]


def vanished(known: Iterable[str], opened: Iterable[str], revealed: Sequence[Revealed], source: str) -> list[str]:
    """A problem for every commitment of ``known`` (from ``source``) neither open nor revealed now: a secret
    the institute held and dropped without ever disclosing it."""
    accounted = set(opened) | {r.commitment for r in revealed if commitment(r.seal, r.id) == r.commitment}
    return [f"{PATH}: commitment {c} (in {source}) is neither open nor revealed: a secret was dropped"
            for c in sorted(set(known) - accounted)]
