"""``osqi-site audit``: what anyone outside can check of a published site, from a folder or over http(s)."""

from __future__ import annotations

import hashlib
import os
import posixpath
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from osqi_site.formats import checksums
from osqi_site.formats.securitytxt import PATH as SECURITY_TXT
from osqi_site.publish import history, provenance, register, signing

Fetch = Callable[[str], bytes | None]
"""Reads one site path (``/``-separated, relative): its bytes, or None when the site has no such file."""
MAX_BYTES = 256 * 1024 * 1024
"""The most a single file may hold: a hostile server cannot make the audit read without end."""
TIMEOUT = 60
UNLISTED = frozenset({checksums.NAME, signing.SUMS_SIGNATURE, provenance.PATH, provenance.SIGNATURE})
"""The files made from SHA256SUMS, which it cannot list: covered by its signature and the provenance subject."""


class FetchError(Exception):
    """A file could not be read for another reason than its absence (a server error, a refused path)."""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    """What was proven, for the reader (one line each)."""

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")


def folder_reader(root: Path) -> Fetch:
    """Reads from a site folder; a path leaving it, or through a symbolic link, counts as a problem."""
    base = root.resolve()

    def fetch(path: str) -> bytes | None:
        target = (base / path).resolve()
        if not _safe(path) or not target.is_relative_to(base) or target != base / path:
            raise FetchError("refused: the path leaves the site or goes through a symbolic link")
        if not target.is_file():
            return None
        if target.stat().st_size > MAX_BYTES:
            raise FetchError(f"larger than {MAX_BYTES} bytes")
        return target.read_bytes()

    return fetch


def url_reader(base: str) -> Fetch:
    """Reads ``base`` + path over http(s) with the standard library; 404 and 410 are absence."""
    root = base if base.endswith("/") else base + "/"

    def fetch(path: str) -> bytes | None:
        if not _safe(path):
            raise FetchError("refused: the path leaves the site")
        try:
            with urllib.request.urlopen(root + urllib.parse.quote(path), timeout=TIMEOUT) as answer:
                data: bytes = answer.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as e:
            if e.code in (404, 410):
                return None
            raise FetchError(f"HTTP {e.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise FetchError(str(getattr(e, "reason", e))) from None
        if len(data) > MAX_BYTES:
            raise FetchError(f"larger than {MAX_BYTES} bytes")
        return data

    return fetch


def _safe(path: str) -> bool:
    """A relative path that stays inside the site: no empty, ``.`` or ``..`` part, no NUL."""
    parts = path.split("/")
    return bool(path) and "\0" not in path and not path.startswith("/") and \
        all(p not in {"", ".", ".."} for p in parts) and posixpath.normpath(path) == path


def read(fetch: Fetch, path: str, report: Report) -> bytes | None:
    try:
        return fetch(path)
    except FetchError as e:
        report.problem(path, f"cannot be read: {e}")
        return None


def parse_sums(data: bytes) -> tuple[dict[str, str], list[str]]:
    """``path → hex digest`` of a ``SHA256SUMS`` and the problems of its malformed lines."""
    found: dict[str, str] = {}
    problems: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}, [f"{checksums.NAME}: not UTF-8"]
    for number, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        escaped = line.startswith("\\")
        digest, sep, name = line.removeprefix("\\").partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not name:
            problems.append(f"{checksums.NAME}:{number}: not '<sha256>  <path>'")
            continue
        path = _unescape(name) if escaped else name
        if path in found:
            problems.append(f"{checksums.NAME}:{number}: {path} is listed twice")
        found[path] = digest
    return found, problems


def _unescape(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        if name[i] == "\\" and i + 1 < len(name):
            out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(name[i + 1], "\\" + name[i + 1]))
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def audit(fetch: Fetch, fingerprint: str | None = None, listing: Iterable[str] | None = None,
          threads: int = 8, previous: Fetch | None = None) -> Report:
    """Every check of a published site. ``listing``: every file the site holds, when it can be listed (a folder).

    The signature proves SHA256SUMS is the list the key holder signed; the digests, that every listed file
    is the one they built; the provenance subject, that the statement speaks of this very list.
    """
    report = Report()
    sums = read(fetch, checksums.NAME, report)
    if sums is None:
        if not report.problems:
            report.problem(checksums.NAME, "missing: nothing on this site can be checked")
        return report
    key = _check_signatures(fetch, sums, fingerprint, report)
    listed, problems = parse_sums(sums)
    report.problems.extend(problems)
    _check_digests(fetch, listed, report, threads)
    if listing is not None:
        for path in sorted(set(listing) - set(listed) - UNLISTED):
            report.problem(path, f"on the site but not in {checksums.NAME}: nobody vouches for it")
    _check_provenance(fetch, sums, key, report)
    entries = _check_history(fetch, previous, report)
    _check_register(fetch, previous, entries, report)
    return report


def _check_register(fetch: Fetch, previous: Fetch | None, entries: list[history.Entry], report: Report) -> None:
    """Every reveal's seal hashes to its commitment, and no commitment the log (or, with ``previous``, the
    earlier register) ever published vanished without a reveal: a secret held and then dropped."""
    logged = set(register.first_seen(entries))
    data = read(fetch, register.PATH, report)
    if data is None:
        if logged:
            report.problem(register.PATH, f"missing, yet {history.PATH} lists {len(logged)} commitments")
        return
    opened, revealed, problems = register.parse(data)
    found = [*problems, *register.reveal_problems(revealed), *register.vanished(logged, opened, revealed, history.PATH)]
    if previous is not None:
        old = read(previous, register.PATH, report)
        if old is not None:
            old_open, _, old_problems = register.parse(old, f"previous {register.PATH}")
            found.extend(old_problems)
            # One line per dropped commitment: the ones the log names were reported above.
            found.extend(register.vanished([c for c in old_open if c not in logged], opened, revealed,
                                           f"previous {register.PATH}"))
    report.problems.extend(found)
    if not found:
        report.facts.append(f"{register.PATH}: {len(opened)} open commitments; {len(revealed)} reveals match "
                            "their commitments; every commitment the log lists is open or revealed")


def _check_history(fetch: Fetch, previous: Fetch | None, report: Report) -> list[history.Entry]:
    """The log's chain, that its last entry describes this site's content, and that it extends ``previous``'s."""
    data = read(fetch, history.PATH, report)
    if data is None:
        report.problem(history.PATH, "missing: the site carries no publication history")
        return []
    entries, problems = history.parse(data)
    report.problems.extend(problems)
    content = read(fetch, history.CONTENT, report)
    last = history.content_problem(entries, content) if content is not None else None
    if last:
        report.problems.append(last)
    if previous is not None:
        old_data = read(previous, history.PATH, report)
        if old_data is None:
            report.problem(history.PATH, "the previous copy has no log to compare with")
            return entries
        old, old_problems = history.parse(old_data, f"previous {history.PATH}")
        report.problems.extend(old_problems)
        found = history.extends(old, entries)
        report.problems.extend(found)
        if not found and not old_problems:
            report.facts.append(f"{history.PATH} extends the previous copy's {len(old)} entries with "
                                f"{len(entries) - len(old)} new")
    if not problems and not last:
        report.facts.append(f"{history.PATH}: {len(entries)} entries, chained, the last one describing this site")
    return entries if not problems else [e for e in entries if isinstance(e, dict) and isinstance(e.get("as_of"), str)]


def _check_signatures(fetch: Fetch, sums: bytes, fingerprint: str | None, report: Report) -> bytes | None:
    """The public key whose signature of SHA256SUMS verified (and matches ``fingerprint``), else None."""
    wanted = None
    if fingerprint is not None:
        try:
            wanted = signing.normal_fingerprint(fingerprint)
        except signing.SigningError as e:
            report.problem("--fingerprint", str(e))
            return None
    signature = read(fetch, signing.SUMS_SIGNATURE, report)
    key = read(fetch, signing.KEY_PATH, report)
    if signature is None or key is None:
        missing = signing.SUMS_SIGNATURE if signature is None else signing.KEY_PATH
        report.problem(missing, "missing: the site is not signed, so nothing proves who published it")
        return None
    try:
        checked = signing.verify(key, sums, signature)
    except signing.SigningError as e:
        report.problem(signing.SUMS_SIGNATURE, f"does not verify {checksums.NAME} with {signing.KEY_PATH}: {e}")
        return None
    if wanted is not None and not checked.by(wanted):
        report.problem(signing.SUMS_SIGNATURE, f"made by the key {checked.primary}, not {wanted}")
        return None
    report.facts.append(f"{checksums.NAME} is signed by the OpenPGP key {signing.spaced(checked.primary)}"
                        + ("" if wanted else " (compare this fingerprint with the one you trust)"))
    text = read(fetch, SECURITY_TXT, report)
    if text is not None:
        try:
            if not signing.verify(key, text).by(checked.primary):
                report.problem(SECURITY_TXT, "signed by another key")
        except signing.SigningError as e:
            report.problem(SECURITY_TXT, f"its cleartext signature does not verify: {e}")
    return key


def _check_digests(fetch: Fetch, listed: dict[str, str], report: Report, threads: int) -> None:
    def one(item: tuple[str, str]) -> str | None:
        path, digest = item
        try:
            data = fetch(path)
        except FetchError as e:
            return f"{path}: cannot be read: {e}"
        if data is None:
            return f"{path}: listed in {checksums.NAME} but missing"
        if hashlib.sha256(data).hexdigest() != digest:
            return f"{path}: its SHA-256 differs from {checksums.NAME}: changed after it was published"
        return None

    with ThreadPoolExecutor(threads) as pool:
        found = [p for p in pool.map(one, sorted(listed.items())) if p is not None]
    report.problems.extend(found)
    if not found:
        report.facts.append(f"{len(listed)} files match {checksums.NAME}")


def _check_provenance(fetch: Fetch, sums: bytes, key: bytes | None, report: Report) -> None:
    data = read(fetch, provenance.PATH, report)
    if data is None:
        report.problem(provenance.PATH, "missing: nothing says what built the site")
        return
    subject = provenance.subject_digest(data)
    if subject is None:
        report.problem(provenance.PATH, f"not an in-toto Statement v1 about {checksums.NAME}")
    elif subject != hashlib.sha256(sums).hexdigest():
        report.problem(provenance.PATH, f"its subject is not this {checksums.NAME}")
    if key is not None:
        signature = read(fetch, provenance.SIGNATURE, report)
        try:
            if signature is None:
                raise signing.SigningError("the signature is missing")
            signing.verify(key, data, signature)
        except signing.SigningError as e:
            report.problem(provenance.SIGNATURE, f"does not verify {provenance.PATH}: {e}")
            return
    if subject is not None and subject == hashlib.sha256(sums).hexdigest():
        report.facts.append(f"{provenance.PATH} speaks of this {checksums.NAME}"
                            + (", signed by the same key" if key is not None else ""))


def site_listing(root: Path) -> list[str]:
    """Every file of a site folder as a relative ``/`` path (symbolic links included, to be refused)."""
    out: list[str] = []
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        out.extend(prefix + n for n in names)
        out.extend(prefix + d for d in dirs if os.path.islink(os.path.join(folder, d)))
    return sorted(out)
