"""The fairness audit of one training run's tested lists, end to end, without I/O.

`audited_rows` joins the run's test predictions to the features and group attributes of the
same student-weeks; `run_audit` measures the lists per group (`metrics`, `disparities`), pooled
over every kind of establishment and within each kind (`disparities.within_kind`),
audits the explanations on a fixed-seed sample (`explanations`, SHAP values from
`models.contributions`) and looks for proxies of sensitive attributes among the model's
inputs (`proxies`). The result is aggregates only: no row, no student id, no attribute of a
single student, so it can be logged and shown to inspectors.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.contributions import contributions
from models.risk_model import RiskModel
from training.fairness.config import FairnessConfig
from training.fairness.disparities import (
    LEADING_METRIC,
    SENSITIVE_GROUPINGS,
    disparities,
    judge_recall,
    ratio_replicates,
    reference_groups,
    within_kind,
)
from training.fairness.explanations import mean_contributions, reason_families, widest_differences
from training.fairness.groups import ATTRIBUTE_COLUMNS, group_frame
from training.fairness.metrics import group_metrics
from training.fairness.proxies import detect_proxies

__all__ = [
    "AUDIT_ORDER", "LIST_COLUMNS", "SCORE_COLUMN", "FairnessAudit", "audited_rows", "run_audit",
]  # fmt: skip

SCORE_COLUMN = "lightgbm"  # the calibrated risk of the run's model in the test predictions
_KEYS = ["student_id", "as_of"]
# The order of the audited rows, which the audit's sample depends on.
AUDIT_ORDER = ["as_of", "uai", "student_id"]
# The columns of `audited_rows` that the audit of the lists reads (every row); the
# explanations and proxies read the features of a sample of rows only.
LIST_COLUMNS: tuple[str, ...] = (
    "student_id", "as_of", "uai", "school_year", "capacity", "label", "score",
    *ATTRIBUTE_COLUMNS,
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class FairnessAudit:
    """Everything the audit measured (aggregates only) and what it concluded.

    `metrics` and `disparities` pool every kind of establishment ("across kinds"; their recall
    ratios carry intervals corrected for their own number, reported, never blocking);
    `within_metrics` and `within_disparities` hold the sensitive groupings inside each kind.
    The promotion gate judges `gate_table`: the sensitive groupings' recall ratios pooled over
    kinds and within each kind, as one family corrected for its number (`_gate_family`)."""

    config: FairnessConfig
    context: dict[str, Any]
    metrics: pd.DataFrame
    disparities: pd.DataFrame
    references: dict[str, str | None]
    mean_contributions: pd.DataFrame
    differences: pd.DataFrame
    reason_families: pd.DataFrame
    proxies: pd.DataFrame
    proxy_importance: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    within_metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    within_disparities: pd.DataFrame = field(default_factory=pd.DataFrame)
    # What the gate judges: the sensitive groupings pooled over kinds and within each kind
    # (only pooled when no kind of establishment has a judged sensitive group).
    gate_scope: str = "pooled_and_within_establishment_kind"
    gate_table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def out_of_band(self, metric: str = LEADING_METRIC) -> pd.DataFrame:
        """Judged groups (pooled over kinds) whose ratio's point estimate for `metric` lies
        outside the band: reported, not what the gate judges."""
        table = self.disparities
        return table[(table["metric"] == metric) & (table["status"] == "out_of_band")]

    def corrected_out_of_band(self, within: bool = True) -> pd.DataFrame:
        """Recall ratios whose corrected interval lies outside the band: those the gate
        judges (`within`, see `gate_scope`) or every grouping pooled over kinds (reported)."""
        table = self.gate_table if within else self.disparities
        if table.empty or "out_of_band_corrected" not in table.columns:
            return table
        return table[table["out_of_band_corrected"].astype(bool)]

    def too_small(self) -> pd.DataFrame:
        return self.metrics[~self.metrics["judged"]]

    def proxies_found(self) -> pd.DataFrame:
        return self.proxies[self.proxies["flagged"]]

    def gate(self) -> dict[str, Any]:
        """What `vigie promote` reads. The gate judges the recall ratios of the sensitive
        groupings within each kind of establishment: a group is out of band only when its
        interval, corrected for the number of ratios judged (`config.correction`), lies
        entirely outside the band. The same test pooled over kinds is reported under
        `across_kinds`, not judged: it mixes the kinds' structural differences (capacity,
        base rates) with disparities between students of the same kind. When no kind has a
        sensitive group large enough to judge, the gate judges the sensitive groupings pooled
        over kinds (`scope` says which)."""
        alpha = 1 - self.config.level
        within = _family(self.gate_table)
        across = _family(self.disparities)
        failing = self.corrected_out_of_band(within=True)
        return {
            "metric": LEADING_METRIC,
            "band": list(self.config.band),
            "rule": "corrected_interval",
            "correction": self.config.correction,
            "alpha": alpha,
            "scope": self.gate_scope,
            "groupings": list(SENSITIVE_GROUPINGS),
            "tests": len(within),
            "adjusted_level": _strictest(alpha, len(within)),
            "judged_groups": len(within),
            "passed": bool(len(failing) == 0),
            "out_of_band": [_item(row) for row in failing.to_dict(orient="records")],
            "across_kinds": {
                "judged": False,
                "tests": len(across),
                "adjusted_level": _strictest(alpha, len(across)),
                "out_of_band": [_item(row) for row in
                                self.corrected_out_of_band(within=False).to_dict(orient="records")],
            },
        }  # fmt: skip


ALL_KINDS = "all_kinds"
"""The `kind` of a ratio pooled over every kind of establishment, in the gate's family."""


def _gate_family(
    pooled: pd.DataFrame,
    replicates: dict[tuple[str, ...], Any],
    kinds: Any,
    within_table: pd.DataFrame,
    config: FairnessConfig,
) -> tuple[str, pd.DataFrame]:
    """What the gate judges, as one family corrected for its number of ratios: the
    sensitive groupings pooled over every kind of establishment (`kind` = `ALL_KINDS`) and
    within each kind whose groups are large enough. Pooled, a disparity present in every
    kind keeps the power of the whole académie; within kind, a disparity is not mistaken for
    the kinds' structural differences (capacity, base rates), and one confined to a kind is
    seen. The groupings of establishment kind and track themselves are reported, not judged."""
    sensitive = pooled[pooled["grouping"].isin(SENSITIVE_GROUPINGS)].assign(kind=ALL_KINDS)
    keyed = {(ALL_KINDS, *key): values for key, values in replicates.items()}
    judged_within = len(within_table) and within_table["in_family"].any()
    if judged_within:
        raw = kinds.disparities
        combined = pd.concat([sensitive, raw], ignore_index=True)
        keyed.update(kinds.replicates)
        scope = "pooled_and_within_establishment_kind"
    else:  # no kind has groups large enough: the sensitive groupings pooled over kinds only
        combined, scope = sensitive.reset_index(drop=True), "all_kinds_pooled"
    table = judge_recall(
        combined, keyed, config, SENSITIVE_GROUPINGS, ("kind", "grouping", "group")
    )
    return scope, table


def _family(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty or "in_family" not in table.columns:
        return table.iloc[0:0]
    return table[table["in_family"].astype(bool)]


def _strictest(alpha: float, tests: int) -> float | None:
    """The level of the first (Bonferroni: every) interval of a family of `tests` ratios."""
    return 1 - alpha / tests if tests else None


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {"kind": row.get("kind"), "grouping": row["grouping"], "group": row["group"],
            "reference": row["reference"], "ratio": row["ratio"],
            "ratio_low": row["ratio_low_adjusted"], "ratio_high": row["ratio_high_adjusted"],
            "level": row["adjusted_level"], "p_value": row["p_value"],
            "uncorrected_low": row["ratio_low"], "uncorrected_high": row["ratio_high"],
            "ci_outside_band": True}  # fmt: skip


def audited_rows(predictions: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The tested student-weeks, each with its score, label, capacity, the model features and
    the group attributes, sorted by (as_of, uai, student_id) so that samples are reproducible.

    `predictions` are a run's test predictions (`training.fitting.score_fold`); with repeated
    k-fold, only the first repeat is kept (a student-week is audited once). `features` holds
    the same student-weeks' feature rows (a feature frame or training snapshots).
    """
    rows = predictions
    if "repeat" in rows.columns:
        rows = rows[rows["repeat"] == rows["repeat"].min()]
    keep = ["student_id", "as_of", "uai", "school_year", "capacity", "label", SCORE_COLUMN]
    missing = [column for column in keep if column not in rows.columns]
    if missing:
        raise ValueError(f"the test predictions lack the columns {missing}")
    rows = rows.loc[:, keep].rename(columns={SCORE_COLUMN: "score"})
    rows = rows.assign(student_id=rows["student_id"].astype(str),
                       as_of=pd.to_datetime(rows["as_of"]).astype("datetime64[us]"))  # fmt: skip
    taken = [c for c in features.columns if c not in rows.columns or c in _KEYS]
    extra = features.loc[:, taken].assign(
        student_id=features["student_id"].astype(str),
        as_of=pd.to_datetime(features["as_of"]).astype("datetime64[us]"),
    )
    if extra.duplicated(_KEYS).any():
        raise ValueError("the feature rows hold a student twice at the same as-of date")
    merged = rows.merge(extra, on=_KEYS, how="left", validate="1:1", indicator=True)
    unmatched = int((merged.pop("_merge") != "both").sum())
    if unmatched:
        raise ValueError(f"{unmatched} tested student-weeks have no feature row: the features "
                         "were not built from the run's extraction")  # fmt: skip
    missing = [column for column in ATTRIBUTE_COLUMNS if column not in merged.columns]
    if missing:
        raise ValueError(f"the feature rows lack the group attributes {missing}")
    merged["label"] = merged["label"].astype(bool)
    merged = merged.sort_values(AUDIT_ORDER, kind="stable")
    return merged.reset_index(drop=True)


def run_audit(
    rows: pd.DataFrame,
    model: RiskModel,
    config: FairnessConfig,
    context: Mapping[str, Any] | None = None,
    sampled: Callable[[pd.Index], pd.DataFrame] | None = None,
) -> FairnessAudit:
    """Audit the lists and explanations of `model` on `rows` (from `audited_rows`).
    `sampled`: the whole rows (features included) of the given labels of `rows`, in that
    order, when `rows` holds only the columns the lists read (`LIST_COLUMNS`: a cluster
    training keeps the features on its workers); default, `rows` themselves."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    groups = group_frame(rows)
    measured = group_metrics(rows, groups, config)
    pooled = disparities(measured, config)
    replicates = ratio_replicates(measured, config)
    table = judge_recall(pooled, replicates, config)
    kinds = within_kind(rows, groups, config)
    within_table = kinds.disparities
    if len(within_table):
        within_table = judge_recall(within_table, kinds.replicates, config, SENSITIVE_GROUPINGS,
                                    ("kind", "grouping", "group"))  # fmt: skip
    gate_scope, gate_table = _gate_family(pooled, replicates, kinds, within_table, config)
    timings["lists_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    size = min(config.sample_rows, len(rows))
    picked = rows.sample(n=size, random_state=config.seed).sort_index().index
    sample = rows.loc[picked] if sampled is None else sampled(picked)
    sample_groups = groups.loc[sample.index]
    values = contributions(model, sample)
    means = mean_contributions(values, sample_groups)
    judged = measured.table[["grouping", "group", "judged"]]
    differences = widest_differences(means, judged, config.top_features)
    families = reason_families(values, sample_groups, sample)
    timings["explanations_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    proxies, importance = detect_proxies(
        sample, list(model.feature_names), config.proxy_auc_threshold, config.proxy_folds,
        config.seed, config.top_features,
    )  # fmt: skip
    timings["proxies_seconds"] = time.perf_counter() - started
    years = sorted(rows["school_year"].astype(str).unique())
    described = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tested_rows": len(rows),
        "tested_students": int(rows["student_id"].nunique()),
        "tested_dropouts": int(rows.loc[rows["label"], "student_id"].nunique()),
        "establishments": int(rows["uai"].nunique()),
        "as_of_dates": int(rows["as_of"].nunique()),
        "school_years": years,
        "sample_rows": int(size),
        "model_hash": getattr(model, "model_hash_", None),
        **dict(context or {}),
    }
    return FairnessAudit(
        config, described, measured.table, table, reference_groups(measured, config),
        means, differences, families, proxies, importance, timings, kinds.metrics, within_table,
        gate_scope, gate_table,
    )  # fmt: skip
