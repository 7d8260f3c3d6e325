"""The monitoring's pure computations on hand-made frames: PSI alerts, churn and slots spent,
and the realised outcomes of invitations (`serving.monitoring.metrics`)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from serving.monitoring.metrics import (
    SCORE,
    Thresholds,
    churn_and_slots,
    drift_section,
    realised_outcomes,
)

SHIFTED, STEADY = "unjustified_absences_ytd", "grade_mean_ytd"


def _frame(rows: int, seed: int, absence_shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        SHIFTED: rng.poisson(4, rows) + absence_shift,
        STEADY: rng.normal(11, 3, rows),
    })  # fmt: skip


def test_a_psi_alert_fires_on_a_shifted_feature_and_not_on_a_steady_one() -> None:
    reference = _frame(2000, seed=1)
    current = _frame(800, seed=2, absence_shift=6)
    section = drift_section(reference, current, dt.date(2026, 11, 30), threshold=0.25,
                            score=lambda rows: rows[SHIFTED].to_numpy(dtype=float))  # fmt: skip
    psi = {item["feature"]: item for item in section["features"]}
    assert psi[SHIFTED]["alert"] and psi[SHIFTED]["psi"] > 1
    assert not psi[STEADY]["alert"] and psi[STEADY]["psi"] < 0.1
    # The score follows the shifted feature: it drifts too.
    assert section["score_psi"] > 1
    assert {(a["measure"], a["kind"]) for a in section["alerts"]} == {
        (SHIFTED, "drift"), (SCORE, "drift"),
    }  # fmt: skip
    assert section["reference_dates"] == []  # no as_of column: every reference row


def test_no_drift_alert_on_the_same_population() -> None:
    section = drift_section(_frame(2000, 1), _frame(800, 2), dt.date(2026, 11, 30), 0.25,
                            score=lambda rows: rows[STEADY].to_numpy(dtype=float))  # fmt: skip
    assert section["alerts"] == [] and section["score_psi"] < 0.1


def test_churn_and_slots_by_hand() -> None:
    invited = {"A": {"a1", "a3"}, "B": {"b2"}}
    previous = {"A": {"a1", "a2"}, "B": {"b1"}}  # C had no list the week before
    result = churn_and_slots(invited, previous, {"A": 2, "B": 1, "C": 4},
                             Thresholds(churn=0.9, slot_share=0.5))  # fmt: skip
    rows = result["establishments"]
    assert rows["A"] == {"invited": 2, "capacity": 2, "new": 1, "churn": 0.5, "slot_share": 1.0}
    assert rows["B"]["churn"] == 1.0 and rows["C"]["churn"] is None
    assert rows["C"]["slot_share"] == 0.0
    assert result["overall"]["churn"] == pytest.approx(2 / 3)  # 2 new of the 3 known
    assert result["overall"]["slot_share"] == pytest.approx(3 / 7)
    alerts = {(a["kind"], a["scope"]) for a in result["alerts"]}
    assert alerts == {("churn", "B"), ("slot_share", "C"), ("slot_share", "overall")}
    first = churn_and_slots(invited, None, {"A": 2, "B": 1}, Thresholds())
    assert first["overall"]["churn"] is None and first["establishments"]["A"]["new"] is None


def _scored() -> pd.DataFrame:
    year = "2025-2026"
    weeks = [pd.Timestamp("2025-11-03"), pd.Timestamp("2025-11-10"), pd.Timestamp("2026-03-02")]
    exits = {"a1": "2025-12-15", "a3": "2025-11-20", "b2": "2026-01-30"}
    students = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
    rows = []
    for week in weeks:
        for student, uai in students.items():
            exit_date = pd.Timestamp(exits[student]) if student in exits else pd.NaT
            if not pd.isna(exit_date) and exit_date < week:
                continue  # gone
            # The last week: its horizon not observed yet, every student still there censored.
            censored = week == weeks[2] and student not in exits
            rows.append({"uai": uai, "school_year": year, "as_of": week, "student_id": student,
                         "score": 0.0, "label": student in exits and not censored,
                         "capacity": 1, "censored": censored, "exit_date": exit_date})  # fmt: skip
    return pd.DataFrame(rows)


def test_realised_outcomes_by_hand() -> None:
    scored = _scored()
    keys = [("A", "2025-11-03", "a1"), ("B", "2025-11-03", "b1"), ("A", "2025-11-10", "a3"),
            ("B", "2025-11-10", "b2"), ("B", "2026-03-02", "b2")]  # fmt: skip
    wanted = pd.DataFrame(keys, columns=["uai", "as_of", "student_id"])
    wanted["as_of"] = pd.to_datetime(wanted["as_of"])
    invitations = wanted.merge(scored, on=["uai", "as_of", "student_id"])
    promised = {"invitation_precision": 0.9, "invitation_precision_low": 0.8,
                "dropout_coverage_low": 0.5}  # fmt: skip
    result = realised_outcomes(invitations, scored, promised, n_boot=50)
    overall = result["overall"]
    # The March week is not judged (no student seen staying): its invitation is left out.
    assert (result["weeks_judged"], result["weeks_unobserved"]) == (2, 1)
    assert overall["invitations"] == 4
    assert overall["invitation_precision"] == 0.75  # a1, a3, b2 of 4
    assert overall["dropouts_reached"] == 3
    # a1: 6 weeks ahead; a3: 10 days; b2: 81 days.
    assert overall["dropouts_reached_ahead"] == 2
    assert overall["dropout_coverage_ahead"] == pytest.approx(2 / 3)
    a, b = result["establishments"]["A"], result["establishments"]["B"]
    assert (a["invitations"], a["invitation_precision"], a["dropouts_reached_ahead"]) == (2, 1, 1)
    assert (b["invitations"], b["invitation_precision"], b["dropouts_reached"]) == (2, 0.5, 1)
    assert [(x["measure"], x["threshold"]) for x in result["alerts"]] == [
        ("invitation_precision", 0.8)
    ]
