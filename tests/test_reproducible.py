"""Reproducible builds: the same sources and clock give byte-identical trees, and SHA256SUMS vouches for each file."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from factory import disclosure_text

from osqi_site import cli, scaffold
from osqi_site.core.timefmt import parse_instant
from osqi_site.formats.checksums import NAME, sha256sums
from osqi_site.publish.provenance import PATH as PROVENANCE

AS_OF = "2026-06-01T00:00:00Z"
"""A fixed past clock: after the public disclosures below, before the embargoed one lifts."""

WITHHELD = "ZQXWITHHELDMARKER"
TIMELINE = [{"date": "2025-12-01", "event": "discovered"}]


def _project(tmp_path: Path) -> Path:
    """The scaffold's project plus a revised, a withdrawn, an embargoed and a draft disclosure."""
    root = tmp_path / "proj"
    scaffold.write_project(root, parse_instant(AS_OF), salt=lambda: "1" * 64)  # the same bytes every time
    year = root / "disclosures" / "2026"
    (year / "OSQI-2026-0002.md").write_text(disclosure_text(
        id="OSQI-2026-0002", seal="2" * 64, embargo_until="2026-02-01T09:00:00Z", timeline=TIMELINE,
        revisions=[{"date": "2026-03-01T10:00:00Z", "summary": "Added the fixed version."}]), encoding="utf-8")
    (year / "OSQI-2026-0003.md").write_text(disclosure_text(
        id="OSQI-2026-0003", seal="3" * 64, embargo_until="2026-02-02T09:00:00Z",
        timeline=TIMELINE, aliases=["CVE-2026-22222"],
        withdrawn={"date": "2026-04-01T00:00:00Z", "reason": "Duplicate of OSQI-2026-0002."}), encoding="utf-8")
    (year / "OSQI-2026-0004.md").write_text(disclosure_text(
        id="OSQI-2026-0004", seal="4" * 64, embargo_until="2026-09-01T00:00:00Z",
        timeline=TIMELINE, aliases=["CVE-2026-33333"],
        title=f"Embargoed {WITHHELD} overflow"), encoding="utf-8")
    (year / "OSQI-2026-0005.md").write_text(disclosure_text(
        id="OSQI-2026-0005", seal="5" * 64, embargo_until="2026-01-01T00:00:00Z",
        timeline=TIMELINE, aliases=["CVE-2026-44444"],
        draft=True, title=f"Draft {WITHHELD} overflow"), encoding="utf-8")
    return root


def _build(root: Path, site: Path) -> None:
    assert cli.main(["build", "-f", str(root / "mkdocs.yml"), "-d", str(site), "--as-of", AS_OF]) == 0


def _tree(site: Path) -> dict[str, bytes]:
    """Every file's raw bytes (gzip files too: their header must be reproducible as well)."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes], Path]:
    tmp = tmp_path_factory.mktemp("repro")
    root = _project(tmp)
    _build(root, tmp / "first")
    _build(root, tmp / "second-with-another-name")
    return _tree(tmp / "first"), _tree(tmp / "second-with-another-name"), tmp / "first"


def test_two_builds_are_byte_identical(builds: tuple[dict[str, bytes], dict[str, bytes], Path]) -> None:
    first, second, _ = builds
    assert sorted(first) == sorted(second)
    assert [p for p in first if first[p] != second[p]] == []


def test_build_has_the_machine_readable_outputs(builds: tuple[dict[str, bytes], dict[str, bytes], Path]) -> None:
    first, _, _ = builds
    for path in (NAME, ".well-known/security.txt", ".well-known/csaf/provider-metadata.json",
                 ".well-known/csaf/index.txt", ".well-known/csaf/changes.csv", ".well-known/csaf/index.html",
                 ".well-known/csaf/2026/osqi-2026-0002.json", ".well-known/csaf/2026/osqi-2026-0003.json",
                 "osv/all.json", "feed.xml", "atom.xml", "feed.json"):
        assert path in first, path
    assert not any("osqi-2026-0004" in p or "osqi-2026-0005" in p for p in first)
    assert not [p for p, data in first.items() if WITHHELD.encode() in data]


def test_sha256sums_lists_every_other_file_with_its_hash(
        builds: tuple[dict[str, bytes], dict[str, bytes], Path]) -> None:
    first, _, _ = builds
    text = first[NAME].decode("utf-8")
    assert text.endswith("\n") and "\r" not in text
    entries = [re.fullmatch(r"([0-9a-f]{64})  (.+)", line) for line in text.splitlines()]
    assert all(entries), "every line is <64 hex>, two spaces, path"
    listed = {m.group(2): m.group(1) for m in entries if m}
    assert [m.group(2) for m in entries if m] == sorted(listed)
    # Not the files made from SHA256SUMS itself: the provenance names its digest (unsigned: no signatures).
    assert set(listed) == set(first) - {NAME, PROVENANCE}
    for path, digest in listed.items():
        assert hashlib.sha256(first[path]).hexdigest() == digest, path


def test_sha256sum_tool_accepts_it(builds: tuple[dict[str, bytes], dict[str, bytes], Path]) -> None:
    _, _, site = builds
    tool = shutil.which("sha256sum")
    if tool is None:
        pytest.skip("GNU sha256sum is not installed")
    run = subprocess.run([tool, "--check", "--strict", "--quiet", NAME], cwd=site, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_sha256sums_format() -> None:
    files = {"b/x.json": b"{}\n", "a.txt": b"", NAME: b"old"}
    assert sha256sums(files) == (
        f"{hashlib.sha256(b'').hexdigest()}  a.txt\n{hashlib.sha256(b'{}' + bytes([10])).hexdigest()}  b/x.json\n"
    ).encode()
    assert sha256sums({}) == b""


def test_sha256sums_escapes_names_like_gnu_sha256sum(tmp_path: Path) -> None:
    tool = shutil.which("sha256sum")
    if tool is None:
        pytest.skip("GNU sha256sum is not installed")
    name = "odd\nname\\x"
    (tmp_path / name).write_bytes(b"data")
    expected = subprocess.run([tool, name], cwd=tmp_path, capture_output=True, check=True).stdout
    assert sha256sums({name: b"data"}) == expected
