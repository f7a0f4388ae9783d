"""Signatures: a signed build verifies with plain gpg and sha256sum, byte for byte the same twice; unsigned says so."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factory import SETTINGS
from gpgkey import ThrowawayKey, reader_verify, use_key
from sectxt import Parser
from sitefixture import AS_OF, CANARY, all_bytes, build, built, make_project

from osqi_site.core.timefmt import parse_instant
from osqi_site.formats.securitytxt import PATH as SECURITY_TXT
from osqi_site.formats.securitytxt import security_txt
from osqi_site.publish import signing


@pytest.fixture()
def signing_env(test_key: ThrowawayKey, monkeypatch: pytest.MonkeyPatch) -> ThrowawayKey:
    return use_key(test_key, monkeypatch)


def test_only_a_full_fingerprint_names_a_key() -> None:
    fpr = "E936 2C5D C15B E086 08AE  6D30 C8B3 DE88 CE25 E86C"
    assert signing.normal_fingerprint(fpr.lower()) == fpr.replace(" ", "")
    for short in ("C8B3DE88CE25E86C", "CE25E86C", "", "Z" * 40):
        with pytest.raises(signing.SigningError, match="not a full OpenPGP fingerprint"):
            signing.normal_fingerprint(short)


def test_unknown_key_is_an_error(test_key: ThrowawayKey) -> None:
    with pytest.raises(signing.SigningError, match="no secret key with this fingerprint"):
        signing.find_key(signing.Gpg(test_key.home), "0" * 40)


def test_the_signature_time_is_the_clock_or_the_key_creation_if_later(test_key: ThrowawayKey) -> None:
    key = signing.find_key(signing.Gpg(test_key.home), test_key.fingerprint)
    later = key.created + timedelta(days=3, microseconds=5)
    assert signing.signing_time(later, key) == int(later.timestamp())
    assert signing.signing_time(key.created - timedelta(days=400), key) == int(key.created.timestamp())


def test_signatures_are_deterministic_and_carry_the_time(test_key: ThrowawayKey) -> None:
    gpg = signing.Gpg(test_key.home)
    key = signing.find_key(gpg, test_key.fingerprint)
    when = int(key.created.timestamp()) + 1000
    one = signing.detached(gpg, key, b"data\n", when)
    assert one == signing.detached(gpg, key, b"data\n", when)
    checked = signing.verify(key.public, b"data\n", one)
    assert checked.created == when and checked.by(test_key.fingerprint)
    with pytest.raises(signing.SigningError):
        signing.verify(key.public, b"datA\n", one)


def test_signed_security_txt_passes_sectxt_without_not_signed(test_key: ThrowawayKey) -> None:
    gpg = signing.Gpg(test_key.home)
    key = signing.find_key(gpg, test_key.fingerprint)
    now = datetime.now(UTC)  # sectxt judges Expires by the wall clock
    text = signing.signed_security_txt(security_txt(SETTINGS, now), key, SETTINGS.url(signing.KEY_PATH))
    signed = signing.cleartext(gpg, key, text, signing.signing_time(now, key))
    parser = Parser(signed)
    assert parser.is_valid(), parser.errors
    codes = {r["code"] for r in parser.recommendations}
    assert "not_signed" not in codes
    assert signing.verify(key.public, signed).by(test_key.fingerprint)


def _signed_build(tmp_path: Path, name: str, as_of: str = AS_OF) -> Path:
    return built(make_project(tmp_path / name), tmp_path / name / "site", as_of)


def test_signed_site_verifies_with_gpg_and_sha256sum(tmp_path: Path, signing_env: ThrowawayKey,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    site = _signed_build(tmp_path, "a")
    assert f"signed with the OpenPGP key {signing_env.fingerprint}" in capsys.readouterr().out
    key = site / signing.KEY_PATH
    done = reader_verify(key, site / "SHA256SUMS.asc", site / "SHA256SUMS")
    assert done.returncode == 0, done.stderr
    assert f"VALIDSIG {signing_env.fingerprint}" in done.stdout
    # The signature's time is the build's clock (or the key's creation, if later), never the wall clock.
    created = signing.verify(key.read_bytes(), (site / "SHA256SUMS").read_bytes(),
                             (site / "SHA256SUMS.asc").read_bytes()).created
    assert created >= int(parse_instant(AS_OF).timestamp())
    checked = subprocess.run(["sha256sum", "-c", "--strict", "--quiet", "SHA256SUMS"], cwd=site,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (site / "SHA256SUMS").read_text().splitlines()}
    assert signing.KEY_PATH in listed and SECURITY_TXT in listed and "SHA256SUMS.asc" not in listed
    sectxt = site / SECURITY_TXT
    assert sectxt.read_text().startswith("-----BEGIN PGP SIGNED MESSAGE-----\n")
    assert reader_verify(key, sectxt).returncode == 0
    assert signing.spaced(signing_env.fingerprint) in sectxt.read_text()
    policy = (site / "policy" / "index.html").read_text()
    assert signing.spaced(signing_env.fingerprint) in policy and 'href="../signing-key.asc"' in policy


def test_two_signed_builds_at_one_clock_are_byte_identical(tmp_path: Path, signing_env: ThrowawayKey) -> None:
    # After the key's creation, so the signature time is the clock itself, a different second each build.
    as_of = (datetime.now(UTC) - timedelta(seconds=1)).replace(microsecond=0).isoformat()
    one, two = _signed_build(tmp_path, "one", as_of), _signed_build(tmp_path, "two", as_of)
    assert (one / "SHA256SUMS.asc").is_file()
    assert all_bytes(one) == all_bytes(two)
    # The built security.txt, at a clock near now (sectxt judges Expires by the wall clock), is valid and signed.
    parser = Parser((one / SECURITY_TXT).read_bytes())
    assert parser.is_valid(), parser.errors
    assert "not_signed" not in {r["code"] for r in parser.recommendations}


def test_a_tampered_copy_fails_the_documented_check(tmp_path: Path, signing_env: ThrowawayKey) -> None:
    site = _signed_build(tmp_path, "a")
    page = next(site.glob("disclosures/OSQI-2026-0002/index.html"))
    page.write_bytes(page.read_bytes().replace(b"overflow", b"overfl0w", 1))
    checked = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=site, capture_output=True)
    assert checked.returncode != 0
    sums = site / "SHA256SUMS"
    sums.write_bytes(sums.read_bytes().replace(b"  disclosures/OSQI-2026-0002/index.html", b"  x", 1))
    assert reader_verify(site / signing.KEY_PATH, site / "SHA256SUMS.asc", sums).returncode != 0


def test_unsigned_build_works_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OSQI_SIGNING_KEY", raising=False)
    site = _signed_build(tmp_path, "a")
    assert "unsigned (no signing key configured)" in capsys.readouterr().out
    assert not (site / "SHA256SUMS.asc").exists() and not (site / signing.KEY_PATH).exists()
    assert "not signed" in (site / "policy" / "index.html").read_text()
    assert not (site / SECURITY_TXT).read_text().startswith("-----BEGIN PGP")


def test_a_configured_key_that_cannot_sign_fails_the_build(tmp_path: Path, test_key: ThrowawayKey,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GNUPGHOME", test_key.home)
    monkeypatch.setenv("OSQI_SIGNING_KEY", "A" * 40)
    root = make_project(tmp_path)
    assert build(root, tmp_path / "site") == 1
    assert "no secret key with this fingerprint" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_the_option_names_the_key_too(tmp_path: Path, test_key: ThrowawayKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNUPGHOME", test_key.home)
    monkeypatch.delenv("OSQI_SIGNING_KEY", raising=False)
    root = make_project(tmp_path)
    config = root / "mkdocs.yml"
    option = f"  - osqi:\n      signing_key: {test_key.fingerprint}\n"
    config.write_text(config.read_text().replace("  - osqi:\n", option, 1))
    assert build(root, tmp_path / "site") == 0
    assert (tmp_path / "site" / "SHA256SUMS.asc").is_file()


def test_the_signature_is_leak_scanned_before_it_is_written(tmp_path: Path, signing_env: ThrowawayKey,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    real = signing.detached
    monkeypatch.setattr(signing, "detached", lambda *a: real(*a) + b"OSQI-2026-0004\n")
    root = make_project(tmp_path)
    assert build(root, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "SHA256SUMS.asc" in err and "nothing was published" in err
    assert not (tmp_path / "site").exists()


def test_no_withheld_text_in_any_signed_file(tmp_path: Path, signing_env: ThrowawayKey) -> None:
    site = _signed_build(tmp_path, "a")
    for name in ("SHA256SUMS", "SHA256SUMS.asc", signing.KEY_PATH, SECURITY_TXT):
        data = (site / name).read_bytes()
        assert CANARY.encode() not in data and b"OSQI-2026-0004" not in data

