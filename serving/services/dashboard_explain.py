"""This week's score of one student as a SHAP waterfall: the base value, each feature's
contribution (log-odds) with a readable name in French and English, and the final score; and
the same path on the probability scale (`risk_start`, `risk_end`, `points`: the calibrated risk
before and after each step, through the model's calibration map), for the watch unit's page.
Each step says whether it is an own signal or context (`signal`).

The contributions come from `models.contributions` (the one place that computes them) on the
student's row of this week's feature file, with the model that wrote the list. Access is the
student record's (`get_student_record`): the establishment's own watch unit, or the
académie-wide inspectors and data scientists; every read and refusal is audited.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from features.catalog import feature_spec
from models.contributions import BASE_VALUE, contributions
from models.risk_model import RiskModel
from serving.db.engine import Store
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.errors import NotFound
from serving.services.guard import guarded, student_in_scope
from serving.services.policy import Action, performs

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


def _student_row(features_file: Path, student_id: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        return con.execute(
            "SELECT * FROM read_parquet(?) WHERE student_id = ?", [str(features_file), student_id]
        ).df()
    finally:
        con.close()


@performs(Action.READ_EXPLANATION)
def get_student_waterfall(
    store: Store,
    actor: Actor,
    student_id: str,
    features_file: str | Path,
    model: RiskModel,
    top: int = 10,
) -> Waterfall:
    """The waterfall of the student's score in `features_file` (this week's features)."""
    with guarded(store, actor, Action.READ_EXPLANATION, read_only=True) as session:
        enrolled = student_in_scope(session, actor, Action.READ_EXPLANATION, student_id)
        uai = enrolled.uai
    path = Path(features_file)
    if not path.is_file():
        raise NotFound(f"feature file {path} does not exist")
    frame = _student_row(path, student_id)
    if frame.empty:
        raise NotFound(f"no features for student {student_id} in {path.name}")
    for name in ("level", "track", "establishment_kind", "priority_zone"):
        if name in frame.columns:
            frame[name] = frame[name].astype("string")
    row = contributions(model, frame).iloc[0]
    raw = float(row.sum())
    risk = float(model.calibrator_.predict([raw])[0])
    calibrate = model.calibrator_.predict
    steps = waterfall_frame(row, frame.iloc[0], top, calibrate)
    record_read(
        store, actor, "read_explanation", student_id=student_id, uai=uai,
        detail=f"waterfall from {path.name}",
    )  # fmt: skip
    base_risk = float(calibrate([float(row[BASE_VALUE])])[0])
    return Waterfall(student_id, float(row[BASE_VALUE]), raw, risk, steps, base_risk)
