"""The model card as a printable document, from the registry and the training run's audit:
intended use, data, metrics with their intervals, fairness results, limits.

`gather_model_card` reads a registered version through the services of the model card page
(each checked and audited: inspectors and data scientists); `model_card_html` is a pure
function of what it read. The inspector's page offers it for download; `vigie model-card`
writes the same file. Sections the run did not log say so instead of failing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app_dashboard.fairness_tables import (
    metrics_table,
    out_of_band_table,
    performance_table,
    training_data_table,
)
from app_dashboard.wording import aliases_text, text
from features.catalog import FAMILIES
from models.reason_wording import Language
from serving.db.engine import Store
from serving.documents.page import escape, items, page
from serving.services.actor import Actor
from serving.services.dashboard_models import (
    ModelVersionView,
    get_comparison,
    get_fairness_report,
    list_model_versions,
    resolve_version,
)
from serving.services.errors import NotFound
from training.fairness.wording import FAMILY_LABELS, label
from wording.numbers import percent_interval

__all__ = ["ModelCard", "gather_model_card", "model_card_html"]

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Fiche du modèle {name}, version {version}", "Model card: {name}, version {version}"),
    "meta": (
        "Créée le {created} · {aliases} · run {run}",
        "Created {created} · {aliases} · run {run}",
    ),
    "use_title": ("Usage prévu", "Intended use"),
    "inputs": (
        "Entrées : {families}. Jamais d'attribut sensible (sexe, bourse, PCS des parents) : "
        "ils ne servent qu'à l'audit d'équité.",
        "Inputs: {families}. Never a sensitive attribute (sex, scholarship, parents' "
        "occupation group): they serve only the fairness audit.",
    ),
    "headline": (
        "Indicateurs sur les semaines de test (intervalle à 95 %)",
        "Metrics on the test weeks (95% interval)",
    ),
    "precision": ("Précision à la capacité", "Precision at capacity"),
    "recall": ("Rappel à la capacité", "Recall at capacity"),
    "limits_title": ("Limites", "Limits"),
    "missing": ("Non disponible : {reason}", "Not available: {reason}"),
}


def _word(key: str, language: Language, **values: object) -> str:
    template = _WORDS[key][1 if language == "en" else 0]
    return template.format(**values) if values else template


@dataclass(frozen=True)
class ModelCard:
    """What the card shows: the version (metrics, parameters), the comparison at capacity
    and the fairness audit of its training run (None, with the reason, when not logged)."""

    name: str
    version: ModelVersionView
    comparison: dict[str, Any] | None = None
    fairness: dict[str, Any] | None = None
    missing: dict[str, str] = field(default_factory=dict)


def gather_model_card(
    store: Store, actor: Actor, client: Any, name: str, version_or_alias: str
) -> ModelCard:
    """The card of version `version_or_alias` (a number or an alias) of `name`, read through
    the audited services of the model card page. NotFound for an unknown version."""
    versions = list_model_versions(store, actor, client, name)
    wanted = str(resolve_version(client, name, version_or_alias).version)
    version = next((view for view in versions if view.version == wanted), None)
    if version is None:
        raise NotFound(f"no version {version_or_alias} of {name}")
    reports: dict[str, dict[str, Any] | None] = {}
    missing: dict[str, str] = {}
    for key, read in (("comparison", get_comparison), ("fairness", get_fairness_report)):
        try:
            reports[key] = read(store, actor, client, name, wanted)[1]
        except NotFound as error:
            reports[key], missing[key] = None, str(error)
    return ModelCard(name, version, reports["comparison"], reports["fairness"], missing)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep="—") if len(frame) else ""


def model_card_html(card: ModelCard, language: Language) -> str:
    """The card as one printable HTML page."""
    version, metrics = card.version, card.version.metrics
    title = _word("title", language, name=card.name, version=version.version)
    meta = _word(
        "meta",
        language,
        created=version.created_at.strftime("%Y-%m-%d"),
        aliases=aliases_text(version.aliases, language),
        run=version.run_id or "—",
    )
    families = ", ".join(label(FAMILY_LABELS, family, language) for family in FAMILIES)
    colon = ": " if language == "en" else "\u00a0: "
    headline = [
        _word(key, language)
        + colon
        + percent_interval(
            metrics.get(m), metrics.get(f"{m}_low"), metrics.get(f"{m}_high"), language
        )
        for key, m in (("precision", "precision_at_k"), ("recall", "recall_at_k"))
    ]
    parts = [
        f"<h1>{escape(title)}</h1><p class=meta>{escape(meta)}</p>",
        f"<h2>{escape(_word('use_title', language))}</h2>",
        f"<p>{escape(text('model_card_intro', language))}</p>",
        f"<h2>{escape(text('data_section', language))}</h2>",
        f"<p>{escape(_word('inputs', language, families=families))}</p>",
        _table(training_data_table(version.params, language)),
        f"<h2>{escape(text('metrics_at_capacity', language))}</h2>",
        f"<p>{escape(_word('headline', language))}</p>",
        items(headline),
    ]
    if card.comparison is not None:
        parts.append(_table(performance_table(card.comparison.get("models", {}), language)))
    parts.append(f"<h2>{escape(text('fairness_section', language))}</h2>")
    if card.fairness is None:
        reason = card.missing.get("fairness", "")
        parts.append(f"<p>{escape(_word('missing', language, reason=reason))}</p>")
    else:
        gate = card.fairness.get("gate") or {}
        verdict = text("gate_passed" if gate.get("passed") else "gate_failed", language)
        groups = metrics_table(card.fairness.get("group_metrics", []), language)
        parts += [f"<p><strong>{escape(verdict)}</strong></p>", _table(groups)]
        if gate.get("out_of_band"):
            records = [{"metric": gate.get("metric", "recall"), **r} for r in gate["out_of_band"]]
            parts.append(_table(out_of_band_table(records, language)))
    parts += [
        f"<h2>{escape(_word('limits_title', language))}</h2>",
        f"<p>{escape(text('model_card_limits', language))}</p>",
    ]
    return page(title, language, "".join(parts))
