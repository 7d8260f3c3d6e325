"""The replay of the school year, counted by hand on a 2-establishment, 3-week toy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.queue import Decision, FollowUpRule, weekly_queue
from training.replay import (
    interview_draw,
    replay_comparison,
    replay_metrics,
    replay_paired,
    replay_year,
)

W1, W2, W3 = dt.date(2025, 9, 8), dt.date(2025, 9, 15), dt.date(2025, 9, 22)
EXITS = {"a1": "2025-10-20", "a3": "2025-09-24", "b1": "2026-01-05", "b4": "2025-09-10"}
KINDS = {"a1": "during_year", "a3": "during_year", "b1": "no_return", "b4": "during_year"}


def toy() -> pd.DataFrame:
    """A (capacity 1): a1 and a3 drop out. B (capacity 2): b1 and b4 (present week 1 only)."""
    scores = {
        ("A", W1): {"a1": 0.9, "a2": 0.5, "a3": 0.3},
        ("A", W2): {"a1": 0.9, "a2": 0.6, "a3": 0.4},
        ("A", W3): {"a1": 0.9, "a2": 0.3, "a3": 0.8},
        ("B", W1): {"b1": 0.2, "b2": 0.7, "b3": 0.6, "b4": 0.1},
        ("B", W2): {"b1": 0.5, "b2": 0.7, "b3": 0.6},
        ("B", W3): {"b1": 0.5, "b2": 0.7, "b3": 0.6},
    }
    rows = [
        {"uai": uai, "as_of": pd.Timestamp(week), "student_id": student, "score": score,
         "school_year": "2025-2026", "capacity": 1 if uai == "A" else 2,
         "label": student in EXITS, "exit_date": pd.Timestamp(EXITS.get(student, pd.NaT)),
         "exit_kind": KINDS.get(student)}
        for (uai, week), students in scores.items()
        for student, score in students.items()
    ]  # fmt: skip
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_replay_invites_the_highest_risks_not_yet_followed() -> None:
    invitations = replay_year(toy())
    got = [(row.uai, row.as_of.date(), row.student_id) for row in invitations.itertuples()]
    # A: a1 is held week 1 and followed after; a2 week 2; a3 week 3. B: b2, b3 week 1; b1
    # week 2 (the second slot stays empty: everyone else is followed); nobody week 3.
    assert got == [
        ("A", W1, "a1"), ("A", W2, "a2"), ("A", W3, "a3"),
        ("B", W1, "b2"), ("B", W1, "b3"), ("B", W2, "b1"),
    ]  # fmt: skip
    assert invitations["interviewed"].all()
    assert invitations["rank"].tolist() == [1, 1, 1, 1, 2, 1]


def test_replay_metrics_are_counted_by_hand() -> None:
    frame = toy().drop(columns="exit_kind")
    metrics = replay_metrics(replay_year(frame), frame, n_boot=50)
    assert metrics["invitations"] == 6
    assert metrics["students_invited"] == 6
    # Dropouts a1, a3, b1, b4; reached a1 (6 weeks ahead), a3 (2 days), b1 (16 weeks).
    assert metrics["n_dropouts"] == 4
    assert metrics["dropouts_reached"] == 3
    assert metrics["dropouts_reached_ahead"] == 2
    assert metrics["invitation_precision"] == pytest.approx(3 / 6)
    assert metrics["dropout_coverage"] == pytest.approx(3 / 4)
    assert metrics["dropout_coverage_ahead"] == pytest.approx(2 / 4)
    assert metrics["lead_time_median_weeks"] == pytest.approx(6.0)
    # Quartiles of the leads 2/7, 6 and 16 weeks (linear between order statistics).
    assert metrics["lead_time_q1_weeks"] == pytest.approx((2 / 7 + 6) / 2)
    assert metrics["lead_time_q3_weeks"] == pytest.approx((6 + 16) / 2)
    assert metrics["weeks_unobserved"] == 0
    assert metrics["censored_invitations"] == 0
    assert metrics["dropouts_reached_low"] <= 3 <= metrics["dropouts_reached_high"]
    assert not any(name.startswith("dropout_coverage@") for name in metrics)


def test_replay_metrics_by_exit_kind() -> None:
    frame = toy()
    metrics = replay_metrics(replay_year(frame), frame, n_boot=20)
    assert metrics["n_dropouts@during_year"] == 3
    assert metrics["dropouts_reached@during_year"] == 2  # a1, a3 (b4 never invited)
    assert metrics["dropouts_reached_ahead@during_year"] == 1
    assert metrics["dropout_coverage@no_return"] == 1.0
    assert metrics["lead_time_median_weeks@no_return"] == pytest.approx(16.0)
    assert metrics["n_dropouts@after_exam_failure"] == 0


def test_censored_students_are_out_of_denominators_and_counted_apart() -> None:
    frame = toy()
    frame["censored"] = frame["student_id"].isin(["b2", "b4"])
    metrics = replay_metrics(replay_year(frame), frame, n_boot=20)
    assert metrics["n_dropouts"] == 3  # b4 is censored
    assert metrics["dropout_coverage"] == pytest.approx(3 / 3)
    assert metrics["censored_invitations"] == 1  # b2
    assert metrics["invitation_precision"] == pytest.approx(3 / 5)


def test_student_week_lists_are_not_rewarded_for_repeating() -> None:
    frame = toy()
    # Nobody interviewed: the queue repeats the same students each week.
    invitations = replay_year(frame, interviewed_share=0.0)
    assert invitations.loc[invitations["uai"] == "A", "student_id"].tolist() == ["a1"] * 3
    metrics = replay_metrics(invitations, frame, n_boot=20)
    assert metrics["invitations"] == 9
    assert metrics["students_invited"] == 3  # a1, b2, b3
    assert metrics["dropouts_reached"] == 0  # invited, never interviewed


def test_share_variant_is_deterministic_and_draws_per_invitation() -> None:
    frame = toy()
    first = replay_year(frame, interviewed_share=0.5, seed=7)
    again = replay_year(frame.sample(frac=1.0, random_state=1), interviewed_share=0.5, seed=7)
    pd.testing.assert_frame_equal(first, again)
    for row in first.itertuples():
        draw = interview_draw(7, row.school_year, row.uai, row.student_id, row.as_of.date())
        assert row.interviewed == (draw < 0.5)
    other_seed = replay_year(frame, interviewed_share=0.5, seed=8)
    assert len(other_seed) > 0


def test_probability_scores_come_back_on_a_risk_rise_ranks_do_not() -> None:
    frame = toy()
    frame.loc[(frame["student_id"] == "a2") & (frame["as_of"] == pd.Timestamp(W3)), "score"] = 0.95
    probability = replay_year(frame)  # a2: 0.6 -> 0.95 after its interview: back week 3
    assert probability.loc[probability["as_of"] == pd.Timestamp(W3)].iloc[0]["student_id"] == "a2"
    ranks = replay_year(frame, probability=False)
    assert ranks.loc[ranks["as_of"] == pd.Timestamp(W3)].iloc[0]["student_id"] == "a3"


def naive_replay(frame: pd.DataFrame, rule: FollowUpRule) -> list[tuple[str, dt.date, str]]:
    """The whole week handed to `weekly_queue`, every student: what the prefix must match."""
    decisions: dict[str, dict[str, list[Decision]]] = {}
    out = []
    for (uai, as_of), rows in frame.groupby(["uai", "as_of"], sort=True):
        week = as_of.date()
        book = decisions.setdefault(uai, {})
        queue = weekly_queue(
            list(zip(rows["student_id"], rows["score"], strict=True)),
            int(rows["capacity"].iloc[0]), None, week=week, decisions=book, rule=rule,
        )  # fmt: skip
        for entry in queue:
            if entry.part == "invite":
                book.setdefault(entry.student_id, []).append(Decision("held", week, entry.risk))
                out.append((uai, week, entry.student_id))
    return out


def test_replay_matches_the_queue_on_whole_weeks() -> None:
    rng = np.random.default_rng(0)
    weeks = [pd.Timestamp(W1) + pd.Timedelta(weeks=i) for i in range(12)]
    rows = [
        {"uai": uai, "as_of": week, "student_id": f"{uai}{s:02d}",
         "score": float(np.round(rng.random(), 1)), "school_year": "2025-2026",
         "capacity": cap, "label": bool(s % 5 == 0)}
        for uai, cap in (("X", 2), ("Y", 3)) for week in weeks for s in range(25)
    ]  # fmt: skip
    frame = pd.DataFrame(rows)
    rule = FollowUpRule(held_weeks=3, dismissal_weeks=2, risk_margin=0.3)
    got = replay_year(frame, rule)
    expected = naive_replay(frame, rule)
    assert [(r.uai, r.as_of.date(), r.student_id) for r in got.itertuples()] == expected


def test_replay_comparison_pairs_models() -> None:
    frame = toy()
    other = frame.assign(score=-frame["score"])
    table, paired = replay_comparison(
        {"model": frame, "reverse": other}, probability_models=["model"], reference="model",
        n_boot=30,
    )  # fmt: skip
    assert list(table.index) == ["model", "reverse"]
    assert paired is not None and list(paired.index) == ["reverse"]
    expected = table.loc["model", "dropouts_reached"] - table.loc["reverse", "dropouts_reached"]
    assert paired.loc["reverse", "dropouts_reached_diff"] == expected
    direct = replay_paired(
        {"model": replay_year(frame), "reverse": replay_year(other, probability=False)},
        frame, "model", n_boot=30,
    )  # fmt: skip
    pd.testing.assert_frame_equal(direct, paired)


def test_a_student_twice_in_a_week_is_refused() -> None:
    frame = toy()
    first = frame[(frame["student_id"] == "a1") & (frame["as_of"] == pd.Timestamp(W1))]
    twice = pd.concat([frame, first], ignore_index=True)
    with pytest.raises(ValueError, match="twice"):
        replay_year(twice)


def test_bootstrap_median_lead_time_is_the_weighted_median() -> None:
    from training.metrics_lists import cluster_resamples
    from training.replay import _median_replicates

    rng = np.random.default_rng(1)
    clusters = pd.Index(list("ABCDE"))
    leads = pd.DataFrame({"cluster": rng.choice(list("ABCDE"), 30),
                          "lead_weeks": rng.integers(0, 20, 30).astype(float)})  # fmt: skip
    leads.loc[3, "lead_weeks"] = np.nan  # never reached: out of the median
    counts = cluster_resamples(len(clusters), 200, 0)
    where = clusters.get_indexer(leads["cluster"])
    known = leads["lead_weeks"].notna().to_numpy()
    values = leads["lead_weeks"].to_numpy()[known]
    expected = [
        np.median(np.repeat(values, draw[where[known]])) if draw[where[known]].sum() else np.nan
        for draw in counts
    ]
    assert np.allclose(_median_replicates(leads, clusters, counts), expected, equal_nan=True)


def test_weeks_whose_negatives_are_all_censored_are_not_replayed() -> None:
    """X (capacity 1). Week 1: x (0.9, stays), d (0.1, leaves on 31 August). Week 2, near the
    extraction's end: the rows labelled 0 are censored and out of the predictions, so only d
    is left (and c, censored): the queue would hand d the slot whatever the ranking. Week 2 is
    not replayed: d is a dropout of the year (week 1), not reached; week 2 is counted apart."""
    exit_day = pd.Timestamp("2026-08-31")

    def row(week: dt.date, student: str, score: float, label: bool, censored: bool = False):
        return {"uai": "X", "as_of": pd.Timestamp(week), "student_id": student, "score": score,
                "school_year": "2025-2026", "capacity": 1, "label": label,
                "exit_date": exit_day if label else pd.NaT, "censored": censored}  # fmt: skip

    frame = pd.DataFrame([
        row(W1, "x", 0.9, False), row(W1, "d", 0.1, True),
        row(W2, "d", 0.1, True), row(W2, "c", 0.02, False, censored=True),
    ])  # fmt: skip
    from training.replay import observed_weeks

    assert observed_weeks(frame).tolist() == [True, True, False, False]
    invitations = replay_year(frame)
    assert invitations["student_id"].tolist() == ["x"]
    metrics = replay_metrics(invitations, frame, n_boot=20)
    assert (metrics["n_dropouts"], metrics["dropouts_reached"]) == (1, 0)
    assert metrics["weeks_unobserved"] == 1
    assert np.isnan(metrics["lead_time_median_weeks"])
    # With a row labelled 0 in week 2 the week is judged: d gets the slot then.
    judged = pd.concat([frame, pd.DataFrame([row(W2, "y", 0.05, False)])], ignore_index=True)
    invitations = replay_year(judged)
    assert invitations["student_id"].tolist() == ["x", "d"]
    metrics = replay_metrics(invitations, judged, n_boot=20)
    assert metrics["dropouts_reached"] == 1 and metrics["weeks_unobserved"] == 0
    assert metrics["lead_time_median_weeks"] == pytest.approx((exit_day.date() - W2).days / 7)


def test_replay_beyond_adds_the_ranks_after_the_cut_and_invites_the_same() -> None:
    """`beyond` returns the next students not in follow-up, only in weeks with every slot
    spent, ranked on after the slots; the invitations do not change."""
    plain = replay_year(toy())
    extended = replay_year(toy(), beyond=2)
    invited = extended[extended["invited"]].drop(columns="invited").reset_index(drop=True)
    pd.testing.assert_frame_equal(invited, plain)
    outside = extended[~extended["invited"]]
    got = [(r.uai, r.as_of.date(), r.student_id, r.rank) for r in outside.itertuples()]
    # A week 1: a2, a3 after a1; week 2: a3 (a1 followed); week 3: none left.
    # B week 1: b1, b4 after b2, b3; B week 2 spends one slot of two: no cut.
    assert got == [
        ("A", W1, "a2", 2), ("A", W1, "a3", 3), ("A", W2, "a3", 2),
        ("B", W1, "b1", 3), ("B", W1, "b4", 4),
    ]  # fmt: skip
    assert not outside["interviewed"].any()
    with pytest.raises(ValueError, match="beyond"):
        replay_year(toy(), beyond=-1)
