"""Per-student explanations: the calibrated risk, the raw score and the reasons behind it.

`explain(model, features)` scores the rows in chunks (memory bounded by one chunk's
contribution matrix), computes the TreeSHAP contributions of each chunk once, and words the
largest own signals (`models.reasons`), each with its weight in probability points, and the
context apart. Reference medians (class, level) are computed once over all the rows given, so
pass the rows scored together (an establishment's week, or the académie's) even when only
some of them are to be explained: see `rows`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from features.feature_set import FeatureSet
from features.jsonio import jsonable_column
from models.contributions import BASE_VALUE, DEFAULT_CHUNK_ROWS
from models.reason_wording import LANGUAGES, Language, context_text
from models.reasons import (
    MIN_PEERS,
    MIN_SHARE,
    REASON_COLUMNS,
    context_weight,
    reasons_frame,
    reference_medians,
)

if TYPE_CHECKING:  # the model calls `explain`; here only its public face is used
    from models.risk_model import Features, RiskModel

__all__ = ["KEY_COLUMNS", "SCORE_COLUMNS", "Explanations", "explain", "iter_explanations"]

KEY_COLUMNS: tuple[str, ...] = ("student_id", "as_of", "uai")
# Besides keys and `row`: a score's columns (the context's weight in probability points).
SCORE_COLUMNS: tuple[str, ...] = (
    "risk", "raw_score", "base_value", "risk_without_context", "context_points", "context_text",
    "context_text_fr", "context_text_en",
)  # fmt: skip


_KINDS = ("why", "protective", "context")


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Explanations:
    """`scores`: one row per explained input row (its keys, `row` position, `SCORE_COLUMNS`:
    the risk, the raw score, the risk without the context and the context's weight);
    `reasons`: one row per reason (`models.reasons.REASON_COLUMNS`), `kind` "why" (an own
    signal that raises the risk), "protective" (one that lowers it) or "context" (a context
    feature, never a reason), ranked within each row and kind."""

    scores: pd.DataFrame
    reasons: pd.DataFrame
    language: Language = "fr"
    # The explained rows' contributions (`RiskModel.contributions`), in `scores` order and
    # indexed by `row`, when asked for (`keep_contributions`): the values the reasons come
    # from, for a caller that stores them too (the week's lineage).
    contributions: pd.DataFrame | None = None

    def why(self) -> pd.DataFrame:
        return self.reasons[self.reasons["kind"] == "why"].reset_index(drop=True)

    def protective(self) -> pd.DataFrame:
        return self.reasons[self.reasons["kind"] == "protective"].reset_index(drop=True)

    def context(self) -> pd.DataFrame:
        return self.reasons[self.reasons["kind"] == "context"].reset_index(drop=True)

    def to_records(self, kinds: Sequence[str] = tuple(_KINDS)) -> list[dict[str, Any]]:
        """One JSON-ready dict per explained row: keys, scores, `reasons`, `protective` and
        `context` (lists of dicts), for the API, the weekly list store and `vigie explain
        --json`. One pass over the reasons frame: thousands of students in milliseconds.
        `kinds`: the reason kinds converted ("why", "protective", "context"); the lists of
        the others are left empty (the weekly lists show only the reasons why)."""
        grouped: dict[Any, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: {kind: [] for kind in _RECORD_KINDS.values()}
        )
        reasons = self.reasons
        if set(kinds) != set(_RECORD_KINDS) and len(reasons):
            reasons = reasons[reasons["kind"].isin(list(kinds))]
        if len(reasons):
            chosen = _json_rows(reasons.loc[:, list(_RECORD_COLUMNS)])
            for row, kind, reason in zip(reasons["row"], reasons["kind"], chosen, strict=True):
                if kind in _RECORD_KINDS:
                    grouped[row][_RECORD_KINDS[kind]].append(reason)
        records = []
        for record in _json_rows(self.scores):
            found = grouped.get(record["row"])
            for kind in _RECORD_KINDS.values():
                record[kind] = found[kind] if found else []
            records.append(record)
        return records


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`frame`'s rows as dicts of JSON data (`features.jsonio.jsonable` of each value),
    converted column by column (`features.jsonio.jsonable_column`)."""
    columns = [jsonable_column(frame[name]) for name in frame.columns]
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


_RECORD_COLUMNS = ("feature", "family", "signal", "value", "reference", "reference_scope",
                   "contribution", "share", "risk_without", "points", "direction", "text",
                   "text_fr", "text_en", "weight_text", "weight_text_fr",
                   "weight_text_en")  # fmt: skip
_RECORD_KINDS = {"why": "reasons", "protective": "protective", "context": "context"}


def explain(
    model: RiskModel,
    features: Features,
    *,
    top: int = 3,
    protective: int | None = None,
    language: Language = "fr",
    rows: Sequence[int] | np.ndarray | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    min_share: float = MIN_SHARE,
    min_peers: int = MIN_PEERS,
    kinds: Sequence[str] = _KINDS,
    keep_contributions: bool = False,
) -> Explanations:
    """Risk, raw score and reasons of each row of `features` (or only of the positions in
    `rows`, e.g. an establishment's list), with references from all rows of `features`.

    `top` raising reasons and `protective` (default `top`) lowering ones per row, own signals
    only, each worth at least `min_share` of the row's total |contribution|, and every context
    feature apart; `language` picks the `text` columns (French and English are always there).
    `kinds`: the kinds of reasons kept ("why", "protective", "context"; the others are
    neither worded nor returned: a weekly list shows only the reasons why).
    `keep_contributions`: keep the rows' contributions too (`Explanations.contributions`).
    Rows are processed `chunk_rows` at a time
    (`iter_explanations` yields the chunks, for callers that write them out as they go).
    """
    parts = list(iter_explanations(
        model, features, top=top, protective=protective, language=language, rows=rows,
        chunk_rows=chunk_rows, min_share=min_share, min_peers=min_peers, kinds=kinds,
        keep_contributions=keep_contributions,
    ))  # fmt: skip
    if not parts:  # nothing to explain: empty frames with the usual columns
        frame = features.frame if isinstance(features, FeatureSet) else features
        keys = [column for column in KEY_COLUMNS if column in frame.columns]
        none = None
        if keep_contributions:
            columns = [*model.feature_names, BASE_VALUE]
            none = pd.DataFrame(
                np.empty((0, len(columns))), index=pd.Index([], dtype="int64", name="row"),
                columns=columns,
            )  # fmt: skip
        return Explanations(
            pd.DataFrame(columns=[*keys, "row", *SCORE_COLUMNS]),
            pd.DataFrame(columns=[*keys, *REASON_COLUMNS]),
            language,
            none,
        )
    return Explanations(
        pd.concat([part.scores for part in parts], ignore_index=True),
        pd.concat([part.reasons for part in parts], ignore_index=True),
        language,
        pd.concat([part.contributions for part in parts]) if keep_contributions else None,
    )


def iter_explanations(
    model: RiskModel,
    features: Features,
    *,
    top: int = 3,
    protective: int | None = None,
    language: Language = "fr",
    rows: Sequence[int] | np.ndarray | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    min_share: float = MIN_SHARE,
    min_peers: int = MIN_PEERS,
    kinds: Sequence[str] = _KINDS,
    keep_contributions: bool = False,
) -> Iterator[Explanations]:
    """`explain` one chunk of `chunk_rows` rows at a time: memory bounded by one chunk's
    contributions and reasons (plus the reference medians of all rows)."""
    check_is_fitted(model)
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    if not set(kinds) <= set(_KINDS):
        raise ValueError(f"kinds must be among {_KINDS}, not {tuple(kinds)}")
    frame = features.frame if isinstance(features, FeatureSet) else features
    positions = np.arange(len(frame)) if rows is None else np.asarray(rows, dtype="int64")
    if len(positions) and (positions.min() < 0 or positions.max() >= len(frame)):
        raise IndexError("rows must be positions of features (0 to len - 1)")
    # The medians of the explained rows' classes and levels, over every row of those.
    references = reference_medians(
        frame, model.feature_names, min_peers, None if rows is None else positions
    )
    keys = [column for column in KEY_COLUMNS if column in frame.columns]
    for start in range(0, len(positions), chunk_rows):
        chunk_positions = positions[start : start + chunk_rows]
        chunk = frame.iloc[chunk_positions]
        encoded = model.encode(chunk)
        contributions = model.contributions(encoded)
        matrix = contributions.to_numpy()
        raw = model.score(encoded, calibrated=False)
        risk = model.calibrate(raw)
        reasons = reasons_frame(
            chunk, contributions, risk, references, calibrate=model.calibrate,
            top=top, protective=protective, language=language, min_share=min_share,
            key_columns=keys, kinds=kinds,
        )  # fmt: skip
        # Positions in `features`, not in the chunk.
        reasons["row"] = chunk_positions[reasons["row"].to_numpy()]
        scores = chunk.loc[:, keys].reset_index(drop=True)
        scores["row"] = chunk_positions
        scores["risk"] = risk
        scores["raw_score"] = raw
        scores["base_value"] = matrix[:, -1]
        without, points = context_weight(model.feature_names, matrix[:, :-1], raw, model.calibrate)
        scores["risk_without_context"] = without
        scores["context_points"] = points
        for language_ in LANGUAGES:
            scores[f"context_text_{language_}"] = [
                context_text(p, w, language_) for p, w in zip(points, without, strict=True)
            ]
        scores["context_text"] = scores[f"context_text_{language}"]
        kept = None
        if keep_contributions:
            kept = contributions.set_axis(pd.Index(chunk_positions, name="row"))
        yield Explanations(scores, reasons, language, kept)
