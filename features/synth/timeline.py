"""Days as integers, and the class days of each simulated school year.

The generator counts days as integers (days since 1970-01-01, numpy's `datetime64[D]`), so
that dates are plain int32 arrays until the tables are assembled. `YearTimeline` holds what
the components need to know about one school year: its bounds, its class days (from
`features.calendar`, zone B), its trimesters and the extraction cut.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from features.calendar import calendar_for, school_year_bounds, school_year_start

__all__ = ["YearTimeline", "day_number", "month_day", "to_date", "year_timelines"]

NEVER = np.int32(2**31 - 1)
"""Sentinel day for "no such day" (an exit that does not happen, an open enrollment)."""


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return int(np.datetime64(day, "D").astype(np.int64))


def to_date(number: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(number))


def month_day(school_year: str, text: str) -> dt.date:
    """The date of "MM-DD" within a school year (September to December: first calendar
    year; January to August: second)."""
    month, day = (int(part) for part in text.split("-"))
    start = school_year_start(school_year)
    return dt.date(start if month >= 9 else start + 1, month, day)


@dataclass(frozen=True)
class YearTimeline:
    """One simulated school year.

    `horizon` is the first day on which nothing may be recorded: the day after 31 August, or
    the extraction date for the cut (last) year.
    """

    index: int
    school_year: str
    first_day: int
    last_day: int
    rentree: int
    last_class_day: int
    class_days: np.ndarray  # int32, sorted, the whole year (not cut)
    college_class_pm: np.ndarray  # bool per class day: collèges teach in the afternoon
    months: np.ndarray  # int8 month (1-12) of each class day
    period_starts: tuple[int, int]  # first day of periods 2 and 3
    marks_end: int  # no marks on or after this day (class councils, exams)
    horizon: int

    @property
    def is_cut(self) -> bool:
        return self.horizon <= self.last_day

    def class_days_before_horizon(self) -> np.ndarray:
        return self.class_days[self.class_days < self.horizon]

    def day_of(self, text: str) -> int:
        return day_number(month_day(self.school_year, text))

    def snap_to_class_day(self, days: np.ndarray) -> np.ndarray:
        """The first class day on or after each day (the last class day if none)."""
        index = np.searchsorted(self.class_days, days, side="left")
        return self.class_days[np.minimum(index, len(self.class_days) - 1)]

    def period_of(self, days: np.ndarray) -> np.ndarray:
        """Trimester (1, 2 or 3) of each day."""
        second, third = self.period_starts
        return (1 + (days >= second).astype(np.int8) + (days >= third)).astype(np.int8)


def _timeline(
    index: int, school_year: str, horizon: dt.date | None, periods: tuple[str, str], marks_end: str
) -> YearTimeline:
    calendar = calendar_for(school_year)
    first, last = school_year_bounds(school_year)
    days = calendar.class_days()
    numbers = np.array([day_number(day) for day in days], dtype=np.int32)
    afternoons = np.array([len(calendar.half_days(day, college=True)) == 2 for day in days])
    months = np.array([day.month for day in days], dtype=np.int8)
    after_last = day_number(last) + 1
    cut = after_last if horizon is None else min(day_number(horizon), after_last)
    return YearTimeline(
        index=index,
        school_year=school_year,
        first_day=day_number(first),
        last_day=day_number(last),
        rentree=int(numbers[0]),
        last_class_day=int(numbers[-1]),
        class_days=numbers,
        college_class_pm=afternoons,
        months=months,
        period_starts=(
            day_number(month_day(school_year, periods[0])),
            day_number(month_day(school_year, periods[1])),
        ),
        marks_end=day_number(month_day(school_year, marks_end)),
        horizon=cut,
    )


def year_timelines(
    school_years: list[str], extraction_date: dt.date, periods: tuple[str, str], marks_end: str
) -> list[YearTimeline]:
    """Timelines of the simulated years; the last one is cut at the extraction date."""
    last = len(school_years) - 1
    return [
        _timeline(index, year, extraction_date if index == last else None, periods, marks_end)
        for index, year in enumerate(school_years)
    ]
