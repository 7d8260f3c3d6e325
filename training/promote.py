"""Promotion: moving the `champion` alias to a registered version, with checks and a record.

`promotion_problems` lists every reason a version cannot be promoted, so that a refusal says
all of them at once; it is the one place to add checks. Two kinds:

- never overridable: a run that did not finish or was not compared with the baselines, and a
  version whose model is not the one that was evaluated (`identity_problems`: the registered
  model's identity, `models.identity`, must equal the run's `vigie.evaluated_model_hash`, the
  model that scored the held-out weeks; a refit on every year was never tested);
- overridable by a written justification, recorded on the version with who gave it and when:
  the fairness gate (`fairness_problems`: the run's audit finds a sensitive group whose
  corrected recall-ratio interval lies outside the band within its kind of establishment, or
  the run has no audit) and the gain gate (`gain_problems`). The gain gate judges the replay
  of the school year (`training.replay`): the distinct future dropouts interviewed at least 4
  weeks (the run's `lead_time_ahead_weeks`) before they left. The 95 % paired interval of the
  difference must lie above 0 over the best baseline of the version's own run (every baseline
  replayed: logistic, rules, level prior, recent absences, hand-weighted; never the synthetic
  ceiling) and over the current champion, replayed on the same tested weeks from both
  versions' predictions (`paired_gain`). `gain_evidence` is the one place that says which
  metric.

A promotion records who promoted the version and when, as tags.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.jsonio import read_json
from models.registry import (
    CHAMPION,
    RegistryError,
    alias_version,
    download_artifact,
    load_model,
    model_hash,
    registry_client,
    resolve,
    set_alias,
    tag_version,
)
from settings import load_settings
from training.fairness.logged import FAIRNESS_ARTIFACT
from training.tracking import COMPARISON_ARTIFACT, PREDICTIONS_ARTIFACT

__all__ = [
    "GAIN_METRIC",
    "GAIN_STATISTIC",
    "Gain",
    "Promotion",
    "PromotionRefused",
    "champion_gain",
    "default_promoter",
    "fairness_problems",
    "gain_evidence",
    "gain_problems",
    "identity_problems",
    "paired_gain",
    "promote_version",
    "promotion_problems",
    "score_champion",
]

# The gain a version must show, as `vigie train` logs it per replayed baseline
# (`training.report.replay_for_mlflow` of `training.replay.replay_paired`: metric
# `lift_vs_<baseline>.<GAIN_METRIC>[_low|_high]`): LightGBM minus the baseline in distinct
# future dropouts interviewed at least `lead_time_ahead_weeks` before they left.
GAIN_STATISTIC = "dropouts_reached_ahead"
GAIN_METRIC = f"replay.{GAIN_STATISTIC}_diff"
NOT_BASELINES = ("ceiling_latent",)  # the synthetic generator's own risk: a ceiling, not a bar


class PromotionRefused(Exception):
    """The version cannot become champion; `problems` says why."""

    def __init__(
        self, name: str, version: str, problems: list[str], overridable: bool = False
    ) -> None:
        self.problems = problems
        self.overridable = overridable
        listed = "\n".join(f"  - {problem}" for problem in problems)
        hint = (
            '\nAn inspector may still promote it with --override "written justification".'
            if overridable
            else ""
        )
        super().__init__(f"version {version} of {name} cannot be promoted:\n{listed}{hint}")


@dataclass(frozen=True)
class Promotion:
    name: str
    version: str
    run_id: str
    promoted_by: str
    promoted_at: str
    previous_champion: str | None
    overridden: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Gain:
    """The paired gain of a version over another model on the same tested weeks."""

    against: str
    metric: str
    estimate: float
    low: float
    high: float

    def convincing(self) -> bool:
        return math.isfinite(self.low) and self.low > 0

    def describe(self) -> str:
        return (f"{self.metric} gain {self.estimate:+g} [{self.low:+g}, {self.high:+g}] "
                "(95 % paired interval, lower bound not above 0)")  # fmt: skip


def default_promoter() -> str:
    """Who is promoting: VIGIE_USER, else the login name (the settings' `resolved_user`)."""
    try:
        return load_settings().resolved_user
    except (KeyError, OSError):
        return "unknown"


def promotion_problems(client: Any, name: str, version: str) -> list[str]:
    """Every reason `version` of `name` cannot be promoted (empty when it can)."""
    from mlflow.exceptions import MlflowException  # a run's lookup (tracking, not registry)

    if not str(version).isdigit():
        return [f"{name} has no version {version} (a version is a number)"]
    try:
        model_version = resolve(client, name, version)
    except RegistryError as error:
        return [str(error)]
    run_id = model_version.run_id
    if not run_id:
        return [f"version {version} is not linked to a training run"]
    try:
        run = client.get_run(run_id)
    except MlflowException:
        return [f"the training run {run_id} of version {version} no longer exists"]
    problems = []
    if run.info.status != "FINISHED":
        problems.append(f"its training run {run_id} ended {run.info.status}, not FINISHED")
    if not _has_artifact(client, run_id, COMPARISON_ARTIFACT):
        problems.append(
            f"its training run {run_id} has no comparison table ({COMPARISON_ARTIFACT}): "
            "it was not evaluated against the baselines"
        )
    problems += identity_problems(client, name, version, run)
    return problems


def registered_identity(name: str, version: str) -> str | None:
    """The identity (`models.identity.model_hash`) of the model a registered version holds,
    read from its MLmodel metadata (None when it records none)."""
    return model_hash(name, version)


def identity_problems(client: Any, name: str, version: str, run: Any) -> list[str]:
    """What is promoted must be what was tested: the version's model must be the model that
    scored the run's held-out weeks (`vigie.evaluated_model_hash`)."""
    evaluated = run.data.tags.get("vigie.evaluated_model_hash", "none")
    if evaluated == "none":
        return [f"its training run {run.info.run_id} records no evaluated model "
                "(vigie.evaluated_model_hash): k-fold, or trained before it was recorded; "
                "what would be promoted was never tested as such"]  # fmt: skip
    registered = registered_identity(name, version)
    if registered != evaluated:
        split = run.data.tags.get("vigie.evaluated_split", "?")
        return [f"version {version} holds the model {str(registered)[:12]}, but the model "
                f"evaluated on the held-out weeks (split {split}) is {evaluated[:12]}: what is "
                "promoted must be what was tested (train with final_model: last_split; a "
                "refit is never evaluated)"]  # fmt: skip
    return []


def gain_evidence(run: Any) -> list[Gain]:
    """The paired gain of the run's model over the best baseline of its own run, as logged by
    `vigie train` under `GAIN_METRIC`: every replayed baseline counts (not the synthetic
    ceiling, `NOT_BASELINES`), and the best one is the one the model beats by least (lowest
    estimate, then lowest lower bound). Empty when the run logged none (a run from before the
    replay)."""
    metrics = run.data.metrics
    prefix, suffix = "lift_vs_", f".{GAIN_METRIC}"
    baselines = sorted(key[len(prefix):-len(suffix)] for key in metrics
                       if key.startswith(prefix) and key.endswith(suffix))  # fmt: skip

    def gain(baseline: str) -> Gain:
        key = f"{prefix}{baseline}{suffix}"
        return Gain(baseline, GAIN_METRIC, metrics[key], metrics.get(f"{key}_low", math.nan),
                    metrics.get(f"{key}_high", math.nan))  # fmt: skip

    gains = [gain(name) for name in baselines if name not in NOT_BASELINES]
    if not gains:
        return []

    def least(item: Gain) -> tuple[float, float]:
        low = item.low if math.isfinite(item.low) else -math.inf
        return item.estimate, low

    best = min(gains, key=least)
    return [Gain(f"the best baseline ({best.against})", best.metric, best.estimate, best.low,
                 best.high)]  # fmt: skip


def paired_gain(
    scored: pd.DataFrame, ours: str, theirs: str, n_boot: int = 500, seed: int = 0,
    ahead_weeks: float = 4,
) -> tuple[float, float, float]:  # fmt: skip
    """Distinct future dropouts interviewed at least `ahead_weeks` before they left in the
    replay of the `ours` scores, minus in that of `theirs`, on the same rows, with a 95 %
    paired cluster-bootstrap interval (`training.replay.replay_paired`: the same resampled
    establishments for both, the same resamples as `vigie train`'s replay).

    `scored`: the tested student-weeks (uai, school_year, as_of, student_id, capacity, label,
    and exit_date, censored, exit_kind when present) with both score columns, probabilities
    (the queue's risk margin applies)."""
    from training.replay import replay_paired, replay_year

    columns = ["uai", "school_year", "as_of", "student_id", "capacity", "label"]
    optional = [c for c in ("exit_date", "exit_kind", "censored") if c in scored.columns]
    base = scored.loc[:, [*columns, *optional]]
    if "exit_date" in base.columns:
        base["exit_date"] = pd.to_datetime(base["exit_date"])
    invitations = {
        name: replay_year(base.assign(score=scored[column].to_numpy(dtype="float64")), seed=seed)
        for name, column in (("ours", ours), ("theirs", theirs))
    }
    table = replay_paired(invitations, base, "ours", ahead_weeks=ahead_weeks, n_boot=n_boot,
                          seed=seed)  # fmt: skip
    row = table.loc["theirs"]
    key = f"{GAIN_STATISTIC}_diff"
    return float(row[key]), float(row[f"{key}_low"]), float(row[f"{key}_high"])


def _predictions(client: Any, run_id: str) -> pd.DataFrame | None:
    with tempfile.TemporaryDirectory(prefix="vigie-promote-") as tmp:
        try:
            return pd.read_parquet(client.download_artifacts(run_id, PREDICTIONS_ARTIFACT, tmp))
        except Exception:  # missing or unreadable predictions
            return None


def _evaluated_rows(predictions: pd.DataFrame, run: Any) -> pd.DataFrame:
    """The rows the run's evaluated model scored (its evaluated split, when recorded)."""
    split = run.data.tags.get("vigie.evaluated_split")
    if split and split != "none" and "split" in predictions.columns:
        predictions = predictions[predictions["split"] == split]
    rows = predictions.assign(student_id=predictions["student_id"].astype(str),
                              as_of=pd.to_datetime(predictions["as_of"]))  # fmt: skip
    return rows.drop_duplicates(["student_id", "as_of"])


def champion_gain(
    client: Any, run: Any, champion_version: str, champion_run: Any, name: str | None = None
) -> Gain | str:
    """The paired gain of `run`'s model over the champion's in the replay of the same tested
    weeks (`paired_gain`): the champion's own test predictions where they cover them;
    otherwise, when `name` is given, the champion model scored on the weeks it lacks
    (`score_champion`). A sentence saying why the two cannot be compared when neither is
    possible."""
    ours = _predictions(client, run.info.run_id)
    theirs = _predictions(client, champion_run.info.run_id)
    who = f"the champion (version {champion_version}, run {champion_run.info.run_id})"
    if ours is None or theirs is None:
        missing = run.info.run_id if ours is None else champion_run.info.run_id
        return f"{who} cannot be compared: run {missing} has no test predictions"
    ours, theirs = _evaluated_rows(ours, run), _evaluated_rows(theirs, champion_run)
    keys = ["student_id", "as_of"]
    joined = ours.merge(theirs[[*keys, "lightgbm"]], on=keys, how="left",
                        suffixes=("", "_champion"))  # fmt: skip
    uncovered = joined["lightgbm_champion"].isna().to_numpy()
    if uncovered.any():
        weeks = pd.to_datetime(ours["as_of"])
        lacking = (f"{who} has no predictions on {int(uncovered.sum())} of the {len(ours)} "
                   f"student-weeks this version was tested on ({weeks.min():%Y-%m-%d} to "
                   f"{weeks.max():%Y-%m-%d})")  # fmt: skip
        scored = (score_champion(run, champion_run, name, champion_version, joined[uncovered],
                                 client)
                  if name is not None else "no model to score")  # fmt: skip
        if isinstance(scored, str):
            return f"{lacking}, and it could not be scored on them ({scored})"
        joined.loc[uncovered, "lightgbm_champion"] = scored
    params = run.data.params
    seed, n_boot = int(params.get("seed", 0)), int(params.get("n_boot", 500))
    ahead = float(params.get("lead_time_ahead_weeks", 4))
    estimate, low, high = paired_gain(joined, "lightgbm", "lightgbm_champion", n_boot, seed,
                                      ahead)  # fmt: skip
    return Gain(who, f"replay.{GAIN_STATISTIC}", estimate, low, high)


def score_champion(
    run: Any,
    champion_run: Any,
    name: str,
    champion_version: str,
    rows: pd.DataFrame,
    client: Any = None,
) -> np.ndarray | str:
    """The champion's calibrated risks on `rows` (tested student-weeks of `run`; its plan and
    model read through `client` when given, else MLflow's configured store), from the
    features of `run`'s extraction rebuilt by the one feature builder (its fingerprint must be
    the one the run recorded), or why that is not possible: the run records no extraction, or
    the champion learnt from a school year at or after the tested one (it would be judged on
    weeks whose outcomes it was trained or calibrated on)."""
    from training.fairness.logged import rebuild_features

    params = run.data.params
    if "data_dir" not in params or "data_sha256" not in params:
        return f"run {run.info.run_id} records no extraction"
    client = registry_client() if client is None else client
    plan = _evaluated_plan(client, champion_run)
    if plan is None:
        return f"run {champion_run.info.run_id} records no plan of its evaluated split"
    champion_test_year = plan.get("test_year", "-")
    tested_years = sorted(rows["school_year"].astype(str).unique())
    if champion_test_year == "-" or tested_years[0] < champion_test_year:
        return (f"the champion learnt from school years up to {champion_test_year}, not before "
                f"the tested year {tested_years[0]}")  # fmt: skip
    try:
        features = rebuild_features(params["data_dir"], params["data_sha256"],
                                    list(rows["as_of"].unique()))  # fmt: skip
    except ValueError as error:
        return str(error)
    features = features.assign(student_id=features["student_id"].astype(str),
                               as_of=pd.to_datetime(features["as_of"]))  # fmt: skip
    keys = ["student_id", "as_of"]
    matched = rows[keys].merge(features, on=keys, how="left", validate="1:1", indicator=True)
    if (matched.pop("_merge") != "both").any():
        return "some tested student-weeks have no feature row in the run's extraction"
    model = load_model(name, champion_version, client)
    return np.asarray(model.predict_risk(matched), dtype="float64")


def _evaluated_plan(client: Any, run: Any) -> dict[str, Any] | None:
    """The plan (`splits/plan.json`) of the split whose model `run` evaluated."""
    split = run.data.tags.get("vigie.evaluated_split")
    with tempfile.TemporaryDirectory(prefix="vigie-promote-") as tmp:
        try:
            path = download_artifact(client, run.info.run_id, "splits/plan.json", tmp)
            if path is None:
                return None
            plans = read_json(path)["plans"]
        except Exception:  # missing or unreadable plan
            return None
    chosen = [plan for plan in plans if plan.get("name") == split]
    return chosen[0] if chosen else None


def gain_problems(client: Any, name: str, version: str) -> list[str]:
    """The gain gate: every gain in distinct dropouts reached ahead whose 95 % paired interval
    does not lie above 0, over the best baseline of the version's own run and over the
    current champion (replayed on the same tested weeks), or the reason a comparison could not
    be made. Empty when it passes."""
    run = client.get_run(resolve(client, name, version).run_id)
    evidence = gain_evidence(run)
    problems = []
    if not evidence:
        problems.append(f"its training run {run.info.run_id} logged no paired gain "
                        f"({GAIN_METRIC}) over its baselines in the replay")  # fmt: skip
    problems += [f"it does not beat {item.against}: {item.describe()}"
                 for item in evidence if not item.convincing()]  # fmt: skip
    champion = alias_version(client, name, CHAMPION)
    if champion is not None and champion != str(version):
        champion_run = client.get_run(resolve(client, name, champion).run_id)
        compared = champion_gain(client, run, champion, champion_run, name)
        if isinstance(compared, str):
            problems.append(compared)
        elif not compared.convincing():
            problems.append(f"it does not beat {compared.against}: {compared.describe()}")
    return problems


def fairness_problems(client: Any, run_id: str) -> list[str]:
    """The fairness gate: every judged group whose recall ratio lies outside the band in the
    run's audit, or the absence of an audit. Empty when the gate passes."""
    with tempfile.TemporaryDirectory(prefix="vigie-promote-") as tmp:
        try:
            path = client.download_artifacts(run_id, FAIRNESS_ARTIFACT, tmp)
            audit = read_json(path)
        except Exception:  # missing, unreachable or unreadable: no usable audit
            return [f"its training run {run_id} has no fairness audit ({FAIRNESS_ARTIFACT}); "
                    f"run: vigie audit --run {run_id}"]  # fmt: skip
    gate = audit.get("gate") or {}
    if "out_of_band" not in gate:
        return [f"the fairness audit of run {run_id} has no gate verdict"]
    low, high = gate.get("band", (0.8, 1.25))
    correction = gate.get("correction")
    if correction is None:  # an audit from before the corrected, within-kind gate
        return [f"the fairness audit of run {run_id} predates the corrected within-kind gate; "
                f"run: vigie audit --run {run_id}"]  # fmt: skip
    problems = []
    for item in gate["out_of_band"]:
        ratio, ratio_low, ratio_high = (item.get(k) for k in ("ratio", "ratio_low", "ratio_high"))
        interval = (f" [{ratio_low:.2f}, {ratio_high:.2f}]"
                    if ratio_low is not None and ratio_high is not None else "")  # fmt: skip
        level = item.get("level")
        how = (f" ({correction}-corrected interval at {100 * level:.2f} %, "
               f"{gate.get('tests')} ratios judged)" if level is not None else "")  # fmt: skip
        within = f" within {item['kind']}" if item.get("kind") else ""
        problems.append(
            f"recall of {item['grouping']} = {item['group']}{within} is {ratio:.2f}{interval} "
            f"times that of {item['reference']}, outside the band {low}-{high}{how}"
        )
    return problems


def promote_version(
    client: Any, name: str, version: str, promoted_by: str, override: str | None = None
) -> Promotion:
    """Move `champion` to `version` after `promotion_problems` found none, and record it.

    `override`, a written justification, lets a version through the fairness and gain gates
    (never through the other checks); it is recorded on the version, per gate, with who gave
    it and when."""
    problems = promotion_problems(client, name, version)
    if problems:
        raise PromotionRefused(name, version, problems)
    run_id = resolve(client, name, version).run_id
    gates = {"fairness": fairness_problems(client, run_id),
             "gain": gain_problems(client, name, version)}  # fmt: skip
    justification = (override or "").strip()
    if any(gates.values()) and not justification:
        raise PromotionRefused(name, version, [*gates["fairness"], *gates["gain"]],
                               overridable=True)  # fmt: skip
    previous = alias_version(client, name, CHAMPION)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    set_alias(client, name, CHAMPION, version)
    tags = {"vigie.promoted_by": promoted_by, "vigie.promoted_at": when,
            "vigie.previous_champion": previous or "none"}  # fmt: skip
    for gate, found in gates.items():
        tags[f"vigie.{gate}_gate"] = "overridden" if found else "passed"
        if found:
            tags |= {f"vigie.{gate}_override": justification,
                     f"vigie.{gate}_override_by": promoted_by,
                     f"vigie.{gate}_override_at": when,
                     f"vigie.{gate}_overridden_problems": "\n".join(found)[:4900]}  # fmt: skip
    tag_version(client, name, version, tags)
    return Promotion(name, version, run_id, promoted_by, when, previous,
                     [*gates["fairness"], *gates["gain"]])  # fmt: skip


def _has_artifact(client: Any, run_id: str, path: str) -> bool:
    folder, _, _ = path.rpartition("/")
    try:
        listed = client.list_artifacts(run_id, folder or None)
    except Exception:  # an unreachable artifact store counts as a missing table
        return False
    return any(item.path == path for item in listed)
