"""The context summary a weekly list stores with each listed student: how much of the risk
comes from the context (level, track, kind of establishment, priority zone), as
`models.explanations` computes it per student (`risk_without_context`, `context_points`,
`context_text_fr/en`).

It rides in the entry's `features_shown` JSON under `CONTEXT_KEY` (no schema change), written
by the weekly scoring (`serving.scoring.week`) and read back apart by the service views
(`serving.services.views`). Weeks stored before it have none: readers get None."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["CONTEXT_KEY", "context_summary", "split_context"]

CONTEXT_KEY = "context_weight"


def context_summary(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """From one explanation record (`Explanations.to_records()`): the context's weight in
    probability points, the risk without the context and its sentences; None when the record
    has no finite context weight (a model without context features, an older record)."""
    points, without = record.get("context_points"), record.get("risk_without_context")
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (points, without)):
        return None
    return {
        "points": float(points),  # type: ignore[arg-type]  # a finite number (checked above)
        "risk_without": float(without),  # type: ignore[arg-type]  # the same
        "text_fr": str(record.get("context_text_fr") or ""),
        "text_en": str(record.get("context_text_en") or ""),
    }


def split_context(
    features_shown: Mapping[str, Any] | None,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A stored `features_shown` split into its context summary (None for a week stored
    without it) and the feature values proper."""
    shown = dict(features_shown or {})
    context = shown.pop(CONTEXT_KEY, None)
    if not isinstance(context, Mapping) or not {"points", "risk_without"} <= set(context):
        return None, shown
    return dict(context), shown
