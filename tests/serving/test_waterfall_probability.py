"""The waterfall's probability path: each step's calibrated risk before and after it."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.special import expit

from models.contributions import BASE_VALUE
from serving.services.dashboard_explain import waterfall_frame


def test_the_waterfall_steps_read_in_probability_and_say_their_signal() -> None:
    row = pd.Series({"unjustified_absences_4w": 1.0, "track": 0.5, "grade_mean_ytd": -0.2,
                     "lates_4w": 0.05, BASE_VALUE: -2.0})  # fmt: skip
    steps = waterfall_frame(row, pd.Series({"unjustified_absences_4w": 9.0}), top=3,
                            calibrate=expit)  # fmt: skip
    assert steps["feature"].tolist() == ["unjustified_absences_4w", "track", "grade_mean_ytd",
                                         "other"]  # fmt: skip
    assert steps["signal"].tolist() == ["own", "context", "own", "other"]
    # By hand: -2 -> -1 -> -0.5 -> -0.7 -> -0.65 on the log-odds axis.
    assert steps.loc[0, "risk_start"] == pytest.approx(expit(-2.0))
    assert steps.loc[0, "risk_end"] == pytest.approx(expit(-1.0))
    assert steps.loc[1, "points"] == pytest.approx(expit(-0.5) - expit(-1.0))
    assert steps["risk_end"].iloc[-1] == pytest.approx(expit(-0.65))
    assert steps["points"].sum() == pytest.approx(expit(-0.65) - expit(-2.0))
    # Without a calibration map, the log-odds steps only (as before).
    assert "risk_start" not in waterfall_frame(row, pd.Series(dtype=float), top=3).columns
