"""Drift of each model input between the training population and this week's students,
measured by the population stability index (PSI), with an alert over a threshold.

PSI = sum over bins of (current share - reference share) * ln(current share / reference
share), with bins from the reference's deciles (numeric features; missing values are a bin of
their own) or the categories (categorical features). Common reading: under 0.1 stable, 0.1 to
0.25 a moderate shift, over 0.25 a major one. Pure functions, then the data scientist's
service (audited, like every read of the dashboard).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import feature_names, feature_spec
from serving.db.engine import Store
from serving.services.actor import Actor
from serving.services.audit import record_read, refusing
from serving.services.dashboard_access import may_read_drift, require
from serving.services.dashboard_models import artifact_frame, resolve_version
from serving.services.errors import NotFound

__all__ = [
    "ALERT_THRESHOLD",
    "MODERATE_THRESHOLD",
    "REFERENCE_ARTIFACT",
    "feature_drift",
    "get_champion_drift",
    "get_feature_drift",
    "population_stability_index",
]

# The training run's sample of its model's inputs (training.drift_reference); repeated here
# so that the dashboard does not import the training stack to read one file.
REFERENCE_ARTIFACT = "drift/reference_features.parquet"
MODERATE_THRESHOLD = 0.1
ALERT_THRESHOLD = 0.25
_EPSILON = 1e-4  # floor of a bin's share, so an empty bin does not make PSI infinite
_MISSING = "__missing__"


def _shares(labels: pd.Series, bins: Sequence[object]) -> np.ndarray:
    counts = labels.value_counts().reindex(list(bins), fill_value=0).to_numpy(dtype="float64")
    total = counts.sum()
    shares = counts / total if total else counts
    return np.clip(shares, _EPSILON, None)


def population_stability_index(
    reference: pd.Series, current: pd.Series, bins: int = 10, categorical: bool = False
) -> float:
    """PSI of `current` against `reference` (see the module docstring)."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2, not {bins}")
    if reference.empty or current.empty:
        raise ValueError("PSI needs rows in both populations")
    if categorical:
        ref = reference.astype("string").fillna(_MISSING)
        cur = current.astype("string").fillna(_MISSING)
        labels = sorted(set(ref) | set(cur))
        return _psi(_shares(ref, labels), _shares(cur, labels))
    ref_values = pd.to_numeric(reference, errors="coerce").astype("float64")
    cur_values = pd.to_numeric(current, errors="coerce").astype("float64")
    known = ref_values.dropna()
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1))) if len(known) else []
    inner = edges[1:-1] if len(edges) > 2 else np.array([])

    def binned(values: pd.Series) -> pd.Series:
        codes = np.searchsorted(inner, values.to_numpy(), side="right").astype(object)
        codes[values.isna().to_numpy()] = _MISSING
        return pd.Series(codes, dtype=object)

    labels = [*range(len(inner) + 1), _MISSING]
    return _psi(_shares(binned(ref_values), labels), _shares(binned(cur_values), labels))


def _psi(reference: np.ndarray, current: np.ndarray) -> float:
    return float(np.sum((current - reference) * np.log(current / reference)))


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str] | None = None,
    threshold: float = ALERT_THRESHOLD,
) -> pd.DataFrame:
    """One row per feature present in both frames, most drifted first: feature, family,
    label_fr, label_en, psi, level (stable, moderate, major), alert (psi over `threshold`)."""
    names = [n for n in (features or feature_names()) if n in reference and n in current]
    rows = []
    for name in names:
        spec = feature_spec(name)
        psi = population_stability_index(
            reference[name], current[name], categorical=spec.kind == "categorical"
        )
        level = (
            "major" if psi >= ALERT_THRESHOLD
            else "moderate" if psi >= MODERATE_THRESHOLD else "stable"
        )  # fmt: skip
        rows.append({"feature": name, "family": spec.family, "label_fr": spec.label_fr,
                     "label_en": spec.label_en, "psi": psi, "level": level,
                     "alert": psi >= threshold})  # fmt: skip
    columns = ["feature", "family", "label_fr", "label_en", "psi", "level", "alert"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


def _read_features(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise NotFound(f"feature file {path} does not exist")
    return pd.read_parquet(path)


def _audited_drift(
    store: Store, actor: Actor, reference: pd.DataFrame, reference_name: str,
    current_file: Path, threshold: float, model_version: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    drift = feature_drift(reference, _read_features(current_file), threshold=threshold)
    record_read(
        store, actor, "read_drift", model_version=model_version,
        detail=f"{reference_name} vs {current_file.name}: {int(drift['alert'].sum())} alerts",
    )  # fmt: skip
    return drift


def get_feature_drift(
    store: Store,
    actor: Actor,
    reference_file: str | Path,
    current_file: str | Path,
    threshold: float = ALERT_THRESHOLD,
) -> pd.DataFrame:
    """`feature_drift` between two feature files (Parquet, as `vigie features` writes them):
    the training population and this week's. Data scientists only."""
    with refusing(store, actor, read_only=True):
        require(may_read_drift(actor), "read_drift", "drift is not for this role")
    reference = _read_features(Path(reference_file))
    return _audited_drift(store, actor, reference, Path(reference_file).name,
                          Path(current_file), threshold)  # fmt: skip


def get_champion_drift(
    store: Store,
    actor: Actor,
    client: Any,
    name: str,
    current_file: str | Path,
    threshold: float = ALERT_THRESHOLD,
    version_or_alias: str = "champion",
) -> tuple[str, pd.DataFrame]:
    """(version, `feature_drift`) of this week's feature file against the training rows the
    registered version learned from (the sample its training run logged). Data scientists
    only; NotFound when the version or its sample does not exist."""
    with refusing(store, actor, read_only=True):
        require(may_read_drift(actor), "read_drift", "drift is not for this role")
    version = resolve_version(client, name, version_or_alias)
    reference = (
        artifact_frame(client.tracking_uri, version.run_id, REFERENCE_ARTIFACT)
        if version.run_id
        else None
    )
    if reference is None:
        raise NotFound(f"version {version.version} of {name} has no {REFERENCE_ARTIFACT}")
    label = f"{name}/{version.version}"
    drift = _audited_drift(store, actor, reference, f"training of {label}",
                           Path(current_file), threshold, model_version=label)  # fmt: skip
    return str(version.version), drift
