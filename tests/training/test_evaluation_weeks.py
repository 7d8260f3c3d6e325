"""The student-week metrics judge the same weeks as the replay: a week whose rows labelled 0
are all censored (only future dropouts left) is out of every list metric."""

from __future__ import annotations

import pandas as pd

from training.evaluation import model_frames


def _predictions() -> pd.DataFrame:
    week_1, week_2 = pd.Timestamp("2026-05-25"), pd.Timestamp("2026-06-01")
    rows = [
        # student, as_of, label, lightgbm score
        ("a", week_1, 0, 0.10),
        ("b", week_1, 1, 0.90),
        ("c", week_1, 0, 0.20),
        # 1 June: the students who stay are censored (dropped), only a dropout is left.
        ("b", week_2, 1, 0.95),
    ]
    frame = pd.DataFrame(rows, columns=["student_id", "as_of", "label", "lightgbm"])
    return frame.assign(
        uai="0000001A",
        school_year="2025-2026",
        capacity=1,
        exit_date=pd.Timestamp("2026-08-31"),
        logistic=frame["lightgbm"][::-1].to_numpy(),
    )


def test_a_week_with_only_future_dropouts_left_is_not_judged() -> None:
    predictions = _predictions()
    frames = model_frames(predictions)
    assert set(frames) == {"lightgbm", "logistic"}
    for name, frame in frames.items():
        assert list(frame["as_of"].unique()) == [pd.Timestamp("2026-05-25")]
        assert list(frame["student_id"]) == ["a", "b", "c"]
        # Each model keeps its own scores, row for row.
        assert list(frame["score"]) == list(predictions[name].iloc[:3])


def test_every_week_is_judged_when_each_has_a_negative() -> None:
    predictions = _predictions()
    predictions.loc[3, "label"] = 0
    assert len(model_frames(predictions)["lightgbm"]) == 4
