"""Vigie's settings: one typed object read from the environment (prefix VIGIE_), validated
once, at start.

Where it sits: above `features` and `models` (it takes its defaults from them: the registered
model's name, the follow-up rule) and below every layer that reads the environment
(`training`, `serving`, `vigie`, `app_dashboard`), which all import it from here. `features`
and `models` never read settings: they take explicit arguments.

Every path is relative to the working directory unless absolute; `VIGIE_HOME=/srv/vigie`
moves all local state. The MLflow tracking store is `MLFLOW_TRACKING_URI` (MLflow's own
variable) when set, else the SQLite file `<home>/mlflow/mlflow.db`. The serving, dashboard and
notice sections keep their flat variable names (`VIGIE_MAX_BODY_BYTES`, `VIGIE_DRIFT_THRESHOLD`,
`VIGIE_NOTICE_DPO_CONTACT`, ...).

A bad value stops the start with `SettingsError`, whose message names the variable.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from features.cluster import ClusterSpec, parse_cluster
from models.queue import DEFAULT_FOLLOW_UP
from models.registry import REGISTERED_MODEL
from models.solutions.rules import RuleTable, SolutionRulesError, load_rules

__all__ = [
    "DashboardSection",
    "MonitoringSection",
    "NoticeSection",
    "ServingSection",
    "Settings",
    "SettingsError",
    "load_settings",
]

PREFIX = "VIGIE_"
# Other VIGIE_ variables (VIGIE_LANG, read by the CLI options, VIGIE_SCREENSHOTS of the tests)
# are not settings: ignore them.
_CONFIG = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")


class SettingsError(ValueError):
    """A setting has a bad value; the message names the environment variable."""


class ServingSection(BaseSettings):
    """The limits the API and the weekly run enforce."""

    model_config = _CONFIG

    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of the reverse proxies whose X-Forwarded-For "
        "header names the client (`vigie api` and `vigie dashboard`); empty (default): none, "
        "the TCP peer is the client. The address is what failed sign-ins and failed "
        "authentications are throttled by.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, le=16 * 1024 * 1024, description="Largest request body."
    )
    dismissal_weeks: int = Field(
        default=DEFAULT_FOLLOW_UP.dismissal_weeks,
        ge=0,
        le=52,
        description="Weeks a dismissed student stays in follow-up (no slot, marked) on the "
        "weekly lists: the default of `vigie score --dismissal-weeks`.",
    )
    list_cache_mb: int = Field(
        default=64,
        ge=0,
        le=4096,
        description="Memory for the API's serialised weekly lists, per process (0: no cache). "
        "A cached list is served only while its establishment's list revision is unchanged.",
    )
    audit_log_retention_days: int = Field(
        default=366,
        ge=183,
        le=3650,
        description="Days the audit log keeps an entry: `vigie purge` removes older ones "
        "(183 to 3650; default a year and a day: the CNIL recommends keeping access logs "
        "six months to a year).",
    )

    @property
    def list_cache_bytes(self) -> int:
        return self.list_cache_mb * 1024 * 1024


class DashboardSection(BaseSettings):
    """What the dashboard finds outside the store and the weeks' recorded data (the drift
    reference file, the MLflow UI) and its own limits."""

    model_config = _CONFIG

    drift_reference: Path | None = Field(
        default=None, description="Feature file of the training population, for drift."
    )
    mlflow_ui_url: str = Field(
        default="http://127.0.0.1:5000", description="Where the MLflow UI is served."
    )
    drift_threshold: float = Field(default=0.25, gt=0, le=10, description="PSI alert level.")
    export_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="An export (CSV, printable page) is dropped from Streamlit's media store "
        "at most twice this long after the click that made it.",
    )


class MonitoringSection(BaseSettings):
    """The weekly monitoring (`vigie monitor`, run at the end of `vigie score`): its alert
    levels beside the dashboard's PSI one (`VIGIE_DRIFT_THRESHOLD`), and the later
    extraction it learns the exits from."""

    model_config = _CONFIG

    churn_threshold: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="Alert when the share of a week's invited students who were not invited "
        "the week before is over this (per establishment and overall).",
    )
    slot_share_threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Alert when the share of an establishment's interview slots given to a "
        "student (invited / capacity) is under this.",
    )
    outcomes_extraction: Path | None = Field(
        default=None,
        description="A later extraction to learn past invitations' outcomes from (default of "
        "`vigie monitor --extraction`); none: outcomes are not computed.",
    )


class NoticeSection(BaseSettings):
    """Who a family writes to about a notice (`vigie notice`): the contacts printed on it.
    Empty: the notice shows a placeholder naming the variable to set."""

    model_config = _CONFIG

    notice_watch_unit_contact: str = Field(
        default="",
        max_length=300,
        description="How to reach the establishment's watch unit (e.g. a mail address or "
        "the school office's phone), printed on every notice.",
    )
    notice_dpo_contact: str = Field(
        default="",
        max_length=300,
        description="The académie's data protection officer (DPO): address to write to, "
        "printed on every notice.",
    )


class Settings(BaseSettings):
    """Where Vigie keeps its state and which model it uses, with a section for the API and
    the weekly run (`serving`), one for the dashboard (`dashboard`) and one for the weekly
    monitoring (`monitoring`). The optional paths and
    URLs are filled from `home` when not set, so every field reads as the value in use."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path("var"), description="Folder for all local state.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the store (e.g. `postgresql+psycopg://vigie@db/vigie`); "
        "default: the SQLite file home/serving/vigie.sqlite3.",
    )
    tracking_uri: str = Field(
        default="",
        validation_alias="MLFLOW_TRACKING_URI",
        description="MLflow tracking and registry store (MLFLOW_TRACKING_URI); default: the "
        "SQLite file home/mlflow/mlflow.db.",
    )
    mlflow_run_id: str = Field(
        default="",
        validation_alias="MLFLOW_RUN_ID",
        description="The run `mlflow run` started (MLFLOW_RUN_ID): training logs into it.",
    )
    model_name: str = Field(
        default=REGISTERED_MODEL, min_length=1, description="Registered model name."
    )
    user: str = Field(
        default="", description="Who runs the commands (promotion, demo); default: the login."
    )
    features_dir: Path = Field(
        default=Path(),
        description="Feature files `*-<as_of>.parquet`; default home/features.",
    )
    dask_scheduler: str = Field(
        default="",
        description="The cluster of the commands' `--cluster` option when it is not given: "
        "`local:N` (N local worker processes), `tcp://HOST:PORT` or `tls://HOST:PORT` (a "
        "running Dask scheduler); empty (default): the single-machine path.",
    )
    solution_rules: Path | None = Field(
        default=None,
        description="An académie's own table of the suggested solutions' eligibility rules "
        "(YAML, the schema of the shipped `models/solutions/rules.yaml`, which it replaces "
        "whole); checked at start: a bad file stops it naming the rule and the field.",
    )
    serving: ServingSection = Field(default_factory=ServingSection)
    dashboard: DashboardSection = Field(default_factory=DashboardSection)
    monitoring: MonitoringSection = Field(default_factory=MonitoringSection)
    notice: NoticeSection = Field(default_factory=NoticeSection)

    @field_validator("dask_scheduler")
    @classmethod
    def _cluster_named(cls, value: str) -> str:
        if value.strip():
            parse_cluster(value)  # ValueError: not a cluster
        return value.strip()

    @model_validator(mode="after")
    def _fill_from_home(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'serving' / 'vigie.sqlite3').as_posix()}"
        if not self.tracking_uri:
            store = (self.home / "mlflow" / "mlflow.db").resolve().as_posix()
            self.tracking_uri = f"sqlite:///{store}"
        if self.features_dir == Path():
            self.features_dir = self.home / "features"
        return self

    @field_validator("solution_rules")
    @classmethod
    def _check_solution_rules(cls, path: Path | None) -> Path | None:
        """The académie's table is read whole at start: a bad file stops it here."""
        if path is not None:
            try:
                load_rules(path)
            except SolutionRulesError as error:
                raise ValueError(str(error)) from None
        return path

    @property
    def resolved_database_url(self) -> str:
        """The store's URL (kept for the many callers that name it so)."""
        return self.database_url

    @property
    def cluster(self) -> ClusterSpec | None:
        """The cluster `VIGIE_DASK_SCHEDULER` names, or None for the single-machine path."""
        return parse_cluster(self.dask_scheduler) if self.dask_scheduler else None

    @property
    def resolved_user(self) -> str:
        """VIGIE_USER, else the login name."""
        return self.user or getpass.getuser()

    def solution_rules_table(self) -> RuleTable:
        """The eligibility rules in use: the académie's (`VIGIE_SOLUTION_RULES`, read again
        from its file) or the shipped table."""
        return load_rules(self.solution_rules)

    @property
    def demo_extraction(self) -> Path:
        return self.home / "demo" / "extraction"

    @property
    def demo_fingerprint(self) -> Path:
        """Holds the fingerprint of the configuration the demo extraction was made from."""
        return self.home / "demo" / "academie.sha256"


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and `overrides`, e.g. `home=...`), or
    `SettingsError` naming each variable with a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_described(error)) from None


# Fields read from a variable of another tool, under their field name or their alias.
_ENVIRONMENT_NAMES = {
    "tracking_uri": "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_URI": "MLFLOW_TRACKING_URI",
    "mlflow_run_id": "MLFLOW_RUN_ID",
    "MLFLOW_RUN_ID": "MLFLOW_RUN_ID",
}


def _described(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        name = _ENVIRONMENT_NAMES.get(field, f"{PREFIX}{field.upper()}")
        # URLs may carry a password: named, never echoed.
        shown = "" if "url" in field or "uri" in field.lower() else f"={item.get('input')!r}"
        problems.append(f"{name}{shown}: {item['msg']}")
    return f"Invalid setting{'s' if len(problems) > 1 else ''}: " + "; ".join(problems)
