"""The small helper tables the feature query joins: as-of dates, class days, levels.

They are computed in Python from `features.calendar` and `features.catalog`, the single
sources of the school calendar and of the definitions, and registered as Arrow tables on the
builder's private cursor.
"""

from __future__ import annotations

import bisect
import datetime as dt

import pyarrow as pa

from features.calendar import calendar_for, school_year_bounds, school_year_of
from features.catalog import NOMINAL_AGE, WINDOW_DAYS

__all__ = ["as_of_table", "class_days_table", "days_table", "levels_table"]


def as_of_table(dates: list[dt.date]) -> pa.Table:
    """One row per as-of date, numbered 1, 2... in date order (`as_of_index`), with its school
    year and the first day of each window."""
    rows: dict[str, list[object]] = {
        name: []
        for name in ("as_of", "as_of_index", "school_year", "year_start", "previous_year_start",
                     "rentree_year", "start_2w", "start_4w", "start_8w", "earliest")
    }  # fmt: skip
    for index, as_of in enumerate(sorted(dates), start=1):
        school_year = school_year_of(as_of)
        year_start, _ = school_year_bounds(school_year)
        starts = {w: as_of - dt.timedelta(days=days) for w, days in WINDOW_DAYS.items()}
        values = {
            "as_of": as_of,
            "as_of_index": index,
            "school_year": school_year,
            "year_start": year_start,
            "previous_year_start": year_start.replace(year=year_start.year - 1),
            "rentree_year": year_start.year,
            **{f"start_{w}": start for w, start in starts.items()},
            "earliest": min(year_start, *starts.values()),
        }
        for name, value in values.items():
            rows[name].append(value)
    types = {name: pa.date32() for name in rows}
    types.update(school_year=pa.string(), rentree_year=pa.int64(), as_of_index=pa.int64())
    return pa.table({name: pa.array(values, types[name]) for name, values in rows.items()})


def class_days_table(dates: list[dt.date]) -> pa.Table:
    """Class days (per `features.calendar`) any window can reach, numbered consecutively,
    with their class half-days in a collège and in a lycée."""
    days: list[dt.date] = []
    college: list[int] = []
    lycee: list[int] = []
    if dates:
        day = min(as_of_table(dates).column("earliest").to_pylist())
        while day < max(dates):
            calendar = calendar_for(school_year_of(day))
            if calendar.is_class_day(day):
                days.append(day)
                college.append(len(calendar.half_days(day, college=True)))
                lycee.append(len(calendar.half_days(day, college=False)))
            day += dt.timedelta(days=1)
    return pa.table({
        "day": pa.array(days, pa.date32()),
        "class_day_number": pa.array(range(len(days)), pa.int64()),
        "college_half_days": pa.array(college, pa.int64()),
        "lycee_half_days": pa.array(lycee, pa.int64()),
    })  # fmt: skip


def days_table(dates: list[dt.date], first_day: dt.date) -> pa.Table:
    """Every day from `first_day` to the last as-of date (excluded), with the first day of its
    school year and the range of as-of dates (numbered 1, 2... in date order) for which an
    event of that day counts in each window: from `bucket` + 1 (`bucket` is the number of
    as-of dates on or before the day, since only events strictly before an as-of date count)
    to `until_2w`, `until_4w`, `until_8w` (the number of as-of dates whose window of 2, 4 or 8
    weeks holds the day: as_of - days <= day) and `until_ytd` (the number of as-of dates up to
    the end of the day's school year). An empty range (until = bucket) is possible."""
    ordered = sorted(dates)
    spans = {w: dt.timedelta(days=days) for w, days in WINDOW_DAYS.items()}
    columns: dict[str, list[object]] = {
        name: []
        for name in ("day", "year_start", "bucket", "until_2w", "until_4w", "until_8w",
                     "until_ytd")
    }  # fmt: skip
    day = first_day
    while ordered and day < ordered[-1]:
        year_start, year_end = school_year_bounds(school_year_of(day))
        columns["day"].append(day)
        columns["year_start"].append(year_start)
        columns["bucket"].append(bisect.bisect_right(ordered, day))
        for window, span in spans.items():
            columns[f"until_{window}"].append(bisect.bisect_right(ordered, day + span))
        columns["until_ytd"].append(bisect.bisect_right(ordered, year_end))
        day += dt.timedelta(days=1)
    types = {name: pa.int64() for name in columns}
    types.update(day=pa.date32(), year_start=pa.date32())
    return pa.table({name: pa.array(values, types[name]) for name, values in columns.items()})


def levels_table() -> pa.Table:
    return pa.table({
        "level": pa.array(list(NOMINAL_AGE), pa.string()),
        "nominal_age": pa.array(list(NOMINAL_AGE.values()), pa.int64()),
    })  # fmt: skip
