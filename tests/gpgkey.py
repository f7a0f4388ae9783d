"""A throwaway Ed25519 signing key in a temporary GnuPG home, for the tests that sign a site."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

GPG = shutil.which("gpg")


@dataclass(frozen=True)
class ThrowawayKey:
    home: str
    fingerprint: str

    def env(self) -> dict[str, str]:
        return {"GNUPGHOME": self.home, "OSQI_SIGNING_KEY": self.fingerprint}


def make_key(uid: str = "Test <t@example.org>") -> ThrowawayKey:
    # A short path in /tmp: gpg-agent's socket path must stay under the 108 bytes a Unix socket allows.
    home = tempfile.mkdtemp(prefix="osqi-gk-", dir="/tmp")
    run = ["gpg", "--batch", "--homedir", home]
    subprocess.run([*run, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"],
                   check=True, capture_output=True)
    listing = subprocess.run([*run, "--with-colons", "--list-secret-keys"], check=True, capture_output=True,
                             text=True).stdout
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    return ThrowawayKey(home, fpr)


def drop_key(key: ThrowawayKey) -> None:
    subprocess.run(["gpgconf", "--homedir", key.home, "--kill", "all"], capture_output=True, check=False)
    shutil.rmtree(key.home, ignore_errors=True)


def key_for_tests() -> Iterator[ThrowawayKey]:
    """The body of a test module's key fixture (pytest cannot share a fixture from a helper module cleanly)."""
    if GPG is None:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail("signing tests must run under CI=true: gpg is not installed (.ci/run installs gnupg)")
        pytest.skip("gpg is not installed")
    key = make_key()
    yield key
    drop_key(key)


def use_key(key: ThrowawayKey, monkeypatch: pytest.MonkeyPatch) -> ThrowawayKey:
    """The environment of a signed build: the key's home and fingerprint."""
    for name, value in key.env().items():
        monkeypatch.setenv(name, value)
    return key


def reader_verify(public_key: Path, signature: Path, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    """What a reader runs: import the published key into their own (fresh) keyring, then ``gpg --verify``."""
    home = tempfile.mkdtemp(prefix="osqi-rd-", dir="/tmp")
    try:
        subprocess.run(["gpg", "--batch", "--homedir", home, "--import", str(public_key)], check=True,
                       capture_output=True)
        return subprocess.run(["gpg", "--batch", "--homedir", home, "--status-fd", "1", "--verify",
                               str(signature), *([str(data)] if data else [])], capture_output=True, text=True)
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
