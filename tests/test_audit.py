"""audit: a signed site passes from a folder and over HTTP; each tampering is reported, one line per problem."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest
from gpgkey import ThrowawayKey, drop_key, make_key
from sitefixture import build, make_project

from osqi_site import cli
from osqi_site.publish import audit, history, provenance, signing


@pytest.fixture(scope="module")
def signed_site(tmp_path_factory: pytest.TempPathFactory, test_key: ThrowawayKey) -> Path:
    tmp = tmp_path_factory.mktemp("audit")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in test_key.env().items():
            mp.setenv(name, value)
        assert build(make_project(tmp), tmp / "site") == 0
    return tmp / "site"


@pytest.fixture()
def copy(signed_site: Path, tmp_path: Path) -> Path:
    shutil.copytree(signed_site, tmp_path / "copy", symlinks=True)
    return tmp_path / "copy"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["audit", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_signed_site_passes(signed_site: Path, test_key: ThrowawayKey, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(signed_site))
    assert (code, err) == (0, "")
    assert f"signed by the OpenPGP key {signing.spaced(test_key.fingerprint)} (compare" in out
    assert "files match SHA256SUMS" in out and f"{provenance.PATH} speaks of this SHA256SUMS" in out
    code, out, err = run(capsys, str(signed_site), "--fingerprint", test_key.fingerprint.lower())
    assert (code, err) == (0, "")


def test_over_http(signed_site: Path, test_key: ThrowawayKey, capsys: pytest.CaptureFixture[str]) -> None:
    handler = functools.partial(_QuietHandler, directory=str(signed_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        code, out, err = run(capsys, url, "--fingerprint", test_key.fingerprint)
        assert (code, err) == (0, "")
        assert "files match SHA256SUMS" in out
        (signed_site / "robots-extra.txt").write_text("x")  # a folder audit would see it; HTTP cannot list
        try:
            assert run(capsys, url)[0] == 0
        finally:
            (signed_site / "robots-extra.txt").unlink()
        code, _, err = run(capsys, url.rstrip("/") + "/nowhere/")
        assert code == 1 and "SHA256SUMS: missing" in err
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_changed_byte_in_a_page_is_reported(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = copy / "disclosures" / "OSQI-2026-0002" / "index.html"
    data = bytearray(page.read_bytes())
    data[len(data) // 2] ^= 1
    page.write_bytes(bytes(data))
    code, _, err = run(capsys, str(copy))
    assert code == 1
    assert err == "disclosures/OSQI-2026-0002/index.html: its SHA-256 differs from SHA256SUMS: changed after it " \
                  "was published\n"


def test_a_rewritten_sums_file_fails_the_signature(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = copy / "index.html"
    page.write_bytes(page.read_bytes() + b"<!-- planted -->")
    sums = copy / "SHA256SUMS"
    import hashlib
    lines = [f"{hashlib.sha256(page.read_bytes()).hexdigest()}  index.html" if line.endswith("  index.html")
             else line for line in sums.read_text().splitlines()]
    sums.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, str(copy))
    assert code == 1
    assert "SHA256SUMS.asc: does not verify SHA256SUMS" in err
    assert f"{provenance.PATH}: its subject is not this SHA256SUMS" in err


def test_another_key_is_reported_against_the_fingerprint(copy: Path, test_key: ThrowawayKey,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    other = make_key("Mallory <m@example.org>")
    try:
        gpg = signing.Gpg(other.home)
        key = signing.find_key(gpg, other.fingerprint)
        sums = (copy / "SHA256SUMS").read_bytes()
        (copy / "SHA256SUMS.asc").write_bytes(signing.detached(gpg, key, sums, signing.signing_time(key.created, key)))
        (copy / signing.KEY_PATH).write_bytes(key.public)
    finally:
        drop_key(other)
    code, _, err = run(capsys, str(copy), "--fingerprint", test_key.fingerprint)
    assert code == 1 and f"made by the key {other.fingerprint}, not {test_key.fingerprint}" in err
    code, out, _ = run(capsys, str(copy))  # without a fingerprint, the reader is shown the key to compare
    assert signing.spaced(other.fingerprint) in out


@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: (s / "feed.xml").unlink(), "feed.xml: listed in SHA256SUMS but missing"),
    (lambda s: (s / "extra.html").write_text("<p>unvouched</p>"),
     "extra.html: on the site but not in SHA256SUMS: nobody vouches for it"),
    (lambda s: (s / "SHA256SUMS.asc").unlink(), "SHA256SUMS.asc: missing: the site is not signed"),
    (lambda s: (s / provenance.PATH).write_bytes(b"{}"), f"{provenance.PATH}: not an in-toto Statement v1"),
    (lambda s: (s / provenance.PATH).unlink(), f"{provenance.PATH}: missing"),
    (lambda s: (s / ".well-known" / "security.txt").write_bytes(
        (s / ".well-known" / "security.txt").read_bytes().replace(b"Contact: mailto:", b"Contact: mailto:x", 1)),
     ".well-known/security.txt: its cleartext signature does not verify"),
    (lambda s: (s / "SHA256SUMS").write_bytes((s / "SHA256SUMS").read_bytes() + b"nonsense\n"),
     "not '<sha256>  <path>'"),
    (lambda s: (s / "SHA256SUMS").write_bytes((s / "SHA256SUMS").read_bytes() + b"0" * 64 + b"  ../outside\n"),
     "../outside: cannot be read: refused"),
])
def test_each_tampering_is_reported(copy: Path, change: object, expected: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert callable(change)
    change(copy)
    code, _, err = run(capsys, str(copy))
    assert code == 1 and expected in err, err


def test_a_symbolic_link_in_the_site_is_refused(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = copy / "feed.xml"
    moved = copy.parent / "feed.xml"
    target.rename(moved)
    target.symlink_to(moved)
    code, _, err = run(capsys, str(copy))
    assert code == 1 and "feed.xml: cannot be read: refused" in err


def test_sums_lines_are_read_as_sha256sum_writes_them() -> None:
    data = b"%s  a b.html\n\\%s  we\\\\ird\\nname\n" % (b"1" * 64, b"2" * 64)
    assert audit.parse_sums(data) == ({"a b.html": "1" * 64, "we\\ird\nname": "2" * 64}, [])
    assert audit.parse_sums(b"%s  x\n%s  x\n" % (b"1" * 64, b"1" * 64))[1] == ["SHA256SUMS:2: x is listed twice"]


def test_not_a_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "none"))
    assert code == 1 and "not a site folder" in err


@pytest.fixture(scope="module")
def two_deploys(tmp_path_factory: pytest.TempPathFactory, test_key: ThrowawayKey) -> tuple[Path, Path]:
    """Two signed deploys: one at the fixed clock, one after an embargo lifted, built with --previous."""
    tmp = tmp_path_factory.mktemp("deploys")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in test_key.env().items():
            mp.setenv(name, value)
        root = make_project(tmp)
        assert build(root, tmp / "one") == 0
        assert cli.main(["build", "-f", str(root / "mkdocs.yml"), "-d", str(tmp / "two"), "--as-of",
                         "2026-06-02T00:00:00Z", "--previous", str(tmp / "one")]) == 0
    return tmp / "one", tmp / "two"


def _copy_of(site: Path, tmp_path: Path) -> Path:
    shutil.copytree(site, tmp_path / "copy")
    return tmp_path / "copy"


def test_a_later_deploy_extends_the_earlier_one(two_deploys: tuple[Path, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    one, two = two_deploys
    code, out, err = run(capsys, str(two), "--previous", str(one))
    assert (code, err) == (0, "")
    assert f"{history.PATH} extends the previous copy's 1 entries with 1 new" in out


def test_a_reordered_log_is_reported(two_deploys: tuple[Path, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    copy = _copy_of(two_deploys[1], tmp_path)
    entries = json.loads((copy / history.PATH).read_bytes())
    (copy / history.PATH).write_bytes(history.dump(entries[::-1]))
    code, _, err = run(capsys, str(copy))
    assert code == 1
    assert f"{history.PATH}: entry 0: numbered 1, expected 0" in err
    assert f"{history.PATH}: its SHA-256 differs from SHA256SUMS" in err


def test_a_rewritten_old_entry_is_reported_against_the_previous_copy(two_deploys: tuple[Path, Path],
                                                                     tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    one, two = two_deploys
    copy = _copy_of(two, tmp_path)
    entries = json.loads((copy / history.PATH).read_bytes())
    # A careful forger re-chains the log: the chain holds, but it no longer extends what was published before.
    first = {**entries[0], "published": entries[0]["published"][1:]}
    second = {**entries[1], "previous": history.entry_hash(first)}
    (copy / history.PATH).write_bytes(history.dump([first, second]))
    code, _, err = run(capsys, str(copy), "--previous", str(one))
    assert code == 1
    assert f"{history.PATH}: entry 0 differs from the previous log's: the published history was rewritten" in err
