"""An alert of the weekly monitoring (`serving.monitoring.metrics`) in words: what it is
about, the measure that crossed its threshold and where, the same on the dashboard's
"Suivi" section and in `vigie monitor`'s output. A measure reads as its words (a feature's
drift as the feature's label), never as its code."""

from __future__ import annotations

from typing import Any

from app_dashboard.formatting import number
from app_dashboard.wording import Language, text
from features.catalog import feature_spec
from serving.monitoring.metrics import SCORE

__all__ = ["alert_text", "kind_label", "measure_label", "scope_label"]

# The words of an alert's measure: the lists' measures, the score's drift and the promised
# outcomes; a feature's drift reads the feature's label.
_MEASURES = {
    "churn": "monitoring_kind_churn",
    "slot_share": "monitoring_kind_slot_share",
    SCORE: "monitoring_measure_score",
    "invitation_precision": "monitoring_col_precision",
    "dropout_coverage": "monitoring_measure_coverage",
    "dropout_coverage_ahead": "monitoring_measure_coverage_ahead",
}


def measure_label(name: str, language: Language) -> str:
    """The words of an alert's measure in `language`; a measure this version does not know
    (written by another one) as stored."""
    if name in _MEASURES:
        return text(_MEASURES[name], language)
    try:
        spec = feature_spec(name)
    except KeyError:
        return name
    return spec.label_en if language == "en" else spec.label_fr


def kind_label(kind: str, language: Language) -> str:
    """The words of what an alert is about (drift, lists, outcomes); a kind this version does
    not know as stored."""
    key = f"monitoring_kind_{kind}"
    try:
        return text(key, language)
    except KeyError:
        return kind


def scope_label(scope: str, language: Language) -> str:
    """Where a measure was taken: an establishment's UAI as stored, « ensemble » for all."""
    return text("monitoring_overall", language) if scope == "overall" else scope


def alert_text(alert: dict[str, Any], language: Language) -> str:
    """One stored alert (`kind`, `measure`, `scope`, `value`, `threshold`) as a sentence;
    the kind is left out when it is the measure itself (the lists' churn and slots)."""
    return text(
        "monitoring_alert_measure" if alert["kind"] == alert["measure"] else "monitoring_alert",
        language,
        kind=kind_label(alert["kind"], language),
        measure=measure_label(alert["measure"], language),
        scope=scope_label(alert["scope"], language),
        value=number(alert["value"], language, 3, trim=True),
        threshold=number(alert["threshold"], language, 3, trim=True),
    )  # fmt: skip
