"""Reasons for a score: a student's largest SHAP contributions, as sentences a watch unit reads.

Pure functions on frames and arrays (no model, no I/O): `models.explain` feeds them the
contributions of `models.contributions`. A reason is one feature of one row with its value,
a reference point, its contribution (log-odds), its share of the score (|contribution| over the
sum of the row's |contributions|) and its direction. Reasons that raise the risk are the "why";
those that lower it are protective factors, returned apart (`kind`).

The reference point is the median of the feature among the rows scored together at the same
as-of date in the same establishment, or among all of them (the académie) when the
establishment has fewer than `min_peers` rows, or for a feature that is the same for every
student of an establishment, or when no student of the establishment has a value for it.
Categorical features have no reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalog import feature_spec
from models.reason_wording import Language, reason_text

__all__ = [
    "ESTABLISHMENT_LEVEL",
    "MIN_PEERS",
    "MIN_SHARE",
    "REASON_COLUMNS",
    "References",
    "Selection",
    "lookup_references",
    "reasons_frame",
    "reference_medians",
    "select_reasons",
]

# Fewer rows than this in an establishment at a date: its median says little, use the académie's.
MIN_PEERS = 20
# A contribution under this share of the row's total is noise to a reader, not a reason.
MIN_SHARE = 0.01
# Features whose value is the same for every student of an establishment: compared with the
# académie, never with the establishment itself.
ESTABLISHMENT_LEVEL: frozenset[str] = frozenset(
    {"establishment_kind", "priority_zone", "establishment_unjustified_absence_rate_4w"}
)
WHY, PROTECTIVE = "why", "protective"
REASON_COLUMNS: tuple[str, ...] = (
    "row", "risk", "raw_score", "base_value", "kind", "rank", "feature", "family", "value",
    "reference", "reference_scope", "contribution", "share", "direction", "text", "text_fr",
    "text_en",
)  # fmt: skip
_NO_GROUP = "__all__"


@dataclass(frozen=True)
class References:
    """Medians of the numeric features among the rows scored together.

    `establishment`: one row per (as_of, uai); `academie`: one row per as_of; `peers`: rows
    per (as_of, uai). Without an `as_of` or `uai` column, every row is in one group.
    """

    establishment: pd.DataFrame
    academie: pd.DataFrame
    peers: pd.Series
    min_peers: int


def _group_keys(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    as_of = frame["as_of"] if "as_of" in frame.columns else pd.Series(_NO_GROUP, frame.index)
    uai = frame["uai"] if "uai" in frame.columns else pd.Series(_NO_GROUP, frame.index)
    return as_of.rename("as_of"), uai.rename("uai")


def reference_medians(
    frame: pd.DataFrame, feature_names: Sequence[str], min_peers: int = MIN_PEERS
) -> References:
    """Per-establishment and académie medians (NaN ignored) of the numeric features of
    `feature_names` in `frame`, at each as-of date."""
    if min_peers < 1:
        raise ValueError(f"min_peers must be at least 1, not {min_peers}")
    numeric = [name for name in feature_names if feature_spec(name).kind == "numeric"]
    as_of, uai = _group_keys(frame)
    values = frame.loc[:, numeric].astype("float64")
    establishment = values.groupby([as_of, uai], sort=True).median()
    academie = values.groupby(as_of, sort=True).median()
    peers = values.groupby([as_of, uai], sort=True).size()
    return References(establishment, academie, peers, min_peers)


def lookup_references(
    references: References, as_of: pd.Series, uai: pd.Series, features: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The reference value and its scope (`establishment`, `academie`, or None) of each
    (as_of, uai, feature) triple; NaN and None for a categorical feature or an empty median."""
    count = len(features)
    values = np.full(count, np.nan)
    scopes = np.full(count, None, dtype=object)
    if count == 0:
        return values, scopes
    as_of_values, uai_values = as_of.to_numpy(), uai.to_numpy()
    peers = references.peers.reindex(pd.MultiIndex.from_arrays([as_of_values, uai_values]))
    numeric = np.isin(features, references.academie.columns)
    own = (
        numeric
        & (peers.to_numpy(dtype="float64", na_value=0.0) >= references.min_peers)
        & ~np.isin(features, list(ESTABLISHMENT_LEVEL))
    )
    establishment_long = references.establishment.stack()
    academie_long = references.academie.stack()
    from_establishment = establishment_long.reindex(
        pd.MultiIndex.from_arrays([as_of_values, uai_values, features])
    ).to_numpy(dtype="float64", na_value=np.nan)
    from_academie = academie_long.reindex(
        pd.MultiIndex.from_arrays([as_of_values, features])
    ).to_numpy(dtype="float64", na_value=np.nan)
    own &= ~np.isnan(from_establishment)  # no known value in the establishment: the académie's
    values = np.where(own, from_establishment, np.where(numeric, from_academie, np.nan))
    scopes[numeric & ~own] = "academie"
    scopes[own] = "establishment"
    scopes[np.isnan(values)] = None
    return values, scopes


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
    contributions: np.ndarray, top: int, protective: int | None = None, min_share: float = MIN_SHARE
) -> Selection:
    """The `top` largest positive contributions of each row (the "why") and its `protective`
    (default `top`) most negative ones, each worth at least `min_share` of the row's total
    |contribution|. Ties keep feature order. Rows are in input order, why before protective."""
    if top < 0 or (protective is not None and protective < 0):
        raise ValueError("top and protective must be >= 0")
    protective = top if protective is None else protective
    matrix = np.asarray(contributions, dtype="float64")
    total = np.abs(matrix).sum(axis=1, keepdims=True)
    share = np.divide(np.abs(matrix), total, out=np.zeros_like(matrix), where=total > 0)
    parts = []
    for kind, count, sign in ((WHY, top, 1.0), (PROTECTIVE, protective, -1.0)):
        count = min(count, matrix.shape[1])
        if count == 0:
            continue
        order = np.argsort(-sign * matrix, axis=1, kind="stable")[:, :count]
        chosen = np.take_along_axis(matrix, order, axis=1) * sign
        chosen_share = np.take_along_axis(share, order, axis=1)
        keep = (chosen > 0) & (chosen_share >= min_share)
        rows = np.broadcast_to(np.arange(len(matrix))[:, None], order.shape)
        ranks = np.broadcast_to(np.arange(1, count + 1)[None, :], order.shape)
        parts.append((rows[keep], order[keep], np.full(keep.sum(), kind, dtype=object),
                      ranks[keep], chosen_share[keep]))  # fmt: skip
    if not parts:
        empty = np.array([], dtype="int64")
        return Selection(empty, empty, np.array([], dtype=object), empty, np.array([]))
    row, column, kind, rank, share_kept = (
        np.concatenate(arrays) for arrays in zip(*parts, strict=True)
    )
    # Input order, then why before protective, then rank (a stable sort on the row).
    order = np.lexsort((rank, kind != WHY, row))
    return Selection(row[order], column[order], kind[order], rank[order], share_kept[order])


def reasons_frame(
    frame: pd.DataFrame,
    contributions: pd.DataFrame,
    risk: np.ndarray,
    references: References,
    *,
    top: int = 3,
    protective: int | None = None,
    language: Language = "fr",
    min_share: float = MIN_SHARE,
    key_columns: Sequence[str] = ("student_id", "as_of", "uai"),
    row_offset: int = 0,
) -> pd.DataFrame:
    """One row per reason of each row of `frame`: its keys (those of `key_columns` present),
    `row` (position in the input, plus `row_offset`), the row's `risk`, `raw_score` and
    `base_value`, then the reason (`REASON_COLUMNS`). `contributions` is the output of
    `models.contributions.contributions` on `frame` (same rows, `base_value` column last)."""
    if len(contributions) != len(frame) or len(risk) != len(frame):
        raise ValueError("frame, contributions and risk must have the same rows")
    names = [column for column in contributions.columns if column != "base_value"]
    matrix = contributions.loc[:, names].to_numpy(dtype="float64")
    base = contributions["base_value"].to_numpy(dtype="float64")
    raw = matrix.sum(axis=1) + base
    chosen = select_reasons(matrix, top, protective, min_share)
    features = np.asarray(names, dtype=object)[chosen.column]
    as_of, uai = _group_keys(frame)
    reference, scope = lookup_references(
        references, as_of.iloc[chosen.row], uai.iloc[chosen.row], features
    )
    values = _values(frame, chosen.row, features)
    contribution = matrix[chosen.row, chosen.column]
    text_fr = [reason_text(f, v, r, s, "fr") for f, v, r, s in
               zip(features, values, reference, scope, strict=True)]  # fmt: skip
    text_en = [reason_text(f, v, r, s, "en") for f, v, r, s in
               zip(features, values, reference, scope, strict=True)]  # fmt: skip
    keys = [column for column in key_columns if column in frame.columns]
    out = frame.iloc[chosen.row].loc[:, keys].reset_index(drop=True)
    out["row"] = chosen.row + row_offset
    out["risk"] = np.asarray(risk, dtype="float64")[chosen.row]
    out["raw_score"] = raw[chosen.row]
    out["base_value"] = base[chosen.row]
    out["kind"] = pd.Series(chosen.kind, dtype="str")
    out["rank"] = chosen.rank.astype("int64")
    out["feature"] = pd.Series(features, dtype="str")
    families = {name: feature_spec(name).family for name in names}
    out["family"] = pd.Series([families[f] for f in features], dtype="str")
    out["value"] = pd.Series(values, dtype=object)
    out["reference"] = reference
    out["reference_scope"] = pd.Series(scope, dtype="str")
    out["contribution"] = contribution
    out["share"] = chosen.share
    out["direction"] = pd.Series(np.where(contribution > 0, "raises", "lowers"), dtype="str")
    out["text_fr"] = pd.Series(text_fr, dtype="str")
    out["text_en"] = pd.Series(text_en, dtype="str")
    out["text"] = out["text_fr"] if language == "fr" else out["text_en"]
    return out.loc[:, [*keys, *REASON_COLUMNS]]


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
