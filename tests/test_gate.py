"""The embargo gate with a fixed clock, and the strict instants it relies on (timefmt)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from factory import NOW, SETTINGS, disclosure_text, make_disclosure
from hypothesis import assume, given
from hypothesis import strategies as st

from osqi_site.core import gate, loader, validate
from osqi_site.core.model import Disclosure, Revision, Withdrawal
from osqi_site.core.timefmt import InstantError, day, human, iso_z, parse_date_or_instant, parse_instant

EMBARGO = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
JST = timezone(timedelta(hours=9))
HST = timezone(timedelta(hours=-10))


def _ids(disclosures: tuple[Disclosure, ...]) -> list[str]:
    return [d.id for d in disclosures]


def _embargoed(ident: str = "OSQI-2026-0001", embargo: datetime | None = EMBARGO, **kw: object) -> Disclosure:
    return make_disclosure(id=ident, embargo_until=embargo, **kw)


# --- the embargo instant -----------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "public"), [
    (EMBARGO - MINUTE, False),
    (EMBARGO - timedelta(microseconds=1), False),
    (EMBARGO, True),
    (EMBARGO + MINUTE, True),
])
def test_public_exactly_from_the_embargo_instant(now: datetime, public: bool) -> None:
    d = _embargoed()
    pub = gate.publish([d], now)
    assert gate.is_public(d, now) is public
    assert _ids(pub.public) == (["OSQI-2026-0001"] if public else [])
    assert _ids(pub.withheld) == ([] if public else ["OSQI-2026-0001"])


def test_the_fixed_clock_splits_past_and_future_embargoes() -> None:
    past = _embargoed("OSQI-2026-0001", NOW - MINUTE)
    future = _embargoed("OSQI-2026-0002", NOW + MINUTE)
    pub = gate.publish([future, past], NOW)
    assert _ids(pub.public) == ["OSQI-2026-0001"]
    assert _ids(pub.withheld) == ["OSQI-2026-0002"]
    assert pub.now == NOW


@pytest.mark.parametrize("offset", [-MINUTE, timedelta(0), MINUTE])
def test_an_embargo_in_plus_nine_is_the_same_instant_as_in_utc(offset: timedelta) -> None:
    in_utc = _embargoed("OSQI-2026-0001", EMBARGO)
    in_jst = _embargoed("OSQI-2026-0002", EMBARGO.astimezone(JST))
    assert in_jst.embargo_until is not None and in_jst.embargo_until.hour == 21
    for clock_tz in (UTC, JST, HST):
        now = (EMBARGO + offset).astimezone(clock_tz)
        pub = gate.publish([in_utc, in_jst], now)
        expected = ["OSQI-2026-0001", "OSQI-2026-0002"] if offset >= timedelta(0) else []
        assert _ids(pub.public) == expected
        assert pub.now == now and pub.now.utcoffset() == timedelta(0)


def _from_text(embargo: str) -> Disclosure:
    doc, problems = loader.parse_text("disclosures/2026/OSQI-2026-0001.md",
                                      disclosure_text(embargo_until=embargo).encode())
    assert doc is not None and problems == []
    disclosure, problems = validate.validate_doc(doc, SETTINGS)
    assert disclosure is not None and problems == []
    return disclosure


def test_minus_ten_hours_lifts_on_the_next_utc_day() -> None:
    # 17:00 in Hawaii on 1 December is 03:00 UTC on 2 December: an author's "evening" is the next day here.
    d = _from_text("2026-12-01T17:00:00-10:00")
    assert d.embargo_until == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert not gate.is_public(d, datetime(2026, 12, 1, 17, 0, tzinfo=UTC))   # the naive reading: too early
    assert not gate.is_public(d, datetime(2026, 12, 2, 2, 59, tzinfo=UTC))
    assert gate.is_public(d, datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    assert gate.is_public(d, datetime(2026, 12, 1, 17, 0, tzinfo=HST))       # the same instant, local clock


def test_a_draft_is_never_public_even_long_after_its_date() -> None:
    draft = _embargoed(embargo=NOW - timedelta(days=365), draft=True)
    undated = _embargoed("OSQI-2026-0002", embargo=None, draft=True)
    pub = gate.publish([draft, undated], NOW + timedelta(days=3650))
    assert pub.public == ()
    assert _ids(pub.withheld) == ["OSQI-2026-0001", "OSQI-2026-0002"]


def test_publication_is_sorted_by_id_whatever_the_input_order() -> None:
    ds = [_embargoed(f"OSQI-2026-{n:04d}", NOW - timedelta(hours=n)) for n in (3, 1, 2)]
    assert _ids(gate.publish(ds, NOW).public) == ["OSQI-2026-0001", "OSQI-2026-0002", "OSQI-2026-0003"]


# --- revisions and withdrawal as of now --------------------------------------------------------------

R1 = Revision(EMBARGO + timedelta(days=1), "Fixed version added.")
R2 = Revision(EMBARGO + timedelta(days=10), "CVE assigned.")
W = Withdrawal(EMBARGO + timedelta(days=20), "Not a vulnerability after all.")


@pytest.mark.parametrize(("now", "revisions", "withdrawn"), [
    (EMBARGO, (), None),
    (R1.date - MINUTE, (), None),
    (R1.date, (R1,), None),
    (R2.date - MINUTE, (R1,), None),
    (R2.date + MINUTE, (R1, R2), None),
    (W.date - MINUTE, (R1, R2), None),
    (W.date, (R1, R2), W),
])
def test_revisions_and_withdrawal_dated_after_now_are_hidden(now: datetime, revisions: tuple[Revision, ...],
                                                            withdrawn: Withdrawal | None) -> None:
    d = _embargoed(revisions=(R1, R2), withdrawn=W)
    (shown,) = gate.publish([d], now).public
    assert shown.revisions == revisions
    assert shown.withdrawn == withdrawn
    assert d.revisions == (R1, R2) and d.withdrawn == W  # the source value is never changed


def test_as_of_returns_the_same_object_when_nothing_is_hidden() -> None:
    d = _embargoed(revisions=(R1,))
    assert gate.as_of(d, R1.date + MINUTE) is d


def test_withheld_disclosures_are_kept_whole() -> None:
    d = _embargoed(revisions=(R1,), withdrawn=W)
    assert gate.publish([d], EMBARGO - MINUTE).withheld == (d,)


# --- next_change -------------------------------------------------------------------------------------


def test_next_change_is_the_earliest_future_embargo_revision_or_withdrawal() -> None:
    public = _embargoed("OSQI-2026-0001", NOW - timedelta(days=30),
                        revisions=(Revision(NOW - timedelta(days=1), "old"), Revision(NOW + timedelta(hours=5), "r")),
                        withdrawn=Withdrawal(NOW + timedelta(hours=3), "w"))
    embargoed = _embargoed("OSQI-2026-0002", NOW + timedelta(hours=4))
    draft = _embargoed("OSQI-2026-0003", NOW + timedelta(minutes=5), draft=True)
    assert gate.next_change([public, embargoed, draft], NOW) == NOW + timedelta(hours=3)
    assert gate.next_change([public, embargoed], NOW + timedelta(hours=3)) == NOW + timedelta(hours=4)
    assert gate.next_change([public, embargoed], NOW + timedelta(hours=4)) == NOW + timedelta(hours=5)
    assert gate.next_change([public, embargoed], NOW + timedelta(hours=5)) is None


@pytest.mark.parametrize("kind", ["embargo", "revision", "withdrawal"])
def test_next_change_finds_each_kind_of_change(kind: str) -> None:
    at = NOW + timedelta(days=2)
    d = {
        "embargo": _embargoed(embargo=at),
        "revision": _embargoed(embargo=NOW - MINUTE, revisions=(Revision(at, "r"),)),
        "withdrawal": _embargoed(embargo=NOW - MINUTE, withdrawn=Withdrawal(at, "w")),
    }[kind]
    assert gate.next_change([d], NOW) == at
    assert gate.next_change([d], at) is None


def test_next_change_is_none_when_nothing_is_upcoming() -> None:
    assert gate.next_change([], NOW) is None
    assert gate.next_change([_embargoed(embargo=NOW - MINUTE)], NOW) is None
    assert gate.next_change([_embargoed(embargo=NOW + MINUTE, draft=True)], NOW) is None
    assert gate.next_change([_embargoed(embargo=None, draft=True)], NOW) is None


def test_next_change_compares_instants_across_offsets() -> None:
    d = _embargoed(embargo=datetime(2026, 12, 1, 17, 0, tzinfo=HST))
    assert gate.next_change([d], datetime(2026, 12, 2, 11, 59, tzinfo=JST)) == datetime(2026, 12, 2, 3, tzinfo=UTC)
    assert gate.next_change([d], datetime(2026, 12, 2, 12, 0, tzinfo=JST)) is None


# --- the clock must be aware -------------------------------------------------------------------------

NAIVE = datetime(2026, 11, 22, 12, 0)


def test_a_naive_clock_is_refused() -> None:
    d = _embargoed()
    with pytest.raises(ValueError, match="aware"):
        gate.is_public(d, NAIVE)
    with pytest.raises(ValueError, match="aware"):
        gate.publish([d], NAIVE)
    with pytest.raises(ValueError, match="aware"):
        gate.next_change([d], NAIVE)
    with pytest.raises(ValueError, match="aware"):
        gate.next_change([], NAIVE)


def test_a_naive_clock_is_refused_even_with_nothing_to_publish() -> None:
    with pytest.raises(ValueError, match="aware"):
        gate.publish([], NAIVE)


# --- the gate as a property --------------------------------------------------------------------------

_OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m)))
_INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=_OFFSETS)


@st.composite
def _disclosures(draw: st.DrawFn) -> list[Disclosure]:
    n = draw(st.integers(min_value=0, max_value=12))
    out = []
    for i in range(n):
        draft = draw(st.booleans())
        embargo = draw(st.none() | _INSTANTS) if draft else draw(_INSTANTS)
        revisions: tuple[Revision, ...] = ()
        withdrawn = None
        if embargo is not None:
            later = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
            dates = sorted(embargo + t for t in draw(st.lists(later, max_size=3)))
            revisions = tuple(Revision(t, f"r{j}") for j, t in enumerate(dates))
            if draw(st.booleans()):
                withdrawn = Withdrawal(embargo + draw(later), "w")
        out.append(make_disclosure(id=f"OSQI-2026-{i + 1:04d}", draft=draft, embargo_until=embargo,
                                   revisions=revisions, withdrawn=withdrawn))
    return draw(st.permutations(out))


def _clock(data: st.DataObject, ds: list[Disclosure]) -> datetime:
    """A random aware clock, often exactly on an embargo instant (in another offset) to hit the boundary."""
    stamps = [d.embargo_until for d in ds if d.embargo_until is not None]
    on_a_stamp: bool = data.draw(st.booleans())
    if stamps and on_a_stamp:
        stamp = data.draw(st.sampled_from(stamps))
        nudge = data.draw(st.sampled_from([timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1)]))
        return stamp.astimezone(data.draw(_OFFSETS)) + nudge
    return data.draw(_INSTANTS)


@given(st.data())
def test_publish_splits_exactly_by_draft_and_embargo(data: st.DataObject) -> None:
    ds = data.draw(_disclosures())
    now = _clock(data, ds)
    pub = gate.publish(ds, now)
    expected = {d.id for d in ds if not d.draft and d.embargo_until is not None and d.embargo_until <= now}
    public, withheld = set(_ids(pub.public)), set(_ids(pub.withheld))
    assert public == expected
    assert public | withheld == {d.id for d in ds}
    assert not public & withheld
    assert len(pub.public) + len(pub.withheld) == len(ds)
    assert _ids(pub.public) == sorted(public) and _ids(pub.withheld) == sorted(withheld)
    assert pub.now == now and pub.now.utcoffset() == timedelta(0)
    for d in pub.public:
        assert all(r.date <= now for r in d.revisions)
        assert d.withdrawn is None or d.withdrawn.date <= now


def _visible(ds: list[Disclosure], now: datetime) -> tuple[tuple[str, tuple[Revision, ...], object], ...]:
    return tuple((d.id, d.revisions, d.withdrawn) for d in gate.publish(ds, now).public)


@given(st.data())
def test_nothing_changes_before_next_change_and_something_changes_at_it(data: st.DataObject) -> None:
    ds = data.draw(_disclosures())
    now = _clock(data, ds)
    upcoming = gate.next_change(ds, now)
    if upcoming is None:
        assert _visible(ds, now) == _visible(ds, datetime(2100, 1, 1, tzinfo=UTC))
        return
    assert upcoming > now
    just_before = upcoming - timedelta(microseconds=1)
    assume(just_before >= now)
    assert _visible(ds, now) == _visible(ds, just_before)
    assert _visible(ds, upcoming) != _visible(ds, just_before)


# --- timefmt -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01T12:00:00Z", datetime(2026, 12, 1, 12, tzinfo=UTC)),
    ("2026-12-01t12:00:00z", datetime(2026, 12, 1, 12, tzinfo=UTC)),
    ("2026-12-01T12:00:00+00:00", datetime(2026, 12, 1, 12, tzinfo=UTC)),
    ("2026-12-01T21:00:00+09:00", datetime(2026, 12, 1, 12, tzinfo=UTC)),
    ("2026-12-01T17:00:00-10:00", datetime(2026, 12, 2, 3, tzinfo=UTC)),
    ("2026-12-01T12:00:00.5Z", datetime(2026, 12, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2026-12-01T12:00:00.123456Z", datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2026-12-01T12:00:00.123456789+01:00", datetime(2026, 12, 1, 11, 0, 0, 123456, tzinfo=UTC)),
    ("  2026-12-01T12:00:00Z  ", datetime(2026, 12, 1, 12, tzinfo=UTC)),
    (datetime(2026, 12, 1, 21, tzinfo=JST), datetime(2026, 12, 1, 12, tzinfo=UTC)),
])
def test_parse_instant_accepts_rfc3339_with_an_offset(text: object, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(("value", "message"), [
    ("2026-12-01", "is a date without a time"),
    (date(2026, 12, 1), "is a date without a time"),
    (datetime(2026, 12, 1, 12), "has no UTC offset"),
    ("2026-12-01T12:00:00", "has no UTC offset"),
    ("2026-12-01T12:00Z", "is not an RFC 3339 instant with offset"),
    ("2026-12-01T12:00:00+0900", "is not an RFC 3339 instant with offset"),
    ("2026-12-01T12:00:00 UTC", "is not an RFC 3339 instant with offset"),
    ("1 December 2026, noon", "is not an RFC 3339 instant with offset"),
    ("", "is not an RFC 3339 instant with offset"),
    ("2026-13-01T12:00:00Z", "is not a valid instant (month must be in 1..12)"),
    ("2026-02-30T12:00:00Z", "is not a valid instant"),
    ("2026-12-01T24:00:00Z", "is not a valid instant"),
    ("2026-12-01T12:00:60Z", "is not a valid instant"),
    ("2026-12-01T12:00:00+24:00", "is not an RFC 3339 instant with offset"),
    (None, "must be an RFC 3339 instant, not NoneType"),
    (1764590400, "must be an RFC 3339 instant, not int"),
])
def test_parse_instant_refuses_anything_ambiguous_or_malformed(value: object, message: str) -> None:
    with pytest.raises(InstantError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_instant(value)


@pytest.mark.parametrize("value", ["2026-12-01T12:00:00+05:99", "2026-12-01T12:00:00-00:60"])
def test_parse_instant_refuses_an_offset_with_minutes_out_of_range(value: str) -> None:
    with pytest.raises(InstantError):
        parse_instant(value)


def test_parse_date_or_instant_keeps_dates_as_dates() -> None:
    assert parse_date_or_instant("2026-10-01") == date(2026, 10, 1)
    assert parse_date_or_instant(date(2026, 10, 1)) == date(2026, 10, 1)
    assert parse_date_or_instant("2026-10-01T09:00:00+09:00") == datetime(2026, 10, 1, tzinfo=UTC)
    with pytest.raises(InstantError, match="is not a valid date"):
        parse_date_or_instant("2026-13-01")
    with pytest.raises(InstantError, match="has no UTC offset"):
        parse_date_or_instant(datetime(2026, 10, 1, 9))


def test_renderings_are_utc() -> None:
    moment = datetime(2026, 12, 1, 17, 0, 30, 999999, tzinfo=HST)
    assert iso_z(moment) == "2026-12-02T03:00:30Z"
    assert human(moment) == "2026-12-02 03:00 UTC"
    assert human(date(2026, 12, 1)) == "2026-12-01"
    assert day(moment) == date(2026, 12, 2)
    assert day(date(2026, 12, 1)) == date(2026, 12, 1)


@given(_INSTANTS)
def test_iso_z_round_trips_through_parse_instant(moment: datetime) -> None:
    assert parse_instant(iso_z(moment)) == moment.replace(microsecond=0)


def test_make_disclosure_follows_its_overrides() -> None:
    d = make_disclosure(id="OSQI-2026-0042", draft=True)
    assert d.source == "disclosures/2026/OSQI-2026-0042.md"
    assert replace(d, id="OSQI-2026-0001", source="disclosures/2026/OSQI-2026-0001.md", draft=False) == \
        make_disclosure()
