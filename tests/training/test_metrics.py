"""Capacity-aware metrics on hand-computed tiny examples, bootstrap, calibration, comparison."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from training.metrics import (
    bootstrap_ci,
    compare_models,
    expected_calibration_error,
    lead_time_weeks,
    list_lengths,
    list_stability,
    precision_recall_at_k,
    ranking_metrics,
    reliability_curve,
    top_k_flags,
)

W1, W2 = dt.date(2025, 1, 6), dt.date(2025, 1, 13)

# Two establishments x two weeks x five students.
# A (capacity 2): dropouts a2 (exit 2025-02-03) and a3 (exit 2025-01-20).
#   week 1 ranking a1 .9, a2 .8, a3 .7, a4 .2, a5 .1
#   week 2 ranking a2 .9, then a3 and a4 tied at .5 (a3 first by student_id), a1 .3, a5 .1
# B (capacity 0, an empty list at k and 2k): dropout b1 (exit 2025-03-03).
#   week 1 ranking b1 first; week 2 ranking b2 first.
_SCORES = {
    ("A", W1): [0.9, 0.8, 0.7, 0.2, 0.1],
    ("A", W2): [0.3, 0.9, 0.5, 0.5, 0.1],
    ("B", W1): [0.6, 0.4, 0.3, 0.2, 0.1],
    ("B", W2): [0.2, 0.6, 0.3, 0.2, 0.1],
}
_DROPOUTS = {"a2": dt.date(2025, 2, 3), "a3": dt.date(2025, 1, 20), "b1": dt.date(2025, 3, 3)}


def tiny() -> pd.DataFrame:
    rows = []
    for (school, as_of), scores in _SCORES.items():
        for number, score in enumerate(scores, start=1):
            student = f"{school.lower()}{number}"
            rows.append(
                {
                    "student_id": student,
                    "as_of": as_of,
                    "uai": f"035000{1 if school == 'A' else 2}{school}",
                    "school_year": "2024-2025",
                    "score": score,
                    "label": student in _DROPOUTS,
                    "capacity": 2 if school == "A" else 0,
                    "exit_date": _DROPOUTS.get(student),
                }
            )
    # Shuffle the rows: nothing may depend on their order.
    return pd.DataFrame(rows).sample(frac=1, random_state=4).reset_index(drop=True)


def flagged_ids(frame: pd.DataFrame, rule: str) -> dict[tuple[str, dt.date], list[str]]:
    on_list = frame[top_k_flags(frame, rule)]
    return {
        (uai[-1], as_of): sorted(group["student_id"])
        for (uai, as_of), group in on_list.groupby(["uai", "as_of"])
    }


# --- lists ------------------------------------------------------------------------------------


def test_lists_at_k_2k_and_5_percent() -> None:
    frame = tiny()
    assert flagged_ids(frame, "k") == {("A", W1): ["a1", "a2"], ("A", W2): ["a2", "a3"]}
    assert flagged_ids(frame, "2k") == {
        ("A", W1): ["a1", "a2", "a3", "a4"],
        ("A", W2): ["a1", "a2", "a3", "a4"],
    }
    # 5 % of 5 students is 0.25, rounded up to 1.
    assert flagged_ids(frame, "5%") == {
        ("A", W1): ["a1"],
        ("A", W2): ["a2"],
        ("B", W1): ["b1"],
        ("B", W2): ["b2"],
    }


def test_ties_are_broken_by_student_id_whatever_the_row_order() -> None:
    frame = tiny().assign(score=0.5, capacity=2)
    assert flagged_ids(frame, "k")[("B", W1)] == ["b1", "b2"]
    flags = top_k_flags(frame, "k")
    assert flags.index.equals(frame.index) and flags.dtype == bool
    reversed_frame = frame.iloc[::-1]
    assert top_k_flags(reversed_frame, "k").equals(flags.iloc[::-1])


def test_list_lengths_use_integer_rounding() -> None:
    frame = pd.DataFrame(
        {"uai": "U", "as_of": W1, "student_id": [f"s{i:02d}" for i in range(60)], "capacity": 3}
    )
    # 5 % of 60 is exactly 3 (a float product would give 3.0000000000000004 and round to 4).
    assert set(list_lengths(frame, "5%")) == {3}
    assert set(list_lengths(frame, "2.5%")) == {2}
    assert set(list_lengths(frame, "3k")) == {9}
    assert set(list_lengths(frame, "capacity")) == {3}
    with pytest.raises(ValueError, match="unknown list rule 'top10'"):
        list_lengths(frame, "top10")


def test_bad_scored_frames_are_refused() -> None:
    frame = tiny()
    with pytest.raises(ValueError, match=r"no column\(s\) \['capacity'\]"):
        top_k_flags(frame.drop(columns="capacity"))
    with pytest.raises(ValueError, match="twice in the same establishment-week"):
        top_k_flags(pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(ValueError, match="'score' has missing values"):
        top_k_flags(frame.assign(score=frame["score"].where(frame.index > 0)))
    with pytest.raises(ValueError, match="varies within an establishment-week"):
        top_k_flags(frame.assign(capacity=frame.index % 2))


# --- precision and recall at k ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "precision", "recall", "precision_mean", "recall_mean"),
    [
        # k: A lists 1/2 then 2/2 dropouts; B lists nobody. Hits 3 / listed 4; hits 3 / 6
        # dropout-weeks. Means: precision over A's two weeks, recall over all four weeks.
        ("k", 3 / 4, 3 / 6, (1 / 2 + 1) / 2, (1 / 2 + 1 + 0 + 0) / 4),
        # 2k: A lists 4 with both its dropouts each week; B still nobody.
        ("2k", 4 / 8, 4 / 6, (2 / 4 + 2 / 4) / 2, (1 + 1 + 0 + 0) / 4),
        # 5 %: one student each: a1 (no), a2 (yes), b1 (yes), b2 (no).
        ("5%", 2 / 4, 2 / 6, (0 + 1 + 1 + 0) / 4, (0 + 1 / 2 + 1 + 0) / 4),
    ],
)
def test_precision_recall_by_hand(
    rule: str, precision: float, recall: float, precision_mean: float, recall_mean: float
) -> None:
    result = precision_recall_at_k(tiny(), rule)
    assert result.precision == pytest.approx(precision)
    assert result.recall == pytest.approx(recall)
    assert result.precision_mean == pytest.approx(precision_mean)
    assert result.recall_mean == pytest.approx(recall_mean)
    assert len(result.per_week) == 4


def test_an_empty_list_has_no_precision_and_zero_recall() -> None:
    per_week = precision_recall_at_k(tiny(), "k").per_week.set_index(["uai", "as_of"])
    school_b = per_week.loc["0350002B"]
    assert list(school_b["listed"]) == [0, 0]
    assert school_b["precision"].isna().all()
    assert list(school_b["recall"]) == [0.0, 0.0]


def test_recall_is_undefined_without_a_dropout() -> None:
    frame = tiny()
    frame = frame.assign(label=frame["student_id"].str.startswith("a") & frame["label"])
    per_week = precision_recall_at_k(frame, "5%").per_week
    assert per_week.loc[per_week["uai"] == "0350002B", "recall"].isna().all()
    assert precision_recall_at_k(frame, "5%").recall_mean == pytest.approx((0 + 1 / 2) / 2)


# --- cluster bootstrap ------------------------------------------------------------------------


def synthetic(n_schools: int, seed: int = 0, weeks: int = 6, students: int = 40) -> pd.DataFrame:
    """Schools with their own dropout rate; a score that is informative but noisy."""
    rng = np.random.default_rng(seed)
    n = n_schools * students
    school_rate = rng.uniform(0.02, 0.2, n_schools)
    label = rng.random(n) < np.repeat(school_rate, students)
    frames = []
    for week in range(weeks):
        score = label * 0.8 + rng.normal(0, 0.6, n)
        frames.append(
            pd.DataFrame(
                {
                    "student_id": [f"s{i:05d}" for i in range(n)],
                    "as_of": dt.date(2025, 1, 6) + dt.timedelta(weeks=week),
                    "uai": np.repeat([f"{i:07d}X" for i in range(n_schools)], students),
                    "school_year": "2024-2025",
                    "score": score,
                    "label": label,
                    "capacity": 3,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_bootstrap_contains_the_estimate_and_narrows_with_more_schools() -> None:
    widths = {}
    for n_schools in (8, 160):
        frame = synthetic(n_schools)
        for statistic in ("precision", "recall"):
            interval = bootstrap_ci(frame, statistic, "k", n_boot=300, seed=1)
            point = getattr(precision_recall_at_k(frame, "k"), statistic)
            assert interval.estimate == pytest.approx(point)
            assert interval.low <= point <= interval.high
            widths[n_schools, statistic] = interval.high - interval.low
    for statistic in ("precision", "recall"):
        assert widths[160, statistic] < widths[8, statistic] / 2


def test_bootstrap_is_deterministic_by_seed() -> None:
    frame = synthetic(20)
    assert bootstrap_ci(frame, seed=5) == bootstrap_ci(frame, seed=5)
    assert bootstrap_ci(frame, seed=5) != bootstrap_ci(frame, seed=6)
    with pytest.raises(ValueError, match="unknown statistic 'f1'"):
        bootstrap_ci(frame, "f1")  # type: ignore[arg-type]


# --- lead time and stability ------------------------------------------------------------------


def test_lead_time_by_hand() -> None:
    lead = lead_time_weeks(tiny(), "k")
    per_student = lead.per_student.set_index("student_id")
    # a2 listed from 6 Jan, left 3 Feb: 4 weeks; a3 listed from 13 Jan, left 20 Jan: 1 week;
    # b1 never listed (capacity 0).
    assert per_student["lead_weeks"].to_dict() == pytest.approx(
        {"a2": 4.0, "a3": 1.0, "b1": math.nan}, nan_ok=True
    )
    assert lead.n_dropouts == 3
    assert (lead.q1, lead.median, lead.q3) == pytest.approx((1.75, 2.5, 3.25))
    assert lead.share_ahead == pytest.approx(1 / 3)
    assert lead.share_never_flagged == pytest.approx(1 / 3)


def test_lead_time_ignores_flags_after_exit_and_needs_exit_dates() -> None:
    frame = tiny()
    frame.loc[frame["student_id"] == "a2", "exit_date"] = W1  # listed on the day they left
    frame.loc[frame["student_id"] == "a3", "exit_date"] = dt.date(2025, 1, 8)  # listed after
    frame.loc[frame["student_id"] == "b1", "exit_date"] = None
    lead = lead_time_weeks(frame, "k")
    assert lead.per_student.set_index("student_id")["lead_weeks"].to_dict() == pytest.approx(
        {"a2": 0.0, "a3": math.nan}, nan_ok=True
    )
    assert lead.n_dropouts == 2 and lead.share_never_flagged == 0.5
    assert lead.n_without_exit_date == 1
    with pytest.raises(ValueError, match="exit_date"):
        lead_time_weeks(frame.drop(columns="exit_date"))
    nobody = lead_time_weeks(frame.assign(label=False))
    assert nobody.n_dropouts == 0 and math.isnan(nobody.median)


def test_list_stability_by_hand() -> None:
    stability = list_stability(tiny(), "k")
    pairs = stability.per_pair.set_index("uai")
    # A: {a1, a2} then {a2, a3}: 1 shared of 3. B: two empty lists, undefined.
    assert pairs.loc["0350001A", "jaccard"] == pytest.approx(1 / 3)
    assert math.isnan(pairs.loc["0350002B", "jaccard"])
    assert stability.mean == pytest.approx(1 / 3) and stability.median == pytest.approx(1 / 3)
    assert list_stability(tiny(), "2k").mean == pytest.approx(1.0)
    # 5 %: A {a1} -> {a2}, B {b1} -> {b2}: no overlap.
    assert list_stability(tiny(), "5%").mean == 0.0


def test_stability_does_not_pair_weeks_across_the_summer() -> None:
    frame = tiny()
    frame.loc[frame["as_of"] == W2, ["as_of", "school_year"]] = (dt.date(2025, 9, 8), "2025-2026")
    assert list_stability(frame, "k").per_pair.empty


# --- ranking and calibration ------------------------------------------------------------------


def test_ranking_metrics_by_hand() -> None:
    label, score = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    metrics = ranking_metrics(label, score)
    assert metrics["roc_auc"] == pytest.approx(0.75)
    assert metrics["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    assert metrics["brier"] == pytest.approx((0.01 + 0.16 + 0.65**2 + 0.04) / 4)
    expected = -np.mean(np.log([0.9, 0.6, 0.35, 0.8]))
    assert metrics["log_loss"] == pytest.approx(expected)
    rule = ranking_metrics(label, [1, 4, 3, 9], probability=False)
    assert rule["roc_auc"] == pytest.approx(0.75) and math.isnan(rule["brier"])
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        ranking_metrics(label, [1, 4, 3, 9])
    assert math.isnan(ranking_metrics([0, 0], [0.1, 0.2])["roc_auc"])


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_ece_small_when_calibrated_large_when_not(strategy: str) -> None:
    rng = np.random.default_rng(0)
    prob = rng.uniform(0, 1, 20_000)
    calibrated = rng.random(prob.size) < prob
    overconfident = rng.random(prob.size) < 0.5 + (prob - 0.5) / 3
    assert expected_calibration_error(calibrated, prob, strategy=strategy) < 0.02  # type: ignore[arg-type]
    assert expected_calibration_error(overconfident, prob, strategy=strategy) > 0.15  # type: ignore[arg-type]


def test_reliability_curve_bins() -> None:
    prob = np.array([0.05, 0.05, 0.05, 0.05, 0.5, 0.95])
    label = np.array([0, 0, 0, 1, 1, 1])
    uniform = reliability_curve(label, prob, n_bins=10, strategy="uniform")
    assert list(uniform["count"]) == [4, 1, 1]
    assert list(uniform["observed_rate"]) == [0.25, 1.0, 1.0]
    assert list(uniform["lower"]) == pytest.approx([0.0, 0.5, 0.9])
    quantile = reliability_curve(label, prob, n_bins=3)
    assert quantile["count"].sum() == 6  # tied values stay in one bin
    assert expected_calibration_error(label, prob, strategy="uniform") == pytest.approx(
        4 / 6 * 0.2 + 1 / 6 * 0.5 + 1 / 6 * 0.05
    )


# --- comparison table -------------------------------------------------------------------------


def test_compare_models_on_the_same_rows() -> None:
    frame = tiny()
    rank_baseline = frame.assign(score=frame["score"] * 10)  # ranks like the model, not a prob.
    table = compare_models({"model": frame, "baseline": rank_baseline}, n_boot=50, seed=0)
    assert list(table.index) == ["model", "baseline"]
    model = table.loc["model"]
    assert model["precision@k"] == pytest.approx(3 / 4)
    assert model["recall@2k"] == pytest.approx(4 / 6)
    assert model["precision@5%_mean"] == pytest.approx(0.5)
    assert model["precision@k_low"] <= model["precision@k"] <= model["precision@k_high"]
    assert model["lead_time_median_weeks@k"] == pytest.approx(2.5)
    assert model["share_flagged_4w_ahead@k"] == pytest.approx(1 / 3)
    assert model["stability_jaccard@k"] == pytest.approx(1 / 3)
    assert not math.isnan(model["brier"]) and bool(model["is_probability"])
    baseline = table.loc["baseline"]
    assert math.isnan(baseline["brier"]) and math.isnan(baseline["ece"])
    assert baseline["roc_auc"] == pytest.approx(model["roc_auc"])
    list_columns = [c for c in table.columns if "@" in c]
    pd.testing.assert_series_equal(model[list_columns], baseline[list_columns], check_names=False)


def test_compare_models_refuses_different_rows_or_labels() -> None:
    frame = tiny()
    with pytest.raises(ValueError, match="'short' is not scored on the same rows as 'model'"):
        compare_models({"model": frame, "short": frame.iloc[1:]}, n_boot=10)
    flipped = frame.assign(label=~frame["label"])
    with pytest.raises(ValueError, match="different labels from 'model' on 20 rows"):
        compare_models({"model": frame, "flipped": flipped}, n_boot=10)
    with pytest.raises(ValueError, match="unknown models"):
        compare_models({"model": frame}, probability_models={"other"}, n_boot=10)
