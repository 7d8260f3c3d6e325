"""The explanation audit: do the model's reasons lean differently on different groups?

From SHAP contributions (log-odds, `models.contributions`) of a sample of tested rows: the mean
contribution of each feature in each group, the features whose mean contribution differs most
between the judged groups of a grouping, and how often each reason family (`features.catalog`
`family`) is a row's top raising reason, per group. A row's top raising reason is chosen as
the reasons shown to watch units are (`models.reasons`): the own signal with the largest
positive contribution that the direction rule allows (compared with the class or level median
of the sampled rows when `frame` is given); context is never one (`none` when no own signal
raises the risk).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalog import FAMILIES, feature_spec
from models.reasons import (
    eligible_cells,
    numeric_values,
    reference_matrix,
    reference_medians,
    select_reasons,
)
from training.fairness.groups import GROUPING_NAMES

__all__ = [
    "NO_RAISING_REASON",
    "mean_contributions",
    "reason_families",
    "top_raising_family",
    "widest_differences",
]

NO_RAISING_REASON = "none"


def mean_contributions(contributions: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Long table: grouping, group, feature, mean_contribution, rows (sampled rows)."""
    features = [column for column in contributions.columns if column != "base_value"]
    parts = []
    for grouping in [name for name in GROUPING_NAMES if name in groups.columns]:
        grouped = contributions[features].groupby(groups[grouping].to_numpy())
        means = grouped.mean()
        sizes = grouped.size()
        long = (
            means.rename_axis("group")
            .reset_index()
            .melt(id_vars="group", var_name="feature", value_name="mean_contribution")
        )
        long["rows"] = long["group"].map(sizes).astype("int64")
        long.insert(0, "grouping", grouping)
        parts.append(long)
    return pd.concat(parts, ignore_index=True)


def widest_differences(means: pd.DataFrame, judged: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Per grouping, the `top` features whose mean contribution differs most between judged
    groups: `spread` (highest minus lowest group mean), `highest_group`, `lowest_group`.
    `judged` has columns grouping, group, judged (from the group metrics)."""
    keep = means.merge(judged[["grouping", "group", "judged"]], on=["grouping", "group"])
    keep = keep[keep["judged"]]
    rows = []
    for (grouping, feature), part in keep.groupby(["grouping", "feature"], sort=True):
        if part["group"].nunique() < 2:
            continue
        high = part.loc[part["mean_contribution"].idxmax()]
        low = part.loc[part["mean_contribution"].idxmin()]
        rows.append({
            "grouping": grouping, "feature": feature, "family": feature_spec(feature).family,
            "spread": float(high["mean_contribution"] - low["mean_contribution"]),
            "highest_group": high["group"], "highest": float(high["mean_contribution"]),
            "lowest_group": low["group"], "lowest": float(low["mean_contribution"]),
        })  # fmt: skip
    columns = ["grouping", "feature", "family", "spread", "highest_group", "highest",
               "lowest_group", "lowest"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    table = table.sort_values(["grouping", "spread"], ascending=[True, False], kind="stable")
    return table.groupby("grouping", sort=True).head(top).reset_index(drop=True)


def top_raising_family(contributions: pd.DataFrame, frame: pd.DataFrame | None = None) -> pd.Series:
    """Each row's top raising reason's family, or `none`. `frame` (the rows' features, same
    index) gives the values and references of the direction rule; without it, only the own
    signals filter applies."""
    features = [column for column in contributions.columns if column != "base_value"]
    values = contributions[features].to_numpy(dtype=float)
    if frame is None:
        own = np.array([feature_spec(name).signal == "own" for name in features])
        allowed = np.broadcast_to(own, values.shape)
        eligible = (allowed, allowed)
    else:
        present = frame.loc[contributions.index]
        numeric = numeric_values(present, features)
        references, _ = reference_matrix(reference_medians(present, features), present, features)
        eligible = eligible_cells(features, numeric, references)
    chosen = select_reasons(values, top=1, protective=0, min_share=0.0, eligible=eligible)
    families = np.array([feature_spec(name).family for name in features], dtype=object)
    out = np.full(len(values), NO_RAISING_REASON, dtype=object)
    out[chosen.row] = families[chosen.column]
    return pd.Series(out, index=contributions.index, name="family")


def reason_families(
    contributions: pd.DataFrame, groups: pd.DataFrame, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Long table: grouping, group, family, share (of the group's sampled rows whose top
    raising reason is in that family), rows. `frame`: see `top_raising_family`."""
    family = top_raising_family(contributions, frame)
    order = [*FAMILIES, NO_RAISING_REASON]
    parts = []
    for grouping in [name for name in GROUPING_NAMES if name in groups.columns]:
        shares = pd.crosstab(groups[grouping], family, normalize="index")
        shares = shares.reindex(columns=order, fill_value=0.0)
        sizes = groups[grouping].value_counts()
        long = (
            shares.rename_axis("group")
            .reset_index()
            .melt(id_vars="group", var_name="family", value_name="share")
        )
        long["rows"] = long["group"].map(sizes).astype("int64")
        long.insert(0, "grouping", grouping)
        parts.append(long)
    return pd.concat(parts, ignore_index=True)
