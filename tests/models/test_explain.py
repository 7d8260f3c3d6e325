"""`RiskModel.explain` and the global view: scores, reasons, chunks, and MLflow artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from models.contributions import BASE_VALUE, contributions
from models.explanations import Explanations, iter_explanations
from models.global_explanations import global_explanations, log_global_explanations
from models.reasons import REASON_COLUMNS
from models.risk_model import RiskModel
from training.tracking import setup_tracking

from .conftest import Years


@pytest.fixture(scope="module")
def model(years: Years) -> RiskModel:
    train = years.train
    return RiskModel(num_boost_round=40, calibration_folds=3, seed=5).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )


@pytest.fixture(scope="module")
def week(years: Years) -> pd.DataFrame:
    """The rows of one as-of date, scored together as a weekly run would."""
    first = years.held_out["as_of"].min()
    return years.held_out[years.held_out["as_of"] == first].reset_index(drop=True)


@pytest.fixture(scope="module")
def explained(model: RiskModel, week: pd.DataFrame) -> Explanations:
    return model.explain(week, top=3)


def test_scores_one_row_per_input_with_keys_risk_and_raw_score(
    model: RiskModel, week: pd.DataFrame, explained: Explanations
) -> None:
    scores = explained.scores
    assert len(scores) == len(week)
    assert scores["row"].tolist() == list(range(len(week)))
    assert scores["student_id"].tolist() == week["student_id"].tolist()
    assert (scores["uai"] == week["uai"]).all() and (scores["as_of"] == week["as_of"]).all()
    np.testing.assert_array_equal(scores["risk"], model.predict_risk(week))
    np.testing.assert_array_equal(scores["raw_score"], model.raw_score(week))


def test_reasons_raise_the_risk_and_protective_factors_lower_it(
    model: RiskModel, week: pd.DataFrame, explained: Explanations
) -> None:
    reasons = explained.reasons
    assert list(reasons.columns) == ["student_id", "as_of", "uai", *REASON_COLUMNS]
    why, protective = explained.why(), explained.protective()
    assert len(why) and len(protective) and len(why) + len(protective) == len(reasons)
    assert (why["contribution"] > 0).all() and (why["direction"] == "raises").all()
    assert (protective["contribution"] < 0).all() and (protective["direction"] == "lowers").all()
    assert why.groupby("row").size().max() == 3
    assert ((reasons["share"] >= 0.01) & (reasons["share"] <= 1)).all()
    assert (reasons["text"] == reasons["text_fr"]).all()
    assert reasons["text_en"].str.len().min() > 0
    # The "why" of a row are its largest positive contributions, in order.
    row = int(why["row"].iloc[0])
    values = contributions(model, week.iloc[[row]]).drop(columns=BASE_VALUE).iloc[0]
    expected = values[values > 0].sort_values(ascending=False, kind="stable").index[:3]
    assert why.loc[why["row"] == row, "feature"].tolist() == list(expected)
    assert why.loc[why["row"] == row, "rank"].tolist() == [1, 2, 3]


def test_chunks_and_subsets_give_the_same_explanations(
    model: RiskModel, week: pd.DataFrame, explained: Explanations
) -> None:
    chunked = model.explain(week, top=3, chunk_rows=53)
    pd.testing.assert_frame_equal(chunked.scores, explained.scores)
    pd.testing.assert_frame_equal(chunked.reasons, explained.reasons)
    parts = list(iter_explanations(model, week, chunk_rows=100))
    assert [len(part.scores) for part in parts][:-1] == [100] * (len(parts) - 1)
    assert sum(len(part.scores) for part in parts) == len(week)
    # Explaining only a list's rows keeps the references of the whole week.
    rows = [7, 3, 150]
    subset = model.explain(week, top=3, rows=rows, language="en")
    assert subset.scores["row"].tolist() == rows
    expected = explained.reasons[explained.reasons["row"].isin(rows)]
    for row in rows:
        mine = subset.reasons[subset.reasons["row"] == row]
        theirs = expected[expected["row"] == row]
        assert mine["text_fr"].tolist() == theirs["text_fr"].tolist()
        assert (mine["text"] == mine["text_en"]).all()
    with pytest.raises(IndexError):
        model.explain(week, rows=[len(week)])
    with pytest.raises(ValueError, match="language"):
        model.explain(week, language="de")  # type: ignore[arg-type]


def test_records_are_json_ready(explained: Explanations) -> None:
    records = explained.to_records()
    assert len(records) == len(explained.scores)
    text = json.dumps(records)  # no NaN, timestamps or numpy scalars left
    assert "NaN" not in text
    first = records[0]
    assert set(first) >= {"student_id", "as_of", "uai", "risk", "raw_score", "reasons",
                          "protective"}  # fmt: skip
    assert all(reason["direction"] == "raises" for reason in first["reasons"])


def test_an_empty_input_gives_empty_frames(model: RiskModel, week: pd.DataFrame) -> None:
    empty = model.explain(week.iloc[:0])
    assert len(empty.scores) == 0 and len(empty.reasons) == 0
    assert "text_fr" in empty.reasons.columns


def test_global_view_is_mean_absolute_shap_per_feature_and_family(
    model: RiskModel, week: pd.DataFrame
) -> None:
    table = global_explanations(model, week, chunk_rows=100)
    values = contributions(model, week).drop(columns=BASE_VALUE)
    features = table[table["level"] == "feature"].set_index("name")
    np.testing.assert_allclose(
        features.loc[values.columns, "mean_abs_shap"], values.abs().mean(), rtol=1e-12
    )
    assert features["mean_abs_shap"].is_monotonic_decreasing
    families = table[table["level"] == "family"].set_index("name")
    assert set(families.index) == {"attendance", "grades", "exams_and_path", "context"}
    attendance = [name for name in values.columns
                  if features.loc[name, "family"] == "attendance"]  # fmt: skip
    expected = values[attendance].sum(axis=1).abs().mean()
    assert families.loc["attendance", "mean_abs_shap"] == pytest.approx(expected)
    for level in ("feature", "family"):
        assert table.loc[table["level"] == level, "share"].sum() == pytest.approx(1.0)
    sampled = global_explanations(model, week, sample_rows=100, seed=1)
    assert (sampled["rows"] == 100).all()


def test_global_view_is_logged_to_the_active_run(
    model: RiskModel, week: pd.DataFrame, tmp_path: Path
) -> None:
    previous = mlflow.get_tracking_uri()
    setup_tracking(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="active MLflow run"):
            log_global_explanations(model, week)
        with mlflow.start_run() as run:
            table = log_global_explanations(model, week, sample_rows=None)
        client = mlflow.tracking.MlflowClient()
        logged = {item.path for item in client.list_artifacts(run.info.run_id, "explanations")}
        assert logged == {f"explanations/global_shap.{ext}" for ext in ("csv", "json", "png")}
        local = Path(client.download_artifacts(run.info.run_id, "explanations", str(tmp_path)))
        payload = json.loads((local / "global_shap.json").read_text())
        assert payload["rows"] == len(week)
        assert [item["name"] for item in payload["features"]] == table.loc[
            table["level"] == "feature", "name"
        ].tolist()
    finally:
        mlflow.set_tracking_uri(previous)
