"""The run's plots: PR curve, reliability curve, precision@k by month, feature importance.

Figures are drawn on matplotlib's Agg canvas, created inside each function (no pyplot, no
global backend switch, nothing at import): safe on a server without a display and in tests.
Each function writes one PNG and returns its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from training.evaluation import model_frames, precision_by_month
from training.fitting import PRIMARY, PROBABILITY_MODELS, RAW_COLUMN
from training.metrics import reliability_curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_feature_importance",
    "plot_pr_curves",
    "plot_precision_by_month",
    "plot_reliability",
    "write_plots",
]


def _figure(width: float = 7.0, height: float = 4.5) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def plot_pr_curves(predictions: pd.DataFrame, path: Path) -> Path:
    """Precision-recall curve of every model over all tested student-weeks."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure, axes = _figure()
    for name, frame in model_frames(predictions).items():
        label = frame["label"].to_numpy(dtype=bool)
        if label.all() or not label.any():
            continue
        precision, recall, _ = precision_recall_curve(label, frame["score"])
        average = average_precision_score(label, frame["score"])
        axes.plot(recall, precision, label=f"{name} (AP {average:.3f})", linewidth=1.4)
    axes.axhline(predictions["label"].mean(), color="grey", linestyle=":", label="dropout rate")
    axes.set(xlabel="recall", ylabel="precision", title="Precision-recall, tested student-weeks",
             xlim=(0, 1), ylim=(0, 1))  # fmt: skip
    axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path, dpi=110)
    return path


def plot_reliability(predictions: pd.DataFrame, path: Path, n_bins: int = 10) -> Path:
    """Observed dropout rate against predicted risk (quantile bins), calibrated and not."""
    figure, axes = _figure(5.5, 5.0)
    label = predictions["label"].to_numpy(dtype=bool)
    curves = {name: predictions[name] for name in PROBABILITY_MODELS if name in predictions}
    if RAW_COLUMN in predictions:
        curves[f"{PRIMARY} before calibration"] = predictions[RAW_COLUMN]
    top = 0.0
    for name, prob in curves.items():
        curve = reliability_curve(label, prob.to_numpy(dtype=float), n_bins=n_bins)
        axes.plot(curve["mean_predicted"], curve["observed_rate"], marker="o", label=name,
                  linewidth=1.2, markersize=3)  # fmt: skip
        top = max(top, curve["mean_predicted"].max(), curve["observed_rate"].max())
    limit = min(1.0, top * 1.1 or 1.0)
    axes.plot([0, limit], [0, limit], color="grey", linestyle=":", label="perfect calibration")
    axes.set(xlabel="mean predicted risk", ylabel="observed dropout rate",
             title="Reliability (10 quantile bins)", xlim=(0, limit), ylim=(0, limit))  # fmt: skip
    axes.legend(loc="upper left", fontsize=8)
    figure.savefig(path, dpi=110)
    return path


def plot_precision_by_month(predictions: pd.DataFrame, path: Path, rule: str = "k") -> Path:
    """Pooled precision of the weekly lists under `rule`, per month of the tested year(s)."""
    monthly = precision_by_month(predictions, rule)
    figure, axes = _figure()
    for name, rows in monthly.groupby("model", sort=False):
        axes.plot(rows["month"], rows["precision"], marker="o", label=name, linewidth=1.2)
    axes.set(xlabel="month of the list", ylabel=f"precision@{rule}",
             title=f"Precision of the weekly lists at {rule}, by month")  # fmt: skip
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper right", fontsize=8)
    figure.autofmt_xdate()
    figure.savefig(path, dpi=110)
    return path


def plot_feature_importance(importance: pd.Series, path: Path, top: int = 20) -> Path:
    """Total gain of the `top` most important features of the final model."""
    shown = importance.head(top)[::-1]
    figure, axes = _figure(7.0, max(3.0, 0.28 * len(shown) + 1))
    share = shown / max(float(importance.sum()), np.finfo(float).tiny)
    axes.barh(list(shown.index), share.to_numpy(), color="#3b6ea5")
    axes.set(xlabel="share of total gain", title=f"Feature importance (gain), top {len(shown)}")
    figure.savefig(path, dpi=110)
    return path


def write_plots(
    predictions: pd.DataFrame, importance: pd.Series, directory: Path, rule: str = "k"
) -> list[Path]:
    """Every plot of a run into `directory` (k-fold: from the first repeat)."""
    directory.mkdir(parents=True, exist_ok=True)
    if "repeat" in predictions.columns:  # k-fold: each repeat covers every row once
        predictions = predictions[predictions["repeat"] == predictions["repeat"].min()]
    return [
        plot_pr_curves(predictions, directory / "pr_curve.png"),
        plot_reliability(predictions, directory / "reliability_curve.png"),
        plot_precision_by_month(predictions, directory / "precision_by_month.png", rule),
        plot_feature_importance(importance, directory / "feature_importance.png"),
    ]

