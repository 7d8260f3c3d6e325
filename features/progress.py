"""Progress of long-running work, as the library code sees it: the stages (their keys and
their wording in French and English), what a reporter is (`Progress`: a stage starts, work
within it advances) and the silent reporter, the default of every function that takes one.

The code doing the work calls `stage(name, total)` when a stage starts and `advance(n)` as it
goes, and never prints; pure data code (the feature builder, the synthetic generator) receives
`advance` alone, as a callback. How progress is shown (a bar on a terminal, plain lines
elsewhere, nothing with `--quiet`) is the command line's business: `vigie.progress`. A stage
line holds the stage's wording and counts only, never a student's name or id.
"""

from __future__ import annotations

from typing import Protocol

from wording.numbers import integer

__all__ = ["SILENT", "STAGE_WORDING", "Progress", "SilentProgress", "stage_text"]

# Stage keys and their wording (French, English). `{total}` is the stage's total, and `{s}` the
# plural's "s" (none for 1, nor for 0 in French).
STAGE_WORDING: dict[str, tuple[str, str]] = {
    # data
    "synth_years": (
        "Simulation de {total} année{s} scolaire{s}",
        "Simulating {total} school year{s}",
    ),
    "synth_tables": ("Assemblage des tables", "Assembling the tables"),
    "synth_write": ("Écriture de l'extraction", "Writing the extraction"),
    "validate": ("Validation de l'extraction", "Validating the extraction"),
    "features": (
        "Validation de l'extraction et variables à {total} date{s}",
        "Validating the extraction and building features at {total} date{s}",
    ),
    "synth_academies": (
        "Simulation de {total} académie{s} sur le cluster",
        "Simulating {total} académie{s} on the cluster",
    ),
    "cluster_start": ("Connexion au cluster Dask", "Connecting to the Dask cluster"),
    "partition_features": (
        "Validation de l'extraction et variables de {total} académie{s}",
        "Validating the extraction and building the features of {total} académie{s}",
    ),
    "demo_features": (
        "Validation de l'extraction et variables des {total} semaine{s} de démonstration",
        "Validating the extraction and building the features of the {total} demo week{s}",
    ),
    "demo_weeks": (
        "Listes des {total} semaine{s} de démonstration et décisions simulées",
        "Lists of the {total} demo week{s} and simulated decisions",
    ),
    # training
    "snapshots": ("Instantanés à {total} date{s}", "Snapshots at {total} date{s}"),
    "folds": (
        "Entraînement et test de {total} découpage{s}",
        "Training and testing {total} split{s}",
    ),
    "compare": ("Comparaison des modèles", "Comparing the models"),
    "final_fit": ("Entraînement du modèle final", "Fitting the final model"),
    "replay": ("Rejeu de l'année testée", "Replaying the tested year"),
    "log_run": (
        "Enregistrement du run (explications globales, graphiques, modèle)",
        "Logging the run (global explanations, plots, model)",
    ),
    "fairness": ("Audit d'équité des listes testées", "Fairness audit of the tested lists"),
    "register": ("Inscription du modèle au registre", "Registering the model"),
    "trials": (
        "Recherche de paramètres\u00a0: {total} essai{s} (Optuna)",
        "Parameter search: {total} trial{s} (Optuna)",
    ),
    "evaluate_read": ("Lecture du run", "Reading the run"),
    "evaluate_recompute": (
        "Recalcul du tableau de comparaison",
        "Recomputing the comparison table",
    ),
    "promote": ("Promotion du modèle champion", "Promoting the champion model"),
    # fairness audit of a logged run
    "audit": (
        "Reconstruction des lignes testées et audit d'équité",
        "Rebuilding the tested rows and auditing fairness",
    ),
    "audit_log": ("Enregistrement de l'audit dans le run", "Logging the audit to the run"),
    "audit_report": ("Écriture du rapport", "Writing the report"),
    # weekly scoring and explanations (the scoring keys are `serving.scoring.STAGES`)
    "model": ("Chargement du modèle", "Loading the model"),
    "week_features": ("Variables de la semaine", "Features of the week"),
    "predict": ("Calcul des risques", "Computing the risks"),
    "explain lists": ("Explication des listes", "Explaining the lists"),
    "store write": ("Écriture des listes de la semaine", "Writing the week's lists"),
    "partition_scores": (
        "Validation, variables, risques et listes de {total} académie{s}",
        "Validating, building features, scoring and explaining the lists of {total} académie{s}",
    ),
    "student_features": (
        "Validation de l'extraction et variables de l'élève",
        "Validating the extraction and building the student's features",
    ),
    "reasons": ("Calcul des raisons", "Computing the reasons"),
    "demo_users": ("Comptes de démonstration", "Demo accounts"),
}


def stage_text(name: str, language: str, total: int | None = None) -> str:
    """The wording of stage `name` in `language`; unknown stages and languages are refused."""
    if language not in ("fr", "en"):
        raise ValueError(f"language must be fr or en, not {language!r}")
    try:
        french, english = STAGE_WORDING[name]
    except KeyError:
        raise ValueError(f"unknown progress stage {name!r}") from None
    wording = french if language == "fr" else english
    if "{total}" in wording:
        if total is None:
            raise ValueError(f"progress stage {name!r} needs its total")
        singular = total in (0, 1) if language == "fr" else total == 1
        return wording.format(total=integer(total, language), s="" if singular else "s")
    return wording


class Progress(Protocol):
    """What long-running code reports to: a stage starts, work within it advances."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class SilentProgress:
    """Reports nothing (`--quiet`, and the default of library code)."""

    def stage(self, name: str, total: int | None = None) -> None:
        stage_text(name, "fr", total)  # a wrong stage fails the same with --quiet

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


SILENT = SilentProgress()
