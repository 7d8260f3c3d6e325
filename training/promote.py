"""Promotion: moving the `champion` alias to a registered version, with checks and a record.

`promotion_problems` lists every reason a version cannot be promoted, so that a refusal says
all of them at once; it is the one place to add checks. Two kinds: a run that did not finish or
was not compared with the baselines can never be promoted; the fairness gate (the run's audit,
`fairness/fairness.json`, finds a judged group whose recall ratio lies outside the band, or the
run has no audit) can be overridden by a written justification, recorded on the version with
who gave it and when. A promotion records who promoted the version and when, as tags.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.fairness.logged import FAIRNESS_ARTIFACT
from training.tracking import CHAMPION, COMPARISON_ARTIFACT

__all__ = [
    "Promotion",
    "PromotionRefused",
    "default_promoter",
    "fairness_problems",
    "promote_version",
    "promotion_problems",
]


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


def default_promoter() -> str:
    """Who is promoting: VIGIE_USER, else the login name."""
    try:
        return os.environ.get("VIGIE_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def promotion_problems(client: Any, name: str, version: str) -> list[str]:
    """Every reason `version` of `name` cannot be promoted (empty when it can)."""
    from mlflow.exceptions import MlflowException

    try:
        model_version = client.get_model_version(name, version)
    except MlflowException:
        return [f"{name} has no version {version}"]
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
    return problems


def fairness_problems(client: Any, run_id: str) -> list[str]:
    """The fairness gate: every judged group whose recall ratio lies outside the band in the
    run's audit, or the absence of an audit. Empty when the gate passes."""
    with tempfile.TemporaryDirectory(prefix="vigie-promote-") as tmp:
        try:
            path = client.download_artifacts(run_id, FAIRNESS_ARTIFACT, tmp)
            audit = json.loads(Path(path).read_text(encoding="utf-8"))
        except Exception:  # missing, unreachable or unreadable: no usable audit
            return [f"its training run {run_id} has no fairness audit ({FAIRNESS_ARTIFACT}); "
                    f"run: vigie audit --run {run_id}"]  # fmt: skip
    gate = audit.get("gate") or {}
    if "out_of_band" not in gate:
        return [f"the fairness audit of run {run_id} has no gate verdict"]
    low, high = gate.get("band", (0.8, 1.25))
    problems = []
    for item in gate["out_of_band"]:
        ratio, ratio_low, ratio_high = (item.get(k) for k in ("ratio", "ratio_low", "ratio_high"))
        interval = (f" [{ratio_low:.2f}, {ratio_high:.2f}]"
                    if ratio_low is not None and ratio_high is not None else "")  # fmt: skip
        noise = "" if item.get("ci_outside_band") else " (its interval meets the band)"
        problems.append(
            f"recall of {item['grouping']} = {item['group']} is {ratio:.2f}{interval} times "
            f"that of {item['reference']}, outside the band {low}-{high}{noise}"
        )
    return problems


def promote_version(
    client: Any, name: str, version: str, promoted_by: str, override: str | None = None
) -> Promotion:
    """Move `champion` to `version` after `promotion_problems` found none, and record it.

    `override`, a written justification, lets a version through the fairness gate (never
    through the other checks); it is recorded on the version with who gave it and when."""
    problems = promotion_problems(client, name, version)
    if problems:
        raise PromotionRefused(name, version, problems)
    run_id = client.get_model_version(name, version).run_id
    gate = fairness_problems(client, run_id)
    justification = (override or "").strip()
    if gate and not justification:
        raise PromotionRefused(name, version, gate, overridable=True)
    previous = _current_champion(client, name)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    client.set_registered_model_alias(name, CHAMPION, version)
    tags = {"vigie.promoted_by": promoted_by, "vigie.promoted_at": when,
            "vigie.previous_champion": previous or "none",
            "vigie.fairness_gate": "overridden" if gate else "passed"}  # fmt: skip
    if gate:
        tags |= {"vigie.fairness_override": justification,
                 "vigie.fairness_override_by": promoted_by,
                 "vigie.fairness_override_at": when,
                 "vigie.fairness_overridden_problems": "\n".join(gate)[:4900]}  # fmt: skip
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    return Promotion(name, version, run_id, promoted_by, when, previous, gate)


def _current_champion(client: Any, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


def _has_artifact(client: Any, run_id: str, path: str) -> bool:
    folder, _, _ = path.rpartition("/")
    try:
        listed = client.list_artifacts(run_id, folder or None)
    except Exception:  # an unreachable artifact store counts as a missing table
        return False
    return any(item.path == path for item in listed)
