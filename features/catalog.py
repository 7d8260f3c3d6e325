"""The feature catalog: every model input, its family, unit, kind and user-facing wording.

The catalog is the single list both feature implementations (`features.builder`, in DuckDB,
and the tests' oracle, `tests/oracle/reference.py`, in plain pandas) must produce, in this
order. Explanations and the dashboard turn a feature and its value into a sentence from
`label_*` and `description_*`, French first. Definitions shared by both implementations
(window lengths, thresholds, nominal ages) live here too, so a definition is written down once.

Conventions used by every definition below:

- `t` is the as-of date. Only events dated strictly before `t` count.
- "the last N weeks" is the 7·N days before `t`: dates in [t − 7·N days, t).
- "year to date" (`_ytd`) is the as-of's school year so far: dates in [1 September, t).
- A class half-day is a half-day with class per `features.calendar` (holidays, public holidays
  and weekends excluded; no class on Wednesday afternoon in collèges), for the establishment
  kind of the student's enrollment on `t`.
- A mark on /20 is value / out_of × 20; marks with out_of ≤ 0 are unusable and ignored
  everywhere. Means are weighted by the coefficient; a mean with no usable mark (or a total
  coefficient of 0) is missing (NaN), never 0.
- Counts are 0 when nothing happened; "weeks since" and means are NaN when undefined, which
  LightGBM handles natively. All numeric features are float64.

Choices worth knowing (each also in the description shown to users where it matters):

- The enrollment of a row is the one open on `t` (start ≤ t, no end or end ≥ t) with the
  latest start; ties go to the latest school year, then the smallest uai, class and level.
  `school_year` of a row is the school year of `t`.
- Absence counts include every recorded absent half-day, even one recorded on a day without
  class; rates divide by the class half-days of the window, not clipped to the enrollment's
  start (a student arriving in January has the same denominator as the others).
- An absence row with an empty `justified` cell counts as unjustified (validation rejects it).
- The current period is the latest `period` with a usable mark this school year.
- Age for level uses the age reached on 31 December of the year of the rentrée (the DEPP
  convention), not the exact age on `t`: the value then does not drift within the year, and
  an on-time student is 0 all year long.
- Subject means are rounded to `COMPARISON_DECIMALS` decimals before being compared with 8
  and 10, so that a mean of exactly 8 is never "under 8" by floating-point noise.

Own signals and context. Every feature is either one of the student's own signals
(attendance, marks and their trend, exams, path) or context (level, track, kind of
establishment, priority zone, establishment-wide rates): `FeatureSpec.signal`. Only own
signals are reasons to invite a student or protective factors; context is shown apart, with
its weight (`models.reasons`). `DIRECTIONS` says, for the own signals whose reading is known,
which side is the worrying one, and whether the model is constrained to it (LightGBM
monotone constraints): the table is in `docs/features.md`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from features.catalog_wording import ATTENDANCE_MORE, CONTEXT, GRADES, PATH, window_rows
from features.contract import CODES

__all__ = [
    "ABSENTEEISM_THRESHOLD",
    "CATEGORIES",
    "COMPARISON_DECIMALS",
    "DIRECTIONS",
    "FAMILIES",
    "FEATURE_CATALOG",
    "LOW_GRADE",
    "NOMINAL_AGE",
    "SIGNALS",
    "UNDER_AVERAGE_GRADE",
    "WINDOW_DAYS",
    "Direction",
    "FeatureSpec",
    "categorical_features",
    "context_features",
    "feature_names",
    "feature_spec",
    "monotone_constraints",
    "numeric_features",
]

Family = Literal["attendance", "grades", "exams_and_path", "context"]
Kind = Literal["numeric", "categorical"]
Signal = Literal["own", "context"]

FAMILIES: tuple[str, ...] = ("attendance", "grades", "exams_and_path", "context")
# "own": the student's own signal, a possible reason; "context": never a reason, shown apart.
SIGNALS: tuple[str, ...] = ("own", "context")

# Length in days of the sliding windows before the as-of date ("ytd" is not a fixed length).
WINDOW_DAYS: dict[str, int] = {"2w": 14, "4w": 28, "8w": 56}

# The French "absentéisme" threshold: 4 or more unjustified half-days in a month (DEPP).
ABSENTEEISM_THRESHOLD = 4

# Subject means (on /20) under these count as low (< 8) and under the average (< 10).
LOW_GRADE = 8.0
UNDER_AVERAGE_GRADE = 10.0
# Subject means are rounded to this many decimals before they are compared with the two
# thresholds: a mean of exactly 8 must not fall under 8 because floating-point sums were
# added in another order (marks carry at most two decimals, so nothing real is lost).
COMPARISON_DECIMALS = 6

# Age reached during the calendar year of the rentrée by a student who never repeated nor
# skipped a year; the rank of a level in a student's path is the same number.
NOMINAL_AGE: dict[str, int] = {
    "6e": 11, "5e": 12, "4e": 13, "3e": 14,
    "2nde": 15, "2nde_pro": 15, "CAP1": 15,
    "1ere": 16, "1ere_pro": 16, "CAP2": 16,
    "Tle": 17, "Tle_pro": 17,
}  # fmt: skip


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: what it measures, in which unit, and how to say it to people.

    `label_*` is a short name for tables and charts; `description_*` the full definition a
    watch unit or an inspector reads. `unit` is an English unit name ("half-days", "points /20").
    `signal` is "own" (a signal of the student: a possible reason) or "context" (never a reason).
    """

    name: str
    family: Family
    unit: str
    kind: Kind
    description_fr: str
    description_en: str
    label_fr: str
    label_en: str
    signal: Signal = "own"


# Categories of each categorical feature, fixed by the data-contract codes, so that training,
# scoring and the API build identical pandas Categoricals.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "level": CODES["level"],
    "track": CODES["track"],
    "establishment_kind": CODES["establishment_kind"],
    "priority_zone": CODES["priority_zone"],
}


def _specs(family: Family, rows: tuple[tuple[str, ...], ...]) -> tuple[FeatureSpec, ...]:
    specs = []
    for name, unit, label_fr, label_en, description_fr, description_en in rows:
        kind: Kind = "categorical" if name in CATEGORIES else "numeric"
        signal: Signal = "context" if family == "context" else "own"
        specs.append(
            FeatureSpec(name, family, unit, kind, description_fr, description_en,
                        label_fr, label_en, signal)
        )  # fmt: skip
    return tuple(specs)


FEATURE_CATALOG: tuple[FeatureSpec, ...] = (
    *_specs("attendance", window_rows(("2w", "4w", "8w", "ytd")) + ATTENDANCE_MORE),
    *_specs("grades", GRADES),
    *_specs("exams_and_path", PATH),
    *_specs("context", CONTEXT),
)


@dataclass(frozen=True)
class Direction:
    """Which side of an own signal is the worrying one, and whether the model must agree.

    `worse`: "higher" (more absences) or "lower" (lower marks) reads as a higher risk.
    `constrained`: the direction is agreed, so LightGBM is constrained to it (a monotone
    constraint: the risk never falls when the value moves to the worse side, all else equal).
    A direction that is only a reading (`constrained` False) still filters reasons: no reason
    says that a value on the better side of its comparison raises the risk.
    """

    worse: Literal["higher", "lower"]
    constrained: bool
    why: str


def _directions() -> dict[str, Direction]:
    unjustified = "More unjustified absence raises the risk (DEPP absentéisme)."
    justified = ("Read as worse when higher, not constrained: a justified absence (illness) "
                 "shows a family in touch with the school.")  # fmt: skip
    table: dict[str, Direction] = {}
    for window in ("2w", "4w", "8w", "ytd"):
        table[f"unjustified_absences_{window}"] = Direction("higher", True, unjustified)
        table[f"unjustified_absence_rate_{window}"] = Direction("higher", True, unjustified)
        table[f"justified_absences_{window}"] = Direction("higher", False, justified)
        table[f"justified_absence_rate_{window}"] = Direction("higher", False, justified)
    for window in ("4w", "ytd"):
        table[f"lates_{window}"] = Direction(
            "higher", False, "Read as worse when higher; not agreed as a cause of dropout."
        )
    marks = "Better marks lower the risk."
    falling = "Falling marks raise the risk."
    failed = "More failed or missed exams raise the risk."
    rising = "Rising absences raise the risk."
    table.update({
        "unjustified_absence_trend_4w": Direction("higher", True, rising),
        "longest_absence_streak_ytd": Direction(
            "higher", False, "Read as worse when longer; it counts justified absences (illness)."
        ),
        "absenteeism_months_ytd": Direction("higher", True, unjustified),
        "grade_mean_current_period": Direction("lower", True, marks),
        "grade_mean_previous_period": Direction("lower", True, marks),
        "grade_mean_ytd": Direction("lower", True, marks),
        "grade_mean_change_period": Direction("lower", True, falling),
        "grade_mean_change_year": Direction("lower", True, falling),
        "subjects_below_8_ytd": Direction("higher", True, marks),
        "subjects_below_10_ytd": Direction("higher", True, marks),
        "assessments_8w": Direction(
            "lower", False, "Read as worse when fewer marks (missed assessments); not agreed."
        ),
        "assessments_8w_vs_class_median": Direction(
            "lower", False, "Read as worse when fewer marks than the class; not agreed."
        ),
        "weeks_since_last_grade": Direction(
            "higher", False, "Read as worse when longer without a mark; not agreed."
        ),
        "failed_exams": Direction("higher", True, failed),
        "missed_exams": Direction("higher", True, failed),
        "failed_mock_exams_ytd": Direction("higher", True, failed),
        "weeks_since_last_failed_exam": Direction(
            "lower", False, "Read as worse when the failure is recent; not agreed."
        ),
        "repeated_years": Direction("higher", True, "Repeated years raise the risk."),
        "age_for_level": Direction(
            "higher", True, "Being older than the usual age for the level raises the risk."
        ),
        "school_changes": Direction(
            "higher", False, "Read as worse when more; a move can also be a fresh start."
        ),
    })  # fmt: skip
    return table


# Own signals with a known reading (`subject_mean_spread_ytd` has none). Context features
# never have one: they are not reasons, so they are not constrained either.
DIRECTIONS: dict[str, Direction] = _directions()


def monotone_constraints(names: Sequence[str]) -> list[int]:
    """LightGBM `monotone_constraints` for the features `names`, in that order: +1 where a
    higher value must not lower the risk, -1 where it must not raise it, 0 elsewhere."""
    constraints = []
    for name in names:
        direction = DIRECTIONS.get(feature_spec(name).name)
        if direction is None or not direction.constrained:
            constraints.append(0)
        else:
            constraints.append(1 if direction.worse == "higher" else -1)
    return constraints


def feature_names(family: str | None = None) -> tuple[str, ...]:
    """Names of the catalog's features, in catalog order, optionally of one family."""
    if family is not None and family not in FAMILIES:
        raise KeyError(f"unknown feature family {family!r}; families are {FAMILIES}")
    return tuple(spec.name for spec in FEATURE_CATALOG if family in (None, spec.family))


def feature_spec(name: str) -> FeatureSpec:
    """The spec of one feature; a clear KeyError for an unknown name."""
    for spec in FEATURE_CATALOG:
        if spec.name == name:
            return spec
    raise KeyError(f"{name!r} is not a feature of the catalog")


def context_features() -> tuple[str, ...]:
    """The features that are context, never a reason: level, track, establishment."""
    return tuple(spec.name for spec in FEATURE_CATALOG if spec.signal == "context")


def categorical_features() -> tuple[str, ...]:
    return tuple(spec.name for spec in FEATURE_CATALOG if spec.kind == "categorical")


def numeric_features() -> tuple[str, ...]:
    return tuple(spec.name for spec in FEATURE_CATALOG if spec.kind == "numeric")


def _check_directions() -> None:
    """Directions only for numeric own signals of the catalog (checked at import)."""
    for name in DIRECTIONS:
        spec = feature_spec(name)
        if spec.signal != "own" or spec.kind != "numeric":
            raise ValueError(f"direction of {name!r}: only numeric own signals have one")


_check_directions()
