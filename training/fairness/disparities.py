"""Disparity ratios of each group against a reference group, judged against the band.

A ratio is the group's metric divided by the reference group's, with a paired bootstrap
interval (both read the same resampled establishments). Status of each (group, metric):

- `reference`: the reference group itself;
- `too_small`: the group, or the reference, is too small to judge (`FairnessConfig`): no
  ratio is given;
- `undefined`: the reference's metric is 0 or undefined, so no ratio exists;
- `within_band` / `out_of_band`: the ratio's point estimate inside / outside the band.

`ci_outside_band` says the whole interval lies outside the band (the disparity is not
sampling noise); an `out_of_band` ratio whose interval still meets the band may be noise.
Recall leads: the list is a scarce, helpful intervention, so whom it misses matters most.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from training.fairness.config import FairnessConfig
from training.fairness.metrics import GroupMetrics, percentile_interval

__all__ = ["DISPARITY_METRICS", "LEADING_METRIC", "disparities", "reference_groups"]

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
