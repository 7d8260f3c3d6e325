"""Promotion: moving the `champion` alias to a registered version, with checks and a record.

`promotion_problems` lists every reason a version cannot be promoted, so that a refusal says
all of them at once; it is the one place to add checks (the fairness gate comes next). A
promotion records who promoted the version and when, as tags of the version.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass
from typing import Any

from training.tracking import CHAMPION, COMPARISON_ARTIFACT

__all__ = [
    "Promotion",
    "PromotionRefused",
    "default_promoter",
    "promote_version",
    "promotion_problems",
]


class PromotionRefused(Exception):
    """The version cannot become champion; `problems` says why."""

    def __init__(self, name: str, version: str, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"version {version} of {name} cannot be promoted:\n{listed}")


@dataclass(frozen=True)
class Promotion:
    name: str
    version: str
    run_id: str
    promoted_by: str
    promoted_at: str
    previous_champion: str | None


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


def promote_version(client: Any, name: str, version: str, promoted_by: str) -> Promotion:
    """Move `champion` to `version` after `promotion_problems` found none, and record it."""
    problems = promotion_problems(client, name, version)
    if problems:
        raise PromotionRefused(name, version, problems)
    previous = _current_champion(client, name)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    client.set_registered_model_alias(name, CHAMPION, version)
    for key, value in (("vigie.promoted_by", promoted_by), ("vigie.promoted_at", when),
                       ("vigie.previous_champion", previous or "none")):  # fmt: skip
        client.set_model_version_tag(name, version, key, value)
    run_id = client.get_model_version(name, version).run_id
    return Promotion(name, version, run_id, promoted_by, when, previous)


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
