"""Transparency figures: pure functions of the public disclosures, and their build-time SVG chart."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from factory import make_disclosure

from osqi_site.core.model import Affected, Disclosure, Range, TimelineEvent, Withdrawal
from osqi_site.pages import stats

PUBLISHED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
UNFIXED = (Affected(ecosystem="PyPI", package="libfoo", ranges=(Range(introduced="0", last_affected="1.0"),)),)


def _d(ident: str = "OSQI-2026-0001", *, published: datetime = PUBLISHED, events: tuple[TimelineEvent, ...] = (),
       affected: tuple[Affected, ...] = UNFIXED, withdrawn: bool = False) -> Disclosure:
    return make_disclosure(id=ident, embargo_until=published, timeline=events, affected=affected,
                           withdrawn=Withdrawal(published, "Duplicate.") if withdrawn else None)


def _ev(when: date | datetime, event: str) -> TimelineEvent:
    return TimelineEvent(date=when, event=event)


def test_days_to_disclosure_counts_from_the_first_report() -> None:
    d = _d(events=(_ev(date(2026, 1, 1), "discovered"), _ev(date(2026, 2, 10), "reported"),
                   _ev(date(2026, 2, 1), "reported")))
    assert stats.days_to_disclosure(d) == 37  # 2026-02-01 -> 2026-03-10


def test_days_to_disclosure_needs_a_reported_event() -> None:
    assert stats.days_to_disclosure(_d(events=(_ev(date(2026, 1, 1), "discovered"),))) is None


def test_days_to_disclosure_uses_calendar_days_of_instants() -> None:
    d = _d(events=(_ev(datetime(2026, 3, 9, 23, 59, tzinfo=UTC), "reported"),))
    assert stats.days_to_disclosure(d) == 1


@pytest.mark.parametrize(("events", "affected", "expected"), [
    ((), UNFIXED, False),
    ((_ev(date(2026, 3, 10), "fix_released"),), UNFIXED, True),          # same day as publication counts
    ((_ev(date(2026, 3, 1), "fixed"),), UNFIXED, True),
    ((_ev(date(2026, 3, 11), "fix_released"),), UNFIXED, False),         # fixed only after disclosure
    ((_ev(datetime(2026, 3, 10, 12, 0, 1, tzinfo=UTC), "fix_released"),), UNFIXED, False),  # a second late
    ((_ev(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), "fix_released"),), UNFIXED, True),
    ((_ev(date(2026, 3, 1), "reported"),), UNFIXED, False),
    ((), (Affected(ecosystem="PyPI", package="libfoo", ranges=(Range(introduced="0", fixed="1.2"),)),), True),
    # A dated late fix outweighs a fixed range: the fix did not exist at publication.
    ((_ev(date(2026, 5, 1), "fix_released"),),
     (Affected(ecosystem="PyPI", package="libfoo", ranges=(Range(introduced="0", fixed="1.2"),)),), False),
])
def test_fixed_before_disclosure(events: tuple[TimelineEvent, ...], affected: tuple[Affected, ...],
                                 expected: bool) -> None:
    assert stats.fixed_before_disclosure(_d(events=events, affected=affected)) is expected


def test_figures_leave_withdrawn_records_out_and_fill_year_gaps() -> None:
    public = [
        _d("OSQI-2021-0001", published=datetime(2021, 5, 1, tzinfo=UTC),
           events=(_ev(date(2021, 4, 1), "reported"),)),                                    # 30 days, unfixed
        _d("OSQI-2024-0001", published=datetime(2024, 5, 1, tzinfo=UTC),
           events=(_ev(date(2024, 4, 21), "reported"), _ev(date(2024, 4, 30), "fix_released"))),  # 10, fixed
        _d("OSQI-2024-0002", published=datetime(2024, 6, 1, tzinfo=UTC)),                   # no report date
        _d("OSQI-2024-0003", published=datetime(2024, 7, 1, tzinfo=UTC), withdrawn=True,
           events=(_ev(date(2020, 1, 1), "reported"), _ev(date(2024, 1, 1), "fixed"))),   # not counted
    ]
    f = stats.figures(public)
    assert f.total == 3
    assert f.withdrawn == 1
    assert f.per_year == ((2021, 1), (2022, 0), (2023, 0), (2024, 2))
    assert f.median_days == 20.0
    assert f.with_report_date == 2
    assert f.fixed_before == 1
    assert f.fixed_share == pytest.approx(1 / 3)


def test_figures_of_nothing() -> None:
    f = stats.figures([])
    assert (f.total, f.withdrawn, f.per_year, f.median_days, f.with_report_date, f.fixed_share) == \
        (0, 0, (), None, 0, None)
    assert stats.year_chart(f.per_year) == ""


def test_figures_only_see_what_they_are_given() -> None:
    """The caller passes Publication.public; nothing else reaches the figures."""
    one = [_d("OSQI-2026-0001")]
    assert stats.figures(one) == stats.figures(tuple(one))
    assert stats.figures(one).total == 1


def test_year_chart_is_self_contained_accessible_svg() -> None:
    svg = str(stats.year_chart(((2022, 3), (2023, 0), (2024, 1))))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "<title " in svg
    assert "Disclosures per year: 2022: 3, 2023: 0, 2024: 1" in svg
    for year in ("2022", "2023", "2024"):
        assert f">{year}</text>" in svg
    # No scripts, styles, links or images: nothing that could make a request.
    for forbidden in ("<script", "<image", "href", "url(", "<style", "<foreignObject"):
        assert forbidden not in svg
    assert svg.count("http") == 1 and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert svg.count("<rect ") == 3
    assert 'height="0"' in svg  # the empty year has a bar of zero height, not a missing slot


def test_year_chart_scales_to_the_peak() -> None:
    counts = ((2020, 2), (2021, 4))
    svg = str(stats.year_chart(counts, width=200, height=100))
    # plot height = 100 - 20 (top) - 22 (bottom) = 58: the peak bar fills it, the other is half.
    assert 'height="58"' in svg and 'height="29"' in svg
