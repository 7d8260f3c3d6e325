"""The monitoring's pure computations: frames in, JSON-ready dicts out, no store, no files.

- `drift_section`: the population stability index of every model input and of the score,
  against the training reference at the same time of the school year when the reference
  allows (the drift page's own functions, `serving.services.dashboard_drift`).
- `churn_and_slots`: per establishment and overall, the share of this week's invited students
  who were not invited the week before (list churn), and the share of slots spent (invited /
  capacity).
- `realised_outcomes`: the queue's metrics on the weeks' real invitations once exits are
  known (`training.replay`, the evaluation's one code path), per establishment and overall,
  beside what the evaluation promised.

Alerts are dicts `{kind, scope, measure, value, threshold}`: aggregates only, never a student.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from serving.services.dashboard_drift import drift_columns, drift_table, same_time_of_year
from serving.services.psi import parts_psi
from training.replay import (
    REPLAY_STATISTICS,
    observed_weeks,
    replay_cluster_totals,
    replay_metrics,
)

__all__ = [
    "AHEAD_WEEKS",
    "PROMISED_METRICS",
    "SCORE",
    "Thresholds",
    "churn_and_slots",
    "drift_section",
    "finite",
    "realised_outcomes",
]

SCORE = "score"  # the measure name of the score's drift
AHEAD_WEEKS = 4  # "invited at least 4 weeks before" the exit
# The replay's metrics compared with the evaluation's promise (shares: comparable between an
# académie's weeks and the evaluation's test years, unlike counts).
PROMISED_METRICS: tuple[str, ...] = (
    "invitation_precision",
    "dropout_coverage",
    "dropout_coverage_ahead",
)
_REALISED = (
    "invitations",
    "students_invited",
    "dropouts_reached",
    "dropouts_reached_ahead",
    *PROMISED_METRICS,
)


@dataclass(frozen=True)
class Thresholds:
    """Alert levels: PSI at or over `psi`; churn over `churn`; slots spent under
    `slot_share` (a share of the capacity left unused)."""

    psi: float = 0.25
    churn: float = 0.9
    slot_share: float = 0.5


def finite(value: Any) -> float | None:
    """A number for JSON: None for NaN, infinities and missing values."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _alert(kind: str, scope: str, measure: str, value: float, threshold: float) -> dict[str, Any]:
    return {"kind": kind, "scope": scope, "measure": measure, "value": value,
            "threshold": threshold}  # fmt: skip


# --- drift -------------------------------------------------------------------------------


def drift_section(
    reference: pd.DataFrame,
    current: pd.DataFrame | Iterable[pd.DataFrame],
    as_of: dt.date,
    threshold: float,
    score: Callable[[pd.DataFrame], np.ndarray] | None = None,
    columns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """PSI of every feature in both frames and (with `score`, the model's risk of rows) of
    the score, `current` against the rows of `reference` at the same time of the school
    year (`same_time_of_year`: all rows when the reference has too few then). `current` may
    come in parts (one académie's rows after the other, each read, counted and let go; its
    `columns`, the features it holds, then name them): the same PSI as the rows taken whole.
    Keys: reference_dates, features (feature, family, psi, level, alert; most drifted
    first), score_psi, alerts."""
    seasonal, dates = same_time_of_year(reference, as_of)
    if isinstance(current, pd.DataFrame):
        parts: Iterable[pd.DataFrame] = [current]
        columns = list(current.columns)
    else:
        parts = current
    present = pd.DataFrame(columns=list(columns or []))
    psi, score_psi, rows = parts_psi(seasonal, parts, drift_columns(seasonal, present), score=score)
    drift = drift_table(psi, threshold)
    features = [
        {"feature": row.feature, "family": row.family, "psi": finite(row.psi),
         "level": row.level, "alert": bool(row.alert)}
        for row in drift.itertuples()
    ]  # fmt: skip
    alerts = [
        _alert("drift", "overall", item["feature"], item["psi"], threshold)
        for item in features
        if item["alert"]
    ]
    if score_psi is not None and score_psi >= threshold:
        alerts.append(_alert("drift", "overall", SCORE, score_psi, threshold))
    return {
        "reference_dates": [day.isoformat() for day in dates],
        "reference_rows": len(seasonal),
        "current_rows": rows,
        "features": features,
        "score_psi": finite(score_psi),
        "alerts": alerts,
    }


# --- churn and slots ---------------------------------------------------------------------


def _share(top: int, bottom: int) -> float | None:
    return top / bottom if bottom > 0 else None


def churn_and_slots(
    invited: Mapping[str, Set[str]],
    previous: Mapping[str, Set[str]] | None,
    capacity: Mapping[str, int],
    thresholds: Thresholds,
) -> dict[str, Any]:
    """List churn and slots spent of a week.

    `invited`: this week's invited students per establishment; `previous`: the week
    before's, for every establishment that had a list then (None: no week before);
    `capacity`: each establishment's slots this week (every establishment with a list). The
    churn of an establishment without a list the week before is unknown (None), and the
    overall churn counts the establishments whose churn is known. Keys: establishments
    (uai -> invited, capacity, new, churn, slot_share), overall (the same over all), alerts."""
    rows: dict[str, dict[str, Any]] = {}
    total_new = total_known = 0
    for uai in sorted(capacity):
        students = set(invited.get(uai, set()))
        new: int | None = None
        if previous is not None and uai in previous:
            new = len(students - set(previous[uai]))
            total_new += new
            total_known += len(students)
        rows[uai] = {
            "invited": len(students),
            "capacity": int(capacity[uai]),
            "new": new,
            "churn": None if new is None else _share(new, len(students)),
            "slot_share": _share(len(students), int(capacity[uai])),
        }
    known = previous is not None and any(row["new"] is not None for row in rows.values())
    invited_all = sum(row["invited"] for row in rows.values())
    capacity_all = sum(row["capacity"] for row in rows.values())
    overall = {
        "invited": invited_all,
        "capacity": capacity_all,
        "new": total_new if known else None,
        "churn": _share(total_new, total_known) if known else None,
        "slot_share": _share(invited_all, capacity_all),
    }
    alerts = []
    for scope, row in [*rows.items(), ("overall", overall)]:
        if row["churn"] is not None and row["churn"] > thresholds.churn:
            alerts.append(_alert("churn", scope, "churn", row["churn"], thresholds.churn))
        if row["slot_share"] is not None and row["slot_share"] < thresholds.slot_share:
            alerts.append(
                _alert("slot_share", scope, "slot_share", row["slot_share"], thresholds.slot_share)
            )
    return {"establishments": rows, "overall": overall, "alerts": alerts}


# --- realised outcomes -------------------------------------------------------------------


def _from_totals(totals: pd.Series) -> dict[str, float | None]:
    """The replay's statistics of one establishment's additive totals."""
    result: dict[str, float | None] = {}
    for name, (kind, num, den) in REPLAY_STATISTICS.items():
        if name not in _REALISED:
            continue
        top = float(totals[num])
        bottom = float(totals[den]) if den else 0.0
        result[name] = top if kind == "count" else (top / bottom if bottom else None)
    return result


def realised_outcomes(
    invitations: pd.DataFrame,
    scored: pd.DataFrame,
    promised: Mapping[str, float] | None = None,
    *,
    n_boot: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """The queue's metrics on real invitations, once exits are known.

    `scored`: every student of the weeks (uai, school_year, as_of, student_id, score, label,
    capacity, censored, exit_date), labelled from a later extraction; `invitations`: the
    weeks' invited students with the same columns, each counted as interviewed that week
    (the invitation is what the list decided; `training.replay` counts what it reached).
    Weeks whose horizon is not observed yet are left out, as in the evaluation
    (`training.replay.observed_weeks`). Keys: overall (with 95 % cluster-bootstrap intervals),
    establishments (uai -> point estimates), promised (the evaluation's, when given),
    weeks_judged, alerts (a realised share under the promise's interval)."""
    judged = scored.loc[observed_weeks(scored), ["school_year", "as_of"]].drop_duplicates()
    invitations = invitations.merge(judged, on=["school_year", "as_of"], how="inner")
    invitations = invitations.assign(interviewed=True)
    overall_all = replay_metrics(invitations, scored, ahead_weeks=AHEAD_WEEKS, n_boot=n_boot,
                                 seed=seed)  # fmt: skip
    overall: dict[str, float | None] = {}
    for name in _REALISED:  # intervals for the shares, comparable with the promise's
        suffixes = ("", "_low", "_high") if name in PROMISED_METRICS else ("",)
        for suffix in suffixes:
            overall[f"{name}{suffix}"] = finite(overall_all[f"{name}{suffix}"])
    overall["n_dropouts"] = finite(overall_all["n_dropouts"])
    overall["lead_time_median_weeks"] = finite(overall_all["lead_time_median_weeks"])
    totals, _ = replay_cluster_totals(invitations, scored, AHEAD_WEEKS)
    establishments = {str(uai): _from_totals(row) for uai, row in totals.iterrows()}
    for uai, row in totals.iterrows():
        establishments[str(uai)]["n_dropouts"] = float(row["dropouts"])
    unobserved = int(overall_all["weeks_unobserved"])
    alerts = []
    kept = {k: finite(v) for k, v in (promised or {}).items()}
    for name in PROMISED_METRICS:
        low, value = kept.get(f"{name}_low"), overall.get(name)
        if low is not None and value is not None and value < low:
            alerts.append(_alert("outcomes", "overall", name, value, low))
    return {
        "overall": overall,
        "establishments": establishments,
        "promised": kept,
        "weeks_judged": len(judged),
        "weeks_unobserved": unobserved,
        "alerts": alerts,
    }
