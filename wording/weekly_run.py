"""How the weekly run says the way it validated the extraction, in French and in English:
incrementally (only the new events), or whole, and why (`features.incremental`)."""

from __future__ import annotations

from collections.abc import Mapping

from wording.numbers import Language, integer

__all__ = ["FULL_REASONS", "features_line", "validation_line"]

# Why the whole extraction was validated, by reason code; `{…}` are the reason's details.
FULL_REASONS: dict[str, dict[Language, str]] = {
    "asked": {
        "fr": "une validation complète a été demandée (--full)",
        "en": "a full run was asked for (--full)",
    },
    "no_state": {
        "fr": "aucun état conservé d'une semaine précédente",
        "en": "no state kept from a previous week",
    },
    "unreadable_state": {
        "fr": "l'état de la semaine précédente est illisible",
        "en": "the previous week's state is unreadable",
    },
    "other_partition": {
        "fr": "l'état conservé est celui d'une autre partition ({partition})",
        "en": "the state kept is of another partition ({partition})",
    },
    "students_missing": {
        "fr": "les empreintes par élève de la semaine précédente manquent",
        "en": "the previous week's per-student fingerprints are missing",
    },
    "not_earlier": {
        "fr": "l'état conservé est celui de la semaine du {state_week}, qui n'est pas antérieure "
        "à celle du {week}",
        "en": "the state kept is of the week of {state_week}, not of a week before {week}",
    },
    "other_model": {
        "fr": "la semaine précédente a été calculée par {previous}, celle-ci par {model}",
        "en": "the previous week was scored by {previous}, this one by {model}",
    },
    "other_engine": {
        "fr": "l'état a été calculé par DuckDB {previous}, pas {engine}",
        "en": "the state was computed by DuckDB {previous}, not {engine}",
    },
    "other_code": {
        "fr": "l'état a été calculé par une autre version du code de Vigie (contrôles ou "
        "indicateurs)",
        "en": "the state was computed by another version of Vigie's code (checks or features)",
    },
    "missing_table": {
        "fr": "une table d'événements manque ou est illisible",
        "en": "an event table is missing or unreadable",
    },
    "no_fingerprint": {
        "fr": "l'état conservé n'a pas d'empreinte de la table {table}",
        "en": "the state kept has no fingerprint of {table}",
    },
    "state_version": {
        "fr": "l'état conservé est d'un format antérieur (version {version}), dont les "
        "empreintes par élève ne se comparent pas à celles d'aujourd'hui",
        "en": "the state kept is of an earlier format (version {version}), whose per-student "
        "fingerprints do not compare with today's",
    },
    "rows_changed": {
        "fr": "{table} : les lignes datées d'avant le {since} ont changé depuis cette semaine-là "
        "({before} lignes alors, {now} maintenant)",
        "en": "{table}: the rows dated before {since} changed since that week ({before} rows "
        "then, {now} now)",
    },
}

_LINES: dict[str, dict[Language, str]] = {
    "full": {
        "fr": "Validation complète de l'extraction : {reason}.",
        "en": "Whole extraction validated: {reason}.",
    },
    "incremental": {
        "fr": "Validation incrémentale : événements depuis le {since} vérifiés ({checked} "
        "lignes d'absences et de notes) ; {unchanged} lignes plus anciennes inchangées depuis "
        "la semaine du {since} ; fiches, inscriptions et références revérifiées pour "
        "{students} élèves dont la fiche ou les inscriptions ont changé.",
        "en": "Incremental validation: events from {since} on checked ({checked} attendance "
        "and grade rows); {unchanged} older rows unchanged since the week of {since}; "
        "records, enrollments and references checked again for {students} students whose "
        "record or enrollments changed.",
    },
}


def validation_line(
    mode: str,
    language: Language,
    *,
    reason: str = "",
    details: Mapping[str, str] | None = None,
    since: str = "",
    checked: int = 0,
    unchanged: int = 0,
    students: int = 0,
) -> str:
    """The line saying how the week's extraction was validated."""
    if mode == "full":
        text = FULL_REASONS[reason][language].format(**(details or {}))
        return _LINES["full"][language].format(reason=text)
    return _LINES["incremental"][language].format(
        since=since,
        checked=integer(checked, language),
        unchanged=integer(unchanged, language),
        students=integer(students, language),
    )


_FEATURES: dict[str, dict[Language, str]] = {
    "since": {
        "fr": "Variables : événements depuis le {since} ajoutés aux cumuls de la semaine du "
        "{since}.",
        "en": "Features: events from {since} on added to the sums kept from the week of "
        "{since}.",
    },
    "all": {
        "fr": "Variables : calculées sur tous les événements de l'extraction.",
        "en": "Features: computed from every event of the extraction.",
    },
}


def features_line(since: str, language: Language) -> str:
    """The line saying whether the features added the new events to last week's sums
    (`since`, the week's date) or were computed from every event (`since` empty)."""
    if since:
        return _FEATURES["since"][language].format(since=since)
    return _FEATURES["all"][language]
