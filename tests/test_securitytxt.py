"""security.txt: valid for `sectxt` (RFC 9116), Expires from the build clock cut to the day, every field present."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from factory import SETTINGS
from sectxt import Parser

from osqi_site.formats.securitytxt import PATH, expires, security_txt

MANY = replace(SETTINGS, contact=("mailto:security@osqi.example", "https://osqi.example/report"),
               policy_path="about/policy/")


def _fields(data: bytes) -> list[tuple[str, str]]:
    return [(k, v.strip()) for k, _, v in (line.partition(":") for line in data.decode().splitlines())]


@pytest.mark.parametrize("days", [1, SETTINGS.security_txt_days, 364])
def test_sectxt_accepts_it_without_long_expiry(days: int) -> None:
    # sectxt judges Expires against the wall clock, so this one test builds with the real now.
    parser = Parser(security_txt(replace(MANY, security_txt_days=days), datetime.now(UTC)))
    assert parser.is_valid(), parser.errors
    assert parser.errors == []
    codes = {r["code"] for r in parser.recommendations}
    assert "long_expiry" not in codes
    assert codes <= {"not_signed", "no_encryption"}  # we publish no key, and sign nothing yet


def test_fields_and_urls() -> None:
    now = datetime(2026, 11, 22, 12, 34, 56, tzinfo=UTC)
    assert _fields(security_txt(MANY, now)) == [
        ("Contact", "mailto:security@osqi.example"),
        ("Contact", "https://osqi.example/report"),
        ("Expires", "2027-05-21T00:00:00Z"),  # 180 days on, at the start of that day
        ("Preferred-Languages", "en"),
        ("Canonical", "https://osqi.example/.well-known/security.txt"),
        ("Policy", "https://osqi.example/about/policy/"),
        ("CSAF", "https://osqi.example/.well-known/csaf/provider-metadata.json"),
    ]
    assert PATH == ".well-known/security.txt"


def test_bytes_are_utf8_lf_with_a_final_newline() -> None:
    data = security_txt(SETTINGS, datetime(2026, 11, 22, tzinfo=UTC))
    assert data.endswith(b"\n") and b"\r" not in data and not data.endswith(b"\n\n")
    data.decode("utf-8")


def test_same_day_same_bytes_next_day_moves_on() -> None:
    morning = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    night = datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=UTC)
    assert security_txt(SETTINGS, morning) == security_txt(SETTINGS, night)
    assert security_txt(SETTINGS, night + timedelta(microseconds=1)) != security_txt(SETTINGS, night)


def test_expires_is_in_utc_and_under_a_year() -> None:
    tokyo = datetime(2026, 11, 23, 3, 0, tzinfo=timezone(timedelta(hours=9)))  # 2026-11-22T18:00Z
    assert expires(SETTINGS, tokyo) == datetime(2027, 5, 21, tzinfo=UTC)
    now = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    longest = expires(replace(SETTINGS, security_txt_days=364), now)
    assert now < longest < now + timedelta(days=365)


def test_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError):
        security_txt(SETTINGS, datetime(2026, 11, 22))
