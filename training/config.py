"""The training configuration: one typed object, validated before any work starts.

Defaults train the demo académie in a few minutes on two cores. A YAML file (`--config`) and
command-line flags override them; `load_train_config` reads both and fails with
`TrainConfigError`, naming each bad key and why, before a run is opened or a row is read.

    cadence: monthly          # as-of Mondays of the training and calibration years
    test_cadence: weekly      # as-of Mondays of the tested year (lists are weekly)
    cv: temporal              # or backtest:N, or kfold:KxR for a single school year
    lightgbm: {num_leaves: 15, monotone: false}   # any key of LightGBMConfig; monotone: false
                                                  # trains without the catalog's constraints
    interviewed: {policy: exclude}                # or weight (with weight: 0.5), or keep
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.lightgbm_config import LightGBMConfig
from models.registry import REGISTERED_MODEL
from training.splits import CVSpec, parse_cv

__all__ = [
    "InterviewedConfig",
    "LightGBMConfig",
    "LogisticConfig",
    "TrainConfig",
    "TrainConfigError",
    "load_train_config",
]

_LIST_RULE = re.compile(r"^(\d*k|\d+(\.\d+)?\s*%)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogisticConfig(_Strict):
    """The logistic-regression baseline."""

    C: float = Field(0.1, gt=0)
    max_iter: int = Field(2000, ge=1)
    # On a cluster, the training rows the baseline is fitted on are gathered on the client:
    # about this many at most, whole students drawn by their id (every row below it).
    cluster_rows: int = Field(1_000_000, ge=1)


class InterviewedConfig(_Strict):
    """What training does with the rows whose outcome an interview may have changed
    (`training.interviewed`; the flag comes from the extraction's optional `interviews`
    table and is never a model input): `keep` them (the default: the same model as without
    the table), `exclude` them from the rows the models learn from (training and
    calibration rows), or `weight` them by `weight` in the booster's and the logistic
    baseline's fit. Tested rows are never changed: every model is judged on the same weeks."""

    policy: Literal["keep", "exclude", "weight"] = "keep"
    weight: float = Field(
        0.5, gt=0, le=1,
        description="The training weight of a flagged row under `weight` (1 = keep): 0.5 "
                    "counts an interviewed student's row as half a row.",
    )  # fmt: skip
    lookback_days: int = Field(
        182, ge=0, le=730,
        description="A row is flagged when an interview was held up to this many days before "
                    "its as-of date, or within its label horizon after it.",
    )  # fmt: skip


class TrainConfig(_Strict):
    """Everything that decides what `vigie train` does, apart from the data."""

    seed: int = Field(20261127, ge=0)
    cadence: Literal["weekly", "monthly"] = "monthly"
    test_cadence: Literal["weekly", "monthly"] = "weekly"
    cv: str = "temporal"
    min_outcome_coverage: float = Field(
        0.95, gt=0, le=1,
        description="A school year is used for training when this share of its students has "
                    "an outcome known before the cut-off.",
    )  # fmt: skip
    lightgbm: LightGBMConfig = LightGBMConfig()
    logistic: LogisticConfig = LogisticConfig()
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    calibration_folds: int = Field(3, ge=2, le=20)
    list_rules: tuple[str, ...] = ("k", "2k", "5%")
    n_boot: int = Field(500, ge=10, le=100_000)
    replay_interviewed_share: float | None = Field(
        None, ge=0, le=1,
        description="Besides the replay where every invited student is interviewed, replay "
                    "the school year again with this share of invitations interviewed.",
    )  # fmt: skip
    lead_time_ahead_weeks: float = Field(4, gt=0)
    interviewed: InterviewedConfig = InterviewedConfig()
    # last_split: the registered model is the one evaluated on the latest tested weeks, so
    # what is promoted is what was tested; a refit is never evaluated and cannot be promoted.
    final_model: Literal["refit", "last_split"] = "last_split"
    experiment_name: str = Field(REGISTERED_MODEL, min_length=1)
    registered_model_name: str = Field(REGISTERED_MODEL, min_length=1)

    @field_validator("cv")
    @classmethod
    def _cv_readable(cls, value: str) -> str:
        return str(parse_cv(value))

    @field_validator("list_rules")
    @classmethod
    def _rules_readable(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one list rule is needed, e.g. ['k', '2k', '5%']")
        bad = [rule for rule in value if not _LIST_RULE.match(rule.strip())]
        if bad:
            raise ValueError(f"{bad} are not list rules: use 'k', '2k' or a share like '5%'")
        if len(set(value)) != len(value):
            raise ValueError("list rules must be distinct")
        return tuple(rule.strip() for rule in value)

    @property
    def cv_spec(self) -> CVSpec:
        return parse_cv(self.cv)


class TrainConfigError(ValueError):
    """A configuration that cannot be used; the message names every bad key and why."""


def load_train_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TrainConfig:
    """The configuration from an optional YAML file, then `overrides` (dotted keys such as
    `lightgbm.num_leaves`; None values are ignored). Raises `TrainConfigError`."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise TrainConfigError(f"configuration file {path} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            message = f"configuration file {path} is not valid YAML: {error}"
            raise TrainConfigError(message) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise TrainConfigError(f"configuration file {path} must hold a mapping of keys")
        data = loaded or {}
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        target = data
        for key in parents:
            child = target.setdefault(key, {})
            if not isinstance(child, dict):
                raise TrainConfigError(f"{'.'.join(parents)}: expected a mapping, got {child!r}")
            target = child
        target[leaf] = value
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as error:
        raise TrainConfigError(_describe(error, path)) from None


def _describe(error: ValidationError, path: Path | None) -> str:
    source = f"configuration file {path}" if path is not None else "training configuration"
    lines = [f"invalid {source}:"]
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; see training/config.py for the keys)"
        shown = "" if problem["type"] == "extra_forbidden" else f" (got {problem['input']!r})"
        lines.append(f"  {key}: {message}{shown}")
    return "\n".join(lines)
