"""The labels of the suggested solutions (student page, interview form, inspectors' count),
French first, merged into `app_dashboard.wording.LABELS` (a key in both tables is an error
at import)."""

from __future__ import annotations

__all__ = ["SOLUTIONS_LABELS"]

SOLUTIONS_LABELS: dict[str, tuple[str, str]] = {
    "solutions_title": ("Solutions suggérées", "Suggested solutions"),
    "solutions_help": (
        "Suggérées d'après les règles d'éligibilité au {day}, jamais décidées : la cellule "
        "de veille choisit librement la solution avec l'élève et sa famille.",
        "Suggested from the eligibility rules on {day}, never decided: the watch unit "
        "chooses the solution freely with the student and the family.",
    ),
    "solutions_none": (
        "Aucune solution ne correspond aux règles à cette date.",
        "No solution fits the rules on this date.",
    ),
    "solutions_after_interview": (
        "après l'entretien de situation",
        "after the entretien de situation",
    ),
    "solutions_priority": ("prioritaire (sans qualification)", "priority (no qualification)"),
    "solutions_source": ("Source : {source}", "Source: {source}"),
    "solutions_unavailable": (
        "Les solutions suggérées ne sont pas disponibles : {reason}",
        "The suggested solutions are not available: {reason}",
    ),
    "solution_suggested": ("{solution} — suggérée", "{solution} — suggested"),
    "solution_form_help": (
        "Les solutions marquées « suggérée » correspondent aux règles d'éligibilité ; le "
        "choix reste libre et la suggestion est enregistrée à côté.",
        'The solutions marked "suggested" fit the eligibility rules; the choice stays '
        "free and the suggestion is recorded beside it.",
    ),
    "interview_suggested": ("suggérées alors : {solutions}", "suggested then: {solutions}"),
    "interview_nothing_suggested": ("aucune solution suggérée alors", "nothing suggested then"),
    "followed_title": ("Choix et solutions suggérées", "Choices and suggested solutions"),
    "followed_intro": (
        "Entretiens tenus avec une solution enregistrée : {recorded}, dont {with_suggestion} "
        "avec la suggestion du jour. Choix parmi les solutions suggérées : {followed} ; autre "
        "choix : {not_followed} ; rien de suggéré : {nothing}.",
        "Held interviews with a recorded solution: {recorded}, {with_suggestion} of them "
        "with the day's suggestion. Chosen among the suggested solutions: {followed}; another "
        "choice: {not_followed}; nothing suggested: {nothing}.",
    ),
    "followed_share": ("Part des choix conformes", "Share of choices that followed"),
    "col_followed": ("Conformes", "Followed"),
    "col_not_followed": ("Autres choix", "Other choices"),
    "col_nothing_suggested": ("Rien de suggéré", "Nothing suggested"),
}
