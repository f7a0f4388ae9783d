"""``SHA256SUMS`` in the format of ``sha256sum`` (checkable with ``sha256sum -c``) over a built site."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

NAME = "SHA256SUMS"


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    """``<hex>  <path>`` per file, sorted by path, LF line ends; the ``SHA256SUMS`` entry itself is skipped."""
    return from_digests({path: hashlib.sha256(files[path]).hexdigest() for path in files})


def from_digests(digests: Mapping[str, str]) -> bytes:
    """``SHA256SUMS`` from digests already computed (path → hex), in the same format as ``sha256sums``."""
    lines = [f"{_escaped(digests[path], path)}  {_name(path)}\n" for path in sorted(digests) if path != NAME]
    return "".join(lines).encode("utf-8")


def _escaped(digest: str, path: str) -> str:
    # GNU sha256sum marks a line whose file name needed escaping with a leading backslash.
    return f"\\{digest}" if _name(path) != path else digest


def _name(path: str) -> str:
    """The name as sha256sum writes it: backslash, newline and carriage return escaped."""
    return path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
