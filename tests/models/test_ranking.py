"""The list order (`models.ranking`): a hand case, its errors, and the same order in the weekly
queue, the stored lists, the evaluation (lists, replay), the dashboard and `vigie explain`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.explanations import Explanations
from models.queue import weekly_queue
from models.ranking import list_order, list_ranks
from serving.services.dashboard_models import weekly_precision_at_k
from serving.weekly.ranking import rank_students
from training.metrics_lists import list_ranks as evaluation_ranks
from training.metrics_lists import precision_by_week
from training.replay import replay_year

WEEK = dt.date(2026, 11, 30)


def test_highest_risk_first_ties_by_student_id_groups_apart() -> None:
    risk = [0.2, 0.5, 0.5, 0.9, 0.5, 0.1, 0.7, 0.7]
    ids = ["S9", "S10", "S2", "S5", "S1", "S3", "B", "A"]
    group = ["x", "x", "x", "x", "x", "y", "y", "y"]
    # x: S5 (0.9), then the three 0.5 by id in code-point order (S1 < S10 < S2), then S9;
    # y: A and B tie at 0.7 (A first), then S3.
    assert list(list_order(risk, ids, group)) == [3, 4, 1, 2, 0, 7, 6, 5]
    assert list(list_ranks(risk, ids, group)) == [5, 3, 4, 1, 2, 3, 2, 1]
    # One group: A, B (0.7) come after S5 (0.9) and before the 0.5s.
    assert list(list_order(risk, ids)) == [3, 7, 6, 4, 1, 2, 0, 5]
    assert list(list_ranks(risk, ids)) == [7, 5, 6, 1, 4, 8, 3, 2]
    # The input's order never matters.
    shuffled = [5, 0, 7, 2, 4, 1, 6, 3]
    again = list_order(np.take(risk, shuffled), np.take(ids, shuffled), np.take(group, shuffled))
    assert [ids[shuffled[i]] for i in again] == [ids[i] for i in list_order(risk, ids, group)]


def test_a_list_cannot_place_missing_values() -> None:
    with pytest.raises(ValueError, match="risk has missing values"):
        list_order([0.1, float("nan")], ["a", "b"])
    with pytest.raises(ValueError, match="student ids have missing values"):
        list_order([0.1, 0.2], ["a", None])
    with pytest.raises(ValueError, match="2 risks but 3 student ids"):
        list_order([0.1, 0.2], ["a", "b", "c"])
    assert list(list_order([], [])) == [] and list(list_ranks([], [], [])) == []


@pytest.fixture
def week() -> pd.DataFrame:
    """Three establishments, risks with many ties, ids in no particular order."""
    rng = np.random.default_rng(3)
    ids = [f"S{n}" for n in rng.permutation(90) * 7]
    return pd.DataFrame({
        "uai": np.repeat(["0350001A", "0350002B", "0350003C"], 30), "student_id": ids,
        "score": rng.integers(0, 6, 90) / 10, "as_of": pd.Timestamp(WEEK),
        "school_year": "2026-2027", "capacity": 4, "label": rng.random(90) < 0.3,
    })  # fmt: skip


def test_the_same_order_everywhere(week: pd.DataFrame) -> None:
    expected = list_ranks(week["score"], week["student_id"], week["uai"])
    assert len(np.unique(week["score"])) < 7  # many ties to break
    # The evaluation's lists.
    np.testing.assert_array_equal(evaluation_ranks(week) + 1, expected)
    for _, part in week.groupby("uai"):
        risks = list(zip(part["student_id"], part["score"], strict=True))
        wanted = list(part["student_id"].to_numpy()[np.argsort(expected[part.index])])
        # The weekly queue and the stored lists (everyone invited: capacity = every student).
        queue = weekly_queue(risks, len(part), None, week=WEEK)
        assert [q.student_id for q in queue] == wanted
        stored = rank_students(risks[::-1], len(part), None, week=WEEK)
        assert [(q.student_id, q.rank) for q in stored] == list(
            zip(wanted, range(1, len(part) + 1), strict=True)
        )
    # The replay of the year: this first week, the capacity's first students are invited.
    invited = replay_year(week)
    ranks = dict(zip(zip(week["uai"], week["student_id"], strict=True), expected, strict=True))
    assert sorted(zip(invited["uai"], invited["student_id"], invited["rank"], strict=True)) == (
        sorted((uai, student, rank) for (uai, student), rank in ranks.items() if rank <= 4)
    )


def test_the_dashboard_precision_is_the_evaluation_lists(week: pd.DataFrame) -> None:
    listed = list_ranks(week["score"], week["student_id"], week["uai"]) <= week["capacity"]
    weekly = weekly_precision_at_k(week.rename(columns={"score": "lightgbm"}))
    assert weekly.to_dict("records") == [{
        "week": WEEK, "listed": 12, "dropouts": int(week["label"][listed].sum()),
        "precision_at_k": week["label"][listed].sum() / 12,
    }]  # fmt: skip
    pooled = precision_by_week(week)
    assert pooled[["listed", "hits"]].to_numpy().tolist() == [[12, week["label"][listed].sum()]]


def test_the_explain_command_ranks_like_the_list(week: pd.DataFrame) -> None:
    from serving.scoring.model import RegisteredModel
    from vigie.commands.explain import explanation_payload

    class _Model:
        model_hash_ = "h"

    class _Features:
        frame = week.assign(level="3e", track="college", class_id="3A")

    expected = list_ranks(week["score"], week["student_id"], week["uai"])
    for row in (0, 17, 45, 89):
        scores = week.iloc[[row]][["student_id", "uai"]].assign(row=row, risk=0.5)
        explained = Explanations(scores, pd.DataFrame(columns=["row", "kind"]))
        # Stand-ins: the payload reads only the model's hash and the features' frame.
        loaded = RegisteredModel(_Model(), "vigie-dropout", "1", "alias champion")  # type: ignore[arg-type]
        payload = explanation_payload(
            explained,
            _Features(),
            loaded,
            4,
            week["score"].to_numpy(),  # type: ignore[arg-type]
        )
        assert payload["rank_in_establishment"] == expected[row]
        assert payload["on_the_list"] is bool(expected[row] <= 4)
        assert payload["students_in_establishment"] == 30
