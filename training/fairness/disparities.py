"""Disparity ratios of each group against a reference group, judged against the band.

A ratio is the group's metric divided by the reference group's, with a paired bootstrap
interval (both read the same resampled establishments). Status of each (group, metric):

- `reference`: the reference group itself;
- `too_small`: the group, or the reference, is too small to judge (`FairnessConfig`): no
  ratio is given;
- `undefined`: the reference's metric is 0 or undefined, so no ratio exists;
- `within_band` / `out_of_band`: the ratio's point estimate inside / outside the band.

`ci_outside_band` says the whole (uncorrected) interval lies outside the band; an
`out_of_band` ratio whose interval still meets the band may be noise. What the promotion gate
reads is `judge_recall`: the recall ratios of a family judged together, with intervals
corrected for their number (`correction`), `out_of_band_corrected` only when the corrected
interval lies entirely outside the band.

`within_kind` measures the sensitive groupings inside each kind of establishment (collège,
lycée GT, professionnel, polyvalent), each kind with its own reference group: a lower recall
of vocational students that comes from the kind of establishment (capacity and base rates
differ between kinds) is then told apart from a disparity between students of the same kind.
Recall leads: the list is a scarce, helpful intervention, so whom it misses matters most.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.fairness.config import FairnessConfig
from training.fairness.correction import corrected_band_test
from training.fairness.metrics import GroupMetrics, group_metrics, percentile_interval

__all__ = [
    "DISPARITY_METRICS",
    "KIND_GROUPING",
    "LEADING_METRIC",
    "SENSITIVE_GROUPINGS",
    "WithinKind",
    "disparities",
    "judge_recall",
    "ratio_replicates",
    "reference_groups",
    "within_kind",
]

LEADING_METRIC = "recall"
DISPARITY_METRICS: tuple[str, ...] = (
    LEADING_METRIC, "selection_rate", "false_positive_rate", "precision",
)  # fmt: skip


def reference_groups(metrics: GroupMetrics, config: FairnessConfig) -> dict[str, str | None]:
    """The reference group of each grouping: the configured one (ValueError if the grouping
    has no such group), else the judged group with the most students (None if none is judged;
    ties go to the first name in alphabetical order)."""
    table = metrics.table
    chosen: dict[str, str | None] = {}
    for grouping, names in metrics.groups.items():
        configured = config.reference_groups.get(grouping)
        if configured is not None:
            if configured not in names:
                raise ValueError(f"reference group {configured!r} of {grouping!r} is not among "
                                 f"its tested groups {names}")  # fmt: skip
            chosen[grouping] = configured
            continue
        judged = table[(table["grouping"] == grouping) & table["judged"]]
        if judged.empty:
            chosen[grouping] = None
            continue
        ordered = judged.sort_values(["students", "group"], ascending=[False, True], kind="stable")
        chosen[grouping] = str(ordered["group"].iloc[0])
    return chosen


def ratio_replicates(
    metrics: GroupMetrics, config: FairnessConfig, metric: str = LEADING_METRIC
) -> dict[tuple[str, ...], np.ndarray]:
    """The bootstrap replicates of each group's `metric` ratio to its reference group's
    (paired: the same resampled establishments), keyed by (grouping, group)."""
    references = reference_groups(metrics, config)
    ratios: dict[tuple[str, ...], np.ndarray] = {}
    for grouping, names in metrics.groups.items():
        reference = references[grouping]
        if reference is None:
            continue
        replicates = metrics.replicates[grouping][metric]
        denominators = replicates[:, [names.index(reference)]]
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(denominators > 0, replicates / denominators, np.nan)
        for position, group in enumerate(names):
            ratios[(grouping, group)] = values[:, position]
    return ratios


def judge_recall(
    table: pd.DataFrame,
    replicates: dict[tuple[str, ...], np.ndarray],
    config: FairnessConfig,
    groupings: tuple[str, ...] | None = None,
    keys: tuple[str, ...] = ("grouping", "group"),
) -> pd.DataFrame:
    """`table` (from `disparities`) with the recall ratios of the family judged together
    corrected for their number: `in_family`, `p_value`, `adjusted_level`, `ratio_low_adjusted`,
    `ratio_high_adjusted`, `out_of_band_corrected`, `tests`. The family is every recall ratio
    with a verdict (judged group and reference, defined ratio) in `groupings` (all when None);
    `replicates` are keyed by the values of `keys`."""
    table = table.copy()
    family = (table["metric"] == LEADING_METRIC) & table["status"].isin(
        ["within_band", "out_of_band"]
    )
    if groupings is not None:
        family &= table["grouping"].isin(groupings)
    chosen: dict[Hashable, np.ndarray] = {tuple(row): replicates[tuple(row)]
              for row in table.loc[family, list(keys)].itertuples(index=False)}  # fmt: skip
    table["in_family"] = family
    for column in ("p_value", "adjusted_level", "ratio_low_adjusted", "ratio_high_adjusted"):
        table[column] = math.nan
    table["out_of_band_corrected"] = False
    table["tests"] = len(chosen)
    if chosen:
        tested = corrected_band_test(chosen, config.band, 1 - config.level, config.correction)
        lookup = {key: row for key, row in zip(tested.index, tested.itertuples(), strict=True)}
        for index in table.index[family]:
            row = lookup[tuple(table.loc[index, list(keys)])]
            table.loc[index, "p_value"] = row.p_value
            table.loc[index, "adjusted_level"] = row.adjusted_level
            table.loc[index, "ratio_low_adjusted"] = row.adjusted_low
            table.loc[index, "ratio_high_adjusted"] = row.adjusted_high
            table.loc[index, "out_of_band_corrected"] = bool(row.out_of_band)
    return table


def disparities(metrics: GroupMetrics, config: FairnessConfig) -> pd.DataFrame:
    """One row per (grouping, group, metric) of `DISPARITY_METRICS`: `reference`, `ratio`,
    `ratio_low`, `ratio_high`, `status`, `ci_outside_band`, `judged`."""
    table = metrics.table.set_index(["grouping", "group"])
    low_band, high_band = config.band
    references = reference_groups(metrics, config)
    rows = []
    for grouping, names in metrics.groups.items():
        reference = references[grouping]
        reference_judged = reference is not None and bool(
            table.loc[(grouping, reference), "judged"]
        )
        for metric in DISPARITY_METRICS:
            replicates = metrics.replicates[grouping][metric]
            if reference is not None:
                position = names.index(reference)
                reference_value = float(table.loc[(grouping, reference), metric])
                with np.errstate(invalid="ignore", divide="ignore"):
                    denominators = replicates[:, [position]]
                    ratios = np.where(denominators > 0, replicates / denominators, np.nan)
                low, high = percentile_interval(ratios, config.level)
            for position, group in enumerate(names):
                judged = bool(table.loc[(grouping, group), "judged"])
                ratio, ratio_low, ratio_high = math.nan, math.nan, math.nan
                if reference is None:
                    status = "too_small"
                elif group == reference:
                    status, ratio = "reference", 1.0
                else:
                    value = float(table.loc[(grouping, group), metric])
                    if reference_value > 0 and not math.isnan(reference_value):
                        ratio = value / reference_value
                        ratio_low, ratio_high = float(low[position]), float(high[position])
                    if not (judged and reference_judged):
                        # No ratio for a group too small to judge: it would be read anyway.
                        status, ratio, ratio_low, ratio_high = "too_small", *[math.nan] * 3
                    elif math.isnan(ratio):
                        status = "undefined"
                    elif low_band <= ratio <= high_band:
                        status = "within_band"
                    else:
                        status = "out_of_band"
                outside = status not in ("reference", "too_small", "undefined") and (
                    ratio_high < low_band or ratio_low > high_band
                )
                rows.append({
                    "grouping": grouping, "group": group, "metric": metric,
                    "reference": reference, "ratio": ratio, "ratio_low": ratio_low,
                    "ratio_high": ratio_high, "status": status,
                    "ci_outside_band": bool(outside), "judged": judged,
                })  # fmt: skip
    return pd.DataFrame(rows)


KIND_GROUPING = "establishment_kind"
# The groupings of the gate: sensitive attributes of the students (never model inputs).
SENSITIVE_GROUPINGS: tuple[str, ...] = ("sex", "scholarship", "parent_pcs", "sex_x_scholarship")


@dataclass(frozen=True, eq=False)
class WithinKind:
    """The sensitive groupings measured inside each kind of establishment: `metrics` and
    `disparities` as the pooled ones with a leading `kind` column; `replicates` of the recall
    ratios keyed by (kind, grouping, group)."""

    metrics: pd.DataFrame
    disparities: pd.DataFrame
    replicates: dict[tuple[str, ...], np.ndarray]


def within_kind(frame: pd.DataFrame, groups: pd.DataFrame, config: FairnessConfig) -> WithinKind:
    """Per-group metrics and disparities of `SENSITIVE_GROUPINGS` within each establishment
    kind. Lists are per establishment-week and an establishment has one kind, so the rows of a
    kind hold exactly its lists; the bootstrap resamples that kind's establishments. A
    configured reference group absent from a kind falls back to its largest judged group."""
    sensitive = [name for name in SENSITIVE_GROUPINGS if name in groups.columns]
    metric_parts, table_parts = [], []
    replicates: dict[tuple[str, ...], np.ndarray] = {}
    for kind in sorted(groups[KIND_GROUPING].unique()):
        members = (groups[KIND_GROUPING] == kind).to_numpy()
        part, part_groups = frame.loc[members], groups.loc[members, sensitive]
        present = {name: set(part_groups[name]) for name in sensitive}
        settings = config.model_copy(update={"reference_groups": {
            name: group for name, group in config.reference_groups.items()
            if name in present and group in present[name]}})  # fmt: skip
        measured = group_metrics(part, part_groups, settings)
        metric_parts.append(measured.table.assign(kind=kind))
        table_parts.append(disparities(measured, settings).assign(kind=kind))
        for (grouping, group), values in ratio_replicates(measured, settings).items():
            replicates[(kind, grouping, group)] = values
    if not table_parts:
        return WithinKind(pd.DataFrame(), pd.DataFrame(), {})
    metrics = pd.concat(metric_parts, ignore_index=True)
    table = pd.concat(table_parts, ignore_index=True)
    first = ["kind"]
    return WithinKind(
        metrics[first + [c for c in metrics.columns if c != "kind"]],
        table[first + [c for c in table.columns if c != "kind"]],
        replicates,
    )
