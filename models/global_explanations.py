"""The global view of the risk model: mean |SHAP| per feature and per family.

What the model leans on overall, in log-odds, for data scientists and inspectors:
`global_explanations` is a pure table; `log_global_explanations` writes it (CSV and JSON) and a
bar chart (PNG) as artifacts of the active MLflow run, under `explanations/`. Contributions are
computed in chunks, so memory stays bounded whatever the number of rows; `sample_rows` caps the
work on very large frames with a seeded sample.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from features.catalog import feature_spec
from features.feature_set import FeatureSet
from features.jsonio import write_json
from models.contributions import BASE_VALUE, DEFAULT_CHUNK_ROWS, iter_contributions
from models.risk_model import Features, RiskModel

__all__ = [
    "ARTIFACT_DIR",
    "global_explanations",
    "log_global_explanations",
    "plot_global_explanations",
]

ARTIFACT_DIR = "explanations"
# A seeded sample bounds the cost of logging; the standard error of a mean over 50,000 rows
# is its standard deviation / 224.
DEFAULT_SAMPLE_ROWS = 50_000


def global_explanations(
    model: RiskModel,
    features: Features,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    sample_rows: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per feature, then one per family (`level` says which), largest first within
    each level: `mean_abs_shap` (mean |contribution| in log-odds), `mean_shap` (signed mean),
    `share` (of the total mean |SHAP| of the level), `label_fr`, `label_en`, `rows`.

    Family rows add up their features' |contributions| row by row before averaging, so a
    family is as large as the sum of its features. With `sample_rows`, a seeded sample of that
    many rows (without replacement) is explained instead of every row."""
    frame = features.frame if isinstance(features, FeatureSet) else features
    if len(frame) == 0:
        raise ValueError("global explanations need at least one row")
    if sample_rows is not None and sample_rows < len(frame):
        positions = np.sort(np.random.default_rng(seed).choice(len(frame), sample_rows, False))
        frame = frame.iloc[positions]
    names = list(model.feature_names)
    families = [feature_spec(name).family for name in names]
    family_names = list(dict.fromkeys(families))
    family_index = np.array([family_names.index(family) for family in families])
    absolute = np.zeros(len(names))
    signed = np.zeros(len(names))
    family_absolute = np.zeros(len(family_names))
    rows = 0
    for chunk in iter_contributions(model, frame, chunk_rows):
        values = chunk.drop(columns=BASE_VALUE).to_numpy(dtype="float64")
        absolute += np.abs(values).sum(axis=0)
        signed += values.sum(axis=0)
        per_family = np.zeros((len(values), len(family_names)))
        for position, family in enumerate(family_index):
            per_family[:, family] += values[:, position]
        family_absolute += np.abs(per_family).sum(axis=0)
        rows += len(values)
    by_feature = pd.DataFrame({
        "level": "feature", "name": names, "family": families,
        "mean_abs_shap": absolute / rows, "mean_shap": signed / rows,
        "label_fr": [feature_spec(name).label_fr for name in names],
        "label_en": [feature_spec(name).label_en for name in names],
    })  # fmt: skip
    family_signed = np.bincount(family_index, weights=signed, minlength=len(family_names))
    by_family = pd.DataFrame({
        "level": "family", "name": family_names, "family": family_names,
        "mean_abs_shap": family_absolute / rows, "mean_shap": family_signed / rows,
        "label_fr": [_FAMILY_LABELS[f][0] for f in family_names],
        "label_en": [_FAMILY_LABELS[f][1] for f in family_names],
    })  # fmt: skip
    parts = []
    for part in (by_feature, by_family):
        part = part.sort_values("mean_abs_shap", ascending=False, kind="stable")
        total = part["mean_abs_shap"].sum()
        part["share"] = part["mean_abs_shap"] / total if total > 0 else 0.0
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table["rows"] = rows
    return table.loc[:, ["level", "name", "family", "mean_abs_shap", "mean_shap", "share",
                         "label_fr", "label_en", "rows"]]  # fmt: skip


_FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "attendance": ("Assiduité", "Attendance"),
    "grades": ("Notes", "Grades"),
    "exams_and_path": ("Examens et parcours", "Exams and path"),
    "context": ("Contexte de l'établissement", "Establishment context"),
}


def plot_global_explanations(table: pd.DataFrame, path: Path, top: int = 20) -> Path:
    """A bar chart of mean |SHAP| of the `top` features (coloured by family) and of the
    families, written as a PNG (matplotlib's Agg canvas, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    features = table[table["level"] == "feature"].head(top).iloc[::-1]
    families = table[table["level"] == "family"].iloc[::-1]
    figure = Figure(figsize=(9.0, 8.0), layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(2, 1, height_ratios=(4, 1))
    palette = dict(zip(_FAMILY_LABELS, ("C0", "C1", "C2", "C3"), strict=True))
    left.barh(features["name"], features["mean_abs_shap"],
              color=[palette.get(f, "C7") for f in features["family"]])  # fmt: skip
    left.set_title(f"Mean |SHAP| per feature (log-odds), top {len(features)}")
    right.barh(families["name"], families["mean_abs_shap"],
               color=[palette.get(f, "C7") for f in families["family"]])  # fmt: skip
    right.set_title("Mean |SHAP| per family (log-odds)")
    right.set_xlabel(f"mean |contribution| over {int(table['rows'].iloc[0]):,} rows")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def log_global_explanations(
    model: RiskModel,
    features: Features,
    *,
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
    artifact_dir: str = ARTIFACT_DIR,
) -> pd.DataFrame:
    """Compute the global view and log it to the active MLflow run: `global_shap.csv`,
    `global_shap.json` and `global_shap.png` under `artifact_dir`. Returns the table."""
    import mlflow

    if mlflow.active_run() is None:
        raise RuntimeError("log_global_explanations needs an active MLflow run")
    table = global_explanations(model, features, sample_rows=sample_rows, seed=seed)
    with tempfile.TemporaryDirectory(prefix="vigie-explanations-") as tmp:
        folder = Path(tmp)
        table.to_csv(folder / "global_shap.csv", index=False)
        payload = {
            "rows": int(table["rows"].iloc[0]),
            "space": "log-odds (raw score)",
            "model_hash": model.model_hash_,
            "features": _records(table, "feature"),
            "families": _records(table, "family"),
        }
        write_json(folder / "global_shap.json", payload, indent=2, ascii=False)
        plot_global_explanations(table, folder / "global_shap.png")
        for name in ("global_shap.csv", "global_shap.json", "global_shap.png"):
            mlflow.log_artifact(str(folder / name), artifact_dir)
    return table


def _records(table: pd.DataFrame, level: str) -> list[dict[str, object]]:
    part = table[table["level"] == level].drop(columns=["level", "rows"])
    return part.to_dict(orient="records")
