"""`RiskModel.explain` and the global view: scores, reasons, chunks, and MLflow artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.catalog import DIRECTIONS, context_features, monotone_constraints
from features.jsonio import jsonable
from models.contributions import BASE_VALUE, contributions
from models.explanations import Explanations, iter_explanations
from models.global_explanations import global_explanations, log_global_explanations
from models.reasons import REASON_COLUMNS
from models.risk_model import RiskModel
from tests.mlflow_uris import mlflow_uris_kept
from training.tracking import ensure_experiment, setup_tracking

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
    why, protective, context = explained.why(), explained.protective(), explained.context()
    assert len(why) and len(protective)
    assert len(why) + len(protective) + len(context) == len(reasons)
    assert (why["contribution"] > 0).all() and (why["direction"] == "raises").all()
    assert (protective["contribution"] < 0).all() and (protective["direction"] == "lowers").all()
    assert why.groupby("row").size().max() == 3
    chosen = reasons[reasons["kind"] != "context"]
    assert ((chosen["share"] >= 0.01) & (chosen["share"] <= 1)).all()
    assert (reasons["text"] == reasons["text_fr"]).all()
    assert reasons["text_en"].str.len().min() > 0
    # The "why" of a row are its largest positive contributions among the own signals
    # allowed by the direction rule, in order.
    row = int(why.groupby("row").size().idxmax())
    mine = why[why["row"] == row]
    assert mine["rank"].tolist() == [1, 2, 3]
    assert mine["contribution"].is_monotonic_decreasing
    values = contributions(model, week.iloc[[row]]).drop(columns=BASE_VALUE).iloc[0]
    assert values[mine["feature"]].tolist() == mine["contribution"].tolist()


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


def test_only_the_kinds_asked_are_worded_and_returned(
    model: RiskModel, week: pd.DataFrame, explained: Explanations
) -> None:
    """A weekly list asks for the reasons why only: the same rows, scores and reasons why as
    the whole explanation, and no protective factor nor context reason."""
    why = model.explain(week, top=3, kinds=("why",))
    pd.testing.assert_frame_equal(why.scores, explained.scores)
    expected = explained.reasons[explained.reasons["kind"] == "why"].reset_index(drop=True)
    assert len(expected) and set(explained.reasons["kind"]) > {"why"}
    pd.testing.assert_frame_equal(why.reasons, expected)
    with pytest.raises(ValueError, match="kinds"):
        model.explain(week, kinds=("why", "because"))


def test_the_contributions_the_reasons_come_from_are_kept_when_asked(
    model: RiskModel, week: pd.DataFrame, explained: Explanations
) -> None:
    """The week's lineage stores the listed students' contributions: `keep_contributions`
    gives those the explanation computed, bit for bit those of `contributions` on the same
    rows, in the explained order and indexed by row, over several chunks too."""
    assert explained.contributions is None  # not kept unless asked
    rows = [150, 7, 3, 42, 99]
    kept = model.explain(week, rows=rows, chunk_rows=2, keep_contributions=True)
    assert kept.contributions is not None
    assert kept.contributions.index.tolist() == rows
    expected = contributions(model, week.iloc[rows])
    np.testing.assert_array_equal(kept.contributions.to_numpy(), expected.to_numpy())
    assert list(kept.contributions.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(kept.scores, model.explain(week, rows=rows).scores)
    nobody = model.explain(week, rows=[], keep_contributions=True).contributions
    assert nobody is not None and len(nobody) == 0
    assert list(nobody.columns) == list(expected.columns)


def test_records_are_json_ready(explained: Explanations) -> None:
    records = explained.to_records()
    assert len(records) == len(explained.scores)
    text = json.dumps(records)  # no NaN, timestamps or numpy scalars left
    assert "NaN" not in text
    first = records[0]
    assert set(first) >= {"student_id", "as_of", "uai", "risk", "raw_score", "reasons",
                          "protective", "context", "risk_without_context", "context_points",
                          "context_text_fr", "context_text_en"}  # fmt: skip
    assert all(reason["direction"] == "raises" for reason in first["reasons"])
    assert {reason["feature"] for reason in first["context"]} == set(context_features())
    reason = next(record["reasons"][0] for record in records if record["reasons"])
    assert set(reason) >= {"feature", "value", "reference", "reference_scope", "share",
                           "points", "risk_without", "text_fr", "text_en", "weight_text_fr",
                           "weight_text_en", "signal"}  # fmt: skip


def test_records_hold_each_value_as_json_data_missing_ones_as_none(
    explained: Explanations,
) -> None:
    """Each record holds its row's values as `jsonable` makes them (the frames converted
    column by column): numbers as Python's, dates as ISO text, NaN, infinities and missing
    text as None."""
    scores, reasons = explained.scores.copy(), explained.reasons.copy()
    scores.loc[scores.index[0], "context_text_fr"] = pd.NA
    scores.loc[scores.index[1], "risk_without_context"] = np.inf
    reasons.loc[reasons.index[0], "text_en"] = pd.NA
    reasons.loc[reasons.index[1], "points"] = np.nan
    reasons.loc[reasons.index[2], "share"] = -np.inf
    changed = Explanations(scores, reasons, explained.language)
    records = changed.to_records()
    by_row = {record["row"]: record for record in records}
    for score in scores.astype(object).to_dict(orient="records"):
        record = by_row[score["row"]]
        assert {key: record[key] for key in score} == {k: jsonable(v) for k, v in score.items()}
    lists = {"why": "reasons", "protective": "protective", "context": "context"}
    keys = list(next(reason for record in records for reason in record["reasons"]))
    for (row, kind), group in reasons.groupby(["row", "kind"], sort=False):
        expected = [
            {key: jsonable(value) for key, value in reason.items()}
            for reason in group.loc[:, keys].astype(object).to_dict(orient="records")
        ]
        assert by_row[row][lists[str(kind)]] == expected
    assert records[0]["context_text_fr"] is None
    assert by_row[scores["row"].iloc[1]]["risk_without_context"] is None
    assert json.dumps(records, allow_nan=False)


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
    with mlflow_uris_kept():
        setup_tracking(tmp_path)
        with pytest.raises(RuntimeError, match="active MLflow run"):
            log_global_explanations(model, week)
        # Its own experiment: the default one keeps artifacts in the working directory.
        experiment = ensure_experiment("tests", tmp_path)
        with mlflow.start_run(experiment_id=experiment) as run:
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


# --- reasons a CPE can act on -----------------------------------------------------------------

_ABSENTEE = {
    "unjustified_absences_2w": 10.0, "unjustified_absences_4w": 22.0,
    "unjustified_absences_8w": 40.0, "unjustified_absences_ytd": 60.0,
    "unjustified_absence_rate_2w": 0.55, "unjustified_absence_rate_4w": 0.6,
    "unjustified_absence_rate_8w": 0.55, "unjustified_absence_rate_ytd": 0.45,
    "unjustified_absence_trend_4w": 12.0, "absenteeism_months_ytd": 4.0,
}  # fmt: skip


def test_an_absentee_gets_an_absence_reason_first(model: RiskModel, years: Years) -> None:
    # In December, the student of the middle risk, made to miss half of her class half-days.
    held_out = years.held_out
    week = held_out[held_out["as_of"] == pd.Timestamp("2025-12-01")].reset_index(drop=True)
    middle = int(np.argsort(model.predict_risk(week), kind="stable")[len(week) // 2])
    absentee = week.iloc[[middle]].assign(student_id="ABSENTEE", **_ABSENTEE)
    rows = pd.concat([week, absentee], ignore_index=True)
    explained = model.explain(rows, rows=[len(week)])
    why = explained.why()
    assert len(why) >= 1
    assert why["family"].iloc[0] == "attendance"
    assert why["feature"].iloc[0] in _ABSENTEE
    assert why["points"].iloc[0] > 0


def test_no_reason_nor_protective_factor_is_context(explained: Explanations) -> None:
    chosen = explained.reasons[explained.reasons["kind"] != "context"]
    assert (chosen["signal"] == "own").all()
    assert not set(chosen["feature"]) & set(context_features())
    context = explained.context()
    assert (context.groupby("row").size() == len(context_features())).all()
    assert set(context["feature"]) == set(context_features())


def test_no_reason_contradicts_its_comparison(explained: Explanations) -> None:
    reasons = explained.reasons
    for kind in ("why", "protective"):
        part = reasons[(reasons["kind"] == kind) & reasons["feature"].isin(list(DIRECTIONS))]
        for name, rows in part.groupby("feature"):
            value = rows["value"].astype(float).to_numpy()
            known = ~np.isnan(value)
            point = rows["reference"].fillna(0.0).to_numpy()
            if rows["reference_scope"].isna().any():  # only self-compared features lack one
                assert name in {"unjustified_absence_trend_4w", "grade_mean_change_period",
                                "grade_mean_change_year", "assessments_8w_vs_class_median",
                                "age_for_level"} or not known.all()  # fmt: skip
            worse = value > point if DIRECTIONS[name].worse == "higher" else value < point
            if kind == "why":
                assert worse[known].all(), name
            else:
                assert known.all() and not worse.any(), name


def test_points_are_the_calibrated_risk_without_the_contribution(
    model: RiskModel, explained: Explanations
) -> None:
    reasons = explained.reasons
    expected = model.calibrator_.predict(reasons["raw_score"] - reasons["contribution"])
    np.testing.assert_array_equal(reasons["risk_without"], expected)
    np.testing.assert_array_equal(reasons["points"], reasons["risk"] - expected)
    assert (explained.why()["points"] > 0).all()
    assert (explained.protective()["points"] < 0).all()
    scores = explained.scores
    context = explained.context().groupby("row")["contribution"].sum()
    removed = context.reindex(scores["row"]).to_numpy()
    without = model.calibrator_.predict(scores["raw_score"] - removed)
    np.testing.assert_allclose(scores["risk_without_context"], without, rtol=0, atol=1e-12)


def test_monotone_constraints_are_passed_to_lightgbm_and_respected(
    model: RiskModel, years: Years, week: pd.DataFrame
) -> None:
    expected = monotone_constraints(model.feature_names)
    assert model.params_["monotone_constraints"] == expected
    assert model.booster_.params["monotone_constraints"] == expected
    sample = week.iloc[:40]
    for name, grid in (("unjustified_absences_4w", np.arange(0.0, 30.0, 1.0)),
                       ("grade_mean_ytd", np.arange(0.0, 20.5, 0.5)),
                       ("failed_exams", np.arange(0.0, 5.0, 1.0))):  # fmt: skip
        sign = 1 if DIRECTIONS[name].worse == "higher" else -1
        assert expected[model.feature_names.index(name)] == sign
        raw = np.column_stack([model.raw_score(sample.assign(**{name: value})) for value in grid])
        assert (np.diff(sign * raw, axis=1) >= 0).all(), name
    free = RiskModel(lightgbm_params={"monotone": False}, num_boost_round=5, seed=5).fit(
        years.train, years.train["label_dropped_out"], groups=years.train["student_id"]
    )
    assert "monotone_constraints" not in free.params_
    with pytest.raises(ValueError, match="monotone"):
        RiskModel(lightgbm_params={"monotone": "yes"}, num_boost_round=5).fit(
            years.train, years.train["label_dropped_out"], groups=years.train["student_id"]
        )
