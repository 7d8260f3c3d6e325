"""A hand-built extraction for the leavers list: one student per case, written as the
contract's CSV files (shared by the features, serving and dashboard tests).

As of `AS_OF` (2026-11-30), in two establishments of a bassin (`BASSIN_A`, `BASSIN_B`) and
one outside it (`OUTSIDE`):

| student | what happened | on the list |
|---|---|---|
| L_DURING | left `BASSIN_A` during 2025-2026 (15 January), failed the DNB | yes, during_year |
| L_SUMMER | enrolled to 31 August 2026 at `BASSIN_B`, did not come back | yes, no_return |
| L_CAP | failed the CAP in July, left `BASSIN_A` over the summer | yes, after_exam_failure |
| L_BACK | left `BASSIN_A` in February, enrolled at `OUTSIDE` in March | no: came back |
| L_MOVED | transferred from `BASSIN_A` in March, nothing after | no: moved away |
| L_DIPLOMA | year ended with a diploma at `BASSIN_B` | no: qualified |
| L_PASSED | passed the CAP, then dropped out of `BASSIN_B` | no: qualified |
| L_OLD | left `BASSIN_A` on 1 October 2025 | no: over twelve months |
| L_AWAY | moved from `BASSIN_A` to `OUTSIDE`, left `OUTSIDE` in October | yes, from OUTSIDE |
| L_EDGE | left `BASSIN_B` on 29 November 2026 (leaves on `AS_OF`) | yes |
| L_LATER | left `BASSIN_B` on 30 November 2026 (leaves the day after) | no: not yet |
| L_RETURNS | left `BASSIN_A` in June, enrolled again after `AS_OF` | yes, as of `AS_OF` |
| L_STAYS | enrolled at `BASSIN_A`, never left | no |
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

__all__ = ["AS_OF", "BASSIN_A", "BASSIN_B", "LISTED", "OUTSIDE", "write_extraction"]

AS_OF = dt.date(2026, 11, 30)
BASSIN_A = "0350001A"
BASSIN_B = "0350002B"
OUTSIDE = "0290003C"
LISTED = ("L_DURING", "L_SUMMER", "L_CAP", "L_AWAY", "L_EDGE", "L_RETURNS")

Y25, Y26 = "2025-2026", "2026-2027"


def _enrollment(student: str, year: str, uai: str, level: str, start: str, end: str | None,
                reason: str | None) -> dict[str, object]:  # fmt: skip
    track = (
        "vocational" if level.startswith("CAP") else "college" if level.endswith("e") else "general"
    )
    return {"student_id": student, "school_year": year, "uai": uai, "level": level,
            "track": track, "class_id": f"{level}A", "start_date": start, "end_date": end or "",
            "exit_reason": reason or ""}  # fmt: skip


ENROLLMENTS = [
    _enrollment("L_DURING", "2024-2025", BASSIN_A, "3e", "2024-09-02", "2025-07-04", "completed"),
    _enrollment("L_DURING", Y25, BASSIN_A, "2nde", "2025-09-01", "2026-01-15", "dropped_out"),
    _enrollment("L_SUMMER", Y25, BASSIN_B, "1ere", "2025-09-01", "2026-08-31", "dropped_out"),
    _enrollment("L_CAP", Y25, BASSIN_A, "CAP2", "2025-09-01", "2026-08-31", "dropped_out"),
    _enrollment("L_BACK", Y25, BASSIN_A, "2nde", "2025-09-01", "2026-02-10", "dropped_out"),
    _enrollment("L_BACK", Y25, OUTSIDE, "CAP1", "2026-03-02", "2026-08-31", "completed"),
    _enrollment("L_BACK", Y26, OUTSIDE, "CAP2", "2026-09-01", None, None),
    _enrollment("L_MOVED", Y25, BASSIN_A, "3e", "2025-09-01", "2026-03-01", "transferred"),
    _enrollment("L_DIPLOMA", Y25, BASSIN_B, "CAP2", "2025-09-01", "2026-07-03", "diploma"),
    _enrollment("L_PASSED", Y25, BASSIN_B, "CAP2", "2025-09-01", "2026-08-31", "completed"),
    _enrollment("L_PASSED", Y26, BASSIN_B, "1ere_pro", "2026-09-01", "2026-10-09", "dropped_out"),
    _enrollment("L_OLD", Y25, BASSIN_A, "2nde", "2025-09-01", "2025-09-30", "dropped_out"),
    _enrollment("L_AWAY", Y25, BASSIN_A, "1ere", "2025-09-01", "2026-08-31", "completed"),
    _enrollment("L_AWAY", Y26, BASSIN_A, "Tle", "2026-09-01", "2026-09-18", "transferred"),
    _enrollment("L_AWAY", Y26, OUTSIDE, "Tle", "2026-09-21", "2026-10-16", "dropped_out"),
    _enrollment("L_EDGE", Y26, BASSIN_B, "2nde", "2026-09-01", "2026-11-29", "dropped_out"),
    _enrollment("L_LATER", Y26, BASSIN_B, "2nde", "2026-09-01", "2026-11-30", "dropped_out"),
    _enrollment("L_RETURNS", Y25, BASSIN_A, "3e", "2025-09-01", "2026-06-12", "dropped_out"),
    _enrollment("L_RETURNS", Y26, OUTSIDE, "CAP1", "2026-12-07", None, None),
    _enrollment("L_STAYS", Y26, BASSIN_A, "4e", "2026-09-01", None, None),
]
BIRTHS = {
    "L_DURING": "2010-01-20", "L_SUMMER": "2009-05-02", "L_CAP": "2008-11-30",
    "L_BACK": "2010-03-03", "L_MOVED": "2011-04-04", "L_DIPLOMA": "2008-06-06",
    "L_PASSED": "2008-07-07", "L_OLD": "2009-08-08", "L_AWAY": "2008-12-01",
    "L_EDGE": "2011-02-02", "L_LATER": "2011-03-03", "L_RETURNS": "2010-12-01",
    "L_STAYS": "2013-01-01",
}  # fmt: skip
EXAMS = [
    {"student_id": "L_DURING", "date": "2025-07-04", "exam": "dnb", "result": "fail", "score": ""},
    {"student_id": "L_CAP", "date": "2026-07-03", "exam": "cap", "result": "fail", "score": "8.5"},
    {"student_id": "L_CAP", "date": "2026-05-20", "exam": "mock", "result": "fail", "score": "7"},
    {"student_id": "L_PASSED", "date": "2026-07-03", "exam": "cap", "result": "pass",
     "score": "12"},
]  # fmt: skip


def write_extraction(directory: Path, *, names: bool = True) -> Path:
    """The extraction above as CSV files in `directory` (created); names `Nom<id>` and
    `Prénom<id>` unless `names` is False."""
    directory.mkdir(parents=True, exist_ok=True)
    establishments = pd.DataFrame(
        [
            {"uai": uai, "name": name, "kind": kind, "academie": "Rennes", "department": "35",
             "sector": "public", "priority_zone": "none", "weekly_interview_capacity": 3}
            for uai, name, kind in (
                (BASSIN_A, "Lycée du Bassin", "lycee_polyvalent"),
                (BASSIN_B, "Lycée des Rives", "lycee_polyvalent"),
                (OUTSIDE, "Lycée d'Ailleurs", "lycee_polyvalent"),
            )
        ]
    )  # fmt: skip
    students = pd.DataFrame(
        [
            {"student_id": student, "birth_date": birth, "sex": "F", "scholarship_level": 0,
             "parent_pcs": "middle"}
            | ({"last_name": f"Nom{student}", "first_name": f"Prénom{student}"} if names else {})
            for student, birth in BIRTHS.items()
        ]
    )  # fmt: skip
    attendance = pd.DataFrame(
        [{"student_id": "L_STAYS", "date": "2026-09-07", "half_day": "am", "kind": "absence",
          "justified": "false", "reason": ""}]
    )  # fmt: skip
    grades = pd.DataFrame(
        [{"student_id": "L_STAYS", "date": "2026-09-10", "subject": "mathematiques",
          "value": 12, "out_of": 20, "coefficient": 1, "period": 1}]
    )  # fmt: skip
    outcomes = pd.DataFrame(
        [{"student_id": "L_STAYS", "school_year": Y26, "dropped_out": "false",
          "known_on": "2026-10-01"}]
    )  # fmt: skip
    tables = {
        "establishments": establishments,
        "students": students,
        "enrollments": pd.DataFrame(ENROLLMENTS),
        "attendance": attendance,
        "grades": grades,
        "exams": pd.DataFrame(EXAMS),
        "outcomes": outcomes,
    }
    for name, frame in tables.items():
        frame.to_csv(directory / f"{name}.csv", index=False)
    return directory
