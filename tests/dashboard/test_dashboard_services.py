"""The dashboard's own services: scope, events, waterfall, drift, models; each enforces the
roles and audits, and their pure parts give hand-computed results."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from models.contributions import BASE_VALUE
from serving.db.models import AuditEntry
from serving.services import AccessDenied, Actor, NotAuthenticated, NotFound
from serving.services.dashboard_auth import actor_from_identity
from serving.services.dashboard_drift import (
    feature_drift,
    get_champion_drift,
    get_feature_drift,
    population_stability_index,
    same_time_of_year,
)
from serving.services.dashboard_explain import get_student_waterfall, waterfall_frame
from serving.services.dashboard_history import (
    absences_per_week,
    get_levels_and_classes,
    get_student_events,
    grades_per_period,
)
from serving.services.dashboard_models import (
    get_fairness_report,
    list_model_versions,
    precision_at_k_by_week,
    weekly_precision_at_k,
)
from serving.services.dashboard_scope import visible_establishments
from tests.dashboard.conftest import sign_in
from tests.dashboard.world import MODEL_NAME


def last_audit(store) -> AuditEntry:
    with store.reading() as session:
        return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def test_absences_per_week_counts_each_kind_and_fills_empty_weeks() -> None:
    attendance = pd.DataFrame({
        "date": [dt.date(2026, 9, 1), dt.date(2026, 9, 1), dt.date(2026, 9, 3),
                 dt.date(2026, 9, 15)],
        "kind": ["absence", "absence", "late", "absence"],
        "justified": [True, False, False, None],
    })  # fmt: skip
    weeks = absences_per_week(attendance, dt.date(2026, 9, 1), dt.date(2026, 9, 20))
    assert list(weeks["week"]) == [dt.date(2026, 8, 31), dt.date(2026, 9, 7), dt.date(2026, 9, 14)]
    assert list(weeks["justified"]) == [1, 0, 0]
    assert list(weeks["unjustified"]) == [1, 0, 1]  # an empty `justified` counts as not
    assert list(weeks["lates"]) == [1, 0, 0]


def test_grades_per_period_weights_by_coefficient_on_20() -> None:
    grades = pd.DataFrame({
        "period": [1, 1, 1, 2], "subject": ["maths", "maths", "maths", "maths"],
        "value": [10.0, 5.0, 3.0, 8.0], "out_of": [20.0, 10.0, 0.0, 20.0],
        "coefficient": [1.0, 3.0, 1.0, 1.0],
    })  # fmt: skip
    table = grades_per_period(grades)
    # Period 1: (10 * 1 + 10 * 3) / 4 = 10.0; the mark out of 0 is unusable.
    assert table.to_dict("records") == [
        {"period": 1, "subject": "maths", "mean": 10.0, "marks": 2},
        {"period": 2, "subject": "maths", "mean": 8.0, "marks": 1},
    ]


def test_psi_is_zero_for_the_same_population_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.normal(0, 1, 5000))
    assert population_stability_index(reference, reference) == pytest.approx(0.0, abs=1e-9)
    same = population_stability_index(reference, pd.Series(rng.normal(0, 1, 5000)))
    shifted = population_stability_index(reference, pd.Series(rng.normal(1, 1, 5000)))
    assert same < 0.02 < 0.25 < shifted


def test_psi_by_hand_on_categories_and_missing_values() -> None:
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    current = pd.Series(["a"] * 25 + ["b"] * 75)
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert population_stability_index(reference, current, categorical=True) == pytest.approx(
        expected
    )
    # Missing values are a bin of their own: a column turning missing drifts.
    numbers = pd.Series(np.arange(100, dtype=float))
    missing = pd.Series([np.nan] * 50 + list(range(50)), dtype=float)
    assert population_stability_index(numbers, missing) > 0.25
    with pytest.raises(ValueError, match="bins"):
        population_stability_index(numbers, numbers, bins=1)


def test_feature_drift_flags_the_shifted_feature_first() -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({
        "lates_4w": rng.poisson(1, 2000).astype(float),
        "grade_mean_ytd": rng.normal(12, 3, 2000),
        "level": pd.Categorical(rng.choice(["6e", "5e"], 2000)),
    })  # fmt: skip
    current = reference.assign(lates_4w=reference["lates_4w"] + 3)
    drift = feature_drift(reference, current, threshold=0.25)
    assert drift.loc[0, "feature"] == "lates_4w" and bool(drift.loc[0, "alert"])
    assert drift.set_index("feature").loc["grade_mean_ytd", "psi"] == pytest.approx(0.0)
    assert set(drift["level"]) <= {"stable", "moderate", "major"}


def test_waterfall_frame_keeps_the_largest_steps_and_adds_up() -> None:
    row = pd.Series({"lates_4w": 0.5, "grade_mean_ytd": -0.2, "repeated_years": 0.05,
                     "failed_exams": 0.01, BASE_VALUE: -3.0})  # fmt: skip
    steps = waterfall_frame(row, pd.Series({"lates_4w": 4.0, "grade_mean_ytd": 11.2}), top=2)
    assert list(steps["feature"]) == ["lates_4w", "grade_mean_ytd", "other"]
    assert steps.loc[2, "contribution"] == pytest.approx(0.06)
    assert steps["end"].iloc[-1] == pytest.approx(-3.0 + 0.36)
    assert steps.loc[0, "start"] == pytest.approx(-3.0)
    assert steps.loc[0, "value"] == 4.0 and steps.loc[0, "label_fr"] != "lates_4w"


def test_weekly_precision_at_k_by_hand() -> None:
    predictions = pd.DataFrame({
        "as_of": pd.to_datetime(["2025-09-08"] * 4 + ["2025-09-15"] * 4),
        "uai": ["A", "A", "B", "B"] * 2, "capacity": [1] * 8,
        "student_id": list("abcd") * 2,
        "label": [True, False, False, True, False, True, True, False],
        "lightgbm": [0.9, 0.1, 0.8, 0.2, 0.9, 0.1, 0.8, 0.2],
    })  # fmt: skip
    weekly = weekly_precision_at_k(predictions)
    assert weekly.to_dict("records") == [
        {"week": dt.date(2025, 9, 8), "listed": 2, "dropouts": 1, "precision_at_k": 0.5},
        {"week": dt.date(2025, 9, 15), "listed": 2, "dropouts": 1, "precision_at_k": 0.5},
    ]


def test_scope_follows_the_role(store, world) -> None:
    home = visible_establishments(store, sign_in(store, "watch_unit"))
    assert [choice.uai for choice in home] == [world.home_uai]
    assert home[0].weeks == [world.weeks[1], world.weeks[0]]
    assert len(visible_establishments(store, sign_in(store, "inspector"))) == 4
    with pytest.raises(AccessDenied):
        visible_establishments(store, sign_in(store, "admin"))
    assert last_audit(store).outcome == "denied"


def test_student_events_and_classes_are_scoped_and_audited(store, world) -> None:
    watch_unit = sign_in(store, "watch_unit")
    student = world.home_students[0]
    events = get_student_events(store, watch_unit, student, world.weeks[1])
    assert events.absences["week"].iloc[0] == dt.date(2026, 8, 31)
    assert events.absences["week"].iloc[-1] == dt.date(2026, 11, 23)
    assert {"period", "subject", "mean", "marks"} <= set(events.grades.columns)
    audit = last_audit(store)
    assert (audit.action, audit.student_id, audit.outcome) == (
        "read_student_events", student, "allowed",
    )  # fmt: skip
    # A student never listed: the latest week's extraction.
    latest = get_student_events(store, watch_unit, student, None)
    pd.testing.assert_frame_equal(latest.absences, events.absences)
    stranger = world.other_students[0]
    with pytest.raises(AccessDenied):
        get_student_events(store, watch_unit, stranger, world.weeks[1])
    assert (last_audit(store).student_id, last_audit(store).outcome) == (stranger, "denied")
    classes = get_levels_and_classes(store, watch_unit, world.home_uai, world.weeks[1])
    assert {"student_id", "level", "class_id"} == set(classes.columns) and len(classes) > 50
    # The week's own students, as its snapshot recorded them.
    snapshot = pd.read_parquet(world.features_dir / f"world-{world.weeks[1].isoformat()}.parquet")
    home = snapshot[snapshot["uai"] == world.home_uai]
    assert sorted(classes["student_id"]) == sorted(home["student_id"])
    with pytest.raises(AccessDenied):
        get_levels_and_classes(store, watch_unit, world.other_uai, world.weeks[1])


def test_waterfall_adds_up_to_the_models_score(store, world) -> None:
    from models.pyfunc import load_risk_model

    model = load_risk_model(f"models:/{MODEL_NAME}@champion")
    versions: list[str] = []

    def load(version: str):
        versions.append(version)
        return model

    features = world.features_dir / f"world-{world.weeks[1].isoformat()}.parquet"
    student = world.home_students[0]
    waterfall = get_student_waterfall(store, sign_in(store, "watch_unit"), student,
                                      world.weeks[1], load)  # fmt: skip
    assert versions == [f"{MODEL_NAME}/1"]  # the model version the week records
    row = pd.read_parquet(features).query("student_id == @student")
    assert waterfall.raw_score == pytest.approx(float(model.raw_score(row)[0]), abs=1e-9)
    assert waterfall.risk == pytest.approx(float(model.predict_risk(row)[0]), abs=1e-9)
    assert waterfall.steps["end"].iloc[-1] == pytest.approx(waterfall.raw_score, abs=1e-9)
    # A student's rows are read through the establishment that listed them only.
    with pytest.raises(AccessDenied):
        get_student_waterfall(store, sign_in(store, "other_watch_unit"), student,
                              world.weeks[1], load)  # fmt: skip
    with pytest.raises(NotFound):  # not on a list that week
        get_student_waterfall(store, sign_in(store, "inspector"), student,
                              dt.date(2026, 9, 7), load)  # fmt: skip


def test_the_waterfall_uses_the_weeks_recorded_rows_whatever_files_came_since(store, world) -> None:
    """A newer feature file of the same week (other values, newer modification time) in the
    feature folder the settings name changes nothing: the page explains the list's rows."""
    import time

    from models.pyfunc import load_risk_model

    model = load_risk_model(f"models:/{MODEL_NAME}@champion")
    student = world.home_students[0]
    actor = sign_in(store, "watch_unit")
    before = get_student_waterfall(store, actor, student, world.weeks[1], lambda _: model)
    classes = get_levels_and_classes(store, actor, world.home_uai, world.weeks[1])
    newer = world.features_dir / f"newer-{world.weeks[1].isoformat()}.parquet"
    original = pd.read_parquet(world.features_dir / f"world-{world.weeks[1].isoformat()}.parquet")
    # The student's row replaced by the calmest student's values, every class renamed.
    calmest = int(np.argmin(model.raw_score(original)))
    changed = original.assign(class_id="Z")
    position = int(np.flatnonzero(changed["student_id"] == student)[0])
    keys = ["student_id", "as_of", "uai", "class_id"]
    values = changed.drop(columns=keys).iloc[[calmest]].to_numpy()
    changed.loc[position, changed.drop(columns=keys).columns] = values[0]
    time.sleep(0.01)
    changed.to_parquet(newer)
    try:
        after = get_student_waterfall(store, actor, student, world.weeks[1], lambda _: model)
        pd.testing.assert_frame_equal(after.steps, before.steps)
        assert after.raw_score == before.raw_score
        pd.testing.assert_frame_equal(
            get_levels_and_classes(store, actor, world.home_uai, world.weeks[1]), classes
        )
    finally:
        newer.unlink()
    # The newer file would have explained another score.
    row = changed.query("student_id == @student")
    assert float(model.raw_score(row)[0]) != pytest.approx(before.raw_score, abs=1e-6)


def test_model_views_are_for_data_scientists_and_inspectors(store, world) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(world.tracking_uri)
    scientist = sign_in(store, "data_scientist")
    versions = list_model_versions(store, scientist, client, MODEL_NAME)
    assert [(v.version, v.aliases) for v in versions] == [("2", ["challenger"]),
                                                          ("1", ["champion"])]  # fmt: skip
    assert versions[1].metrics["precision_at_k"] == pytest.approx(0.30)
    weekly = precision_at_k_by_week(store, scientist, client, MODEL_NAME,
                                    ["champion", "challenger"])  # fmt: skip
    assert weekly.groupby("version")["week"].nunique().tolist() == [6, 6]
    version, report = get_fairness_report(store, sign_in(store, "inspector"), client, MODEL_NAME)
    assert version == "1" and report["gate"]["passed"] is False
    for role in ("watch_unit", "admin"):
        with pytest.raises(AccessDenied):
            list_model_versions(store, sign_in(store, role), client, MODEL_NAME)
    with pytest.raises(AccessDenied):
        precision_at_k_by_week(store, sign_in(store, "inspector"), client, MODEL_NAME,
                               ["champion"])  # fmt: skip
    with pytest.raises(AccessDenied):
        get_feature_drift(store, sign_in(store, "inspector"), world.drift_reference,
                          world.weeks[1])  # fmt: skip


def test_drift_is_measured_against_the_champions_logged_training_rows(store, world) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(world.tracking_uri)
    scientist = sign_in(store, "data_scientist")
    week = world.weeks[1]
    report = get_champion_drift(store, scientist, client, MODEL_NAME, week)
    assert report.model_version == f"{MODEL_NAME}/1" and report.as_of == world.weeks[1]
    # The champion's sample is the reference week's rows: the same as the file itself, and
    # the nearest training date in the school year is that week's.
    from_file = get_feature_drift(store, scientist, world.drift_reference, week)
    assert report.reference_dates == from_file.reference_dates == (dt.date(2025, 11, 24),)
    pd.testing.assert_frame_equal(report.drift, from_file.drift)
    assert report.drift["psi"].max() > 0  # a year later, something moved
    # The latest week by default.
    pd.testing.assert_frame_equal(
        get_champion_drift(store, scientist, client, MODEL_NAME).drift, report.drift
    )
    with pytest.raises(AccessDenied):
        get_champion_drift(store, sign_in(store, "inspector"), client, MODEL_NAME, week)
    with pytest.raises(NotFound):
        get_champion_drift(store, scientist, client, MODEL_NAME, week, version_or_alias="9")


def test_a_week_is_compared_with_the_training_rows_of_the_same_time_of_year() -> None:
    # Monthly training dates over two school years, 600 rows each.
    days = [dt.date(year, month, 1) for year, months in ((2023, (10, 11, 12)), (2024, (1, 2)),
            (2024, (10, 11, 12)), (2025, (1, 2))) for month in months]  # fmt: skip
    reference = pd.DataFrame({"as_of": pd.to_datetime([d for d in days for _ in range(600)]),
                              "lates_4w": np.arange(600 * len(days)) % 7})  # fmt: skip
    rows, chosen = same_time_of_year(reference, dt.date(2026, 11, 30))
    # 30 November is nearest to 1 December (1 day) in each year; 1 November is 29 days away.
    assert chosen == (dt.date(2023, 12, 1), dt.date(2024, 12, 1))
    assert len(rows) == 1200 and set(pd.to_datetime(rows["as_of"]).dt.month) == {12}
    rows, chosen = same_time_of_year(reference, dt.date(2027, 1, 11))  # 10 days from January
    assert chosen == (dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    # Too few rows at that time of year, or no dates at all: the whole reference.
    few = reference.groupby("as_of").head(100)
    kept, chosen = same_time_of_year(few, dt.date(2026, 11, 30))
    assert kept is few and chosen == ()
    undated = reference.drop(columns="as_of")
    assert same_time_of_year(undated, dt.date(2026, 11, 30))[1] == ()


def test_oidc_identity_maps_to_an_active_user_only(store, world) -> None:
    assert actor_from_identity(store, "Inspector").role == "inspector"
    with pytest.raises(NotAuthenticated):
        actor_from_identity(store, "nobody@example.org")
    with pytest.raises(NotAuthenticated):
        actor_from_identity(store, None)
    assert isinstance(actor_from_identity(store, "cpe.home"), Actor)
