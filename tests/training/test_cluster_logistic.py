"""The logistic baseline of a cluster run (`training.cluster_logistic`): fitted on the rows
the académies send back, it is the single-machine baseline bit for bit while every row fits
under `logistic.cluster_rows`; beyond, whole students are drawn by their id, the same ones on
every run, about the configured share."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from training.cluster_logistic import (
    drawn_students,
    fit_cluster_logistic,
    logistic_part,
    logistic_rate,
)
from training.fitting import fit_fold
from training.folds import plan_fold
from training.interviewed import learning_rows
from training.pipeline import PreparedData

from .conftest import fast_config


def test_students_are_drawn_whole_at_about_the_rate_and_the_same_each_time() -> None:
    ids = pd.Series([f"E{n:06d}" for n in range(20_000) for _ in range(3)])  # 3 rows each
    drawn = drawn_students(ids, 0.25)
    assert (drawn == drawn_students(ids.copy(), 0.25)).all()
    per_student = pd.Series(drawn).groupby(ids.to_numpy()).agg(["min", "max"])
    assert (per_student["min"] == per_student["max"]).all()  # a student's rows go together
    assert 0.23 < drawn.mean() < 0.27
    # A lower rate draws a subset of the students of a higher one.
    assert not (drawn_students(ids, 0.1) & ~drawn).any()
    assert drawn_students(ids, 1.0).all()


def test_the_rate_keeps_every_row_until_the_configured_rows() -> None:
    config = fast_config(**{"logistic.cluster_rows": 1000})
    assert logistic_rate(config, 999) == logistic_rate(config, 1000) == 1.0
    assert logistic_rate(config, 4000) == 0.25


def test_every_row_sent_back_gives_the_single_machine_baseline_bit_for_bit(
    prepared: PreparedData,
) -> None:
    config = fast_config()
    plan = prepared.plans[-1]
    fold = plan_fold(prepared.snapshots, plan, prepared.selection)
    expected = fit_fold(fold, config).logistic
    assert expected is not None
    # The training rows split in two "académies" (by establishment), in the frame's order.
    rows, weights = learning_rows(fold.train, config.interviewed.policy)
    first = rows["uai"].isin(sorted(rows["uai"].unique())[:2]).to_numpy()
    parts = [logistic_part(rows[mask], weights, 1.0) for mask in (first, ~first)]
    ordered = pd.concat([rows[first], rows[~first]])
    reference = fit_fold(replace(fold, train=ordered), config).logistic
    fitted = fit_cluster_logistic(parts, config)
    assert reference is not None
    coefficients = fitted.named_steps["model"].coef_
    assert np.array_equal(coefficients, reference.named_steps["model"].coef_)
    assert np.array_equal(fitted.named_steps["model"].intercept_,
                          reference.named_steps["model"].intercept_)  # fmt: skip
    # The same rows in another order fit nearly the same baseline.
    assert np.allclose(coefficients, expected.named_steps["model"].coef_, atol=1e-6)


def test_students_drawn_give_a_baseline_fitted_on_their_rows_only(
    prepared: PreparedData,
) -> None:
    config = fast_config()
    plan = prepared.plans[-1]
    fold = plan_fold(prepared.snapshots, plan, prepared.selection)
    rows, weights = learning_rows(fold.train, config.interviewed.policy)
    part = logistic_part(rows, weights, 0.5)
    drawn = drawn_students(rows["student_id"], 0.5)
    assert len(part) == drawn.sum() and 0.35 * len(rows) < len(part) < 0.65 * len(rows)
    expected = fit_fold(replace(fold, train=rows[drawn]), config).logistic
    assert expected is not None
    fitted = fit_cluster_logistic([part], config)
    assert np.array_equal(fitted.named_steps["model"].coef_, expected.named_steps["model"].coef_)
