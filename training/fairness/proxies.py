"""Proxy detection: can the model's inputs recover a sensitive attribute it never sees?

For each sensitive attribute (as a yes/no question: girl, scholarship holder, disadvantaged or
favoured background), a small LightGBM (shallow trees, few rounds) learns it from exactly the
model's features. Its AUC is cross-validated with folds grouped by student (a student's weeks
never sit on both sides), and the features that carry the attribute are found by permutation
importance on the held-out folds (AUC lost when one feature is shuffled; only the classifier's
strongest features by gain are shuffled, which keeps the audit fast). An AUC at or above
the threshold flags a proxy: the model could treat that group differently without being told.
"""

from __future__ import annotations

import math

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from features.catalog import CATEGORIES
from models.encoding import encode_features

__all__ = ["PROXY_TARGETS", "detect_proxies", "proxy_targets"]

PROXY_TARGETS: dict[str, tuple[str, str]] = {
    "sex_female": ("Sexe : fille", "Sex: girl"),
    "scholarship_holder": ("Boursier", "Scholarship holder"),
    "pcs_disadvantaged": ("PCS défavorisée", "Disadvantaged background"),
    "pcs_favored": ("PCS favorisée (A ou B)", "Favoured background (A or B)"),
}
_PARAMS = {
    "objective": "binary", "learning_rate": 0.1, "num_leaves": 8, "min_data_in_leaf": 40,
    "feature_fraction": 1.0, "deterministic": True, "force_row_wise": True,
    "num_threads": 1, "verbosity": -1,
}  # fmt: skip
_ROUNDS = 60
_PERMUTED = 12  # features shuffled per fold: the classifier's strongest by gain


def proxy_targets(attributes: pd.DataFrame) -> pd.DataFrame:
    """The yes/no sensitive questions (float 1/0, NaN when the attribute is unknown)."""
    sex = attributes["sex"].astype("object")
    level = pd.to_numeric(attributes["scholarship_level"], errors="coerce").astype("float64")
    pcs = attributes["parent_pcs"].astype("object")
    known_pcs = pcs.notna() & (pcs != "unknown")
    return pd.DataFrame({
        "sex_female": (sex == "F").astype(float).where(sex.notna()),
        "scholarship_holder": (level > 0).astype(float).where(level.notna()),
        "pcs_disadvantaged": (pcs == "disadvantaged").astype(float).where(known_pcs),
        "pcs_favored": pcs.isin(["favored_a", "favored_b"]).astype(float).where(known_pcs),
    }, index=attributes.index)  # fmt: skip


def _fit(values: np.ndarray, target: np.ndarray, names: list[str], seed: int) -> lgb.Booster:
    categorical = [i for i, name in enumerate(names) if name in CATEGORIES]
    dataset = lgb.Dataset(values, label=target, feature_name=names,
                          categorical_feature=categorical, params={"verbosity": -1})  # fmt: skip
    return lgb.train({**_PARAMS, "seed": seed}, dataset, num_boost_round=_ROUNDS)


def _one_target(
    values: np.ndarray, target: np.ndarray, students: np.ndarray, names: list[str],
    folds: int, seed: int,
) -> tuple[float, np.ndarray]:  # fmt: skip
    out_of_fold = np.full(len(target), math.nan)
    importance = np.zeros(len(names))
    rng = np.random.default_rng(seed)
    for train, held_out in GroupKFold(n_splits=folds).split(values, target, students):
        if (
            target[train].min() == target[train].max()
            or target[held_out].min() == target[held_out].max()
        ):
            continue
        booster = _fit(values[train], target[train], names, seed)
        held = values[held_out]
        out_of_fold[held_out] = booster.predict(held)
        base = roc_auc_score(target[held_out], out_of_fold[held_out])
        gain = booster.feature_importance(importance_type="gain")
        # Only features the classifier used can carry the attribute; shuffle the strongest.
        used = [i for i in np.argsort(-gain, kind="stable")[:_PERMUTED] if gain[i] > 0]
        for column in used:
            shuffled = held.copy()
            shuffled[:, column] = rng.permutation(shuffled[:, column])
            drop = base - roc_auc_score(target[held_out], booster.predict(shuffled))
            importance[column] += drop / folds
    scored = ~np.isnan(out_of_fold)
    if scored.sum() == 0 or target[scored].min() == target[scored].max():
        return math.nan, importance
    return float(roc_auc_score(target[scored], out_of_fold[scored])), importance


def detect_proxies(
    sample: pd.DataFrame,
    feature_names: list[str],
    threshold: float,
    folds: int = 3,
    seed: int = 0,
    top: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, importance) over the sampled rows (features, sensitive attributes and
    `student_id`). Summary: one row per target with `rows`, `positive_share`, `auc`,
    `flagged` and `carried_by` (the top features, comma-separated). Importance: target,
    feature, auc_drop (the `top` largest positive drops per target)."""
    encoded = encode_features(sample, feature_names).to_numpy(dtype="float64")
    targets = proxy_targets(sample)
    students = sample["student_id"].astype(str).to_numpy()
    summary, importance_rows = [], []
    for name in PROXY_TARGETS:
        known = targets[name].notna().to_numpy()
        target = targets[name].to_numpy()[known]
        usable = known.sum() >= 10 * folds and 0 < target.sum() < len(target)
        auc, importance = math.nan, np.zeros(len(feature_names))
        if usable and len(np.unique(students[known])) >= folds:
            auc, importance = _one_target(encoded[known], target, students[known],
                                          list(feature_names), folds, seed)  # fmt: skip
        order = np.argsort(-importance, kind="stable")
        carriers = [feature_names[i] for i in order[:top] if importance[i] > 0]
        for i in order[:top]:
            if importance[i] > 0:
                importance_rows.append({"target": name, "feature": feature_names[i],
                                        "auc_drop": float(importance[i])})  # fmt: skip
        summary.append({
            "target": name, "rows": int(known.sum()),
            "positive_share": float(target.mean()) if len(target) else math.nan,
            "auc": auc, "flagged": bool(not math.isnan(auc) and auc >= threshold),
            "carried_by": ", ".join(carriers),
        })  # fmt: skip
    return pd.DataFrame(summary), pd.DataFrame(
        importance_rows, columns=["target", "feature", "auc_drop"]
    )
