"""Transparency figures of the home page, computed from public disclosures only, and their build-time chart.

Every function takes the public disclosures (``Publication.public``) and nothing else, so no figure can
count, or hint at, embargoed or draft work. Withdrawn records are public but describe no vulnerability;
they are left out of every figure and counted separately.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup, escape

from osqi_site.core.model import Disclosure
from osqi_site.core.timefmt import day

FIX_EVENTS = ("fixed", "fix_released")
"""Timeline events that show a fix existed."""


@dataclass(frozen=True)
class Figures:
    """The home page's transparency figures."""

    total: int
    """Published disclosures that are not withdrawn."""
    withdrawn: int
    per_year: tuple[tuple[int, int], ...]
    """(year, count) for every year from the first to the last with a publication, gaps included, oldest first."""
    median_days: float | None
    """Median days from the first ``reported`` event to publication; ``None`` when no record has one."""
    with_report_date: int
    """How many records the median is computed from."""
    fixed_before: int
    """Records with a fix by the time they were published."""

    @property
    def fixed_share(self) -> float | None:
        return self.fixed_before / self.total if self.total else None


def counted(public: Iterable[Disclosure]) -> list[Disclosure]:
    """The records the figures are about: public and not withdrawn."""
    return [d for d in public if d.withdrawn is None]


def _on_or_before(when: date | datetime, moment: datetime) -> bool:
    """A timeline date (a day, or an instant) is no later than ``moment``; a bare day compares by calendar day."""
    if isinstance(when, datetime):
        return when <= moment
    return when <= day(moment)


def days_to_disclosure(d: Disclosure) -> int | None:
    """Whole days from the first ``reported`` timeline event to publication, or ``None`` without one."""
    reported = [day(e.date) for e in d.timeline if e.event == "reported"]
    if not reported:
        return None
    return (day(d.published) - min(reported)).days


def days_to_fix(d: Disclosure) -> int | None:
    """Whole days from the first ``reported`` event to the first fix event, or ``None`` without both."""
    reported = [day(e.date) for e in d.timeline if e.event == "reported"]
    fixes = [day(e.date) for e in d.timeline if e.event in FIX_EVENTS]
    if not reported or not fixes:
        return None
    return (min(fixes) - min(reported)).days


def median_days(records: Iterable[Disclosure], days: Callable[[Disclosure], int | None]) -> tuple[float | None, int]:
    """The median of ``days`` over the records that have it, and how many do."""
    found = [n for n in (days(d) for d in records) if n is not None]
    return (float(statistics.median(found)) if found else None), len(found)


def fixed_before_disclosure(d: Disclosure) -> bool:
    """A fix existed at publication: the timeline says when, and only without fix events do ranges decide.

    A ``fixed`` range records that a fix exists now, not that it existed at publication (xz 5.6.2 came
    out two months after the backdoor was disclosed), so dated events take precedence.
    """
    fixes = [e for e in d.timeline if e.event in FIX_EVENTS]
    if fixes:
        return any(_on_or_before(e.date, d.published) for e in fixes)
    return any(r.fixed for a in d.affected for r in a.ranges)


def per_year(records: Iterable[Disclosure]) -> tuple[tuple[int, int], ...]:
    counts = Counter(d.year for d in records)
    if not counts:
        return ()
    return tuple((y, counts.get(y, 0)) for y in range(min(counts), max(counts) + 1))


def figures(public: Sequence[Disclosure]) -> Figures:
    records = counted(public)
    median, with_report_date = median_days(records, days_to_disclosure)
    return Figures(
        total=len(records),
        withdrawn=len(public) - len(records),
        per_year=per_year(records),
        median_days=median,
        with_report_date=with_report_date,
        fixed_before=sum(1 for d in records if fixed_before_disclosure(d)),
    )


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def year_chart(per_year_counts: Sequence[tuple[int, int]], *, width: int = 360, height: int = 150) -> Markup:
    """A bar chart of disclosures per year as inline SVG: no script, no external request, same bytes every build.

    Colours come from ``currentColor`` and CSS classes, so the chart follows the page's colour scheme.
    """
    if not per_year_counts:
        return Markup("")
    top, bottom, side = 20, 22, 4
    plot_h = height - top - bottom
    peak = max(n for _, n in per_year_counts) or 1
    slot = (width - 2 * side) / len(per_year_counts)
    bar_w = min(slot * 0.6, 40)
    summary = ", ".join(f"{y}: {n}" for y, n in per_year_counts)
    parts = [
        f'<svg class="osqi-chart__svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="osqi-chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="osqi-chart-title">Disclosures per year: {escape(summary)}</title>',
        f'<line class="osqi-chart__axis" x1="{side}" y1="{top + plot_h}" x2="{width - side}" '
        f'y2="{top + plot_h}"/>',
    ]
    for i, (year, n) in enumerate(per_year_counts):
        cx = side + slot * i + slot / 2
        h = plot_h * n / peak
        y = top + plot_h - h
        parts.append(f'<rect class="osqi-chart__bar" x="{_num(cx - bar_w / 2)}" y="{_num(y)}" '
                     f'width="{_num(bar_w)}" height="{_num(h)}" rx="2"/>')
        parts.append(f'<text class="osqi-chart__value" x="{_num(cx)}" y="{_num(y - 5)}" '
                     f'text-anchor="middle">{n}</text>')
        parts.append(f'<text class="osqi-chart__label" x="{_num(cx)}" y="{height - 6}" '
                     f'text-anchor="middle">{year}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
