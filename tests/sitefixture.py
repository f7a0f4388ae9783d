"""A small real site project for end-to-end tests: public, revised, withdrawn, embargoed and draft disclosures."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime
from pathlib import Path

from osqi_site import cli, scaffold
from osqi_site.core.timefmt import parse_instant

AS_OF = "2026-06-01T00:00:00Z"
"""The fixed clock: in the past, as --as-of requires, and before the embargoed disclosure's lift."""

CANARY = "ZQXCANARY"


def seal_of(ident: str, tag: str = "") -> str:
    """A fixed seal per disclosure, so that builds of two copies of the project are byte-identical."""
    return hashlib.sha256(f"seal of {ident}{tag}".encode()).hexdigest()


STARTER_SEAL = seal_of("the starter disclosure")


def disclosure_text(ident: str, *, embargo: str | None, draft: bool = False, withdrawn: str = "",
                revision: str = "", tag: str = "") -> str:
    """A valid disclosure; ``tag`` is planted in every free-text field and the body."""
    lines = [
        "---",
        f"id: {ident}",
        f"title: Heap overflow in {tag}parser chunk handling",
        *( [f"embargo_until: {embargo}"] if embargo else [] ),
        f"draft: {'true' if draft else 'false'}",
        f'seal: "{seal_of(ident, tag)}"',
        f"aliases: [CVE-2026-{int(seal_of(ident)[:8], 16) % 90000 + 10000}{tag}]" if tag else "aliases: []",
        "affected:",
        "  - ecosystem: PyPI",
        f"    package: {tag or 'public'}pkg",
        "    ranges:",
        '      - introduced: "1.0.0"',
        '        fixed: "1.2.0"',
        "severity:",
        "  - type: CVSS_V3",
        '    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"',
        "cwe: [CWE-787]",
        "credits:",
        f"  - name: Finder {tag}Person",
        "    type: FINDER",
        "references:",
        "  - type: FIX",
        f"    url: https://example.org/{tag or 'public'}/commit/abc",
        "timeline:",
        "  - date: 2026-01-02",
        "    event: discovered",
        f"    note: Noticed by {tag}fuzzing.",
        *( ["revisions:", f"  - date: {revision}", f"    summary: Corrected versions {tag}."] if revision else [] ),
        *( ["withdrawn:", f"  date: {withdrawn}", f"  reason: Duplicate report {tag}."] if withdrawn else [] ),
        "---",
        "",
        "## Summary",
        "",
        f"A {tag}summary of the overflow.",
        "",
        "## Discovery",
        "",
        f"Found while {tag}fuzzing; | table | {tag}cell |",
        "",
    ]
    return "\n".join(lines)


def init_project(tmp_path: Path, now: datetime | None = None) -> Path:
    """``tmp_path/proj`` as ``osqi-site init`` writes it at ``now`` (the fixed clock), its starter seal fixed."""
    root = tmp_path / "proj"
    scaffold.write_project(root, now or parse_instant(AS_OF), salt=lambda: STARTER_SEAL)
    return root


def make_project(tmp_path: Path) -> Path:
    """``init_project`` plus a revised, a withdrawn, an embargoed (with an attachment) and a draft disclosure,
    the last two tagged with ``CANARY``, and an attachment of a public one."""
    root = init_project(tmp_path)
    d = root / "disclosures" / "2026"
    (d / "OSQI-2026-0002.md").write_text(disclosure_text("OSQI-2026-0002", embargo="2026-03-01T12:00:00Z",
                                                     revision="2026-04-01T00:00:00Z"))
    (d / "OSQI-2026-0003.md").write_text(disclosure_text("OSQI-2026-0003", embargo="2026-02-01T00:00:00+09:00",
                                                     withdrawn="2026-05-01T00:00:00Z"))
    # Embargoed at the fixed clock (lifts a minute after it) and a draft with a past date.
    (d / "OSQI-2026-0004.md").write_text(disclosure_text("OSQI-2026-0004", embargo="2026-06-01T00:01:00Z",
                                                     tag=CANARY + "E"))
    (d / "OSQI-2026-0004").mkdir()
    (d / "OSQI-2026-0004" / f"poc-{CANARY}E.c").write_text(f"int main() {{ /* {CANARY}E */ }}\n")
    (d / "OSQI-2026-0005.md").write_text(disclosure_text("OSQI-2026-0005", embargo="2026-01-01T00:00:00Z",
                                                     draft=True, tag=CANARY + "D"))
    # A public disclosure with an attachment that must be published.
    (d / "OSQI-2026-0002").mkdir()
    (d / "OSQI-2026-0002" / "reproducer.py").write_text("print('public reproducer')\n")
    return root


def build(root: Path, site: Path, as_of: str = AS_OF, previous: Path | None = None) -> int:
    """``osqi-site build`` of ``root`` into ``site`` at ``as_of`` (extending ``previous``'s log); the exit status."""
    more = ["--previous", str(previous)] if previous else []
    return cli.main(["build", "-f", str(root / "mkdocs.yml"), "-d", str(site), "--as-of", as_of, *more])


def built(root: Path, site: Path, as_of: str = AS_OF, previous: Path | None = None) -> Path:
    """``site``, once ``build`` succeeded."""
    assert build(root, site, as_of, previous) == 0
    return site


def all_bytes(site: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(site.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            out[p.relative_to(site).as_posix()] = gzip.decompress(data) if p.suffix == ".gz" else data
    return out


def digest(site: Path) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in all_bytes(site).items()}

