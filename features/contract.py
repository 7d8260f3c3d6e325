"""The input data contract: the tables of an extraction, their columns and allowed codes.

This module is data only. `docs/data-contract.md` documents the same contract for people;
`features.validation` enforces it; `features.extraction` reads files into typed views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CODES",
    "REQUIRED_TABLES",
    "SENSITIVE_COLUMNS",
    "TABLES",
    "TABLE_ORDER",
    "Column",
    "Table",
]

ColumnKind = Literal["string", "date", "int", "float", "bool", "code", "school_year"]

LEVELS = (
    "6e", "5e", "4e", "3e",
    "2nde", "1ere", "Tle",
    "2nde_pro", "1ere_pro", "Tle_pro",
    "CAP1", "CAP2",
)  # fmt: skip

CODES: dict[str, tuple[str, ...]] = {
    "establishment_kind": ("college", "lycee_gt", "lycee_pro", "lycee_polyvalent"),
    "sector": ("public", "private"),
    "priority_zone": ("none", "rep", "rep_plus"),
    "sex": ("F", "M"),
    "parent_pcs": ("favored_a", "favored_b", "middle", "disadvantaged", "unknown"),
    "level": LEVELS,
    "track": ("college", "general", "technological", "vocational"),
    "exit_reason": ("completed", "transferred", "diploma", "dropped_out", "other"),
    "half_day": ("am", "pm"),
    "attendance_kind": ("absence", "late"),
    "exam": ("dnb", "cap", "bep", "bac_general", "bac_techno", "bac_pro", "mock"),
    "exam_result": ("pass", "fail", "absent"),
    # The solutions a prevention interview proposes (the store's `INTERVIEW_SOLUTIONS`, which
    # a test holds equal).
    "interview_solution": (
        "return_to_training",
        "aar",
        "morea",
        "tutoring",
        "foquale",
        "insertion",
        "other",
    ),
}

# Never model inputs: kept beside the features for fairness audits only.
SENSITIVE_COLUMNS: tuple[str, ...] = ("sex", "scholarship_level", "parent_pcs")
# Shown only to the student's own watch unit; never model inputs, never in logs.
NAME_COLUMNS: tuple[str, ...] = ("last_name", "first_name")

UAI_PATTERN = r"^[0-9]{7}[A-Z]$"
SCHOOL_YEAR_PATTERN = r"^[0-9]{4}-[0-9]{4}$"


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    `required` means the column must be present in the file; `nullable` that a cell may be
    empty. `default` fills an absent optional column or an empty cell.
    """

    name: str
    kind: ColumnKind
    description: str
    example: str
    required: bool = True
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of an extraction, stored as `<name>.csv` or `<name>.parquet`. An
    `optional` table may be absent or empty; when present, it is checked like the others."""

    name: str
    description: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = field(default_factory=tuple)
    optional: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")


C = Column

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "establishments",
            "One row per establishment (collège or lycée) of the extraction.",
            (
                C(
                    "uai",
                    "string",
                    "Establishment identifier (7 digits and a letter).",
                    "0350023K",
                    pattern=UAI_PATTERN,
                ),
                C("name", "string", "Establishment name.", "Collège Anne de Bretagne"),
                C(
                    "kind",
                    "code",
                    "Kind of establishment.",
                    "college",
                    codes=CODES["establishment_kind"],
                ),
                C("academie", "string", "Académie.", "Rennes"),
                C("department", "string", "Department code.", "35"),
                C(
                    "sector",
                    "code",
                    "Public or private (under contract).",
                    "public",
                    codes=CODES["sector"],
                ),
                C(
                    "priority_zone",
                    "code",
                    "Priority-education zone.",
                    "rep",
                    codes=CODES["priority_zone"],
                ),
                C(
                    "weekly_interview_capacity",
                    "int",
                    "Interview slots the watch unit (GPDS) has each week.",
                    "5",
                    minimum=0,
                ),
            ),
            unique_key=("uai",),
        ),
        Table(
            "students",
            "One row per student; pseudonymous id, sensitive attributes kept for audits only.",
            (
                C("student_id", "string", "Opaque pseudonymous identifier.", "S00012345"),
                C("birth_date", "date", "Date of birth.", "2010-03-14"),
                C("sex", "code", "Sex (audit only, never a model input).", "F", codes=CODES["sex"]),
                C(
                    "scholarship_level",
                    "int",
                    "Scholarship level, 0 = none (audit only, never a model input).",
                    "2",
                    minimum=0,
                    maximum=6,
                ),
                C(
                    "parent_pcs",
                    "code",
                    "Parents' occupation group (audit only, never a model input).",
                    "middle",
                    codes=CODES["parent_pcs"],
                ),
                C(
                    "last_name",
                    "string",
                    "Family name (shown to the own watch unit only).",
                    "Le Goff",
                    required=False,
                    nullable=True,
                ),
                C(
                    "first_name",
                    "string",
                    "Given name (shown to the own watch unit only).",
                    "Maëlle",
                    required=False,
                    nullable=True,
                ),
            ),
            unique_key=("student_id",),
        ),
        Table(
            "enrollments",
            "One row per student and school year (or per establishment within a year).",
            (
                C("student_id", "string", "Student.", "S00012345"),
                C(
                    "school_year",
                    "school_year",
                    "School year, 1 September to 31 August.",
                    "2024-2025",
                    pattern=SCHOOL_YEAR_PATTERN,
                ),
                C("uai", "string", "Establishment.", "0350023K", pattern=UAI_PATTERN),
                C("level", "code", "Level.", "3e", codes=CODES["level"]),
                C("track", "code", "Track.", "college", codes=CODES["track"]),
                C("class_id", "string", "Class within the establishment.", "3eB"),
                C("start_date", "date", "First day of this enrollment.", "2024-09-02"),
                C("end_date", "date", "Last day; empty while enrolled.", "", nullable=True),
                C(
                    "exit_reason",
                    "code",
                    "Why the enrollment ended; empty while enrolled.",
                    "",
                    nullable=True,
                    codes=CODES["exit_reason"],
                ),
            ),
            unique_key=("student_id", "school_year", "uai", "start_date"),
        ),
        Table(
            "attendance",
            "One row per missed half-day (absence) or late arrival.",
            (
                C("student_id", "string", "Student.", "S00012345"),
                C("date", "date", "School day.", "2024-11-18"),
                C("half_day", "code", "Morning or afternoon.", "am", codes=CODES["half_day"]),
                C(
                    "kind",
                    "code",
                    "Absence or late arrival.",
                    "absence",
                    codes=CODES["attendance_kind"],
                ),
                C("justified", "bool", "Whether the absence was justified.", "false"),
                C("reason", "string", "Optional reason code.", "", required=False, nullable=True),
            ),
            unique_key=("student_id", "date", "half_day", "kind"),
        ),
        Table(
            "grades",
            "One row per assessment mark.",
            (
                C("student_id", "string", "Student.", "S00012345"),
                C("date", "date", "Date of the assessment.", "2024-11-21"),
                C("subject", "string", "Subject.", "mathematiques"),
                C("value", "float", "Mark.", "12.5", minimum=0),
                C(
                    "out_of",
                    "float",
                    "Maximum mark (default 20).",
                    "20",
                    required=False,
                    nullable=True,
                    minimum=0,
                    default="20",
                ),
                C(
                    "coefficient",
                    "float",
                    "Weight (default 1).",
                    "1",
                    required=False,
                    nullable=True,
                    minimum=0,
                    default="1",
                ),
                C(
                    "period",
                    "int",
                    "Period of the school year (1, 2 or 3).",
                    "1",
                    minimum=1,
                    maximum=3,
                ),
            ),
        ),
        Table(
            "exams",
            "One row per exam sitting, mock exams included.",
            (
                C("student_id", "string", "Student.", "S00012345"),
                C("date", "date", "Date of the result.", "2025-07-04"),
                C("exam", "code", "Exam.", "dnb", codes=CODES["exam"]),
                C("result", "code", "Result.", "pass", codes=CODES["exam_result"]),
                C(
                    "score",
                    "float",
                    "Score out of 20, optional.",
                    "11.2",
                    required=False,
                    nullable=True,
                    minimum=0,
                    maximum=20,
                ),
            ),
        ),
        Table(
            "outcomes",
            "The dropout outcome of a student's school year and when it became known.",
            (
                C("student_id", "string", "Student.", "S00012345"),
                C(
                    "school_year",
                    "school_year",
                    "School year.",
                    "2024-2025",
                    pattern=SCHOOL_YEAR_PATTERN,
                ),
                C("dropped_out", "bool", "Whether the student dropped out that year.", "false"),
                C("known_on", "date", "Date the outcome became known.", "2025-10-01"),
            ),
            unique_key=("student_id", "school_year"),
        ),
        Table(
            "interviews",
            "Optional: one row per prevention interview held (entretien de situation), with "
            "the solution proposed. Training reads it to know who was interviewed (never a "
            "model input).",
            (
                C("student_id", "string", "Student.", "S00012345"),
                C("date", "date", "Date the interview was held.", "2024-11-26"),
                C(
                    "solution",
                    "code",
                    "Solution proposed; empty when none was.",
                    "tutoring",
                    required=False,
                    nullable=True,
                    codes=CODES["interview_solution"],
                ),
            ),
            unique_key=("student_id", "date"),
            optional=True,
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if not t.optional)
