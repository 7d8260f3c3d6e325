"""A small synthetic world for the dashboard tests, made through the project's own code:
a synthetic extraction, features for two weeks with the one feature builder, a small risk
model fitted and registered in a local MLflow store (champion and challenger) with the
comparison, predictions and fairness artifacts a training run logs, two weeks of lists
written by the weekly store writer from the model's explanations, and one user of each role
with a dashboard password.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PASSWORD = "correct-horse-battery"
MODEL_NAME = "vigie-dropout"
USERNAMES = {
    "watch_unit": "cpe.home",
    "other_watch_unit": "cpe.other",
    "inspector": "inspector",
    "data_scientist": "data.scientist",
    "admin": "admin",
    "big_watch_unit": "cpe.big",
    "mlds": "mlds.bassin",
}
# An establishment of 2,000 students (the performance case), written straight to the
# store: its page's cost is the list, not the extraction.
BIG_UAI = "0359999X"
BIG_STUDENTS = 2000


@dataclass(frozen=True)
class DashboardWorld:
    root: Path
    database_url: str
    extraction: Path
    features_dir: Path
    drift_reference: Path  # a feature file; the dashboard's default is the champion's sample
    tracking_uri: str
    home_uai: str
    other_uai: str
    home_students: tuple[str, ...]  # on the home establishment's latest list, by rank
    other_students: tuple[str, ...]
    weeks: tuple[dt.date, dt.date]
    names: dict[str, tuple[str, str]]  # student_id -> (last, first) of listed students
    # The other establishment's student whose interview was held in the first week: in
    # follow-up on the latest list, the slot given to the next student.
    followed: str = ""

    def environment(self) -> dict[str, str]:
        """The settings the dashboard reads (app_dashboard.settings)."""
        return {
            "VIGIE_HOME": str(self.root / "home"),
            "VIGIE_DATABASE_URL": self.database_url,
            "VIGIE_FEATURES_DIR": str(self.features_dir),
            "VIGIE_MODEL_NAME": MODEL_NAME,
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }


def _labels(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """A learnable synthetic label: unjustified absences and low grades raise the odds."""
    rng = np.random.default_rng(seed)
    absences = frame["unjustified_absences_ytd"].fillna(0).to_numpy()
    grades = frame["grade_mean_ytd"].fillna(12).to_numpy()
    logit = -4 + 0.25 * absences + 0.3 * (10 - grades)
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)


def _register(model, frame: pd.DataFrame, tracking_uri: str, weeks, uais) -> None:
    """Two registered versions (champion, challenger), each with the artifacts a training
    run logs: comparison table, test predictions, fairness audit."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from models.pyfunc import log_risk_model
    from training.drift_reference import log_drift_reference

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    artifacts = Path(tracking_uri.removeprefix("sqlite:///")).parent / "artifacts"
    # No mlflow.set_experiment: it would stay active in this process and break the runs other
    # test modules open in their own experiments.
    experiment_id = client.create_experiment("dashboard-tests", artifacts.as_uri())
    rng = np.random.default_rng(5)
    test_weeks = pd.date_range("2025-09-08", periods=6, freq="7D")
    for alias, precision in (("champion", 0.30), ("challenger", 0.35)):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params({"data_dir": "synthetic", "cv": "temporal", "cadence": "monthly"})
            mlflow.log_metrics(
                {
                    "lightgbm.precision_at_k": precision,
                    "lightgbm.precision_at_k_low": 0.2,
                    "lightgbm.precision_at_k_high": 0.4,
                    "lightgbm.recall_at_k": 0.2,
                    "lightgbm.roc_auc": 0.85,
                    "lightgbm.pr_auc": 0.3,
                    "lightgbm.brier": 0.041,
                    "lightgbm.ece": 0.012,
                    "fairness.judged_groups": 6,
                    "fairness.too_small_groups": 2,
                }
            )
            comparison = {
                "models": {
                    "lightgbm": {"precision@k": precision, "recall@k": 0.2, "roc_auc": 0.85},
                    "rule_absenteeism": {"precision@k": 0.1, "recall@k": 0.05, "roc_auc": 0.6},
                }
            }
            mlflow.log_dict(comparison, "comparison/comparison.json")
            rows = [
                {
                    "student_id": f"T{uai}{i}",
                    "as_of": week,
                    "uai": uai,
                    "capacity": 2,
                    "label": bool(rng.random() < 0.2),
                    "lightgbm": float(rng.random()),
                }
                for week in test_weeks
                for uai in uais
                for i in range(10)
            ]
            predictions = Path(mlflow.get_artifact_uri().removeprefix("file://"))
            predictions = predictions / "predictions"
            predictions.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_parquet(predictions / "test_predictions.parquet")
            mlflow.log_dict(_fairness_report(), "fairness/fairness.json")
            log_drift_reference(frame)
            info = log_risk_model(model, frame)
        version = mlflow.register_model(info.model_uri, MODEL_NAME)
        client.set_registered_model_alias(MODEL_NAME, alias, version.version)
        assert run.info.run_id


def _fairness_report() -> dict:
    """A fairness audit with the keys `training.fairness.report.audit_to_dict` writes."""
    disparities = []
    for group, ratio, status in (("F", 1.0, "reference"), ("M", 0.7, "out_of_band")):
        disparities.append(
            {
                "grouping": "sex",
                "group": group,
                "metric": "recall",
                "reference": "F",
                "ratio": ratio,
                "ratio_low": ratio - 0.1,
                "ratio_high": ratio + 0.1,
                "status": status,
                "ci_outside_band": False,
                "judged": True,
            }
        )
    disparities.append(
        {
            "grouping": "priority_zone",
            "group": "rep_plus",
            "metric": "recall",
            "reference": "none",
            "ratio": None,
            "ratio_low": None,
            "ratio_high": None,
            "status": "too_small",
            "ci_outside_band": False,
            "judged": False,
        }
    )
    return {
        "report_version": 1,
        "config": {"band": [0.8, 1.25]},
        "gate": {
            "passed": False,
            "band": [0.8, 1.25],
            "judged_groups": 2,
            "out_of_band": [
                {
                    "grouping": "sex",
                    "group": "M",
                    "reference": "F",
                    "ratio": 0.7,
                    "ratio_low": 0.6,
                    "ratio_high": 0.8,
                }
            ],
        },
        "group_metrics": [
            {
                "grouping": "sex",
                "group": "F",
                "students": 500,
                "judged": True,
                "recall": 0.4,
                "recall_low": 0.3,
                "recall_high": 0.5,
            },
            {
                "grouping": "sex",
                "group": "M",
                "students": 480,
                "judged": True,
                "recall": 0.28,
                "recall_low": 0.2,
                "recall_high": 0.36,
            },
            {
                "grouping": "priority_zone",
                "group": "rep_plus",
                "students": 12,
                "judged": False,
                "recall": None,
                "recall_low": None,
                "recall_high": None,
            },
        ],
        "disparities": disparities,
        "widest_differences": [
            {"grouping": "sex", "feature": "lates_ytd", "family": "attendance", "spread": 0.05}
        ],
        "proxies": [{"target": "scholarship_holder", "auc": 0.58, "found": False}],
        "reason_families": [{"grouping": "sex", "group": "F", "attendance": 0.6, "grades": 0.4}],
    }


def _big_establishment(threshold: float, week: dt.date):
    """2,000 scored students, about 5 % of them over the watch threshold."""
    from serving.weekly import EstablishmentWeek, Reason, RosterStudent, ScoredStudent

    reasons = (
        Reason("unjustified_absences_8w", 9, 1, 0.5, "9 demi-journées d'absence non "
               "justifiées sur les 8 dernières semaines", "9 unjustified half-days absent in "
               "the last 8 weeks"),
        Reason("grade_mean_current_period", 7.5, 11.0, 0.3, "Moyenne de la période : 7,5/20",
               "Current period average: 7.5/20"),
        Reason("lates_4w", 4, 0, 0.2, "4 retards en 4 semaines", "4 lates in 4 weeks"),
    )  # fmt: skip
    shift = 0.01 if week.day % 2 else 0.0  # the two weeks differ a little
    scored = tuple(
        ScoredStudent(
            f"B{i:05d}",
            min(1.0, threshold * (0.2 + 0.85 * i / BIG_STUDENTS) + shift),
            reasons,
            {"level": f"{3 + i % 4}e", "class_id": f"{3 + i % 4}e{'ABCD'[i % 4]}"},
        )
        for i in range(BIG_STUDENTS)
    )
    roster = tuple(RosterStudent(f"B{i:05d}", f"Nom{i}", "Camille") for i in range(BIG_STUDENTS))
    return EstablishmentWeek(BIG_UAI, "Collège du Grand Large", 5, scored, roster)


def _week_snapshot(frame: pd.DataFrame, week: dt.date):
    """The week's feature set as the weekly run records it (`serving.lineage`): the
    extraction's students, and for the big establishment (written straight to the store)
    feature rows borrowed from them under its students' ids."""
    from features.feature_set import FeatureSet

    part = frame[frame["as_of"] == pd.Timestamp(week)].reset_index(drop=True)
    borrowed = part.sample(BIG_STUDENTS, replace=True, random_state=3).reset_index(drop=True)
    borrowed["student_id"] = [f"B{i:05d}" for i in range(BIG_STUDENTS)]
    borrowed["uai"] = BIG_UAI
    return FeatureSet.from_frame(pd.concat([part, borrowed], ignore_index=True))


def build_world(root: Path) -> DashboardWorld:
    from features.pipeline import build_valid_features
    from features.synth import synthesize
    from models.queue import DEFAULT_FOLLOW_UP
    from models.risk_model import RiskModel
    from serving.db import open_store
    from serving.lineage import stage_week
    from serving.list_payload import CONTEXT_KEY, context_summary
    from serving.services import (
        Actor,
        NewInterview,
        NewUser,
        add_user,
        get_week_list,
        record_interview,
    )
    from serving.weekly import (
        EstablishmentWeek,
        Reason,
        RosterStudent,
        ScoredStudent,
        replace_week_lists,
    )

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    (root / "home").mkdir()
    extraction = root / "extraction"
    synthesize(extraction, establishments=3, students=600, years=2, seed=11, file_format="parquet")
    current = dt.date(2026, 11, 30)
    weeks = (current - dt.timedelta(weeks=1), current)
    reference_week = dt.date(2025, 11, 24)
    frame = build_valid_features(extraction, [reference_week, *weeks]).frame
    features_dir = root / "features"
    features_dir.mkdir()
    for day in (reference_week, *weeks):
        part = frame[frame["as_of"] == pd.Timestamp(day)].reset_index(drop=True)
        part.to_parquet(features_dir / f"world-{day.isoformat()}.parquet")
    drift_reference = features_dir / f"world-{reference_week.isoformat()}.parquet"

    train = frame[frame["as_of"] == pd.Timestamp(reference_week)].reset_index(drop=True)
    model = RiskModel(num_boost_round=30, lightgbm_params={"min_data_in_leaf": 10})
    model.fit(train, _labels(train, 1), groups=train["student_id"])

    students = pd.read_parquet(extraction / "students.parquet")
    names = {}
    if {"last_name", "first_name"} <= set(students.columns):
        names = {
            row.student_id: (str(row.last_name), str(row.first_name))
            for row in students.itertuples()
        }
    establishments = pd.read_parquet(extraction / "establishments.parquet")
    uais = sorted(frame["uai"].unique())
    home_uai, other_uai = uais[0], uais[1]

    tracking_uri = f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"
    (root / "mlflow").mkdir()
    _register(model, train, tracking_uri, weeks, uais)

    database_url = f"sqlite:///{root / 'store.sqlite3'}"
    store = open_store(database_url)
    listed: dict[str, list[str]] = {}
    first_invited: dict[str, float] = {}
    followed = ""
    for week in weeks:
        part = frame[frame["as_of"] == pd.Timestamp(week)].reset_index(drop=True)
        risks = model.predict_risk(part)
        threshold = float(np.quantile(risks, 0.96))
        # Explain only the students who can be listed (the ten highest risks per school).
        ranked = part.assign(risk=risks).sort_values("risk", ascending=False)
        chosen = ranked.groupby("uai").head(10).index.to_numpy()
        # As the weekly scoring stores them: each reason with its weight, and the context's
        # weight kept with the student (`serving.list_payload`).
        records = model.explain(part, top=3, rows=chosen).to_records()
        reasons = {
            record["student_id"]: tuple(Reason.from_record(r) for r in record["reasons"])
            for record in records
        }
        contexts = {record["student_id"]: context_summary(record) for record in records}
        part = part.loc[chosen].reset_index(drop=True).assign(risk=risks[chosen])
        if first_invited:  # the second week: an interview held in the first, for a student
            # the risk of whom did not rise by the margin since (so still in follow-up)
            now = dict(zip(part["student_id"], part["risk"], strict=True))
            followed = next(
                sid
                for sid, then in first_invited.items()
                if sid in now and now[sid] - then < DEFAULT_FOLLOW_UP.risk_margin
            )
            record_interview(
                store,
                Actor("setup.other", "watch_unit", frozenset({other_uai})),
                NewInterview(
                    student_id=followed,
                    status="held",
                    interview_date=weeks[0] + dt.timedelta(days=1),
                    solution="tutoring",
                ),
            )
        inputs = []
        for uai in uais:
            rows = part[part["uai"] == uai]
            scored = tuple(
                ScoredStudent(
                    sid,
                    float(risk),
                    reasons.get(sid, ())[:3],
                    {"level": level, "class_id": class_id}
                    | ({CONTEXT_KEY: contexts[sid]} if contexts.get(sid) else {}),
                )
                for sid, risk, level, class_id in zip(
                    rows["student_id"],
                    rows["risk"],
                    rows["level"].astype(str),
                    rows["class_id"],
                    strict=True,
                )
            )
            roster = tuple(
                RosterStudent(sid, *names.get(sid, (f"Nom{sid[-4:]}", f"Prénom{sid[-4:]}")))
                for sid in rows["student_id"]
            )
            name = establishments.loc[establishments["uai"] == uai, "name"].iloc[0]
            inputs.append(EstablishmentWeek(uai, str(name), 4, scored, roster))
        inputs.append(_big_establishment(threshold, week))
        replace_week_lists(
            store,
            as_of=week,
            model_version=f"{MODEL_NAME}/1",
            establishments=inputs,
            watch_threshold=threshold,
            lineage=stage_week(
                root / "home", week, _week_snapshot(frame, week), extraction, model,
                f"{MODEL_NAME}/1",
            ),
        )  # fmt: skip
        if not first_invited:
            view = get_week_list(store, Actor("reader", "inspector"), other_uai, week)
            first_invited = {e.student_id: e.risk for e in view.entries if e.tier == "invite"}

    operator = Actor.operator("tests")
    for role, username in USERNAMES.items():
        scope = {"watch_unit": (home_uai,), "other_watch_unit": (other_uai,),
                 "big_watch_unit": (BIG_UAI,),
                 "mlds": (home_uai, other_uai)}.get(role, ())  # fmt: skip
        real_role = "watch_unit" if "watch_unit" in role else role
        add_user(store, operator, NewUser(username, real_role, scope, password=PASSWORD))
    for uai in (home_uai, other_uai):
        reader = Actor("reader", "inspector")
        view = get_week_list(store, reader, uai, weeks[1])
        listed[uai] = [entry.student_id for entry in view.entries]
    store.dispose()
    names_of_listed = {
        sid: names.get(sid, (f"Nom{sid[-4:]}", f"Prénom{sid[-4:]}"))
        for uai in (home_uai, other_uai)
        for sid in listed[uai]
    }
    return DashboardWorld(
        root=root,
        database_url=database_url,
        extraction=extraction,
        features_dir=features_dir,
        drift_reference=drift_reference,
        tracking_uri=tracking_uri,
        home_uai=home_uai,
        other_uai=other_uai,
        home_students=tuple(listed[home_uai]),
        other_students=tuple(listed[other_uai]),
        weeks=weeks,
        names=names_of_listed,
        followed=followed,
    )


def write_world_json(world: DashboardWorld, path: Path) -> None:
    """The world's facts for a process that did not build it (the browser test's server)."""
    payload = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in world.__dict__.items()
    }
    path.write_text(json.dumps(payload, default=str), encoding="utf-8")
