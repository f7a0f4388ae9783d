"""RFC 9116 ``/.well-known/security.txt``: where to report, the policy, and the CSAF provider metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from osqi_site.core.settings import Settings
from osqi_site.core.timefmt import iso_z
from osqi_site.formats.csaf import PROVIDER_METADATA

PATH = ".well-known/security.txt"


def expires(settings: Settings, now: datetime) -> datetime:
    """``now`` plus ``security_txt_days``, cut to 00:00:00Z of that day.

    RFC 9116 makes the file expire, so its date has to come from the build clock; cutting it to the day
    keeps every rebuild on the same day byte-identical. Cutting only shortens the period, so it stays under
    the RFC's one-year ceiling.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the clock must be an aware datetime")
    end = now.astimezone(UTC) + timedelta(days=settings.security_txt_days)
    return end.replace(hour=0, minute=0, second=0, microsecond=0)


def security_txt(settings: Settings, now: datetime) -> bytes:
    """The file's bytes: UTF-8, LF line ends, one field per line (RFC 9116 §2.5, §3)."""
    lines = [f"Contact: {c}" for c in settings.contact]
    lines += [
        f"Expires: {iso_z(expires(settings, now))}",
        f"Preferred-Languages: {settings.language}",
        f"Canonical: {settings.url(PATH)}",
        f"Policy: {settings.url(settings.policy_path)}",
        f"CSAF: {settings.url(PROVIDER_METADATA)}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
