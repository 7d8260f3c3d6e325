"""Reasons for a score: a student's own signals that weigh most, as sentences a watch unit reads.

Pure functions on frames and arrays (no model, no I/O): `models.explanations` feeds them the
contributions of `models.contributions` and the calibration map. Three kinds of rows:

- "why": an own signal (`features.catalog`, `signal == "own"`) that raises the risk;
- "protective": an own signal that lowers it;
- "context": every context feature (level, track, establishment), never a reason nor a
  protective factor, shown apart so that a reader sees how much of the score comes from it.

Each reason states the student's value and one comparison that needs no second reference: the
median of the student's class that week (`class`), or, when fewer than `min_peers` students of
the class have a value, the median of the students of the same level scored together
(`level`). Features that are already a comparison (a change since the previous period, the
gap to the class's number of marks, age for level) carry none: their comparison point is 0.

Direction rule (`features.catalog.DIRECTIONS`): no reason says that a value on the better side
of its comparison raises the risk (a reason's value is strictly on the worse side), and no
protective factor says that a value on the worse side lowers it. Such contributions, rare with
the model's monotone constraints, are never chosen. A missing value is never a reason, except
no mark at all this year (`MISSING_READS_WORSE`), and never a protective factor.

Weight: in probability points of the displayed risk. The risk without a signal is the
calibrated risk of the raw score with that feature's contribution removed (the feature brought
to its average effect over the training students, the SHAP base), through the same
calibration map as the risk: `points = risk − risk_without`. The points of a row's reasons
do not add up (the map is not linear). The isotonic map is centered (`models.calibration`):
it rises between its knots, so a large contribution keeps its weight at the top of a list;
only beyond the last knot, where the map is flat, can a contribution too small to bring the
score back below it weigh less than 0.1 point. Reasons are ranked by contribution, which orders
them as their points do within a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalog import DIRECTIONS, feature_spec
from models.reason_wording import Language, reason_text, weight_text

__all__ = [
    "CONTEXT",
    "MIN_PEERS",
    "MIN_SHARE",
    "MISSING_READS_WORSE",
    "PROTECTIVE",
    "REASON_COLUMNS",
    "SELF_COMPARED",
    "WHY",
    "References",
    "Selection",
    "context_weight",
    "eligible_cells",
    "numeric_values",
    "reasons_frame",
    "reference_matrix",
    "reference_medians",
    "risk_without",
    "select_reasons",
]

# Fewer students than this with a value in a class: its median says little, use the level's.
MIN_PEERS = 10
# A contribution under this share of the row's total is noise to a reader, not a reason.
MIN_SHARE = 0.01
# Features that are a comparison in themselves: compared with 0, no median shown.
SELF_COMPARED: frozenset[str] = frozenset({
    "unjustified_absence_trend_4w", "grade_mean_change_period", "grade_mean_change_year",
    "assessments_8w_vs_class_median", "age_for_level",
})  # fmt: skip
# Missing values that read as a worry: no mark at all this school year.
MISSING_READS_WORSE: frozenset[str] = frozenset({"grade_mean_ytd"})
WHY, PROTECTIVE, CONTEXT = "why", "protective", "context"
REASON_COLUMNS: tuple[str, ...] = (
    "row", "risk", "raw_score", "base_value", "kind", "rank", "feature", "family", "signal",
    "value", "reference", "reference_scope", "contribution", "share", "risk_without", "points",
    "direction", "text", "text_fr", "text_en", "weight_text", "weight_text_fr", "weight_text_en",
)  # fmt: skip
_NO_GROUP = "__all__"
Calibration = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class References:
    """Medians of the numeric features among the rows scored together, and how many rows
    had a value: per (as_of, uai, class_id) and per (as_of, level). Without one of these
    columns, every row is in one group for it."""

    class_medians: pd.DataFrame
    class_counts: pd.DataFrame
    level_medians: pd.DataFrame
    level_counts: pd.DataFrame
    min_peers: int


def _keys(frame: pd.DataFrame, names: Sequence[str]) -> list[pd.Series]:
    return [_group_key(_column(frame, name)).rename(name) for name in names]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """`frame[name]`, or one `_NO_GROUP` for all rows when `frame` lacks it."""
    return frame[name] if name in frame.columns else pd.Series(_NO_GROUP, frame.index)


def _group_key(column: pd.Series) -> pd.Series:
    """`column` as Python objects, a missing value as `_NO_GROUP`."""
    objects, codes = _coded(column)
    return pd.Series(objects[codes], index=column.index, dtype=object)


def _coded(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of `column` as Python objects (a missing value as `_NO_GROUP`,
    the last) and each row's code into them: each distinct value converted once (a week's
    300,000 `as_of` dates are one Timestamp), not once per row."""
    codes, uniques = pd.factorize(column)
    objects = np.empty(len(uniques) + 1, dtype=object)
    objects[:-1] = np.asarray(uniques, dtype=object)
    objects[-1] = _NO_GROUP
    return objects, np.where(codes < 0, len(uniques), codes)


def _groups(frame: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, pd.MultiIndex]:
    """Each row's group by the columns `names` (as `_keys` gives them), as an integer, and
    the groups' keys (group `g` is `index[g]`): grouping integers rather than the keys as
    Python objects halves the week's medians (300,000 rows)."""
    groups = np.zeros(len(frame), dtype="int64")
    coded = [_coded(_column(frame, name)) for name in names]
    for objects, codes in coded:
        groups = pd.factorize(groups * len(objects) + codes)[0]  # stays small
    first = np.zeros(int(groups.max()) + 1 if len(groups) else 0, dtype="int64")
    first[groups[::-1]] = np.arange(len(groups))[::-1]  # each group's first row
    keys = [objects[codes[first]] for objects, codes in coded]
    return groups, pd.MultiIndex.from_arrays(keys, names=list(names))


_CLASS_KEYS = ("as_of", "uai", "class_id")
_LEVEL_KEYS = ("as_of", "level")


def reference_medians(
    frame: pd.DataFrame,
    feature_names: Sequence[str],
    min_peers: int = MIN_PEERS,
    rows: np.ndarray | None = None,
) -> References:
    """Per-class and per-level medians (NaN ignored) of the numeric features of
    `feature_names` in `frame`, at each as-of date, with the number of known values; with
    `rows` (positions in `frame`), those of the groups of these rows only (every row of such
    a group counted): the references of these rows, for a fraction of the work when they
    are a week's lists among all its students."""
    if min_peers < 1:
        raise ValueError(f"min_peers must be at least 1, not {min_peers}")
    numeric = [name for name in feature_names if feature_spec(name).kind == "numeric"]
    values = frame.loc[:, numeric].astype("float64")
    parts = []
    for names in (_CLASS_KEYS, _LEVEL_KEYS):
        groups, index = _groups(frame, names)
        grouped_values, grouped_by = values, groups
        if rows is not None:
            needed = np.isin(groups, groups[rows])
            grouped_values, grouped_by = values[needed], groups[needed]
        grouped = grouped_values.groupby(grouped_by, sort=False)
        for part in (grouped.median(), grouped.count()):
            part.index = index[part.index.to_numpy()]
            parts.append(part)
    class_medians, class_counts, level_medians, level_counts = parts
    return References(class_medians, class_counts, level_medians, level_counts, min_peers)


def reference_matrix(
    references: References, frame: pd.DataFrame, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The comparison of every (row, feature) of `frame`: the reference value (NaN when there
    is none) and its scope, "class", "level" or None (categorical features, features compared
    with themselves, too few values in both the class and the level)."""
    shape = (len(frame), len(names))
    values = np.full(shape, np.nan)
    scopes = np.full(shape, None, dtype=object)
    known = set(references.class_medians.columns) - SELF_COMPARED
    columns = [i for i, name in enumerate(names) if name in known]
    if not columns or not len(frame):
        return values, scopes
    picked = [names[i] for i in columns]
    found = []
    for medians, counts, keys in (
        (references.class_medians, references.class_counts, _CLASS_KEYS),
        (references.level_medians, references.level_counts, _LEVEL_KEYS),
    ):
        index = pd.MultiIndex.from_arrays([key.to_numpy() for key in _keys(frame, keys)])
        median = medians.reindex(index).loc[:, picked].to_numpy(dtype="float64", na_value=np.nan)
        count = counts.reindex(index).loc[:, picked].to_numpy(dtype="float64", na_value=0.0)
        usable = keys[-1] in frame.columns  # no class (or level) column: no such median
        found.append((median, usable & (count >= references.min_peers) & ~np.isnan(median)))
    (class_median, from_class), (level_median, from_level) = found
    from_level &= ~from_class
    values[:, columns] = np.where(from_class, class_median, np.where(from_level, level_median,
                                                                     np.nan))  # fmt: skip
    scope = np.full(from_class.shape, None, dtype=object)
    scope[from_class] = "class"
    scope[from_level] = "level"
    scopes[:, columns] = scope
    return values, scopes


def eligible_cells(
    names: Sequence[str], values: np.ndarray, references: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which (row, feature) may be a reason (`why`) and which a protective factor, by the
    rules of this module: own signals only, the direction rule, missing values. `values` and
    `references` are (rows × features) float arrays (NaN: missing, or no reference)."""
    why = np.zeros(values.shape, dtype=bool)
    protective = np.zeros(values.shape, dtype=bool)
    for j, name in enumerate(names):
        spec = feature_spec(name)
        if spec.signal != "own":
            continue
        value = values[:, j]
        missing = np.isnan(value)
        if spec.kind != "numeric":
            why[:, j] = protective[:, j] = ~missing
            continue
        point = np.zeros(len(value)) if name in SELF_COMPARED else references[:, j]
        direction = DIRECTIONS.get(name)
        if direction is None:
            worse = better = ~missing
        else:
            with np.errstate(invalid="ignore"):  # NaN compares False
                on_worse = value > point if direction.worse == "higher" else value < point
            # No reference to compare with: the sentence states no comparison to contradict.
            worse = on_worse | (~missing & np.isnan(point))
            better = ~on_worse & ~missing  # not on the worse side (the median itself included)
        why[:, j] = worse | (missing if name in MISSING_READS_WORSE else False)
        protective[:, j] = better
    return why, protective


@dataclass(frozen=True)
class Selection:
    """Chosen reasons of a contribution matrix, as parallel arrays: input `row` position,
    feature `column`, `kind` (why or protective), `rank` (1 = largest) and `share`."""

    row: np.ndarray
    column: np.ndarray
    kind: np.ndarray
    rank: np.ndarray
    share: np.ndarray


def select_reasons(
    contributions: np.ndarray,
    top: int,
    protective: int | None = None,
    min_share: float = MIN_SHARE,
    eligible: tuple[np.ndarray, np.ndarray] | None = None,
) -> Selection:
    """The `top` largest positive contributions of each row (the "why") and its `protective`
    (default `top`) most negative ones, each worth at least `min_share` of the row's total
    |contribution|, among the cells `eligible` allows (why, protective masks; all when None).
    Ties keep feature order. Rows are in input order, why before protective; ranks count the
    chosen reasons from 1."""
    if top < 0 or (protective is not None and protective < 0):
        raise ValueError("top and protective must be >= 0")
    protective = top if protective is None else protective
    matrix = np.asarray(contributions, dtype="float64")
    total = np.abs(matrix).sum(axis=1, keepdims=True)
    share = np.divide(np.abs(matrix), total, out=np.zeros_like(matrix), where=total > 0)
    if eligible is None:
        eligible = (np.ones(matrix.shape, dtype=bool), np.ones(matrix.shape, dtype=bool))
    parts = []
    for label, count, sign, allowed in ((WHY, top, 1.0, eligible[0]),
                                       (PROTECTIVE, protective, -1.0, eligible[1])):  # fmt: skip
        if count == 0 or matrix.shape[1] == 0:
            continue
        signed = sign * matrix
        keep_cell = allowed & (signed > 0) & (share >= min_share)
        # Cells that cannot be chosen sort last; then take the first `count` of each row.
        order = np.argsort(np.where(keep_cell, -signed, np.inf), axis=1, kind="stable")
        order = order[:, : min(count, matrix.shape[1])]
        keep = np.take_along_axis(keep_cell, order, axis=1)
        rows = np.broadcast_to(np.arange(len(matrix))[:, None], order.shape)
        ranks = np.cumsum(keep, axis=1)
        parts.append((rows[keep], order[keep], np.full(keep.sum(), label, dtype=object),
                      ranks[keep], np.take_along_axis(share, order, axis=1)[keep]))  # fmt: skip
    if not parts:
        empty = np.array([], dtype="int64")
        return Selection(empty, empty, np.array([], dtype=object), empty, np.array([]))
    row, column, kind, rank, share_kept = (
        np.concatenate(arrays) for arrays in zip(*parts, strict=True)
    )
    # Input order, then why before protective, then rank (a stable sort on the row).
    order = np.lexsort((rank, kind != WHY, row))
    return Selection(row[order], column[order], kind[order], rank[order], share_kept[order])


def risk_without(raw: np.ndarray, removed: np.ndarray, calibrate: Calibration) -> np.ndarray:
    """The risk each raw score would give without `removed` (log-odds contributions), through
    the same calibration map as the displayed risk."""
    return np.asarray(calibrate(np.asarray(raw, dtype="float64") - removed), dtype="float64")


def _context_selection(names: Sequence[str], n_rows: int, matrix: np.ndarray) -> Selection:
    """Every context feature of every row, largest |contribution| first."""
    context = np.array([i for i, name in enumerate(names)
                        if feature_spec(name).signal == "context"], dtype="int64")  # fmt: skip
    if not len(context) or not n_rows:
        empty = np.array([], dtype="int64")
        return Selection(empty, empty, np.array([], dtype=object), empty, np.array([]))
    order = np.argsort(-np.abs(matrix[:, context]), axis=1, kind="stable")
    columns = context[order]
    rows = np.broadcast_to(np.arange(n_rows)[:, None], columns.shape)
    ranks = np.broadcast_to(np.arange(1, len(context) + 1)[None, :], columns.shape)
    return Selection(
        rows.ravel(),
        columns.ravel(),
        np.full(columns.size, CONTEXT, dtype=object),
        ranks.ravel(),
        np.full(columns.size, np.nan),
    )  # fmt: skip  (shares: see reasons_frame)


def context_weight(
    names: Sequence[str], matrix: np.ndarray, raw: np.ndarray, calibrate: Calibration
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's risk without its context features (all their contributions removed from
    the log-odds at once) and the context's weight in probability points."""
    context = [i for i, name in enumerate(names) if feature_spec(name).signal == "context"]
    removed = matrix[:, context].sum(axis=1) if context else np.zeros(len(raw))
    without = risk_without(raw, removed, calibrate)
    return without, calibrate(raw) - without


def reasons_frame(
    frame: pd.DataFrame,
    contributions: pd.DataFrame,
    risk: np.ndarray,
    references: References,
    *,
    calibrate: Calibration,
    top: int = 3,
    protective: int | None = None,
    language: Language = "fr",
    min_share: float = MIN_SHARE,
    key_columns: Sequence[str] = ("student_id", "as_of", "uai"),
    row_offset: int = 0,
    kinds: Sequence[str] = (WHY, PROTECTIVE, CONTEXT),
) -> pd.DataFrame:
    """One row per reason, protective factor and context feature of each row of `frame`: its
    keys (those of `key_columns` present), `row` (position in the input, plus `row_offset`),
    the row's `risk`, `raw_score` and `base_value`, then the reason (`REASON_COLUMNS`).
    `contributions` is the output of `models.contributions.contributions` on `frame` (same
    rows, `base_value` column last); `calibrate` maps raw scores to the displayed risk.
    Only the reasons of `kinds` are worded and returned."""
    if len(contributions) != len(frame) or len(risk) != len(frame):
        raise ValueError("frame, contributions and risk must have the same rows")
    names = [column for column in contributions.columns if column != "base_value"]
    matrix = contributions.loc[:, names].to_numpy(dtype="float64")
    base = contributions["base_value"].to_numpy(dtype="float64")
    raw = matrix.sum(axis=1) + base
    values_matrix = numeric_values(frame, names)
    reference, scope = reference_matrix(references, frame, names)
    chosen = select_reasons(matrix, top, protective, min_share,
                            eligible_cells(names, values_matrix, reference))  # fmt: skip
    context = _context_selection(names, len(frame), matrix)
    merged = [np.concatenate([getattr(chosen, field), getattr(context, field)])
              for field in ("row", "column", "kind", "rank", "share")]  # fmt: skip
    kind_order = np.select([merged[2] == WHY, merged[2] == PROTECTIVE], [0, 1], 2)
    order = np.lexsort((merged[3], kind_order, merged[0]))  # row, then kind, then rank
    order = order[np.isin(merged[2][order], list(kinds))]
    chosen = Selection(*(array[order] for array in merged))
    features = np.asarray(names, dtype=object)[chosen.column]
    values = _values(frame, chosen.row, features)
    contribution = matrix[chosen.row, chosen.column]
    chosen_reference = reference[chosen.row, chosen.column]
    chosen_scope = scope[chosen.row, chosen.column]
    levels = _levels(frame, chosen.row)
    without = risk_without(raw[chosen.row], contribution, calibrate)
    points = np.asarray(risk, dtype="float64")[chosen.row] - without
    cells = list(zip(features, values, chosen_reference, chosen_scope, levels, strict=True))
    texts = {
        language_: [
            reason_text(f, v, None if np.isnan(r) else float(r), s, language_, lv)
            for f, v, r, s, lv in cells
        ]
        for language_ in ("fr", "en")
    }
    weights = {
        language_: [weight_text(p, w, language_) for p, w in zip(points, without, strict=True)]
        for language_ in ("fr", "en")
    }
    keys = [column for column in key_columns if column in frame.columns]
    out = frame.iloc[chosen.row].loc[:, keys].reset_index(drop=True)
    out["row"] = chosen.row + row_offset
    out["risk"] = np.asarray(risk, dtype="float64")[chosen.row]
    out["raw_score"] = raw[chosen.row]
    out["base_value"] = base[chosen.row]
    out["kind"] = pd.Series(chosen.kind, dtype="str")
    out["rank"] = chosen.rank.astype("int64")
    out["feature"] = pd.Series(features, dtype="str")
    specs = {name: feature_spec(name) for name in names}
    out["family"] = pd.Series([specs[f].family for f in features], dtype="str")
    out["signal"] = pd.Series([specs[f].signal for f in features], dtype="str")
    out["value"] = pd.Series(values, dtype=object)
    out["reference"] = chosen_reference
    out["reference_scope"] = pd.Series(chosen_scope, dtype=object)
    out["contribution"] = contribution
    total = np.abs(matrix).sum(axis=1)[chosen.row]
    out["share"] = np.divide(np.abs(contribution), total, out=np.zeros(len(total)),
                             where=total > 0)  # fmt: skip
    out["risk_without"] = without
    out["points"] = points
    out["direction"] = pd.Series(np.where(contribution > 0, "raises", "lowers"), dtype="str")
    for language_ in ("fr", "en"):
        out[f"text_{language_}"] = pd.Series(texts[language_], dtype="str")
        out[f"weight_text_{language_}"] = pd.Series(weights[language_], dtype="str")
    out["text"] = out[f"text_{language}"]
    out["weight_text"] = out[f"weight_text_{language}"]
    return out.loc[:, [*keys, *REASON_COLUMNS]]


def numeric_values(frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """(rows × features) float values; NaN for missing values, and for categorical features
    a 0 where a category is known (they have no comparison)."""
    values = np.full((len(frame), len(names)), np.nan)
    for j, name in enumerate(names):
        if feature_spec(name).kind == "numeric":
            values[:, j] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
        else:
            values[:, j] = np.where(frame[name].notna().to_numpy(), 0.0, np.nan)
    return values


def _levels(frame: pd.DataFrame, rows: np.ndarray) -> list[str | None]:
    if "level" not in frame.columns:
        return [None] * len(rows)
    return [None if pd.isna(v) else str(v) for v in frame["level"].iloc[rows].tolist()]


def _values(frame: pd.DataFrame, rows: np.ndarray, features: np.ndarray) -> list[object]:
    """The raw value of each (row, feature): a float for numeric features (NaN when missing),
    the category code for categorical ones (None when missing)."""
    values: list[object] = [None] * len(rows)
    for name in pd.unique(features):
        where = np.flatnonzero(features == name)
        column = frame[name].iloc[rows[where]]
        if feature_spec(name).kind == "numeric":
            picked: list[object] = column.to_numpy(dtype="float64", na_value=np.nan).tolist()
        else:
            picked = [None if pd.isna(v) else str(v) for v in column.tolist()]
        for position, value in zip(where, picked, strict=True):
            values[position] = value
    return values
