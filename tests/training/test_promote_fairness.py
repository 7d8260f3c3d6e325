"""The gates of `vigie promote` (fairness, gain over baselines and champion, identity of what
was tested), and `vigie audit` on a logged run."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from tests.mlflow_uris import mlflow_pointed_at
from training.fairness.logged import FAIRNESS_ARTIFACT, FAIRNESS_REPORT_ARTIFACT
from training.promote import (
    PromotionRefused,
    gain_evidence,
    gain_problems,
    paired_gain,
    promote_version,
)
from training.tracking import (
    COMPARISON_ARTIFACT,
    PREDICTIONS_ARTIFACT,
    data_fingerprint,
    training_run,
)
from vigie.cli import app

NAME = "vigie-dropout"
FAILING_GATE = {
    "gate": {
        "metric": "recall", "band": [0.8, 1.25], "judged_groups": 12, "passed": False,
        "correction": "holm", "tests": 12, "scope": "within_establishment_kind",
        "out_of_band": [{"kind": "college", "grouping": "sex", "group": "F", "reference": "M",
                         "ratio": 0.41, "ratio_low": 0.2, "ratio_high": 0.7, "level": 0.9958,
                         "ci_outside_band": True}],
    }
}  # fmt: skip
PASSING_GATE = {"gate": {"metric": "recall", "band": [0.8, 1.25], "passed": True,
                         "correction": "holm", "tests": 12, "out_of_band": []}}  # fmt: skip
# LightGBM minus each replayed baseline in distinct dropouts reached at least 4 weeks ahead
# (estimate, low, high); the ceiling is logged too but is no baseline.
BEATS = {"logistic": (6.0, 2.0, 10.0), "rule_absenteeism": (8.0, 3.0, 12.0),
         "rule_abc": (4.0, 1.0, 8.0), "level_prior": (9.0, 4.0, 14.0),
         "absences_2w": (7.0, 2.0, 11.0), "absences_4w": (7.0, 3.0, 11.0),
         "hand_weighted": (5.0, 1.0, 9.0), "ceiling_latent": (-6.0, -10.0, -2.0)}  # fmt: skip
GAIN_KEY = "replay.dropouts_reached_ahead_diff"
EXIT = pd.Timestamp("2026-03-30")  # the hand-made dropouts' exit: weeks after the tested ones


def _version(
    trained, mlflow_home: Path, experiment: str, fairness: dict | None,
    gains: dict | None = None, evaluated: str | None = "same", name: str = NAME,
    predictions: pd.DataFrame | None = None, params: dict | None = None,
    plan: dict | None = None,
) -> str:  # fmt: skip
    """A registered version whose run has a comparison table, the given audit (or none), the
    paired gains over its baselines (`BEATS` by default), the identity of the model it
    evaluated (`same`: the registered one) and optional test predictions."""
    from models.pyfunc import log_risk_model

    model = trained.result.final_model
    with training_run(experiment, home=mlflow_home):
        info = log_risk_model(model, trained.result.final_fold.train)
        if fairness is not None:
            mlflow.log_dict(fairness, FAIRNESS_ARTIFACT)
        for baseline, (estimate, low, high) in (BEATS if gains is None else gains).items():
            key = f"lift_vs_{baseline}.{GAIN_KEY}"
            mlflow.log_metrics({key: estimate, f"{key}_low": low, f"{key}_high": high})
        if evaluated is not None:
            mlflow.set_tag("vigie.evaluated_model_hash",
                           model.model_hash_ if evaluated == "same" else evaluated)  # fmt: skip
            mlflow.set_tag("vigie.evaluated_split", "test-2025-2026")
        mlflow.log_params({"seed": 3, "n_boot": 200, **(params or {})})
        if plan is not None:
            mlflow.log_dict(plan, "splits/plan.json")
        if predictions is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "test_predictions.parquet"
                predictions.to_parquet(path, index=False)
                mlflow.log_artifact(str(path), PREDICTIONS_ARTIFACT.rpartition("/")[0])
        mlflow.log_text("{}", COMPARISON_ARTIFACT)
    return str(mlflow.register_model(info.model_uri, name).version)


def _scored(weeks: tuple[str, ...], seed: int = 0, schools: int = 8) -> pd.DataFrame:
    """Hand-made test predictions: `schools` establishments, capacity 2, 20 students a week,
    of whom the first 3 leave on `EXIT`."""
    rng = np.random.default_rng(seed)
    rows = []
    for school in range(schools):
        for week in weeks:
            for student in range(20):
                label = student < 3
                rows.append({"student_id": f"s{school}-{student}", "as_of": pd.Timestamp(week),
                             "uai": f"00000{school:02d}A", "school_year": "2025-2026",
                             "capacity": 2, "label": label, "split": "test-2025-2026",
                             "exit_date": EXIT if label else pd.NaT,
                             "lightgbm": float(rng.uniform(0.5, 1) if label else rng.uniform(0, 0.6))})  # fmt: skip  # noqa: E501
    return pd.DataFrame(rows)


def test_training_logs_the_audit_and_its_gate(trained) -> None:
    client = MlflowClient()
    run = client.get_run(trained.run_id)
    assert run.data.tags["vigie.fairness_gate"] in ("passed", "failed")
    assert "fairness.judged_groups" in run.data.metrics
    listed = {item.path for item in client.list_artifacts(trained.run_id, "fairness")}
    assert {FAIRNESS_ARTIFACT, FAIRNESS_REPORT_ARTIFACT} <= listed
    assert trained.fairness is not None
    assert trained.fairness.context["run_id"] == trained.run_id


def test_an_unfair_version_is_refused_unless_justified(trained, mlflow_home: Path) -> None:
    client = MlflowClient()
    version = _version(trained, mlflow_home, "gate-failing", FAILING_GATE)
    with pytest.raises(PromotionRefused) as refused:
        promote_version(client, NAME, version, "inspecteur")
    assert refused.value.overridable
    assert "sex = F" in str(refused.value) and "--override" in str(refused.value)
    assert "champion" not in client.get_model_version(NAME, version).aliases
    why = "Effet de capacité connu, plan d'action signé"
    promotion = promote_version(client, NAME, version, "inspecteur", override=why)
    tags = client.get_model_version(NAME, version).tags
    assert tags["vigie.fairness_override"] == "Effet de capacité connu, plan d'action signé"
    assert tags["vigie.fairness_override_by"] == "inspecteur"
    assert tags["vigie.fairness_override_at"] == tags["vigie.promoted_at"]
    assert tags["vigie.fairness_gate"] == "overridden"
    assert promotion.overridden and "sex = F" in promotion.overridden[0]


def test_a_version_without_audit_is_refused(trained, mlflow_home: Path) -> None:
    version = _version(trained, mlflow_home, "gate-missing", None)
    with pytest.raises(PromotionRefused, match="no fairness audit"):
        promote_version(MlflowClient(), NAME, version, "someone")
    with pytest.raises(PromotionRefused, match="no fairness audit"):
        promote_version(MlflowClient(), NAME, version, "someone", override="   ")


def test_promote_command_override(trained, mlflow_home: Path) -> None:
    version = _version(trained, mlflow_home, "gate-cli", FAILING_GATE)
    runner = CliRunner()
    refused = runner.invoke(app, ["promote", "--version", version])
    assert refused.exit_code == 1 and "--override" in refused.output
    promoted = runner.invoke(app, ["promote", "--version", version, "--override", "Vu et accepté"])
    assert promoted.exit_code == 0, promoted.output
    assert "overridden" in promoted.output


def test_a_logged_run_audited_again_gives_the_same_audit(trained) -> None:
    """Rebuilding the rows from the extraction gives what the training audited in memory."""
    from training.fairness.logged import audit_logged_run

    again = audit_logged_run(MlflowClient(), trained.run_id, trained.fairness.config)
    pd.testing.assert_frame_equal(again.metrics, trained.fairness.metrics)
    pd.testing.assert_frame_equal(again.disparities, trained.fairness.disparities)
    pd.testing.assert_frame_equal(again.mean_contributions, trained.fairness.mean_contributions)
    # Proxy AUCs may move in the third decimal: the feature builder sums marks in an order
    # that depends on the set of as-of dates built together (the training built more dates),
    # and the proxy classifiers' split thresholds can see that last-bit difference.
    pd.testing.assert_frame_equal(
        again.proxies.drop(columns=["auc", "carried_by"]),
        trained.fairness.proxies.drop(columns=["auc", "carried_by"]),
    )
    np.testing.assert_allclose(again.proxies["auc"], trained.fairness.proxies["auc"], atol=0.01)


def test_audit_command_rebuilds_the_run_and_refuses_a_changed_extraction(
    trained, tiny_academie: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["audit", "--run", trained.run_id, "--lang", "en",
                                 "--out", str(out), "--min-group-size", "50",
                                 "--n-boot", "50", "--no-log"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Inspector's sign-off" in out.read_text(encoding="utf-8").replace("&#x27;", "'")
    logged = json.loads(
        Path(
            MlflowClient().download_artifacts(trained.run_id, FAIRNESS_ARTIFACT, str(tmp_path))
        ).read_text(encoding="utf-8")
    )
    assert logged["context"]["tested_rows"] == trained.fairness.context["tested_rows"]
    moved = tmp_path / "copy"
    moved.mkdir()
    for path in tiny_academie.iterdir():
        if path.is_file():  # the tables (not the synthetic side folder _synth/)
            (moved / path.name).write_bytes(path.read_bytes())
    (moved / "outcomes.parquet").write_bytes(b"changed")
    assert data_fingerprint(moved)["sha256"] != data_fingerprint(tiny_academie)["sha256"]
    stale = runner.invoke(app, ["audit", "--run", trained.run_id, "--data", str(moved), "--no-log"])
    assert stale.exit_code == 1 and "changed since the run" in " ".join(stale.output.split())
    bad = runner.invoke(app, ["audit", "--run", trained.run_id, "--reference-group", "sex"])
    assert bad.exit_code != 0


def _evidence(gains: dict) -> list:
    metrics = {}
    for baseline, (estimate, low, high) in gains.items():
        key = f"lift_vs_{baseline}.{GAIN_KEY}"
        metrics |= {key: estimate, f"{key}_low": low, f"{key}_high": high}
    # Other replay metrics and the student-week lift are logged too, and not read.
    metrics |= {"lift_vs_logistic.replay.dropouts_reached_diff": -5.0,
                "lift_vs_logistic.precision_at_k_lift": -0.2,
                "lightgbm.replay.dropouts_reached_ahead": 30.0}  # fmt: skip
    return gain_evidence(SimpleNamespace(data=SimpleNamespace(metrics=metrics)))


def test_gain_evidence_is_over_the_best_replayed_baseline_never_the_ceiling() -> None:
    gains = _evidence(BEATS)
    assert [gain.against for gain in gains] == ["the best baseline (rule_abc)"]
    assert (gains[0].estimate, gains[0].low, gains[0].high) == (4.0, 1.0, 8.0)
    assert gains[0].metric == GAIN_KEY and gains[0].convincing()
    # Equal estimates: the lower bound decides which baseline is the best.
    tied = _evidence({**BEATS, "hand_weighted": (4.0, -1.0, 9.0)})
    assert tied[0].against == "the best baseline (hand_weighted)" and not tied[0].convincing()
    # A simple baseline (recent absences) that reaches as many dropouts ahead: refused.
    level = _evidence({**BEATS, "absences_2w": (0.0, -3.0, 3.0)})
    assert level[0].against == "the best baseline (absences_2w)" and not level[0].convincing()
    assert "+0 [-3, +3]" in level[0].describe()
    # The ceiling alone is no evidence; neither is a run without the replay.
    assert _evidence({"ceiling_latent": (-6.0, -10.0, -2.0)}) == []
    assert gain_evidence(SimpleNamespace(data=SimpleNamespace(metrics={}))) == []


def test_paired_gain_counts_distinct_dropouts_reached_ahead_in_the_replay() -> None:
    scored = _scored(("2026-01-05", "2026-01-12"))
    perfect = scored["label"].astype(float)  # the dropouts first in every list
    worst = 1 - perfect
    frame = scored.assign(ours=perfect, theirs=worst, same=perfect)
    # Perfect: 2 dropouts a school the first week, the third the next (the first two are in
    # follow-up): 8 schools x 3 = 24 reached 11 weeks ahead; the reverse order reaches none.
    assert paired_gain(frame, "ours", "theirs") == (24.0, 24.0, 24.0)
    assert paired_gain(frame, "theirs", "ours") == (-24.0, -24.0, -24.0)
    assert paired_gain(frame, "ours", "same") == (0.0, 0.0, 0.0)
    # Reached, but less than 4 weeks before leaving, is not reached ahead: no gain.
    soon = frame.assign(exit_date=frame["exit_date"].where(~frame["label"],
                                                           pd.Timestamp("2026-01-20")))  # fmt: skip
    assert paired_gain(soon, "ours", "theirs") == (0.0, 0.0, 0.0)
    assert paired_gain(soon, "ours", "theirs", ahead_weeks=1) == (24.0, 24.0, 24.0)
    # A dropout invited twice counts once: a third week adds nothing to the perfect ranking.
    longer = _scored(("2026-01-05", "2026-01-12", "2026-01-19"))
    longer = longer.assign(ours=longer["label"].astype(float),
                           theirs=1 - longer["label"].astype(float))  # fmt: skip
    assert paired_gain(longer, "ours", "theirs")[0] == 24.0
    estimate, low, high = paired_gain(frame, "lightgbm", "theirs", n_boot=100, seed=1)
    assert low <= estimate <= high and estimate > 0


def test_a_version_that_does_not_beat_a_baseline_is_refused_unless_justified(
    trained, mlflow_home: Path
) -> None:
    client = MlflowClient()
    gains = {**BEATS, "hand_weighted": (2.0, -1.0, 5.0)}
    version = _version(trained, mlflow_home, "gain-failing", PASSING_GATE, gains, name="gain-m")
    with pytest.raises(PromotionRefused) as refused:
        promote_version(client, "gain-m", version, "inspecteur")
    assert refused.value.overridable
    message = str(refused.value)
    assert "does not beat the best baseline (hand_weighted)" in message
    assert "replay.dropouts_reached_ahead_diff gain +2 [-1, +5]" in message
    why = "Gain non significatif sur une petite académie ; suivi mensuel décidé"
    promotion = promote_version(client, "gain-m", version, "inspecteur", override=why)
    tags = client.get_model_version("gain-m", version).tags
    assert tags["vigie.gain_gate"] == "overridden" and tags["vigie.fairness_gate"] == "passed"
    assert tags["vigie.gain_override"] == why and tags["vigie.gain_override_by"] == "inspecteur"
    assert tags["vigie.gain_override_at"] == tags["vigie.promoted_at"]
    assert "hand_weighted" in tags["vigie.gain_overridden_problems"]
    assert "vigie.fairness_override" not in tags
    assert promotion.overridden and "hand_weighted" in promotion.overridden[0]


def test_what_is_promoted_must_be_what_was_tested(trained, mlflow_home: Path) -> None:
    client = MlflowClient()
    refit = _version(trained, mlflow_home, "identity", PASSING_GATE, evaluated="0" * 64,
                     name="identity-m")  # fmt: skip
    for override in (None, "Je prends la responsabilité"):
        with pytest.raises(PromotionRefused) as refused:
            promote_version(client, "identity-m", refit, "someone", override=override)
        assert not refused.value.overridable
        assert "what is promoted must be what was tested" in str(refused.value)
    unknown = _version(trained, mlflow_home, "identity", PASSING_GATE, evaluated=None,
                       name="identity-m")  # fmt: skip
    with pytest.raises(PromotionRefused, match="records no evaluated model"):
        promote_version(client, "identity-m", unknown, "someone", override="oui")
    tested = _version(trained, mlflow_home, "identity", PASSING_GATE, name="identity-m")
    promotion = promote_version(client, "identity-m", tested, "someone")
    assert promotion.overridden == []
    assert client.get_model_version("identity-m", tested).tags["vigie.gain_gate"] == "passed"


def test_the_champion_must_be_beaten_on_the_same_weeks(trained, mlflow_home: Path) -> None:
    client = MlflowClient()
    weeks = ("2026-01-05", "2026-01-12", "2026-01-19")
    scored = _scored(weeks)
    champion = scored.assign(lightgbm=np.random.default_rng(7).uniform(size=len(scored)))
    first = _version(trained, mlflow_home, "champion", PASSING_GATE, name="champ-m",
                     predictions=champion)  # fmt: skip
    promote_version(client, "champ-m", first, "someone")
    elsewhere = _version(trained, mlflow_home, "champion", PASSING_GATE, name="champ-m",
                         predictions=_scored(("2026-03-02",)))  # fmt: skip
    problems = gain_problems(client, "champ-m", elsewhere)
    assert len(problems) == 1 and f"the champion (version {first}" in problems[0]
    assert "no predictions on 160 of the 160 student-weeks" in problems[0]
    same = _version(trained, mlflow_home, "champion", PASSING_GATE, name="champ-m",
                    predictions=champion)  # fmt: skip
    problems = gain_problems(client, "champ-m", same)
    assert len(problems) == 1 and "does not beat the champion" in problems[0]
    assert "replay.dropouts_reached_ahead gain +0 [+0, +0]" in problems[0]
    better = scored.assign(lightgbm=scored["label"].astype(float))
    best = _version(trained, mlflow_home, "champion", PASSING_GATE, name="champ-m",
                    predictions=better)  # fmt: skip
    assert gain_problems(client, "champ-m", best) == []
    with pytest.raises(PromotionRefused, match="no predictions on"):
        promote_version(client, "champ-m", elsewhere, "someone")
    promote_version(client, "champ-m", elsewhere, "someone", override="Nouvelle année")
    tags = client.get_model_version("champ-m", elsewhere).tags
    assert "champion (version" in tags["vigie.gain_overridden_problems"]


def test_the_champion_is_scored_on_the_weeks_it_lacks(
    trained, mlflow_home: Path, tmp_path: Path
) -> None:
    """A champion without predictions on some tested weeks is scored on them, from the
    run's extraction rebuilt with the one feature builder, when it never learnt from them;
    read from the registry of the client given, whatever store MLflow points at."""
    from training.promote import champion_gain, score_champion

    client = MlflowClient()
    run = client.get_run(trained.run_id)
    split = trained.result.evaluated_split
    assert run.data.tags["vigie.evaluated_split"] == split
    predictions = trained.result.predictions[trained.result.predictions["split"] == split]
    weeks = sorted(predictions["as_of"].unique())
    early = predictions[predictions["as_of"].isin(weeks[: len(weeks) // 2])]
    plan = {"plans": [{"name": "test-2025-2026", "test_year": "2025-2026"}]}
    extraction = {key: run.data.params[key] for key in ("data_dir", "data_sha256")}
    champion = _version(trained, mlflow_home, "scored", PASSING_GATE, name="score-m",
                        predictions=early, plan=plan)  # fmt: skip
    promote_version(client, "score-m", champion, "someone", override="premier champion")
    new = _version(trained, mlflow_home, "scored", PASSING_GATE, name="score-m",
                   predictions=predictions, params=extraction, plan=plan)  # fmt: skip
    new_run = client.get_run(client.get_model_version("score-m", new).run_id)
    champion_run = client.get_run(client.get_model_version("score-m", champion).run_id)
    late = predictions[~predictions["as_of"].isin(early["as_of"])]
    late = late.assign(student_id=late["student_id"].astype(str),
                       as_of=pd.to_datetime(late["as_of"]))  # fmt: skip
    scores = score_champion(new_run, champion_run, "score-m", champion, late)
    assert not isinstance(scores, str), scores
    np.testing.assert_allclose(scores, late["lightgbm"].to_numpy(), atol=1e-9)
    compared = champion_gain(client, new_run, champion, champion_run, "score-m")
    assert not isinstance(compared, str), compared
    assert (compared.estimate, compared.low, compared.high) == (0.0, 0.0, 0.0)  # the same model
    own = MlflowClient(mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    with mlflow_pointed_at(f"sqlite:///{tmp_path / 'another-mlflow.db'}", {}):
        elsewhere = champion_gain(own, new_run, champion, champion_run, "score-m")
    assert not isinstance(elsewhere, str), elsewhere
    assert (elsewhere.estimate, elsewhere.low, elsewhere.high) == (0.0, 0.0, 0.0)
    # A champion that learnt from the tested year is not scored on it.
    learnt = {"plans": [{"name": "test-2025-2026", "test_year": "2026-2027"}]}
    other = _version(trained, mlflow_home, "scored", PASSING_GATE, name="score-m",
                     predictions=early, plan=learnt)  # fmt: skip
    refused = score_champion(new_run, client.get_run(client.get_model_version(
        "score-m", other).run_id), "score-m", other, late)  # fmt: skip
    assert isinstance(refused, str) and "not before the tested year 2025-2026" in refused
