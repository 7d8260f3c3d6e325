"""Drift of each model input between the training population and this week's students,
measured by the population stability index (PSI), with an alert over a threshold.

PSI = sum over bins of (current share - reference share) * ln(current share / reference
share), with bins from the reference's deciles (numeric features; missing values are a bin of
their own) or the categories (categorical features). Common reading: under 0.1 stable, 0.1 to
0.25 a moderate shift, over 0.25 a major one.

Indicators move with the school calendar (in late November the previous period's mean does not
exist yet and few marks are in; in June the year-to-date counts are at their highest), so a
week is compared with the reference rows of the same time of the school year when the
reference has their as-of dates: the training dates nearest, in days since 1 September, to
the week's, within a week of the nearest (one per training year, as the cadences place them).
This week's students are the week's recorded snapshot (`serving.lineage`: the rows its lists
were scored from, checked against their hash); the reference stays the training population.
Pure functions, then the data scientist's services (audited, like every read of the
dashboard).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from features.catalog import feature_names, feature_spec
from models.registry import CHAMPION
from serving.db.engine import Store
from serving.lineage import WeekLineage, recorded_week
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.dashboard_models import version_artifact_frame
from serving.services.errors import NotFound
from serving.services.guard import guarded
from serving.services.policy import Action, performs
from serving.services.psi import parts_psi, population_stability_index

__all__ = [
    "ALERT_THRESHOLD",
    "MODERATE_THRESHOLD",
    "REFERENCE_ARTIFACT",
    "DriftReport",
    "drift_columns",
    "drift_table",
    "feature_drift",
    "get_champion_drift",
    "get_feature_drift",
    "population_stability_index",
    "same_time_of_year",
]

# The training run's sample of its model's inputs (training.drift_reference); repeated here
# so that the dashboard does not import the training stack to read one file.
REFERENCE_ARTIFACT = "drift/reference_features.parquet"
MODERATE_THRESHOLD = 0.1
SEASON_TOLERANCE_DAYS = 7  # training dates this much further than the nearest still count
# Fewer reference rows at that time of year: compare with them all (PSI's noise on 10 bins is
# about 9 / rows, 0.02 at 500).
MIN_SEASONAL_ROWS = 500
ALERT_THRESHOLD = 0.25


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame | Sequence[pd.DataFrame],
    features: Sequence[str] | None = None,
    threshold: float = ALERT_THRESHOLD,
) -> pd.DataFrame:
    """One row per feature present in both frames, most drifted first: feature, family,
    label_fr, label_en, psi, level (stable, moderate, major), alert (psi over `threshold`).
    `current` may be given in parts (one académie's rows after the other): the same PSI as
    the rows taken whole."""
    parts = [current] if isinstance(current, pd.DataFrame) else list(current)
    columns = drift_columns(reference, parts[0] if parts else pd.DataFrame(), features)
    psi, _, _ = parts_psi(reference, parts, columns)
    return drift_table(psi, threshold)


def drift_columns(
    reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str] | None = None
) -> dict[str, bool]:
    """The features of `features` (default: the catalog's) in both frames, each with whether
    it is categorical."""
    names = [n for n in (features or feature_names()) if n in reference and n in current]
    return {name: feature_spec(name).kind == "categorical" for name in names}


def drift_table(psi: dict[str, float], threshold: float = ALERT_THRESHOLD) -> pd.DataFrame:
    """`feature_drift`'s table from each feature's PSI."""
    rows = []
    for name, value in psi.items():
        spec = feature_spec(name)
        level = (
            "major" if value >= ALERT_THRESHOLD
            else "moderate" if value >= MODERATE_THRESHOLD else "stable"
        )  # fmt: skip
        rows.append({"feature": name, "family": spec.family, "label_fr": spec.label_fr,
                     "label_en": spec.label_en, "psi": value, "level": level,
                     "alert": value >= threshold})  # fmt: skip
    columns = ["feature", "family", "label_fr", "label_en", "psi", "level", "alert"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


def _school_day(day: dt.date) -> int:
    """Days since 1 September of the day's school year."""
    start_year = day.year if day.month >= 9 else day.year - 1
    return (day - dt.date(start_year, 9, 1)).days


def same_time_of_year(
    reference: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, tuple[dt.date, ...]]:
    """(rows, their as-of dates) of `reference` at the time of the school year nearest to
    `as_of` (see the module docstring); all rows and no dates when the reference has no
    `as_of` column or too few rows at that time of year."""
    if "as_of" not in reference.columns or reference.empty:
        return reference, ()
    days = pd.to_datetime(reference["as_of"]).dt.date
    distance = {day: abs(_school_day(day) - _school_day(as_of)) for day in set(days)}
    nearest = min(distance.values())
    chosen = sorted(day for day, far in distance.items() if far <= nearest + SEASON_TOLERANCE_DAYS)
    rows = reference[days.isin(chosen).to_numpy()]
    if len(rows) < MIN_SEASONAL_ROWS:
        return reference, ()
    return rows, tuple(chosen)


@dataclass(frozen=True)
class DriftReport:
    """`feature_drift` of a week against a reference, and what the reference was: a
    registered version (`model_version`) or a file, and the training dates used."""

    drift: pd.DataFrame
    as_of: dt.date | None
    reference_dates: tuple[dt.date, ...]
    model_version: str | None = None
    reference_file: str | None = None


def _read_features(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise NotFound(f"feature file {path} does not exist")
    return pd.read_parquet(path)


def _audited_drift(
    store: Store, actor: Actor, reference: pd.DataFrame, week: WeekLineage, threshold: float,
    model_version: str | None = None, reference_file: str | None = None,
) -> DriftReport:  # fmt: skip
    current = week.features()
    reference, dates = same_time_of_year(reference, week.as_of)
    drift = feature_drift(reference, current, threshold=threshold)
    what = f"training of {model_version}" if model_version else reference_file
    record_read(
        store, actor, "read_drift", model_version=model_version,
        detail=f"{what} vs the week of {week.week.isoformat()}: "
        f"{int(drift['alert'].sum())} alerts",
    )  # fmt: skip
    return DriftReport(drift, week.as_of, dates, model_version, reference_file)


def _drift_week(store: Store, actor: Actor, week: dt.date | None) -> WeekLineage:
    """The week's lineage, once the actor may read drift (None: the latest week)."""
    with guarded(store, actor, Action.READ_DRIFT, read_only=True) as session:
        return recorded_week(session, week)


@performs(Action.READ_DRIFT)
def get_feature_drift(
    store: Store,
    actor: Actor,
    reference_file: str | Path,
    week: dt.date | None = None,
    threshold: float = ALERT_THRESHOLD,
) -> DriftReport:
    """`feature_drift` between a feature file of the training population (Parquet, as
    `vigie features` writes them) and the students of `week` (None: the latest week
    written), as its lists were scored. Data scientists only."""
    current = _drift_week(store, actor, week)
    reference = _read_features(Path(reference_file))
    return _audited_drift(store, actor, reference, current, threshold,
                          reference_file=Path(reference_file).name)  # fmt: skip


@performs(Action.READ_DRIFT)
def get_champion_drift(
    store: Store,
    actor: Actor,
    client: Any,
    name: str,
    week: dt.date | None = None,
    threshold: float = ALERT_THRESHOLD,
    version_or_alias: str = CHAMPION,
) -> DriftReport:
    """`feature_drift` of the students of `week` (None: the latest week written), as its
    lists were scored, against the training rows the registered version learned from (the
    sample its training run logged). Data scientists only; NotFound when the version or its
    sample does not exist."""
    current = _drift_week(store, actor, week)
    version, reference = version_artifact_frame(client, name, version_or_alias, REFERENCE_ARTIFACT)
    if reference is None:
        raise NotFound(f"version {version.version} of {name} has no {REFERENCE_ARTIFACT}")
    return _audited_drift(store, actor, reference, current, threshold,
                          model_version=f"{name}/{version.version}")  # fmt: skip
