"""OpenPGP signatures through the system's GnuPG: finding the key, signing deterministically, verifying."""

from __future__ import annotations

import contextlib
import html
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KEY_PATH = "signing-key.asc"
"""Where the site publishes the public key, relative to the site root."""
SUMS_SIGNATURE = "SHA256SUMS.asc"
MARKER = "<!-- osqi:signing-key -->"
"""A content page's line replaced by the key's fingerprint and link (the policy page carries it)."""
ENV = "OSQI_SIGNING_KEY"
"""The environment variable naming the key by fingerprint; the shell reads it, never this module."""
_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")
TIMEOUT = 60
"""Seconds a gpg call may take; a hung agent fails the build instead of hanging it."""


class SigningError(Exception):
    """The key cannot be used, or gpg failed: one line, shown as it is."""


@dataclass(frozen=True)
class Key:
    fingerprint: str
    """The signing key's full fingerprint (upper-case hex, no spaces)."""
    primary: str
    """Its primary key's fingerprint: the one readers compare (equal to ``fingerprint`` for a primary key)."""
    created: datetime
    public: bytes
    """The armored public key, minimal export: what ``/signing-key.asc`` holds."""


@dataclass(frozen=True)
class Gpg:
    """One GnuPG home (``None``: gpg's own default, ``GNUPGHOME`` or ``~/.gnupg``)."""

    home: str | None = None
    binary: str = "gpg"

    def run(self, args: list[str], data: bytes = b"") -> bytes:
        # --no-options: a gpg.conf (comments, notations, digest preferences) must not change the bytes.
        cmd = [self.binary, "--batch", "--no-tty", "--no-options", "--no-emit-version", "--no-comments",
               *(["--homedir", self.home] if self.home else []), *args]
        try:
            done = subprocess.run(cmd, input=data, capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SigningError(f"gpg could not run: {e}") from None
        if done.returncode != 0:
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SigningError(f"gpg failed: {last[-1] if last else f'exit {done.returncode}'}")
        return done.stdout


def normal_fingerprint(text: str) -> str:
    """The fingerprint without spaces, upper-case; ``SigningError`` unless it is a full v4 or v5 fingerprint.

    A short or long key ID could name several keys: only the whole fingerprint identifies one.
    """
    fpr = "".join(text.split()).upper().removeprefix("0X")
    if not _FINGERPRINT.match(fpr):
        raise SigningError(f"signing key '{text}' is not a full OpenPGP fingerprint (40 hex digits)")
    return fpr


def find_key(gpg: Gpg, fingerprint: str) -> Key:
    """The secret key with this exact fingerprint, able to sign, neither revoked nor expired."""
    fpr = normal_fingerprint(fingerprint)
    try:
        listing = gpg.run(["--with-colons", "--fixed-list-mode", "--list-secret-keys", "--", fpr])
    except SigningError:
        raise SigningError(f"signing key {fpr}: no secret key with this fingerprint in the GnuPG home") from None
    found = _key_record(listing.decode("utf-8", "replace"), fpr)
    if found is None:
        raise SigningError(f"signing key {fpr}: no secret key with this fingerprint in the GnuPG home")
    validity, created, capabilities, token, primary = found
    if validity in {"r", "e", "i", "d"}:
        raise SigningError(f"signing key {fpr} is revoked, expired or invalid")
    if "s" not in capabilities.lower() or token == "#":
        raise SigningError(f"signing key {fpr} cannot sign (no signing capability or no secret part)")
    public = gpg.run(["--armor", "--export", "--export-options", "export-minimal", "--", primary])
    return Key(fpr, primary, datetime.fromtimestamp(created, UTC), public)


def _key_record(colons: str, fpr: str) -> tuple[str, int, str, str, str] | None:
    """(validity, creation, capabilities, token, primary fingerprint) of the ``sec``/``ssb`` whose fpr is ``fpr``."""
    record: list[str] | None = None
    primary = ""
    for line in colons.splitlines():
        fields = line.split(":")
        if fields[0] in {"sec", "ssb"}:
            record = fields
        elif fields[0] == "fpr" and record is not None and len(fields) > 9:
            if record[0] == "sec":
                primary = fields[9]
            if fields[9] == fpr and len(record) > 14 and record[5].isdigit():
                return record[1], int(record[5]), record[11], record[14], primary
            record = None
    return None


def signing_time(as_of: datetime, key: Key) -> int:
    """The signature's creation time: the build's as-of instant in whole seconds, or the key's creation if later.

    A fixed time makes the signature a function of key, data and clock (Ed25519 is deterministic), so two
    builds at one clock sign alike; gpg refuses a signature older than its key, hence the floor.
    """
    return max(int(as_of.timestamp()), int(key.created.timestamp()))


def _sign_args(key: Key, when: int) -> list[str]:
    # "!" after the fingerprint: this very (sub)key, never another one gpg would prefer; "!" after the time:
    # the clock stands still, so the creation time is exactly `when`.
    return ["--local-user", f"{key.fingerprint}!", "--faked-system-time", f"{when}!", "--digest-algo", "SHA512",
            "--armor", "--output", "-"]


def detached(gpg: Gpg, key: Key, data: bytes, when: int) -> bytes:
    """An armored detached signature of ``data`` (``gpg --verify SIG FILE`` checks it)."""
    return gpg.run([*_sign_args(key, when), "--detach-sign"], data)


def cleartext(gpg: Gpg, key: Key, data: bytes, when: int) -> bytes:
    """``data`` in an OpenPGP cleartext signature (RFC 9116 §2.3 for security.txt)."""
    return gpg.run([*_sign_args(key, when), "--clearsign"], data)


@dataclass(frozen=True)
class Verified:
    signer: str
    """The fingerprint of the key that made the signature."""
    primary: str
    created: int
    """The signature's creation time (seconds since the epoch)."""

    def by(self, fingerprint: str) -> bool:
        return fingerprint in {self.signer, self.primary}


def verify(public_key: bytes, data: bytes, signature: bytes | None = None, binary: str = "gpg") -> Verified:
    """Check a signature against exactly ``public_key``, in a GnuPG home made for this check and removed after.

    ``signature`` is a detached signature of ``data``; without it, ``data`` is a cleartext-signed text. No
    other key of the reader's keyring can vouch for it. ``SigningError`` when it does not verify.
    """
    with tempfile.TemporaryDirectory(prefix="osqi-gpg-") as home:
        gpg = Gpg(home, binary)
        try:
            gpg.run(["--import", "--import-options", "import-minimal"], public_key)
            folder = Path(home)
            (folder / "data").write_bytes(data)
            files = [str(folder / "data")]
            if signature is not None:
                (folder / "data.asc").write_bytes(signature)
                files = [str(folder / "data.asc"), str(folder / "data")]
            status = gpg.run(["--status-fd", "1", "--verify", "--", *files])
        finally:
            _stop_agent(home)
    for line in status.decode("utf-8", "replace").splitlines():
        fields = line.split()
        if fields[:2] == ["[GNUPG:]", "VALIDSIG"] and len(fields) >= 12:
            return Verified(fields[2], fields[11], int(fields[4]))
    raise SigningError("the signature does not verify")


def _stop_agent(home: str) -> None:
    # An import may start an agent in the throwaway home; it would outlive the folder.
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, timeout=TIMEOUT,
                       check=False)


def signed_security_txt(text: bytes, key: Key, key_url: str) -> bytes:
    """security.txt with the key named in comments (RFC 9116 §2.3), ready to be cleartext-signed."""
    return text + (f"# Signed with the OpenPGP key {spaced(key.primary)}\n"
                   f"# Public key: {key_url}\n").encode("ascii")


def spaced(fingerprint: str) -> str:
    """A fingerprint in groups of four, as ``gpg --fingerprint`` shows it."""
    return " ".join(fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4))


def key_block(key: Key | None, href: str) -> str:
    """The policy page's paragraph: the fingerprint to compare, the key, and how to check a copy of the site."""
    if key is None:
        return ('<p class="osqi-signing">This build of the site is <strong>not signed</strong>: no signing key '
                "was configured.</p>")
    return (f'<p class="osqi-signing">Every build of this site is signed with the OpenPGP key '
            f'<code>{html.escape(spaced(key.primary))}</code> (<a href="{html.escape(href)}">public key</a>). '
            "In a downloaded copy, <code>gpg --verify SHA256SUMS.asc SHA256SUMS &amp;&amp; sha256sum -c "
            "SHA256SUMS</code> proves every file is the one the institute published.</p>")
