"""Instants: strict RFC 3339 parsing with an explicit offset, and the UTC renderings every output uses."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# ASCII digits only ([0-9], not \d): other scripts' digits are no RFC 3339.
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$")
_NO_OFFSET = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


EARLIEST = date(1970, 1, 1)
"""No date or instant before this: outputs spell years with four digits and timestamps are never negative
(``SOURCE_DATE_EPOCH``, gzip headers); at the other end, year 9999 in UTC is as far as Python's dates go."""


class InstantError(ValueError):
    """A value that is not an unambiguous instant."""


def _in_range(value: date, text: object) -> None:
    if value < EARLIEST:
        raise InstantError(f"'{text}' is before {EARLIEST.isoformat()}; dates and instants lie in the years "
                           "1970 to 9999 (UTC)")


def parse_instant(value: object) -> datetime:
    """An aware UTC datetime from a YAML timestamp or an RFC 3339 string; anything ambiguous is refused."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InstantError("has no UTC offset; write it as 2026-12-01T12:00:00Z or with +hh:mm")
        return _utc(value, value.isoformat())
    if isinstance(value, date):
        raise InstantError("is a date without a time; write an instant such as 2026-12-01T12:00:00Z")
    if not isinstance(value, str):
        raise InstantError(f"must be an RFC 3339 instant, not {type(value).__name__}")
    text = value.strip()
    if _DATE.match(text):
        raise InstantError("is a date without a time; write an instant such as 2026-12-01T12:00:00Z")
    if _NO_OFFSET.match(text):
        raise InstantError("has no UTC offset; write it as 2026-12-01T12:00:00Z or with +hh:mm")
    if not _RFC3339.match(text):
        raise InstantError(f"'{value}' is not an RFC 3339 instant with offset, e.g. 2026-12-01T12:00:00Z")
    try:
        parsed = datetime.fromisoformat(text.upper().replace(" ", "T").replace("Z", "+00:00"))
    except ValueError as e:
        raise InstantError(f"'{value}' is not a valid instant ({e})") from None
    return _utc(parsed, value)


def _utc(moment: datetime, text: object) -> datetime:
    """``moment`` in UTC, refused when that falls outside the years 1970 to 9999."""
    try:
        utc = moment.astimezone(UTC)  # 0001-01-01T00:00:00+14:00 and 9999-12-31T23:59:59-14:00 overflow here
    except OverflowError:
        raise InstantError(f"'{text}' is outside the years 1970 to 9999 once converted to UTC") from None
    _in_range(utc.date(), text)
    return utc


def parse_date_or_instant(value: object) -> date | datetime:
    """A calendar date, or an aware UTC instant; used where a day is precise enough (the timeline)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        _in_range(value, value.isoformat())
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError as e:
            raise InstantError(f"'{value}' is not a valid date ({e})") from None
        _in_range(parsed, value)
        return parsed
    return parse_instant(value)


def iso_z(moment: datetime) -> str:
    """``2026-12-01T12:00:00Z``: the one timestamp spelling of every machine-readable output."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(value: date | datetime) -> date:
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def human(value: date | datetime) -> str:
    """``2026-12-01 12:00 UTC`` or ``2026-12-01`` for people."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


MAX_EPOCH = 2**32 - 1
"""The latest ``SOURCE_DATE_EPOCH`` a gzip header (MkDocs' ``sitemap.xml.gz``) can hold: 2106-02-07."""


def epoch_problem(value: str) -> str | None:
    """Why ``value`` is no usable ``SOURCE_DATE_EPOCH`` (seconds since 1970, as ``date +%s`` prints them)."""
    digits = value.lstrip("0") or "0"
    if value.isascii() and value.isdigit() and len(digits) <= 10 and int(digits) <= MAX_EPOCH:
        return None  # (at most ten digits are converted: a 5,000-digit value must not reach int())
    return (f"SOURCE_DATE_EPOCH {value[:40]!a} is not a whole number of seconds since 1970 from 0 to "
            f"{MAX_EPOCH} (as `date +%s` prints it); fix it or unset it")
