"""The French school calendar: school years, holidays (zone B) and school half-days.

A school year `2024-2025` runs from 1 September 2024 to 31 August 2025. Classes run from the
rentrée to the start of the summer holidays, Monday to Friday, except holidays and public
holidays; collèges have no class on Wednesday afternoon (an assumption that holds for most of
them; lycées are assumed to teach on Wednesday afternoon).

Zone B dates for 2023-24 to 2025-26 come from ../shared/FACTS.md (quoted from the ministry's
calendar). Other years use the rule in `_rule_based_calendar`, an assumption that reproduces
the usual shape (two weeks around 1 November, two at Christmas, two in February, two in April,
summer from the first Saturday of July).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "SchoolCalendar",
    "calendar_for",
    "monday_on_or_before",
    "school_half_days_between",
    "school_year_bounds",
    "school_year_of",
    "school_year_start",
]

D = dt.date


def school_year_of(day: dt.date) -> str:
    """The school year a date belongs to: 1 September to 31 August."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def school_year_start(school_year: str) -> int:
    """The calendar year in which `school_year` starts; checks the `YYYY-YYYY+1` form."""
    first, _, second = school_year.partition("-")
    if not (first.isdigit() and second.isdigit() and len(first) == 4 and len(second) == 4):
        raise ValueError(f"school year {school_year!r} is not written YYYY-YYYY")
    if int(second) != int(first) + 1:
        raise ValueError(f"school year {school_year!r} does not span two consecutive years")
    return int(first)


def school_year_bounds(school_year: str) -> tuple[dt.date, dt.date]:
    """First and last day (1 September, 31 August) of a school year."""
    start = school_year_start(school_year)
    return D(start, 9, 1), D(start + 1, 8, 31)


def monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class SchoolCalendar:
    """Class days of one school year. Holidays start after class on the first date of each
    pair and classes resume on the second."""

    school_year: str
    rentree: dt.date
    holidays: tuple[tuple[dt.date, dt.date], ...]
    summer_from: dt.date
    source: str

    def is_class_day(self, day: dt.date) -> bool:
        if day < self.rentree or day > self.summer_from or day.weekday() >= 5:
            return False
        if any(first < day < resume for first, resume in self.holidays):
            return False
        return day not in _public_holidays(day.year)

    def class_days(self) -> list[dt.date]:
        days = []
        day = self.rentree
        while day <= self.summer_from:
            if self.is_class_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def half_days(self, day: dt.date, college: bool) -> tuple[str, ...]:
        """The half-days with class on `day` (Wednesday afternoon off in collèges)."""
        if not self.is_class_day(day):
            return ()
        if college and day.weekday() == 2:
            return ("am",)
        return ("am", "pm")


# Zone B (académie de Rennes among others), ../shared/FACTS.md, quoted.
_KNOWN_ZONE_B: dict[str, tuple[D, tuple[tuple[D, D], ...], D]] = {
    "2023-2024": (
        D(2023, 9, 4),
        (
            (D(2023, 10, 21), D(2023, 11, 6)),
            (D(2023, 12, 23), D(2024, 1, 8)),
            (D(2024, 2, 24), D(2024, 3, 11)),
            (D(2024, 4, 20), D(2024, 5, 6)),
        ),
        D(2024, 7, 6),
    ),
    "2024-2025": (
        D(2024, 9, 2),
        (
            (D(2024, 10, 19), D(2024, 11, 4)),
            (D(2024, 12, 21), D(2025, 1, 6)),
            (D(2025, 2, 8), D(2025, 2, 24)),
            (D(2025, 4, 5), D(2025, 4, 22)),
        ),
        D(2025, 7, 5),
    ),
    "2025-2026": (
        D(2025, 9, 1),
        (
            (D(2025, 10, 18), D(2025, 11, 3)),
            (D(2025, 12, 20), D(2026, 1, 5)),
            (D(2026, 2, 14), D(2026, 3, 2)),
            (D(2026, 4, 11), D(2026, 4, 27)),
        ),
        D(2026, 7, 4),
    ),
}


def _saturday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 5) % 7)


def _rule_based_calendar(school_year: str) -> SchoolCalendar:
    """Assumption for years without published dates in FACTS.md."""
    start = school_year_start(school_year)
    rentree = D(start, 9, 1)
    while rentree.weekday() >= 5:
        rentree += dt.timedelta(days=1)
    two_weeks = dt.timedelta(days=16)
    toussaint = _saturday_on_or_before(D(start, 10, 24))
    christmas = _saturday_on_or_before(D(start, 12, 23))
    winter = _saturday_on_or_before(D(start + 1, 2, 17))
    spring = _saturday_on_or_before(D(start + 1, 4, 17))
    summer = D(start + 1, 7, 1)
    while summer.weekday() != 5:
        summer += dt.timedelta(days=1)
    holidays = tuple((first, first + two_weeks) for first in (toussaint, christmas, winter, spring))
    return SchoolCalendar(school_year, rentree, holidays, summer, "rule-based (assumption)")


@lru_cache(maxsize=64)
def calendar_for(school_year: str) -> SchoolCalendar:
    known = _KNOWN_ZONE_B.get(school_year)
    if known is None:
        return _rule_based_calendar(school_year)
    rentree, holidays, summer = known
    return SchoolCalendar(school_year, rentree, holidays, summer, "zone B, FACTS.md (quoted)")


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return D(year, month, day + 1)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[dt.date]:
    easter = _easter(year)
    ascension = easter + dt.timedelta(days=39)
    return frozenset(
        {
            D(year, 1, 1),
            easter + dt.timedelta(days=1),
            D(year, 5, 1),
            D(year, 5, 8),
            ascension,
            ascension + dt.timedelta(days=1),  # the "pont de l'Ascension", no class
            easter + dt.timedelta(days=50),
            D(year, 7, 14),
            D(year, 8, 15),
            D(year, 11, 1),
            D(year, 11, 11),
            D(year, 12, 25),
        }
    )


def school_half_days_between(first: dt.date, before: dt.date, college: bool) -> int:
    """Number of half-days with class in [first, before), across school years."""
    count = 0
    day = first
    while day < before:
        count += len(calendar_for(school_year_of(day)).half_days(day, college))
        day += dt.timedelta(days=1)
    return count
