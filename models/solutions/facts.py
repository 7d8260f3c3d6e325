"""A student's facts on a date, as the eligibility rules read them (`models.solutions.rules`).

Pure: the caller reads the extraction and the store, and passes plain records here. The
facts of a date use only what is dated on or before it:

- `age`: full years on the date (birthday reached on the day itself; None: birth unknown).
- `enrolled`: an enrollment is open on the date (start on or before it, and an end on or after
  it; without an end, open until 31 August of its school year: an enrollment nobody closed
  does not make a student who never came back look enrolled forever).
- `left_on`, `exit_reason`, `months_since_leaving`: for a student not enrolled on the date,
  the end of the latest enrollment ended before it and why it ended; full months since then.
  A student whose last enrollment ended by a transfer (moved elsewhere, fate unknown here)
  has no `months_since_leaving`: they did not leave the education system.
- `failed_exams`: the exams (mock exams excepted) whose latest result on or before the date is
  a fail, with that date; `diplomas`: the exams passed (the brevet included).
- `qualified`: holds the minimum qualification (décret 2010-1781: CAP, BEP or a
  baccalauréat, `features.labels.QUALIFYING_EXAMS`), or left with `exit_reason` diploma.
- `interview_held`: an entretien de situation was held on or before the date (the caller
  decides from the store's interviews).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from features.labels import QUALIFYING_EXAMS

__all__ = [
    "EnrollmentRecord",
    "ExamRecord",
    "FailedExam",
    "StudentFacts",
    "age_on",
    "facts_on",
    "full_months_between",
]

MOCK_EXAM = "mock"
TRANSFERRED = "transferred"
DIPLOMA_EXIT = "diploma"


@dataclass(frozen=True)
class EnrollmentRecord:
    """One row of the extraction's `enrollments` table, as far as eligibility needs it."""

    school_year: str
    start_date: dt.date
    end_date: dt.date | None = None
    exit_reason: str | None = None


@dataclass(frozen=True)
class ExamRecord:
    """One row of the extraction's `exams` table."""

    date: dt.date
    exam: str
    result: str


@dataclass(frozen=True)
class FailedExam:
    exam: str
    date: dt.date


@dataclass(frozen=True)
class StudentFacts:
    """What the rules read about one student on `on` (see the module's docstring)."""

    student_id: str
    on: dt.date
    age: int | None
    enrolled: bool
    left_on: dt.date | None = None
    exit_reason: str | None = None
    months_since_leaving: int | None = None
    failed_exams: tuple[FailedExam, ...] = ()
    diplomas: tuple[str, ...] = ()
    qualified: bool = False
    interview_held: bool = False


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Full years of age on `on` (born 29 February: a year older on 1 March)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def full_months_between(start: dt.date, end: dt.date) -> int:
    """Full months from `start` to `end` (4 July to 3 July next year: 11; to 4 July: 12)."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _school_year_end(school_year: str) -> dt.date:
    return dt.date(int(school_year[-4:]), 8, 31)


def _end(enrollment: EnrollmentRecord) -> dt.date:
    return enrollment.end_date or _school_year_end(enrollment.school_year)


def facts_on(
    on: dt.date,
    *,
    student_id: str,
    birth_date: dt.date | None,
    enrollments: Iterable[EnrollmentRecord],
    exams: Iterable[ExamRecord],
    interview_held: bool = False,
) -> StudentFacts:
    """The facts of `student_id` on `on` from their records (any order; later ones ignored)."""
    started = [each for each in enrollments if each.start_date <= on]
    enrolled = any(_end(each) >= on for each in started)
    left_on = exit_reason = months = None
    if not enrolled and started:
        # The latest end; on a tie the row that says most (a reason given) wins.
        last = max(started, key=lambda each: (_end(each), each.exit_reason or ""))
        left_on, exit_reason = _end(last), last.exit_reason
        if exit_reason != TRANSFERRED:
            months = full_months_between(left_on, on)
    latest: dict[str, ExamRecord] = {}
    passed: set[str] = set()
    for exam in sorted(exams, key=lambda each: (each.date, each.exam, each.result)):
        if exam.exam == MOCK_EXAM or exam.date > on:
            continue
        latest[exam.exam] = exam
        if exam.result == "pass":
            passed.add(exam.exam)
    failed = tuple(
        FailedExam(exam.exam, exam.date)
        for name, exam in sorted(latest.items())
        if exam.result == "fail" and name not in passed
    )
    diplomas = tuple(sorted(passed))
    return StudentFacts(
        student_id=student_id,
        on=on,
        age=None if birth_date is None else age_on(birth_date, on),
        enrolled=enrolled,
        left_on=left_on,
        exit_reason=exit_reason,
        months_since_leaving=months,
        failed_exams=failed,
        diplomas=diplomas,
        qualified=bool(passed & set(QUALIFYING_EXAMS)) or exit_reason == DIPLOMA_EXIT,
        interview_held=interview_held,
    )
