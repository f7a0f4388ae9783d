"""Reproducible builds: the same sources and clock give byte-identical trees, and SHA256SUMS vouches for each file."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sitefixture import AS_OF, CANARY, make_project

from osqi_site.formats.checksums import NAME, sha256sums
from osqi_site.publish.provenance import PATH as PROVENANCE


def _tree(site: Path) -> dict[str, bytes]:
    """Every file's raw bytes (gzip files too: their header must be reproducible as well)."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _build_in_a_process_of_its_own(root: Path, site: Path, hash_seed: str) -> Path:
    """A build as a fresh ``osqi-site`` process makes it: string hashing, hence set order, seeded by ``hash_seed``."""
    code = "import sys; from osqi_site.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run([sys.executable, "-c", code, "build", "-f", str(root / "mkdocs.yml"), "-d", str(site),
                          "--as-of", AS_OF], env={**os.environ, "PYTHONHASHSEED": hash_seed}, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return site


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes], Path]:
    """Two checkouts of one project, each built cold by a process of its own with another hash seed."""
    tmp = tmp_path_factory.mktemp("repro")
    first = _build_in_a_process_of_its_own(make_project(tmp / "a"), tmp / "first", "1")
    second = _build_in_a_process_of_its_own(make_project(tmp / "b"), tmp / "second-with-another-name", "2")
    return _tree(first), _tree(second), first


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
    assert not [p for p, data in first.items() if CANARY.encode() in data]


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
