"""The training population the dashboard measures drift against.

Every training run logs a seeded sample of the registered model's own training rows, model
inputs only with their as-of date (no student id, no label, no sensitive attribute), as
`drift/reference_features.parquet`. The date lets the drift page compare a week with the
training rows of the same time of the school year: in November the previous period's mean
does not exist yet and few marks are in, which would otherwise look like drift every autumn.
The drift page compares this week's feature file with the sample of the version that is
champion, so drift is measured against what that model learned from, without pointing the
dashboard at a file by hand.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from features.catalog import feature_names

__all__ = ["REFERENCE_ARTIFACT", "REFERENCE_ROWS", "log_drift_reference", "reference_sample"]

REFERENCE_ARTIFACT = "drift/reference_features.parquet"
# 50,000 rows put a decile's share within about +-0.3 points (95 %): PSI noise far under the
# 0.1 of a moderate shift, for a file of a few MB.
REFERENCE_ROWS = 50_000


def reference_sample(
    train: pd.DataFrame, rows: int | None = REFERENCE_ROWS, seed: int = 0
) -> pd.DataFrame:
    """`as_of` and the model inputs of `train` (catalog order), sampled to `rows` rows
    without replacement (all rows when there are fewer, or when `rows` is None)."""
    names = [name for name in feature_names() if name in train.columns]
    missing = sorted(set(feature_names()) - set(names))
    if missing:
        raise ValueError(f"training rows lack features {missing}")
    if "as_of" not in train.columns:
        raise ValueError("training rows lack their as_of date")
    inputs = train.loc[:, ["as_of", *names]]
    if rows is not None and len(inputs) > rows:
        inputs = inputs.sample(n=rows, random_state=seed)
    return inputs.reset_index(drop=True)


def log_drift_reference(train: pd.DataFrame, seed: int = 0) -> int:
    """Log `reference_sample(train)` to the active MLflow run; returns its row count."""
    import mlflow

    if mlflow.active_run() is None:
        raise RuntimeError("log_drift_reference needs an active MLflow run")
    sample = reference_sample(train, seed=seed)
    name = Path(REFERENCE_ARTIFACT)
    with tempfile.TemporaryDirectory(prefix="vigie-drift-") as tmp:
        path = Path(tmp) / name.name
        sample.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), str(name.parent))
    return len(sample)
