"""The students who left school without a solution: whose schooling ended in the twelve
months before a date, without the minimum qualification, and who are enrolled nowhere since.

What the MLDS (mission de lutte contre le décrochage scolaire) looks for first. The rules
follow the label's (`features.labels`, docs/data-contract.md "Labels"), as of `as_of`, from
the facts known then (enrollments starting on or before `as_of`, exams dated on or before):

- **left**: the student's latest enrollment ended with `dropped_out` leaves on the day after
  its `end_date` (`left_on`, a student enrolled to 31 August who did not come back leaves on
  1 September), and `left_on` falls in the twelve months up to `as_of`
  (`as_of` minus one year < `left_on` <= `as_of`);
- **no later enrollment**: no other enrollment of the student is open or ends after that
  `end_date` (a student who came back, anywhere in the extraction, is not on the list);
- **without the minimum qualification** (décret 2010-1781: baccalauréat, CAP or BEP): no
  `pass` at a qualifying exam (`features.labels.QUALIFYING_EXAMS`), and no enrollment ended
  with `diploma`;
- a student who moved elsewhere (an enrollment ended with `transferred`, or `completed` /
  `other`, with nothing after it) did not drop out: not on the list (their fate is unknown,
  as the label's censoring says).

Each leaver has the exit kind of the label (`during_year`, `no_return`,
`after_exam_failure`), the last establishment, level, track and class, the age on `as_of` in
whole years, and the exams failed or missed (mock exams left out). `with_interviews` adds
whether an interview took place and its outcome, from the store's interviews.

Pure functions over frames of the extraction's tables (`leavers`, `with_interviews`); the
reading of an extraction is `read_leaver_tables`, the I/O edge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.calendar import calendar_for
from features.extraction import Extraction, open_extraction
from features.labels import EXAM_FAILURE_WEEKS, QUALIFYING_EXAMS

__all__ = [
    "LEAVER_COLUMNS",
    "LeaverTables",
    "establishments_on",
    "leavers",
    "leavers_of_extraction",
    "paths",
    "read_leaver_tables",
    "window_start",
    "with_interviews",
]

LEAVER_COLUMNS: tuple[str, ...] = (
    "student_id",
    "last_name",
    "first_name",
    "uai",
    "establishment_name",
    "school_year",
    "level",
    "track",
    "class_id",
    "last_day",
    "left_on",
    "exit_kind",
    "birth_date",
    "age",
    "failed_exams",
)
_NEEDED = {
    "enrollments": ("student_id", "school_year", "uai", "level", "track", "class_id",
                    "start_date", "end_date", "exit_reason"),
    "students": ("student_id", "birth_date"),
    "exams": ("student_id", "date", "exam", "result"),
    "establishments": ("uai", "name"),
}  # fmt: skip


@dataclass(frozen=True)
class LeaverTables:
    """The extraction's tables the leavers are read from (typed as the contract says)."""

    enrollments: pd.DataFrame
    students: pd.DataFrame
    exams: pd.DataFrame
    establishments: pd.DataFrame


def window_start(as_of: dt.date) -> dt.date:
    """`as_of` one year earlier (28 February for a 29 February): a leaver's `left_on` is
    after it."""
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:
        return as_of.replace(year=as_of.year - 1, day=28)


def _require(tables: LeaverTables) -> None:
    for name, columns in _NEEDED.items():
        frame: pd.DataFrame = getattr(tables, name)
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise ValueError(f"table {name!r} has no column(s) {missing}")


def _days(values: pd.Series, table: str, column: str) -> pd.Series:
    """`values` as datetime64 days; ValueError naming the table, row and column of the first
    value that is not a date."""
    parsed = pd.to_datetime(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ValueError(
            f"table {table!r} row {row}, column {column!r}: {values.iloc[row - 1]!r} is not a date"
        )
    return parsed.astype("datetime64[us]")


def _age(birth: pd.Series, on: dt.date) -> pd.Series:
    before_birthday = (birth.dt.month > on.month) | (
        (birth.dt.month == on.month) & (birth.dt.day > on.day)
    )
    return (on.year - birth.dt.year - before_birthday.astype(int)).astype("Int64")


def _exit_kind(exits: pd.DataFrame, exams: pd.DataFrame) -> pd.Series:
    """The label's exit kind of each exit (`features.labels.dropout_exits`)."""
    failures = exams[
        exams["exam"].isin(QUALIFYING_EXAMS) & exams["result"].isin(("fail", "absent"))
    ]
    pairs = exits[["student_id", "end_date"]].reset_index().merge(failures, on="student_id")
    window = pd.Timedelta(weeks=EXAM_FAILURE_WEEKS)
    near = pairs[
        (pairs["date"] <= pairs["end_date"]) & (pairs["date"] > pairs["end_date"] - window)
    ]
    failed = exits.index.isin(near["index"])
    summers = {
        year: pd.Timestamp(calendar_for(year).summer_from) for year in exits["school_year"].unique()
    }
    to_the_end = (exits["end_date"] >= exits["school_year"].map(summers)).to_numpy(dtype=bool)
    kind = np.where(failed, "after_exam_failure", np.where(to_the_end, "no_return", "during_year"))
    return pd.Series(kind, index=exits.index, dtype="object")


def _failed_exams(exams: pd.DataFrame, students: pd.Series) -> pd.Series:
    """Per student of `students`, the exams failed or missed (mock exams out), oldest first,
    as (exam, date, result) tuples."""
    failed = exams[(exams["exam"] != "mock") & exams["result"].isin(("fail", "absent"))]
    failed = failed[failed["student_id"].isin(set(students))].sort_values(
        ["student_id", "date", "exam", "result"], kind="stable"
    )
    by_student: dict[str, list[tuple[str, dt.date, str]]] = {}
    for student_id, exam, day, result in failed[
        ["student_id", "exam", "date", "result"]
    ].itertuples(index=False):
        by_student.setdefault(student_id, []).append((exam, day.date(), result))
    return students.map(lambda student: tuple(by_student.get(student, ())))


def leavers(tables: LeaverTables, as_of: dt.date) -> pd.DataFrame:
    """The students who left without a solution in the twelve months up to `as_of` (see the
    module docstring), one row each, by last establishment, leaving day and student id;
    columns `LEAVER_COLUMNS` (`last_day`, `left_on`, `birth_date` as dates)."""
    _require(tables)
    cut = pd.Timestamp(as_of)
    enrollments = tables.enrollments.copy()
    enrollments["student_id"] = enrollments["student_id"].astype(str)
    enrollments["school_year"] = enrollments["school_year"].astype(str)
    enrollments["start_date"] = _days(enrollments["start_date"], "enrollments", "start_date")
    enrollments["end_date"] = _days(enrollments["end_date"], "enrollments", "end_date")
    enrollments = enrollments[enrollments["start_date"] <= cut].reset_index(drop=True)
    exams = tables.exams.copy()
    exams["student_id"] = exams["student_id"].astype(str)
    exams["date"] = _days(exams["date"], "exams", "date")
    exams = exams[exams["date"] <= cut]

    # Each student's latest dropout exit, on or before the day before `as_of`.
    exits = enrollments[
        (enrollments["exit_reason"] == "dropped_out")
        & enrollments["end_date"].notna()
        & (enrollments["end_date"] < cut)
    ]
    exits = exits.sort_values(["student_id", "end_date", "uai"], kind="stable")
    exits = exits.groupby("student_id", sort=True).tail(1)
    exits = exits[exits["end_date"] + pd.Timedelta(days=1) > pd.Timestamp(window_start(as_of))]

    # Enrolled again, or still enrolled elsewhere, after leaving.
    pairs = (
        exits[["student_id", "end_date"]]
        .reset_index()
        .merge(
            enrollments[["student_id", "end_date"]].rename(columns={"end_date": "other_end"}),
            on="student_id",
        )
    )
    later = pairs["other_end"].isna() | (pairs["other_end"] > pairs["end_date"])
    exits = exits[~exits.index.isin(pairs.loc[later, "index"])]

    # Qualified: a pass at a qualifying exam, or a year ended with a diploma.
    passed = exams.loc[
        exams["exam"].isin(QUALIFYING_EXAMS) & (exams["result"] == "pass"), "student_id"
    ]
    diploma = enrollments.loc[enrollments["exit_reason"] == "diploma", "student_id"]
    exits = exits[~exits["student_id"].isin(set(passed) | set(diploma))]

    exits = exits.assign(exit_kind=_exit_kind(exits, exams))
    students = tables.students.copy()
    students["student_id"] = students["student_id"].astype(str)
    students["birth_date"] = _days(students["birth_date"], "students", "birth_date")
    for name in ("last_name", "first_name"):
        if name not in students.columns:
            students[name] = None
    names = tables.establishments[["uai", "name"]].rename(columns={"name": "establishment_name"})
    found = exits.merge(
        students[["student_id", "birth_date", "last_name", "first_name"]],
        on="student_id",
        how="left",
        validate="one_to_one",
    ).merge(names, on="uai", how="left", validate="many_to_one")
    unknown = found["birth_date"].isna()
    if unknown.any():
        raise ValueError(
            f"table 'enrollments': student {found.loc[unknown, 'student_id'].iloc[0]!r} is not "
            "in table 'students' (column 'student_id')"
        )
    found = found.assign(
        last_day=found["end_date"],
        left_on=found["end_date"] + pd.Timedelta(days=1),
        age=_age(found["birth_date"], as_of),
        failed_exams=_failed_exams(exams, found["student_id"]),
    )
    found = found.sort_values(["uai", "left_on", "student_id"], kind="stable")
    for column in ("last_day", "left_on", "birth_date"):
        found[column] = found[column].dt.date
    return found.loc[:, list(LEAVER_COLUMNS)].reset_index(drop=True)


def with_interviews(found: pd.DataFrame, interviews: pd.DataFrame) -> pd.DataFrame:
    """`found` (`leavers`) with each student's interviews: `interview_held` (an interview
    was held), and the latest interview's `interview_status`, `interview_date`,
    `interview_solution` and `interview_uai` (None without any). `interviews` has the store's
    columns `id`, `student_id`, `uai`, `status`, `interview_date`, `solution`."""
    missing = [c for c in ("id", "student_id", "uai", "status", "interview_date", "solution")
               if c not in interviews.columns]  # fmt: skip
    if missing:
        raise ValueError(f"table 'interviews' has no column(s) {missing}")
    held = set(interviews.loc[interviews["status"] == "held", "student_id"])
    latest = (
        interviews.sort_values(["student_id", "id"], kind="stable").groupby("student_id").tail(1)
    )
    latest = latest.set_index("student_id")
    ids = found["student_id"]

    def of(column: str) -> pd.Series:
        values = latest[column].reindex(ids.to_numpy())
        kept = [None if pd.isna(value) else value for value in values]
        return pd.Series(kept, index=found.index, dtype="object")

    return found.assign(
        interview_held=ids.isin(held).to_numpy(),
        interview_status=of("status"),
        interview_date=of("interview_date"),
        interview_solution=of("solution"),
        interview_uai=of("uai"),
    )


def establishments_on(enrollments: pd.DataFrame, day: dt.date) -> dict[str, str]:
    """Each student's establishment on `day`, by the store's rule (`serving.db.enrollments`):
    the enrollment with the latest start on or before `day`, else (only later enrollments)
    the latest one; ties on the start day go to the smallest uai."""
    frame = enrollments[["student_id", "uai", "start_date"]].copy()
    frame["student_id"] = frame["student_id"].astype(str)
    frame["start_date"] = _days(frame["start_date"], "enrollments", "start_date")
    frame["later"] = frame["start_date"] > pd.Timestamp(day)
    frame = frame.sort_values(
        ["student_id", "later", "start_date", "uai"], ascending=[True, False, True, False],
        kind="stable",
    )  # fmt: skip
    last = frame.groupby("student_id", sort=True).tail(1)
    return dict(zip(last["student_id"], last["uai"].astype(str), strict=True))


def paths(enrollments: pd.DataFrame, students: set[str], as_of: dt.date) -> pd.DataFrame:
    """The enrollments of `students` that started on or before `as_of`, oldest first: each
    student's path up to the date."""
    frame = enrollments.copy()
    frame["student_id"] = frame["student_id"].astype(str)
    frame["start_date"] = _days(frame["start_date"], "enrollments", "start_date")
    frame["end_date"] = _days(frame["end_date"], "enrollments", "end_date")
    frame = frame[frame["student_id"].isin(students) & (frame["start_date"] <= pd.Timestamp(as_of))]
    return frame.sort_values(["student_id", "start_date", "uai"], kind="stable").reset_index(
        drop=True
    )


def read_leaver_tables(source: Extraction | str | Path) -> LeaverTables:
    """The tables `leavers` reads, from an extraction folder (or an open one): every row of
    the students who have an enrollment ended with `dropped_out` (the only ones the list can
    hold, whatever the date), and every establishment."""
    if not isinstance(source, Extraction):
        with open_extraction(source) as extraction:
            return read_leaver_tables(extraction)
    dropped = (
        "student_id IN (SELECT DISTINCT student_id FROM enrollments "
        "WHERE exit_reason = 'dropped_out')"
    )
    frames = {}
    for table, columns in _NEEDED.items():
        wanted = list(columns)
        if table == "students":
            wanted += ["last_name", "first_name"]
        where = "" if table == "establishments" else f" WHERE {dropped}"
        frames[table] = source.con.execute(f"SELECT {', '.join(wanted)} FROM {table}{where}").df()
    return LeaverTables(**frames)


def leavers_of_extraction(source: Extraction | str | Path, as_of: dt.date) -> pd.DataFrame:
    """`leavers` of an extraction folder as of `as_of`."""
    return leavers(read_leaver_tables(source), as_of)
