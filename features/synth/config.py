"""The generator's configuration: one validated object, read from `academie.yaml`.

Every rate of the synthetic académie lives in the YAML file beside this module, with its
source; this module only types and checks it, so that a bad value fails before any work
starts, naming its key (pydantic's error path, e.g. `dropout.annual_rate.CAP1`). Sections about
schools and people are in `sections`; those about events and the whole object are here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from features.calendar import calendar_for, school_year_bounds, school_year_of, school_year_start
from features.contract import CODES
from features.synth.sections import (
    CLASS_MONTHS,
    Dropout,
    EstablishmentProfile,
    Exam,
    Fraction,
    Level,
    MonthDay,
    NonNegative,
    Population,
    Positive,
    Progression,
    Section,
    Track,
    require_distribution,
    require_keys,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "SCENARIOS",
    "AuditProbes",
    "Interviews",
    "LabelBias",
    "Scenario",
    "ScholarshipProxy",
    "SynthConfig",
    "load_config",
]

DEFAULT_CONFIG_PATH = Path(__file__).with_name("academie.yaml")


@dataclass(frozen=True)
class Scenario:
    """A named variant of the académie: overrides of its configuration, and what they do."""

    name: str
    description: str
    overrides: Mapping[str, Any]


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "weak_ramp",
            "a weaker disengagement ramp before leaving: a quarter to a half of the demo's "
            "intensity at the exit, starting about 5 weeks before it instead of 10",
            {"dropout": {"peak": [0.25, 0.5], "warning_lead_days": 35}},
        ),
        Scenario(
            "silent",
            "more silent dropouts: half of them (not 15 %) leave with almost no prior signal "
            "(3-12 days of a faint disengagement)",
            {"dropout": {"silent_share": 0.5}},
        ),
        Scenario(
            "absence_strong",
            "chronic absence more predictive: the students at risk of dropping out are much "
            "more often absent all year (risk loading 0.8, not 0.35), and disengagement shows "
            "more as unjustified absence",
            {"attendance": {"risk_loading": 0.8, "disengagement": {"unjustified": 0.8}}},
        ),
        Scenario(
            "absence_weak",
            "chronic absence less predictive: a student's usual absence does not depend on "
            "the dropout risk (risk loading 0), and disengagement shows less as unjustified "
            "absence",
            {"attendance": {"risk_loading": 0.0, "disengagement": {"unjustified": 0.2}}},
        ),
    )
}
"""`vigie synth --scenario NAME`: variants of the demo académie for robustness studies."""


class Disengagement(Section):
    unjustified: Fraction
    justified: Fraction
    late: Fraction


class Attendance(Section):
    unjustified_rate: dict[Track, Fraction]
    unjustified_shape: Positive
    whole_day_share: Fraction
    risk_loading: float
    seasonality_unjustified: dict[int, NonNegative]
    illness_start_rate: Fraction
    illness_mean_days: Annotated[float, Field(ge=1)]
    appointment_rate: Fraction
    family_share: Fraction
    justified_shape: Positive
    seasonality_justified: dict[int, NonNegative]
    late_rate: dict[Track, Fraction]
    late_shape: Positive
    late_morning_factor: Positive
    late_justified_share: Fraction
    disengagement: Disengagement

    _tracks = field_validator("unjustified_rate", "late_rate")(
        lambda value: require_keys(value, CODES["track"])
    )
    _months = field_validator("seasonality_unjustified", "seasonality_justified")(
        lambda value: require_keys(value, CLASS_MONTHS)
    )


class Grades(Section):
    period_starts: tuple[MonthDay, MonthDay]
    first_marks_after_days: Annotated[int, Field(ge=0, le=60)]
    marks_end: MonthDay
    mean: dict[Track, Annotated[float, Field(ge=0, le=20)]]
    ability_slope: NonNegative
    subject_sd: NonNegative
    noise_sd: NonNegative
    assessment_sd: NonNegative
    out_of_10_share: Fraction
    coefficients: dict[Literal["1", "2", "3"], Fraction]
    disengagement_drop: NonNegative
    missing_at_peak: Fraction
    subjects: dict[
        Track,
        dict[Annotated[str, Field(pattern=r"^[a-z_0-9]+$")], Annotated[int, Field(ge=0, le=10)]],
    ]
    subject_levels: dict[str, list[Level]]

    _tracks = field_validator("mean", "subjects")(lambda value: require_keys(value, CODES["track"]))
    _coefficients = field_validator("coefficients")(
        lambda value: require_distribution(value, tuple(value))
    )


class Mock(Section):
    levels: list[Level]
    window: tuple[MonthDay, MonthDay]


class Exams(Section):
    pass_rate: dict[Exam, Fraction]
    result_day: dict[Exam, MonthDay]
    ability_slope: NonNegative
    noise_sd: Positive
    disengagement_penalty: NonNegative
    absent_base: Fraction
    absent_at_peak: Fraction
    mock_mean: Annotated[float, Field(ge=0, le=20)]
    mock_noise_sd: Positive
    mocks: list[Mock]

    _exams = field_validator("pass_rate", "result_day")(
        lambda value: require_keys(value, ("dnb", "cap", "bac_general", "bac_techno", "bac_pro"))
    )


class Outcomes(Section):
    dropout_known_lag_days: Annotated[int, Field(ge=0, le=120)]
    others_known_window: tuple[MonthDay, MonthDay]


class ScholarshipProxy(Section):
    """Audit probe (off by default): scholarship holders' late arrivals are multiplied by
    `late_factor`, so that late-arrival features encode scholarship status (see `probes`)."""

    enabled: bool = False
    late_factor: Annotated[float, Field(ge=1, le=50)] = 6.0


class LabelBias(Section):
    """Audit probe (off by default): the dropouts of `group` show their disengagement with
    only `signal_factor` of its usual strength, so the lists miss them (see `probes`)."""

    enabled: bool = False
    group: Literal["girls", "boys", "scholarship_holders", "disadvantaged"] = "girls"
    signal_factor: Fraction = 0.1


class Interviews(Section):
    """The watch units' interviews (off by default; see `features.synth.interviews`): each
    week every establishment invites its `capacity` students of highest simple risk (the
    latent risk plus weekly noise of `risk_noise_sd`), once per school year; an invited
    student who would leave afterwards stays with probability `effect`. Enabled with
    `effect` 0, the queue is recorded and nothing else changes."""

    enabled: bool = False
    effect: Fraction = 0.0
    capacity: Annotated[int, Field(ge=1, le=100)] = 3
    risk_noise_sd: Annotated[float, Field(ge=0, le=10)] = 4.0
    horizon_days: Annotated[int, Field(ge=7, le=366)] = 182


class AuditProbes(Section):
    """Deliberate flaws for testing the fairness audit. Defaults live here, not in
    `academie.yaml`: the demo académie never carries them."""

    scholarship_proxy: ScholarshipProxy = ScholarshipProxy()
    label_bias: LabelBias = LabelBias()


class SynthConfig(Section):
    """The whole configuration of a synthetic académie (see `academie.yaml`)."""

    seed: Annotated[int, Field(ge=0)]
    academie: Annotated[str, Field(min_length=1)]
    # Student ids are the prefix and a number: académies written side by side
    # (`features.synth.academies`) get one prefix each, so that no id is shared between them.
    student_id_prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,5}$")] = "S"
    establishments: Annotated[int, Field(ge=1, le=5000)]
    students: Annotated[int, Field(ge=20, le=10_000_000)]
    years: Annotated[int, Field(ge=1, le=12)]
    burn_in_years: Annotated[int, Field(ge=0, le=4)] = 0
    last_school_year: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{4}$")] | None = None
    extraction_date: dt.date
    establishment_profile: EstablishmentProfile
    population: Population
    progression: Progression
    dropout: Dropout
    attendance: Attendance
    grades: Grades
    exams: Exams
    outcomes: Outcomes
    audit_probes: AuditProbes = AuditProbes()
    interviews: Interviews = Interviews()

    @model_validator(mode="after")
    def _extraction_inside_last_year(self) -> SynthConfig:
        year = self.final_school_year
        school_year_start(year)  # checks YYYY-YYYY+1
        first, last = school_year_bounds(year)
        if not first <= self.extraction_date <= last:
            raise ValueError(
                f"extraction_date {self.extraction_date} is not inside last_school_year {year}"
            )
        if self.extraction_date <= calendar_for(year).rentree:
            raise ValueError(
                f"extraction_date {self.extraction_date} must come after the rentrée of {year} "
                f"({calendar_for(year).rentree})"
            )
        return self

    @property
    def final_school_year(self) -> str:
        """The last simulated school year: `last_school_year`, or that of the extraction."""
        return self.last_school_year or school_year_of(self.extraction_date)

    @property
    def school_years(self) -> list[str]:
        """The simulated school years, oldest first, ending with the final one: the
        `burn_in_years` first, then the `years` with outcomes."""
        end = school_year_start(self.final_school_year)
        first = end - self.years - self.burn_in_years + 1
        return [f"{start}-{start + 1}" for start in range(first, end + 1)]

    @property
    def burn_in_school_years(self) -> list[str]:
        """The burn-in years: simulated and written (enrollments, attendance, grades, exams)
        so that the next year's history features are filled, but without outcomes, so that
        no model trains or is tested on them."""
        return self.school_years[: self.burn_in_years]

    @classmethod
    def from_yaml(cls, path: str | Path | None = None, **overrides: Any) -> SynthConfig:
        """The configuration in `path` (the demo académie by default), with overrides."""
        return load_config(path, overrides)

    def override(self, **changes: Any) -> SynthConfig:
        """A validated copy with some keys changed; nested sections merge (dicts of dicts)."""
        return SynthConfig.model_validate(_merge(self.model_dump(), changes))

    def with_scenario(self, name: str) -> SynthConfig:
        """A validated copy with the overrides of scenario `name` (see `SCENARIOS`)."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        return self.override(**SCENARIOS[name].overrides)


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> SynthConfig:
    """Read and validate a configuration (the demo académie by default), with overrides."""
    with Path(path or DEFAULT_CONFIG_PATH).open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, dict):
        raise ValueError(f"{path or DEFAULT_CONFIG_PATH} does not hold a mapping of settings")
    return SynthConfig.model_validate(_merge(raw, overrides or {}))
