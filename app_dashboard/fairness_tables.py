"""The fairness audit's and the model card's tables as an inspector reads them: translated
headers, groups and indicators by their names, each rate with its 95 % interval in one cell,
numbers written the French way in French. Pure functions from the audit's and the comparison's
JSON sections (lists of records, as `training.fairness.report.audit_to_dict` and
`training.report` write them) to display frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from app_dashboard.formatting import (
    MISSING,
    NNBSP,
    integer,
    interval,
    number,
    percent,
    percent_interval,
)
from features.catalog import feature_spec
from training.fairness.groups import group_label, grouping_label
from training.fairness.proxies import PROXY_TARGETS
from training.fairness.wording import FAMILY_LABELS, METRIC_LABELS, STATUS_LABELS, label

__all__ = [
    "disparities_table",
    "explanation_differences_table",
    "interval",
    "metrics_table",
    "number",
    "out_of_band_table",
    "percent_interval",
    "performance_table",
    "proxies_table",
    "reason_families_table",
    "training_data_table",
]

Records = Iterable[Mapping[str, Any]]

_HEADERS: dict[str, tuple[str, str]] = {
    "grouping": ("Regroupement", "Grouping"),
    "group": ("Groupe", "Group"),
    "students": ("Élèves", "Students"),
    "dropouts": ("Décrocheurs", "Dropouts"),
    "too_small": ("Trop petit pour juger", "Too small to judge"),
    "metric": ("Indicateur", "Metric"),
    "reference": ("Groupe de référence", "Reference group"),
    "ratio": (f"Rapport [IC 95{NNBSP}%]", "Ratio [95% CI]"),
    "status": ("Verdict", "Verdict"),
    "feature": ("Variable", "Feature"),
    "family": ("Famille", "Family"),
    "spread": ("Écart (log-odds)", "Spread (log-odds)"),
    "highest": ("Contribution la plus haute", "Highest contribution"),
    "lowest": ("Contribution la plus basse", "Lowest contribution"),
    "target": ("Attribut sensible", "Sensitive attribute"),
    "rows": ("Lignes", "Rows"),
    "positive_share": ("Part du groupe", "Share of the group"),
    "auc": ("AUC (prédit depuis les variables)", "AUC (predicted from the features)"),
    "flagged": ("Signalé", "Flagged"),
    "carried_by": ("Porté par", "Carried by"),
    "share": ("Part des raisons", "Share of the reasons"),
    "model": ("Modèle", "Model"),
    "outside": ("Intervalle hors bande", "Interval outside the band"),
    "item": ("Élément", "Item"),
    "value": ("Valeur", "Value"),
}

_MODELS: dict[str, tuple[str, str]] = {
    "lightgbm": ("LightGBM (modèle en service)", "LightGBM (the model)"),
    "logistic": ("Régression logistique", "Logistic regression"),
    "rule_absenteeism": ("Règle d'absentéisme (4 demi-journées par mois)", "Absenteeism rule"),
    "rule_abc": ("Règle ABC (absences, comportement, notes)", "ABC rule"),
}

# Columns of the comparison table (training.report): (key, FR, EN, kind).
_PERFORMANCE: tuple[tuple[str, str, str, str], ...] = (
    ("precision@k", "Précision à la capacité", "Precision at capacity", "rate"),
    ("recall@k", "Rappel à la capacité", "Recall at capacity", "rate"),
    ("precision@2k", "Précision à 2 x la capacité", "Precision at 2 x capacity", "rate"),
    ("recall@2k", "Rappel à 2 x la capacité", "Recall at 2 x capacity", "rate"),
    ("roc_auc", "ROC-AUC", "ROC-AUC", "number"),
    ("pr_auc", "PR-AUC", "PR-AUC", "number"),
)

_TRAINING_DATA: dict[str, tuple[str, str]] = {
    "data_dir": ("Extraction", "Extraction"),
    "data_sha256": ("Empreinte de l'extraction (SHA-256)", "Extraction fingerprint (SHA-256)"),
    "cv": ("Évaluation", "Evaluation"),
    "as_of_dates": ("Dates d'observation (entraînement / test)", "As-of dates (training / test)"),
    "calibration": ("Calibration des risques", "Risk calibration"),
    "snapshot_rows": ("Élèves-dates", "Student-dates"),
}


_YES_NO: dict[str, tuple[str, str]] = {"yes": ("oui", "yes"), "no": ("non", "no")}
_PARAM_WORDS: dict[str, tuple[str, str]] = {
    "temporal": ("temporelle (années suivantes)", "temporal (later years)"),
    "monthly": ("mensuelle", "monthly"),
    "weekly": ("hebdomadaire", "weekly"),
    "explicit": ("dates données", "dates given"),
    "auto": ("automatique (la meilleure)", "automatic (the best)"),
    "isotonic": ("isotonique", "isotonic"),
    "platt": ("Platt (logistique)", "Platt (logistic)"),
    "synthetic": ("synthétique", "synthetic"),
}


def _header(key: str, language: str) -> str:
    return label(_HEADERS, key, language)


def _yes_no(value: object, language: str) -> str:
    return label(_YES_NO, "yes" if value else "no", language)


def _param_value(key: str, value: str, language: str) -> str:
    """A training parameter as a reader says it: a count with its separators, a known
    choice in words (`temporal`, `monthly/weekly`), anything else as logged."""
    if key == "snapshot_rows" and value.isdigit():
        return integer(int(value), language)
    words = [label(_PARAM_WORDS, part, language) for part in value.split("/")]
    return " / ".join(words) if all(part in _PARAM_WORDS for part in value.split("/")) else value


def _feature(name: str, language: str) -> str:
    try:
        spec = feature_spec(name)
    except KeyError:
        return name
    return spec.label_fr if language == "fr" else spec.label_en


def metrics_table(records: Records, language: str) -> pd.DataFrame:
    """One row per group: who it is, its size, whether it is too small to judge, and each
    rate of the audit in percent with its interval."""
    rows = []
    for record in records:
        row = {
            _header("grouping", language): grouping_label(record["grouping"], language),
            _header("group", language): group_label(str(record["group"]), language),
            _header("students", language): integer(record.get("students"), language),
            _header("dropouts", language): integer(record.get("positive_students"), language),
            _header("too_small", language): _yes_no(not record.get("judged", True), language),
        }
        for metric in METRIC_LABELS:
            if metric in record:
                bounds = (record[metric], record.get(f"{metric}_low"), record.get(f"{metric}_high"))
                row[label(METRIC_LABELS, metric, language)] = percent_interval(*bounds, language)
        rows.append(row)
    return pd.DataFrame(rows)


def _ratio_row(record: Mapping[str, Any], language: str) -> dict[str, object]:
    """A group's ratio to its reference group on one metric, with its interval."""
    return {
        _header("grouping", language): grouping_label(record["grouping"], language),
        _header("group", language): group_label(str(record["group"]), language),
        _header("metric", language): label(METRIC_LABELS, record.get("metric", ""), language),
        _header("reference", language): group_label(str(record.get("reference", "")), language),
        _header("ratio", language): interval(
            record.get("ratio"), record.get("ratio_low"), record.get("ratio_high"), language
        ),
    }


def disparities_table(records: Records, language: str) -> pd.DataFrame:
    """One row per group and metric: its ratio to the reference group, and the verdict."""
    return pd.DataFrame(
        _ratio_row(r, language)
        | {_header("status", language): label(STATUS_LABELS, r.get("status", ""), language)}
        for r in records
    )


def _extreme(record: Mapping[str, Any], side: str, language: str) -> str:
    if record.get(f"{side}_group") is None:
        return MISSING
    group = group_label(str(record[f"{side}_group"]), language)
    return f"{group} ({number(record.get(side), language)})"


def explanation_differences_table(records: Records, language: str) -> pd.DataFrame:
    """The features whose mean SHAP contribution differs most between groups."""
    return pd.DataFrame(
        {
            _header("grouping", language): grouping_label(r["grouping"], language),
            _header("feature", language): _feature(r["feature"], language),
            _header("family", language): label(FAMILY_LABELS, r.get("family", ""), language),
            _header("spread", language): number(r.get("spread"), language),
            _header("highest", language): _extreme(r, "highest", language),
            _header("lowest", language): _extreme(r, "lowest", language),
        }
        for r in records
    )


def proxies_table(records: Records, language: str) -> pd.DataFrame:
    """How well the model's inputs predict each sensitive attribute, and which carry it."""
    return pd.DataFrame(
        {
            _header("target", language): label(PROXY_TARGETS, r["target"], language),
            _header("rows", language): integer(r.get("rows"), language),
            _header("positive_share", language): percent(r.get("positive_share"), language),
            _header("auc", language): number(r.get("auc"), language),
            _header("flagged", language): _yes_no(r.get("flagged") or r.get("found"), language),
            _header("carried_by", language): ", ".join(
                _feature(name.strip(), language)
                for name in str(r.get("carried_by") or "").split(",")
                if name.strip()
            ),
        }
        for r in records
    )


def reason_families_table(records: Records, language: str) -> pd.DataFrame:
    """Per group, the share of the listed students' first reasons in each family."""
    return pd.DataFrame(
        {
            _header("grouping", language): grouping_label(r["grouping"], language),
            _header("group", language): group_label(str(r["group"]), language),
            _header("family", language): label(FAMILY_LABELS, r.get("family", ""), language),
            _header("share", language): percent(r.get("share"), language),
            _header("rows", language): integer(r.get("rows"), language),
        }
        for r in records
    )


def performance_table(models: Mapping[str, Mapping[str, Any]], language: str) -> pd.DataFrame:
    """The comparison at capacity on the tested weeks, one row per model or rule, each rate
    in percent with its 95 % interval (establishments resampled)."""
    rows = []
    for name, values in models.items():
        row: dict[str, object] = {_header("model", language): label(_MODELS, name, language)}
        for key, french, english, kind in _PERFORMANCE:
            if key not in values:
                continue
            column = french if language == "fr" else english
            if kind == "rate":
                bounds = (values[key], values.get(f"{key}_low"), values.get(f"{key}_high"))
                row[column] = percent_interval(*bounds, language)
            else:
                row[column] = number(values[key], language, digits=3)
        rows.append(row)
    return pd.DataFrame(rows)


def out_of_band_table(records: Records, language: str) -> pd.DataFrame:
    """The groups the fairness gate objects to: ratio to the reference with its interval,
    and whether the whole interval lies outside the band."""
    return pd.DataFrame(
        _ratio_row(r, language)
        | {_header("outside", language): _yes_no(r.get("ci_outside_band"), language)}
        for r in records
    )


def training_data_table(params: Mapping[str, str], language: str) -> pd.DataFrame:
    """What the version learned from, from its training run's parameters."""
    rows = [
        {_header("item", language): label(_TRAINING_DATA, key, language),
         _header("value", language): _param_value(key, params[key], language)}
        for key in _TRAINING_DATA
        if key in params
    ]  # fmt: skip
    return pd.DataFrame(rows)
