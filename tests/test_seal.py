"""The final gate over a built site: digests for SHA256SUMS and the leak scan, with earlier verdicts reused."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from osqi_site.build import verdicts
from osqi_site.formats import checksums

MARKERS = ("OSQI-2026-0009", "Secret title of an embargoed bug")


def _site(tmp_path: Path, files: dict[str, bytes]) -> list[str]:
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return sorted(files)


def test_digests_match_sha256sums_and_leaks_are_found(tmp_path: Path) -> None:
    files = {"a.html": b"public", "b/c.json": b'{"id": "OSQI-2026-0009"}',
             "d.xml.gz": gzip.compress(b"<t>Secret title of an embargoed bug</t>", mtime=0)}
    result = verdicts.seal(tmp_path, _site(tmp_path, files), MARKERS, parallel=False)
    assert checksums.from_digests(result.digests) == checksums.sha256sums(files)
    assert result.leaks == ("b/c.json: OSQI-2026-0009", "d.xml.gz: Secret title of an embargoed bug")
    assert result.clean == {verdicts.clean_key("a.html", hashlib.sha256(b"public").hexdigest())}


def test_a_changed_file_is_scanned_again_despite_earlier_verdicts(tmp_path: Path) -> None:
    paths = _site(tmp_path, {"page.html": b"nothing withheld here"})
    first = verdicts.seal(tmp_path, paths, MARKERS, parallel=False)
    assert not first.leaks
    (tmp_path / "page.html").write_bytes(b"now it names OSQI-2026-0009")
    second = verdicts.seal(tmp_path, paths, MARKERS, known_clean=first.clean, parallel=False)
    assert second.leaks == ("page.html: OSQI-2026-0009",)


def test_clean_key_tells_gzip_apart() -> None:
    assert verdicts.clean_key("x.gz", "d") != verdicts.clean_key("x", "d")


def test_parallel_and_serial_agree(tmp_path: Path) -> None:
    files = {f"p{i:04d}.html": (b"OSQI-2026-0009" if i % 97 == 0 else b"fine %d" % i) for i in range(600)}
    paths = _site(tmp_path, files)
    serial = verdicts.seal(tmp_path, paths, MARKERS, parallel=False)
    assert verdicts.seal(tmp_path, paths, MARKERS, parallel=True) == serial


def test_verdict_set_is_the_marker_set_and_the_code() -> None:
    first = verdicts.verdict_set(["b", "a", "a"], "code1")
    assert first == verdicts.verdict_set(["a", "b"], "code1")
    assert first != verdicts.verdict_set(["a", "b", "c"], "code1")
    assert first != verdicts.verdict_set(["a"], "code1")
    assert first != verdicts.verdict_set(["a", "b"], "code2")
