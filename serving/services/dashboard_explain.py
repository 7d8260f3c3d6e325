"""This week's score of one student as a SHAP waterfall: the base value, each feature's
contribution (log-odds) with a readable name in French and English, and the final score; and
the same path on the probability scale (`risk_start`, `risk_end`, `points`: the calibrated risk
before and after each step, through the model's calibration map), for the watch unit's page.
Each step says whether it is an own signal or context (`signal`).

The contributions are those the weekly run recorded for the student when it wrote the week's
list (`serving.lineage`: computed by `RiskModel.contributions`, the one place that computes
them, and checked against the hash recorded with the week), with the feature values of the
week's snapshot and the calibration of the model version the week records: the waterfall is
the one of the list it sits under, whatever feature files were written since. Access is the
student record's (`get_student_record`): the establishment's own watch unit, or the
académie-wide inspectors and data scientists; and the week's rows are read through the
establishment that listed the student that week, which must be in the reader's scope. Every
read and refusal is audited.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import feature_spec
from models.contributions import BASE_VALUE
from models.risk_model import RiskModel
from serving.db.engine import Store
from serving.lineage import recorded_week
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.dashboard_history import listing_establishment
from serving.services.errors import NotFound
from serving.services.guard import guarded, student_in_scope
from serving.services.policy import Action, performs
from serving.services.suspensions import refuse_if_suspended

__all__ = ["Waterfall", "get_student_waterfall", "waterfall_frame"]


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Waterfall:
    """`steps`: one row per shown feature (feature, label_fr, label_en, signal, value,
    contribution, start, end on the log-odds axis; risk_start, risk_end, points on the
    probability axis), largest |contribution| first, the rest gathered in one `other` row; the
    raw score is `base_value` plus every contribution, `risk` its calibrated probability and
    `base_risk` the calibrated probability of `base_value` (where the probability path starts)."""

    student_id: str
    base_value: float
    raw_score: float
    risk: float
    steps: pd.DataFrame
    base_risk: float = math.nan


def waterfall_frame(
    row: pd.Series,
    values: pd.Series,
    top: int = 10,
    calibrate: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Steps of a waterfall from one row of contributions (features then `base_value`):
    the `top` largest |contributions|, then the others summed, each with its running start
    and end on the log-odds axis and, with `calibrate` (the model's calibration map), on the
    probability axis: `risk_start`, `risk_end` and `points` (their difference)."""
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    base = float(row[BASE_VALUE])
    contribution = row.drop(BASE_VALUE).astype("float64")
    order = contribution.abs().sort_values(ascending=False, kind="stable").index
    shown, rest = list(order[:top]), list(order[top:])
    records: list[dict[str, Any]] = []
    for name in shown:
        spec = feature_spec(name)
        records.append({"feature": name, "label_fr": spec.label_fr, "label_en": spec.label_en,
                        "signal": spec.signal, "value": _plain(values.get(name)),
                        "contribution": float(contribution[name])})  # fmt: skip
    if rest:
        records.append({"feature": "other", "label_fr": f"{len(rest)} autres indicateurs",
                        "label_en": f"{len(rest)} other indicators", "signal": "other",
                        "value": None,
                        "contribution": float(contribution[rest].sum())})  # fmt: skip
    steps = pd.DataFrame(records)
    steps["end"] = base + steps["contribution"].cumsum()
    steps["start"] = steps["end"] - steps["contribution"]
    if calibrate is not None:
        steps["risk_start"] = np.asarray(calibrate(steps["start"].to_numpy()), dtype="float64")
        steps["risk_end"] = np.asarray(calibrate(steps["end"].to_numpy()), dtype="float64")
        steps["points"] = steps["risk_end"] - steps["risk_start"]
    return steps


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@performs(Action.READ_EXPLANATION)
def get_student_waterfall(
    store: Store,
    actor: Actor,
    student_id: str,
    week: dt.date,
    load_model: Callable[[str], RiskModel],
    top: int = 10,
) -> Waterfall:
    """The waterfall of the student's score on the list of `week` (its Monday), from the
    contributions recorded with that list; `load_model` gives the model of a version (the
    one the week records), whose calibration maps the path to probabilities.
    `WeekDataUnavailable` when the week's recorded data are missing or altered."""
    with guarded(
        store, actor, Action.READ_EXPLANATION, student_id=student_id, read_only=True
    ) as session:
        student_in_scope(session, actor, Action.READ_EXPLANATION, student_id)
        uai = listing_establishment(session, actor, student_id, week, Action.READ_EXPLANATION)
        refuse_if_suspended(session, uai)  # the stop switch: the list's explanation neither
        lineage = recorded_week(session, week)
    recorded = lineage.contributions(uai=uai, student_id=student_id)
    frame = lineage.features(uai=uai, student_id=student_id)
    if recorded.empty or frame.empty:
        raise NotFound(f"student {student_id} has no recorded explanation for {lineage.week}")
    model = load_model(lineage.model_version)
    row = recorded.drop(columns=["student_id", "uai"]).iloc[0].astype("float64")
    raw = float(row.sum())
    risk = float(model.calibrate([raw])[0])
    calibrate = model.calibrate
    steps = waterfall_frame(row, frame.iloc[0], top, calibrate)
    record_read(
        store, actor, "read_explanation", student_id=student_id, uai=uai,
        detail=f"waterfall of the week of {lineage.week.isoformat()}",
    )  # fmt: skip
    base_risk = float(calibrate([float(row[BASE_VALUE])])[0])
    return Waterfall(student_id, float(row[BASE_VALUE]), raw, risk, steps, base_risk)
