"""Sections of the generator's configuration about people and schools: establishments,
population, progression and dropout (see `config` for the events and the whole object).

Shared typed fields and checks live here too, so that every section fails the same way:
naming its key and saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.contract import CODES

__all__ = [
    "CLASS_MONTHS",
    "Dropout",
    "EstablishmentProfile",
    "Exam",
    "Fraction",
    "Level",
    "MonthDay",
    "NonNegative",
    "Population",
    "Positive",
    "Progression",
    "Section",
    "Track",
    "require_distribution",
    "require_keys",
]

Fraction = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
Kind = Literal["college", "lycee_gt", "lycee_pro", "lycee_polyvalent"]
Track = Literal["college", "general", "technological", "vocational"]
Pcs = Literal["favored_a", "favored_b", "middle", "disadvantaged", "unknown"]
Level = Literal[
    "6e", "5e", "4e", "3e", "2nde", "1ere", "Tle", "2nde_pro", "1ere_pro", "Tle_pro", "CAP1", "CAP2"
]
Exam = Literal["dnb", "cap", "bac_general", "bac_techno", "bac_pro"]
CLASS_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7)
NON_FINAL_LEVELS = ("6e", "5e", "4e", "3e", "2nde", "1ere", "2nde_pro", "1ere_pro", "CAP1")


def require_keys(value: Mapping[Any, Any], keys: tuple[Any, ...]) -> Mapping[Any, Any]:
    missing = [key for key in keys if key not in value]
    if missing:
        raise ValueError(f"missing keys {missing}")
    return value


def require_distribution(value: Mapping[Any, float], keys: tuple[Any, ...]) -> Mapping[Any, float]:
    require_keys(value, keys)
    total = sum(value.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"shares must add up to 1, they add up to {total:.6f}")
    return value


def _ordered_pair(value: tuple[float, float]) -> tuple[float, float]:
    if value[0] > value[1]:
        raise ValueError(f"the first bound {value[0]} is above the second {value[1]}")
    return value


class Section(BaseModel):
    """A configuration section: unknown keys are errors, values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SocialTilt(Section):
    private: float
    rep: float
    rep_plus: float
    noise_sd: NonNegative


class EstablishmentProfile(Section):
    kind_shares: dict[Kind, Fraction]
    nominal_size: dict[Kind, Positive]
    size_dispersion: NonNegative
    polyvalent_vocational_part: Fraction
    cap_part_of_vocational: Fraction
    departments: dict[Annotated[str, Field(pattern=r"^[0-9]{2}$|^2[AB]$")], Fraction]
    private_share: Fraction
    rep_share_of_public_colleges: Fraction
    rep_plus_share_of_public_colleges: Fraction
    students_per_interview_slot: Positive
    min_interview_capacity: Annotated[int, Field(ge=0)]
    max_interview_capacity: Annotated[int, Field(ge=0)]
    class_size_tolerance: Annotated[float, Field(ge=0, le=1)]
    class_size: dict[Track, Annotated[int, Field(ge=5, le=40)]]
    social_tilt: SocialTilt
    absence_dispersion: NonNegative
    absence_social_loading: float

    _shares = field_validator("kind_shares", "departments")(
        lambda value, info: require_distribution(
            value, CODES["establishment_kind"] if info.field_name == "kind_shares" else ()
        )
    )
    _kinds = field_validator("nominal_size")(
        lambda value: require_keys(value, CODES["establishment_kind"])
    )
    _tracks = field_validator("class_size")(lambda value: require_keys(value, CODES["track"]))

    @model_validator(mode="after")
    def _capacity_bounds(self) -> EstablishmentProfile:
        if self.min_interview_capacity > self.max_interview_capacity:
            raise ValueError("min_interview_capacity is above max_interview_capacity")
        if self.rep_share_of_public_colleges + self.rep_plus_share_of_public_colleges > 1:
            raise ValueError("REP and REP+ shares of public collèges add up to more than 1")
        return self


class Population(Section):
    male_share: dict[Track, Fraction]
    parent_pcs: dict[Track, dict[Pcs, Fraction]]
    scholarship_share: dict[Pcs, Fraction]
    ability_by_pcs: dict[Pcs, float]
    ability_male: float
    ability_by_track: dict[Track, float]
    behind_share: dict[Track, Fraction]
    behind_share_new_6e: Fraction
    two_years_behind_share: Fraction
    ahead_share: Fraction
    behind_ability_loading: float

    _tracks = field_validator("male_share", "ability_by_track", "behind_share")(
        lambda value: require_keys(value, CODES["track"])
    )
    _pcs = field_validator("scholarship_share", "ability_by_pcs")(
        lambda value: require_keys(value, CODES["parent_pcs"])
    )

    @field_validator("parent_pcs")
    @classmethod
    def _pcs_distributions(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        require_keys(value, CODES["track"])
        for track, shares in value.items():
            try:
                require_distribution(shares, CODES["parent_pcs"])
            except ValueError as error:
                raise ValueError(f"{track}: {error}") from None
        return value


class FinalFailure(Section):
    repeat: Fraction
    dropped_out: Fraction
    other: Fraction

    @model_validator(mode="after")
    def _sum(self) -> FinalFailure:
        require_distribution(self.model_dump(), ("repeat", "dropped_out", "other"))
        return self


class OrientationLoadings(Section):
    ability: float
    disadvantaged: float
    favored_a: float
    male: float
    dnb_failed: float
    year_behind: float


class TechnologicalLoadings(Section):
    ability: float
    disadvantaged: float


class ExternalEntry(Section):
    entry_levels: Fraction
    other_levels: Fraction


class Progression(Section):
    repeat_rate: dict[Level, Fraction]
    repeat_ability_loading: float
    vocational_after_3e: Fraction
    cap_share_of_vocational: Fraction
    cap_ability_loading: float
    technological_after_2nde: Fraction
    technological_loadings: TechnologicalLoadings
    vocational_after_2nde: Fraction
    vocational_after_2nde_ability_loading: float
    orientation_loadings: OrientationLoadings
    after_final_failure: FinalFailure
    transfer_in_year: Fraction
    transfer_between_years: Fraction
    move_out_in_year: Fraction
    move_out_year_end: Fraction
    move_in_in_year: Fraction
    external_entry: ExternalEntry
    same_department_weight: Positive
    transfer_gap_class_days: Annotated[int, Field(ge=0, le=20)]

    _levels = field_validator("repeat_rate")(lambda value: require_keys(value, NON_FINAL_LEVELS))


class OddsRatios(Section):
    male: Positive
    scholarship: Positive
    favored_a: Positive
    favored_b: Positive
    middle: Positive
    disadvantaged: Positive
    unknown: Positive
    rep: Positive
    rep_plus: Positive
    ability_per_sd: Positive
    per_year_behind: Positive


class Dropout(Section):
    annual_rate: dict[Level, Annotated[float, Field(ge=0, le=0.5)]]
    year_end_share: Fraction
    odds_ratios: OddsRatios
    hidden_risk_sd: NonNegative
    year_shock_sd: NonNegative
    exit_timing_beta: tuple[Positive, Positive]
    first_exit_after_days: Annotated[int, Field(ge=0, le=120)]
    warning_lead_days: Positive
    warning_lead_shape: Positive
    warning_lead_bounds: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]
    peak: tuple[Fraction, Fraction]
    rise_exponent: Positive
    silent_share: Fraction
    silent_lead_days: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]
    silent_peak: tuple[Fraction, Fraction]
    false_alarm_rate: dict[Track, Annotated[float, Field(ge=0, le=0.5)]]
    false_alarm_risk_loading: float
    false_alarm_days: tuple[Annotated[int, Field(ge=2)], Annotated[int, Field(ge=2)]]
    false_alarm_peak: tuple[Fraction, Fraction]
    false_alarm_top: tuple[Fraction, Fraction]

    _levels = field_validator("annual_rate")(lambda value: require_keys(value, CODES["level"]))
    _tracks = field_validator("false_alarm_rate")(lambda value: require_keys(value, CODES["track"]))
    _pairs = field_validator(
        "warning_lead_bounds",
        "peak",
        "silent_lead_days",
        "silent_peak",
        "false_alarm_days",
        "false_alarm_peak",
        "false_alarm_top",
    )(_ordered_pair)
