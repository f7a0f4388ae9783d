"""The last gate over a built site: each file read once, hashed for SHA256SUMS and scanned for withheld text."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from osqi_site.build import leakscan
from osqi_site.build.pool import map_chunks


@dataclass(frozen=True)
class Sealed:
    digests: dict[str, str]
    """Site-relative path → SHA-256 hex digest of every file."""
    leaks: tuple[str, ...]
    """``path: marker`` for every withheld marker found; the build must fail if there is any."""
    clean: frozenset[str]
    """Keys (see ``clean_key``) of the contents proven free of the markers, to skip next time."""


def verdict_set(markers: Sequence[str], code: str) -> str:
    """The identity of a scan: the markers looked for (withheld attachments' digests among them, as
    ``sha256:<hex>``) and the code that looks. Equal only if the verdicts are."""
    return hashlib.sha256("\0".join([code, *sorted(set(markers))]).encode("utf-8", "surrogatepass")).hexdigest()


def clean_key(path: str, digest: str) -> str:
    # A .gz file is scanned decompressed, so the same bytes under another name may read differently.
    return f"{digest}{' gz' if path.endswith('.gz') else ''}"


def seal(root: Path, paths: Sequence[str], markers: Sequence[str], *, known_clean: Collection[str] = (),
         parallel: bool = True, attachments: Mapping[str, str] | None = None) -> Sealed:
    """Hash every file below ``root`` and scan each for ``markers``, on every core for a large site.

    A file whose exact bytes were proven clean against these same ``markers`` (``known_clean``, from an
    earlier build or serve reload) is hashed but not scanned again: same bytes, same markers, same answer.
    """
    automaton = leakscan.leak_automaton(markers, attachments)

    def one(path: str) -> tuple[str, str, list[str]]:
        with open(os.path.join(root, path), "rb") as f:  # not pathlib: this runs for every file of the site
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        if automaton is None or clean_key(path, digest) in known_clean:
            return path, digest, []
        return path, digest, leakscan.leaks_in(path, data, automaton, digest)

    # No collection here while the workers run: it would walk every object of the build, giving this process
    # its own copy of each memory page it shares with them. The results are kept, and make no cycles.
    results = map_chunks(one, paths, parallel=parallel, pause_gc=True)
    digests = {path: digest for path, digest, _ in results}
    leaks = tuple(hit for _, _, hits in results for hit in hits)
    clean = frozenset(clean_key(path, digest) for path, digest, hits in results if not hits)
    return Sealed(digests, leaks, clean)
