"""The audit's settings: one validated object, checked before any row is read.

Defaults follow the issue: lists at each establishment's real capacity (`k`), the 0.8-1.25
band (the "four-fifths" rule and its inverse), recall as the leading metric, groups too small
to judge marked as such (never pooled with another group), and bounded samples for the SHAP
and proxy work so that an audit takes seconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["FairnessConfig", "Language"]

Language = Literal["fr", "en"]


class FairnessConfig(BaseModel):
    """What the fairness audit measures and how strictly.

    `reference_groups` maps a grouping to its reference group (e.g. `{"sex": "M"}`); a
    grouping not named uses its largest judged group (by students). A group is judged when it
    has at least `min_students` distinct students and `min_positives` distinct students who
    dropped out among the tested rows, spread over at least `min_establishments`
    establishments (the bootstrap resamples establishments: with one, its interval has zero
    width); otherwise it is reported "too small to judge".

    What blocks a promotion (`FairnessAudit.gate`): a recall ratio of a sensitive grouping,
    measured within a kind of establishment, whose interval at the level corrected for the
    number of ratios judged (`correction`: `holm`, default, or `bonferroni`; alpha = 1 -
    `level`) lies entirely outside the band. A point estimate outside the band whose corrected
    interval meets it is reported, never blocking.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_rule: str = "k"
    band: tuple[float, float] = (0.8, 1.25)
    correction: Literal["bonferroni", "holm"] = "holm"
    reference_groups: dict[str, str] = Field(default_factory=dict)
    min_students: Annotated[int, Field(ge=1)] = 100
    min_positives: Annotated[int, Field(ge=1)] = 20
    min_establishments: Annotated[int, Field(ge=1)] = 5
    n_boot: Annotated[int, Field(ge=10, le=100_000)] = 500
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    calibration_bins: Annotated[int, Field(ge=2, le=50)] = 10
    seed: Annotated[int, Field(ge=0)] = 0
    sample_rows: Annotated[int, Field(ge=200)] = 20_000
    proxy_auc_threshold: Annotated[float, Field(gt=0.5, le=1)] = 0.75
    proxy_folds: Annotated[int, Field(ge=2, le=10)] = 3
    top_features: Annotated[int, Field(ge=1, le=20)] = 5
    language: Language = "fr"

    @model_validator(mode="after")
    def _check(self) -> FairnessConfig:
        low, high = self.band
        if not 0 < low < 1 < high:
            raise ValueError(f"band must be (low, high) with 0 < low < 1 < high, not {self.band}")
        from training.fairness.groups import GROUPING_NAMES

        unknown = sorted(set(self.reference_groups) - set(GROUPING_NAMES))
        if unknown:
            raise ValueError(f"reference_groups names unknown groupings {unknown}; "
                             f"groupings are {list(GROUPING_NAMES)}")  # fmt: skip
        return self
